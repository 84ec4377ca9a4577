/*
 * linkage.c: the record-linkage tables of the PostgreSQL backend (migrations 0003, 0004):
 * datasets (the CSV in blobs), matching configs and per-row run results (0004: compact rows
 * written in batches; 0003: the rendered JSON of runs that finished before). The statements run
 * unprepared (PQexecParams): they run a few times per request or per batch, and a batch of rows
 * is one INSERT over unnest() of four arrays, so one round trip writes 10 k rows.
 */
#include "base/common.h"
#include "base/log.h"
#include "store/postgres/postgres_int.h"

int pg_classify(PGconn *c, const PGresult *r)
{
	if (PQstatus(c) != CONNECTION_OK)
		return MD_EUNAVAIL;
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (state && !strcmp(state, "23505"))
		return MD_ECONFLICT;
	if (state && !strncmp(state, "08", 2))
		return MD_EUNAVAIL;
	return MD_EIO;
}

/* Runs sql with p; the result (PQclear it) or NULL with *err set. */
PGresult *pg_query(struct pg_conn *c, const char *sql, const struct pg_params *p, int *err)
{
	PGresult *r = PQexecParams(c->c, sql, p->n, NULL, p->v, p->len, p->fmt, 0);
	ExecStatusType st = PQresultStatus(r);
	if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
		return r;
	*err = pg_classify(c->c, r);
	md_logf(MD_LOG_ERROR, "postgres linkage: %s", PQerrorMessage(c->c));
	PQclear(r);
	return NULL;
}

/* Runs a statement for its row count; 0 or the error. */
int pg_query_exec(struct pg_conn *c, const char *sql, const struct pg_params *p, int *changed)
{
	int err = MD_EIO;
	PGresult *r = pg_query(c, sql, p, &err);
	if (!r)
		return err;
	if (changed)
		*changed = (int)strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return 0;
}

/* Borrows a connection and, when tx, begins a transaction. */
struct pg_conn *pg_op_begin(struct store *st, bool tx)
{
	struct pg_conn *c = pg_get(&PG(st)->pool);
	if (c && tx && pg_cmd(c, "BEGIN")) {
		pg_put(&PG(st)->pool, c);
		return NULL;
	}
	return c;
}

/* Commits (rc == 0) or rolls back, and gives the connection back. */
int pg_op_end(struct store *st, struct pg_conn *c, int rc, bool tx)
{
	if (tx) {
		int crc = pg_cmd(c, rc ? "ROLLBACK" : "COMMIT");
		if (!rc)
			rc = crc;
	}
	pg_put(&PG(st)->pool, c);
	return rc;
}

/* ---- datasets ---- */

#define DS_COLS "id, workspace_id, name, blob_id, row_count, created_at, columns"

static int ds_from_row(const PGresult *r, int row, struct store_lk_dataset *d)
{
	memset(d, 0, sizeof *d);
	pg_gets(r, row, 0, d->id, sizeof d->id);
	pg_gets(r, row, 1, d->workspace_id, sizeof d->workspace_id);
	pg_gets(r, row, 2, d->name, sizeof d->name);
	pg_gets(r, row, 3, d->blob_id, sizeof d->blob_id);
	d->row_count = pg_geti(r, row, 4);
	d->created_at = pg_geti(r, row, 5);
	bool oom = false;
	d->columns = pg_getdup(r, row, 6, &oom);
	return d->columns ? 0 : MD_ENOMEM;
}

/* The dataset row, as store_lk_dataset_fill made it. */
static int insert_dataset(struct pg_conn *c, const struct store_lk_dataset *d)
{
	struct pg_params p = { 0 };
	pg_text(&p, d->id);
	pg_text(&p, d->workspace_id);
	pg_text(&p, d->name);
	pg_text(&p, d->blob_id);
	pg_text(&p, d->columns);
	pg_i64(&p, d->row_count);
	pg_i64(&p, d->created_at);
	return pg_query_exec(
	    c,
	    "INSERT INTO linkage_datasets(id, workspace_id, name, blob_id, columns, "
	    "row_count, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
	    &p, NULL);
}

int pg_lk_dataset_create(struct store *st, const char *ws_id, const char *name,
                         const char *columns_json, int64_t row_count, const void *csv, size_t len,
                         int64_t now, struct store_lk_dataset *out)
{
	int frc = store_lk_dataset_fill(out, ws_id, name, NULL, columns_json, row_count, now);
	if (frc)
		return frc;
	struct pg_conn *c = pg_op_begin(st, true);
	if (!c) {
		store_lk_dataset_release(out);
		return MD_EUNAVAIL;
	}
	struct pg_params p = { 0 };
	pg_text(&p, out->blob_id);
	pg_text(&p, ws_id);
	pg_bin(&p, len ? csv : "", len);
	pg_i64(&p, now);
	int rc =
	    pg_query_exec(c,
	                  "INSERT INTO blobs(id, workspace_id, content_type, data, created_at) "
	                  "VALUES ($1, $2, 'text/csv', $3, $4)",
	                  &p, NULL);
	if (!rc)
		rc = insert_dataset(c, out);
	rc = pg_op_end(st, c, rc, true);
	if (rc)
		store_lk_dataset_release(out);
	return rc;
}

int pg_lk_dataset_get(struct store *st, const char *ws_id, const char *id,
                      struct store_lk_dataset *out)
{
	struct pg_conn *c = pg_op_begin(st, false);
	if (!c)
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_text(&p, ws_id);
	int rc = MD_EIO;
	PGresult *r = pg_query(c,
	                       "SELECT " DS_COLS " FROM linkage_datasets WHERE id = $1 AND "
	                       "workspace_id = $2",
	                       &p, &rc);
	if (r) {
		rc = PQntuples(r) == 1 ? ds_from_row(r, 0, out) : MD_ENOTFOUND;
		PQclear(r);
	}
	return pg_op_end(st, c, rc, false);
}

int pg_lk_dataset_list(struct store *st, const char *ws_id, const char *cursor, int limit,
                       int (*cb)(void *ctx, const struct store_lk_dataset *d), void *ctx)
{
	struct pg_conn *c = pg_op_begin(st, false);
	if (!c)
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, ws_id);
	pg_text(&p, cursor ? cursor : "");
	pg_i64(&p, limit);
	int rc = MD_EIO;
	PGresult *r = pg_query(c,
	                       "SELECT " DS_COLS " FROM linkage_datasets WHERE workspace_id = $1 "
	                       "AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3",
	                       &p, &rc);
	if (r) {
		rc = 0;
		for (int i = 0; !rc && i < PQntuples(r); i++) {
			struct store_lk_dataset d;
			rc = ds_from_row(r, i, &d);
			if (!rc)
				rc = cb(ctx, &d);
			store_lk_dataset_release(&d);
		}
		PQclear(r);
	}
	return pg_op_end(st, c, rc, false);
}

int pg_lk_dataset_delete(struct store *st, const char *ws_id, const char *id)
{
	struct pg_conn *c = pg_op_begin(st, true);
	if (!c)
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_text(&p, ws_id);
	int n = 0;
	int rc =
	    pg_query_exec(c,
	                  "DELETE FROM blobs WHERE workspace_id = $2 AND id = (SELECT blob_id FROM "
	                  "linkage_datasets WHERE id = $1 AND workspace_id = $2)",
	                  &p, NULL);
	if (!rc)
		/* Chunks of a streamed upload (0005); none for a blob written whole. */
		rc = pg_query_exec(c,
		                   "DELETE FROM blob_chunks WHERE blob_id = (SELECT blob_id FROM "
		                   "linkage_datasets WHERE id = $1 AND workspace_id = $2)",
		                   &p, NULL);
	if (!rc)
		rc = pg_query_exec(
		    c, "DELETE FROM linkage_datasets WHERE id = $1 AND workspace_id = $2", &p, &n);
	if (!rc && n == 0)
		rc = MD_ENOTFOUND;
	return pg_op_end(st, c, rc, true);
}

/* ---- configs ---- */

#define CFG_COLS "id, workspace_id, created_at, updated_at, body"

static int cfg_from_row(const PGresult *r, int row, struct store_lk_config *o)
{
	memset(o, 0, sizeof *o);
	pg_gets(r, row, 0, o->id, sizeof o->id);
	pg_gets(r, row, 1, o->workspace_id, sizeof o->workspace_id);
	o->created_at = pg_geti(r, row, 2);
	o->updated_at = pg_geti(r, row, 3);
	bool oom = false;
	o->body = pg_getdup(r, row, 4, &oom);
	return o->body ? 0 : MD_ENOMEM;
}

int pg_lk_config_create(struct store *st, const char *ws_id, const char *body, int64_t now,
                        struct store_lk_config *out)
{
	memset(out, 0, sizeof *out);
	if (md_uuid7(now, out->id))
		return MD_EIO;
	snprintf(out->workspace_id, sizeof out->workspace_id, "%s", ws_id);
	out->created_at = out->updated_at = now;
	out->body = md_strdup(body);
	if (!out->body)
		return MD_ENOMEM;
	struct pg_conn *c = pg_op_begin(st, false);
	if (!c) {
		store_lk_config_release(out);
		return MD_EUNAVAIL;
	}
	struct pg_params p = { 0 };
	pg_text(&p, out->id);
	pg_text(&p, ws_id);
	pg_text(&p, body);
	pg_i64(&p, now);
	int rc = pg_query_exec(
	    c,
	    "INSERT INTO linkage_configs(id, workspace_id, body, created_at, updated_at) "
	    "VALUES ($1, $2, $3, $4, $4)",
	    &p, NULL);
	rc = pg_op_end(st, c, rc, false);
	if (rc)
		store_lk_config_release(out);
	return rc;
}

int pg_lk_config_get(struct store *st, const char *ws_id, const char *id,
                     struct store_lk_config *out)
{
	struct pg_conn *c = pg_op_begin(st, false);
	if (!c)
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_text(&p, ws_id);
	int rc = MD_EIO;
	PGresult *r = pg_query(c,
	                       "SELECT " CFG_COLS " FROM linkage_configs WHERE id = $1 AND "
	                       "workspace_id = $2",
	                       &p, &rc);
	if (r) {
		rc = PQntuples(r) == 1 ? cfg_from_row(r, 0, out) : MD_ENOTFOUND;
		PQclear(r);
	}
	return pg_op_end(st, c, rc, false);
}

int pg_lk_config_update(struct store *st, const char *ws_id, const char *id, const char *body,
                        int64_t now)
{
	struct pg_conn *c = pg_op_begin(st, false);
	if (!c)
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_text(&p, ws_id);
	pg_text(&p, body);
	pg_i64(&p, now);
	int n = 0;
	int rc =
	    pg_query_exec(c,
	                  "UPDATE linkage_configs SET body = $3, updated_at = $4 WHERE id = $1 AND "
	                  "workspace_id = $2",
	                  &p, &n);
	if (!rc && n == 0)
		rc = MD_ENOTFOUND;
	return pg_op_end(st, c, rc, false);
}

int pg_lk_config_list(struct store *st, const char *ws_id, const char *cursor, int limit,
                      int (*cb)(void *ctx, const struct store_lk_config *c), void *ctx)
{
	struct pg_conn *c = pg_op_begin(st, false);
	if (!c)
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, ws_id);
	pg_text(&p, cursor ? cursor : "");
	pg_i64(&p, limit);
	int rc = MD_EIO;
	PGresult *r = pg_query(c,
	                       "SELECT " CFG_COLS " FROM linkage_configs WHERE workspace_id = $1 "
	                       "AND ($2 = '' OR id < $2) ORDER BY id DESC LIMIT $3",
	                       &p, &rc);
	if (r) {
		rc = 0;
		for (int i = 0; !rc && i < PQntuples(r); i++) {
			struct store_lk_config o;
			rc = cfg_from_row(r, i, &o);
			if (!rc)
				rc = cb(ctx, &o);
			store_lk_config_release(&o);
		}
		PQclear(r);
	}
	return pg_op_end(st, c, rc, false);
}

int pg_lk_config_delete(struct store *st, const char *ws_id, const char *id)
{
	struct pg_conn *c = pg_op_begin(st, false);
	if (!c)
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_text(&p, ws_id);
	int n = 0;
	int rc = pg_query_exec(c, "DELETE FROM linkage_configs WHERE id = $1 AND workspace_id = $2",
	                       &p, &n);
	if (!rc && n == 0)
		rc = MD_ENOTFOUND;
	return pg_op_end(st, c, rc, false);
}

/* ---- results ---- */

/* ---- compact rows (migration 0004) ---- */

/* Caps one batch's statement text: rows are ~200-byte records, batches ~10 k rows. */
#define ROWS_BATCH_TEXT_LIMIT ((size_t)256 << 20)

/* The four array literals of a batch: row indexes, statuses, confidences, hex records. */
static int rows_arrays(const struct store_lk_row *rows, size_t n, struct buf a[4])
{
	static const char hex[] = "0123456789abcdef";
	int rc = 0;
	for (int k = 0; !rc && k < 4; k++)
		rc = buf_putc(&a[k], '{');
	for (size_t i = 0; !rc && i < n; i++) {
		const char *sep = i ? "," : "";
		rc = buf_printf(&a[0], "%s%lld", sep, (long long)rows[i].row);
		/* The statuses are fixed words: no quoting needed inside the array literal. */
		rc = rc ? rc : buf_printf(&a[1], "%s%s", sep, rows[i].status);
		rc = rc ? rc : buf_printf(&a[2], "%s%.17g", sep, rows[i].confidence);
		rc = rc ? rc : buf_puts(&a[3], sep);
		const unsigned char *p = rows[i].rec;
		for (size_t j = 0; !rc && j < rows[i].rec_len; j++) {
			rc = buf_putc(&a[3], hex[p[j] >> 4]);
			rc = rc ? rc : buf_putc(&a[3], hex[p[j] & 15]);
		}
	}
	for (int k = 0; !rc && k < 4; k++)
		rc = buf_putc(&a[k], '}');
	return rc;
}

/* One statement per batch (unnest over four arrays): one round trip writes 10 k rows. */
/* Writes a batch inside the caller's transaction (pg_lk_rows_put's own, or the job's success). */
int pg_rows_write(struct pg_conn *c, const char *ws_id, const char *job_id, const char *token,
                  bool first, const struct store_lk_row *rows, size_t n)
{
	struct buf a[4];
	for (int k = 0; k < 4; k++)
		buf_init(&a[k], ROWS_BATCH_TEXT_LIMIT);
	int rc = n ? rows_arrays(rows, n, a) : 0;
	if (rc)
		goto out;
	struct pg_params p = { 0 };
	pg_text(&p, job_id);
	pg_text(&p, ws_id);
	pg_text(&p, token);
	rc = MD_EIO;
	/* FOR UPDATE: the lease cannot change hands between this check and the commit. */
	PGresult *r =
	    pg_query(c,
	             "SELECT 1 FROM jobs WHERE id = $1 AND workspace_id = $2 AND lease_token = "
	             "$3 AND status = 'running' FOR UPDATE",
	             &p, &rc);
	if (r) {
		rc = PQntuples(r) == 1 ? 0 : MD_ECONFLICT;
		PQclear(r);
	}
	if (!rc && first) {
		struct pg_params d = { 0 };
		pg_text(&d, job_id);
		rc = pg_query_exec(c, "DELETE FROM linkage_rows WHERE run_id = $1", &d, NULL);
	}
	if (!rc && n) {
		struct pg_params i = { 0 };
		pg_text(&i, job_id);
		pg_text(&i, ws_id);
		for (int k = 0; k < 4; k++)
			pg_text(&i, a[k].data);
		rc = pg_query_exec(
		    c,
		    "INSERT INTO linkage_rows(run_id, workspace_id, row_index, status, "
		    "confidence, rec) SELECT $1, $2, r.i, r.s, r.c, decode(r.h, 'hex') "
		    "FROM unnest($3::bigint[], $4::text[], $5::double precision[], "
		    "$6::text[]) AS r(i, s, c, h)",
		    &i, NULL);
	}
out:
	for (int k = 0; k < 4; k++)
		buf_release(&a[k]);
	return rc;
}

int pg_lk_rows_put(struct store *st, const char *ws_id, const char *job_id, const char *token,
                   bool first, const struct store_lk_row *rows, size_t n)
{
	struct pg_conn *c = pg_op_begin(st, true);
	if (!c)
		return MD_EUNAVAIL;
	int rc = pg_rows_write(c, ws_id, job_id, token, first, rows, n);
	return pg_op_end(st, c, rc, true);
}

int pg_lk_rows_list(struct store *st, const char *ws_id, const char *run_id, int64_t after,
                    int limit, double min_conf, const char *status,
                    int (*cb)(void *ctx, const struct store_lk_row *r), void *ctx)
{
	struct pg_conn *c = pg_op_begin(st, false);
	if (!c)
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, run_id);
	pg_text(&p, ws_id);
	pg_i64(&p, after);
	pg_f64(&p, min_conf);
	pg_text(&p, status);
	pg_i64(&p, limit > 0 ? limit : INT32_MAX);
	int rc = MD_EIO;
	PGresult *r = pg_query(c,
	                       "SELECT row_index, status, confidence, rec FROM linkage_rows "
	                       "WHERE run_id = $1 AND workspace_id = $2 AND row_index > $3 "
	                       "AND confidence >= $4 AND ($5::text IS NULL OR status = $5) "
	                       "ORDER BY row_index LIMIT $6",
	                       &p, &rc);
	if (r) {
		rc = 0;
		for (int i = 0; !rc && i < PQntuples(r); i++) {
			size_t len = 0;
			unsigned char *rec =
			    PQunescapeBytea((const unsigned char *)PQgetvalue(r, i, 3), &len);
			if (!rec) {
				rc = MD_ENOMEM;
				break;
			}
			struct store_lk_row row = { .row = pg_geti(r, i, 0),
				                    .confidence = pg_getf(r, i, 2),
				                    .rec = rec,
				                    .rec_len = len };
			pg_gets(r, i, 1, row.status, sizeof row.status);
			rc = cb(ctx, &row);
			PQfreemem(rec);
		}
		PQclear(r);
	}
	return pg_op_end(st, c, rc, false);
}

int pg_lk_rows_stats(struct store *st, const char *ws_id, const char *run_id, int64_t *rows,
                     int64_t *matched, double *avg_matched)
{
	struct pg_conn *c = pg_op_begin(st, false);
	if (!c)
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, run_id);
	pg_text(&p, ws_id);
	int rc = MD_EIO;
	PGresult *r = pg_query(
	    c,
	    "SELECT count(*), count(*) FILTER (WHERE status = 'matched'), "
	    "coalesce(avg(confidence) FILTER (WHERE status = 'matched'), 0) FROM linkage_rows "
	    "WHERE run_id = $1 AND workspace_id = $2",
	    &p, &rc);
	if (r) {
		rc = PQntuples(r) == 1 ? 0 : MD_EIO;
		if (!rc) {
			*rows = pg_geti(r, 0, 0);
			*matched = pg_geti(r, 0, 1);
			*avg_matched = pg_getf(r, 0, 2);
		}
		PQclear(r);
	}
	return pg_op_end(st, c, rc, false);
}

/* ---- streamed blobs (0005) ---- */

int pg_blob_upload_begin(struct store *st, const char *ws_id, const char *blob_id, int64_t now)
{
	struct pg_conn *c = pg_op_begin(st, false);
	if (!c)
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, blob_id);
	pg_text(&p, ws_id);
	pg_i64(&p, now);
	int rc = pg_query_exec(
	    c, "INSERT INTO blob_uploads(id, workspace_id, started_at) VALUES ($1, $2, $3)", &p,
	    NULL);
	return pg_op_end(st, c, rc, false);
}

int pg_blob_chunk_put(struct store *st, const char *blob_id, int64_t seq, const void *data,
                      size_t len)
{
	struct pg_conn *c = pg_op_begin(st, false);
	if (!c)
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, blob_id);
	pg_i64(&p, seq);
	pg_bin(&p, len ? data : "", len);
	int rc = pg_query_exec(c, "INSERT INTO blob_chunks(blob_id, seq, data) VALUES ($1, $2, $3)",
	                       &p, NULL);
	return pg_op_end(st, c, rc, false);
}

/* Deletes an upload that did not commit: its chunks and its registration. */
static int upload_delete(struct pg_conn *c, const char *blob_id)
{
	struct pg_params p = { 0 };
	pg_text(&p, blob_id);
	int rc = pg_query_exec(c, "DELETE FROM blob_chunks WHERE blob_id = $1", &p, NULL);
	if (!rc)
		rc = pg_query_exec(c, "DELETE FROM blob_uploads WHERE id = $1", &p, NULL);
	return rc;
}

int pg_blob_upload_abort(struct store *st, const char *blob_id)
{
	struct pg_conn *c = pg_op_begin(st, true);
	if (!c)
		return MD_EUNAVAIL;
	return pg_op_end(st, c, upload_delete(c, blob_id), true);
}

int pg_blob_upload_sweep(struct store *st, int64_t cutoff, int *n)
{
	*n = 0;
	/* One transaction per stale upload keeps each write short; SKIP LOCKED lets several
	 * nodes sweep at once without waiting on each other. */
	for (;;) {
		struct pg_conn *c = pg_op_begin(st, true);
		if (!c)
			return MD_EUNAVAIL;
		struct pg_params p = { 0 };
		pg_i64(&p, cutoff);
		int rc = MD_EIO;
		char id[MD_UUID_LEN] = "";
		PGresult *r = pg_query(c,
		                       "SELECT id FROM blob_uploads WHERE started_at < $1 ORDER BY "
		                       "started_at LIMIT 1 FOR UPDATE SKIP LOCKED",
		                       &p, &rc);
		if (r) {
			rc = 0;
			if (PQntuples(r) == 1)
				pg_gets(r, 0, 0, id, sizeof id);
			PQclear(r);
		}
		if (!rc && id[0])
			rc = upload_delete(c, id);
		rc = pg_op_end(st, c, rc, true);
		if (rc || !id[0])
			return rc;
		(*n)++;
	}
}

int pg_blob_chunk_stat(struct store *st, const char *blob_id, int64_t *count, int64_t *bytes)
{
	struct pg_conn *c = pg_op_begin(st, false);
	if (!c)
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, blob_id);
	int rc = MD_EIO;
	PGresult *r =
	    pg_query(c,
	             "SELECT count(*), coalesce(sum(octet_length(data)), 0) FROM blob_chunks "
	             "WHERE blob_id = $1",
	             &p, &rc);
	if (r) {
		*count = pg_geti(r, 0, 0);
		*bytes = pg_geti(r, 0, 1);
		rc = 0;
		PQclear(r);
	}
	return pg_op_end(st, c, rc, false);
}

int pg_blob_chunk_read(struct store *st, const char *blob_id, int64_t seq, void *dst, size_t cap,
                       size_t *len)
{
	struct pg_conn *c = pg_op_begin(st, false);
	if (!c)
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, blob_id);
	pg_i64(&p, seq);
	int rc = MD_EIO;
	/* Binary results: the bytes as stored, not bytea's hex text. */
	PGresult *r =
	    PQexecParams(c->c, "SELECT data FROM blob_chunks WHERE blob_id = $1 AND seq = $2", p.n,
	                 NULL, p.v, p.len, p.fmt, 1);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		if (PQntuples(r) == 1) {
			size_t n = (size_t)PQgetlength(r, 0, 0);
			rc = n > cap ? MD_EIO : 0;
			if (!rc && n)
				memcpy(dst, PQgetvalue(r, 0, 0), n);
			*len = n;
		} else {
			rc = MD_ENOTFOUND;
		}
	} else {
		rc = pg_classify(c->c, r);
		md_logf(MD_LOG_ERROR, "postgres linkage: %s", PQerrorMessage(c->c));
	}
	PQclear(r);
	return pg_op_end(st, c, rc, false);
}

int pg_lk_dataset_commit(struct store *st, const char *ws_id, const char *blob_id, int64_t seq,
                         const void *last, size_t last_len, const char *name,
                         const char *columns_json, int64_t row_count, int64_t now,
                         struct store_lk_dataset *out)
{
	int frc = store_lk_dataset_fill(out, ws_id, name, blob_id, columns_json, row_count, now);
	if (frc)
		return frc;
	struct pg_conn *c = pg_op_begin(st, true);
	if (!c) {
		store_lk_dataset_release(out);
		return MD_EUNAVAIL;
	}
	/* The registration must still be there: a sweep may have given the upload up. */
	struct pg_params u = { 0 };
	pg_text(&u, blob_id);
	pg_text(&u, ws_id);
	int n = 0;
	int rc = pg_query_exec(c, "DELETE FROM blob_uploads WHERE id = $1 AND workspace_id = $2",
	                       &u, &n);
	if (!rc && n != 1)
		rc = MD_ENOTFOUND;
	if (!rc && last_len) {
		struct pg_params p = { 0 };
		pg_text(&p, blob_id);
		pg_i64(&p, seq);
		pg_bin(&p, last, last_len);
		rc = pg_query_exec(
		    c, "INSERT INTO blob_chunks(blob_id, seq, data) VALUES ($1, $2, $3)", &p, NULL);
	}
	if (!rc) {
		struct pg_params p = { 0 };
		pg_text(&p, blob_id);
		pg_text(&p, ws_id);
		pg_i64(&p, now);
		rc = pg_query_exec(
		    c,
		    "INSERT INTO blobs(id, workspace_id, content_type, data, created_at) "
		    "VALUES ($1, $2, 'text/csv', '\\x'::bytea, $3)",
		    &p, NULL);
	}
	if (!rc)
		rc = insert_dataset(c, out);
	rc = pg_op_end(st, c, rc, true);
	if (rc)
		store_lk_dataset_release(out);
	return rc;
}
