/* EM (src/engines/linkage/model.c): recovering known m and lambda from comparison patterns. */
#include <criterion/criterion.h>

#include <math.h>

#include "base/common.h"
#include "engines/linkage/model.h"
#include "engines/linkage/smart.h"

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static int draw(const double *p, int n, uint64_t *s)
{
	double x = (double)(rng_next(s) >> 11) / 9007199254740992.0, acc = 0;
	for (int l = 0; l < n; l++) {
		acc += p[l];
		if (x < acc)
			return l;
	}
	return n - 1;
}

Test(lk_model, em_recovers_known_m_and_lambda)
{
	enum { F = 4, L = 3, MATCHES = 3000, NONMATCHES = 30000 };
	static const double m[F][L] = { { 0.05, 0.10, 0.85 },
		                        { 0.10, 0.20, 0.70 },
		                        { 0.02, 0.08, 0.90 },
		                        { 0.15, 0.15, 0.70 } };
	static const double u[F][L] = { { 0.90, 0.08, 0.02 },
		                        { 0.80, 0.15, 0.05 },
		                        { 0.95, 0.04, 0.01 },
		                        { 0.70, 0.20, 0.10 } };
	struct lk_pattern_set ps;
	lk_pattern_set_init(&ps, F);
	uint64_t s = 1;
	for (int k = 0; k < MATCHES + NONMATCHES; k++) {
		uint8_t lv[LK_MAX_FIELDS] = { 0 };
		for (int f = 0; f < F; f++)
			lv[f] = (uint8_t)(1 + draw(k < MATCHES ? m[f] : u[f], L, &s));
		cr_assert_eq(lk_pattern_set_add(&ps, lv, 1, 1), 0);
	}
	size_t n;
	struct lk_pattern *pats = lk_pattern_set_take_sorted(&ps, &n);
	cr_assert_not_null(pats);
	struct lk_em_params p = { .nfields = F, .lambda = 0.3 };
	for (int f = 0; f < F; f++) {
		p.nlevels[f] = L;
		for (int l = 0; l < L; l++)
			p.u[f][l] = u[f][l];
	}
	lk_em_start_m(&p);
	bool conv;
	int it = lk_em_run(&p, pats, n, 1, NULL, false, &conv);
	cr_assert(it >= 1 && it <= LK_EM_MAX_ITER);
	for (int f = 0; f < F; f++)
		for (int l = 0; l < L; l++)
			cr_assert(fabs(p.m[f][l] - m[f][l]) < 0.05, "m[%d][%d] = %.3f, truth %.3f",
			          f, l, p.m[f][l], m[f][l]);
	double lam = (double)MATCHES / (MATCHES + NONMATCHES);
	cr_assert(fabs(p.lambda - lam) < 0.02, "lambda %.4f, truth %.4f", p.lambda, lam);
	md_free(pats);
}

Test(lk_model, em_excluded_fields_keep_their_start)
{
	struct lk_pattern_set ps;
	lk_pattern_set_init(&ps, 2);
	uint8_t a[LK_MAX_FIELDS] = { 2, 2 }, b[LK_MAX_FIELDS] = { 2, 1 };
	cr_assert_eq(lk_pattern_set_add(&ps, a, 1, 100), 0);
	cr_assert_eq(lk_pattern_set_add(&ps, b, 1, 900), 0);
	cr_assert_eq(lk_pattern_set_add(&ps, b, 2, 5), 0);
	size_t n;
	struct lk_pattern *pats = lk_pattern_set_take_sorted(&ps, &n);
	cr_assert_eq(n, 3);
	struct lk_em_params p = { .nfields = 2, .lambda = 0.2, .nlevels = { 2, 2 } };
	p.u[0][0] = p.u[1][0] = 0.9;
	p.u[0][1] = p.u[1][1] = 0.1;
	lk_em_start_m(&p);
	bool excl[2] = { true, false }, conv;
	lk_em_run(&p, pats, n, 1, excl, false, &conv);
	cr_assert_eq(p.m[0][1], 0.9, "excluded field moved: %f", p.m[0][1]);
	md_free(pats);
}

Test(lk_model, em_guard_monotone_and_clamped)
{
	struct lk_em_params p = { .nfields = 1, .nlevels = { 3 } };
	double m[3] = { 0.0, 0.5, 0.5 }, u[3] = { 0.5, 0.1, 0.4 };
	for (int l = 0; l < 3; l++) {
		p.m[0][l] = m[l];
		p.u[0][l] = u[l];
	}
	lk_em_guard(&p, 0, NULL);
	double sum = 0;
	for (int l = 0; l < 3; l++) {
		cr_assert(p.m[0][l] >= LK_PROB_MIN && p.m[0][l] <= LK_PROB_MAX);
		sum += p.m[0][l];
		if (l)
			cr_assert(lk_level_weight(&p, 0, l) >= lk_level_weight(&p, 0, l - 1) - 1e-9,
			          "weight of level %d below level %d", l, l - 1);
	}
	cr_assert(fabs(sum - 1) < 1e-6);
	/* Exact agreement weighing against a match resets to the start. */
	double start[3] = { 0.05, 0.05, 0.9 };
	p.m[0][0] = 0.5;
	p.m[0][1] = 0.4;
	p.m[0][2] = 0.1;
	p.u[0][2] = 0.4;
	lk_em_guard(&p, 0, start);
	cr_assert(p.m[0][2] > 0.85, "m exact %f", p.m[0][2]);
}

Test(lk_model, rules_recall_union)
{
	double p[2] = { 0.9, 0.8 };
	uint32_t r1[] = { 1 }, r2[] = { 1, 2 }, r3[] = { 3 };
	cr_assert(fabs(lk_rules_recall(p, 2, r1, 1) - 0.9) < 1e-12);
	cr_assert(fabs(lk_rules_recall(p, 2, r2, 2) - (1 - 0.1 * 0.2)) < 1e-12);
	cr_assert(fabs(lk_rules_recall(p, 2, r3, 1) - 0.72) < 1e-12);
}

Test(lk_model, em_guard_keeps_near_agreement_evidence)
{
	/*
	 * An event date: true pairs are one to four days apart and never on the same day, so
	 * m(exact) < u(exact), but EM found the matches. The guard keeps that estimate (made
	 * monotone) instead of restoring the start values, which would pay most for exact.
	 */
	struct lk_em_params p = { .nfields = 1, .nlevels = { 4 } };
	double m[4] = { 0.05, 0.45, 0.49, 0.01 }, u[4] = { 0.9, 0.07, 0.02, 0.01 };
	double start[4] = { 0.0333, 0.0333, 0.0333, 0.9 };
	for (int l = 0; l < 4; l++) {
		p.m[0][l] = m[l];
		p.u[0][l] = u[l];
	}
	lk_em_guard(&p, 0, start);
	cr_assert(p.m[0][3] < 0.5, "reset to the start: m exact %f", p.m[0][3]);
	cr_assert(lk_level_weight(&p, 0, 2) > 4, "1-day weight %f", lk_level_weight(&p, 0, 2));
	cr_assert(lk_level_weight(&p, 0, 0) < -3);
	for (int l = 1; l < 4; l++)
		cr_assert(lk_level_weight(&p, 0, l) >= lk_level_weight(&p, 0, l - 1) - 1e-9);
}

Test(lk_model, em_guard_floors_estimated_m)
{
	/* EM never saw a match disagree: "else" must not become a -20 bit veto. */
	struct lk_em_params p = { .nfields = 1, .nlevels = { 4 } };
	double m[4] = { 1e-9, 1e-9, 1e-9, 1.0 }, u[4] = { 0.85, 0.01, 1e-6, 0.14 };
	double start[4] = { 0.02, 0.04, 0.04, 0.9 };
	for (int l = 0; l < 4; l++) {
		p.m[0][l] = m[l];
		p.u[0][l] = u[l];
	}
	lk_em_guard(&p, 0, start);
	double sum = 0;
	for (int l = 0; l < 4; l++)
		sum += p.m[0][l];
	cr_assert(fabs(sum - 1) < 1e-5, "sum %g", sum);
	cr_assert_gt(lk_level_weight(&p, 0, 0), -7.0, "else %f", lk_level_weight(&p, 0, 0));
	cr_assert_gt(lk_level_weight(&p, 0, 1), -7.0);
	/* A level random pairs never show weighs about nothing, not a bonus. */
	cr_assert_lt(fabs(lk_level_weight(&p, 0, 2)), 0.5, "unseen %f", lk_level_weight(&p, 0, 2));
	cr_assert_gt(lk_level_weight(&p, 0, 3), 2.0);
	/* u alone (no start: not an EM estimate) is only clamped. */
	struct lk_em_params q = { .nfields = 1, .nlevels = { 2 } };
	q.m[0][0] = 1e-9, q.m[0][1] = 1.0, q.u[0][0] = 0.5, q.u[0][1] = 0.5;
	lk_em_guard(&q, 0, NULL);
	cr_assert_lt(q.m[0][0], 1e-5);
}
