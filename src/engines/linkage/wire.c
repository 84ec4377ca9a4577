/*
 * wire.c: the byte forms of a shared linkage run (see wire.h).
 */
#include "engines/linkage/wire.h"

#include <string.h>

#define WIRE_VERSION 1
#define MAGIC_PLAN 0x4c4b5031u   /* "LKP1" */
#define MAGIC_MODEL 0x4c4b4d31u  /* "LKM1" */
#define MAGIC_PATS 0x4c4b4331u   /* "LKC1" */
#define MAGIC_SCORED 0x4c4b5331u /* "LKS1" */
/* A part larger than this is refused when written (a million rows' best pairs are ~150 MB). */
#define WIRE_MAX ((size_t)1 << 31)

/* ---- writing ---- */

void lk_buf_init(struct lk_buf *w)
{
	buf_init(&w->b, WIRE_MAX);
	w->err = 0;
}

void lk_buf_release(struct lk_buf *w)
{
	buf_release(&w->b);
}

static void put(struct lk_buf *w, const void *src, size_t len)
{
	if (!w->err && len)
		w->err = buf_append(&w->b, src, len);
}

static void put_u64(struct lk_buf *b, uint64_t v)
{
	uint8_t x[8];
	for (int i = 0; i < 8; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	put(b, x, 8);
}

static void put_u32(struct lk_buf *b, uint32_t v)
{
	uint8_t x[4];
	for (int i = 0; i < 4; i++)
		x[i] = (uint8_t)(v >> (8 * i));
	put(b, x, 4);
}

static void put_i32(struct lk_buf *b, int v)
{
	put_u32(b, (uint32_t)v);
}

static void put_f64(struct lk_buf *b, double d)
{
	uint64_t v;
	memcpy(&v, &d, sizeof v);
	put_u64(b, v);
}

static void put_head(struct lk_buf *b, uint32_t magic)
{
	put_u32(b, magic);
	put_u32(b, WIRE_VERSION);
}

/* ---- reading ---- */

struct rd {
	const uint8_t *p;
	size_t n;
	bool bad;
};

static const uint8_t *take(struct rd *r, size_t len)
{
	if (r->bad || len > r->n) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->p;
	r->p += len;
	r->n -= len;
	return p;
}

static uint64_t get_u64(struct rd *r)
{
	const uint8_t *x = take(r, 8);
	uint64_t v = 0;
	for (int i = 0; x && i < 8; i++)
		v |= (uint64_t)x[i] << (8 * i);
	return v;
}

static uint32_t get_u32(struct rd *r)
{
	const uint8_t *x = take(r, 4);
	uint32_t v = 0;
	for (int i = 0; x && i < 4; i++)
		v |= (uint32_t)x[i] << (8 * i);
	return v;
}

static int get_i32(struct rd *r)
{
	return (int)(int32_t)get_u32(r);
}

static double get_f64(struct rd *r)
{
	uint64_t v = get_u64(r);
	double d;
	memcpy(&d, &v, sizeof d);
	return d;
}

static bool get_head(struct rd *r, uint32_t magic)
{
	return get_u32(r) == magic && get_u32(r) == WIRE_VERSION && !r->bad;
}

/* A count that must fit in what is left at min_each bytes an entry. */
static bool count_fits(const struct rd *r, uint64_t count, size_t min_each)
{
	return !r->bad && (min_each == 0 || count <= r->n / min_each);
}

/* ---- plan ---- */

static void put_field(struct lk_buf *b, const struct lk_field *f)
{
	put(b, f->name, sizeof f->name);
	put_i32(b, f->in_col);
	put_i32(b, f->ref_col);
	put_u32(b, (uint32_t)f->cmp);
	put_u32(b, f->normalize);
	put_i32(b, f->nthresholds);
	for (int t = 0; t < LK_MAX_LEVELS - 2; t++)
		put_f64(b, f->thresholds[t]);
	put_u32(b, (uint32_t)f->tf_adjust | (uint32_t)f->prefix_level << 1);
}

static bool get_field(struct rd *r, struct lk_field *f)
{
	const uint8_t *name = take(r, sizeof f->name);
	if (!name)
		return false;
	memcpy(f->name, name, sizeof f->name);
	if (f->name[sizeof f->name - 1] != '\0')
		return false;
	f->in_col = get_i32(r);
	f->ref_col = get_i32(r);
	uint32_t cmp = get_u32(r);
	f->normalize = get_u32(r);
	f->nthresholds = get_i32(r);
	for (int t = 0; t < LK_MAX_LEVELS - 2; t++)
		f->thresholds[t] = get_f64(r);
	uint32_t flags = get_u32(r);
	f->tf_adjust = flags & 1;
	f->prefix_level = (flags >> 1) & 1;
	if (r->bad || cmp >= LK_CMP_COUNT || f->in_col < 0 || f->ref_col < 0 ||
	    f->nthresholds < 0 || f->nthresholds > LK_MAX_LEVELS - 2 || flags > 3)
		return false;
	f->cmp = (enum lk_comparator)cmp;
	return true;
}

static void put_rule(struct lk_buf *b, const struct lk_rule *ru)
{
	put_i32(b, ru->ncols);
	for (int j = 0; j < LK_MAX_RULE_COLS; j++) {
		put_i32(b, ru->in_cols[j]);
		put_i32(b, ru->ref_cols[j]);
		put_u32(b, ru->key_kind[j]);
	}
}

static bool get_rule(struct rd *r, struct lk_rule *ru)
{
	memset(ru, 0, sizeof(*ru));
	ru->ncols = get_i32(r);
	bool ok = ru->ncols >= 1 && ru->ncols <= LK_MAX_RULE_COLS;
	for (int j = 0; j < LK_MAX_RULE_COLS; j++) {
		ru->in_cols[j] = get_i32(r);
		ru->ref_cols[j] = get_i32(r);
		uint32_t kind = get_u32(r);
		ok &= kind < LK_KEY_COUNT && ru->in_cols[j] >= 0 && ru->ref_cols[j] >= 0;
		ru->key_kind[j] = (unsigned char)(kind < LK_KEY_COUNT ? kind : 0);
	}
	return ok && !r->bad;
}

int lk_wire_plan_encode(const struct lk_wire_plan *p, struct lk_buf *b)
{
	put_head(b, MAGIC_PLAN);
	put_u32(b, (uint32_t)p->nfields);
	for (size_t f = 0; f < p->nfields; f++)
		put_field(b, &p->fields[f]);
	put_u32(b, (uint32_t)p->nrules);
	for (size_t k = 0; k < p->nrules; k++)
		put_rule(b, &p->rules[k]);
	put_u64(b, p->nchunks);
	put_u64(b, p->pairs_upper);
	put_u64(b, p->nunits);
	put_u64(b, p->unit_pairs);
	return b->err;
}

int lk_wire_plan_decode(const void *data, size_t len, struct lk_wire_plan *out)
{
	struct rd r = { data, len, false };
	memset(out, 0, sizeof(*out));
	if (!get_head(&r, MAGIC_PLAN))
		return MD_EINVAL;
	out->nfields = get_u32(&r);
	if (out->nfields > LK_MAX_FIELDS)
		return MD_EINVAL;
	for (size_t f = 0; f < out->nfields; f++)
		if (!get_field(&r, &out->fields[f]))
			return MD_EINVAL;
	out->nrules = get_u32(&r);
	if (out->nrules < 1 || out->nrules > LK_MAX_RULES)
		return MD_EINVAL;
	for (size_t k = 0; k < out->nrules; k++)
		if (!get_rule(&r, &out->rules[k]))
			return MD_EINVAL;
	out->nchunks = get_u64(&r);
	out->pairs_upper = get_u64(&r);
	out->nunits = get_u64(&r);
	out->unit_pairs = get_u64(&r);
	return r.bad || r.n ? MD_EINVAL : 0;
}

/* ---- model ---- */

int lk_wire_model_encode(const struct lk_wire_model *m, struct lk_buf *b)
{
	put_head(b, MAGIC_MODEL);
	put_u32(b, (uint32_t)m->nfields);
	for (size_t f = 0; f < m->nfields; f++) {
		put_i32(b, m->nlevels[f]);
		for (int l = 0; l <= LK_MAX_LEVELS; l++)
			put_f64(b, m->wt[f][l]);
		put_f64(b, m->m_exact[f]);
	}
	put_u32(b, m->tf_fields);
	put_f64(b, m->prior_logit);
	put_f64(b, m->tw);
	put_u32(b, m->keep_above);
	put_u32(b, m->k);
	return b->err;
}

int lk_wire_model_decode(const void *data, size_t len, struct lk_wire_model *out)
{
	struct rd r = { data, len, false };
	memset(out, 0, sizeof(*out));
	if (!get_head(&r, MAGIC_MODEL))
		return MD_EINVAL;
	out->nfields = get_u32(&r);
	if (out->nfields > LK_MAX_FIELDS)
		return MD_EINVAL;
	for (size_t f = 0; f < out->nfields; f++) {
		out->nlevels[f] = get_i32(&r);
		if (out->nlevels[f] < 2 || out->nlevels[f] > LK_MAX_LEVELS)
			return MD_EINVAL;
		for (int l = 0; l <= LK_MAX_LEVELS; l++)
			out->wt[f][l] = get_f64(&r);
		out->m_exact[f] = get_f64(&r);
	}
	out->tf_fields = get_u32(&r);
	out->prior_logit = get_f64(&r);
	out->tw = get_f64(&r);
	uint32_t keep = get_u32(&r);
	out->k = get_u32(&r);
	out->keep_above = keep == 1;
	if (r.bad || r.n || keep > 1 || out->k < 1 || out->k > 255 ||
	    (out->nfields < 32 && out->tf_fields >> out->nfields))
		return MD_EINVAL;
	return 0;
}

/* ---- comparison parts ---- */

int lk_wire_patterns_encode(uint64_t pairs, const struct lk_pattern *pats, size_t n, size_t nfields,
                            struct lk_buf *b)
{
	put_head(b, MAGIC_PATS);
	put_u32(b, (uint32_t)nfields);
	put_u64(b, pairs);
	put_u64(b, n);
	for (size_t k = 0; k < n; k++) {
		put(b, pats[k].lv, nfields);
		put_u32(b, pats[k].rules);
		put_u64(b, pats[k].count);
	}
	return b->err;
}

int lk_wire_patterns_decode(const void *data, size_t len, size_t nfields, uint64_t *pairs,
                            int (*each)(void *ctx, const uint8_t *lv, uint32_t rules,
                                        uint64_t count),
                            void *ctx)
{
	struct rd r = { data, len, false };
	if (!get_head(&r, MAGIC_PATS) || get_u32(&r) != nfields || nfields > LK_MAX_FIELDS)
		return MD_EINVAL;
	*pairs = get_u64(&r);
	uint64_t n = get_u64(&r);
	if (!count_fits(&r, n, nfields + 12) || n * (nfields + 12) != r.n)
		return MD_EINVAL;
	for (uint64_t k = 0; k < n; k++) {
		const uint8_t *lv = take(&r, nfields);
		uint32_t rules = get_u32(&r);
		uint64_t count = get_u64(&r);
		for (size_t f = 0; lv && f < nfields; f++)
			if (lv[f] > LK_MAX_LEVELS)
				return MD_EINVAL;
		int rc = r.bad ? MD_EINVAL : each(ctx, lv, rules, count);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- scoring parts ---- */

void lk_wire_scored_begin(struct lk_buf *b, size_t nfields, uint64_t pairs, uint64_t nbest,
                          uint64_t nabove)
{
	put_head(b, MAGIC_SCORED);
	put_u32(b, (uint32_t)nfields);
	put_u64(b, pairs);
	put_u64(b, nbest);
	put_u64(b, nabove);
}

void lk_wire_scored_put(struct lk_buf *b, const struct lk_scored *s, const uint8_t *lv,
                        size_t nfields)
{
	put_u32(b, s->in);
	put_u32(b, s->ref);
	put_f64(b, s->w);
	put_u64(b, s->idx);
	if (lv)
		put(b, lv, nfields);
}

static bool get_scored(struct rd *r, struct lk_scored *s)
{
	s->in = get_u32(r);
	s->ref = get_u32(r);
	s->w = get_f64(r);
	s->idx = get_u64(r);
	return !r->bad && s->w == s->w; /* a NaN weight has no place in the total order */
}

int lk_wire_scored_decode(const void *data, size_t len, size_t nfields, uint64_t *pairs,
                          const struct lk_wire_scored_cb *cb)
{
	struct rd r = { data, len, false };
	if (!get_head(&r, MAGIC_SCORED) || get_u32(&r) != nfields || nfields > LK_MAX_FIELDS)
		return MD_EINVAL;
	*pairs = get_u64(&r);
	uint64_t nbest = get_u64(&r), nabove = get_u64(&r);
	if (!count_fits(&r, nbest, 24 + nfields) || !count_fits(&r, nabove, 24) ||
	    nbest * (24 + nfields) + nabove * 24 != r.n)
		return MD_EINVAL;
	for (uint64_t k = 0; k < nbest; k++) {
		struct lk_scored s;
		bool ok = get_scored(&r, &s);
		const uint8_t *lv = take(&r, nfields);
		for (size_t f = 0; lv && f < nfields; f++)
			ok &= lv[f] <= LK_MAX_LEVELS;
		int rc = ok && lv ? cb->best(cb->ctx, &s, lv) : MD_EINVAL;
		if (rc)
			return rc;
	}
	for (uint64_t k = 0; k < nabove; k++) {
		struct lk_scored s;
		int rc = get_scored(&r, &s) ? cb->above(cb->ctx, &s) : MD_EINVAL;
		if (rc)
			return rc;
	}
	return 0;
}
