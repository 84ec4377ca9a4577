/*
 * assign.h: deciding links from scored pairs (private to src/engines/linkage).
 *
 * one_to_one is the greedy approximation of the optimal assignment: pairs sorted by weight,
 * best first, are taken when neither their input row nor their reference row is used yet.
 * It is optimal when every row's best partner prefers it back (the common case in record
 * linkage) and never uses a row twice; the exact maximum-weight matching (Hungarian) costs
 * O(n^3) and rarely changes a link. Dedupe clusters are the connected components of the pairs
 * above the threshold (union-find), each named by its smallest row, with sparse components
 * split (lk_clusters_guarded).
 */
#ifndef MATCHD_ENGINES_LINKAGE_ASSIGN_H
#define MATCHD_ENGINES_LINKAGE_ASSIGN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* A scored pair; idx is the caller's handle (its position in the pair store). */
struct lk_scored {
	uint32_t in, ref;
	double w;
	uint64_t idx;
};

/* Sorts by weight descending, then (in, ref) ascending: a total, deterministic order. */
void lk_scored_sort(struct lk_scored *p, size_t n);

/*
 * Greedy one-to-one over p (sorted by lk_scored_sort): sets take[k] for the chosen pairs.
 * Returns 0 or MD_ENOMEM.
 */
MD_WUR int lk_assign_one_to_one(const struct lk_scored *p, size_t n, size_t n_in, size_t n_ref,
                                bool *take);

/*
 * Connected components of the pairs over rows 0..nrows-1: cluster[r] = the smallest row of
 * r's component (r itself when alone). Returns 0 or MD_ENOMEM.
 */
MD_WUR int lk_clusters(const struct lk_scored *p, size_t n, size_t nrows, size_t *cluster);

/*
 * lk_clusters with a guard against chaining: a few false links above the threshold join
 * whole true clusters into one giant component (historical_figures_50k: 1,987 rows). A
 * component of 3+ rows whose links are sparse (fewer than min_density of its row pairs are
 * links) is split by dropping its links below its weakest one + step (log2 units) and taking
 * the components again, until every component is dense or a single row. Real duplicates link
 * to most of each other; a chain through one chance agreement does not. p must be sorted by
 * lk_scored_sort. Returns 0 or MD_ENOMEM.
 */
MD_WUR int lk_clusters_guarded(const struct lk_scored *p, size_t n, size_t nrows,
                               double min_density, double step, size_t *cluster);

#endif
