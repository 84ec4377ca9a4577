/*
 * taxonomy_loader.h: the skills taxonomy of the CV engine (data/skills.tsv), loaded once per
 * process, on first use, and shared read-only by every CV job.
 *
 * Where the file is looked for: $MATCHD_SKILLS_FILE when set (and nowhere else: an explicit
 * setting is not second-guessed); otherwise data/skills.tsv relative to the working directory,
 * then <directory of /proc/self/exe>/../data/skills.tsv. When no file can be read, or the one
 * found does not parse, one warning is logged and the engine runs with its built-in skill
 * table for the life of the process (results say taxonomy "builtin").
 *
 * The skill phrase tagger's weights, skills_tagger.tsv in the directory the taxonomy came from,
 * are loaded with it and attached to it (cv_taxonomy.tagger); when that file is missing or
 * invalid (a warning is logged) the engine runs without phrase tagging.
 */
#ifndef MATCHD_API_TAXONOMY_LOADER_H
#define MATCHD_API_TAXONOMY_LOADER_H

#include "engines/cv/taxonomy.h"

/*
 * The loaded taxonomy, or NULL when none is available. The first call loads it (about 115 ms
 * for the full file) under a pthread_once, so concurrent first callers wait for the one load;
 * later calls cost nothing. The taxonomy lives until the process exits.
 */
const struct cv_taxonomy *api_cv_taxonomy(void);

#endif
