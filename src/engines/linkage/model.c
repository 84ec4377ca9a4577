/* Fellegi-Sunter estimation: comparison patterns and EM (see model.h). */
#include "base/common.h"

#include <math.h>

#include "engines/linkage/model.h"

void lk_pattern_set_init(struct lk_pattern_set *s, size_t nfields)
{
	memset(s, 0, sizeof(*s));
	s->nfields = nfields;
}

void lk_pattern_set_release(struct lk_pattern_set *s)
{
	md_free(s->slots);
	s->slots = NULL;
	s->cap = s->n = 0;
}

static uint64_t pattern_hash(const uint8_t *lv, size_t nfields, uint32_t rules)
{
	uint64_t h = 0xcbf29ce484222325ULL ^ rules;
	for (size_t f = 0; f < nfields; f++)
		h = (h ^ lv[f]) * 0x100000001b3ULL;
	h ^= h >> 29;
	h *= 0xbf58476d1ce4e5b9ULL;
	return h ^ (h >> 32);
}

static bool pattern_eq(const struct lk_pattern *p, const uint8_t *lv, size_t nfields,
                       uint32_t rules)
{
	return p->rules == rules && memcmp(p->lv, lv, nfields) == 0;
}

static int grow(struct lk_pattern_set *s)
{
	size_t cap = s->cap ? 2 * s->cap : 256;
	struct lk_pattern *slots = md_calloc(cap, sizeof(*slots));
	if (!slots)
		return MD_ENOMEM;
	for (size_t i = 0; i < s->cap; i++) {
		const struct lk_pattern *p = &s->slots[i];
		if (!p->count)
			continue;
		size_t k = pattern_hash(p->lv, s->nfields, p->rules) & (cap - 1);
		while (slots[k].count)
			k = (k + 1) & (cap - 1);
		slots[k] = *p;
	}
	md_free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return 0;
}

int lk_pattern_set_add(struct lk_pattern_set *s, const uint8_t *lv, uint32_t rules, uint64_t count)
{
	if (!count)
		return 0;
	if ((s->n + 1) * 2 > s->cap) {
		int rc = grow(s);
		if (rc)
			return rc;
	}
	size_t k = pattern_hash(lv, s->nfields, rules) & (s->cap - 1);
	while (s->slots[k].count) {
		if (pattern_eq(&s->slots[k], lv, s->nfields, rules)) {
			s->slots[k].count += count;
			return 0;
		}
		k = (k + 1) & (s->cap - 1);
	}
	memcpy(s->slots[k].lv, lv, s->nfields);
	s->slots[k].rules = rules;
	s->slots[k].count = count;
	s->n++;
	return 0;
}

int lk_pattern_set_merge(struct lk_pattern_set *s, const struct lk_pattern_set *from)
{
	for (size_t i = 0; i < from->cap; i++) {
		const struct lk_pattern *p = &from->slots[i];
		if (p->count) {
			int rc = lk_pattern_set_add(s, p->lv, p->rules, p->count);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int pattern_cmp(const void *a, const void *b)
{
	const struct lk_pattern *x = a, *y = b;
	int c = memcmp(x->lv, y->lv, LK_MAX_FIELDS);
	if (c)
		return c;
	return x->rules < y->rules ? -1 : x->rules > y->rules;
}

struct lk_pattern *lk_pattern_set_take_sorted(struct lk_pattern_set *s, size_t *n)
{
	struct lk_pattern *out = md_malloc((s->n ? s->n : 1) * sizeof(*out));
	if (!out)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i].count)
			out[k++] = s->slots[i];
	md_qsort(out, k, sizeof(*out), pattern_cmp);
	*n = k;
	lk_pattern_set_release(s);
	return out;
}

static double clampp(double x)
{
	if (!(x >= LK_PROB_MIN)) /* also catches NaN */
		return LK_PROB_MIN;
	return x > LK_PROB_MAX ? LK_PROB_MAX : x;
}

void lk_em_start_m(struct lk_em_params *p)
{
	for (size_t f = 0; f < p->nfields; f++) {
		int L = p->nlevels[f];
		if (L < 2)
			continue;
		/* 0.9 exact; the remaining 0.1 halves at each level further from exact. */
		double rest = 0.1, sum = 0;
		for (int l = 0; l < L - 1; l++)
			sum += ldexp(1.0, l);
		for (int l = 0; l < L - 1; l++)
			p->m[f][l] = rest * ldexp(1.0, l) / sum;
		p->m[f][L - 1] = 0.9;
	}
}

double lk_level_weight(const struct lk_em_params *p, int f, int l)
{
	return log2(p->m[f][l] / p->u[f][l]);
}

/*
 * Whether EM found the matches on this field even though they rarely agree exactly: "else"
 * weighs against a match and some level between it and exact weighs for one. Event dates
 * (a transfer booked one or two days later) and amounts with fees look like that: exact
 * agreement is rare in true pairs, but near agreement is strong evidence, which resetting to
 * the start values would throw away (it paid +6.5 bits for an exact date no true pair has).
 */
static bool near_agreement_informative(const double *m, const double *u, int L)
{
	if (L < 3 || !(m[0] < u[0]))
		return false;
	for (int l = 1; l < L - 1; l++)
		if (m[l] > u[l])
			return true;
	return false;
}

void lk_em_guard(struct lk_em_params *p, int f, const double *m_start)
{
	int L = p->nlevels[f];
	double *m = p->m[f], *u = p->u[f];
	for (int l = 0; l < L; l++) {
		m[l] = clampp(m[l]);
		u[l] = clampp(u[l]);
	}
	if (m_start && m[L - 1] < u[L - 1] && !near_agreement_informative(m, u, L)) {
		/* Exact agreement weighing against a match: EM latched onto something else. */
		for (int l = 0; l < L; l++)
			m[l] = m_start[l];
	}
	if (m_start) {
		/*
		 * No level of an estimated m is impossible for a match: EM drives m to 0 where
		 * its blocks never saw a level (a column that is nearly always empty), and a
		 * -20 bit weight then vetoes any true pair that meets it. The floor is u where
		 * u is smaller: a level random pairs never show either weighs nothing.
		 */
		double sum = 0;
		for (int l = 0; l < L; l++)
			sum += m[l] = MD_MAX(m[l], MD_MIN(LK_M_FLOOR, u[l]));
		for (int l = 0; l < L; l++)
			m[l] /= sum;
	}
	/* More agreement never weighs less: raise m where m/u dips, then renormalise. */
	double sum = m[0];
	for (int l = 1; l < L; l++) {
		double floor = u[l] * m[l - 1] / u[l - 1];
		if (m[l] < floor)
			m[l] = floor;
		sum += m[l];
	}
	for (int l = 0; l < L; l++)
		m[l] = clampp(m[l] / sum);
}

/* One E+M step; returns the largest change of a parameter. */
static double em_step(struct lk_em_params *p, const struct lk_pattern *pats, size_t npats,
                      uint32_t rule_bits, const bool *exclude, bool fix_m)
{
	double num[LK_MAX_FIELDS][LK_MAX_LEVELS] = { { 0 } };
	double den[LK_MAX_FIELDS] = { 0 };
	double wsum = 0, csum = 0;
	double lam = p->lambda;
	for (size_t i = 0; i < npats; i++) {
		const struct lk_pattern *pt = &pats[i];
		if (rule_bits && !(pt->rules & rule_bits))
			continue;
		double pm = lam, pu = 1 - lam;
		for (size_t f = 0; f < p->nfields; f++) {
			int lv = pt->lv[f];
			if (!lv || (exclude && exclude[f]))
				continue;
			pm *= p->m[f][lv - 1];
			pu *= p->u[f][lv - 1];
		}
		double w = pm / (pm + pu);
		if (!(w == w))
			w = 0;
		double c = (double)pt->count, cw = c * w;
		wsum += cw;
		csum += c;
		if (fix_m)
			continue;
		for (size_t f = 0; f < p->nfields; f++) {
			int lv = pt->lv[f];
			if (!lv || (exclude && exclude[f]))
				continue;
			num[f][lv - 1] += cw;
			den[f] += cw;
		}
	}
	if (csum == 0)
		return 0;
	double delta = 0;
	double nl = clampp(wsum / csum);
	delta = fabs(nl - p->lambda);
	p->lambda = nl;
	if (fix_m)
		return delta;
	for (size_t f = 0; f < p->nfields; f++) {
		if ((exclude && exclude[f]) || den[f] <= 0)
			continue;
		for (int l = 0; l < p->nlevels[f]; l++) {
			double v = clampp(num[f][l] / den[f]);
			double d = fabs(v - p->m[f][l]);
			if (d > delta)
				delta = d;
			p->m[f][l] = v;
		}
	}
	return delta;
}

int lk_em_run(struct lk_em_params *p, const struct lk_pattern *pats, size_t npats,
              uint32_t rule_bits, const bool *exclude, bool fix_m, bool *converged)
{
	*converged = false;
	int it;
	for (it = 1; it <= LK_EM_MAX_ITER; it++) {
		double d = em_step(p, pats, npats, rule_bits, exclude, fix_m);
		if (d < 1e-6) {
			*converged = true;
			break;
		}
	}
	return it > LK_EM_MAX_ITER ? LK_EM_MAX_ITER : it;
}
