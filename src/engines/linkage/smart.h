/*
 * smart.h: what a smart run infers from the data (private to src/engines/linkage): the
 * blocking rules and the default comparison levels.
 *
 * Rule choice: the candidates are every configured column and every pair of them. Each
 * candidate's pair count is exact, from key frequency histograms (sum over keys of
 * count_in * count_ref). A true match survives a rule when it agrees exactly on all the rule's
 * columns; column c agrees with probability p[c] (0.9 times the share of non-missing values on
 * both sides before EM has run), independently of the others. Greedily, the rule that adds
 * the most expected recall is added (the cheaper one among rules within 5% of the best gain)
 * while the summed pair counts stay within the budget.
 */
#ifndef MATCHD_ENGINES_LINKAGE_SMART_H
#define MATCHD_ENGINES_LINKAGE_SMART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "engines/linkage/linkage.h"

/* Candidate columns considered by the rule choice (2^n states are enumerated). */
#define LK_SMART_MAX_COLS 12

struct lk_smart_rule {
	uint32_t cols; /* bit set over the candidate columns */
	uint64_t pairs;
	unsigned char kinds[LK_SMART_MAX_COLS]; /* key kind of each column in cols (0: exact) */
};

/*
 * The probability that a true match survives at least one of the rules (each a bit set over
 * ncols <= LK_SMART_MAX_COLS columns) when column c agrees with probability p[c].
 */
double lk_rules_recall(const double *p, size_t ncols, const uint32_t *rules, size_t nrules);

/*
 * Chooses rules over the candidate columns in_cols[k] (of in) / ref_cols[k] (of ref; ignored
 * when dedupe) for k < ncols, within max_pairs pairs. Writes up to LK_MAX_RULES rules to out,
 * their count to *nout and the expected recall to *recall. Returns 0, MD_ENOMEM.
 */
MD_WUR int lk_smart_rules(const struct lk_table *in, const struct lk_table *ref, const int *in_cols,
                          const int *ref_cols, size_t ncols, bool dedupe, uint64_t max_pairs,
                          struct lk_smart_rule *out, size_t *nout, double *recall);

/*
 * lk_smart_rules that also considers derived keys (enum lk_key_kind) of the candidate columns:
 * first_token for multi-word text, number_rounded for decimal numbers, year_month for dates
 * (by the shape of the input column's values). A derived key's agreement probability is
 * estimated on anchor pairs: pairs that are alone in their block, on both sides, for the
 * exact/derived keys of two other columns (nearly all true matches). If the derived key fixes
 * a large share of the exact key's disagreements there (d = derived disagreements / exact
 * ones <= 0.35, at least 30 anchors), it becomes a candidate with p = 1 - (1 - p_exact) * d.
 * The recall model then treats a column's keys as nested (agreeing on a stricter key implies
 * agreeing on a more lenient one), single keys and pairs of keys of two columns are the
 * candidate rules, and the greedy choice is lk_smart_rules'. When no derived key qualifies
 * the result is exactly lk_smart_rules'. out[k].kinds says which key each column uses.
 */
MD_WUR int lk_smart_rules_derived(const struct lk_table *in, const struct lk_table *ref,
                                  const int *in_cols, const int *ref_cols, size_t ncols,
                                  bool dedupe, uint64_t max_pairs, struct lk_smart_rule *out,
                                  size_t *nout, double *recall);

/*
 * Month buckets split dates a day apart across a month's end (31 March / 1 April): every rule
 * of rules[0..*n) with a year_month key gets a companion with year_month_mid (the month that
 * starts on the 16th) in its place, so that dates up to about two weeks apart share a bucket
 * in at least one of the two, when the companion's pairs fit in what max_pairs leaves (the
 * rules' summed pairs) and LK_MAX_RULES allows. Columns as for lk_smart_rules. Returns 0,
 * MD_ENOMEM.
 */
MD_WUR int lk_smart_mid_month_rules(const struct lk_table *in, const struct lk_table *ref,
                                    const int *in_cols, const int *ref_cols, size_t ncols,
                                    bool dedupe, uint64_t max_pairs, struct lk_smart_rule *rules,
                                    size_t *n);

/*
 * Marks the fields whose values are derived from another field's: on a sample of t's rows
 * where both are present, every word of field f's value (cols[f], a column of t) is a word of
 * field g's in at least 90% of them ("thomas" in "thomas chudleigh" in "thomas clifford,
 * 1st baron clifford of chudleigh"). Fellegi-Sunter adds field weights as if independent, so
 * the same name agreeing in three columns would count three times; the containing field is
 * kept (of two that contain each other, the first). Fields on the same column are never
 * marked. dep[f] gets the answer for f < n, contains[f] whether f contains a marked field.
 */
void lk_smart_dependent_fields(const struct lk_table *t, const int *cols, size_t n, bool *dep,
                               bool *contains);

/*
 * Refines a field's levels for a smart run. Multi-word text (token_set, qgram_cosine) gets the
 * prefix level (struct lk_field): free text is often cut to a width on one side ("MATTHIAS C
 * paym" for "MATTHIAS C payment BGC"), which a token or q-gram overlap scores as barely
 * similar while a shared prefix of 6+ characters is nearly never chance. Numeric fields with
 * the two default relative levels {0.01, 0.1} get {0.01, 0.03, 0.05, 0.1}: amounts that
 * differ by fees or exchange rates spread over a few percent, and EM can only weigh what the
 * levels separate.
 */
void lk_smart_refine_levels(struct lk_field *f);

#endif
