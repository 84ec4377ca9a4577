/*
 * cv_sandbox_bench: the time the server takes to extract the text of a PDF, measured the way the
 * server does it: sandbox_extract_pdf (src/jobs/sandbox.h) with the default limits, through a
 * warm fork server started from the matchd binary, so each call pays a fork, the pipes, the
 * extraction in the limited child and the framing back. Used by bench/cv_extract.sh.
 *
 * Usage: cv_sandbox_bench MATCHD_BIN RUNS file.pdf...
 * Prints one line per file: "<file><TAB><median ms over RUNS calls>". One untimed call first
 * starts the fork server.
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "base/common.h"
#include "jobs/sandbox.h"

static double now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	char *data = malloc(16u << 20);
	*n = data ? fread(data, 1, 16u << 20, f) : 0;
	fclose(f);
	return data;
}

/* One extraction; returns its wall time in ms, or a negative value on failure. */
static double extract_once(const char *bin, const char *pdf, size_t len)
{
	struct cv_pages p;
	cv_pages_init(&p);
	char err[256];
	double t0 = now_ms();
	int rc = sandbox_extract_pdf(bin, pdf, len, NULL, &p, err, sizeof err);
	double ms = now_ms() - t0;
	cv_pages_release(&p);
	if (rc)
		fprintf(stderr, "%s\n", err);
	return rc ? -1 : ms;
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: cv_sandbox_bench MATCHD_BIN RUNS file.pdf...\n");
		return 2;
	}
	const char *bin = argv[1];
	long runs = strtol(argv[2], NULL, 10);
	if (runs < 1 || runs > 1000)
		runs = 7;
	double *ms = calloc((size_t)runs, sizeof *ms);
	if (!ms)
		return 1;
	for (int i = 3; i < argc; i++) {
		size_t len = 0;
		char *pdf = slurp(argv[i], &len);
		if (!pdf || extract_once(bin, pdf, len) < 0) {
			fprintf(stderr, "%s: cannot extract\n", argv[i]);
			free(pdf);
			return 1;
		}
		for (long k = 0; k < runs; k++)
			ms[k] = extract_once(bin, pdf, len);
		qsort(ms, (size_t)runs, sizeof *ms, cmp_double);
		printf("%s\t%.2f\n", argv[i], ms[runs / 2]);
		free(pdf);
	}
	free(ms);
	return 0;
}
