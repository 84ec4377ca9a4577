/*
 * cv_eval_driver: runs the CV engine (cv_match, no requirements) on plain-text CVs and prints
 * one JSON object per file on stdout: {"file", "ms", "result", "skills_as_written"} where result
 * is the API's result object (cv_result_to_json) and skills_as_written lists, for each of
 * result.skills_found in order, its first mention as written in the text (the name when the
 * engine has none). Used by bench/cv_eval.sh and bench/cv_speed.sh; built
 * against build/libmatchd.a by those scripts.
 *
 * Usage: cv_eval_driver [-t skills.tsv] [-j job_description.txt] [-r N] file.txt...
 *   -t  load the taxonomy (without it: the built-in skill table)
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
	const char *tsv_path = NULL, *jd_path = NULL;
	int reps = 1, opt;
	while ((opt = getopt(argc, argv, "t:j:r:")) != -1) {
		if (opt == 't')
			tsv_path = optarg;
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
	return 0;
}
