/*
 * linkage.h: the record-linkage engine (seed 002): link the rows of an input table to the rows
 * of a reference table (or a table to itself, "dedupe"), Fellegi-Sunter style.
 *
 * Pure: tables and a configuration in, a result out, a progress callback between chunks. No
 * I/O, no clock, no globals; threads only when opts->threads > 1, joined before returning.
 *
 * The pipeline: normalise the compared columns (lk_normalize), generate candidate pairs by
 * blocking (union of the rules, each pair once), compare every field of every pair into a
 * comparison level (0 = the values disagree most, nlevels-1 = exact agreement, or "null"
 * when a value is missing), estimate u from random pairs and m by EM on the blocked pairs
 * (each blocking rule's own columns excluded from the estimate it drives), turn levels into
 * log2 Bayes factors (match weights) with term-frequency adjustment for exact agreement,
 * add the prior, and decide links: one_to_one, best_match or all_above_threshold; dedupe
 * mode returns clusters (connected components above the threshold).
 */
#ifndef MATCHD_ENGINES_LINKAGE_LINKAGE_H
#define MATCHD_ENGINES_LINKAGE_LINKAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

/* ---- tables ---- */

/* A table of UTF-8 text cells. cells[r * ncols + c] is never NULL; "" is a missing value. */
struct lk_table {
	size_t ncols, nrows;
	char **colnames;
	char **cells;
	void *arena; /* private to table.c: the blocks the strings live in */
};

void lk_table_init(struct lk_table *t);
void lk_table_release(struct lk_table *t);
/* The column index of name, or -1. */
int lk_table_col(const struct lk_table *t, const char *name);

/* ---- configuration ---- */

enum lk_comparator {
	LK_CMP_EXACT,
	LK_CMP_JARO_WINKLER,
	LK_CMP_LEVENSHTEIN, /* Damerau-Levenshtein (optimal string alignment), bounded */
	LK_CMP_TOKEN_SET,
	LK_CMP_QGRAM_COSINE,
	LK_CMP_NUMERIC,
	LK_CMP_DATE,
	LK_CMP_PHONETIC,
	LK_CMP_COUNT
};

/* Normalisers, applied in this bit order. */
enum lk_norm {
	LK_NORM_NFKC_CASEFOLD = 1u << 0,
	LK_NORM_TRIM = 1u << 1,
	LK_NORM_COLLAPSE_WHITESPACE = 1u << 2,
	LK_NORM_STRIP_PUNCTUATION = 1u << 3,
	LK_NORM_DIGITS_ONLY = 1u << 4,
	LK_NORM_STRIP_DIACRITICS = 1u << 5,
};

#define LK_MAX_LEVELS 6
#define LK_MAX_FIELDS 32
#define LK_MAX_RULES 16
#define LK_MAX_RULE_COLS 4

struct lk_field {
	char name[64];
	int in_col;  /* column in the input table */
	int ref_col; /* column in the reference table (the input table again in dedupe mode) */
	enum lk_comparator cmp;
	unsigned normalize; /* enum lk_norm bits */
	/*
	 * Similarity thresholds, descending, between exact agreement and "else": with
	 * {0.92, 0.8} a Jaro-Winkler field has levels exact / >=0.92 / >=0.8 / else (4 levels).
	 * For LK_CMP_LEVENSHTEIN the thresholds are distances (ascending: {1, 2}); for
	 * LK_CMP_NUMERIC relative differences; for LK_CMP_DATE days. Zero thresholds: exact/else.
	 */
	double thresholds[LK_MAX_LEVELS - 2];
	int nthresholds;
	bool tf_adjust; /* term-frequency adjustment on exact agreement */
	/*
	 * One more level just below exact agreement (string comparators only): the values
	 * share a prefix of at least LK_PREFIX_MIN code points and two thirds of the shorter
	 * one, as when free text was cut to a width. Smart runs set it on multi-word text.
	 */
	bool prefix_level;
};

#define LK_PREFIX_MIN 6

/*
 * The key a blocking rule takes from one (normalised) column value. LK_KEY_EXACT (0, the
 * default of a zeroed rule) is the value itself; the others are derived, coarser keys (a
 * value with no such key, e.g. no digit for LK_KEY_NUMBER_ROUNDED, is missing).
 */
enum lk_key_kind {
	LK_KEY_EXACT = 0,
	LK_KEY_FIRST_TOKEN, /* the first whitespace-separated token: "MATTHIAS C paym" -> "MATTHIAS" */
	LK_KEY_PREFIX4,     /* the first 4 characters (code points) after leading whitespace */
	LK_KEY_NUMBER_ROUNDED, /* the integer part of the first number: "-36.36" -> "-36" */
	LK_KEY_YEAR_MONTH,     /* "2022-03-28", "2022/3/28", "20220328" -> "202203" */
	LK_KEY_FIRST2_TOKENS,  /* the first two tokens: "MATTHIAS C paym" -> "MATTHIAS C" */
	/*
	 * The month that runs from the 16th to the 15th: "2022-03-31" and "2022-04-01" ->
	 * "202203", "2022-03-15" -> "202202". Dates a few days apart across a month's end
	 * share it; smart blocking pairs it with every year_month rule.
	 */
	LK_KEY_YEAR_MONTH_MID,
	LK_KEY_COUNT
};

/*
 * A blocking rule: pairs whose keys agree on every listed (normalised) column pair; the key of
 * column j is key_kind[j] (enum lk_key_kind; 0 = exact agreement).
 */
struct lk_rule {
	int in_cols[LK_MAX_RULE_COLS];
	int ref_cols[LK_MAX_RULE_COLS];
	int ncols;
	unsigned char key_kind[LK_MAX_RULE_COLS];
};

enum lk_link_type { LK_ONE_TO_ONE, LK_BEST_MATCH, LK_ALL_ABOVE_THRESHOLD };
enum lk_mode { LK_MODE_LINK, LK_MODE_DEDUPE };

struct lk_config {
	struct lk_field fields[LK_MAX_FIELDS];
	size_t nfields;
	struct lk_rule rules[LK_MAX_RULES];
	size_t nrules;    /* 0 with smart: the engine chooses */
	double threshold; /* match probability in (0, 1) */
	enum lk_link_type link_type;
	enum lk_mode mode;
};

/* ---- running ---- */

/* Returns nonzero to stop; the engine then returns MD_ECANCELED. Called between chunks. */
typedef int (*lk_progress_fn)(void *ctx, const char *stage, size_t rows_done, size_t rows_total,
                              size_t matched);

/*
 * Sharing a run's work with other processes (nodes). The engine stays pure: these callbacks,
 * the caller's, do the I/O and the waiting. The candidate chunks are grouped into units of
 * about unit_pairs pairs. For each pass (0: comparison, 1: scoring) the run opens the pass
 * with a plan, claims units until none is left, computes them on its own threads, and merges
 * the parts that helpers (lk_help, on other nodes) submitted for the units they took. Every
 * merge is independent of who computed what, so a shared run's result is bit-identical to
 * the same run alone.
 */
enum { LK_SHARE_GOT = 0, LK_SHARE_WAIT = 1, LK_SHARE_NONE = 2 };

struct lk_share {
	void *ctx;
	uint64_t unit_pairs; /* pairs per unit (0: 1 << 20) */
	/*
	 * The run: opens pass with nunits units and the plan helpers read (pairs: the pass's
	 * candidate pairs, an upper bound). Returns 1 to share the pass, 0 to run it alone (too
	 * small to be worth it), or a negative error.
	 */
	int (*open)(void *ctx, int pass, size_t nunits, const void *plan, size_t len,
	            uint64_t pairs);
	/*
	 * Both: claims a unit of pass. LK_SHARE_GOT with *unit; LK_SHARE_WAIT when none is
	 * claimable but others still hold some (the callback waits a little before it returns
	 * this); LK_SHARE_NONE when every unit is done or the caller's; or a negative error.
	 */
	int (*claim)(void *ctx, int pass, size_t *unit);
	/* The run: calls merge on each part helpers submitted for pass; returns merge's error. */
	int (*parts)(void *ctx, int pass, int (*merge)(void *mctx, const void *part, size_t len),
	             void *mctx);
	/*
	 * A helper: the plan of pass, waiting until the run opens it. Returns 0 (the buffer is
	 * the callback's until its next call), 1 when the pass will not come (the run ended or
	 * runs alone), or a negative error.
	 */
	int (*plan)(void *ctx, int pass, const void **plan, size_t *len);
	/*
	 * A helper: submits its part of pass over the nclaimed units it claimed. MD_ECONFLICT when
	 * some were taken over meanwhile (the part is dropped and the run computes them itself).
	 */
	int (*submit)(void *ctx, int pass, size_t nclaimed, const void *part, size_t len);
};

struct lk_opts {
	int threads;           /* worker threads; <= 1 runs on the caller's thread */
	bool smart;            /* choose blocking rules and levels from the data, estimate by EM */
	uint64_t max_pairs;    /* candidate-pair budget for smart blocking (0: 50 per input row) */
	uint64_t seed;         /* for the random pairs that estimate u: same seed, same output */
	size_t max_candidates; /* runner-ups kept per input row (default 3) */
	lk_progress_fn progress;
	void *progress_ctx;
	const struct lk_share *share; /* NULL: the run's own threads do all the work */
};

/* The comparison of one field of one pair, for the explanation (Splink's waterfall). */
struct lk_field_cmp {
	int level;     /* -1 when a value is missing (null level, weight 0) */
	double weight; /* log2 Bayes factor of that level (after TF adjustment) */
};

struct lk_pair {
	size_t in_row, ref_row;
	double match_weight; /* prior + sum of field weights, log2 */
	double probability;
	struct lk_field_cmp *fields; /* nfields entries, owned by the result */
};

struct lk_row_result {
	size_t in_row;
	bool matched;
	struct lk_pair best; /* valid when has_best */
	bool has_best;
	struct lk_pair *candidates; /* runner-ups, best first */
	size_t ncandidates;
	size_t cluster; /* dedupe: the cluster id (smallest row index in it) */
};

struct lk_level_params {
	double m, u;
};

struct lk_model {
	double prior; /* the probability that a random pair is a match (lambda) */
	struct lk_level_params levels[LK_MAX_FIELDS][LK_MAX_LEVELS];
	int nlevels[LK_MAX_FIELDS];
	struct lk_rule rules[LK_MAX_RULES]; /* the blocking rules used (chosen when smart) */
	uint64_t rule_pairs[LK_MAX_RULES];  /* candidate pairs each rule produced */
	size_t nrules;
	uint64_t pairs_compared;
	int em_iterations;
	bool em_converged;
	double estimated_recall; /* of the blocking, from the model */
	/* The fields as compared: a smart run may refine levels (labels must use these). */
	struct lk_field fields[LK_MAX_FIELDS];
};

struct lk_result {
	struct lk_row_result *rows; /* one per input row, in input order */
	size_t nrows;
	size_t rows_matched;
	double avg_confidence; /* mean probability over matched rows */
	struct lk_model model;
	size_t nfields;
};

void lk_result_release(struct lk_result *r);

/*
 * Runs the linkage. ref is ignored (may be NULL) in dedupe mode. Returns 0, MD_EINVAL for a
 * configuration that does not fit the tables (err names the field), MD_ENOMEM, MD_ELIMIT when
 * the candidate pairs exceed hard limits, or MD_ECANCELED.
 */
MD_WUR int lk_run(const struct lk_config *cfg, const struct lk_table *in,
                  const struct lk_table *ref, const struct lk_opts *opts, struct lk_result *out,
                  char *err, size_t errcap);

/*
 * Helps a shared run (opts->share, required) with the same configuration and tables: reads the
 * plan of each pass, claims units, computes them and submits its part. Returns 0 when it
 * helped or had nothing to do, MD_ECONFLICT when the plan does not fit these tables (they
 * changed), MD_ECANCELED, MD_ENOMEM or the callbacks' errors.
 */
MD_WUR int lk_help(const struct lk_config *cfg, const struct lk_table *in,
                   const struct lk_table *ref, const struct lk_opts *opts, char *err,
                   size_t errcap);

/* Names for the API: "jaro_winkler" <-> LK_CMP_JARO_WINKLER etc.; false when unknown. */
bool lk_comparator_parse(const char *name, enum lk_comparator *out);
const char *lk_comparator_name(enum lk_comparator c);
bool lk_norm_parse(const char *name, unsigned *bit);
/*
 * "exact", "first_token", "prefix4", "number_rounded", "year_month", "first2_tokens",
 * "year_month_mid" <->
 * enum lk_key_kind.
 */
bool lk_key_kind_parse(const char *name, enum lk_key_kind *out);
const char *lk_key_kind_name(enum lk_key_kind k);

#endif
