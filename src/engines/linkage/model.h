/*
 * model.h: Fellegi-Sunter estimation for the linkage engine (private to src/engines/linkage).
 *
 * The compared pairs are summarised as comparison patterns (one level per field, plus the set
 * of blocking rules the pair satisfies) with their counts: EM only needs those counts, so its
 * cost does not grow with the number of pairs. u stays fixed (estimated from random pairs);
 * EM estimates m and the share of matches lambda, on the pairs of one rule with that rule's
 * own fields excluded, as Splink does: a rule's blocked pairs all agree on its columns, so
 * those columns would otherwise look like perfect evidence and drag EM to "all match".
 *
 * Guards against the degenerate fixed points: probabilities are clamped to [1e-6, 1 - 1e-6];
 * an estimate whose exact-agreement level weighs against a match is reset to the starting m,
 * unless "else" weighs against and a level between weighs for one (near agreement is the
 * evidence: event dates a day or two apart); and m/u is made non-decreasing in the level
 * (more agreement never weighs less); estimated m is at least min(LK_M_FLOOR, u) at every level.
 */
#ifndef MATCHD_ENGINES_LINKAGE_MODEL_H
#define MATCHD_ENGINES_LINKAGE_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "engines/linkage/linkage.h"

#define LK_PROB_MIN 1e-6
#define LK_PROB_MAX (1.0 - 1e-6)
#define LK_EM_MAX_ITER 50
/* The least m of a level after EM (or u if smaller): a level costs at most log2(1/0.01) bits. */
#define LK_M_FLOOR 0.01

/* A comparison pattern: lv[f] = level + 1 (0 = a value missing), rules = rule bits. */
struct lk_pattern {
	uint8_t lv[LK_MAX_FIELDS];
	uint32_t rules;
	uint64_t count;
};

/* An open-addressing set of patterns with counts. */
struct lk_pattern_set {
	struct lk_pattern *slots;
	size_t cap, n, nfields;
};

void lk_pattern_set_init(struct lk_pattern_set *s, size_t nfields);
void lk_pattern_set_release(struct lk_pattern_set *s);
/* Adds count pairs of pattern (lv, rules). MD_ENOMEM. */
MD_WUR int lk_pattern_set_add(struct lk_pattern_set *s, const uint8_t *lv, uint32_t rules,
                              uint64_t count);
/* Adds every pattern of from into s. MD_ENOMEM. */
MD_WUR int lk_pattern_set_merge(struct lk_pattern_set *s, const struct lk_pattern_set *from);
/*
 * Returns the patterns as a dense array sorted by (lv, rules), so that sums over them do not
 * depend on insertion order; *n gets the count. The set is left empty. NULL on ENOMEM.
 */
struct lk_pattern *lk_pattern_set_take_sorted(struct lk_pattern_set *s, size_t *n);

struct lk_em_params {
	size_t nfields;
	int nlevels[LK_MAX_FIELDS];
	double m[LK_MAX_FIELDS][LK_MAX_LEVELS];
	double u[LK_MAX_FIELDS][LK_MAX_LEVELS];
	double lambda;
};

/* The starting m: 0.9 on exact agreement, the rest decreasing towards "else". */
void lk_em_start_m(struct lk_em_params *p);

/*
 * Runs EM over the patterns satisfying rule_bits (0: all patterns), ignoring the fields with
 * exclude[f] set. Updates p->m (unless fix_m) and p->lambda in place; returns the iterations
 * run and sets *converged when the largest change fell below 1e-6 within LK_EM_MAX_ITER.
 */
int lk_em_run(struct lk_em_params *p, const struct lk_pattern *pats, size_t npats,
              uint32_t rule_bits, const bool *exclude, bool fix_m, bool *converged);

/* Clamps m and u and makes m/u non-decreasing in the level (see the header comment). */
void lk_em_guard(struct lk_em_params *p, int field, const double *m_start);

/* log2(m/u) of field f at level l (l >= 0). */
double lk_level_weight(const struct lk_em_params *p, int f, int l);

#endif
