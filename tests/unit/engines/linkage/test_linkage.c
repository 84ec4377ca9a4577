/*
 * The linkage engine end to end (src/engines/linkage/linkage.c) on generated people with a
 * known corruption model: each field of an input copy is replaced by a random value with a
 * known probability q, so the true m of exact agreement is about 1 - q.
 */
#include <criterion/criterion.h>

#include <math.h>

#include "base/common.h"
#include "engines/linkage/linkage.h"
#include "engines/linkage/table.h"

enum { NF = 4, NREF = 1500 };
static const double corrupt[NF] = { 0.10, 0.20, 0.15, 0.30 };
static const char *const cols[NF] = { "first", "last", "dob", "id" };

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void random_value(int f, uint64_t *s, char *out, size_t cap)
{
	uint64_t x = rng_next(s);
	switch (f) {
	case 0: snprintf(out, cap, "fn%llu", (unsigned long long)(x % 400)); break;
	case 1: snprintf(out, cap, "sn%llu", (unsigned long long)(x % 700)); break;
	case 2:
		snprintf(out, cap, "19%02llu%02llu%02llu", (unsigned long long)(x % 90),
		         (unsigned long long)(1 + (x >> 8) % 12),
		         (unsigned long long)(1 + (x >> 16) % 28));
		break;
	default: snprintf(out, cap, "%07llu", (unsigned long long)(x % 10000000)); break;
	}
}

/* ref: NREF people; in: a corrupted copy of the first nin of them (row i <-> ref row i). */
static void make_tables(struct lk_table *ref, struct lk_table *in, size_t nin)
{
	uint64_t s = 12345;
	lk_table_init(ref);
	lk_table_init(in);
	cr_assert_eq(lk_table_new(ref, NF, NREF), 0);
	cr_assert_eq(lk_table_new(in, NF, nin), 0);
	for (int f = 0; f < NF; f++) {
		cr_assert_eq(lk_table_set_colname(ref, f, cols[f], strlen(cols[f])), 0);
		cr_assert_eq(lk_table_set_colname(in, f, cols[f], strlen(cols[f])), 0);
	}
	char v[32];
	for (size_t r = 0; r < NREF; r++) {
		for (int f = 0; f < NF; f++) {
			random_value(f, &s, v, sizeof(v));
			cr_assert_eq(lk_table_set(ref, r, f, v, strlen(v)), 0);
			if (r >= nin)
				continue;
			double x = (double)(rng_next(&s) >> 11) / 9007199254740992.0;
			if (x < corrupt[f])
				random_value(f, &s, v, sizeof(v));
			cr_assert_eq(lk_table_set(in, r, f, v, strlen(v)), 0);
		}
	}
}

static void make_config(struct lk_config *c)
{
	memset(c, 0, sizeof(*c));
	c->nfields = NF;
	for (int f = 0; f < NF; f++) {
		snprintf(c->fields[f].name, sizeof(c->fields[f].name), "%s", cols[f]);
		c->fields[f].in_col = c->fields[f].ref_col = f;
		c->fields[f].cmp = LK_CMP_EXACT;
		c->rules[f] = (struct lk_rule){ .in_cols = { f }, .ref_cols = { f }, .ncols = 1 };
	}
	c->nrules = NF;
	c->threshold = 0.5;
	c->link_type = LK_BEST_MATCH;
}

Test(lk_model, em_recovers_m_on_generated_records)
{
	struct lk_table ref, in;
	make_tables(&ref, &in, 1000);
	struct lk_config cfg;
	make_config(&cfg);
	struct lk_opts opts = { .threads = 1, .seed = 7, .max_candidates = 3 };
	struct lk_result res;
	char err[200];
	int rc = lk_run(&cfg, &in, &ref, &opts, &res, err, sizeof(err));
	cr_assert_eq(rc, 0, "lk_run: %d %s", rc, err);
	for (int f = 0; f < NF; f++) {
		double m = res.model.levels[f][1].m, want = 1 - corrupt[f];
		cr_assert(fabs(m - want) < 0.05, "field %s: m(exact) %.3f, truth %.3f", cols[f], m,
		          want);
		cr_assert(res.model.levels[f][1].u < 0.01, "u(exact) %.4f",
		          res.model.levels[f][1].u);
	}
	double prior = 1000.0 / (1000.0 * NREF);
	cr_assert(res.model.prior > prior / 2 && res.model.prior < prior * 2, "prior %g",
	          res.model.prior);
	/* best_match: the best pair of each row is its highest-weighted candidate. */
	size_t correct = 0;
	for (size_t i = 0; i < res.nrows; i++) {
		const struct lk_row_result *row = &res.rows[i];
		if (!row->has_best)
			continue;
		for (size_t k = 0; k < row->ncandidates; k++)
			cr_assert(row->candidates[k].match_weight <= row->best.match_weight);
		correct += row->matched && row->best.ref_row == i;
	}
	cr_assert(correct > 950, "only %zu correct links", correct);
	cr_assert_eq(res.model.nrules, NF);
	lk_result_release(&res);
	lk_table_release(&ref);
	lk_table_release(&in);
}

static bool same_result(const struct lk_result *a, const struct lk_result *b)
{
	if (a->nrows != b->nrows || a->rows_matched != b->rows_matched ||
	    a->model.pairs_compared != b->model.pairs_compared || a->model.prior != b->model.prior)
		return false;
	for (size_t i = 0; i < a->nrows; i++) {
		const struct lk_row_result *x = &a->rows[i], *y = &b->rows[i];
		if (x->has_best != y->has_best || x->matched != y->matched ||
		    x->ncandidates != y->ncandidates)
			return false;
		if (x->has_best && (x->best.ref_row != y->best.ref_row ||
		                    x->best.match_weight != y->best.match_weight))
			return false;
		for (size_t k = 0; k < x->ncandidates; k++)
			if (x->candidates[k].ref_row != y->candidates[k].ref_row)
				return false;
	}
	return true;
}

Test(lk_model, deterministic_across_runs_and_threads)
{
	struct lk_table ref, in;
	make_tables(&ref, &in, 800);
	struct lk_config cfg;
	make_config(&cfg);
	cfg.link_type = LK_ONE_TO_ONE;
	struct lk_opts o1 = { .threads = 1, .seed = 99, .smart = true, .max_candidates = 2 };
	struct lk_opts o2 = o1;
	o2.threads = 2;
	cfg.nrules = 0; /* the smart run chooses */
	struct lk_result a, b, c;
	char err[200];
	cr_assert_eq(lk_run(&cfg, &in, &ref, &o1, &a, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(lk_run(&cfg, &in, &ref, &o1, &b, err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(lk_run(&cfg, &in, &ref, &o2, &c, err, sizeof(err)), 0, "%s", err);
	cr_assert(same_result(&a, &b), "two runs with one seed differ");
	cr_assert(same_result(&a, &c), "one and two threads differ");
	cr_assert(a.model.nrules > 0);
	/* one_to_one: no reference row twice. */
	bool *used = md_calloc(NREF, 1);
	for (size_t i = 0; i < a.nrows; i++) {
		if (!a.rows[i].matched)
			continue;
		cr_assert(!used[a.rows[i].best.ref_row], "reference row %zu used twice",
		          a.rows[i].best.ref_row);
		used[a.rows[i].best.ref_row] = true;
	}
	md_free(used);
	lk_result_release(&a);
	lk_result_release(&b);
	lk_result_release(&c);
	lk_table_release(&ref);
	lk_table_release(&in);
}

static int cancel_at_compare(void *ctx, const char *stage, size_t done, size_t total,
                             size_t matched)
{
	int *calls = ctx;
	(*calls)++;
	return strcmp(stage, "compare") == 0;
}

Test(lk_model, cancellation_stops_the_run)
{
	struct lk_table ref, in;
	make_tables(&ref, &in, 500);
	struct lk_config cfg;
	make_config(&cfg);
	int calls = 0;
	struct lk_opts o = { .threads = 2, .progress = cancel_at_compare, .progress_ctx = &calls };
	struct lk_result res;
	char err[200];
	cr_assert_eq(lk_run(&cfg, &in, &ref, &o, &res, err, sizeof(err)), MD_ECANCELED);
	cr_assert(calls >= 1);
	cr_assert_null(res.rows);
	lk_table_release(&ref);
	lk_table_release(&in);
}

Test(lk_model, bad_config_names_the_field)
{
	struct lk_table ref, in;
	make_tables(&ref, &in, 50);
	struct lk_config cfg;
	make_config(&cfg);
	cfg.fields[2].ref_col = 9;
	struct lk_result res;
	char err[200] = "";
	cr_assert_eq(lk_run(&cfg, &in, &ref, NULL, &res, err, sizeof(err)), MD_EINVAL);
	cr_assert(strstr(err, "\"dob\""), "message: %s", err);
	make_config(&cfg);
	cfg.rules[1].in_cols[0] = -1;
	cr_assert_eq(lk_run(&cfg, &in, &ref, NULL, &res, err, sizeof(err)), MD_EINVAL);
	cr_assert(strstr(err, "blocking rule 2"), "message: %s", err);
	lk_table_release(&ref);
	lk_table_release(&in);
}

Test(lk_model, dedupe_clusters_and_names)
{
	struct lk_table ref, in;
	make_tables(&ref, &in, 10);
	lk_table_release(&in);
	lk_table_release(&ref);
	/* Dedupe the reference table with 10 corrupted copies appended: rows r and NREF + r. */
	struct lk_table both;
	make_tables(&ref, &in, 300);
	lk_table_init(&both);
	cr_assert_eq(lk_table_new(&both, NF, NREF + 300), 0);
	for (size_t r = 0; r < NREF + 300; r++)
		for (int f = 0; f < NF; f++) {
			const char *v =
			    r < NREF ? ref.cells[r * NF + f] : in.cells[(r - NREF) * NF + f];
			cr_assert_eq(lk_table_set(&both, r, f, v, strlen(v)), 0);
		}
	struct lk_config cfg;
	make_config(&cfg);
	cfg.mode = LK_MODE_DEDUPE;
	struct lk_opts o = { .threads = 2, .seed = 3, .smart = true };
	cfg.nrules = 0;
	struct lk_result res;
	char err[200];
	cr_assert_eq(lk_run(&cfg, &both, NULL, &o, &res, err, sizeof(err)), 0, "%s", err);
	size_t joined = 0;
	for (size_t r = 0; r < 300; r++)
		joined += res.rows[NREF + r].cluster == r && res.rows[r].cluster == r;
	cr_assert(joined > 280, "only %zu of 300 duplicates clustered", joined);
	lk_result_release(&res);
	lk_table_release(&both);
	lk_table_release(&ref);
	lk_table_release(&in);
	enum lk_comparator c;
	unsigned bit;
	cr_assert(lk_comparator_parse("jaro_winkler", &c) && c == LK_CMP_JARO_WINKLER);
	cr_assert_str_eq(lk_comparator_name(LK_CMP_QGRAM_COSINE), "qgram_cosine");
	cr_assert(!lk_comparator_parse("soundex", &c));
	cr_assert(lk_norm_parse("digits_only", &bit) && bit == LK_NORM_DIGITS_ONLY);
}

/* ---- the waterfall's levels are the comparators' levels of the normalised values ---- */

#include "engines/linkage/compare.h"
#include "engines/linkage/normalize.h"

/* A name-like value: syllables with accents, ß and CJK, sometimes beyond 64 characters. */
static void wf_name(uint64_t *s, char *out, size_t cap)
{
	static const char *const syl[] = {
		"ma", "ri", "AN", "ne", "ö", "ß", "jo", "sé", "日", " "
	};
	uint64_t x = rng_next(s);
	size_t n = x % 16 == 0 ? 30 + (x >> 8) % 20 : 1 + (x >> 8) % 5, len = 0;
	for (size_t k = 0; k < n; k++) {
		const char *p = syl[rng_next(s) % ARRAY_SIZE(syl)];
		if (len + strlen(p) + 1 > cap)
			break;
		memcpy(out + len, p, strlen(p));
		len += strlen(p);
	}
	out[len] = '\0';
}

/* Columns: grp (the blocking key), name, code; the reference spells code "code2". */
static void wf_table(struct lk_table *t, size_t n, uint64_t seed, bool ref)
{
	static const char *const in_cols[] = { "grp", "name", "code" },
	                         *ref_cols[] = { "grp", "code2", "name" };
	const char *const *names = ref ? ref_cols : in_cols;
	lk_table_init(t);
	cr_assert_eq(lk_table_new(t, 3, n), 0);
	for (int c = 0; c < 3; c++)
		cr_assert_eq(lk_table_set_colname(t, c, names[c], strlen(names[c])), 0);
	uint64_t s = seed;
	char v[256];
	for (size_t r = 0; r < n; r++) {
		snprintf(v, sizeof(v), "g%zu", r % 15);
		cr_assert_eq(lk_table_set(t, r, 0, v, strlen(v)), 0);
		wf_name(&s, v, sizeof(v));
		cr_assert_eq(lk_table_set(t, r, ref ? 2 : 1, v, strlen(v)), 0);
		/* One code in ten stays missing (""), for the null level. */
		snprintf(v, sizeof(v), "%llu", (unsigned long long)(rng_next(&s) % 2000));
		if (rng_next(&s) % 10)
			cr_assert_eq(lk_table_set(t, r, ref ? 1 : 2, v, strlen(v)), 0);
	}
}

static void wf_field(struct lk_config *c, const char *name, int ic, int rc, enum lk_comparator cmp,
                     unsigned norm, double t0, double t1)
{
	struct lk_field *f = &c->fields[c->nfields++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	f->in_col = ic;
	f->ref_col = rc;
	f->cmp = cmp;
	f->normalize = norm;
	f->thresholds[0] = t0;
	f->thresholds[1] = t1;
	f->nthresholds = t1 > 0 ? 2 : t0 > 0 ? 1 : 0;
}

static char *wf_norm(const char *s, unsigned flags)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	cr_assert_eq(lk_normalize(s, strlen(s), flags, &b), 0);
	cr_assert_eq(buf_putc(&b, '\0'), 0);
	return buf_take(&b);
}

static void wf_check_pair(const struct lk_config *c, const struct lk_table *in,
                          const struct lk_table *ref, const struct lk_pair *p)
{
	for (size_t f = 0; f < c->nfields; f++) {
		const struct lk_field *fl = &c->fields[f];
		char *a =
		    wf_norm(in->cells[p->in_row * in->ncols + (size_t)fl->in_col], fl->normalize);
		char *b = wf_norm(ref->cells[p->ref_row * ref->ncols + (size_t)fl->ref_col],
		                  fl->normalize);
		int want = lk_compare_level(fl, a, b, NULL);
		cr_assert_eq(p->fields[f].level, want,
		             "field %s, rows %zu/%zu (\"%s\", \"%s\"): %d, want %d", fl->name,
		             p->in_row, p->ref_row, a, b, p->fields[f].level, want);
		free(a);
		free(b);
	}
}

static size_t wf_check(const struct lk_config *c, const struct lk_table *in,
                       const struct lk_table *ref, const struct lk_result *res)
{
	size_t pairs = 0;
	for (size_t i = 0; i < res->nrows; i++) {
		const struct lk_row_result *row = &res->rows[i];
		if (row->has_best) {
			wf_check_pair(c, in, ref, &row->best);
			pairs++;
		}
		for (size_t k = 0; k < row->ncandidates; k++, pairs++)
			wf_check_pair(c, in, ref, &row->candidates[k]);
	}
	return pairs;
}

Test(lk_model, waterfall_levels_are_the_comparators_levels)
{
	struct lk_table in, ref;
	wf_table(&in, 300, 7, false);
	wf_table(&ref, 400, 8, true);
	struct lk_config c;
	memset(&c, 0, sizeof(c));
	unsigned fold = LK_NORM_NFKC_CASEFOLD | LK_NORM_TRIM;
	/* Two comparators on one normalised column, one on the raw column, one across names. */
	wf_field(&c, "name_jw", 1, 2, LK_CMP_JARO_WINKLER, fold, 0.92, 0.8);
	wf_field(&c, "name_osa", 1, 2, LK_CMP_LEVENSHTEIN, fold, 1, 2);
	wf_field(&c, "name_raw", 1, 2, LK_CMP_JARO_WINKLER, 0, 0.9, 0);
	wf_field(&c, "code", 2, 1, LK_CMP_LEVENSHTEIN, 0, 1, 0);
	wf_field(&c, "grp", 0, 0, LK_CMP_EXACT, 0, 0, 0);
	/* The input's name column again, against another reference column. */
	wf_field(&c, "name_code", 1, 1, LK_CMP_JARO_WINKLER, fold, 0.5, 0);
	/* Smart runs give free text a shared-prefix level just below exact. */
	wf_field(&c, "name_jw_prefix", 1, 2, LK_CMP_JARO_WINKLER, fold, 0.92, 0.8);
	c.fields[c.nfields - 1].prefix_level = true;
	wf_field(&c, "name_osa_prefix", 1, 2, LK_CMP_LEVENSHTEIN, fold, 1, 2);
	c.fields[c.nfields - 1].prefix_level = true;
	c.rules[0] = (struct lk_rule){ .in_cols = { 0 }, .ref_cols = { 0 }, .ncols = 1 };
	c.nrules = 1;
	c.threshold = 0.5;
	c.link_type = LK_BEST_MATCH;
	struct lk_opts o = { .threads = 2, .seed = 1, .max_candidates = 5 };
	struct lk_result res;
	char err[200];
	cr_assert_eq(lk_run(&c, &in, &ref, &o, &res, err, sizeof(err)), 0, "%s", err);
	size_t n = wf_check(&c, &in, &ref, &res);
	cr_assert_gt(n, 1000, "only %zu pairs checked", n);
	lk_result_release(&res);
	/* Dedupe: the input table against itself. */
	for (size_t f = 0; f < c.nfields; f++)
		c.fields[f].ref_col = c.fields[f].in_col;
	c.mode = LK_MODE_DEDUPE;
	cr_assert_eq(lk_run(&c, &in, NULL, &o, &res, err, sizeof(err)), 0, "%s", err);
	n = wf_check(&c, &in, &in, &res);
	cr_assert_gt(n, 1000, "only %zu pairs checked", n);
	lk_result_release(&res);
	lk_table_release(&in);
	lk_table_release(&ref);
}

/*
 * Many chunks: ref and in of n people each (in a corrupted copy of ref) with a fifth column
 * "grp" of ngroups values, so a rule on it yields n * n / ngroups candidate pairs, far more
 * than one chunk of the engine (32,768 pairs).
 */
static void make_grouped(struct lk_table *ref, struct lk_table *in, size_t n, size_t ngroups)
{
	uint64_t s = 777;
	lk_table_init(ref);
	lk_table_init(in);
	cr_assert_eq(lk_table_new(ref, NF + 1, n), 0);
	cr_assert_eq(lk_table_new(in, NF + 1, n), 0);
	for (int f = 0; f <= NF; f++) {
		const char *nm = f < NF ? cols[f] : "grp";
		cr_assert_eq(lk_table_set_colname(ref, f, nm, strlen(nm)), 0);
		cr_assert_eq(lk_table_set_colname(in, f, nm, strlen(nm)), 0);
	}
	char v[32];
	for (size_t r = 0; r < n; r++) {
		for (int f = 0; f < NF; f++) {
			random_value(f, &s, v, sizeof(v));
			cr_assert_eq(lk_table_set(ref, r, f, v, strlen(v)), 0);
			double x = (double)(rng_next(&s) >> 11) / 9007199254740992.0;
			if (x < corrupt[f])
				random_value(f, &s, v, sizeof(v));
			cr_assert_eq(lk_table_set(in, r, f, v, strlen(v)), 0);
		}
		snprintf(v, sizeof(v), "g%zu", r % ngroups);
		cr_assert_eq(lk_table_set(ref, r, NF, v, strlen(v)), 0);
		cr_assert_eq(lk_table_set(in, r, NF, v, strlen(v)), 0);
	}
}

/* Fields first, last, dob (Levenshtein), id; rules on grp (coarse) and id. */
static void make_grouped_config(struct lk_config *c)
{
	make_config(c);
	c->fields[0].tf_adjust = c->fields[1].tf_adjust = true;
	c->fields[2].cmp = LK_CMP_LEVENSHTEIN;
	c->rules[0] = (struct lk_rule){ .in_cols = { NF }, .ref_cols = { NF }, .ncols = 1 };
	c->rules[1] = (struct lk_rule){ .in_cols = { 3 }, .ref_cols = { 3 }, .ncols = 1 };
	c->nrules = 2;
	c->link_type = LK_ONE_TO_ONE;
}

struct progress_log {
	int stage[4096];
	size_t done[4096], total[4096];
	int n;
	bool cancel_in_assign; /* return nonzero at the first mid-pass "assign" event */
	bool canceled;
	int after_cancel; /* events the engine reported after it was told to stop */
};

static int stage_rank(const char *stage)
{
	static const char *const order[] = { "normalize", "blocking", "compare",
		                             "estimate",  "assign",   "done" };
	for (int k = 0; k < 6; k++)
		if (strcmp(stage, order[k]) == 0)
			return k;
	return -1;
}

static int log_progress(void *ctx, const char *stage, size_t done, size_t total, size_t matched)
{
	struct progress_log *p = ctx;
	if (p->canceled) {
		p->after_cancel++;
		return 1;
	}
	if (p->n < 4096) {
		p->stage[p->n] = stage_rank(stage);
		p->done[p->n] = done;
		p->total[p->n] = total;
		p->n++;
	}
	if (p->cancel_in_assign && strcmp(stage, "assign") == 0 && done > 0 && done < total) {
		p->canceled = true;
		return 1;
	}
	return 0;
}

Test(lk_model, progress_is_ordered_and_monotone_over_many_chunks)
{
	struct lk_table ref, in;
	make_grouped(&ref, &in, 1500, 2);
	struct lk_config cfg;
	make_grouped_config(&cfg);
	struct progress_log log = { 0 };
	struct lk_opts o = {
		.threads = 2, .seed = 3, .progress = log_progress, .progress_ctx = &log
	};
	struct lk_result res;
	char err[200];
	cr_assert_eq(lk_run(&cfg, &in, &ref, &o, &res, err, sizeof(err)), 0, "%s", err);
	cr_assert(res.model.pairs_compared > 10 * 32768, "%llu pairs: too few chunks",
	          (unsigned long long)res.model.pairs_compared);
	int mid_assign = 0, mid_compare = 0;
	for (int k = 0; k < log.n; k++) {
		cr_assert(log.stage[k] >= 0, "event %d: unknown stage", k);
		cr_assert(log.done[k] <= log.total[k]);
		mid_assign += log.stage[k] == 4 && log.done[k] > 0 && log.done[k] < log.total[k];
		mid_compare += log.stage[k] == 2 && log.done[k] > 0 && log.done[k] < log.total[k];
		if (k == 0)
			continue;
		cr_assert(log.stage[k] >= log.stage[k - 1], "event %d: stage goes back", k);
		cr_assert(log.stage[k] != log.stage[k - 1] || log.done[k] >= log.done[k - 1],
		          "event %d: progress goes back within a stage", k);
	}
	/* Both passes report their chunks as they go, and the run ends with "done". */
	cr_assert(mid_compare > 0 && mid_assign > 0, "compare %d, assign %d", mid_compare,
	          mid_assign);
	cr_assert_eq(log.stage[log.n - 1], 5);
	lk_result_release(&res);
	lk_table_release(&ref);
	lk_table_release(&in);
}

Test(lk_model, cancellation_in_the_scoring_pass_stops_the_run)
{
	struct lk_table ref, in;
	make_grouped(&ref, &in, 1500, 2);
	struct lk_config cfg;
	make_grouped_config(&cfg);
	for (int threads = 1; threads <= 2; threads++) {
		struct progress_log log = { .cancel_in_assign = true };
		struct lk_opts o = { .threads = threads,
			             .progress = log_progress,
			             .progress_ctx = &log };
		struct lk_result res;
		char err[200];
		cr_assert_eq(lk_run(&cfg, &in, &ref, &o, &res, err, sizeof(err)), MD_ECANCELED);
		cr_assert(log.canceled, "the scoring pass reported no progress between chunks");
		cr_assert_eq(log.after_cancel, 0, "%d events after the cancellation",
		             log.after_cancel);
		cr_assert_null(res.rows);
	}
	lk_table_release(&ref);
	lk_table_release(&in);
}

/*
 * The scoring pass keeps only the weights; the result's waterfall is compared again. Its
 * levels must be the ones scored: prior + the field weights gives back the match weight, bit
 * for bit (the same sum in the same order). Checked for one_to_one and all_above_threshold
 * links (a pair compared the wrong way round fails here) and for dedupe with term frequencies,
 * where each pair is reported for both of its rows.
 */
Test(lk_model, waterfall_adds_up_to_the_scored_weight)
{
	struct lk_table ref, in;
	make_grouped(&ref, &in, 1200, 3);
	struct lk_config cfg;
	make_grouped_config(&cfg);
	for (int mode = 0; mode < 3; mode++) {
		cfg.mode = mode == 2 ? LK_MODE_DEDUPE : LK_MODE_LINK;
		cfg.link_type = mode == 0 ? LK_ONE_TO_ONE : LK_ALL_ABOVE_THRESHOLD;
		struct lk_opts o = { .threads = 2, .seed = 5, .max_candidates = 3 };
		struct lk_result res;
		char err[200];
		cr_assert_eq(lk_run(&cfg, &in, mode == 2 ? NULL : &ref, &o, &res, err, sizeof(err)),
		             0, "%s", err);
		double prior = res.model.prior, pl = log2(prior / (1 - prior));
		size_t checked = 0, swapped = 0;
		for (size_t i = 0; i < res.nrows; i++) {
			const struct lk_row_result *row = &res.rows[i];
			for (size_t k = 0; row->has_best && k <= row->ncandidates; k++) {
				const struct lk_pair *p = k ? &row->candidates[k - 1] : &row->best;
				double w = pl;
				for (size_t f = 0; f < res.nfields; f++)
					w += p->fields[f].weight;
				cr_assert_eq(w, p->match_weight,
				             "mode %d row %zu pair %zu: %.17g != %.17g", mode, i, k,
				             w, p->match_weight);
				cr_assert_eq(p->in_row, i);
				checked++;
				swapped += p->ref_row < i;
			}
		}
		cr_assert(checked > res.nrows, "mode %d: %zu pairs checked", mode, checked);
		if (mode == 2)
			cr_assert(swapped > 0, "no dedupe pair reported for its larger row");
		lk_result_release(&res);
	}
	lk_table_release(&ref);
	lk_table_release(&in);
}

/*
 * Sharing a run with helpers (lk_opts.share, lk_help). The callbacks here keep the shared
 * state in memory under a mutex, as the store does in its tables: units with owners, parts,
 * and dead owners whose units anyone may take over (an expired lease). The run waits until
 * the live helper has claimed a unit of each pass, so the helper really computes part of it.
 */
#include <pthread.h>
#include <unistd.h>

enum { FS_UNITS = 512, FS_NODES = 4 };

struct fs_part {
	int owner;
	void *p;
	size_t n;
};

struct fs_pass {
	bool open;
	void *plan;
	size_t plan_len, nunits;
	int owner[FS_UNITS];
	bool done[FS_UNITS];
	struct fs_part parts[FS_NODES];
	int nparts, helper_claims;
};

struct fake_share {
	pthread_mutex_t mu;
	struct fs_pass pass[2];
	bool ended;
	bool dead[FS_NODES];
	int submitted[2];
};

struct fs_node {
	struct fake_share *fs;
	int id;        /* 0: the run */
	int die_after; /* a helper that stops (crashes) at this claim, 0: never */
	int claims;
	struct lk_share sh;
};

static int fs_open(void *ctx, int pass, size_t nunits, const void *plan, size_t len, uint64_t pairs)
{
	struct fs_node *n = ctx;
	struct fs_pass *p = &n->fs->pass[pass];
	cr_assert(nunits <= FS_UNITS && nunits > 1, "%zu units", nunits);
	pthread_mutex_lock(&n->fs->mu);
	p->plan = md_malloc(len);
	memcpy(p->plan, plan, len);
	p->plan_len = len;
	p->nunits = nunits;
	for (size_t u = 0; u < nunits; u++)
		p->owner[u] = -1;
	p->open = true;
	pthread_mutex_unlock(&n->fs->mu);
	return 1;
}

static bool fs_helper_alive(const struct fake_share *fs)
{
	return !fs->dead[1] && !fs->ended;
}

static int fs_claim(void *ctx, int pass, size_t *unit)
{
	struct fs_node *n = ctx;
	struct fake_share *fs = n->fs;
	struct fs_pass *p = &fs->pass[pass];
	pthread_mutex_lock(&fs->mu);
	if (n->die_after && ++n->claims >= n->die_after) {
		fs->dead[n->id] = true;
		pthread_mutex_unlock(&fs->mu);
		return MD_ECANCELED;
	}
	/* The run lets the helper in first (a helper that has not submitted pass 0 yet). */
	bool gate = n->id == 0 && p->helper_claims == 0 && fs_helper_alive(fs) &&
	            !(pass == 0 && fs->submitted[0]);
	int rc = LK_SHARE_NONE;
	for (size_t u = 0; u < p->nunits && !gate; u++) {
		int o = p->owner[u];
		if (o == -1 || (o > 0 && fs->dead[o] && !p->done[u])) {
			p->owner[u] = n->id;
			p->helper_claims += n->id != 0;
			*unit = u;
			rc = LK_SHARE_GOT;
			break;
		}
	}
	for (size_t u = 0; rc == LK_SHARE_NONE && u < p->nunits; u++)
		if (!p->done[u] && p->owner[u] != n->id)
			rc = LK_SHARE_WAIT;
	if (gate)
		rc = LK_SHARE_WAIT;
	pthread_mutex_unlock(&fs->mu);
	if (rc == LK_SHARE_WAIT)
		usleep(500);
	return rc;
}

static int fs_parts(void *ctx, int pass, int (*merge)(void *, const void *, size_t), void *mctx)
{
	struct fs_node *n = ctx;
	struct fs_pass *p = &n->fs->pass[pass];
	for (int k = 0; k < p->nparts; k++) {
		int rc = merge(mctx, p->parts[k].p, p->parts[k].n);
		if (rc)
			return rc;
	}
	return 0;
}

static int fs_plan(void *ctx, int pass, const void **plan, size_t *len)
{
	struct fs_node *n = ctx;
	for (;;) {
		pthread_mutex_lock(&n->fs->mu);
		struct fs_pass *p = &n->fs->pass[pass];
		bool open = p->open, ended = n->fs->ended;
		*plan = p->plan;
		*len = p->plan_len;
		pthread_mutex_unlock(&n->fs->mu);
		if (open)
			return 0;
		if (ended)
			return 1;
		usleep(500);
	}
}

static int fs_submit(void *ctx, int pass, size_t nclaimed, const void *part, size_t len)
{
	struct fs_node *n = ctx;
	struct fs_pass *p = &n->fs->pass[pass];
	pthread_mutex_lock(&n->fs->mu);
	size_t mine = 0;
	for (size_t u = 0; u < p->nunits; u++)
		mine += p->owner[u] == n->id && !p->done[u];
	int rc = MD_ECONFLICT;
	if (mine == nclaimed && p->nparts < FS_NODES) {
		for (size_t u = 0; u < p->nunits; u++)
			p->done[u] |= p->owner[u] == n->id;
		struct fs_part *pt = &p->parts[p->nparts++];
		pt->owner = n->id;
		pt->p = md_malloc(len);
		memcpy(pt->p, part, len);
		pt->n = len;
		n->fs->submitted[pass]++;
		rc = 0;
	}
	pthread_mutex_unlock(&n->fs->mu);
	return rc;
}

static void fs_node_init(struct fs_node *n, struct fake_share *fs, int id, uint64_t unit_pairs)
{
	*n = (struct fs_node){ .fs = fs, .id = id };
	n->sh = (struct lk_share){ .ctx = n,
		                   .unit_pairs = unit_pairs,
		                   .open = fs_open,
		                   .claim = fs_claim,
		                   .parts = fs_parts,
		                   .plan = fs_plan,
		                   .submit = fs_submit };
}

static void fs_release(struct fake_share *fs)
{
	for (int p = 0; p < 2; p++) {
		md_free(fs->pass[p].plan);
		for (int k = 0; k < fs->pass[p].nparts; k++)
			md_free(fs->pass[p].parts[k].p);
	}
	pthread_mutex_destroy(&fs->mu);
}

struct helper_arg {
	const struct lk_config *cfg;
	const struct lk_table *in, *ref;
	struct lk_opts opts;
	int rc;
	char err[200];
};

static void *helper_main(void *arg)
{
	struct helper_arg *h = arg;
	h->rc = lk_help(h->cfg, h->in, h->ref, &h->opts, h->err, sizeof(h->err));
	return NULL;
}

static bool same_weights(const struct lk_result *a, const struct lk_result *b)
{
	for (size_t i = 0; i < a->nrows; i++) {
		const struct lk_row_result *x = &a->rows[i], *y = &b->rows[i];
		if (x->has_best && x->best.probability != y->best.probability)
			return false;
		for (size_t k = 0; k < x->ncandidates; k++)
			if (x->candidates[k].match_weight != y->candidates[k].match_weight)
				return false;
	}
	return true;
}

/* A shared run with one helper (which may crash after die_after claims) vs the run alone. */
static void check_shared(struct lk_config *cfg, bool smart, int die_after, uint64_t unit_pairs)
{
	struct lk_table ref, in;
	make_grouped(&ref, &in, 1500, 2);
	/* A smart run gets a budget wide enough for many chunks. */
	struct lk_opts o = { .threads = 2,
		             .seed = 5,
		             .smart = smart,
		             .max_candidates = 3,
		             .max_pairs = smart ? 2000000 : 0 };
	struct lk_result alone, shared;
	char err[200];
	cr_assert_eq(lk_run(cfg, &in, &ref, &o, &alone, err, sizeof(err)), 0, "%s", err);

	struct fake_share fs = { 0 };
	pthread_mutex_init(&fs.mu, NULL);
	struct fs_node run, helper;
	fs_node_init(&run, &fs, 0, unit_pairs);
	fs_node_init(&helper, &fs, 1, unit_pairs);
	helper.die_after = die_after;
	struct helper_arg h = { cfg, &in, &ref, o, -99, "" };
	h.opts.share = &helper.sh;
	h.opts.threads = 1;
	pthread_t tid;
	cr_assert_eq(pthread_create(&tid, NULL, helper_main, &h), 0);
	struct lk_opts os = o;
	os.share = &run.sh;
	struct progress_log *log = md_calloc(1, sizeof(*log));
	os.progress = log_progress;
	os.progress_ctx = log;
	int rc = lk_run(cfg, &in, &ref, &os, &shared, err, sizeof(err));
	pthread_mutex_lock(&fs.mu);
	fs.ended = true;
	pthread_mutex_unlock(&fs.mu);
	pthread_join(tid, NULL);
	cr_assert_eq(rc, 0, "shared run: %d %s", rc, err);
	if (die_after) {
		cr_assert_eq(h.rc, MD_ECANCELED, "helper: %d %s", h.rc, h.err);
		cr_assert_eq(fs.submitted[0] + fs.submitted[1], 0);
		cr_assert(fs.pass[0].helper_claims > 0, "the helper never claimed a unit");
	} else {
		cr_assert_eq(h.rc, 0, "helper: %d %s", h.rc, h.err);
		cr_assert_eq(fs.submitted[0], 1, "the helper did not submit the comparison");
		cr_assert_eq(fs.submitted[1], 1, "the helper did not submit the scoring");
	}
	/* The run's progress moves forward within each stage, waits included. */
	for (int k = 1; k < log->n; k++)
		cr_assert(log->stage[k] > log->stage[k - 1] || log->done[k] >= log->done[k - 1],
		          "event %d: stage %d goes back from %zu to %zu", k, log->stage[k],
		          log->done[k - 1], log->done[k]);
	md_free(log);
	cr_assert(same_result(&alone, &shared), "the shared run differs from the run alone");
	cr_assert(same_weights(&alone, &shared), "the shared run's weights differ");
	cr_assert_eq(alone.model.pairs_compared, shared.model.pairs_compared);
	lk_result_release(&alone);
	lk_result_release(&shared);
	fs_release(&fs);
	lk_table_release(&ref);
	lk_table_release(&in);
}

Test(lk_share, a_helper_computes_part_and_the_result_is_the_same)
{
	struct lk_config cfg;
	make_grouped_config(&cfg);
	check_shared(&cfg, false, 0, 60000);
}

Test(lk_share, smart_dedupe_shared_is_the_same)
{
	struct lk_config cfg;
	make_grouped_config(&cfg);
	cfg.nrules = 0;
	cfg.mode = LK_MODE_DEDUPE;
	cfg.link_type = LK_ALL_ABOVE_THRESHOLD;
	cfg.fields[3].tf_adjust = true;
	/* A coarse field, so that the smart rules within the budget yield many chunks. */
	cfg.fields[NF] = (struct lk_field){ .name = "grp", .in_col = NF, .ref_col = NF };
	cfg.nfields = NF + 1;
	check_shared(&cfg, true, 0, 1);
}

Test(lk_share, units_of_a_crashed_helper_are_taken_over)
{
	struct lk_config cfg;
	make_grouped_config(&cfg);
	check_shared(&cfg, false, 3, 60000);
}

Test(lk_share, a_plan_that_does_not_fit_is_refused)
{
	struct lk_table ref, in, other_ref, other_in;
	make_grouped(&ref, &in, 1500, 2);
	make_grouped(&other_ref, &other_in, 1400, 2);
	struct lk_config cfg;
	make_grouped_config(&cfg);
	struct fake_share fs = { 0 };
	pthread_mutex_init(&fs.mu, NULL);
	struct fs_node run, helper;
	fs_node_init(&run, &fs, 0, 60000);
	fs_node_init(&helper, &fs, 1, 60000);
	fs.dead[1] = true; /* the run does not wait for this helper */
	struct lk_opts o = { .threads = 1, .seed = 5, .max_candidates = 3, .share = &run.sh };
	struct lk_result res;
	char err[200];
	cr_assert_eq(lk_run(&cfg, &in, &ref, &o, &res, err, sizeof(err)), 0, "%s", err);
	lk_result_release(&res);
	/* A helper whose tables changed (fewer rows) cuts other chunks: it must not help. */
	o.share = &helper.sh;
	int rc = lk_help(&cfg, &other_in, &other_ref, &o, err, sizeof(err));
	cr_assert_eq(rc, MD_ECONFLICT, "lk_help: %d %s", rc, err);
	cr_assert(strstr(err, "plan"), "%s", err);
	/* Garbage where the plan should be is refused, not read. */
	memset(fs.pass[0].plan, 0x5a, fs.pass[0].plan_len);
	rc = lk_help(&cfg, &in, &ref, &o, err, sizeof(err));
	cr_assert_eq(rc, MD_ECONFLICT, "lk_help on garbage: %d %s", rc, err);
	fs_release(&fs);
	lk_table_release(&ref);
	lk_table_release(&in);
	lk_table_release(&other_ref);
	lk_table_release(&other_in);
}

Test(lk_share, an_unreadable_part_fails_the_run_as_an_io_error)
{
	struct lk_table ref, in;
	make_grouped(&ref, &in, 1500, 2);
	struct lk_config cfg;
	make_grouped_config(&cfg);
	struct fake_share fs = { 0 };
	pthread_mutex_init(&fs.mu, NULL);
	struct fs_node run;
	fs_node_init(&run, &fs, 0, 60000);
	fs.dead[1] = true; /* no live helper: the run does every unit, then merges the part */
	static const char garbage[] = "LKC1 this is not a part";
	fs.pass[0].parts[0] = (struct fs_part){ 1, md_malloc(sizeof garbage), sizeof garbage };
	memcpy(fs.pass[0].parts[0].p, garbage, sizeof garbage);
	fs.pass[0].nparts = 1;
	struct lk_opts o = { .threads = 1, .seed = 5, .max_candidates = 3, .share = &run.sh };
	struct lk_result res;
	char err[200];
	int rc = lk_run(&cfg, &in, &ref, &o, &res, err, sizeof(err));
	/* Not MD_EINVAL, which says the configuration is wrong: the API retries an I/O error. */
	cr_assert_eq(rc, MD_EIO, "lk_run: %d %s", rc, err);
	cr_assert(strstr(err, "unreadable"), "%s", err);
	fs_release(&fs);
	lk_table_release(&ref);
	lk_table_release(&in);
}
