/*
 * strategy.h: the column strategies of smart-runs (seed 002's GET /v1/matching/strategies):
 * what a column is from its name (hints) and its values (shapes), and how to compare it. A
 * strategy is a table of column rules; "auto" uses the people rules, then the product rules,
 * then the values alone. Pure: reads the reference table, writes lk_field.
 */
#ifndef MATCHD_ENGINES_LINKAGE_STRATEGY_H
#define MATCHD_ENGINES_LINKAGE_STRATEGY_H

#include <stdbool.h>
#include <stddef.h>

#include "engines/linkage/linkage.h"

/* The normalisers of names: the default of a field that names a comparator but none. */
#define LK_NORM_NAMES                                                                              \
	(LK_NORM_NFKC_CASEFOLD | LK_NORM_TRIM | LK_NORM_COLLAPSE_WHITESPACE |                      \
	 LK_NORM_STRIP_DIACRITICS)

struct lk_column_rule {
	const char *type;
	const char *hints; /* '|'-separated substrings of the lower-case column name */
	enum lk_comparator cmp;
	unsigned norm;
	double t[2];
	int nt;
	bool tf;
};

struct lk_strategy {
	const char *id, *name, *description;
	const struct lk_column_rule *rules;
	size_t nrules;
};

/* Every strategy, "auto" first; *n gets their number. */
const struct lk_strategy *lk_strategies(size_t *n);
/* The strategy called id, or NULL. */
const struct lk_strategy *lk_strategy_find(const char *id);
/*
 * Fills f's comparator, normalisers, levels and tf flag for column col (of ref, at ref_col):
 * the first rule whose hint the name has and whose comparison the values suit, else the
 * values' shape (dates, digits, long text, words).
 */
void lk_strategy_infer_field(const struct lk_strategy *s, const char *col,
                             const struct lk_table *ref, int ref_col, struct lk_field *f);
/* Identifier-like columns ("id", "rec_id", "*_id" no rule claims) an inferred list leaves out. */
bool lk_strategy_skip_column(const struct lk_strategy *s, const char *col);
/* The default levels of f's comparator when f has none: jaro_winkler {0.92, 0.8} and so on. */
void lk_default_levels(struct lk_field *f);

#endif
