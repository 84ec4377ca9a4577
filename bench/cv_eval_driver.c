/*
 * cv_eval_driver: runs the CV engine (cv_match, no requirements) on plain-text CVs and prints
 * one JSON object per file on stdout: {"file", "ms", "result", "skills_as_written"} where result
 * is the API's result object (cv_result_to_json) and skills_as_written lists, for each of
 * result.skills_found in order, its first mention as written in the text (the name when the
 * engine has none). Used by bench/cv_eval.sh and bench/cv_speed.sh; built
 * against build/libmatchd.a by those scripts.
 *
 * Usage: cv_eval_driver [-t skills.tsv] [-g tagger.tsv] [-F] [-j job_description.txt] [-r N]
 *                       file.txt...
 *   -t  load the taxonomy (without it: the built-in skill table)
 *   -g  load the skill phrase tagger's weights (data/skills_tagger.tsv; needs -t)
 *   -L  instead of results, treat every line of each file as one short text (a sentence of a
 *       job description), outside any section, and print what the taxonomy matcher, the
 *       job-description phrase finder, the engine's job-description requirements and the tagger
 *       (-g) find in it: "<line><TAB><offset><TAB><length><TAB>taxonomy|phrase|requirement|
 *       tagger" (needs -t; bench/cv_jd_recall.sh reads this)
 *   -F  instead of results, print the tagger's features of every token (needs -t; with -L the
 *       features of each line on its own, line numbers counted in the file): per file a
 *       line "F<TAB>file", then per token "T<TAB>line<TAB>offset<TAB>length<TAB>token<TAB>
 *       features" (scripts/train_tagger.py reads this)
 *   -j  a job description to match against (no requirements: skills come from it)
 *   -r  run each file N times and report the median time (ms) of cv_match
 * Pages are split at form feeds (pdftotext's page breaks). as_of is 2026-01-01.
 */
#include "base/common.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "api/cv_json.h"
#include "engines/cv/cv.h"
#include "engines/cv/phrases.h"
#include "engines/cv/tagger.h"

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *data = malloc((size_t)size + 1);
	*n = fread(data, 1, (size_t)size, f);
	data[*n] = '\0';
	fclose(f);
	return data;
}

/* -L with -F: the line of the file being tagged (each is tagged alone, as line 0). */
static size_t lines_mode_line;
static bool lines_mode_on;

static void trace_token(void *ctx, size_t line, size_t off, const char *token, size_t len,
                        const char *features)
{
	(void)ctx;
	printf("T\t%zu\t%zu\t%zu\t", lines_mode_on ? lines_mode_line : line, off, len);
	for (size_t i = 0; i < len; i++)
		putchar((unsigned char)token[i] < ' ' ? '_' : token[i]);
	printf("\t%s\n", features);
}

struct line_ctx {
	size_t line;
	struct cv_tag_span spans[256];
	int skill[256];
	size_t n;
};

static int on_tax_hit(void *ctx, const struct cv_skill_hit *h)
{
	struct line_ctx *c = ctx;
	printf("%zu\t%zu\t%zu\ttaxonomy\n", c->line, h->offset, h->len);
	if (c->n < 256) {
		c->skill[c->n] = h->skill;
		c->spans[c->n++] = (struct cv_tag_span){ 0, h->offset, h->len };
	}
	return 0;
}

static int on_line_phrase(void *ctx, size_t line, size_t off, size_t len)
{
	(void)line;
	printf("%zu\t%zu\t%zu\ttagger\n", *(size_t *)ctx, off, len);
	return 0;
}

static int on_jd_phrase(void *ctx, const struct cv_phrase *p)
{
	printf("%zu\t%zu\t%zu\tphrase\n", *(size_t *)ctx, p->start, p->len);
	return 0;
}

/* A skill requirement names every mention of its skill; a phrase is its own span. */
static int on_jd_req(void *ctx, const struct cv_skill_requirement *q)
{
	const struct line_ctx *c = ctx;
	printf("%zu\t%zu\t%zu\trequirement\n", c->line, q->offset, q->len);
	for (size_t i = 0; q->skill >= 0 && i < c->n; i++)
		if (c->skill[i] == q->skill && c->spans[i].off != q->offset)
			printf("%zu\t%zu\t%zu\trequirement\n", c->line, c->spans[i].off,
			       c->spans[i].len);
	return 0;
}

/* -L: every line of text on its own, through the matcher, the phrase finder and the tagger. */
static int lines_mode(const struct cv_taxonomy *tax, const struct cv_tagger *tg, char *text)
{
	size_t li = 0;
	for (char *p = text; *p; li++) {
		char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		struct line_ctx c = { .line = li };
		lines_mode_line = li;
		lines_mode_on = true;
		if (cv_taxonomy_find(tax, p, n, false, on_tax_hit, &c))
			return 1;
		if (cv_phrases_find(p, n, on_jd_phrase, &li))
			return 1;
		if (cv_taxonomy_extract_requirements(tax, p, n, on_jd_req, &c))
			return 1;
		struct cv_tag_line l = { p, n, CV_SEC_NONE, false };
		if (cv_tagger_tag(tg, &l, 1, c.spans, c.n, on_line_phrase, &li))
			return 1;
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *tsv_path = NULL, *jd_path = NULL, *tagger_path = NULL;
	bool features = false, lines = false;
	int reps = 1, opt;
	while ((opt = getopt(argc, argv, "t:g:FLj:r:")) != -1) {
		if (opt == 't')
			tsv_path = optarg;
		else if (opt == 'g')
			tagger_path = optarg;
		else if (opt == 'F')
			features = true;
		else if (opt == 'L')
			lines = true;
		else if (opt == 'j')
			jd_path = optarg;
		else if (opt == 'r')
			reps = (int)strtol(optarg, NULL, 10) > 0 ? (int)strtol(optarg, NULL, 10) : 1;
		else
			return 2;
	}
	struct cv_taxonomy tax = { 0 };
	bool have_tax = false;
	if (tsv_path) {
		size_t n;
		char *tsv = slurp(tsv_path, &n);
		char err[256] = "";
		if (!tsv || cv_taxonomy_load(&tax, tsv, n, err, sizeof err)) {
			fprintf(stderr, "cannot load %s %s\n", tsv_path, err);
			return 1;
		}
		free(tsv);
		have_tax = true;
	}
	struct cv_tagger tagger = { 0 };
	if (tagger_path) {
		size_t n;
		char *tsv = slurp(tagger_path, &n);
		char err[256] = "";
		if (!tsv || cv_tagger_load(&tagger, tsv, n, err, sizeof err)) {
			fprintf(stderr, "cannot load %s %s\n", tagger_path, err);
			return 1;
		}
		free(tsv);
	}
	if (features) {
		tagger.trace = trace_token;
		tagger.trace_ctx = NULL;
	}
	if (tagger_path || features)
		tax.tagger = &tagger;
	size_t jn;
	char *jd = jd_path ? slurp(jd_path, &jn) : NULL;
	double *times = calloc((size_t)reps, sizeof *times);
	for (int i = optind; i < argc; i++) {
		size_t n;
		char *text = slurp(argv[i], &n);
		if (!text) {
			fprintf(stderr, "cannot read %s\n", argv[i]);
			return 1;
		}
		if (lines) {
			if (!have_tax || lines_mode(&tax, &tagger, text))
				return 1;
			free(text);
			continue;
		}
		const char *pages[64];
		size_t np = 0;
		for (char *p = text; np < 64;) {
			pages[np++] = p;
			char *ff = strchr(p, '\f');
			if (!ff)
				break;
			*ff = '\0';
			p = ff + 1;
		}
		struct cv_requirements q;
		cv_requirements_init(&q);
		struct cv_input in = { .pages = pages,
			               .n_pages = np,
			               .job_description = jd,
			               .req = &q,
			               .as_of = 20454, /* 2026-01-01 */
			               .taxonomy = have_tax ? &tax : NULL };
		if (features)
			printf("F\t%s\n", argv[i]);
		struct cv_result r;
		for (int k = 0; k < reps; k++) {
			double t0 = now_ms();
			if (cv_match(&in, &r)) {
				fprintf(stderr, "cv_match failed on %s\n", argv[i]);
				return 1;
			}
			times[k] = now_ms() - t0;
			if (k + 1 < reps)
				cv_result_release(&r);
		}
		if (features) {
			cv_result_release(&r);
			cv_requirements_release(&q);
			free(text);
			continue;
		}
		qsort(times, (size_t)reps, sizeof *times, cmp_double);
		/* The skills as the CV writes them (not part of the API's result). */
		json_t *written = json_array();
		for (size_t k = 0; k < r.n_skills; k++)
			json_array_append_new(written, json_string(r.skills[k].as_written[0]
			                                                   ? r.skills[k].as_written
			                                                   : r.skills[k].name));
		json_t *o = json_pack("{s:s,s:f,s:o,s:o}", "file", argv[i], "ms", times[reps / 2],
		                      "result", cv_result_to_json(&r), "skills_as_written", written);
		char *s = json_dumps(o, JSON_COMPACT);
		puts(s);
		free(s);
		json_decref(o);
		cv_result_release(&r);
		cv_requirements_release(&q);
		free(text);
	}
	free(times);
	free(jd);
	cv_taxonomy_release(&tax);
	cv_tagger_release(&tagger);
	return 0;
}
