/* Smart runs: blocking rules from key frequencies, default levels (see smart.h). */
#include "base/common.h"

#include "engines/linkage/blocking.h"
#include "engines/linkage/smart.h"

double lk_rules_recall(const double *p, size_t ncols, const uint32_t *rules, size_t nrules)
{
	if (!nrules)
		return 0;
	double recall = 0;
	/* Each state is the set of columns on which the match agrees. */
	for (uint32_t s = 0; s < (1u << ncols); s++) {
		bool caught = false;
		for (size_t r = 0; r < nrules && !caught; r++)
			caught = (rules[r] & s) == rules[r];
		if (!caught)
			continue;
		double pr = 1;
		for (size_t c = 0; c < ncols; c++)
			pr *= (s >> c) & 1 ? p[c] : 1 - p[c];
		recall += pr;
	}
	return recall;
}

static double nonnull_share(const uint64_t *keys, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += keys[i] != 0;
	return n ? (double)k / (double)n : 0;
}

/* Key of two columns: 0 when either is missing. */
static void combine_keys(const uint64_t *a, const uint64_t *b, size_t n, uint64_t *out)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t h = 0;
		if (a[i] && b[i]) {
			h = (a[i] ^ (b[i] * 0x9e3779b97f4a7c15ULL)) * 0xbf58476d1ce4e5b9ULL;
			h ^= h >> 31;
			h = h ? h : 1;
		}
		out[i] = h;
	}
}

struct cand {
	uint32_t cols;
	uint64_t pairs;
};

/* Counts the pairs of every single column and pair of columns into c (returns how many). */
static int count_candidates(const struct lk_table *in, const struct lk_table *ref,
                            const int *in_cols, const int *ref_cols, size_t ncols, bool dedupe,
                            double *p, struct cand *c, size_t *nc)
{
	size_t n_in = in->nrows, n_ref = dedupe ? 0 : ref->nrows;
	uint64_t *ki = md_malloc((ncols * n_in + 2 * n_in + 1) * sizeof(*ki));
	uint64_t *kr = md_malloc((ncols * n_ref + 2 * n_ref + 1) * sizeof(*kr));
	int rc = MD_ENOMEM;
	if (!ki || !kr)
		goto out;
	uint64_t *ti = ki + ncols * n_in, *tr = kr + ncols * n_ref;
	for (size_t k = 0; k < ncols; k++) {
		lk_rule_keys(in, &in_cols[k], 1, ki + k * n_in);
		if (!dedupe)
			lk_rule_keys(ref, &ref_cols[k], 1, kr + k * n_ref);
		double share = nonnull_share(ki + k * n_in, n_in);
		share *= dedupe ? share : nonnull_share(kr + k * n_ref, n_ref);
		p[k] = 0.9 * share;
	}
	*nc = 0;
	for (size_t a = 0; a < ncols; a++) {
		for (size_t b = a; b < ncols; b++) {
			const uint64_t *xi = ki + a * n_in, *xr = kr + a * n_ref;
			if (b != a) {
				combine_keys(ki + a * n_in, ki + b * n_in, n_in, ti);
				if (!dedupe)
					combine_keys(kr + a * n_ref, kr + b * n_ref, n_ref, tr);
				xi = ti;
				xr = tr;
			}
			uint64_t pairs = lk_key_pair_count(xi, n_in, xr, n_ref, dedupe);
			if (pairs == UINT64_MAX)
				goto out;
			if (pairs)
				c[(*nc)++] = (struct cand){ (1u << a) | (1u << b), pairs };
		}
	}
	rc = 0;
out:
	md_free(ki);
	md_free(kr);
	return rc;
}

int lk_smart_rules(const struct lk_table *in, const struct lk_table *ref, const int *in_cols,
                   const int *ref_cols, size_t ncols, bool dedupe, uint64_t max_pairs,
                   struct lk_smart_rule *out, size_t *nout, double *recall)
{
	if (ncols > LK_SMART_MAX_COLS)
		ncols = LK_SMART_MAX_COLS;
	struct cand c[LK_SMART_MAX_COLS * (LK_SMART_MAX_COLS + 1) / 2];
	double p[LK_SMART_MAX_COLS];
	size_t nc = 0;
	*nout = 0;
	*recall = 0;
	int rc = count_candidates(in, ref, in_cols, ref_cols, ncols, dedupe, p, c, &nc);
	if (rc)
		return rc;
	uint32_t chosen[LK_MAX_RULES];
	bool used[ARRAY_SIZE(c)] = { false };
	uint64_t total = 0;
	double cur = 0;
	while (*nout < LK_MAX_RULES) {
		double gain[ARRAY_SIZE(c)], best = 0;
		for (size_t k = 0; k < nc; k++) {
			gain[k] = -1;
			if (used[k] || total + c[k].pairs > max_pairs)
				continue;
			chosen[*nout] = c[k].cols;
			gain[k] = lk_rules_recall(p, ncols, chosen, *nout + 1) - cur;
			if (gain[k] > best)
				best = gain[k];
		}
		if (best < 1e-4)
			break;
		size_t pick = SIZE_MAX;
		for (size_t k = 0; k < nc; k++)
			if (gain[k] >= 0.95 * best &&
			    (pick == SIZE_MAX || c[k].pairs < c[pick].pairs))
				pick = k;
		used[pick] = true;
		chosen[*nout] = c[pick].cols;
		out[*nout] = (struct lk_smart_rule){ c[pick].cols, c[pick].pairs };
		(*nout)++;
		total += c[pick].pairs;
		cur += gain[pick];
	}
	*recall = cur;
	return 0;
}

void lk_smart_default_levels(struct lk_field *f)
{
	if (f->nthresholds > 0)
		return;
	static const struct {
		enum lk_comparator cmp;
		double t[2];
		int n;
	} defaults[] = {
		{ LK_CMP_JARO_WINKLER, { 0.92, 0.8 }, 2 },
		{ LK_CMP_LEVENSHTEIN, { 1, 2 }, 2 },
		{ LK_CMP_TOKEN_SET, { 0.9, 0.7 }, 2 },
		{ LK_CMP_QGRAM_COSINE, { 0.9, 0.7 }, 2 },
		{ LK_CMP_NUMERIC, { 0.01, 0.1 }, 2 },
		{ LK_CMP_DATE, { 31, 366 }, 2 },
		/* phonetic: the threshold only adds the "some key agrees" level */
		{ LK_CMP_PHONETIC, { 0 }, 1 },
	};
	for (size_t k = 0; k < ARRAY_SIZE(defaults); k++) {
		if (defaults[k].cmp != f->cmp)
			continue;
		for (int i = 0; i < defaults[k].n; i++)
			f->thresholds[i] = defaults[k].t[i];
		f->nthresholds = defaults[k].n;
	}
}
