/*
 * compare.h: the string comparators of the linkage engine, and the comparison level of a
 * field (struct lk_field in linkage.h).
 *
 * Every comparator works on Unicode code points of UTF-8 input (invalid bytes count as
 * U+FFFD) and is pure and thread-safe. They do not normalise: callers compare values that
 * lk_normalize() already cleaned. Similarities are in [0, 1]; two empty strings are
 * similarity 1, one empty string 0. Strings longer than a small stack buffer cost one heap
 * allocation; if that fails the similarity is 0 (the distance max + 1).
 */
#ifndef MATCHD_ENGINES_LINKAGE_COMPARE_H
#define MATCHD_ENGINES_LINKAGE_COMPARE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engines/linkage/linkage.h"

/* Jaro similarity. */
double lk_jaro(const char *a, size_t an, const char *b, size_t bn);

/*
 * Jaro-Winkler similarity: Jaro plus 0.1 per common prefix character (at most 4) times
 * (1 - jaro), applied when Jaro exceeds 0.7 (as Winkler and jellyfish do).
 * MARTHA/MARHTA 0.961, DWAYNE/DUANE 0.84, DIXON/DICKSONX 0.813.
 */
double lk_jaro_winkler(const char *a, size_t an, const char *b, size_t bn);

/*
 * Optimal string alignment distance (Damerau-Levenshtein where a transposed pair is not
 * edited again), bounded: returns max + 1 as soon as the distance must exceed max, computing
 * only a band of 2 * max + 1 diagonals. A negative max means unbounded.
 */
int lk_osa_distance(const char *a, size_t an, const char *b, size_t bn, int max);

/*
 * fuzzywuzzy's token_set_ratio scaled to [0, 1] (not rounded): both strings are lower-cased
 * and split into words (letters, digits, marks); with I the sorted common words and D1, D2
 * the sorted words only in one of them, the result is the best Levenshtein ratio
 * (2 * LCS / total length) among I vs I+D1, I vs I+D2, I+D1 vs I+D2. 0 when a side has no
 * word.
 */
double lk_token_set_ratio(const char *a, size_t an, const char *b, size_t bn);

/*
 * Document frequencies of the character q-grams of one table column, for TF-IDF weights.
 * Strings are padded with q - 1 boundary marks on both sides. Read-only once built, so any
 * number of threads may share it.
 */
struct lk_qgram_index {
	int q;
	size_t ndocs;   /* rows indexed */
	size_t nslots;  /* power of two */
	size_t count;   /* distinct q-grams */
	uint64_t *keys; /* q-gram hashes, 0 = empty slot */
	uint32_t *df;   /* rows containing the q-gram */
};

/* Builds ix from column col of t (1 <= q <= 8). Returns 0, MD_EINVAL or MD_ENOMEM. */
MD_WUR int lk_qgram_index_build(struct lk_qgram_index *ix, const struct lk_table *t, int col,
                                int q);
void lk_qgram_index_release(struct lk_qgram_index *ix);

/*
 * Cosine similarity of the TF-IDF q-gram vectors of a and b, idf = ln((1 + N) / (1 + df)) + 1
 * (q-grams never seen get the highest weight). ix may be NULL: trigrams, all weights 1.
 */
double lk_qgram_cosine(const struct lk_qgram_index *ix, const char *a, size_t an, const char *b,
                       size_t bn);

/*
 * |x - y| / max(|x|, |y|) of two decimal numbers (0 when both are 0). *ok is false, and the
 * result 1, when either is not a finite number (surrounding spaces are allowed).
 */
double lk_numeric_reldiff(const char *a, const char *b, bool *ok);

/*
 * The absolute difference in days between two dates written YYYYMMDD (FEBRL), YYYY-MM-DD or
 * DD/MM/YYYY. *ok is false (and -1 returned) unless both are valid calendar dates.
 * *swapped_dm (may be NULL) is true when both have the same year and a's day and month are
 * b's month and day (and differ), even when one of them is not a valid date (19151311 vs
 * 19151113), the usual keying error.
 */
int lk_date_diff_days(const char *a, const char *b, bool *swapped_dm, bool *ok);

/* The number of comparison levels of f: nthresholds + 2. */
int lk_field_nlevels(const struct lk_field *f);

/*
 * The comparison level of two (normalised, NUL-terminated) values for field f: -1 when
 * either is empty or NULL, nlevels - 1 when they are equal, then nlevels - 2 - k for the first
 * threshold k they satisfy, else 0. Similarity comparators (jaro_winkler, token_set,
 * qgram_cosine) satisfy a threshold with a similarity >= it; levenshtein, numeric and date
 * with a distance (edits, relative difference, days) <= it. Dates with day and month swapped
 * get at least level nlevels - 2; unparsable numbers and dates are level 0. phonetic: the top
 * level when the primary Double Metaphone keys agree, nlevels - 2 when any key of one equals
 * any key of the other, else 0 (its thresholds only set the number of levels). ix is the
 * q-gram index for qgram_cosine (may be NULL). With f->prefix_level (string comparators),
 * values sharing a long prefix get nlevels - 2 and the thresholds' levels are one lower.
 */
int lk_compare_level(const struct lk_field *f, const char *a, const char *b,
                     const struct lk_qgram_index *ix);

/*
 * Columns of a table prepared once for many comparisons, so that comparing a pair neither
 * measures nor decodes a string: each cell's length, and the code points of the cells that
 * are not pure ASCII (an ASCII cell's bytes are its code points). Row-major, with the values
 * of a row copied next to each other, so that comparing a pair of rows touches a few cache
 * lines instead of two per field. Read-only once built: threads may share it.
 */
struct lk_pcell {
	const char *s; /* the value, NUL-terminated, in the pool */
	uint32_t n;    /* strlen(s) */
	/*
	 * Not ASCII: LK_PCELL_WIDE | the number of code points, stored right after s
	 * (4-aligned). ASCII: the set of its characters folded into 31 bits (compare.c).
	 */
	uint32_t aux;
};

#define LK_PCELL_WIDE 0x80000000u

struct lk_prep {
	size_t nrows, ncols;
	struct lk_pcell *cells; /* cells[row * ncols + k] is column cols[k] of the build */
	char *pool;
};

void lk_prep_init(struct lk_prep *p);
/*
 * Prepares columns cols[0..ncols) of t (ncols >= 1). Returns 0, MD_EINVAL for a bad column,
 * MD_ENOMEM, or MD_ELIMIT when a value is 4 GiB or longer.
 */
MD_WUR int lk_prep_build(struct lk_prep *p, const struct lk_table *t, const int *cols,
                         size_t ncols);
void lk_prep_release(struct lk_prep *p);

/* The prepared cells of row (ncols of them). */
static inline const struct lk_pcell *lk_prep_row(const struct lk_prep *p, size_t row)
{
	return p->cells + row * p->ncols;
}

/*
 * lk_compare_level() of two prepared cells, the same value for every input, faster: nothing
 * is measured or decoded, equality is a length check and a byte compare, and Jaro-Winkler and
 * OSA of ASCII values up to 64 characters are bit-parallel.
 */
int lk_pcell_level(const struct lk_field *f, const struct lk_pcell *a, const struct lk_pcell *b,
                   const struct lk_qgram_index *ix);

/* lk_jaro_winkler() and lk_osa_distance() of prepared cells (the same values). */
double lk_pcell_jaro_winkler(const struct lk_pcell *a, const struct lk_pcell *b);
int lk_pcell_osa_distance(const struct lk_pcell *a, const struct lk_pcell *b, int max);

#endif
