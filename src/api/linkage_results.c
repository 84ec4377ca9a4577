/*
 * linkage_results.c: a run's results, see linkage_results.h. A run stores per input row a
 * compact record (about 170 bytes for nine fields and three candidates) instead of the
 * rendered JSON (about 2 KB, with every cell of the input row, the match and the candidates),
 * so a million-row run writes ~200 MB in batches instead of building a 2 GB array. The cell
 * values are put back at read time from the run's tables, parsed again from the stored
 * datasets (a small cache keeps the last few, so paging through a run does not parse them
 * for every page); the tables are immutable, so the rendering is the same as at run time.
 *
 * The record, little-endian, version 1:
 *   u8 version, u8 flags (1 has_best, 2 matched, 4 has cluster)
 *   [u64 cluster]
 *   has_best: u32 ref_row, f64 probability, f64 match_weight, u8 nfields,
 *             nfields x (i8 level, f64 weight)
 *   u8 ncandidates, ncandidates x (u32 ref_row, f64 probability, f64 match_weight)
 */
#include "api/linkage_results.h"

#include <pthread.h>

#include "api/api.h"
#include "base/common.h"
#include "base/log.h"
#include "engines/linkage/csv.h"
#include "engines/linkage/table.h"

#define REC_VERSION 1
#define REC_HAS_BEST 1
#define REC_MATCHED 2
#define REC_CLUSTER 4
#define REC_MAX_CANDIDATES 255
/* The same cap the upload and the runner use for a dataset's CSV. */
#define TABLE_CSV_LIMIT ((size_t)256 << 20)
/* Rows fetched from the store per step of the CSV export. */
#define CSV_STEP_ROWS 2000
/* What one fill() of the CSV stream hands over (the server's stream buffer is 1 MiB). */
#define CSV_CHUNK ((size_t)256 << 10)
/*
 * Parsed tables stay cached after a read, up to this many bytes of their CSVs (a parsed table
 * takes about twice its CSV): paging through a million-row run parses its tables once.
 */
#define CACHE_BUDGET ((size_t)512 << 20)
#define CACHE_SLOTS 8

const char *lkr_row_status(const struct lk_row_result *row, double threshold)
{
	if (row->matched)
		return "matched";
	if (row->has_best && row->best.probability >= threshold / 2)
		return "review";
	return "unmatched";
}

/* ---- the record ---- */

static int put_u8(struct buf *b, unsigned v)
{
	char c = (char)(unsigned char)v;
	return buf_append(b, &c, 1);
}

static int put_u64(struct buf *b, uint64_t v, int nbytes)
{
	unsigned char o[8];
	for (int i = 0; i < nbytes; i++)
		o[i] = (unsigned char)(v >> (8 * i));
	return buf_append(b, o, (size_t)nbytes);
}

static int put_f64(struct buf *b, double d)
{
	uint64_t v;
	memcpy(&v, &d, sizeof v);
	return put_u64(b, v, 8);
}

static int put_pair(struct buf *b, const struct lk_pair *p)
{
	if (p->ref_row > UINT32_MAX)
		return MD_ELIMIT;
	int rc = put_u64(b, p->ref_row, 4);
	rc = rc ? rc : put_f64(b, p->probability);
	return rc ? rc : put_f64(b, p->match_weight);
}

static int encode_row(struct buf *b, const struct lk_row_result *row, size_t nfields, bool dedupe)
{
	unsigned flags = (row->has_best ? REC_HAS_BEST : 0) | (row->matched ? REC_MATCHED : 0) |
	                 (dedupe ? REC_CLUSTER : 0);
	int rc = put_u8(b, REC_VERSION);
	rc = rc ? rc : put_u8(b, flags);
	if (!rc && dedupe)
		rc = put_u64(b, row->cluster, 8);
	if (!rc && row->has_best) {
		rc = put_pair(b, &row->best);
		rc = rc ? rc : put_u8(b, (unsigned)nfields);
		for (size_t f = 0; !rc && f < nfields; f++) {
			rc = put_u8(b, (unsigned)(signed char)row->best.fields[f].level);
			rc = rc ? rc : put_f64(b, row->best.fields[f].weight);
		}
	}
	size_t nc = MD_MIN(row->ncandidates, (size_t)REC_MAX_CANDIDATES);
	rc = rc ? rc : put_u8(b, (unsigned)nc);
	for (size_t k = 0; !rc && k < nc; k++)
		rc = put_pair(b, &row->candidates[k]);
	return rc;
}

struct rec_pair {
	size_t ref_row;
	double probability, match_weight;
};

struct rec {
	bool has_best, matched, has_cluster;
	uint64_t cluster;
	struct rec_pair best;
	int nfields;
	int level[LK_MAX_FIELDS];
	double weight[LK_MAX_FIELDS];
	int ncand;
	struct rec_pair cand[REC_MAX_CANDIDATES];
};

struct reader {
	const unsigned char *p;
	size_t left;
	bool bad;
};

static uint64_t get_u64(struct reader *r, int nbytes)
{
	if (r->left < (size_t)nbytes) {
		r->bad = true;
		return 0;
	}
	uint64_t v = 0;
	for (int i = 0; i < nbytes; i++)
		v |= (uint64_t)r->p[i] << (8 * i);
	r->p += nbytes;
	r->left -= (size_t)nbytes;
	return v;
}

static double get_f64(struct reader *r)
{
	uint64_t v = get_u64(r, 8);
	double d;
	memcpy(&d, &v, sizeof d);
	return d;
}

static void get_pair(struct reader *r, struct rec_pair *p)
{
	p->ref_row = (size_t)get_u64(r, 4);
	p->probability = get_f64(r);
	p->match_weight = get_f64(r);
}

/* Decodes a stored record; MD_EIO when it is not one this version wrote. */
static int decode_row(const void *data, size_t len, struct rec *o)
{
	struct reader r = { data, len, false };
	memset(o, 0, sizeof *o);
	if (get_u64(&r, 1) != REC_VERSION)
		return MD_EIO;
	unsigned flags = (unsigned)get_u64(&r, 1);
	o->has_best = flags & REC_HAS_BEST;
	o->matched = flags & REC_MATCHED;
	o->has_cluster = flags & REC_CLUSTER;
	if (o->has_cluster)
		o->cluster = get_u64(&r, 8);
	if (o->has_best) {
		get_pair(&r, &o->best);
		o->nfields = (int)get_u64(&r, 1);
		if (o->nfields > LK_MAX_FIELDS)
			return MD_EIO;
		for (int f = 0; f < o->nfields; f++) {
			o->level[f] = (signed char)(unsigned char)get_u64(&r, 1);
			o->weight[f] = get_f64(&r);
		}
	}
	o->ncand = (int)get_u64(&r, 1);
	for (int k = 0; k < o->ncand; k++)
		get_pair(&r, &o->cand[k]);
	return r.bad || r.left ? MD_EIO : 0;
}

/* ---- writing ---- */

void lkr_batch_free(void *batch)
{
	struct lkr_batch *b = batch;
	if (!b)
		return;
	md_free(b->rows);
	buf_release(&b->recs);
	md_free(b);
}

int lkr_write(struct store *st, const struct store_job *j, const struct lk_result *res,
              double threshold, bool dedupe, int (*progress)(void *ctx, size_t done), void *ctx,
              struct lkr_batch **last)
{
	struct store_lk_row *rows = md_calloc(LKR_BATCH_ROWS, sizeof *rows);
	size_t *ends = md_calloc(LKR_BATCH_ROWS, sizeof *ends);
	struct buf recs;
	/* A batch's records: ~170 bytes a row, at most ~2.7 KB with 32 fields and 255 candidates. */
	buf_init(&recs, (size_t)LKR_BATCH_ROWS * 8192);
	int rc = rows && ends ? 0 : MD_ENOMEM;
	size_t start = 0;
	*last = NULL;
	do {
		size_t n = MD_MIN((size_t)LKR_BATCH_ROWS, res->nrows - start);
		bool final = start + n >= res->nrows;
		buf_reset(&recs);
		for (size_t k = 0; !rc && k < n; k++) {
			rc = encode_row(&recs, &res->rows[start + k], res->nfields, dedupe);
			ends[k] = recs.len;
		}
		/* The records are addressed once the batch's buffer no longer moves. */
		for (size_t k = 0; !rc && k < n; k++) {
			const struct lk_row_result *row = &res->rows[start + k];
			size_t from = k ? ends[k - 1] : 0;
			rows[k] = (struct store_lk_row){
				.row = (int64_t)(start + k),
				.confidence = row->has_best ? row->best.probability : 0,
				.rec = recs.data + from,
				.rec_len = ends[k] - from,
			};
			snprintf(rows[k].status, sizeof rows[k].status, "%s",
			         lkr_row_status(row, threshold));
		}
		if (!rc && final) {
			/* Handed over: the batch keeps the rows and their records. */
			struct lkr_batch *b = md_calloc(1, sizeof *b);
			if (!b) {
				rc = MD_ENOMEM;
				break;
			}
			b->rows = rows;
			b->recs = recs;
			b->final = (struct store_lk_final){ j->workspace_id, start == 0, rows, n };
			rows = NULL;
			buf_init(&recs, 0);
			*last = b;
		} else if (!rc) {
			rc = store_lk_rows_put(st, j->workspace_id, j->id, j->lease_token,
			                       start == 0, rows, n);
		}
		start += n;
		if (!rc && progress)
			rc = progress(ctx, start);
	} while (!rc && start < res->nrows);
	buf_release(&recs);
	md_free(rows);
	md_free(ends);
	return rc;
}

/* ---- the tables, cached ---- */

struct cached_table {
	char ws[MD_UUID_LEN], blob[MD_UUID_LEN];
	struct lk_table t;
	size_t csv_len;
	int refs;
	bool cached; /* in the cache (else freed when the last reference goes) */
	uint64_t used;
};

static struct {
	pthread_mutex_t lock;
	struct cached_table *slot[CACHE_SLOTS];
	uint64_t clock;
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void table_put(struct cached_table *ct)
{
	if (!ct)
		return;
	pthread_mutex_lock(&cache.lock);
	bool last = --ct->refs == 0 && !ct->cached;
	pthread_mutex_unlock(&cache.lock);
	if (last) {
		lk_table_release(&ct->t);
		md_free(ct);
	}
}

/*
 * Keeps ct in the cache when it fits the budget, evicting the least recently used entries no
 * request holds. A table is kept only if it was not cached meanwhile by another request.
 */
static void cache_insert(struct cached_table *ct)
{
	struct cached_table *evict[CACHE_SLOTS];
	int nevict = 0;
	pthread_mutex_lock(&cache.lock);
	bool dup = false;
	size_t used = 0;
	for (int i = 0; i < CACHE_SLOTS; i++) {
		struct cached_table *s = cache.slot[i];
		if (s && !strcmp(s->ws, ct->ws) && !strcmp(s->blob, ct->blob))
			dup = true;
		used += s ? s->csv_len : 0;
	}
	int free_slot = -1;
	while (!dup) {
		free_slot = -1;
		int lru = -1;
		for (int i = 0; i < CACHE_SLOTS; i++) {
			struct cached_table *s = cache.slot[i];
			if (!s && free_slot < 0)
				free_slot = i;
			else if (s && s->refs == 0 && (lru < 0 || s->used < cache.slot[lru]->used))
				lru = i;
		}
		if (free_slot >= 0 && used + ct->csv_len <= CACHE_BUDGET)
			break;
		if (lru < 0) {
			free_slot = -1; /* everything cached is in use: parse per request */
			break;
		}
		used -= cache.slot[lru]->csv_len;
		evict[nevict++] = cache.slot[lru];
		cache.slot[lru] = NULL;
	}
	if (!dup && free_slot >= 0) {
		ct->cached = true;
		ct->used = ++cache.clock;
		cache.slot[free_slot] = ct;
	}
	pthread_mutex_unlock(&cache.lock);
	for (int i = 0; i < nevict; i++) {
		lk_table_release(&evict[i]->t);
		md_free(evict[i]);
	}
}

/*
 * The parsed table of dataset dataset_id, referenced; table_put() when done. MD_ENOTFOUND
 * once the dataset was deleted. The dataset row is read every time (a deleted dataset must
 * not be served from the cache); its blob, immutable, is the cache key.
 */
static int table_get(struct store *st, const char *ws, const char *dataset_id,
                     struct cached_table **out)
{
	*out = NULL;
	struct store_lk_dataset d;
	int rc = store_lk_dataset_get(st, ws, dataset_id, &d);
	if (rc)
		return rc;
	char blob_id[MD_UUID_LEN];
	snprintf(blob_id, sizeof blob_id, "%s", d.blob_id);
	store_lk_dataset_release(&d);
	pthread_mutex_lock(&cache.lock);
	for (int i = 0; i < CACHE_SLOTS; i++) {
		struct cached_table *s = cache.slot[i];
		if (s && !strcmp(s->ws, ws) && !strcmp(s->blob, blob_id)) {
			s->refs++;
			s->used = ++cache.clock;
			*out = s;
		}
	}
	pthread_mutex_unlock(&cache.lock);
	if (*out)
		return 0;
	void *data = NULL;
	size_t len = 0;
	rc = store_blob_get(st, ws, blob_id, &data, &len);
	if (rc)
		return rc;
	struct cached_table *ct = md_calloc(1, sizeof *ct);
	if (!ct) {
		md_free(data);
		return MD_ENOMEM;
	}
	snprintf(ct->ws, sizeof ct->ws, "%s", ws);
	snprintf(ct->blob, sizeof ct->blob, "%s", blob_id);
	ct->refs = 1;
	lk_table_init(&ct->t);
	struct lk_csv_error cerr = { 0 };
	struct lk_csv_limits lim = { .max_bytes = TABLE_CSV_LIMIT };
	rc = lk_csv_parse(data, len, &lim, &ct->t, &cerr);
	md_free(data);
	if (rc) {
		md_logf(MD_LOG_ERROR, "linkage results: dataset blob %s does not parse: %s",
		        blob_id, cerr.message);
		lk_table_release(&ct->t);
		md_free(ct);
		return MD_EIO;
	}
	ct->csv_len = len;
	cache_insert(ct);
	*out = ct;
	return 0;
}

/* ---- rendering ---- */

struct render_field {
	const char *name;
	int in_col, ref_col;
	int nlevels;
	const char *labels[LK_MAX_LEVELS];
};

/*
 * The columns of a table as a JSON object has them: each name once, in the place of its first
 * column and with the value of its last (jansson's json_object_set replaced the value in place).
 */
struct emit {
	size_t n;
	size_t *key, *val;
};

/* Everything a row needs to be rendered: the tables and the fields of the run. */
struct render {
	struct emit in_emit, ref_emit;
	json_t *input_json; /* the job input (online rows), when the input was not a dataset */
	struct cached_table *in_ct, *ref_ct;
	struct lk_table rows_t; /* the online rows' table */
	const struct lk_table *in, *ref;
	size_t nfields;
	struct render_field f[LK_MAX_FIELDS];
	const json_t *in_cols, *ref_cols;
};

static void emit_release(struct emit *e)
{
	md_free(e->key);
	md_free(e->val);
	memset(e, 0, sizeof *e);
}

static int emit_init(struct emit *e, const struct lk_table *t)
{
	e->n = 0;
	e->key = md_calloc(t->ncols ? t->ncols : 1, sizeof *e->key);
	e->val = md_calloc(t->ncols ? t->ncols : 1, sizeof *e->val);
	if (!e->key || !e->val)
		return MD_ENOMEM;
	for (size_t c = 0; c < t->ncols; c++) {
		size_t k = 0;
		while (k < e->n && strcmp(t->colnames[e->key[k]], t->colnames[c]))
			k++;
		if (k == e->n)
			e->key[e->n++] = c;
		e->val[k] = c;
	}
	return 0;
}

static void render_release(struct render *r)
{
	emit_release(&r->in_emit);
	emit_release(&r->ref_emit);
	table_put(r->in_ct);
	table_put(r->ref_ct);
	lk_table_release(&r->rows_t);
	json_decref(r->input_json);
	memset(r, 0, sizeof *r);
	lk_table_init(&r->rows_t);
}

int lkr_rows_table(const json_t *rows, const json_t *cols, struct lk_table *t)
{
	size_t nc = json_array_size(cols), nr = json_array_size(rows);
	int rc = lk_table_new(t, nc, nr);
	for (size_t c = 0; !rc && c < nc; c++) {
		const char *name = json_string_value(json_array_get(cols, c));
		rc = name ? lk_table_set_colname(t, c, name, strlen(name)) : MD_EIO;
	}
	for (size_t r = 0; !rc && r < nr; r++) {
		const json_t *row = json_array_get(rows, r);
		for (size_t c = 0; !rc && c < nc; c++) {
			const json_t *v =
			    json_object_get(row, json_string_value(json_array_get(cols, c)));
			if (!v || json_is_null(v))
				continue;
			if (json_is_string(v)) {
				rc = lk_table_set(t, r, c, json_string_value(v),
				                  json_string_length(v));
			} else {
				char *s = json_dumps(v, JSON_ENCODE_ANY);
				rc = s ? lk_table_set(t, r, c, s, strlen(s)) : MD_ENOMEM;
				free(s);
			}
		}
	}
	return rc;
}

/*
 * Prepares r from the job and its result's "render" object. MD_ENOTFOUND when a dataset of
 * the run was deleted since, MD_EIO when the stored description does not fit the tables.
 */
static int render_init(struct render *r, struct store *st, const struct store_job *j,
                       const json_t *result)
{
	memset(r, 0, sizeof *r);
	lk_table_init(&r->rows_t);
	const json_t *ri = json_object_get(result, "render");
	const char *in_ds = json_string_value(json_object_get(ri, "input_dataset_id"));
	const char *ref_ds = json_string_value(json_object_get(ri, "reference_dataset_id"));
	bool dedupe = json_is_true(json_object_get(ri, "dedupe"));
	r->in_cols = json_object_get(result, "input_columns");
	r->ref_cols = json_object_get(result, "reference_columns");
	int rc = 0;
	if (in_ds) {
		rc = table_get(st, j->workspace_id, in_ds, &r->in_ct);
		r->in = rc ? NULL : &r->in_ct->t;
	} else {
		r->input_json = json_loads(j->input, 0, NULL);
		rc = r->input_json ? lkr_rows_table(json_object_get(r->input_json, "rows"),
		                                    json_object_get(r->input_json, "input_columns"),
		                                    &r->rows_t)
		                   : MD_EIO;
		r->in = &r->rows_t;
	}
	if (!rc && dedupe) {
		r->ref = r->in;
	} else if (!rc) {
		rc = ref_ds ? table_get(st, j->workspace_id, ref_ds, &r->ref_ct) : MD_EIO;
		r->ref = rc ? NULL : &r->ref_ct->t;
	}
	rc = rc ? rc : emit_init(&r->in_emit, r->in);
	rc = rc ? rc : emit_init(&r->ref_emit, r->ref);
	const json_t *fields = json_object_get(ri, "fields");
	r->nfields = json_array_size(fields);
	if (!rc && r->nfields > LK_MAX_FIELDS)
		rc = MD_EIO;
	for (size_t k = 0; !rc && k < r->nfields; k++) {
		const json_t *f = json_array_get(fields, k);
		struct render_field *rf = &r->f[k];
		rf->name = json_string_value(json_object_get(f, "name"));
		rf->in_col = (int)json_integer_value(json_object_get(f, "in_col"));
		rf->ref_col = (int)json_integer_value(json_object_get(f, "ref_col"));
		const json_t *labels = json_object_get(f, "labels");
		rf->nlevels = (int)json_array_size(labels);
		if (!rf->name || rf->in_col < 0 || (size_t)rf->in_col >= r->in->ncols ||
		    rf->ref_col < 0 || (size_t)rf->ref_col >= r->ref->ncols ||
		    rf->nlevels > LK_MAX_LEVELS) {
			rc = MD_EIO;
			break;
		}
		for (int l = 0; l < rf->nlevels; l++)
			rf->labels[l] = json_string_value(json_array_get(labels, (size_t)l));
	}
	if (rc)
		render_release(r);
	return rc;
}

/* Every row id in rec indexes the tables; false for a record that does not fit them. */
static bool rec_fits(const struct render *r, size_t in_row, const struct rec *rec)
{
	if (in_row >= r->in->nrows || (rec->has_best && rec->best.ref_row >= r->ref->nrows))
		return false;
	for (int k = 0; k < rec->ncand; k++)
		if (rec->cand[k].ref_row >= r->ref->nrows)
			return false;
	return true;
}

/*
 * The JSON is written directly rather than built with jansson and dumped (five times faster
 * for a page of rows), byte for byte as jansson's compact dump with JSON_REAL_PRECISION(10)
 * wrote it when the rows were stored as JSON: the same key order, string escapes and reals.
 */

/* A string as jansson escapes it: \\ \" \b \f \n \r \t, other controls as \u00XX. */
static int js_str(struct buf *b, const char *s)
{
	int rc = buf_putc(b, '"');
	const char *run = s;
	for (const char *p = s; !rc; p++) {
		unsigned char c = (unsigned char)*p;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		if (p > run)
			rc = buf_append(b, run, (size_t)(p - run));
		if (rc || !c)
			break;
		const char *esc = c == '"'    ? "\\\""
		                  : c == '\\' ? "\\\\"
		                  : c == '\b' ? "\\b"
		                  : c == '\f' ? "\\f"
		                  : c == '\n' ? "\\n"
		                  : c == '\r' ? "\\r"
		                  : c == '\t' ? "\\t"
		                              : NULL;
		rc = esc ? buf_puts(b, esc) : buf_printf(b, "\\u%04X", c);
		run = p + 1;
	}
	return rc ? rc : buf_putc(b, '"');
}

/*
 * A real as jansson encodes it at precision digits: "%.*g", with ".0" added to an integral
 * value and the exponent written without '+' or leading zeros.
 */
static int put_real(struct buf *b, double v, int precision)
{
	char t[48], o[56];
	snprintf(t, sizeof t, "%.*g", precision, v);
	size_t n = 0;
	bool frac = false;
	for (const char *p = t; *p; p++) {
		if (*p == '.' || *p == 'e')
			frac = true;
		if (*p == 'e') {
			o[n++] = 'e';
			p++;
			if (*p == '+')
				p++;
			else if (*p == '-')
				o[n++] = *p++;
			while (*p == '0' && p[1])
				p++;
			while (*p)
				o[n++] = *p++;
			break;
		}
		o[n++] = *p;
	}
	if (!frac) {
		o[n++] = '.';
		o[n++] = '0';
	}
	o[n] = '\0';
	return buf_puts(b, o);
}

#define JSON_PRECISION 10

/* A row as an object of its columns (a repeated name keeps its first place, last value). */
static int js_row_object(struct buf *b, const struct lk_table *t, const struct emit *e, size_t row)
{
	int rc = buf_putc(b, '{');
	for (size_t k = 0; !rc && k < e->n; k++) {
		rc = k ? buf_putc(b, ',') : 0;
		rc = rc ? rc : js_str(b, t->colnames[e->key[k]]);
		rc = rc ? rc : buf_putc(b, ':');
		rc = rc ? rc : js_str(b, t->cells[row * t->ncols + e->val[k]]);
	}
	return rc ? rc : buf_putc(b, '}');
}

static int js_candidate(struct buf *b, const struct render *r, const struct rec_pair *p)
{
	int rc = buf_printf(b, "{\"row\":%zu,\"confidence\":", p->ref_row);
	rc = rc ? rc : put_real(b, p->probability, JSON_PRECISION);
	rc = rc ? rc : buf_puts(b, ",\"match_weight\":");
	rc = rc ? rc : put_real(b, p->match_weight, JSON_PRECISION);
	rc = rc ? rc : buf_puts(b, ",\"reference\":");
	rc = rc ? rc : js_row_object(b, r->ref, &r->ref_emit, p->ref_row);
	return rc ? rc : buf_putc(b, '}');
}

static int js_waterfall(struct buf *b, const struct render *r, size_t in_row, const struct rec *rec)
{
	int rc = buf_putc(b, '[');
	for (int f = 0; !rc && f < rec->nfields && (size_t)f < r->nfields; f++) {
		const struct render_field *rf = &r->f[f];
		int l = rec->level[f];
		const char *label = l < 0 ? "null" : l < rf->nlevels ? rf->labels[l] : NULL;
		rc = f ? buf_putc(b, ',') : 0;
		rc = rc ? rc : buf_puts(b, "{\"name\":");
		rc = rc ? rc : js_str(b, rf->name);
		rc = rc ? rc : buf_puts(b, ",\"input_value\":");
		rc = rc ? rc : js_str(b, r->in->cells[in_row * r->in->ncols + (size_t)rf->in_col]);
		rc = rc ? rc : buf_puts(b, ",\"reference_value\":");
		rc = rc ? rc
		        : js_str(b, r->ref->cells[rec->best.ref_row * r->ref->ncols +
		                                  (size_t)rf->ref_col]);
		rc = rc ? rc : buf_printf(b, ",\"level\":%d,\"label\":", l);
		rc = rc ? rc : js_str(b, label ? label : "");
		rc = rc ? rc : buf_puts(b, ",\"weight\":");
		rc = rc ? rc : put_real(b, rec->weight[f], JSON_PRECISION);
		rc = rc ? rc : buf_putc(b, '}');
	}
	return rc ? rc : buf_putc(b, ']');
}

/* The public JSON of one row: exactly what runs before migration 0004 stored. */
static int js_row(struct buf *b, const struct render *r, const struct store_lk_row *row,
                  const struct rec *rec)
{
	size_t in_row = (size_t)row->row;
	int rc = buf_printf(b, "{\"row\":%zu,\"status\":", in_row);
	rc = rc ? rc : js_str(b, row->status);
	rc = rc ? rc : buf_puts(b, ",\"confidence\":");
	rc = rc ? rc : put_real(b, rec->has_best ? rec->best.probability : 0.0, JSON_PRECISION);
	rc = rc ? rc : buf_puts(b, ",\"match_weight\":");
	rc = rc              ? rc
	     : rec->has_best ? put_real(b, rec->best.match_weight, JSON_PRECISION)
	                     : buf_puts(b, "null");
	if (!rc && rec->matched)
		rc = buf_printf(b, ",\"match_row\":%zu,\"input\":", rec->best.ref_row);
	else if (!rc)
		rc = buf_puts(b, ",\"match_row\":null,\"input\":");
	rc = rc ? rc : js_row_object(b, r->in, &r->in_emit, in_row);
	rc = rc ? rc : buf_puts(b, ",\"match\":");
	rc = rc             ? rc
	     : rec->matched ? js_row_object(b, r->ref, &r->ref_emit, rec->best.ref_row)
	                    : buf_puts(b, "null");
	rc = rc ? rc : buf_puts(b, ",\"fields\":");
	rc = rc ? rc : rec->has_best ? js_waterfall(b, r, in_row, rec) : buf_puts(b, "[]");
	rc = rc ? rc : buf_puts(b, ",\"candidates\":[");
	bool first = true;
	if (!rc && rec->has_best && !rec->matched) {
		rc = js_candidate(b, r, &rec->best);
		first = false;
	}
	for (int k = 0; !rc && k < rec->ncand; k++) {
		rc = first ? 0 : buf_putc(b, ',');
		rc = rc ? rc : js_candidate(b, r, &rec->cand[k]);
		first = false;
	}
	rc = rc ? rc : buf_putc(b, ']');
	if (!rc && rec->has_cluster)
		rc = buf_printf(b, ",\"cluster\":%llu", (unsigned long long)rec->cluster);
	return rc ? rc : buf_putc(b, '}');
}

/* Appends s to b as one RFC 4180 CSV field (quoted when it holds a comma, quote or newline). */
static int lkr_csv_cell(struct buf *b, const char *s)
{
	bool quote = strpbrk(s, ",\"\r\n") != NULL;
	int rc = quote ? buf_putc(b, '"') : 0;
	for (const char *p = s; !rc && *p; p++)
		rc = *p == '"' ? buf_puts(b, "\"\"") : buf_putc(b, *p);
	return rc ? rc : quote ? buf_putc(b, '"') : 0;
}

static int csv_header(struct buf *b, const struct render *r)
{
	int rc = buf_puts(b, "input_row,status,confidence,match_weight,match_row");
	size_t i;
	const json_t *col;
	json_array_foreach(r->in_cols, i, col)
	{
		rc = rc ? rc : buf_putc(b, ',');
		char name[300];
		snprintf(name, sizeof name, "input_%s", json_string_value(col));
		rc = rc ? rc : lkr_csv_cell(b, name);
	}
	json_array_foreach(r->ref_cols, i, col)
	{
		rc = rc ? rc : buf_putc(b, ',');
		char name[300];
		snprintf(name, sizeof name, "match_%s", json_string_value(col));
		rc = rc ? rc : lkr_csv_cell(b, name);
	}
	return rc ? rc : buf_puts(b, "\r\n");
}

static int csv_line(struct buf *b, const struct render *r, const struct store_lk_row *row,
                    const struct rec *rec)
{
	size_t in_row = (size_t)row->row;
	int rc = buf_printf(b, "%lld,%s,%.6f,", (long long)row->row, row->status, row->confidence);
	if (!rc && rec->has_best)
		rc = put_real(b, rec->best.match_weight, 6);
	rc = rc ? rc : buf_putc(b, ',');
	if (!rc && rec->matched)
		rc = buf_printf(b, "%zu", rec->best.ref_row);
	for (size_t c = 0; !rc && c < r->in->ncols; c++) {
		rc = buf_putc(b, ',');
		rc = rc ? rc : lkr_csv_cell(b, r->in->cells[in_row * r->in->ncols + c]);
	}
	for (size_t c = 0; !rc && c < r->ref->ncols; c++) {
		rc = buf_putc(b, ',');
		if (!rc && rec->matched)
			rc = lkr_csv_cell(b, r->ref->cells[rec->best.ref_row * r->ref->ncols + c]);
	}
	return rc ? rc : buf_puts(b, "\r\n");
}

/* ---- serving ---- */

struct page_ctx {
	const struct render *r;
	struct buf *out;
	bool csv;
	int64_t last;
	int count;
};

static int page_row(void *ctx, const struct store_lk_row *row)
{
	struct page_ctx *c = ctx;
	struct rec rec;
	int rc = decode_row(row->rec, row->rec_len, &rec);
	if (!rc && (row->row < 0 || !rec_fits(c->r, (size_t)row->row, &rec)))
		rc = MD_EIO;
	if (rc) {
		md_logf(MD_LOG_ERROR, "linkage results: row %lld has an unreadable record",
		        (long long)row->row);
		return rc;
	}
	c->last = row->row;
	c->count++;
	if (c->csv)
		return csv_line(c->out, c->r, row, &rec);
	rc = c->count > 1 ? buf_putc(c->out, ',') : 0;
	return rc ? rc : js_row(c->out, c->r, row, &rec);
}

/* The CSV export as a stream: a step of rows from the store at a time, rendered on demand. */
struct csv_stream {
	struct store *st;
	char ws[MD_UUID_LEN], run[MD_UUID_LEN];
	char status[16];
	double min_conf;
	int64_t after;
	bool done;
	struct render r;
	struct buf pend;
	size_t off;
};

static int csv_fill(void *ctx, struct buf *out)
{
	struct csv_stream *s = ctx;
	for (;;) {
		if (s->off < s->pend.len) {
			size_t n = MD_MIN(CSV_CHUNK, s->pend.len - s->off);
			if (buf_append(out, s->pend.data + s->off, n))
				return -1;
			s->off += n;
			return 1;
		}
		if (s->done)
			return -1;
		buf_reset(&s->pend);
		s->off = 0;
		struct page_ctx pc = { .r = &s->r, .out = &s->pend, .csv = true, .last = s->after };
		int rc =
		    store_lk_rows_list(s->st, s->ws, s->run, s->after, CSV_STEP_ROWS, s->min_conf,
		                       s->status[0] ? s->status : NULL, page_row, &pc);
		if (rc) {
			/* The status line is sent: all a client can see is the cut-short body. */
			md_logf(MD_LOG_ERROR, "linkage results: CSV export of run %s stopped: %s",
			        s->run, md_strerror(rc));
			return -1;
		}
		s->after = pc.last;
		s->done = pc.count < CSV_STEP_ROWS;
	}
}

static void csv_done(void *ctx)
{
	struct csv_stream *s = ctx;
	render_release(&s->r);
	buf_release(&s->pend);
	md_free(s);
}

static const struct http_stream_ops csv_ops = { csv_fill, csv_done };

static void render_error(struct http_request *req, struct http_response *resp, int rc)
{
	if (rc == MD_ENOTFOUND) {
		api_error(req, resp, E_CONFLICT,
		          "a dataset of this run was deleted; its results can no longer be shown",
		          NULL, NULL);
	} else if (rc == MD_EUNAVAIL) {
		(void)http_response_header(resp, "Retry-After", "1");
		api_error(req, resp, E_UNAVAILABLE, "the database is unavailable; retry", NULL,
		          NULL);
	} else {
		api_error(req, resp, E_INTERNAL, "the results of this run could not be read", NULL,
		          NULL);
	}
}

void lkr_serve(struct http_request *req, struct http_response *resp, struct store *st,
               const struct store_job *j, const json_t *result, int64_t after, int limit,
               double min_conf, const char *status, bool csv)
{
	if (csv) {
		struct csv_stream *s = md_calloc(1, sizeof *s);
		if (!s) {
			render_error(req, resp, MD_ENOMEM);
			return;
		}
		int rc = render_init(&s->r, st, j, result);
		if (rc) {
			md_free(s);
			render_error(req, resp, rc);
			return;
		}
		s->st = st;
		snprintf(s->ws, sizeof s->ws, "%s", j->workspace_id);
		snprintf(s->run, sizeof s->run, "%s", j->id);
		snprintf(s->status, sizeof s->status, "%s", status ? status : "");
		s->min_conf = min_conf;
		s->after = -1;
		/* One step's lines: bounded by the rows' cells, which the dataset cap bounds. */
		buf_init(&s->pend, TABLE_CSV_LIMIT * 2);
		if (csv_header(&s->pend, &s->r)) {
			csv_done(s);
			render_error(req, resp, MD_ENOMEM);
			return;
		}
		resp->status = 200;
		resp->content_type = "text/csv; charset=utf-8";
		resp->stream_ops = &csv_ops;
		resp->stream_ctx = s;
		return;
	}
	struct render r;
	int rc = render_init(&r, st, j, result);
	if (rc) {
		render_error(req, resp, rc);
		return;
	}
	struct buf b;
	buf_init(&b, (size_t)1 << 30);
	struct page_ctx pc = { .r = &r, .out = &b, .last = -1 };
	rc = buf_puts(&b, "{\"data\":[");
	rc = rc ? rc
	        : store_lk_rows_list(st, j->workspace_id, j->id, after, limit, min_conf, status,
	                             page_row, &pc);
	if (!rc && pc.count == limit)
		rc = buf_printf(&b, "],\"next_cursor\":\"%lld\"}", (long long)pc.last);
	else if (!rc)
		rc = buf_puts(&b, "],\"next_cursor\":null}");
	render_release(&r);
	if (rc) {
		buf_release(&b);
		render_error(req, resp, rc);
		return;
	}
	resp->status = 200;
	resp->content_type = "application/json";
	buf_release(&resp->body);
	resp->body = b;
}
