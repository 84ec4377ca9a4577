/* Assignment (src/engines/linkage/assign.c): one_to_one greedy and dedupe clusters. */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/linkage/assign.h"

Test(lk_model, one_to_one_never_reuses_and_best_wins)
{
	struct lk_scored p[] = {
		{ 0, 0, 5.0, 0 }, { 0, 1, 9.0, 1 }, { 1, 1, 8.0, 2 }, { 1, 0, 7.0, 3 },
		{ 2, 1, 3.0, 4 }, { 2, 2, 1.0, 5 }, { 3, 2, 1.0, 6 },
	};
	size_t n = ARRAY_SIZE(p);
	lk_scored_sort(p, n);
	cr_assert_eq(p[0].w, 9.0);
	bool take[ARRAY_SIZE(p)];
	cr_assert_eq(lk_assign_one_to_one(p, n, 4, 3, take), 0);
	int used_ref[3] = { 0 }, used_in[4] = { 0 };
	for (size_t k = 0; k < n; k++) {
		if (!take[k])
			continue;
		cr_assert_eq(used_ref[p[k].ref]++, 0, "reference row %u used twice", p[k].ref);
		cr_assert_eq(used_in[p[k].in]++, 0, "input row %u used twice", p[k].in);
	}
	/* 0-1 (9) first, then 1-0 (7), then 2-2 (1; ties go to the lower input row). */
	for (size_t k = 0; k < n; k++) {
		bool want = (p[k].in == 0 && p[k].ref == 1) || (p[k].in == 1 && p[k].ref == 0) ||
		            (p[k].in == 2 && p[k].ref == 2);
		cr_assert_eq(take[k], want, "pair (%u, %u): take %d want %d", p[k].in, p[k].ref,
		             take[k], want);
	}
}

Test(lk_model, one_to_one_random_never_reuses)
{
	enum { N = 2000 };
	static struct lk_scored p[N];
	static bool take[N];
	uint64_t s = 7;
	for (size_t k = 0; k < N; k++) {
		s = s * 6364136223846793005ULL + 1442695040888963407ULL;
		p[k] = (struct lk_scored){ (uint32_t)(s >> 33) % 100, (uint32_t)(s >> 20) % 80,
			                   (double)((s >> 40) % 1000), k };
	}
	lk_scored_sort(p, N);
	cr_assert_eq(lk_assign_one_to_one(p, N, 100, 80, take), 0);
	bool ref_used[80] = { false }, in_used[100] = { false };
	size_t taken = 0;
	for (size_t k = 0; k < N; k++) {
		if (!take[k]) {
			/* Skipped only because one side was already taken by a better pair. */
			cr_assert(ref_used[p[k].ref] || in_used[p[k].in]);
			continue;
		}
		cr_assert(!ref_used[p[k].ref], "reference row %u reused", p[k].ref);
		cr_assert(!in_used[p[k].in]);
		ref_used[p[k].ref] = in_used[p[k].in] = true;
		taken++;
	}
	cr_assert_eq(taken, 80, "taken %zu", taken);
}

Test(lk_model, dedupe_clusters_are_connected_components)
{
	/* Components: {0, 3, 5, 7}, {1, 4}, {2}, {6}, {8, 9}. */
	struct lk_scored p[] = { { 3, 5, 1, 0 }, { 5, 7, 1, 0 }, { 0, 7, 1, 0 },
		                 { 1, 4, 1, 0 }, { 8, 9, 1, 0 }, { 3, 7, 1, 0 } };
	size_t cl[10];
	cr_assert_eq(lk_clusters(p, ARRAY_SIZE(p), 10, cl), 0);
	size_t want[10] = { 0, 1, 2, 0, 1, 0, 6, 0, 8, 8 };
	for (size_t r = 0; r < 10; r++)
		cr_assert_eq(cl[r], want[r], "row %zu: cluster %zu want %zu", r, cl[r], want[r]);
}
