/*
 * blocking.h: candidate pairs for the linkage engine (private to src/engines/linkage).
 *
 * A rule's key of a row is a 64-bit hash of its (normalised) column values; 0 means "a value
 * is missing, the row takes no part in this rule". The blocker sorts each rule's keys, finds
 * the blocks (rows sharing a key) and cuts them into tasks and chunks of about chunk_pairs
 * candidate pairs, so workers can share the chunks and memory stays proportional to the
 * chunks in flight. A pair is emitted only by the first rule that produces it (the earlier
 * rules' keys are compared for every pair), so the union of the rules yields each pair once.
 * In dedupe mode the table is paired with itself and only pairs with in < ref are emitted.
 *
 * Key hashes are 64 bits wide: two different keys colliding would add a spurious candidate
 * pair (which the comparison then scores normally); with a million rows the chance is ~1e-7.
 */
#ifndef MATCHD_ENGINES_LINKAGE_BLOCKING_H
#define MATCHD_ENGINES_LINKAGE_BLOCKING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "engines/linkage/linkage.h"

/* A row's key for one rule, sortable. */
struct lk_keyrow {
	uint64_t h;
	uint32_t row;
	uint32_t pad;
};

/* A slice of one block: sorted positions [in_lo, in_hi) against [ref_lo, ref_hi). */
struct lk_task {
	uint32_t rule;
	uint32_t in_lo, in_hi;
	uint32_t ref_lo, ref_hi;
};

/* One candidate pair, with the bit set of every rule it satisfies. */
struct lk_cand {
	uint32_t in, ref;
	uint32_t rules;
};

struct lk_blocker {
	size_t nrules, n_in, n_ref;
	bool dedupe;
	const uint64_t *in_keys[LK_MAX_RULES]; /* per row, borrowed */
	const uint64_t *ref_keys[LK_MAX_RULES];
	struct lk_keyrow *in_sorted[LK_MAX_RULES];  /* non-missing keys, sorted by (h, row) */
	struct lk_keyrow *ref_sorted[LK_MAX_RULES]; /* == in_sorted in dedupe mode */
	size_t n_in_sorted[LK_MAX_RULES], n_ref_sorted[LK_MAX_RULES];
	uint64_t rule_pairs_upper[LK_MAX_RULES]; /* pairs of each rule, duplicates included */
	uint64_t pairs_upper;                    /* their sum */
	struct lk_task *tasks;
	size_t ntasks;
	size_t *chunk_first;   /* nchunks + 1 task indices */
	uint64_t *chunk_pairs; /* upper bound of pairs in each chunk */
	size_t nchunks;
};

/*
 * Hashes the values of cols (of row) into a key; 0 when one of them is "" (missing).
 */
uint64_t lk_row_key(const struct lk_table *t, size_t row, const int *cols, int ncols);

/* Fills keys[row] = lk_row_key(t, row, cols, ncols) for every row of t. */
void lk_rule_keys(const struct lk_table *t, const int *cols, int ncols, uint64_t *keys);

/* The longest derived key lk_key_derive writes (bytes, no terminator). */
#define LK_KEY_DERIVED_MAX 64

/*
 * Writes the key of kind (enum lk_key_kind, not LK_KEY_EXACT) of the value s to buf (at least
 * LK_KEY_DERIVED_MAX bytes, not terminated) and returns its length; 0 when the value has no
 * such key (missing). A first token or prefix longer than LK_KEY_DERIVED_MAX is cut.
 */
size_t lk_key_derive(const char *s, int kind, char *buf);

/*
 * lk_row_key with a key kind per column (kinds NULL: all exact). With every kind
 * LK_KEY_EXACT the key equals lk_row_key's.
 */
uint64_t lk_row_key_kind(const struct lk_table *t, size_t row, const int *cols,
                         const unsigned char *kinds, int ncols);
void lk_rule_keys_kind(const struct lk_table *t, const int *cols, const unsigned char *kinds,
                       int ncols, uint64_t *keys);

/*
 * Returns, for keys (n_in) against ref_keys (n_ref), the number of pairs sharing a non-missing
 * key: sum over keys of count_in * count_ref, or count * (count - 1) / 2 when dedupe (ref_keys
 * ignored). UINT64_MAX on allocation failure.
 */
uint64_t lk_key_pair_count(const uint64_t *in_keys, size_t n_in, const uint64_t *ref_keys,
                           size_t n_ref, bool dedupe);

/*
 * Sorts the rows by key (stable, so rows of one key stay in row order) and returns the array
 * of non-missing keys in *out (md_free it) with its length in *n. MD_ENOMEM.
 */
MD_WUR int lk_keys_sort(const uint64_t *keys, size_t nrows, struct lk_keyrow **out, size_t *n);

/*
 * Prepares the blocks of every rule. Keys stay borrowed (ref_keys ignored when dedupe).
 * Returns 0, MD_ENOMEM, or MD_ELIMIT when the rules together produce more than max_pairs
 * pairs (duplicates included), with a message in err.
 */
MD_WUR int lk_blocker_init(struct lk_blocker *b, const uint64_t *const *in_keys,
                           const uint64_t *const *ref_keys, size_t nrules, size_t n_in,
                           size_t n_ref, bool dedupe, uint64_t max_pairs, uint64_t chunk_pairs,
                           char *err, size_t errcap);
void lk_blocker_release(struct lk_blocker *b);

/*
 * Writes the new pairs of chunk c (in emission order) to out, which must hold
 * b->chunk_pairs[c] entries, and returns their count.
 */
size_t lk_blocker_chunk(const struct lk_blocker *b, size_t c, struct lk_cand *out);

#endif
