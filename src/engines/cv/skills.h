/*
 * skills.h: the small built-in skill table (about 80 common technical skills with aliases) and
 * the word-boundary matcher. The real taxonomy (ESCO + O*NET) replaces the table later; the
 * matcher stays.
 *
 * Aliases are lower case and are matched against case-folded text, except aliases written with
 * a leading '=' ("=Go", "=C", "=R"): those are short or common words and are matched with their
 * exact case against the normalised, unfolded text. A space in an alias matches any run of
 * spaces and line breaks, so "google cloud platform" matches "Google Cloud\nPlatform".
 *
 * Word boundaries: the character before a match may not be a letter, a digit, '_', '.' or '-'
 * (so "js" does not match inside "node.js" and "C" not inside "Objective-C"); the character
 * after may not be a letter, a digit, '_', '+' or '#' (so "Java" does not match "JavaScript"
 * and "C" does not match "C++" or "C#"). One-letter aliases also refuse '-', '&' and '\''
 * on either side ("C-level", "R&D").
 */
#ifndef MATCHD_ENGINES_CV_SKILLS_H
#define MATCHD_ENGINES_CV_SKILLS_H

#include <stdbool.h>
#include <stddef.h>

#define CV_SKILL_MAX_ALIASES 8

struct cv_skill_def {
	const char *name;                          /* canonical display name */
	const char *aliases[CV_SKILL_MAX_ALIASES]; /* NULL-terminated */
};

/* The built-in table, sorted by nothing in particular; *n receives its size. */
const struct cv_skill_def *cv_skill_table(size_t *n);

/*
 * The built-in skill whose canonical name or one of whose aliases equals name, compared after
 * ASCII lower-casing (name is the requirement as the user wrote it); NULL when none.
 */
const struct cv_skill_def *cv_skill_lookup(const char *name);

/*
 * Finds the first match of alias (without any leading '=') in text[from..len) that respects
 * the word boundaries above; on success sets *start and *end (exclusive) and returns true.
 */
bool cv_skill_find_next(const char *text, size_t len, size_t from, const char *alias, size_t *start,
                        size_t *end);

#endif
