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
		out[*nout] = (struct lk_smart_rule){ .cols = c[pick].cols, .pairs = c[pick].pairs };
		(*nout)++;
		total += c[pick].pairs;
		cur += gain[pick];
	}
	*recall = cur;
	return 0;
}

/* ---- derived keys (lk_smart_rules_derived) ---- */

#define MAX_VARIANTS 24
#define MAX_STATES (1u << LK_SMART_MAX_COLS)
#define MAX_ANCHORS_PER_ROW 8

/* A key of one candidate column: exact or derived. */
struct variant {
	int col;
	unsigned char kind;
	double p;
	double share;      /* of rows with the (exact) key on both sides */
	uint64_t *ki, *kr; /* keys of in / ref rows (kr unused in dedupe) */
	uint32_t bit;      /* in the nested (thermometer) state masks */
};

struct dcand {
	uint32_t mask; /* variant bits */
	uint32_t cols;
	unsigned char kinds[LK_SMART_MAX_COLS];
	uint64_t pairs;
};

struct anchor {
	uint32_t i, j;
	uint32_t cols;  /* the candidate columns that made it */
	uint32_t combo; /* which pair of keys made it */
};

/* Whether a derived kind suits the values of column col (a sample of the input rows). */
static bool kind_applies(const struct lk_table *t, int col, int kind)
{
	size_t seen = 0, hits = 0, step = t->nrows > 4000 ? t->nrows / 2000 : 1;
	char buf[LK_KEY_DERIVED_MAX];
	for (size_t r = 0; r < t->nrows; r += step) {
		const char *s = t->cells[r * t->ncols + col];
		if (!*s)
			continue;
		seen++;
		size_t n = lk_key_derive(s, kind, buf);
		if (kind == LK_KEY_FIRST_TOKEN || kind == LK_KEY_FIRST2_TOKENS) {
			const char *e = s + strlen(s);
			while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
				e--;
			const char *b = s;
			while (*b == ' ' || *b == '\t')
				b++;
			hits += n > 0 && n < (size_t)(e - b);
		} else if (kind == LK_KEY_NUMBER_ROUNDED) {
			char *end;
			(void)strtod(s, &end);
			hits += n > 0 && end != s && !*end && strchr(s, '.');
		} else if (kind == LK_KEY_YEAR_MONTH) {
			int month = n == 6 ? (buf[4] - '0') * 10 + (buf[5] - '0') : 0;
			int year = 0;
			for (size_t i = 0; n == 6 && i < 4; i++)
				year = year * 10 + (buf[i] - '0');
			hits += month >= 1 && month <= 12 && year >= 1800 && year <= 2200;
		}
	}
	if (seen < 20)
		return false;
	double share = (double)hits / (double)seen;
	return kind == LK_KEY_FIRST_TOKEN || kind == LK_KEY_FIRST2_TOKENS ? share >= 0.2
	                                                                  : share >= 0.8;
}

static int anchor_push(struct anchor **a, size_t *n, size_t *cap, struct anchor x)
{
	if (*n == *cap && md_grow(a, cap, sizeof **a, 1024))
		return MD_ENOMEM;
	(*a)[(*n)++] = x;
	return 0;
}

/*
 * Anchor pairs: alone in their block on both sides (dedupe: blocks of exactly two rows) for
 * the combined key of a variant of column a and a variant of column b != a.
 */
static int find_anchors(const struct variant *v, size_t nv, size_t n_in, size_t n_ref, bool dedupe,
                        uint64_t *ti, uint64_t *tr, struct anchor **out, size_t *nout,
                        size_t *ncombos)
{
	*ncombos = 0;
	size_t cap = 0, limit = MAX_ANCHORS_PER_ROW * (n_in + 1);
	*out = NULL;
	*nout = 0;
	for (size_t x = 0; x < nv; x++) {
		for (size_t y = x + 1; y < nv && *nout < limit; y++) {
			if (v[x].col == v[y].col)
				continue;
			combine_keys(v[x].ki, v[y].ki, n_in, ti);
			if (!dedupe)
				combine_keys(v[x].kr, v[y].kr, n_ref, tr);
			struct lk_keyrow *a = NULL, *b = NULL;
			size_t na = 0, nb = 0;
			int rc = lk_keys_sort(ti, n_in, &a, &na);
			if (!rc && !dedupe)
				rc = lk_keys_sort(tr, n_ref, &b, &nb);
			uint32_t cols = (1u << v[x].col) | (1u << v[y].col);
			uint32_t combo = (uint32_t)(*ncombos)++;
			size_t i = 0, j = 0;
			while (!rc && i < na && *nout < limit) {
				size_t i2 = i;
				while (i2 < na && a[i2].h == a[i].h)
					i2++;
				if (dedupe) {
					if (i2 - i == 2)
						rc = anchor_push(out, nout, &cap,
						                 (struct anchor){ a[i].row,
						                                  a[i + 1].row,
						                                  cols, combo });
				} else {
					while (j < nb && b[j].h < a[i].h)
						j++;
					size_t j2 = j;
					while (j2 < nb && b[j2].h == a[i].h)
						j2++;
					if (i2 - i == 1 && j2 - j == 1)
						rc =
						    anchor_push(out, nout, &cap,
						                (struct anchor){ a[i].row, b[j].row,
						                                 cols, combo });
					j = j2;
				}
				i = i2;
			}
			md_free(a);
			md_free(b);
			if (rc)
				return rc;
		}
	}
	return 0;
}

/*
 * Measures the exact key ex and the derived key d of one column on the anchors of each pair of
 * other columns' keys, and keeps the set of anchors where d fixes the largest share of ex's
 * disagreements (the most precise anchors: on chance pairs both keys mostly disagree). Sets
 * the agreement rates of both keys there; true when d qualifies.
 */
static bool derived_rates(const struct variant *ex, const struct variant *d,
                          const struct anchor *an, size_t nan, size_t ncombos, bool dedupe,
                          double *agree_e, double *agree_d)
{
	size_t st[MAX_VARIANTS * MAX_VARIANTS][3];
	memset(st, 0, ncombos * sizeof(st[0]));
	for (size_t k = 0; k < nan; k++) {
		if ((an[k].cols >> ex->col) & 1)
			continue;
		uint32_t i = an[k].i, j = an[k].j;
		uint64_t ei = ex->ki[i], ej = dedupe ? ex->ki[j] : ex->kr[j];
		if (!ei || !ej)
			continue;
		size_t *s = st[an[k].combo];
		s[0]++;
		s[1] += ei != ej;
		uint64_t di = d->ki[i], dj = dedupe ? d->ki[j] : d->kr[j];
		s[2] += !di || di != dj;
	}
	double best = 2;
	for (size_t c = 0; c < ncombos; c++) {
		if (st[c][0] < 100 || st[c][1] < 10)
			continue;
		double ratio = (double)st[c][2] / (double)st[c][1];
		if (ratio < best) {
			best = ratio;
			*agree_e = 1 - (double)st[c][1] / (double)st[c][0];
			*agree_d = 1 - (double)st[c][2] / (double)st[c][0];
		}
	}
	return best <= 0.35;
}

/*
 * The agreement rate of an exact key on the anchors of the pair of other columns' keys where
 * it is highest (the most precise anchors); false without 100 anchors in any.
 */
static bool exact_rate(const struct variant *ex, const struct anchor *an, size_t nan,
                       size_t ncombos, bool dedupe, double *agree)
{
	size_t st[MAX_VARIANTS * MAX_VARIANTS][2];
	memset(st, 0, ncombos * sizeof(st[0]));
	for (size_t k = 0; k < nan; k++) {
		if ((an[k].cols >> ex->col) & 1)
			continue;
		uint32_t i = an[k].i, j = an[k].j;
		uint64_t ei = ex->ki[i], ej = dedupe ? ex->ki[j] : ex->kr[j];
		if (!ei || !ej)
			continue;
		st[an[k].combo][0]++;
		st[an[k].combo][1] += ei == ej;
	}
	double best = -1;
	for (size_t c = 0; c < ncombos; c++)
		if (st[c][0] >= 100 && (double)st[c][1] / (double)st[c][0] > best)
			best = (double)st[c][1] / (double)st[c][0];
	if (best < 0)
		return false;
	*agree = best;
	return true;
}

static double states_recall(const uint32_t *smask, const double *sprob, size_t ns,
                            const uint32_t *rules, size_t nrules)
{
	double recall = 0;
	for (size_t s = 0; s < ns; s++) {
		for (size_t r = 0; r < nrules; r++) {
			if ((rules[r] & smask[s]) == rules[r]) {
				recall += sprob[s];
				break;
			}
		}
	}
	return recall;
}

static int cmp_variant(const void *x, const void *y)
{
	const struct variant *a = x, *b = y;
	if (a->col != b->col)
		return a->col < b->col ? -1 : 1;
	if (a->p != b->p)
		return a->p > b->p ? -1 : 1; /* most lenient first */
	return (a->kind > b->kind) - (a->kind < b->kind);
}

/* The nested-state model and the greedy choice over single and paired variants. */
static int choose_derived(struct variant *v, size_t nv, size_t ncols, size_t n_in, size_t n_ref,
                          bool dedupe, uint64_t max_pairs, uint64_t *ti, uint64_t *tr,
                          struct lk_smart_rule *out, size_t *nout, double *recall)
{
	md_qsort(v, nv, sizeof(*v), cmp_variant);
	/* bits and per-column ranges */
	size_t first[LK_SMART_MAX_COLS + 1] = { 0 }, m[LK_SMART_MAX_COLS] = { 0 };
	for (size_t k = 0; k < nv; k++) {
		v[k].bit = (uint32_t)k;
		m[v[k].col]++;
	}
	for (size_t c = 0; c < ncols; c++)
		first[c + 1] = first[c] + m[c];
	size_t ns = 1;
	for (size_t c = 0; c < ncols; c++)
		ns *= m[c] + 1;
	uint32_t *smask = md_malloc(ns * sizeof(*smask));
	double *sprob = md_malloc(ns * sizeof(*sprob));
	static const size_t maxc = MAX_VARIANTS * (MAX_VARIANTS + 1) / 2;
	struct dcand *c = md_malloc(maxc * sizeof(*c));
	double *gain = md_malloc(maxc * sizeof(*gain));
	bool *used = md_calloc(maxc, sizeof(*used));
	int rc = MD_ENOMEM;
	if (!smask || !sprob || !c || !gain || !used)
		goto out;
	for (size_t s = 0; s < ns; s++) {
		size_t idx = s;
		uint32_t mask = 0;
		double pr = 1;
		for (size_t col = 0; col < ncols; col++) {
			size_t L = idx % (m[col] + 1);
			idx /= m[col] + 1;
			double ge = L ? v[first[col] + L - 1].p : 1;
			double gt = L < m[col] ? v[first[col] + L].p : 0;
			pr *= ge - gt;
			mask |= (uint32_t)(((1ull << L) - 1) << first[col]);
		}
		smask[s] = mask;
		sprob[s] = pr;
	}
	size_t nc = 0;
	for (size_t x = 0; x < nv; x++) {
		for (size_t y = x; y < nv; y++) {
			if (y != x && v[x].col == v[y].col)
				continue;
			const uint64_t *xi = v[x].ki, *xr = v[x].kr;
			if (y != x) {
				combine_keys(v[x].ki, v[y].ki, n_in, ti);
				if (!dedupe)
					combine_keys(v[x].kr, v[y].kr, n_ref, tr);
				xi = ti;
				xr = tr;
			}
			uint64_t pairs = lk_key_pair_count(xi, n_in, xr, n_ref, dedupe);
			if (pairs == UINT64_MAX)
				goto out;
			if (!pairs)
				continue;
			struct dcand d = { .mask = (1u << v[x].bit) | (1u << v[y].bit),
				           .cols = (1u << v[x].col) | (1u << v[y].col),
				           .pairs = pairs };
			d.kinds[v[x].col] = v[x].kind;
			d.kinds[v[y].col] = v[y].kind;
			c[nc++] = d;
		}
	}
	uint32_t chosen[LK_MAX_RULES];
	uint64_t total = 0;
	double cur = 0;
	while (*nout < LK_MAX_RULES) {
		double best = 0;
		for (size_t k = 0; k < nc; k++) {
			gain[k] = -1;
			if (used[k] || total + c[k].pairs > max_pairs)
				continue;
			chosen[*nout] = c[k].mask;
			gain[k] = states_recall(smask, sprob, ns, chosen, *nout + 1) - cur;
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
		chosen[*nout] = c[pick].mask;
		struct lk_smart_rule r = { .cols = c[pick].cols, .pairs = c[pick].pairs };
		memcpy(r.kinds, c[pick].kinds, sizeof(r.kinds));
		out[(*nout)++] = r;
		total += c[pick].pairs;
		cur += gain[pick];
	}
	*recall = cur;
	rc = 0;
out:
	md_free(smask);
	md_free(sprob);
	md_free(c);
	md_free(gain);
	md_free(used);
	return rc;
}

int lk_smart_rules_derived(const struct lk_table *in, const struct lk_table *ref,
                           const int *in_cols, const int *ref_cols, size_t ncols, bool dedupe,
                           uint64_t max_pairs, struct lk_smart_rule *out, size_t *nout,
                           double *recall)
{
	static const unsigned char kinds[] = { LK_KEY_FIRST_TOKEN, LK_KEY_FIRST2_TOKENS,
		                               LK_KEY_NUMBER_ROUNDED, LK_KEY_YEAR_MONTH };
	if (ncols > LK_SMART_MAX_COLS)
		ncols = LK_SMART_MAX_COLS;
	*nout = 0;
	*recall = 0;
	size_t n_in = in->nrows, n_ref = dedupe ? 0 : ref->nrows;
	struct variant v[MAX_VARIANTS];
	size_t nv = 0, nexact = 0;
	struct anchor *an = NULL;
	size_t nan = 0, ncombos = 0;
	uint64_t *ti = md_malloc((n_in + 1) * sizeof(*ti));
	uint64_t *tr = md_malloc((n_ref + 1) * sizeof(*tr));
	int rc = MD_ENOMEM;
	if (!ti || !tr)
		goto out;
	/* every exact key, then the derived keys that suit the values */
	for (size_t k = 0; k < ncols + ncols * ARRAY_SIZE(kinds) && nv < MAX_VARIANTS; k++) {
		size_t col = k < ncols ? k : (k - ncols) / ARRAY_SIZE(kinds);
		unsigned char kind =
		    k < ncols ? LK_KEY_EXACT : kinds[(k - ncols) % ARRAY_SIZE(kinds)];
		if (kind != LK_KEY_EXACT && !kind_applies(in, in_cols[col], kind))
			continue;
		struct variant *x = &v[nv];
		*x = (struct variant){ .col = (int)col, .kind = kind };
		x->ki = md_malloc((n_in + 1) * sizeof(uint64_t));
		x->kr = md_malloc((n_ref + 1) * sizeof(uint64_t));
		if (!x->ki || !x->kr) {
			md_free(x->ki);
			md_free(x->kr);
			goto out;
		}
		nv++;
		lk_rule_keys_kind(in, &in_cols[col], &kind, 1, x->ki);
		if (!dedupe)
			lk_rule_keys_kind(ref, &ref_cols[col], &kind, 1, x->kr);
		if (kind == LK_KEY_EXACT) {
			double share = nonnull_share(x->ki, n_in);
			share *= dedupe ? share : nonnull_share(x->kr, n_ref);
			x->p = 0.9 * share;
			x->share = share;
			nexact++;
		}
	}
	if (nv > nexact) {
		rc = find_anchors(v, nv, n_in, n_ref, dedupe, ti, tr, &an, &nan, &ncombos);
		if (rc)
			goto out;
		rc = MD_ENOMEM;
	}
	/*
	 * Keep the derived keys that fix most exact disagreements, while the states fit; the
	 * column's exact key then takes its measured agreement too (share * rate).
	 */
	size_t states = (size_t)1 << nexact, kept = nexact;
	for (size_t k = nexact; k < nv; k++) {
		struct variant *ex = &v[v[k].col];
		size_t mcol = 1;
		for (size_t q = nexact; q < kept; q++)
			mcol += v[q].col == v[k].col;
		double ae = 0, ad = 0;
		if (!derived_rates(ex, &v[k], an, nan, ncombos, dedupe, &ae, &ad) ||
		    states / (mcol + 1) * (mcol + 2) > MAX_STATES) {
			md_free(v[k].ki);
			md_free(v[k].kr);
			continue;
		}
		states = states / (mcol + 1) * (mcol + 2);
		double share = ex->share;
		if (mcol == 1)
			ex->p = share * ae;
		v[k].p = share * ad;
		if (v[k].p < ex->p)
			v[k].p = ex->p;
		v[kept++] = v[k];
	}
	nv = kept;
	if (nv > nexact)
		for (size_t k = 0; k < nexact; k++) {
			bool has = false;
			for (size_t q = nexact; q < nv; q++)
				has |= v[q].col == v[k].col;
			double ae;
			if (!has && exact_rate(&v[k], an, nan, ncombos, dedupe, &ae))
				v[k].p = v[k].share * ae;
		}
	if (nv == nexact) {
		rc = lk_smart_rules(in, ref, in_cols, ref_cols, ncols, dedupe, max_pairs, out, nout,
		                    recall);
		goto out;
	}
	rc =
	    choose_derived(v, nv, ncols, n_in, n_ref, dedupe, max_pairs, ti, tr, out, nout, recall);
out:
	for (size_t k = 0; k < nv; k++) {
		md_free(v[k].ki);
		md_free(v[k].kr);
	}
	md_free(an);
	md_free(ti);
	md_free(tr);
	return rc;
}

int lk_smart_mid_month_rules(const struct lk_table *in, const struct lk_table *ref,
                             const int *in_cols, const int *ref_cols, size_t ncols, bool dedupe,
                             uint64_t max_pairs, struct lk_smart_rule *rules, size_t *n)
{
	size_t n0 = *n, n_in = in->nrows, n_ref = dedupe ? 0 : ref->nrows;
	uint64_t total = 0;
	for (size_t k = 0; k < n0; k++)
		total += rules[k].pairs;
	uint64_t *ki = md_malloc((n_in + 1) * sizeof(*ki));
	uint64_t *kr = md_malloc((n_ref + 1) * sizeof(*kr));
	int rc = MD_ENOMEM;
	if (!ki || !kr)
		goto out;
	for (size_t k = 0; k < n0 && *n < LK_MAX_RULES; k++) {
		struct lk_smart_rule ru = rules[k];
		int ic[LK_SMART_MAX_COLS], rc_[LK_SMART_MAX_COLS];
		unsigned char kinds[LK_SMART_MAX_COLS];
		int nc = 0;
		bool month = false;
		for (size_t c = 0; c < ncols && c < LK_SMART_MAX_COLS; c++) {
			if (!((ru.cols >> c) & 1))
				continue;
			if (ru.kinds[c] == LK_KEY_YEAR_MONTH) {
				ru.kinds[c] = LK_KEY_YEAR_MONTH_MID;
				month = true;
			}
			ic[nc] = in_cols[c];
			rc_[nc] = dedupe ? in_cols[c] : ref_cols[c];
			kinds[nc++] = ru.kinds[c];
		}
		if (!month)
			continue;
		lk_rule_keys_kind(in, ic, kinds, nc, ki);
		if (!dedupe)
			lk_rule_keys_kind(ref, rc_, kinds, nc, kr);
		ru.pairs = lk_key_pair_count(ki, n_in, kr, n_ref, dedupe);
		if (ru.pairs == UINT64_MAX)
			goto out;
		if (total + ru.pairs > max_pairs)
			continue;
		total += ru.pairs;
		rules[(*n)++] = ru;
	}
	rc = 0;
out:
	md_free(ki);
	md_free(kr);
	return rc;
}

void lk_smart_refine_levels(struct lk_field *f)
{
	if ((f->cmp == LK_CMP_TOKEN_SET || f->cmp == LK_CMP_QGRAM_COSINE) &&
	    f->nthresholds <= LK_MAX_LEVELS - 3)
		f->prefix_level = true;
	if (f->cmp == LK_CMP_NUMERIC && f->nthresholds == 2 && f->thresholds[0] == 0.01 &&
	    f->thresholds[1] == 0.1) {
		static const double t[] = { 0.01, 0.03, 0.05, 0.1 };
		for (size_t k = 0; k < ARRAY_SIZE(t); k++)
			f->thresholds[k] = t[k];
		f->nthresholds = (int)ARRAY_SIZE(t);
	}
}

static bool word_byte(unsigned char c)
{
	return c >= 0x80 || (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

/* Whether every word of a (split at spaces and ASCII punctuation) is a word of b. */
static bool words_within(const char *a, const char *b)
{
	bool any = false;
	for (const char *p = a; *p;) {
		while (*p && !word_byte((unsigned char)*p))
			p++;
		const char *w = p;
		while (*p && word_byte((unsigned char)*p))
			p++;
		size_t n = (size_t)(p - w);
		if (!n)
			break;
		any = true;
		bool found = false;
		for (const char *q = b; *q && !found;) {
			while (*q && !word_byte((unsigned char)*q))
				q++;
			const char *v = q;
			while (*q && word_byte((unsigned char)*q))
				q++;
			found = (size_t)(q - v) == n && memcmp(v, w, n) == 0;
		}
		if (!found)
			return false;
	}
	return any;
}

void lk_smart_dependent_fields(const struct lk_table *t, const int *cols, size_t n, bool *dep,
                               bool *contains)
{
	enum { SAMPLE = 2000, MIN_ROWS = 50 };
	size_t step = t->nrows > SAMPLE ? t->nrows / SAMPLE : 1;
	for (size_t f = 0; f < n; f++)
		dep[f] = contains[f] = false;
	if (n > LK_MAX_FIELDS)
		n = LK_MAX_FIELDS;
	/* within[f][g]: f's words are g's in 90% of the rows with both */
	static const double share = 0.9;
	bool within[LK_MAX_FIELDS][LK_MAX_FIELDS] = { { false } };
	for (size_t f = 0; f < n; f++) {
		for (size_t g = 0; g < n; g++) {
			if (cols[f] == cols[g])
				continue;
			size_t both = 0, in = 0;
			for (size_t r = 0; r < t->nrows; r += step) {
				const char *a = t->cells[r * t->ncols + (size_t)cols[f]];
				const char *b = t->cells[r * t->ncols + (size_t)cols[g]];
				if (!*a || !*b)
					continue;
				both++;
				in += words_within(a, b);
			}
			within[f][g] = both >= MIN_ROWS && (double)in >= share * (double)both;
		}
	}
	for (size_t f = 0; f < n; f++)
		for (size_t g = 0; g < n && !dep[f]; g++)
			dep[f] = within[f][g] && (!within[g][f] || g < f);
	for (size_t f = 0; f < n; f++)
		for (size_t g = 0; g < n; g++)
			contains[f] |= dep[g] && within[g][f];
}
