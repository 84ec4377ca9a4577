/*
 * fuzz_cv_phrases.c: the job-description phrase finder on arbitrary bytes. Every phrase must lie
 * inside the text, be non-empty, start and end on a non-space byte, and come after the end of
 * the one before (text order, no overlap); the verb test must accept any bytes. The same bytes
 * are then a job description matched against a small CV with a small taxonomy, so that the
 * phrase requirements are judged (words, evidence, change text) on arbitrary phrases.
 */
#include <stddef.h>
#include <stdint.h>

#include "api/cv_json.h"
#include "base/alloc.h"
#include "base/common.h"
#include "engines/cv/phrases.h"
#include "engines/cv/taxonomy.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct check {
	const char *s;
	size_t len, end;
};

static bool space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static int on_phrase(void *ctx, const struct cv_phrase *p)
{
	struct check *c = ctx;
	if (p->len == 0 || p->start > c->len || p->len > c->len - p->start || p->start < c->end)
		__builtin_trap();
	if (space(c->s[p->start]) || space(c->s[p->start + p->len - 1]))
		__builtin_trap();
	c->end = p->start + p->len;
	return 0;
}

static const char tsv[] = "id\tlabel\ttype\tcategory\thot\taliases\tbroader\tneeds_context\n"
                          "ling:go\tGo\tlinguist\tprogramming language\t1\tgolang\tg\tGo\n"
                          "g\tprogramming\tmatchd\t\t0\t\t\t\n"
                          "onet:pg\tPostgreSQL\tonet\tdb\t1\tpostgres|psql\tr\t\n"
                          "r\trelational databases\tmatchd\t\t0\tRDBMS\t\t\n";

static void match_as_jd(const uint8_t *data, size_t size)
{
	static struct cv_taxonomy t;
	static bool loaded;
	char err[128];
	if (!loaded && cv_taxonomy_load(&t, tsv, sizeof tsv - 1, err, sizeof err) != 0)
		__builtin_trap();
	loaded = true;
	char *jd = md_malloc(size + 1);
	if (!jd)
		return;
	memcpy(jd, data, size);
	jd[size] = '\0';
	struct cv_requirements r;
	cv_requirements_init(&r);
	const char *page = "Experience\nJan 2015 - Dec 2019 Managed cross functional teams in Go\n"
	                   "Built reusable code and libraries on PostgreSQL\n";
	struct cv_input in = { .pages = &page,
		               .n_pages = 1,
		               .job_description = jd,
		               .req = &r,
		               .as_of = 19889,
		               .taxonomy = &t };
	struct cv_result res;
	if (cv_match(&in, &res) == 0) {
		for (size_t i = 0; i < res.n_reqs; i++)
			if (res.reqs[i].score < 0 || res.reqs[i].score > 1)
				__builtin_trap();
		json_decref(cv_result_to_json(&res));
	}
	cv_result_release(&res);
	cv_requirements_release(&r);
	md_free(jd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct check c = { (const char *)data, size, 0 };
	int rc = cv_phrases_find(c.s, size, on_phrase, &c);
	if (rc != 0 && rc != MD_ENOMEM)
		__builtin_trap();
	(void)cv_phrases_is_verb(c.s, MD_MIN(size, 64));
	match_as_jd(data, size);
	return 0;
}
