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

Test(lk_model, guarded_clusters_split_a_chain_keep_dense_groups)
{
	/*
	 * Two true groups, {0, 1, 2} and {3, 4, 5}, each fully linked with strong weights, and
	 * {6, 7} with a weak link; one weak chance link 2-3 chains the groups and 5-6 chains
	 * the pair. Plain components make one cluster of 8 (9 links of 28 row pairs); the guard
	 * drops the links below the weakest + 2 of that sparse component and keeps the groups.
	 */
	struct lk_scored p[] = {
		{ 0, 1, 20, 0 }, { 0, 2, 19, 0 },  { 1, 2, 18, 0 },
		{ 3, 4, 20, 0 }, { 3, 5, 17, 0 },  { 4, 5, 16, 0 },
		{ 2, 3, 1, 0 },  { 5, 6, 1.5, 0 }, { 6, 7, 2, 0 },
	};
	size_t n = ARRAY_SIZE(p);
	lk_scored_sort(p, n);
	size_t plain[9], cl[9];
	cr_assert_eq(lk_clusters(p, n, 9, plain), 0);
	for (size_t r = 0; r < 8; r++)
		cr_assert_eq(plain[r], 0);
	cr_assert_eq(lk_clusters_guarded(p, n, 9, 0.4, 2.0, cl), 0);
	size_t want[9] = { 0, 0, 0, 3, 3, 3, 6, 7, 8 };
	for (size_t r = 0; r < 9; r++)
		cr_assert_eq(cl[r], want[r], "row %zu: cluster %zu want %zu", r, cl[r], want[r]);
	/* At 0.3 the same component counts as dense: plain components. */
	cr_assert_eq(lk_clusters_guarded(p, n, 9, 0.3, 2.0, cl), 0);
	cr_assert(memcmp(cl, plain, sizeof cl) == 0);
	/* Dense components are exactly the plain ones. */
	struct lk_scored q[] = { { 0, 1, 5, 0 }, { 1, 2, 5, 0 }, { 3, 4, 1, 0 } };
	size_t a[5], b[5];
	cr_assert_eq(lk_clusters(q, 3, 5, a), 0);
	cr_assert_eq(lk_clusters_guarded(q, 3, 5, 0.3, 2.0, b), 0);
	cr_assert(memcmp(a, b, sizeof a) == 0);
	/* No links: every row alone. */
	cr_assert_eq(lk_clusters_guarded(q, 0, 5, 0.3, 2.0, b), 0);
	for (size_t r = 0; r < 5; r++)
		cr_assert_eq(b[r], r);
}
