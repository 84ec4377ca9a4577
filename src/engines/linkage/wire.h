/*
 * wire.h: the byte forms a shared linkage run exchanges between nodes (private to
 * src/engines/linkage): the plan of the comparison pass (the fields as compared, the blocking
 * rules, a fingerprint of the chunks), the model of the scoring pass, and the parts helpers
 * submit (comparison patterns; scored pairs).
 *
 * Fixed-width little-endian fields behind a magic per form and a version. A decoder checks
 * every count against the bytes left and every enum against its range, and refuses what it
 * cannot read whole with MD_EINVAL, so a part written by another build is never half-used.
 */
#ifndef MATCHD_ENGINES_LINKAGE_WIRE_H
#define MATCHD_ENGINES_LINKAGE_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/err.h"
#include "engines/linkage/assign.h"
#include "engines/linkage/linkage.h"
#include "engines/linkage/model.h"

/* A part being written; err sticks at the first failure so writers check once at the end. */
struct lk_buf {
	struct buf b;
	int err;
};

void lk_buf_init(struct lk_buf *w);
void lk_buf_release(struct lk_buf *w);

/* The comparison pass's plan: what a helper needs to cut the same chunks. */
struct lk_wire_plan {
	size_t nfields, nrules;
	struct lk_field fields[LK_MAX_FIELDS];
	struct lk_rule rules[LK_MAX_RULES];
	uint64_t nchunks, pairs_upper, nunits, unit_pairs;
};

int lk_wire_plan_encode(const struct lk_wire_plan *p, struct lk_buf *b);
MD_WUR int lk_wire_plan_decode(const void *data, size_t len, struct lk_wire_plan *out);

/* The scoring pass's model: everything score() reads besides the tables. */
struct lk_wire_model {
	size_t nfields;
	int nlevels[LK_MAX_FIELDS];
	double wt[LK_MAX_FIELDS][LK_MAX_LEVELS + 1]; /* by level + 1; [0] is the null level */
	double m_exact[LK_MAX_FIELDS];               /* m of exact agreement, for TF weights */
	uint32_t tf_fields; /* bit f: field f's exact level is TF-adjusted */
	double prior_logit, tw;
	bool keep_above;
	uint32_t k; /* pairs kept per row */
};

int lk_wire_model_encode(const struct lk_wire_model *m, struct lk_buf *b);
MD_WUR int lk_wire_model_decode(const void *data, size_t len, struct lk_wire_model *out);

/* A comparison part: the pairs compared and their patterns. */
int lk_wire_patterns_encode(uint64_t pairs, const struct lk_pattern *pats, size_t n, size_t nfields,
                            struct lk_buf *b);
/*
 * Calls each for every pattern of a part written for nfields fields; *pairs gets the pairs
 * compared. Stops at the first nonzero return of each and returns it.
 */
MD_WUR int lk_wire_patterns_decode(const void *data, size_t len, size_t nfields, uint64_t *pairs,
                                   int (*each)(void *ctx, const uint8_t *lv, uint32_t rules,
                                               uint64_t count),
                                   void *ctx);

/*
 * A scoring part: the pairs compared, then the best pairs of rows (with their levels), then
 * the pairs above the threshold. The writer is told the counts first, then gets the entries.
 */
void lk_wire_scored_begin(struct lk_buf *b, size_t nfields, uint64_t pairs, uint64_t nbest,
                          uint64_t nabove);
void lk_wire_scored_put(struct lk_buf *b, const struct lk_scored *s, const uint8_t *lv,
                        size_t nfields);
struct lk_wire_scored_cb {
	int (*best)(void *ctx, const struct lk_scored *s, const uint8_t *lv);
	int (*above)(void *ctx, const struct lk_scored *s);
	void *ctx;
};
MD_WUR int lk_wire_scored_decode(const void *data, size_t len, size_t nfields, uint64_t *pairs,
                                 const struct lk_wire_scored_cb *cb);

#endif
