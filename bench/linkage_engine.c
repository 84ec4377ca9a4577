/*
 * linkage_engine: an offline evaluation and speed driver for the linkage engine (lk_run with
 * smart = true), on the labelled FEBRL datasets of ../shared/data/linkage. No labels reach the
 * engine; they only score its output. Prints name=value lines.
 *
 *   linkage_engine febrl4|febrl3|febrl2|febrl1|transactions [threads] [datadir] [repeat]
 *                  [one_to_one|best_match|all_above_threshold]
 *
 * The link type (default one_to_one) applies to the link runs (febrl4, transactions); the
 * others exercise the assignment's paths for the result digest (F1 is scored as one_to_one).
 *
 * transactions: splink's transactions_origin -> transactions_destination one_to_one (memo
 * jaro_winkler, transaction_date date, amount numeric); truth: equal ground_truth; datadir
 * defaults to ../shared/data/linkage/splink_datasets.
 *
 * FEBRL4 links dataset4a -> dataset4b one_to_one (truth: rec-N-org <-> rec-N-dup-0); the others
 * are dedupe runs scored pairwise (truth: every pair of rows with the same N; predicted: every
 * pair of rows in one cluster).
 */
#include "base/common.h"

#include <time.h>

#include "engines/linkage/csv.h"
#include "engines/linkage/linkage.h"
#include "engines/linkage/table.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int load(const char *path, struct lk_table *t)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "cannot open %s\n", path);
		return -1;
	}
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *data = md_malloc((size_t)n + 1);
	if (!data || fread(data, 1, (size_t)n, f) != (size_t)n) {
		fclose(f);
		md_free(data);
		return -1;
	}
	fclose(f);
	struct lk_csv_error err = { 0 };
	lk_table_init(t);
	int rc = lk_csv_parse(data, (size_t)n, NULL, t, &err);
	md_free(data);
	if (rc)
		fprintf(stderr, "%s: line %zu: %s\n", path, err.line, err.message);
	return rc;
}

/* The N of rec-N-org / rec-N-dup-k, or -1. */
static long rec_num(const char *id)
{
	const char *p = strstr(id, "rec-");
	return p ? strtol(p + 4, NULL, 10) : -1;
}

/* CPU time of the calling thread: with threads = 1 the engine runs the stages on it. */
static double cpu_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct timing {
	double t0, t_compare, t_estimate, t_assign, t_done;
	double c_compare, c_estimate; /* the same instants in thread CPU time */
};

static int on_progress(void *ctx, const char *stage, size_t done, size_t total, size_t matched)
{
	struct timing *t = ctx;
	if (strcmp(stage, "blocking") == 0 && !t->t_compare) {
		t->t_compare = now();
		t->c_compare = cpu_now();
	}
	/* The scoring pass (the second comparison) and the assignment report "assign". */
	if (strcmp(stage, "assign") == 0 && !t->t_assign)
		t->t_assign = now();
	if (strcmp(stage, "done") == 0 && !t->t_done)
		t->t_done = now();
	if (strcmp(stage, "estimate") == 0 && !t->t_estimate) {
		t->t_estimate = now();
		t->c_estimate = cpu_now();
	}
	return 0;
}

static void add_field(struct lk_config *c, const struct lk_table *a, const struct lk_table *b,
                      const char *col, enum lk_comparator cmp, bool tf)
{
	struct lk_field *f = &c->fields[c->nfields++];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", col);
	f->in_col = lk_table_col(a, col);
	f->ref_col = lk_table_col(b, col);
	f->cmp = cmp;
	f->tf_adjust = tf;
}

/* The FEBRL fields; levels, blocking and the model are left to the smart run. */
static void febrl_config(struct lk_config *c, const struct lk_table *a, const struct lk_table *b)
{
	memset(c, 0, sizeof(*c));
	add_field(c, a, b, "given_name", LK_CMP_JARO_WINKLER, true);
	add_field(c, a, b, "surname", LK_CMP_JARO_WINKLER, true);
	add_field(c, a, b, "street_number", LK_CMP_LEVENSHTEIN, false);
	add_field(c, a, b, "address_1", LK_CMP_JARO_WINKLER, false);
	add_field(c, a, b, "suburb", LK_CMP_JARO_WINKLER, false);
	add_field(c, a, b, "postcode", LK_CMP_LEVENSHTEIN, false);
	add_field(c, a, b, "state", LK_CMP_EXACT, false);
	add_field(c, a, b, "date_of_birth", LK_CMP_LEVENSHTEIN, false);
	add_field(c, a, b, "soc_sec_id", LK_CMP_LEVENSHTEIN, false);
	c->threshold = 0.5;
}

/* splink transactions; levels, blocking and the model are left to the smart run. */
static void transactions_config(struct lk_config *c, const struct lk_table *a,
                                const struct lk_table *b)
{
	memset(c, 0, sizeof(*c));
	add_field(c, a, b, "memo", LK_CMP_JARO_WINKLER, true);
	add_field(c, a, b, "transaction_date", LK_CMP_DATE, false);
	add_field(c, a, b, "amount", LK_CMP_NUMERIC, false);
	c->threshold = 0.5;
}

static size_t choose2(size_t n)
{
	return n * (n - 1) / 2;
}

static int cmp_pair(const void *x, const void *y)
{
	const long *a = x, *b = y;
	if (a[0] != b[0])
		return a[0] < b[0] ? -1 : 1;
	return (a[1] > b[1]) - (a[1] < b[1]);
}

/* Pairs within groups of sorted keys (k[2*i + which]), or within (cluster, N) groups. */
static size_t group_pairs(long *k, size_t n, bool both)
{
	qsort(k, n, 2 * sizeof(long), cmp_pair);
	size_t pairs = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i;
		while (j < n && k[2 * j] == k[2 * i] && (!both || k[2 * j + 1] == k[2 * i + 1]))
			j++;
		pairs += choose2(j - i);
		i = j;
	}
	return pairs;
}

static void score(const char *name, const struct lk_table *a, const struct lk_table *b,
                  const struct lk_result *res, bool dedupe, double *p, double *r, double *f1)
{
	int ida = lk_table_col(a, "rec_id"), idb = lk_table_col(b, "rec_id");
	size_t tp = 0, pred = 0, truth = 0;
	int gta = lk_table_col(a, "ground_truth"), gtb = lk_table_col(b, "ground_truth");
	if (!dedupe && ida < 0 && gta >= 0 && gtb >= 0) {
		truth = a->nrows;
		for (size_t i = 0; i < res->nrows; i++) {
			const struct lk_row_result *row = &res->rows[i];
			if (!row->matched)
				continue;
			pred++;
			tp += strcmp(a->cells[i * a->ncols + gta],
			             b->cells[row->best.ref_row * b->ncols + gtb]) == 0;
		}
	} else if (!dedupe) {
		for (size_t i = 0; i < a->nrows; i++)
			truth += rec_num(a->cells[i * a->ncols + ida]) >= 0;
		for (size_t i = 0; i < res->nrows; i++) {
			const struct lk_row_result *row = &res->rows[i];
			if (!row->matched)
				continue;
			pred++;
			long x = rec_num(a->cells[i * a->ncols + ida]);
			long y = rec_num(b->cells[row->best.ref_row * b->ncols + idb]);
			tp += x == y;
		}
	} else {
		size_t n = a->nrows;
		long *k = md_malloc(2 * n * sizeof(long));
		for (size_t i = 0; i < n; i++) {
			k[2 * i] = rec_num(a->cells[i * a->ncols + ida]);
			k[2 * i + 1] = 0;
		}
		truth = group_pairs(k, n, false);
		for (size_t i = 0; i < n; i++) {
			k[2 * i] = (long)res->rows[i].cluster;
			k[2 * i + 1] = 0;
		}
		pred = group_pairs(k, n, false);
		for (size_t i = 0; i < n; i++) {
			k[2 * i] = (long)res->rows[i].cluster;
			k[2 * i + 1] = rec_num(a->cells[i * a->ncols + ida]);
		}
		tp = group_pairs(k, n, true);
		md_free(k);
	}
	*p = pred ? (double)tp / (double)pred : 0;
	*r = truth ? (double)tp / (double)truth : 0;
	*f1 = *p + *r > 0 ? 2 * *p * *r / (*p + *r) : 0;
	printf("%s_true_pairs=%zu\n%s_predicted_pairs=%zu\n%s_true_positives=%zu\n", name, truth,
	       name, pred, name, tp);
}

/* FNV-1a over bytes: the digest of a run's whole output, to show a change kept it intact. */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
	const unsigned char *b = p;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static uint64_t pair_digest(uint64_t h, const struct lk_pair *p, size_t nfields)
{
	h = fnv(h, &p->in_row, sizeof(p->in_row));
	h = fnv(h, &p->ref_row, sizeof(p->ref_row));
	h = fnv(h, &p->match_weight, sizeof(p->match_weight));
	h = fnv(h, &p->probability, sizeof(p->probability));
	for (size_t f = 0; f < nfields; f++) {
		h = fnv(h, &p->fields[f].level, sizeof(p->fields[f].level));
		h = fnv(h, &p->fields[f].weight, sizeof(p->fields[f].weight));
	}
	return h;
}

/*
 * Every row's decision, chosen pair, runner-ups, cluster and waterfall (levels and weights,
 * bit for bit), and the model's m and u: equal digests mean the same output.
 */
static uint64_t result_digest(const struct lk_result *res)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < res->nrows; i++) {
		const struct lk_row_result *row = &res->rows[i];
		unsigned char flags = (unsigned char)(row->matched | row->has_best << 1);
		h = fnv(h, &flags, 1);
		h = fnv(h, &row->cluster, sizeof(row->cluster));
		if (row->has_best)
			h = pair_digest(h, &row->best, res->nfields);
		for (size_t k = 0; k < row->ncandidates; k++)
			h = pair_digest(h, &row->candidates[k], res->nfields);
	}
	const struct lk_model *m = &res->model;
	h = fnv(h, &m->prior, sizeof(m->prior));
	for (size_t f = 0; f < res->nfields; f++)
		for (int l = 0; l < m->nlevels[f]; l++)
			h = fnv(h, &m->levels[f][l], sizeof(m->levels[f][l]));
	return h;
}

int main(int argc, char **argv)
{
	const char *which = argc > 1 ? argv[1] : "febrl4";
	int threads = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 1;
	long repeat = argc > 4 ? strtol(argv[4], NULL, 10) : 1;
	if (repeat < 1)
		repeat = 1;
	bool trans = strcmp(which, "transactions") == 0;
	const char *dir = argc > 3 ? argv[3]
	                  : trans  ? "../shared/data/linkage/splink_datasets"
	                           : "../shared/data/linkage/febrl";
	bool dedupe = strcmp(which, "febrl4") != 0 && !trans;
	char pa[512], pb[512];
	if (trans) {
		snprintf(pa, sizeof(pa), "%s/transactions_origin.csv", dir);
		snprintf(pb, sizeof(pb), "%s/transactions_destination.csv", dir);
	} else if (dedupe) {
		snprintf(pa, sizeof(pa), "%s/dataset%s.csv", dir, which + 5);
		snprintf(pb, sizeof(pb), "%s", pa);
	} else {
		snprintf(pa, sizeof(pa), "%s/dataset4a.csv", dir);
		snprintf(pb, sizeof(pb), "%s/dataset4b.csv", dir);
	}
	struct lk_table a, b;
	double t_load = now();
	if (load(pa, &a) || load(pb, &b))
		return 1;
	t_load = now() - t_load;
	struct lk_config cfg;
	if (trans)
		transactions_config(&cfg, &a, &b);
	else
		febrl_config(&cfg, &a, &b);
	cfg.mode = dedupe ? LK_MODE_DEDUPE : LK_MODE_LINK;
	cfg.link_type = LK_ONE_TO_ONE;
	const char *lt = argc > 5 ? argv[5] : "one_to_one";
	if (strcmp(lt, "best_match") == 0)
		cfg.link_type = LK_BEST_MATCH;
	else if (strcmp(lt, "all_above_threshold") == 0)
		cfg.link_type = LK_ALL_ABOVE_THRESHOLD;
	else if (strcmp(lt, "one_to_one") != 0) {
		fprintf(stderr, "unknown link type %s\n", lt);
		return 2;
	}
	struct timing tm = { 0 };
	struct lk_opts opts = { .threads = threads,
		                .smart = true,
		                .seed = 1,
		                .max_candidates = 3,
		                .progress = on_progress,
		                .progress_ctx = &tm };
	struct lk_result res;
	char err[256];
	/* With repeat > 1 the best (smallest) times of that many identical runs are printed. */
	double secs = 0, cmp_secs = 0, cmp_cpu = 0, est_secs = 0, score_secs = 0;
	for (long rep = 0; rep < repeat; rep++) {
		if (rep)
			lk_result_release(&res);
		tm = (struct timing){ 0 };
		tm.t0 = now();
		int rc = lk_run(&cfg, &a, dedupe ? NULL : &b, &opts, &res, err, sizeof(err));
		double s = now() - tm.t0, cs = tm.t_estimate - tm.t_compare;
		if (rc) {
			fprintf(stderr, "lk_run: %s: %s\n", md_strerror(rc), err);
			return 1;
		}
		if (rep == 0 || s < secs)
			secs = s;
		if (rep == 0 || cs < cmp_secs)
			cmp_secs = cs;
		if (rep == 0 || tm.t_assign - tm.t_estimate < est_secs)
			est_secs = tm.t_assign - tm.t_estimate;
		if (rep == 0 || tm.t_done - tm.t_assign < score_secs)
			score_secs = tm.t_done - tm.t_assign;
		if (rep == 0 || tm.c_estimate - tm.c_compare < cmp_cpu)
			cmp_cpu = tm.c_estimate - tm.c_compare;
	}
	double p, r, f1;
	score(which, &a, &b, &res, dedupe, &p, &r, &f1);
	const struct lk_model *m = &res.model;
	printf("%s_rows=%zux%zu\n", which, a.nrows, dedupe ? a.nrows : b.nrows);
	for (size_t k = 0; k < m->nrules; k++) {
		printf("%s_rule_%zu=", which, k + 1);
		for (int j = 0; j < m->rules[k].ncols; j++)
			printf("%s%s%s%s", j ? "+" : "", a.colnames[m->rules[k].in_cols[j]],
			       m->rules[k].key_kind[j] ? ":" : "",
			       m->rules[k].key_kind[j]
			           ? lk_key_kind_name((enum lk_key_kind)m->rules[k].key_kind[j])
			           : "");
		printf(" (%llu new pairs)\n", (unsigned long long)m->rule_pairs[k]);
	}
	printf("%s_prior=%.3g\n%s_em_iterations=%d\n%s_em_converged=%d\n", which, m->prior, which,
	       m->em_iterations, which, m->em_converged);
	printf("%s_estimated_recall=%.4f\n", which, m->estimated_recall);
	printf("%s_precision=%.4f\n%s_recall=%.4f\n%s_f1=%.4f\n", which, p, which, r, which, f1);
	printf("%s_rows_matched=%zu\n", which, res.rows_matched);
	printf("%s_pairs_compared=%llu\n", which, (unsigned long long)m->pairs_compared);
	printf("%s_result_digest=%016llx\n", which, (unsigned long long)result_digest(&res));
	printf("%s_repeat=%ld\n", which, repeat);
	printf("%s_threads=%d\n%s_csv_seconds=%.3f\n%s_seconds=%.3f\n", which, threads, which,
	       t_load, which, secs);
	printf("%s_blocking_compare_seconds=%.3f\n", which, cmp_secs);
	printf("%s_estimate_seconds=%.3f\n%s_score_assign_seconds=%.3f\n", which, est_secs, which,
	       score_secs);
	printf("%s_pairs_per_s_per_core_end_to_end=%.0f\n", which,
	       (double)m->pairs_compared / secs / threads);
	printf("%s_pairs_per_s_per_core_compare=%.0f\n", which,
	       (double)m->pairs_compared / cmp_secs / threads);
	/*
	 * Less sensitive to other processes on a shared machine than the wall clock: pairs per
	 * second of the main thread's CPU time (meaningful with threads = 1 only).
	 */
	if (threads <= 1)
		printf("%s_compare_cpu_seconds=%.4f\n%s_pairs_per_cpu_s_compare=%.0f\n", which,
		       cmp_cpu, which, (double)m->pairs_compared / cmp_cpu);
	double target = dedupe ? 0.98 : 0.99;
	printf("target_%s_f1=%s\n", which, f1 >= target ? "met" : "MISSED");
	lk_result_release(&res);
	lk_table_release(&a);
	lk_table_release(&b);
	return 0;
}
