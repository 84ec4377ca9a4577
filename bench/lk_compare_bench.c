/*
 * bench/lk_compare_bench.c: speed of the linkage engine's kernels, no HTTP, no store.
 * Compiled and run by bench/lk_compare.sh against build/libmatchd.a; runs alone as
 *
 *   build/lk_compare_bench DATA_DIR [--pairs N]
 *
 * DATA_DIR is ../shared/data/linkage. Reads FEBRL4 (dataset4a.csv, dataset4b.csv) with
 * lk_csv_parse, then compares given names of N pairs (default 20 million): every row of 4a
 * against a stride of rows of 4b, so most pairs disagree as blocked pairs mostly do, plus the
 * true pairs. Prints name=value lines:
 *   csv_mb_per_s          parsing a ~64 MB FEBRL-shaped buffer (4a's rows repeated)
 *   jaro_winkler_pairs_per_s, osa2_pairs_per_s (bounded at 2), token_set_pairs_per_s
 *   jaro_winkler_prepared_pairs_per_s, osa2_prepared_pairs_per_s: the same pairs on cells
 *   prepared once (lk_prep_build), as the engine's compare stage runs them
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/common.h"
#include "engines/linkage/compare.h"
#include "engines/linkage/csv.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *data = malloc((size_t)size + 1);
	if (!data || fread(data, 1, (size_t)size, f) != (size_t)size) {
		fclose(f);
		free(data);
		return NULL;
	}
	fclose(f);
	*n = (size_t)size;
	return data;
}

static int load(const char *dir, const char *name, struct lk_table *t, char **raw, size_t *n)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/febrl/%s", dir, name);
	*raw = slurp(path, n);
	if (!*raw) {
		fprintf(stderr, "cannot read %s\n", path);
		return 1;
	}
	struct lk_csv_error err;
	lk_table_init(t);
	if (lk_csv_parse(*raw, *n, NULL, t, &err)) {
		fprintf(stderr, "%s:%zu: %s\n", path, err.line, err.message);
		return 1;
	}
	return 0;
}

/* The given names (column 1) of t, with their lengths. */
static size_t names(const struct lk_table *t, const char ***v, size_t **len)
{
	*v = malloc(t->nrows * sizeof(char *));
	*len = malloc(t->nrows * sizeof(size_t));
	for (size_t r = 0; r < t->nrows; r++) {
		(*v)[r] = t->cells[r * t->ncols + 1];
		(*len)[r] = strlen((*v)[r]);
	}
	return t->nrows;
}

static void bench_csv(const char *raw, size_t n)
{
	/* Header once, then the data rows repeated up to ~64 MB. */
	const char *body = memchr(raw, '\n', n) + 1;
	size_t hlen = (size_t)(body - raw), blen = n - hlen, reps = (64u << 20) / (blen + 2);
	char *big = malloc(hlen + reps * (blen + 2));
	memcpy(big, raw, hlen);
	size_t k = hlen;
	for (size_t i = 0; i < reps; i++) {
		memcpy(big + k, body, blen);
		k += blen;
		if (big[k - 1] != '\n')
			big[k++] = '\n';
	}
	struct lk_table t;
	struct lk_csv_error err;
	lk_table_init(&t);
	double best = 1e9;
	for (int round = 0; round < 3; round++) {
		double t0 = now_s();
		if (lk_csv_parse(big, k, NULL, &t, &err)) {
			fprintf(stderr, "csv: %zu: %s\n", err.line, err.message);
			exit(1);
		}
		double dt = now_s() - t0;
		best = dt < best ? dt : best;
		lk_table_release(&t);
	}
	printf("csv_bytes=%zu\ncsv_seconds=%.3f\ncsv_mb_per_s=%.0f\n", k, best,
	       (double)k / 1e6 / best);
	free(big);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s DATA_DIR [--pairs N]\n", argv[0]);
		return 2;
	}
	size_t pairs = 20000000;
	if (argc >= 4 && strcmp(argv[2], "--pairs") == 0)
		pairs = strtoul(argv[3], NULL, 10);
	struct lk_table a, b;
	char *ra, *rb;
	size_t na, nb;
	if (load(argv[1], "dataset4a.csv", &a, &ra, &na) ||
	    load(argv[1], "dataset4b.csv", &b, &rb, &nb))
		return 1;
	bench_csv(ra, na);

	const char **va, **vb;
	size_t *la, *lb;
	size_t ra_n = names(&a, &va, &la), rb_n = names(&b, &vb, &lb);
	volatile double sink = 0;
	double t0 = now_s();
	for (size_t p = 0; p < pairs; p++) {
		size_t i = p % ra_n, j = (p / ra_n * 7919 + i) % rb_n;
		sink += lk_jaro_winkler(va[i], la[i], vb[j], lb[j]);
	}
	double dt = now_s() - t0;
	printf("pairs=%zu\njaro_winkler_seconds=%.3f\njaro_winkler_pairs_per_s=%.0f\n", pairs, dt,
	       (double)pairs / dt);
	t0 = now_s();
	long dsum = 0;
	for (size_t p = 0; p < pairs; p++) {
		size_t i = p % ra_n, j = (p / ra_n * 7919 + i) % rb_n;
		dsum += lk_osa_distance(va[i], la[i], vb[j], lb[j], 2);
	}
	dt = now_s() - t0;
	printf("osa2_seconds=%.3f\nosa2_pairs_per_s=%.0f\n", dt, (double)pairs / dt);
	/* The same pairs, prepared once as the engine prepares its compared columns. */
	struct lk_prep pa, pb;
	if (lk_prep_build(&pa, &a, (const int[]){ 1 }, 1) ||
	    lk_prep_build(&pb, &b, (const int[]){ 1 }, 1)) {
		fprintf(stderr, "lk_prep_build failed\n");
		return 1;
	}
	t0 = now_s();
	for (size_t p = 0; p < pairs; p++) {
		size_t i = p % ra_n, j = (p / ra_n * 7919 + i) % rb_n;
		sink += lk_pcell_jaro_winkler(lk_prep_row(&pa, i), lk_prep_row(&pb, j));
	}
	dt = now_s() - t0;
	printf("jaro_winkler_prepared_pairs_per_s=%.0f\n", (double)pairs / dt);
	t0 = now_s();
	for (size_t p = 0; p < pairs; p++) {
		size_t i = p % ra_n, j = (p / ra_n * 7919 + i) % rb_n;
		dsum += lk_pcell_osa_distance(lk_prep_row(&pa, i), lk_prep_row(&pb, j), 2);
	}
	dt = now_s() - t0;
	printf("osa2_prepared_pairs_per_s=%.0f\n", (double)pairs / dt);
	lk_prep_release(&pa);
	lk_prep_release(&pb);
	size_t tp = pairs / 10;
	t0 = now_s();
	for (size_t p = 0; p < tp; p++) {
		size_t i = p % ra_n, j = (p / ra_n * 7919 + i) % rb_n;
		sink += lk_token_set_ratio(va[i], la[i], vb[j], lb[j]);
	}
	dt = now_s() - t0;
	printf("token_set_pairs_per_s=%.0f\n", (double)tp / dt);
	(void)sink;
	(void)dsum;
	lk_table_release(&a);
	lk_table_release(&b);
	free(ra);
	free(rb);
	free(va);
	free(vb);
	free(la);
	free(lb);
	return 0;
}
