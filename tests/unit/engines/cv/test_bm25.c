/* BM25 similarity (src/engines/cv/bm25.c). */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/cv/bm25.h"

static double sim(const char *cv, const char *jd, struct cv_bm25_result *r)
{
	cr_assert_eq(cv_bm25(cv, strlen(cv), jd, strlen(jd), r), 0);
	return r->score;
}

Test(cv_bm25, orders_and_explains)
{
	struct cv_bm25_result a, b, c;
	const char *jd = "we need a kubernetes engineer with golang and postgres experience";
	double close = sim("kubernetes operator in golang\n\npostgres tuning\n\nengineer", jd, &a);
	double far = sim("pastry chef with ten years in french bakeries", jd, &b);
	cr_assert_gt(close, far);
	cr_assert_eq(far, 0.0);
	cr_assert_leq(close, 1.0);
	cr_assert_geq(a.n_terms, 3);
	cr_assert_eq(a.query_terms, 6, "stop words dropped: %zu", a.query_terms);
	double sum = 0;
	for (size_t i = 0; i < a.n_terms; i++) {
		sum += a.terms[i].contribution;
		if (i)
			cr_assert_geq(a.terms[i - 1].contribution, a.terms[i].contribution);
	}
	cr_assert_float_eq(sum, a.score, 1e-9);
	/* Deterministic. */
	sim("kubernetes operator in golang\n\npostgres tuning\n\nengineer", jd, &c);
	cr_assert_eq(memcmp(&a, &c, sizeof a), 0);
}

Test(cv_bm25, inflections_share_a_term)
{
	struct cv_bm25_result a;
	const char *jd = "managing kitchens and training chefs";
	double score = sim("managed two kitchens; trained new chefs", jd, &a);
	cr_assert_gt(score, 0.5, "every stem of the job is in the CV: %f", score);
	cr_assert_eq(a.query_terms, 4);
	bool shown = false;
	for (size_t i = 0; i < a.n_terms; i++)
		shown |= strcmp(a.terms[i].term, "managing") == 0;
	cr_assert(shown, "a term is shown as the job writes it");
}
