/*
 * The linkage engine's pipeline (linkage.h): normalised work copies of the compared columns,
 * blocking, comparison into patterns (threaded, chunk by chunk), u from random pairs and key
 * frequencies, m by EM per blocking rule, scoring, assignment and the result.
 *
 * Memory stays proportional to the rows and the chunks in flight, not to the candidate pairs:
 * the comparison pass keeps only the level patterns (lk_pattern_set, aggregated), and once the
 * model is estimated the scoring pass runs the blocker and the comparisons again, chunk by
 * chunk, keeping each row's best pairs with their levels (struct topk) and the pairs above the
 * threshold that the assignment needs (O(rows x K + pairs above + chunks in flight)). A result
 * pair outside its row's best is compared a third time for its waterfall. The second pass
 * costs one more comparison per pair (about as long as the first); storing every pair's levels
 * instead cost 8 + nfields bytes a pair and capped a run at 2^27 pairs.
 */
#include "base/common.h"

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>

#include "engines/linkage/assign.h"
#include "engines/linkage/blocking.h"
#include "engines/linkage/compare.h"
#include "engines/linkage/linkage.h"
#include "engines/linkage/model.h"
#include "engines/linkage/normalize.h"
#include "engines/linkage/smart.h"
#include "engines/linkage/strategy.h"
#include "engines/linkage/table.h"
#include "engines/linkage/wire.h"

/*
 * Candidate pairs are no longer held in memory, so this cap bounds the run's time instead: 2^33
 * pairs, compared twice, take about an hour on two cores at 3 M pairs/s each.
 */
#define LK_HARD_MAX_PAIRS (1ULL << 33)
#define LK_CHUNK_PAIRS 32768
/*
 * The pairs above the threshold are the one store that grows with the pairs (24 bytes each):
 * 2^26 of them (1.5 GB) is far beyond a sensible threshold (a million rows link ~10^6).
 */
#define LK_MAX_ABOVE (1ULL << 26)
#define LK_U_SAMPLES 100000
#define LK_DEFAULT_NORM (LK_NORM_NFKC_CASEFOLD | LK_NORM_TRIM | LK_NORM_COLLAPSE_WHITESPACE)
#define LK_MAX_WCOLS (LK_MAX_FIELDS + LK_MAX_RULES * LK_MAX_RULE_COLS)

/* ---- names ---- */

static const char *const cmp_names[LK_CMP_COUNT] = {
	"exact",        "jaro_winkler", "levenshtein", "token_set",
	"qgram_cosine", "numeric",      "date",        "phonetic",
};

bool lk_comparator_parse(const char *name, enum lk_comparator *out)
{
	for (int c = 0; c < LK_CMP_COUNT; c++) {
		if (name && strcmp(name, cmp_names[c]) == 0) {
			*out = (enum lk_comparator)c;
			return true;
		}
	}
	return false;
}

const char *lk_comparator_name(enum lk_comparator c)
{
	return (unsigned)c < LK_CMP_COUNT ? cmp_names[c] : "unknown";
}

bool lk_norm_parse(const char *name, unsigned *bit)
{
	static const char *const names[] = { "nfkc_casefold",       "trim",
		                             "collapse_whitespace", "strip_punctuation",
		                             "digits_only",         "strip_diacritics" };
	for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
		if (name && strcmp(name, names[k]) == 0) {
			*bit = 1u << k;
			return true;
		}
	}
	return false;
}

/* ---- the run's state ---- */

struct topk;
struct scored_vec;

/* The normalised work columns of one side: (source column, normaliser flags). */
struct wcols {
	int src[LK_MAX_WCOLS];
	unsigned flags[LK_MAX_WCOLS];
	int n;
	struct lk_table t;
};

struct run {
	const struct lk_config *cfg;
	const struct lk_opts *opts;
	const struct lk_table *in, *ref; /* ref == in when dedupe */
	bool dedupe;
	size_t n_in, n_ref, nfields, nrules;
	struct lk_field fields[LK_MAX_FIELDS];
	int nlevels[LK_MAX_FIELDS];
	struct lk_rule rules[LK_MAX_RULES];
	struct wcols win, wref;
	const struct lk_table *tin, *tref; /* the work tables */
	int fin[LK_MAX_FIELDS], fref[LK_MAX_FIELDS];
	int rin[LK_MAX_RULES][LK_MAX_RULE_COLS], rref[LK_MAX_RULES][LK_MAX_RULE_COLS];
	struct lk_qgram_index qix[LK_MAX_FIELDS];
	bool has_qix[LK_MAX_FIELDS];
	/*
	 * The compared work columns, prepared once (compare.h); field f is column pfin[f] of
	 * pin and pfref[f] of *pref (pref == &pin when dedupe).
	 */
	struct lk_prep pin, pref_own;
	const struct lk_prep *pref;
	int pfin[LK_MAX_FIELDS], pfref[LK_MAX_FIELDS];
	uint64_t *in_keys[LK_MAX_RULES], *ref_keys[LK_MAX_RULES];
	struct lk_blocker blk;
	struct lk_pattern_set patterns;
	struct lk_em_params em;
	double *tf[LK_MAX_FIELDS];     /* per reference row: its value's frequency */
	bool dep[LK_MAX_FIELDS];       /* smart: derived from another field, weighs nothing */
	bool composite[LK_MAX_FIELDS]; /* smart: contains a derived field, not a blocking key */
	double wt[LK_MAX_FIELDS][LK_MAX_LEVELS + 1]; /* weight by lv (level + 1) */
	double prior_logit;
	double recall_guess;
	/* shared by the workers */
	pthread_mutex_t mu;
	atomic_size_t next_chunk;
	atomic_uint_fast64_t pairs_done;   /* compared in the first pass */
	atomic_uint_fast64_t pairs_scored; /* compared again in the scoring pass */
	size_t chunk_end;                  /* run_range's chunks end here */
	size_t rows_hi;                    /* the pass's progress reported so far (main thread) */
	/* cum[c]: the pairs (upper bound) of the chunks before c, for progress and units. */
	uint64_t *cum;
	/* A shared run (opts->share): units are the chunks [ufirst[u], ufirst[u + 1]). */
	bool shared;
	size_t *ufirst, nunits;
	uint64_t unit_pairs;
	uint64_t pairs_remote; /* compared by helpers in the first pass */
	/* The scoring pass's output, written under mu. */
	struct topk *top;
	struct scored_vec *above;
	double tw;       /* the threshold's weight */
	bool keep_above; /* the assignment reads the pairs above the threshold */
	atomic_int cancel;
	int worker_rc;
	char *err;
	size_t errcap;
};

static void errf(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void errf(struct run *r, const char *fmt, ...)
{
	if (!r->err || !r->errcap)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->err, r->errcap, fmt, ap);
	va_end(ap);
}

static int progress(struct run *r, const char *stage, size_t done, size_t total, size_t matched)
{
	if (atomic_load(&r->cancel))
		return MD_ECANCELED;
	if (r->opts->progress &&
	    r->opts->progress(r->opts->progress_ctx, stage, done, total, matched)) {
		atomic_store(&r->cancel, 1);
		return MD_ECANCELED;
	}
	return 0;
}

/* ---- validation ---- */

static int validate(struct run *r)
{
	const struct lk_config *c = r->cfg;
	size_t in_cols = r->in->ncols, ref_cols = r->ref->ncols;
	if (c->nfields == 0 || c->nfields > LK_MAX_FIELDS) {
		errf(r, "a configuration needs 1 to %d fields, not %zu", LK_MAX_FIELDS, c->nfields);
		return MD_EINVAL;
	}
	if (!(c->threshold > 0 && c->threshold < 1)) {
		errf(r, "threshold must be a probability in (0, 1)");
		return MD_EINVAL;
	}
	for (size_t f = 0; f < c->nfields; f++) {
		const struct lk_field *fl = &c->fields[f];
		const char *nm = fl->name;
		if (fl->in_col < 0 || (size_t)fl->in_col >= in_cols) {
			errf(r, "field \"%s\": input column %d is out of range (%zu columns)", nm,
			     fl->in_col, in_cols);
			return MD_EINVAL;
		}
		if (fl->ref_col < 0 || (size_t)fl->ref_col >= ref_cols) {
			errf(r, "field \"%s\": reference column %d is out of range (%zu columns)",
			     nm, fl->ref_col, ref_cols);
			return MD_EINVAL;
		}
		if ((unsigned)fl->cmp >= LK_CMP_COUNT) {
			errf(r, "field \"%s\": unknown comparator", nm);
			return MD_EINVAL;
		}
		if (fl->nthresholds < 0 || fl->nthresholds > LK_MAX_LEVELS - 2) {
			errf(r, "field \"%s\": at most %d levels", nm, LK_MAX_LEVELS - 2);
			return MD_EINVAL;
		}
	}
	if (c->nrules > LK_MAX_RULES || (c->nrules == 0 && !r->opts->smart)) {
		errf(r, "a configuration needs 1 to %d blocking rules (or a smart run)",
		     LK_MAX_RULES);
		return MD_EINVAL;
	}
	for (size_t k = 0; k < c->nrules; k++) {
		const struct lk_rule *ru = &c->rules[k];
		if (ru->ncols < 1 || ru->ncols > LK_MAX_RULE_COLS) {
			errf(r, "blocking rule %zu: 1 to %d columns", k + 1, LK_MAX_RULE_COLS);
			return MD_EINVAL;
		}
		for (int j = 0; j < ru->ncols; j++) {
			if (ru->in_cols[j] < 0 || (size_t)ru->in_cols[j] >= in_cols ||
			    ru->ref_cols[j] < 0 || (size_t)ru->ref_cols[j] >= ref_cols ||
			    ru->key_kind[j] >= LK_KEY_COUNT) {
				errf(r, "blocking rule %zu: column out of range", k + 1);
				return MD_EINVAL;
			}
		}
	}
	if (r->n_in > UINT32_MAX || r->n_ref > UINT32_MAX) {
		errf(r, "tables are limited to 2^32 rows");
		return MD_ELIMIT;
	}
	return 0;
}

/* ---- normalised work columns ---- */

static int wcol(struct wcols *w, int src, unsigned flags)
{
	for (int k = 0; k < w->n; k++)
		if (w->src[k] == src && w->flags[k] == flags)
			return k;
	w->src[w->n] = src;
	w->flags[w->n] = flags;
	return w->n++;
}

static int build_work_table(struct wcols *w, const struct lk_table *t)
{
	int rc = lk_table_new(&w->t, w->n ? (size_t)w->n : 1, t->nrows);
	for (int k = 0; !rc && k < w->n; k++) {
		for (size_t row = 0; !rc && row < t->nrows; row++) {
			const char *s = t->cells[row * t->ncols + w->src[k]];
			rc = lk_table_set(&w->t, row, (size_t)k, s, strlen(s));
		}
		if (!rc && w->flags[k])
			rc = lk_normalize_table_col(&w->t, k, w->flags[k]);
	}
	return rc;
}

/* The flags a rule column pair is normalised with: its field's, else the default. */
static unsigned rule_flags(const struct run *r, int ic, int rc)
{
	for (size_t f = 0; f < r->nfields; f++)
		if (r->fields[f].in_col == ic && r->fields[f].ref_col == rc)
			return r->fields[f].normalize;
	for (size_t f = 0; f < r->nfields; f++)
		if (r->fields[f].in_col == ic)
			return r->fields[f].normalize;
	return LK_DEFAULT_NORM;
}

static void map_rule_cols(struct run *r)
{
	struct wcols *wr = r->dedupe ? &r->win : &r->wref;
	for (size_t k = 0; k < r->nrules; k++) {
		for (int j = 0; j < r->rules[k].ncols; j++) {
			int ic = r->rules[k].in_cols[j], rc = r->rules[k].ref_cols[j];
			if (r->dedupe)
				rc = ic;
			unsigned fl = rule_flags(r, ic, rc);
			r->rin[k][j] = wcol(&r->win, ic, fl);
			r->rref[k][j] = wcol(wr, rc, fl);
		}
	}
}

/* Adds work column wc to cols (once) and returns its index there. */
static int prep_col(int *cols, size_t *n, int wc)
{
	for (size_t k = 0; k < *n; k++)
		if (cols[k] == wc)
			return (int)k;
	cols[*n] = wc;
	return (int)(*n)++;
}

/* The prepared form of the fields' work columns, in the order of the fields. */
static int prepare_fields(struct run *r)
{
	int ci[LK_MAX_FIELDS], cr[LK_MAX_FIELDS];
	size_t ni = 0, nr = 0;
	for (size_t f = 0; f < r->nfields; f++) {
		r->pfin[f] = prep_col(ci, &ni, r->fin[f]);
		r->pfref[f] = prep_col(r->dedupe ? ci : cr, r->dedupe ? &ni : &nr, r->fref[f]);
	}
	int rc = lk_prep_build(&r->pin, r->tin, ci, ni);
	if (rc || r->dedupe) {
		r->pref = &r->pin;
		return rc;
	}
	r->pref = &r->pref_own;
	return lk_prep_build(&r->pref_own, r->tref, cr, nr);
}

static int prepare_columns(struct run *r)
{
	struct wcols *wr = r->dedupe ? &r->win : &r->wref;
	for (size_t f = 0; f < r->nfields; f++) {
		struct lk_field *fl = &r->fields[f];
		if (r->opts->smart) {
			lk_default_levels(fl);
			if (!fl->normalize)
				fl->normalize = LK_DEFAULT_NORM;
		}
		r->nlevels[f] = lk_field_nlevels(fl);
		if (r->nlevels[f] < 2 || r->nlevels[f] > LK_MAX_LEVELS)
			r->nlevels[f] = r->nlevels[f] < 2 ? 2 : LK_MAX_LEVELS;
		r->em.nlevels[f] = r->nlevels[f];
		r->fin[f] = wcol(&r->win, fl->in_col, fl->normalize);
		r->fref[f] = wcol(wr, fl->ref_col, fl->normalize);
	}
	map_rule_cols(r);
	int rc = build_work_table(&r->win, r->in);
	if (!rc && !r->dedupe)
		rc = build_work_table(&r->wref, r->ref);
	if (rc)
		return rc;
	r->tin = &r->win.t;
	r->tref = r->dedupe ? &r->win.t : &r->wref.t;
	if ((rc = prepare_fields(r)))
		return rc;
	for (size_t f = 0; f < r->nfields; f++) {
		if (r->fields[f].cmp != LK_CMP_QGRAM_COSINE)
			continue;
		rc = lk_qgram_index_build(&r->qix[f], r->tref, r->fref[f], 3);
		if (rc)
			return rc;
		r->has_qix[f] = true;
	}
	return 0;
}

/* ---- smart blocking ---- */

static int choose_rules(struct run *r)
{
	int ic[LK_SMART_MAX_COLS], rc_[LK_SMART_MAX_COLS], wi[LK_SMART_MAX_COLS],
	    wr[LK_SMART_MAX_COLS];
	size_t n = 0;
	for (size_t f = 0; f < r->nfields && n < LK_SMART_MAX_COLS; f++) {
		/*
		 * A derived column agrees whenever the column it comes from does: the recall
		 * model, which takes columns as independent, would overrate rules on both. The
		 * parts block (a surname is a sharp key), the columns made of them do not.
		 */
		if (r->composite[f])
			continue;
		bool dup = false;
		for (size_t k = 0; k < n; k++)
			dup |= ic[k] == r->fields[f].in_col && rc_[k] == r->fields[f].ref_col;
		if (dup)
			continue;
		ic[n] = r->fields[f].in_col;
		rc_[n] = r->fields[f].ref_col;
		wi[n] = r->fin[f];
		wr[n] = r->fref[f];
		n++;
	}
	uint64_t budget = r->opts->max_pairs ? r->opts->max_pairs : 50 * (uint64_t)r->n_in;
	struct lk_smart_rule sr[LK_MAX_RULES];
	size_t nsr = 0;
	int rc = lk_smart_rules_derived(r->tin, r->tref, wi, wr, n, r->dedupe, budget, sr, &nsr,
	                                &r->recall_guess);
	if (!rc)
		rc = lk_smart_mid_month_rules(r->tin, r->tref, wi, wr, n, r->dedupe, budget, sr,
		                              &nsr);
	if (rc)
		return rc;
	if (nsr == 0) {
		errf(r, "smart blocking found no rule within the budget of %llu pairs",
		     (unsigned long long)budget);
		return MD_ELIMIT;
	}
	for (size_t k = 0; k < nsr; k++) {
		struct lk_rule *ru = &r->rules[k];
		memset(ru, 0, sizeof(*ru));
		for (size_t c = 0; c < n; c++) {
			if (!((sr[k].cols >> c) & 1) || ru->ncols == LK_MAX_RULE_COLS)
				continue;
			ru->in_cols[ru->ncols] = ic[c];
			ru->ref_cols[ru->ncols] = rc_[c];
			ru->key_kind[ru->ncols] = sr[k].kinds[c];
			r->rin[k][ru->ncols] = wi[c];
			r->rref[k][ru->ncols] = wr[c];
			ru->ncols++;
		}
	}
	r->nrules = nsr;
	return 0;
}

/* ---- scoring helpers ---- */

static inline double field_weight(const struct run *r, size_t f, int lv, uint32_t j)
{
	if (lv == r->nlevels[f] && r->tf[f]) {
		double tf = MD_MAX(r->tf[f][j], LK_PROB_MIN);
		return log2(r->em.m[f][lv - 1] / tf);
	}
	return r->wt[f][lv];
}

static double score(const struct run *r, uint32_t j, const uint8_t *lv)
{
	double w = r->prior_logit;
	for (size_t f = 0; f < r->nfields; f++)
		w += field_weight(r, f, lv[f], j);
	return w;
}

static double prob_of(double w)
{
	return 1.0 / (1.0 + exp2(-w));
}

/*
 * The best K pairs of each row, best first (a small insertion-sorted array per row), with
 * their levels (nf bytes each): the result's waterfall reads them instead of comparing again.
 */
struct topk {
	struct lk_scored *a;
	uint8_t *n;
	size_t k;
	uint8_t *lv;
	size_t nf;
};

static bool better(const struct lk_scored *x, const struct lk_scored *y)
{
	if (x->w != y->w)
		return x->w > y->w;
	if (x->in != y->in)
		return x->in < y->in;
	return x->ref < y->ref;
}

static void topk_add(struct topk *t, size_t row, struct lk_scored s, const uint8_t *lv)
{
	struct lk_scored *a = t->a + row * t->k;
	uint8_t *l = t->lv + row * t->k * t->nf;
	size_t n = t->n[row];
	if (n == t->k && !better(&s, &a[n - 1]))
		return;
	/* Entries [pos, last) move down one place; a full row drops its last entry. */
	size_t last = n < t->k ? n : n - 1, pos = last;
	while (pos > 0 && better(&s, &a[pos - 1]))
		pos--;
	memmove(a + pos + 1, a + pos, (last - pos) * sizeof(*a));
	memmove(l + (pos + 1) * t->nf, l + pos * t->nf, (last - pos) * t->nf);
	a[pos] = s;
	memcpy(l + pos * t->nf, lv, t->nf);
	if (n < t->k)
		t->n[row]++;
}

/* The levels kept for pair idx among row's best, or NULL. */
static const uint8_t *topk_levels(const struct topk *t, size_t row, uint64_t idx)
{
	const struct lk_scored *a = t->a + row * t->k;
	for (size_t m = 0; m < t->n[row]; m++)
		if (a[m].idx == idx)
			return t->lv + (row * t->k + m) * t->nf;
	return NULL;
}

struct scored_vec {
	struct lk_scored *a;
	size_t n, cap;
};

static int vec_push(struct scored_vec *v, struct lk_scored s)
{
	if (v->n == v->cap && md_grow(&v->a, &v->cap, sizeof *v->a, 1024))
		return MD_ENOMEM;
	v->a[v->n++] = s;
	return 0;
}

/* ---- comparison and scoring passes (threaded) ---- */

static void compare_pair(const struct run *r, uint32_t i, uint32_t j, uint8_t *lv)
{
	const struct lk_pcell *a = lk_prep_row(&r->pin, i), *b = lk_prep_row(r->pref, j);
	for (size_t f = 0; f < r->nfields; f++) {
		int l = lk_pcell_level(&r->fields[f], &a[r->pfin[f]], &b[r->pfref[f]],
		                       r->has_qix[f] ? &r->qix[f] : NULL);
		lv[f] = (uint8_t)(l < 0 ? 0 : l + 1);
	}
}

/* The first pass: chunk c's pairs counted into the worker's patterns, nothing else kept. */
static int compare_chunk(struct run *r, const struct lk_cand *cand, size_t n,
                         struct lk_pattern_set *ps)
{
	uint8_t lv[LK_MAX_FIELDS];
	for (size_t k = 0; k < n; k++) {
		compare_pair(r, cand[k].in, cand[k].ref, lv);
		int rc = lk_pattern_set_add(ps, lv, cand[k].rules, 1);
		if (rc)
			return rc;
	}
	atomic_fetch_add(&r->pairs_done, n);
	return 0;
}

/*
 * The second pass: chunk c's pairs compared again and scored into buf without the lock, then
 * merged into the rows' best pairs and the pairs above the threshold under it. Both are
 * independent of the order the chunks arrive in: the best K of a row are the first K under the
 * total order of better() (no two entries share (in, ref)), and assign sorts the pairs above
 * the threshold by the same total order. A pair's idx is (chunk << 32 | position in the chunk):
 * unique, and stable across passes because lk_blocker_chunk is deterministic.
 */
static int score_chunk(struct run *r, size_t c, const struct lk_cand *cand, size_t n,
                       struct lk_scored *buf, uint8_t *buf_lv)
{
	size_t nf = r->nfields;
	for (size_t k = 0; k < n; k++) {
		uint32_t i = cand[k].in, j = cand[k].ref;
		compare_pair(r, i, j, buf_lv + k * nf);
		buf[k] = (struct lk_scored){ i, j, score(r, j, buf_lv + k * nf),
			                     ((uint64_t)c << 32) | k };
	}
	int rc = 0;
	pthread_mutex_lock(&r->mu);
	for (size_t k = 0; k < n && !rc; k++) {
		const struct lk_scored *s = &buf[k];
		topk_add(r->top, s->in, *s, buf_lv + k * nf);
		if (r->dedupe)
			topk_add(r->top, s->ref, (struct lk_scored){ s->ref, s->in, s->w, s->idx },
			         buf_lv + k * nf);
		if (!r->keep_above || !(s->w >= r->tw))
			continue;
		if (r->above->n >= LK_MAX_ABOVE) {
			errf(r, "more than %llu candidate pairs are above the threshold: raise it",
			     (unsigned long long)LK_MAX_ABOVE);
			rc = MD_ELIMIT;
			break;
		}
		rc = vec_push(r->above, *s);
	}
	pthread_mutex_unlock(&r->mu);
	atomic_fetch_add(&r->pairs_scored, n);
	return rc;
}

struct worker {
	struct run *r;
	bool is_main, scoring;
	struct lk_pattern_set ps;
	int rc;
	pthread_t tid;
};

/* Grows the worker's candidate (and scored, and levels) buffers to need entries. */
static int worker_reserve(const struct worker *w, size_t need, struct lk_cand **cand,
                          struct lk_scored **buf, uint8_t **buf_lv, size_t *cap)
{
	if (need <= *cap)
		return 0;
	struct lk_cand *n = md_realloc(*cand, need * sizeof(*n));
	if (!n)
		return MD_ENOMEM;
	*cand = n;
	if (w->scoring) {
		struct lk_scored *b = md_realloc(*buf, need * sizeof(*b));
		if (!b)
			return MD_ENOMEM;
		*buf = b;
		uint8_t *l = md_realloc(*buf_lv, need * (w->r->nfields ? w->r->nfields : 1));
		if (!l)
			return MD_ENOMEM;
		*buf_lv = l;
	}
	*cap = need;
	return 0;
}

/*
 * The input rows a pass has covered once the chunks before c are done, in proportion to their
 * pairs: every claimer takes chunks (and units) in ascending order, so this is the progress
 * of the whole pass, shared or not.
 */
static size_t rows_at(const struct run *r, size_t c)
{
	uint64_t total = r->cum ? r->cum[r->blk.nchunks] : 0;
	if (!total)
		return r->n_in;
	double f = (double)r->cum[MD_MIN(c, r->blk.nchunks)] / (double)total;
	return MD_MIN((size_t)((double)r->n_in * f), r->n_in);
}

/*
 * rows_at, never less than what the pass reported before: a run that takes over a dead
 * helper's unit goes back to lower chunks, and progress must not.
 */
static size_t pass_rows(struct run *r, size_t c)
{
	size_t rows = rows_at(r, c);
	if (rows > r->rows_hi)
		r->rows_hi = rows;
	return r->rows_hi;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->r;
	struct lk_cand *cand = NULL;
	struct lk_scored *buf = NULL;
	uint8_t *buf_lv = NULL;
	size_t cap = 0;
	while (!atomic_load(&r->cancel)) {
		size_t c = atomic_fetch_add(&r->next_chunk, 1);
		if (c >= r->chunk_end)
			break;
		w->rc = worker_reserve(w, r->blk.chunk_pairs[c], &cand, &buf, &buf_lv, &cap);
		if (!w->rc) {
			size_t n = lk_blocker_chunk(&r->blk, c, cand);
			w->rc = w->scoring ? score_chunk(r, c, cand, n, buf, buf_lv)
			                   : compare_chunk(r, cand, n, &w->ps);
		}
		if (w->rc) {
			atomic_store(&r->cancel, 1);
			break;
		}
		if (w->is_main &&
		    progress(r, w->scoring ? "assign" : "compare", pass_rows(r, c + 1), r->n_in, 0))
			break;
	}
	md_free(cand);
	md_free(buf);
	md_free(buf_lv);
	return NULL;
}

/*
 * Runs the chunks [lo, hi) of a pass on the run's threads: the comparison (scoring false),
 * which merges the workers' patterns into r->patterns, or the scoring into r->top and
 * r->above.
 */
static int run_range(struct run *r, bool scoring, size_t lo, size_t hi)
{
	int nthreads = r->opts->threads > 1 ? r->opts->threads : 1;
	if (nthreads > 64)
		nthreads = 64;
	struct worker w[64];
	int started = 0, rc = 0;
	atomic_store(&r->next_chunk, lo);
	r->chunk_end = hi;
	for (int t = 0; t < nthreads; t++) {
		w[t] = (struct worker){ .r = r, .is_main = t == 0, .scoring = scoring };
		lk_pattern_set_init(&w[t].ps, r->nfields);
	}
	for (int t = 1; t < nthreads; t++) {
		if (pthread_create(&w[t].tid, NULL, worker_main, &w[t]))
			break;
		started = t;
	}
	worker_main(&w[0]);
	for (int t = 1; t <= started; t++)
		pthread_join(w[t].tid, NULL);
	for (int t = 0; t < nthreads; t++) {
		if (!rc && w[t].rc)
			rc = w[t].rc;
		if (!rc && !scoring && lk_pattern_set_merge(&r->patterns, &w[t].ps))
			rc = MD_ENOMEM;
		lk_pattern_set_release(&w[t].ps);
	}
	if (!rc && atomic_load(&r->cancel))
		rc = MD_ECANCELED;
	return rc;
}

static int shared_pass(struct run *r, bool scoring);

/* Runs one pass over every chunk, alone or shared. */
static int run_pass(struct run *r, bool scoring)
{
	r->rows_hi = 0;
	int rc = r->shared ? shared_pass(r, scoring) : run_range(r, scoring, 0, r->blk.nchunks);
	/* The stage is reported at least once, whichever thread took the chunks. */
	if (!rc && !atomic_load(&r->cancel))
		rc = progress(r, scoring ? "assign" : "compare", r->n_in, r->n_in, 0);
	if (!rc && atomic_load(&r->cancel))
		rc = MD_ECANCELED;
	return rc;
}

/* ---- u, term frequencies ---- */

static uint64_t splitmix64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* u of the exact level from key frequencies; tf[] per reference row when wanted. */
static int exact_u(struct run *r, size_t f, double *u_exact)
{
	size_t n_in = r->n_in, n_ref = r->dedupe ? r->n_in : r->n_ref;
	uint64_t *ki = md_malloc((n_in + 1) * sizeof(*ki));
	uint64_t *kr = md_malloc((n_ref + 1) * sizeof(*kr));
	struct lk_keyrow *sorted = NULL;
	size_t ns = 0;
	int rc = MD_ENOMEM;
	if (!ki || !kr)
		goto out;
	lk_rule_keys(r->tin, &r->fin[f], 1, ki);
	lk_rule_keys(r->tref, &r->fref[f], 1, kr);
	size_t nni = 0, nnr = 0;
	for (size_t i = 0; i < n_in; i++)
		nni += ki[i] != 0;
	for (size_t j = 0; j < n_ref; j++)
		nnr += kr[j] != 0;
	uint64_t agree = lk_key_pair_count(ki, n_in, kr, n_ref, r->dedupe);
	if (agree == UINT64_MAX)
		goto out;
	double total =
	    r->dedupe ? (double)nni * (double)(nni - (nni > 0)) / 2 : (double)nni * (double)nnr;
	*u_exact = total > 0 ? (double)agree / total : LK_PROB_MIN;
	if (r->fields[f].tf_adjust && nnr) {
		r->tf[f] = md_malloc(n_ref * sizeof(double));
		if (!r->tf[f] || lk_keys_sort(kr, n_ref, &sorted, &ns))
			goto out;
		for (size_t a = 0; a < ns;) {
			size_t b = a;
			while (b < ns && sorted[b].h == sorted[a].h)
				b++;
			for (size_t k = a; k < b; k++)
				r->tf[f][sorted[k].row] = (double)(b - a) / (double)nnr;
			a = b;
		}
	}
	rc = 0;
out:
	md_free(ki);
	md_free(kr);
	md_free(sorted);
	return rc;
}

static int estimate_u(struct run *r)
{
	uint64_t cnt[LK_MAX_FIELDS][LK_MAX_LEVELS + 1] = { { 0 } };
	uint64_t s = r->opts->seed ^ 0x5eed5eed5eedULL;
	size_t n_ref = r->dedupe ? r->n_in : r->n_ref;
	uint8_t lv[LK_MAX_FIELDS];
	/*
	 * Exact agreement's u comes from key frequencies; the samples only split the rest
	 * among the lower levels, so they need not outnumber the compared pairs much.
	 */
	uint64_t pairs = atomic_load(&r->pairs_done) + r->pairs_remote;
	uint64_t samples = MD_MIN(LK_U_SAMPLES, MD_MAX(20000, pairs / 2));
	for (uint64_t k = 0; k < samples && r->n_in && n_ref > (size_t)r->dedupe; k++) {
		uint32_t i = (uint32_t)(splitmix64(&s) % r->n_in);
		uint32_t j = (uint32_t)(splitmix64(&s) % n_ref);
		if (r->dedupe && i == j)
			continue;
		compare_pair(r, i, j, lv);
		for (size_t f = 0; f < r->nfields; f++)
			cnt[f][lv[f]]++;
	}
	for (size_t f = 0; f < r->nfields; f++) {
		int L = r->nlevels[f];
		double ue = 0;
		int rc = exact_u(r, f, &ue);
		if (rc)
			return rc;
		ue = ue < LK_PROB_MIN ? LK_PROB_MIN : ue;
		double rest = 0;
		for (int l = 0; l < L - 1; l++)
			rest += (double)cnt[f][l + 1];
		for (int l = 0; l < L - 1; l++) {
			/* Sampled shares of the lower levels, scaled to what exact leaves. */
			double share = rest > 0 ? (double)cnt[f][l + 1] / rest : 1.0 / (L - 1);
			r->em.u[f][l] = share * (1 - ue);
		}
		r->em.u[f][L - 1] = ue;
		lk_em_guard(&r->em, (int)f, NULL);
	}
	return 0;
}

/* ---- EM ---- */

static bool field_in_rule(const struct lk_field *f, const struct lk_rule *ru)
{
	for (int j = 0; j < ru->ncols; j++)
		if (ru->in_cols[j] == f->in_col || ru->ref_cols[j] == f->ref_col)
			return true;
	return false;
}

static double blocking_recall(const struct run *r)
{
	/* Distinct rule columns, each agreeing with the probability its field's m gives. */
	double p[LK_SMART_MAX_COLS];
	int ic[LK_SMART_MAX_COLS], rcol[LK_SMART_MAX_COLS];
	uint32_t masks[LK_MAX_RULES];
	size_t n = 0;
	for (size_t k = 0; k < r->nrules; k++) {
		masks[k] = 0;
		for (int j = 0; j < r->rules[k].ncols; j++) {
			int a = r->rules[k].in_cols[j], b = r->rules[k].ref_cols[j];
			size_t c;
			for (c = 0; c < n; c++)
				if (ic[c] == a && rcol[c] == b)
					break;
			if (c == n) {
				if (n == LK_SMART_MAX_COLS)
					continue;
				ic[n] = a;
				rcol[n] = b;
				p[n] = 0.9;
				for (size_t f = 0; f < r->nfields; f++)
					if (r->fields[f].in_col == a && r->fields[f].ref_col == b)
						p[n] = r->em.m[f][r->nlevels[f] - 1];
				n++;
			}
			masks[k] |= 1u << c;
		}
	}
	return lk_rules_recall(p, n, masks, r->nrules);
}

static double nonnull_share(const uint64_t *keys, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += keys[i] != 0;
	return n ? (double)k / (double)n : 0;
}

/* The share of true matches that agree on rule k's columns (both values present). */
static double rule_agree_share(const struct run *r, size_t k)
{
	double p = nonnull_share(r->in_keys[k], r->n_in);
	p *= r->dedupe ? p : nonnull_share(r->ref_keys[k], r->n_ref);
	for (int j = 0; j < r->rules[k].ncols; j++) {
		double pc = 0.9;
		for (size_t f = 0; f < r->nfields; f++)
			if (r->fields[f].in_col == r->rules[k].in_cols[j] &&
			    r->fields[f].ref_col == r->rules[k].ref_cols[j])
				pc = r->em.m[f][r->nlevels[f] - 1];
		p *= pc;
	}
	return p;
}

static int estimate_m(struct run *r, const struct lk_pattern *pats, size_t npats,
                      struct lk_model *model)
{
	struct lk_em_params start = r->em;
	lk_em_start_m(&start);
	double msum[LK_MAX_FIELDS][LK_MAX_LEVELS] = { { 0 } };
	int mcnt[LK_MAX_FIELDS] = { 0 };
	model->em_converged = true;
	model->em_iterations = 0;
	size_t guess = MD_MIN(r->n_in, r->dedupe ? r->n_in : r->n_ref);
	double rule_matches[LK_MAX_RULES] = { 0 }; /* lambda_r * pairs_r: matches rule r holds */
	for (size_t k = 0; k < r->nrules; k++) {
		bool excl[LK_MAX_FIELDS], any = false;
		uint64_t rp = 0;
		for (size_t i = 0; i < npats; i++)
			if (pats[i].rules & (1u << k))
				rp += pats[i].count;
		for (size_t f = 0; f < r->nfields; f++) {
			excl[f] = field_in_rule(&r->fields[f], &r->rules[k]) || r->dep[f];
			any |= !excl[f];
		}
		if (!any || rp == 0)
			continue;
		struct lk_em_params p = start;
		p.lambda = MD_MAX(1e-4, MD_MIN(0.5, (double)guess / (double)rp));
		bool conv;
		int it = lk_em_run(&p, pats, npats, 1u << k, excl, false, &conv);
		model->em_iterations = MD_MAX(model->em_iterations, it);
		model->em_converged &= conv;
		rule_matches[k] = p.lambda * (double)rp;
		for (size_t f = 0; f < r->nfields; f++) {
			if (excl[f])
				continue;
			lk_em_guard(&p, (int)f, start.m[f]);
			for (int l = 0; l < r->nlevels[f]; l++)
				msum[f][l] += p.m[f][l];
			mcnt[f]++;
		}
	}
	/* Fields every rule blocks on: estimate them on all pairs, without exclusion. */
	bool missing = false;
	for (size_t f = 0; f < r->nfields; f++)
		missing |= mcnt[f] == 0;
	struct lk_em_params all = start;
	if (missing) {
		all.lambda = MD_MAX(
		    1e-4, MD_MIN(0.5, (double)guess / (double)MD_MAX(1, model->pairs_compared)));
		bool conv;
		int it = lk_em_run(&all, pats, npats, 0, r->dep, false, &conv);
		model->em_iterations = MD_MAX(model->em_iterations, it);
		model->em_converged &= conv;
	}
	for (size_t f = 0; f < r->nfields; f++) {
		for (int l = 0; l < r->nlevels[f]; l++)
			r->em.m[f][l] = mcnt[f] ? msum[f][l] / mcnt[f] : all.m[f][l];
		lk_em_guard(&r->em, (int)f, start.m[f]);
	}
	/*
	 * The prior: rule r holds lambda_r * pairs_r matches, the share p_r of all matches that
	 * agree on its columns; every rule thus estimates the total, and their mean is used.
	 * (EM over the union of the blocked pairs would see the rules' own columns agree.)
	 */
	double total = r->dedupe ? (double)r->n_in * (double)(r->n_in - 1) / 2
	                         : (double)r->n_in * (double)r->n_ref;
	double recall = blocking_recall(r), est = 0;
	int nest = 0;
	for (size_t k = 0; k < r->nrules; k++) {
		double pr = rule_agree_share(r, k);
		if (rule_matches[k] > 0 && pr > 0.05) {
			est += rule_matches[k] / pr;
			nest++;
		}
	}
	if (nest == 0) {
		r->em.lambda = MD_MAX(
		    1e-4, MD_MIN(0.5, (double)guess / (double)MD_MAX(1, model->pairs_compared)));
		bool conv;
		lk_em_run(&r->em, pats, npats, 0, NULL, true, &conv);
		est = r->em.lambda * (double)model->pairs_compared / MD_MAX(recall, 0.5);
		nest = 1;
	}
	model->estimated_recall = recall;
	/* Derived fields weigh nothing (m = u) now that the rules' shares are known. */
	for (size_t f = 0; f < r->nfields; f++) {
		if (!r->dep[f])
			continue;
		for (int l = 0; l < r->nlevels[f]; l++)
			r->em.m[f][l] = r->em.u[f][l];
		md_free(r->tf[f]);
		r->tf[f] = NULL;
	}
	double prior = est / nest / MD_MAX(total, 1.0);
	prior = MD_MAX(LK_PROB_MIN * LK_PROB_MIN, MD_MIN(0.5, prior));
	model->prior = prior;
	r->prior_logit = log2(prior / (1 - prior));
	return 0;
}

/* ---- the result ---- */

/*
 * The explanation of the pair s for row: its levels as scored when it is among the row's best,
 * else compared again (a one_to_one link below them, all_above_threshold's other pairs). A
 * dedupe pair was compared as (smaller row, larger row), whichever row it is reported for.
 */
static int make_pair(const struct run *r, const struct lk_scored *s, size_t row,
                     struct lk_pair *out)
{
	uint32_t i = s->in, j = s->ref;
	if (r->dedupe && i > j) {
		i = s->ref;
		j = s->in;
	}
	uint8_t own[LK_MAX_FIELDS];
	const uint8_t *lv = topk_levels(r->top, row, s->idx);
	if (!lv) {
		compare_pair(r, i, j, own);
		lv = own;
	}
	out->in_row = row;
	out->ref_row = r->dedupe && row == j ? i : j;
	out->match_weight = s->w;
	out->probability = prob_of(s->w);
	out->fields = md_calloc(r->nfields, sizeof(*out->fields));
	if (!out->fields)
		return MD_ENOMEM;
	for (size_t f = 0; f < r->nfields; f++) {
		out->fields[f].level = (int)lv[f] - 1;
		out->fields[f].weight = lv[f] ? field_weight(r, f, lv[f], j) : 0;
	}
	return 0;
}

/*
 * Fills row->candidates from src (best first), skipping the pair skip_idx (the chosen one),
 * at most max entries.
 */
static int add_candidates(const struct run *r, struct lk_row_result *row,
                          const struct lk_scored *src, size_t nsrc, uint64_t skip_idx, size_t max)
{
	if (!nsrc || !max)
		return 0;
	row->candidates = md_calloc(MD_MIN(nsrc, max), sizeof(*row->candidates));
	if (!row->candidates)
		return MD_ENOMEM;
	for (size_t k = 0; k < nsrc && row->ncandidates < max; k++) {
		if (src[k].idx == skip_idx)
			continue;
		int rc = make_pair(r, &src[k], row->in_row, &row->candidates[row->ncandidates]);
		if (rc)
			return rc;
		row->ncandidates++;
	}
	return 0;
}

static int set_best(const struct run *r, struct lk_row_result *row, const struct lk_scored *s,
                    bool matched)
{
	int rc = make_pair(r, s, row->in_row, &row->best);
	if (rc)
		return rc;
	row->has_best = true;
	row->matched = matched;
	return 0;
}

/* Per row pairs above the threshold, for all_above_threshold: above sorted by (in, -w). */
static int in_then_weight(const void *a, const void *b)
{
	const struct lk_scored *x = a, *y = b;
	if (x->in != y->in)
		return x->in < y->in ? -1 : 1;
	return better(x, y) ? -1 : better(y, x);
}

/*
 * Smart dedupe splits clusters whose rows link to fewer than half of each other, by dropping
 * their weakest links (below the weakest + LK_CLUSTER_STEP bits) until they are dense. Chosen
 * on historical_figures_50k and fake_1000 among densities 0.15-0.6 and steps 1-2 (bench/README);
 * FEBRL2/3 clusters are unchanged by any of them.
 */
#define LK_CLUSTER_DENSITY 0.5
#define LK_CLUSTER_STEP 1.0

static int assign(struct run *r, struct topk *top, struct scored_vec *above, struct lk_result *out)
{
	size_t n = r->n_in, K = r->opts->max_candidates ? r->opts->max_candidates : 3;
	double tw = log2(r->cfg->threshold / (1 - r->cfg->threshold));
	out->rows = md_calloc(n ? n : 1, sizeof(*out->rows));
	if (!out->rows)
		return MD_ENOMEM;
	out->nrows = n;
	bool *take = NULL;
	size_t *cluster = NULL;
	int rc = 0;
	lk_scored_sort(above->a, above->n);
	if (r->dedupe) {
		cluster = md_malloc((n ? n : 1) * sizeof(*cluster));
		if (!cluster)
			return MD_ENOMEM;
		rc = r->opts->smart ? lk_clusters_guarded(above->a, above->n, n, LK_CLUSTER_DENSITY,
		                                          LK_CLUSTER_STEP, cluster)
		                    : lk_clusters(above->a, above->n, n, cluster);
	} else if (r->cfg->link_type == LK_ONE_TO_ONE) {
		take = md_calloc(above->n ? above->n : 1, sizeof(*take));
		if (!take)
			return MD_ENOMEM;
		rc = lk_assign_one_to_one(above->a, above->n, n, r->n_ref, take);
	} else if (r->cfg->link_type == LK_ALL_ABOVE_THRESHOLD) {
		md_qsort(above->a, above->n, sizeof(*above->a), in_then_weight);
	}
	if (rc)
		goto out;
	/* The chosen pair of each row, for one_to_one. */
	size_t *chosen = NULL;
	if (take) {
		chosen = md_malloc((n ? n : 1) * sizeof(*chosen));
		if (!chosen) {
			rc = MD_ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < n; i++)
			chosen[i] = SIZE_MAX;
		for (size_t k = 0; k < above->n; k++)
			if (take[k])
				chosen[above->a[k].in] = k;
	}
	size_t ab = 0; /* cursor into above for all_above_threshold */
	for (size_t i = 0; i < n && !rc; i++) {
		struct lk_row_result *row = &out->rows[i];
		const struct lk_scored *t = top->a + i * top->k;
		size_t tn = top->n[i];
		row->in_row = i;
		row->cluster = cluster ? cluster[i] : i;
		if (chosen && chosen[i] != SIZE_MAX) {
			const struct lk_scored *s = &above->a[chosen[i]];
			rc = set_best(r, row, s, true);
			if (!rc)
				rc = add_candidates(r, row, t, tn, s->idx, K);
		} else if (!r->dedupe && r->cfg->link_type == LK_ALL_ABOVE_THRESHOLD) {
			while (ab < above->n && above->a[ab].in < i)
				ab++;
			size_t e = ab;
			while (e < above->n && above->a[e].in == i)
				e++;
			if (e > ab) {
				rc = set_best(r, row, &above->a[ab], true);
				if (!rc)
					rc = add_candidates(r, row, &above->a[ab], e - ab,
					                    above->a[ab].idx, e - ab);
			} else if (tn) {
				rc = set_best(r, row, &t[0], false);
				if (!rc)
					rc = add_candidates(r, row, t, tn, t[0].idx, K);
			}
		} else if (tn) {
			bool m = t[0].w >= tw && !take;
			if (r->dedupe)
				m = cluster[i] != i || (t[0].w >= tw && !r->opts->smart);
			rc = set_best(r, row, &t[0], m);
			if (!rc)
				rc = add_candidates(r, row, t, tn, t[0].idx, K);
		}
		if (!rc && row->matched) {
			out->rows_matched++;
			out->avg_confidence += row->best.probability;
		}
	}
	if (out->rows_matched)
		out->avg_confidence /= (double)out->rows_matched;
	md_free(chosen);
out:
	md_free(take);
	md_free(cluster);
	return rc;
}

static void fill_model(struct run *r, struct lk_model *m, const struct lk_pattern *pats,
                       size_t npats)
{
	for (size_t f = 0; f < r->nfields; f++) {
		m->nlevels[f] = r->nlevels[f];
		for (int l = 0; l < r->nlevels[f]; l++) {
			m->levels[f][l].m = r->em.m[f][l];
			m->levels[f][l].u = r->em.u[f][l];
		}
	}
	memcpy(m->fields, r->fields, sizeof(m->fields));
	m->nrules = r->nrules;
	for (size_t k = 0; k < r->nrules; k++) {
		m->rules[k] = r->rules[k];
		m->rule_pairs[k] = 0;
	}
	/* A pair counts for the first rule that produced it: the lowest bit of its set. */
	for (size_t i = 0; i < npats; i++)
		if (pats[i].rules)
			m->rule_pairs[__builtin_ctz(pats[i].rules)] += pats[i].count;
}

static void run_release(struct run *r)
{
	for (size_t k = 0; k < LK_MAX_RULES; k++) {
		md_free(r->in_keys[k]);
		md_free(r->ref_keys[k]);
	}
	for (size_t f = 0; f < LK_MAX_FIELDS; f++) {
		md_free(r->tf[f]);
		if (r->has_qix[f])
			lk_qgram_index_release(&r->qix[f]);
	}
	lk_blocker_release(&r->blk);
	md_free(r->cum);
	md_free(r->ufirst);
	lk_pattern_set_release(&r->patterns);
	lk_prep_release(&r->pin);
	lk_prep_release(&r->pref_own);
	lk_table_release(&r->win.t);
	lk_table_release(&r->wref.t);
	pthread_mutex_destroy(&r->mu);
}

static int make_keys(struct run *r)
{
	size_t n_ref = r->dedupe ? 0 : r->n_ref;
	for (size_t k = 0; k < r->nrules; k++) {
		r->in_keys[k] = md_malloc((r->n_in + 1) * sizeof(uint64_t));
		r->ref_keys[k] = md_malloc((n_ref + 1) * sizeof(uint64_t));
		if (!r->in_keys[k] || !r->ref_keys[k])
			return MD_ENOMEM;
		lk_rule_keys_kind(r->tin, r->rin[k], r->rules[k].key_kind, r->rules[k].ncols,
		                  r->in_keys[k]);
		if (!r->dedupe)
			lk_rule_keys_kind(r->tref, r->rref[k], r->rules[k].key_kind,
			                  r->rules[k].ncols, r->ref_keys[k]);
	}
	int rc = lk_blocker_init(&r->blk, (const uint64_t *const *)r->in_keys,
	                         (const uint64_t *const *)r->ref_keys, r->nrules, r->n_in, r->n_ref,
	                         r->dedupe, LK_HARD_MAX_PAIRS, LK_CHUNK_PAIRS, r->err, r->errcap);
	return rc;
}

/* ---- sharing the passes with other nodes (opts->share) ---- */

#define LK_UNIT_PAIRS_DEFAULT (1ULL << 20)

/* The pairs before each chunk, and the units when the run may be shared. */
static int make_units(struct run *r)
{
	size_t nc = r->blk.nchunks;
	r->cum = md_malloc((nc + 1) * sizeof(*r->cum));
	if (!r->cum)
		return MD_ENOMEM;
	r->cum[0] = 0;
	for (size_t c = 0; c < nc; c++)
		r->cum[c + 1] = r->cum[c] + r->blk.chunk_pairs[c];
	const struct lk_share *sh = r->opts->share;
	if (!sh)
		return 0;
	if (!r->unit_pairs)
		r->unit_pairs = sh->unit_pairs ? sh->unit_pairs : LK_UNIT_PAIRS_DEFAULT;
	r->ufirst = md_malloc((nc + 2) * sizeof(*r->ufirst));
	if (!r->ufirst)
		return MD_ENOMEM;
	/* A unit takes chunks until it holds unit_pairs pairs: the same cut on every node. */
	r->nunits = 0;
	for (size_t c = 0; c < nc;) {
		r->ufirst[r->nunits++] = c;
		uint64_t start = r->cum[c];
		while (c < nc && r->cum[c] - start < r->unit_pairs)
			c++;
	}
	r->ufirst[r->nunits] = nc;
	return 0;
}

/*
 * Offers pass (0 comparison, 1 scoring) to the share with its encoded plan or model (rc of the
 * encoding, passed through); sets r->shared if the caller shares it. Releases b.
 */
static int share_open_pass(struct run *r, int pass, int rc, struct lk_buf *b)
{
	const struct lk_share *sh = r->opts->share;
	if (!rc)
		rc = sh->open(sh->ctx, pass, r->nunits, b->b.data, b->b.len, r->blk.pairs_upper);
	lk_buf_release(b);
	if (rc < 0)
		return rc;
	r->shared = rc == 1;
	return 0;
}

/* Opens the comparison pass with the plan helpers need; sets r->shared if the caller shares. */
static int share_open_plan(struct run *r)
{
	const struct lk_share *sh = r->opts->share;
	if (!sh || r->nunits == 0)
		return 0;
	struct lk_wire_plan *p = md_calloc(1, sizeof(*p));
	struct lk_buf b;
	lk_buf_init(&b);
	if (!p)
		return MD_ENOMEM;
	p->nfields = r->nfields;
	memcpy(p->fields, r->fields, sizeof(p->fields));
	p->nrules = r->nrules;
	memcpy(p->rules, r->rules, sizeof(p->rules));
	p->nchunks = r->blk.nchunks;
	p->pairs_upper = r->blk.pairs_upper;
	p->nunits = r->nunits;
	p->unit_pairs = r->unit_pairs;
	int rc = lk_wire_plan_encode(p, &b);
	md_free(p);
	return share_open_pass(r, 0, rc, &b);
}

/* Opens the scoring pass with the model (the weights are set). */
static int share_open_model(struct run *r, size_t K)
{
	struct lk_wire_model *m = md_calloc(1, sizeof(*m));
	struct lk_buf b;
	lk_buf_init(&b);
	if (!m)
		return MD_ENOMEM;
	m->nfields = r->nfields;
	for (size_t f = 0; f < r->nfields; f++) {
		m->nlevels[f] = r->nlevels[f];
		memcpy(m->wt[f], r->wt[f], sizeof(m->wt[f]));
		m->m_exact[f] = r->em.m[f][r->nlevels[f] - 1];
		if (r->tf[f])
			m->tf_fields |= 1u << f;
	}
	m->prior_logit = r->prior_logit;
	m->tw = r->tw;
	m->keep_above = r->keep_above;
	m->k = (uint32_t)K;
	int rc = lk_wire_model_encode(m, &b);
	md_free(m);
	return share_open_pass(r, 1, rc, &b);
}

static int merge_pattern(void *ctx, const uint8_t *lv, uint32_t rules, uint64_t count)
{
	struct run *r = ctx;
	if (r->nrules < 32 && rules >> r->nrules)
		return MD_EINVAL;
	return lk_pattern_set_add(&r->patterns, lv, rules, count);
}

static int merge_patterns(void *ctx, const void *part, size_t len)
{
	struct run *r = ctx;
	uint64_t pairs = 0;
	int rc = lk_wire_patterns_decode(part, len, r->nfields, &pairs, merge_pattern, r);
	if (!rc)
		r->pairs_remote += pairs;
	return rc;
}

static bool scored_fits(const struct run *r, const struct lk_scored *s)
{
	size_t n_ref = r->dedupe ? r->n_in : r->n_ref;
	return s->in < r->n_in && s->ref < n_ref && (s->idx >> 32) < r->blk.nchunks;
}

static int merge_best(void *ctx, const struct lk_scored *s, const uint8_t *lv)
{
	struct run *r = ctx;
	if (!scored_fits(r, s))
		return MD_EINVAL;
	topk_add(r->top, s->in, *s, lv);
	return 0;
}

static int merge_above(void *ctx, const struct lk_scored *s)
{
	struct run *r = ctx;
	if (!scored_fits(r, s))
		return MD_EINVAL;
	if (r->above->n >= LK_MAX_ABOVE) {
		errf(r, "more than %llu candidate pairs are above the threshold: raise it",
		     (unsigned long long)LK_MAX_ABOVE);
		return MD_ELIMIT;
	}
	return vec_push(r->above, *s);
}

static int merge_scored(void *ctx, const void *part, size_t len)
{
	struct run *r = ctx;
	uint64_t pairs = 0;
	struct lk_wire_scored_cb cb = { merge_best, merge_above, r };
	return lk_wire_scored_decode(part, len, r->nfields, &pairs, &cb);
}

/*
 * Claims and computes units until none is left. The run (wait true) waits for the units others
 * hold and counts them; a helper (wait false) stops at once. *nclaimed: units computed here.
 */
static int claim_units(struct run *r, bool scoring, bool wait, size_t *nclaimed)
{
	const struct lk_share *sh = r->opts->share;
	int pass = scoring ? 1 : 0;
	*nclaimed = 0;
	for (;;) {
		size_t u = 0;
		int rc = sh->claim(sh->ctx, pass, &u);
		if (rc < 0)
			return rc;
		if (rc == LK_SHARE_NONE || (rc == LK_SHARE_WAIT && !wait))
			return 0;
		if (rc == LK_SHARE_WAIT) {
			if ((rc = progress(r, scoring ? "assign" : "compare", r->rows_hi, r->n_in,
			                   0)))
				return rc;
			continue;
		}
		if (rc != LK_SHARE_GOT || u >= r->nunits)
			return MD_EINVAL;
		if ((rc = run_range(r, scoring, r->ufirst[u], r->ufirst[u + 1])))
			return rc;
		(*nclaimed)++;
	}
}

/* The run's side of a shared pass: its own units, then the helpers' parts. */
static int shared_pass(struct run *r, bool scoring)
{
	const struct lk_share *sh = r->opts->share;
	size_t mine = 0;
	int rc = claim_units(r, scoring, true, &mine);
	if (!rc)
		rc =
		    sh->parts(sh->ctx, scoring ? 1 : 0, scoring ? merge_scored : merge_patterns, r);
	/* Not the configuration's fault (MD_EINVAL says that): a part that cannot be read. */
	if (rc == MD_EINVAL) {
		errf(r, "a helper's part of the run is unreadable");
		rc = MD_EIO;
	}
	return rc;
}

static int run_pipeline(struct run *r, struct lk_result *out)
{
	int rc = validate(r);
	if (rc)
		return rc;
	if ((rc = progress(r, "normalize", 0, r->n_in, 0)))
		return rc;
	for (size_t f = 0; f < r->nfields && r->opts->smart; f++)
		lk_smart_refine_levels(&r->fields[f]);
	if ((rc = prepare_columns(r)))
		return rc;
	if (r->opts->smart)
		lk_smart_dependent_fields(r->tin, r->fin, r->nfields, r->dep, r->composite);
	if (r->cfg->nrules == 0 && (rc = choose_rules(r)))
		return rc;
	if ((rc = progress(r, "blocking", 0, r->n_in, 0)))
		return rc;
	if ((rc = make_keys(r)) || (rc = make_units(r)) || (rc = share_open_plan(r)))
		return rc;
	if ((rc = run_pass(r, false)))
		return rc;
	out->model.pairs_compared = atomic_load(&r->pairs_done) + r->pairs_remote;
	if ((rc = progress(r, "estimate", r->n_in, r->n_in, 0)))
		return rc;
	if ((rc = estimate_u(r)))
		return rc;
	size_t npats = 0;
	struct lk_pattern *pats = lk_pattern_set_take_sorted(&r->patterns, &npats);
	if (!pats)
		return MD_ENOMEM;
	rc = estimate_m(r, pats, npats, &out->model);
	fill_model(r, &out->model, pats, npats);
	md_free(pats);
	if (rc)
		return rc;
	for (size_t f = 0; f < r->nfields; f++) {
		r->wt[f][0] = 0;
		for (int l = 0; l < r->nlevels[f]; l++)
			r->wt[f][l + 1] = lk_level_weight(&r->em, (int)f, l);
	}
	if ((rc = progress(r, "assign", 0, r->n_in, 0)))
		return rc;
	size_t K = 1 + (r->opts->max_candidates ? r->opts->max_candidates : 3);
	if (K > 255)
		return MD_EINVAL;
	size_t rows = r->n_in ? r->n_in : 1, nf = r->nfields ? r->nfields : 1;
	struct topk top = { md_malloc(rows * K * sizeof(struct lk_scored)), md_calloc(rows, 1), K,
		            md_malloc(rows * K * nf), r->nfields };
	struct scored_vec above = { 0 };
	if (!top.a || !top.n || !top.lv)
		rc = MD_ENOMEM;
	r->top = &top;
	r->above = &above;
	r->tw = log2(r->cfg->threshold / (1 - r->cfg->threshold));
	/* best_match links each row to its best pair: only the others read the pairs above. */
	r->keep_above = r->dedupe || r->cfg->link_type != LK_BEST_MATCH;
	if (!rc && r->shared)
		rc = share_open_model(r, K);
	if (!rc)
		rc = run_pass(r, true);
	if (!rc)
		rc = assign(r, &top, &above, out);
	r->top = NULL;
	md_free(top.a);
	md_free(top.n);
	md_free(top.lv);
	md_free(above.a);
	if (!rc)
		rc = progress(r, "done", r->n_in, r->n_in, out->rows_matched);
	return rc;
}

static const struct lk_opts default_opts = { .threads = 1, .max_candidates = 3 };

static struct run *run_new(const struct lk_config *cfg, const struct lk_table *in,
                           const struct lk_table *ref, const struct lk_opts *opts, char *err,
                           size_t errcap)
{
	struct run *r = md_calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->cfg = cfg;
	r->opts = opts ? opts : &default_opts;
	r->dedupe = cfg->mode == LK_MODE_DEDUPE;
	r->in = in;
	r->ref = r->dedupe ? in : ref;
	r->n_in = in->nrows;
	r->n_ref = r->ref->nrows;
	r->nfields = cfg->nfields <= LK_MAX_FIELDS ? cfg->nfields : 0;
	memcpy(r->fields, cfg->fields, sizeof(r->fields));
	memcpy(r->rules, cfg->rules, sizeof(r->rules));
	r->nrules = cfg->nrules;
	r->em.nfields = r->nfields;
	r->err = err;
	r->errcap = errcap;
	lk_table_init(&r->win.t);
	lk_table_init(&r->wref.t);
	lk_pattern_set_init(&r->patterns, r->nfields);
	pthread_mutex_init(&r->mu, NULL);
	return r;
}

int lk_run(const struct lk_config *cfg, const struct lk_table *in, const struct lk_table *ref,
           const struct lk_opts *opts, struct lk_result *out, char *err, size_t errcap)
{
	memset(out, 0, sizeof(*out));
	if (err && errcap)
		err[0] = '\0';
	if (!cfg || !in || (!ref && cfg->mode != LK_MODE_DEDUPE))
		return MD_EINVAL;
	struct run *r = run_new(cfg, in, ref, opts, err, errcap);
	if (!r)
		return MD_ENOMEM;
	out->nfields = r->nfields;
	int rc = run_pipeline(r, out);
	run_release(r);
	md_free(r);
	if (rc) {
		if (rc == MD_ENOMEM && err && errcap && !err[0])
			snprintf(err, errcap, "out of memory");
		lk_result_release(out);
	}
	return rc;
}

/* ---- the helper's side of a shared run ---- */

/*
 * A helper's configuration: the run's, with the fields as the run compared them and its rules
 * (chosen when smart), so validate() checks them against these tables.
 */
static int help_config(struct run *r, const struct lk_wire_plan *p, struct lk_config *c)
{
	if (p->nfields != r->nfields)
		return MD_ECONFLICT;
	*c = *r->cfg;
	memcpy(c->fields, p->fields, sizeof(c->fields));
	memcpy(c->rules, p->rules, sizeof(c->rules));
	c->nrules = p->nrules;
	r->cfg = c;
	memcpy(r->fields, p->fields, sizeof(r->fields));
	memcpy(r->rules, p->rules, sizeof(r->rules));
	r->nrules = p->nrules;
	r->unit_pairs = p->unit_pairs;
	return validate(r) ? MD_ECONFLICT : 0;
}

/* Reads the plan and cuts the same chunks and units as the run; MD_ECONFLICT if they differ. */
static int help_plan(struct run *r, struct lk_config *c)
{
	const struct lk_share *sh = r->opts->share;
	const void *blob = NULL;
	size_t len = 0;
	int rc = sh->plan(sh->ctx, 0, &blob, &len);
	if (rc)
		return rc;
	struct lk_wire_plan *p = md_malloc(sizeof(*p));
	if (!p)
		return MD_ENOMEM;
	rc = lk_wire_plan_decode(blob, len, p);
	if (!rc)
		rc = help_config(r, p, c);
	if (!rc)
		rc = prepare_columns(r);
	if (!rc)
		rc = make_keys(r);
	if (!rc)
		rc = make_units(r);
	if (!rc && (r->blk.nchunks != p->nchunks || r->blk.pairs_upper != p->pairs_upper ||
	            r->nunits != p->nunits))
		rc = MD_ECONFLICT;
	if (rc == MD_EINVAL || rc == MD_ECONFLICT) {
		errf(r, "the run's plan does not fit these tables");
		rc = MD_ECONFLICT;
	}
	md_free(p);
	return rc;
}

static int help_compare(struct run *r)
{
	const struct lk_share *sh = r->opts->share;
	size_t n = 0, npats = 0;
	int rc = claim_units(r, false, false, &n);
	if (rc || n == 0)
		return rc;
	struct lk_pattern *pats = lk_pattern_set_take_sorted(&r->patterns, &npats);
	struct lk_buf b;
	lk_buf_init(&b);
	rc = pats
	         ? lk_wire_patterns_encode(atomic_load(&r->pairs_done), pats, npats, r->nfields, &b)
	         : MD_ENOMEM;
	if (!rc)
		rc = sh->submit(sh->ctx, 0, n, b.b.data, b.b.len);
	md_free(pats);
	lk_buf_release(&b);
	return rc == MD_ECONFLICT ? 0 : rc;
}

/* Takes the run's model: weights, prior, threshold, and the term frequencies it used. */
static int help_model(struct run *r, const struct lk_wire_model *m)
{
	if (m->nfields != r->nfields)
		return MD_ECONFLICT;
	for (size_t f = 0; f < r->nfields; f++) {
		if (m->nlevels[f] != r->nlevels[f])
			return MD_ECONFLICT;
		memcpy(r->wt[f], m->wt[f], sizeof(r->wt[f]));
		r->em.m[f][r->nlevels[f] - 1] = m->m_exact[f];
		if (!((m->tf_fields >> f) & 1))
			continue;
		double ue = 0;
		int rc = exact_u(r, f, &ue);
		if (rc)
			return rc;
		if (!r->tf[f])
			return MD_ECONFLICT;
	}
	r->prior_logit = m->prior_logit;
	r->tw = m->tw;
	r->keep_above = m->keep_above;
	return 0;
}

static int help_submit_scored(struct run *r, const struct topk *top, size_t n)
{
	const struct lk_share *sh = r->opts->share;
	size_t nf = r->nfields;
	uint64_t nbest = 0;
	for (size_t row = 0; row < r->n_in; row++)
		nbest += top->n[row];
	struct lk_buf b;
	lk_buf_init(&b);
	lk_wire_scored_begin(&b, nf, atomic_load(&r->pairs_scored), nbest, r->above->n);
	for (size_t row = 0; row < r->n_in; row++)
		for (size_t m = 0; m < top->n[row]; m++)
			lk_wire_scored_put(&b, &top->a[row * top->k + m],
			                   top->lv + (row * top->k + m) * nf, nf);
	for (size_t k = 0; k < r->above->n; k++)
		lk_wire_scored_put(&b, &r->above->a[k], NULL, nf);
	int rc = b.err ? b.err : sh->submit(sh->ctx, 1, n, b.b.data, b.b.len);
	lk_buf_release(&b);
	return rc == MD_ECONFLICT ? 0 : rc;
}

static int help_score(struct run *r)
{
	const struct lk_share *sh = r->opts->share;
	const void *blob = NULL;
	size_t len = 0, n = 0;
	int rc = sh->plan(sh->ctx, 1, &blob, &len);
	if (rc)
		return rc;
	struct lk_wire_model *m = md_malloc(sizeof(*m));
	if (!m)
		return MD_ENOMEM;
	rc = lk_wire_model_decode(blob, len, m);
	if (!rc)
		rc = help_model(r, m);
	size_t K = m->k, rows = r->n_in ? r->n_in : 1, nf = r->nfields ? r->nfields : 1;
	md_free(m);
	if (rc)
		return rc == MD_EINVAL ? MD_ECONFLICT : rc;
	struct topk top = { md_malloc(rows * K * sizeof(struct lk_scored)), md_calloc(rows, 1), K,
		            md_malloc(rows * K * nf), r->nfields };
	struct scored_vec above = { 0 };
	r->top = &top;
	r->above = &above;
	rc = top.a && top.n && top.lv ? claim_units(r, true, false, &n) : MD_ENOMEM;
	if (!rc && n)
		rc = help_submit_scored(r, &top, n);
	r->top = NULL;
	r->above = NULL;
	md_free(top.a);
	md_free(top.n);
	md_free(top.lv);
	md_free(above.a);
	return rc;
}

int lk_help(const struct lk_config *cfg, const struct lk_table *in, const struct lk_table *ref,
            const struct lk_opts *opts, char *err, size_t errcap)
{
	if (err && errcap)
		err[0] = '\0';
	if (!cfg || !in || (!ref && cfg->mode != LK_MODE_DEDUPE) || !opts || !opts->share)
		return MD_EINVAL;
	/* The plan carries the fields as compared: nothing is inferred again. */
	struct lk_opts local = *opts;
	local.smart = false;
	struct run *r = run_new(cfg, in, ref, &local, err, errcap);
	struct lk_config *c = md_malloc(sizeof(*c));
	int rc = r && c ? 0 : MD_ENOMEM;
	if (!rc)
		rc = help_plan(r, c);
	if (!rc)
		rc = help_compare(r);
	if (!rc)
		rc = help_score(r);
	if (r) {
		run_release(r);
		md_free(r);
	}
	md_free(c);
	/* 1 from a plan callback: the pass will not come, nothing (more) to do. */
	return rc == 1 ? 0 : rc;
}

static void pair_release(struct lk_pair *p)
{
	md_free(p->fields);
	p->fields = NULL;
}

void lk_result_release(struct lk_result *r)
{
	for (size_t i = 0; r->rows && i < r->nrows; i++) {
		struct lk_row_result *row = &r->rows[i];
		if (row->has_best)
			pair_release(&row->best);
		for (size_t k = 0; k < row->ncandidates; k++)
			pair_release(&row->candidates[k]);
		md_free(row->candidates);
	}
	md_free(r->rows);
	memset(r, 0, sizeof(*r));
}
