/*
 * taxonomy_loader.c: finds, reads and parses data/skills.tsv once per process (see the
 * header). Loading is lazy so `matchd serve` starts as fast as before; the first CV job pays
 * the parse.
 */
#include "api/taxonomy_loader.h"

#include "base/common.h"

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

#include "base/log.h"
#include "base/timeutil.h"
#include "engines/cv/tagger.h"

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct cv_taxonomy taxonomy;
static bool available;
static struct cv_tagger tagger;

/* Reads the whole file (at most cap bytes) into a NUL-terminated heap string; NULL when it
 * cannot. */
static char *read_file(const char *path, size_t cap, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct buf b;
	buf_init(&b, cap);
	char tmp[65536];
	size_t n;
	int rc = 0;
	while (!rc && (n = fread(tmp, 1, sizeof tmp, f)) > 0)
		rc = buf_append(&b, tmp, n);
	bool bad = rc || ferror(f);
	fclose(f);
	if (bad || !b.data) {
		buf_release(&b);
		return NULL;
	}
	*len = b.len;
	return buf_take(&b);
}

/* Fills path with the i-th place to look; false when there is no such place. */
static bool candidate(int i, char *path, size_t cap)
{
	const char *env = getenv("MATCHD_SKILLS_FILE");
	switch (i) {
	case 0:
		if (!env || !*env)
			return false;
		snprintf(path, cap, "%s", env);
		return true;
	case 1: snprintf(path, cap, "data/skills.tsv"); return true;
	case 2: {
		char exe[PATH_MAX];
		ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
		if (n <= 0)
			return false;
		exe[n] = '\0';
		snprintf(path, cap, "%s/../data/skills.tsv", dirname(exe));
		return true;
	}
	default: return false;
	}
}

/*
 * The phrase tagger's weights live beside the taxonomy they were trained with:
 * skills_tagger.tsv in the taxonomy file's directory. A taxonomy named by MATCHD_SKILLS_FILE
 * gets a tagger only if one sits beside it; without one the engine runs without phrase tagging.
 */
static void load_tagger(const char *tax_path)
{
	char dir[PATH_MAX + 32], path[PATH_MAX + 64], err[256] = "";
	snprintf(dir, sizeof dir, "%s", tax_path);
	snprintf(path, sizeof path, "%s/skills_tagger.tsv", dirname(dir));
	size_t len = 0;
	int64_t t0 = md_now_ms();
	char *text = read_file(path, CV_TAGGER_MAX_BYTES, &len);
	if (!text) {
		md_logf(MD_LOG_INFO, "skill tagger: %s not found; no phrase tagging", path);
		return;
	}
	int rc = cv_tagger_load(&tagger, text, len, err, sizeof err);
	md_free(text);
	if (rc) {
		md_logf(MD_LOG_WARN, "skill tagger %s: %s %s; no phrase tagging", path,
		        md_strerror(rc), err);
		return;
	}
	taxonomy.tagger = &tagger;
	md_logf(MD_LOG_INFO, "skill tagger: %zu features from %s in %lld ms", tagger.nfeatures,
	        path, (long long)(md_now_ms() - t0));
}

static void load(void)
{
	char path[PATH_MAX + 32], err[256] = "";
	const char *env = getenv("MATCHD_SKILLS_FILE");
	for (int i = 0; i < 3; i++) {
		if (!candidate(i, path, sizeof path))
			continue;
		size_t len = 0;
		int64_t t0 = md_now_ms();
		char *tsv = read_file(path, CV_TAXONOMY_MAX_BYTES, &len);
		if (!tsv && i == 0) {
			md_logf(MD_LOG_WARN,
			        "skills taxonomy: MATCHD_SKILLS_FILE=%s: %s; CV matching uses the "
			        "built-in skill table",
			        env, strerror(errno ? errno : EIO));
			return;
		}
		if (!tsv)
			continue;
		int rc = cv_taxonomy_load(&taxonomy, tsv, len, err, sizeof err);
		md_free(tsv);
		if (rc) {
			md_logf(
			    MD_LOG_WARN,
			    "skills taxonomy %s: %s %s; CV matching uses the built-in skill table",
			    path, md_strerror(rc), err);
			return;
		}
		available = true;
		md_logf(MD_LOG_INFO, "skills taxonomy: %d skills from %s in %lld ms",
		        taxonomy.nskills, path, (long long)(md_now_ms() - t0));
		load_tagger(path);
		return;
	}
	md_logf(MD_LOG_WARN, "skills taxonomy: data/skills.tsv not found (set MATCHD_SKILLS_FILE); "
	                     "CV matching uses the built-in skill table");
}

const struct cv_taxonomy *api_cv_taxonomy(void)
{
	pthread_once(&once, load);
	return available ? &taxonomy : NULL;
}
