/*
 * linkage.c: the record-linkage tables of the SQLite backend (migrations 0003, 0004): datasets
 * (the CSV in blobs), matching configs and per-row run results (0004: compact rows written in
 * batches; 0003: the rendered JSON of runs that finished before). These statements are
 * prepared per call rather than cached in the connection: they run a few times per request or
 * per batch of rows, and a batch steps one prepared insert per row in one transaction.
 */
#include <sqlite3.h>

#include "base/common.h"
#include "base/log.h"
#include "store/sqlite/sqlite_int.h"

/* See sqlite_int.h. */
sqlite3_stmt *sq_prep(struct sq_conn *c, const char *sql)
{
	sqlite3_stmt *s = NULL;
	if (sqlite3_prepare_v2(c->db, sql, -1, &s, NULL) != SQLITE_OK) {
		md_logf(MD_LOG_ERROR, "sqlite: %s", sqlite3_errmsg(c->db));
		return NULL;
	}
	return s;
}

void sq_bind_str(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

void sq_copy_col(sqlite3_stmt *s, int i, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	snprintf(dst, cap, "%s", t ? (const char *)t : "");
}

/* Steps a statement that returns no rows and finalizes it; 0, MD_ECONFLICT or MD_EIO. */
int sq_run_done(struct sq_conn *c, sqlite3_stmt *s, int *changes)
{
	if (!s)
		return MD_EIO;
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		md_logf(MD_LOG_ERROR, "sqlite: %s", sqlite3_errmsg(c->db));
		return (rc & 0xff) == SQLITE_CONSTRAINT ? MD_ECONFLICT : MD_EIO;
	}
	if (changes)
		*changes = sqlite3_changes(c->db);
	return 0;
}

/* ---- datasets ---- */

#define DS_COLS "id, workspace_id, name, blob_id, row_count, created_at, columns"

static int ds_from_row(sqlite3_stmt *s, struct store_lk_dataset *d)
{
	memset(d, 0, sizeof *d);
	sq_copy_col(s, 0, d->id, sizeof d->id);
	sq_copy_col(s, 1, d->workspace_id, sizeof d->workspace_id);
	sq_copy_col(s, 2, d->name, sizeof d->name);
	sq_copy_col(s, 3, d->blob_id, sizeof d->blob_id);
	d->row_count = sqlite3_column_int64(s, 4);
	d->created_at = sqlite3_column_int64(s, 5);
	d->columns = md_strdup((const char *)sqlite3_column_text(s, 6));
	return d->columns ? 0 : MD_ENOMEM;
}

/* The dataset row, as store_lk_dataset_fill made it. */
static int insert_dataset(struct sq_conn *c, const struct store_lk_dataset *d)
{
	sqlite3_stmt *s =
	    sq_prep(c, "INSERT INTO linkage_datasets(id, workspace_id, name, blob_id, "
	               "columns, row_count, created_at) "
	               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)");
	if (s) {
		sq_bind_str(s, 1, d->id);
		sq_bind_str(s, 2, d->workspace_id);
		sq_bind_str(s, 3, d->name);
		sq_bind_str(s, 4, d->blob_id);
		sq_bind_str(s, 5, d->columns);
		sqlite3_bind_int64(s, 6, d->row_count);
		sqlite3_bind_int64(s, 7, d->created_at);
	}
	return sq_run_done(c, s, NULL);
}

int sq_lk_dataset_create(struct store *st, const char *ws_id, const char *name,
                         const char *columns_json, int64_t row_count, const void *csv, size_t len,
                         int64_t now, struct store_lk_dataset *out)
{
	int frc = store_lk_dataset_fill(out, ws_id, name, NULL, columns_json, row_count, now);
	if (frc)
		return frc;
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c) {
		store_lk_dataset_release(out);
		return MD_EUNAVAIL;
	}
	sqlite3_stmt *s = sq_prep(c, "INSERT INTO blobs(id, workspace_id, content_type, data, "
	                             "created_at) VALUES (?1, ?2, 'text/csv', ?3, ?4)");
	if (s) {
		sq_bind_str(s, 1, out->blob_id);
		sq_bind_str(s, 2, ws_id);
		sqlite3_bind_blob64(s, 3, len ? csv : "", len, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, now);
	}
	int rc = sq_run_done(c, s, NULL);
	if (!rc)
		rc = insert_dataset(c, out);
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	rc = rc ? rc : erc;
	if (rc)
		store_lk_dataset_release(out);
	return rc;
}

int sq_lk_dataset_get(struct store *st, const char *ws_id, const char *id,
                      struct store_lk_dataset *out)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_prep(c, "SELECT " DS_COLS
	                             " FROM linkage_datasets WHERE id = ?1 AND workspace_id = ?2");
	int rc = MD_EIO;
	if (s) {
		sq_bind_str(s, 1, id);
		sq_bind_str(s, 2, ws_id);
		int r = sqlite3_step(s);
		rc = r == SQLITE_ROW    ? ds_from_row(s, out)
		     : r == SQLITE_DONE ? MD_ENOTFOUND
		                        : MD_EIO;
		sqlite3_finalize(s);
	}
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

int sq_lk_dataset_list(struct store *st, const char *ws_id, const char *cursor, int limit,
                       int (*cb)(void *ctx, const struct store_lk_dataset *d), void *ctx)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s =
	    sq_prep(c, "SELECT " DS_COLS " FROM linkage_datasets WHERE workspace_id = ?1 "
	               "AND (?2 = '' OR id < ?2) ORDER BY id DESC LIMIT ?3");
	int rc = s ? 0 : MD_EIO;
	if (s) {
		sq_bind_str(s, 1, ws_id);
		sq_bind_str(s, 2, cursor ? cursor : "");
		sqlite3_bind_int(s, 3, limit);
		int r = SQLITE_DONE;
		while (!rc && (r = sqlite3_step(s)) == SQLITE_ROW) {
			struct store_lk_dataset d;
			rc = ds_from_row(s, &d);
			if (!rc)
				rc = cb(ctx, &d);
			store_lk_dataset_release(&d);
		}
		if (!rc && r != SQLITE_DONE)
			rc = MD_EIO;
		sqlite3_finalize(s);
	}
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

int sq_lk_dataset_delete(struct store *st, const char *ws_id, const char *id)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s =
	    sq_prep(c, "DELETE FROM blobs WHERE workspace_id = ?2 AND id = (SELECT "
	               "blob_id FROM linkage_datasets WHERE id = ?1 AND workspace_id = ?2)");
	if (s) {
		sq_bind_str(s, 1, id);
		sq_bind_str(s, 2, ws_id);
	}
	int n = 0, rc = sq_run_done(c, s, NULL);
	if (!rc) {
		/* Chunks of a streamed upload (0005); none for a blob written whole. */
		s = sq_prep(c, "DELETE FROM blob_chunks WHERE blob_id = (SELECT blob_id FROM "
		               "linkage_datasets WHERE id = ?1 AND workspace_id = ?2)");
		if (s) {
			sq_bind_str(s, 1, id);
			sq_bind_str(s, 2, ws_id);
		}
		rc = sq_run_done(c, s, NULL);
	}
	if (!rc) {
		s = sq_prep(c, "DELETE FROM linkage_datasets WHERE id = ?1 AND workspace_id = ?2");
		if (s) {
			sq_bind_str(s, 1, id);
			sq_bind_str(s, 2, ws_id);
		}
		rc = sq_run_done(c, s, &n);
		if (!rc && n == 0)
			rc = MD_ENOTFOUND;
	}
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

/* ---- configs ---- */

#define CFG_COLS "id, workspace_id, created_at, updated_at, body"

static int cfg_from_row(sqlite3_stmt *s, struct store_lk_config *o)
{
	memset(o, 0, sizeof *o);
	sq_copy_col(s, 0, o->id, sizeof o->id);
	sq_copy_col(s, 1, o->workspace_id, sizeof o->workspace_id);
	o->created_at = sqlite3_column_int64(s, 2);
	o->updated_at = sqlite3_column_int64(s, 3);
	o->body = md_strdup((const char *)sqlite3_column_text(s, 4));
	return o->body ? 0 : MD_ENOMEM;
}

int sq_lk_config_create(struct store *st, const char *ws_id, const char *body, int64_t now,
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
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c) {
		store_lk_config_release(out);
		return MD_EUNAVAIL;
	}
	sqlite3_stmt *s =
	    sq_prep(c, "INSERT INTO linkage_configs(id, workspace_id, body, created_at, "
	               "updated_at) VALUES (?1, ?2, ?3, ?4, ?4)");
	if (s) {
		sq_bind_str(s, 1, out->id);
		sq_bind_str(s, 2, ws_id);
		sq_bind_str(s, 3, body);
		sqlite3_bind_int64(s, 4, now);
	}
	int rc = sq_run_done(c, s, NULL);
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	rc = rc ? rc : erc;
	if (rc)
		store_lk_config_release(out);
	return rc;
}

int sq_lk_config_get(struct store *st, const char *ws_id, const char *id,
                     struct store_lk_config *out)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_prep(c, "SELECT " CFG_COLS
	                             " FROM linkage_configs WHERE id = ?1 AND workspace_id = ?2");
	int rc = MD_EIO;
	if (s) {
		sq_bind_str(s, 1, id);
		sq_bind_str(s, 2, ws_id);
		int r = sqlite3_step(s);
		rc = r == SQLITE_ROW    ? cfg_from_row(s, out)
		     : r == SQLITE_DONE ? MD_ENOTFOUND
		                        : MD_EIO;
		sqlite3_finalize(s);
	}
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

int sq_lk_config_update(struct store *st, const char *ws_id, const char *id, const char *body,
                        int64_t now)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_prep(c, "UPDATE linkage_configs SET body = ?3, updated_at = ?4 "
	                             "WHERE id = ?1 AND workspace_id = ?2");
	if (s) {
		sq_bind_str(s, 1, id);
		sq_bind_str(s, 2, ws_id);
		sq_bind_str(s, 3, body);
		sqlite3_bind_int64(s, 4, now);
	}
	int n = 0, rc = sq_run_done(c, s, &n);
	if (!rc && n == 0)
		rc = MD_ENOTFOUND;
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

int sq_lk_config_list(struct store *st, const char *ws_id, const char *cursor, int limit,
                      int (*cb)(void *ctx, const struct store_lk_config *c), void *ctx)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s =
	    sq_prep(c, "SELECT " CFG_COLS " FROM linkage_configs WHERE workspace_id = ?1 "
	               "AND (?2 = '' OR id < ?2) ORDER BY id DESC LIMIT ?3");
	int rc = s ? 0 : MD_EIO;
	if (s) {
		sq_bind_str(s, 1, ws_id);
		sq_bind_str(s, 2, cursor ? cursor : "");
		sqlite3_bind_int(s, 3, limit);
		int r = SQLITE_DONE;
		while (!rc && (r = sqlite3_step(s)) == SQLITE_ROW) {
			struct store_lk_config o;
			rc = cfg_from_row(s, &o);
			if (!rc)
				rc = cb(ctx, &o);
			store_lk_config_release(&o);
		}
		if (!rc && r != SQLITE_DONE)
			rc = MD_EIO;
		sqlite3_finalize(s);
	}
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

int sq_lk_config_delete(struct store *st, const char *ws_id, const char *id)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s =
	    sq_prep(c, "DELETE FROM linkage_configs WHERE id = ?1 AND workspace_id = ?2");
	if (s) {
		sq_bind_str(s, 1, id);
		sq_bind_str(s, 2, ws_id);
	}
	int n = 0, rc = sq_run_done(c, s, &n);
	if (!rc && n == 0)
		rc = MD_ENOTFOUND;
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

/* ---- results ---- */

/* ---- compact rows (migration 0004) ---- */

/* 0 when job_id of ws_id is running under token, MD_ECONFLICT when not, MD_EIO. */
static int lease_held(struct sq_conn *c, const char *ws_id, const char *job_id, const char *token)
{
	sqlite3_stmt *s = sq_prep(c, "SELECT 1 FROM jobs WHERE id = ?1 AND workspace_id = ?2 "
	                             "AND lease_token = ?3 AND status = 'running'");
	if (!s)
		return MD_EIO;
	sq_bind_str(s, 1, job_id);
	sq_bind_str(s, 2, ws_id);
	sq_bind_str(s, 3, token);
	int r = sqlite3_step(s);
	sqlite3_finalize(s);
	return r == SQLITE_ROW ? 0 : r == SQLITE_DONE ? MD_ECONFLICT : MD_EIO;
}

/*
 * Writes a batch inside the caller's write transaction (sq_lk_rows_put's own, or the job's
 * success): one prepared insert, stepped and reset per row.
 */
int sq_rows_write(struct sq_conn *c, const char *ws_id, const char *job_id, const char *token,
                  bool first, const struct store_lk_row *rows, size_t n)
{
	int rc = lease_held(c, ws_id, job_id, token);
	sqlite3_stmt *s;
	if (!rc && first) {
		s = sq_prep(c, "DELETE FROM linkage_rows WHERE run_id = ?1");
		if (s)
			sq_bind_str(s, 1, job_id);
		rc = sq_run_done(c, s, NULL);
	}
	s = NULL;
	if (!rc && n) {
		s = sq_prep(c, "INSERT INTO linkage_rows(run_id, workspace_id, row_index, status, "
		               "confidence, rec) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
		rc = s ? 0 : MD_EIO;
	}
	if (s) {
		sq_bind_str(s, 1, job_id);
		sq_bind_str(s, 2, ws_id);
	}
	for (size_t i = 0; !rc && i < n; i++) {
		sqlite3_bind_int64(s, 3, rows[i].row);
		sqlite3_bind_text(s, 4, rows[i].status, -1, SQLITE_STATIC);
		sqlite3_bind_double(s, 5, rows[i].confidence);
		sqlite3_bind_blob64(s, 6, rows[i].rec_len ? rows[i].rec : "", rows[i].rec_len,
		                    SQLITE_STATIC);
		int r = sqlite3_step(s);
		if (r != SQLITE_DONE) {
			md_logf(MD_LOG_ERROR, "sqlite: %s", sqlite3_errmsg(c->db));
			rc = (r & 0xff) == SQLITE_CONSTRAINT ? MD_ECONFLICT : MD_EIO;
		}
		sqlite3_reset(s);
	}
	sqlite3_finalize(s);
	return rc;
}

int sq_lk_rows_put(struct store *st, const char *ws_id, const char *job_id, const char *token,
                   bool first, const struct store_lk_row *rows, size_t n)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	int rc = sq_rows_write(c, ws_id, job_id, token, first, rows, n);
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

int sq_lk_rows_list(struct store *st, const char *ws_id, const char *run_id, int64_t after,
                    int limit, double min_conf, const char *status,
                    int (*cb)(void *ctx, const struct store_lk_row *r), void *ctx)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_prep(c, "SELECT row_index, status, confidence, rec FROM linkage_rows "
	                             "WHERE run_id = ?1 AND workspace_id = ?2 AND row_index > ?3 "
	                             "AND confidence >= ?4 AND (?5 IS NULL OR status = ?5) "
	                             "ORDER BY row_index LIMIT ?6");
	int rc = s ? 0 : MD_EIO;
	if (s) {
		sq_bind_str(s, 1, run_id);
		sq_bind_str(s, 2, ws_id);
		sqlite3_bind_int64(s, 3, after);
		sqlite3_bind_double(s, 4, min_conf);
		sq_bind_str(s, 5, status);
		sqlite3_bind_int(s, 6, limit > 0 ? limit : -1);
		int r = SQLITE_DONE;
		while (!rc && (r = sqlite3_step(s)) == SQLITE_ROW) {
			struct store_lk_row row = { .row = sqlite3_column_int64(s, 0),
				                    .confidence = sqlite3_column_double(s, 2),
				                    .rec = sqlite3_column_blob(s, 3),
				                    .rec_len = (size_t)sqlite3_column_bytes(s, 3) };
			sq_copy_col(s, 1, row.status, sizeof row.status);
			rc = cb(ctx, &row);
		}
		if (!rc && r != SQLITE_DONE)
			rc = MD_EIO;
		sqlite3_finalize(s);
	}
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

int sq_lk_rows_stats(struct store *st, const char *ws_id, const char *run_id, int64_t *rows,
                     int64_t *matched, double *avg_matched)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_prep(
	    c, "SELECT count(*), count(*) FILTER (WHERE status = 'matched'), "
	       "coalesce(avg(confidence) FILTER (WHERE status = 'matched'), 0) FROM linkage_rows "
	       "WHERE run_id = ?1 AND workspace_id = ?2");
	int rc = MD_EIO;
	if (s) {
		sq_bind_str(s, 1, run_id);
		sq_bind_str(s, 2, ws_id);
		if (sqlite3_step(s) == SQLITE_ROW) {
			*rows = sqlite3_column_int64(s, 0);
			*matched = sqlite3_column_int64(s, 1);
			*avg_matched = sqlite3_column_double(s, 2);
			rc = 0;
		}
		sqlite3_finalize(s);
	}
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

/* ---- streamed blobs (0005) ---- */

/* Runs one write statement binding blob_id (?1) in its own transaction. */
static int write_one(struct store *st, const char *sql, const char *blob_id, int64_t i2,
                     const char *t3, const void *data, size_t len, int *changes)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_prep(c, sql);
	if (s) {
		sq_bind_str(s, 1, blob_id);
		sqlite3_bind_int64(s, 2, i2);
		if (t3)
			sq_bind_str(s, 3, t3);
		else if (data)
			sqlite3_bind_blob64(s, 3, len ? data : "", len, SQLITE_STATIC);
	}
	int rc = sq_run_done(c, s, changes);
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

int sq_blob_upload_begin(struct store *st, const char *ws_id, const char *blob_id, int64_t now)
{
	return write_one(
	    st, "INSERT INTO blob_uploads(id, started_at, workspace_id) VALUES (?1, ?2, ?3)",
	    blob_id, now, ws_id, NULL, 0, NULL);
}

int sq_blob_chunk_put(struct store *st, const char *blob_id, int64_t seq, const void *data,
                      size_t len)
{
	return write_one(st, "INSERT INTO blob_chunks(blob_id, seq, data) VALUES (?1, ?2, ?3)",
	                 blob_id, seq, NULL, data, len, NULL);
}

/* Deletes an upload that did not commit: its chunks and its registration. */
static int upload_delete(struct sq_conn *c, const char *blob_id)
{
	sqlite3_stmt *s = sq_prep(c, "DELETE FROM blob_chunks WHERE blob_id = ?1");
	if (s)
		sq_bind_str(s, 1, blob_id);
	int rc = sq_run_done(c, s, NULL);
	if (!rc) {
		s = sq_prep(c, "DELETE FROM blob_uploads WHERE id = ?1");
		if (s)
			sq_bind_str(s, 1, blob_id);
		rc = sq_run_done(c, s, NULL);
	}
	return rc;
}

int sq_blob_upload_abort(struct store *st, const char *blob_id)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	int rc = upload_delete(c, blob_id);
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

int sq_blob_upload_sweep(struct store *st, int64_t cutoff, int *n)
{
	*n = 0;
	/* One transaction per stale upload keeps each write short. */
	for (;;) {
		char id[MD_UUID_LEN] = "";
		struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
		if (!c)
			return MD_EUNAVAIL;
		sqlite3_stmt *s = sq_prep(
		    c, "SELECT id FROM blob_uploads WHERE started_at < ?1 ORDER BY started_at "
		       "LIMIT 1");
		int rc = s ? 0 : MD_EIO;
		if (s) {
			sqlite3_bind_int64(s, 1, cutoff);
			int r = sqlite3_step(s);
			if (r == SQLITE_ROW)
				sq_copy_col(s, 0, id, sizeof id);
			else if (r != SQLITE_DONE)
				rc = MD_EIO;
			sqlite3_finalize(s);
		}
		if (!rc && id[0])
			rc = upload_delete(c, id);
		int erc = sq_write_end(&SQ(st)->pool, rc == 0);
		rc = rc ? rc : erc;
		if (rc || !id[0])
			return rc;
		(*n)++;
	}
}

int sq_blob_chunk_stat(struct store *st, const char *blob_id, int64_t *count, int64_t *bytes)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	/* length() of a blob reads its size from the record header, not its bytes. */
	sqlite3_stmt *s = sq_prep(c, "SELECT count(*), coalesce(sum(length(data)), 0) FROM "
	                             "blob_chunks WHERE blob_id = ?1");
	int rc = MD_EIO;
	if (s) {
		sq_bind_str(s, 1, blob_id);
		if (sqlite3_step(s) == SQLITE_ROW) {
			*count = sqlite3_column_int64(s, 0);
			*bytes = sqlite3_column_int64(s, 1);
			rc = 0;
		}
		sqlite3_finalize(s);
	}
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

int sq_blob_chunk_read(struct store *st, const char *blob_id, int64_t seq, void *dst, size_t cap,
                       size_t *len)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s =
	    sq_prep(c, "SELECT data FROM blob_chunks WHERE blob_id = ?1 AND seq = ?2");
	int rc = MD_EIO;
	if (s) {
		sq_bind_str(s, 1, blob_id);
		sqlite3_bind_int64(s, 2, seq);
		int r = sqlite3_step(s);
		if (r == SQLITE_ROW) {
			size_t n = (size_t)sqlite3_column_bytes(s, 0);
			rc = n > cap ? MD_EIO : 0;
			if (!rc && n)
				memcpy(dst, sqlite3_column_blob(s, 0), n);
			*len = n;
		} else if (r == SQLITE_DONE) {
			rc = MD_ENOTFOUND;
		}
		sqlite3_finalize(s);
	}
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

int sq_lk_dataset_commit(struct store *st, const char *ws_id, const char *blob_id, int64_t seq,
                         const void *last, size_t last_len, const char *name,
                         const char *columns_json, int64_t row_count, int64_t now,
                         struct store_lk_dataset *out)
{
	int frc = store_lk_dataset_fill(out, ws_id, name, blob_id, columns_json, row_count, now);
	if (frc)
		return frc;
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c) {
		store_lk_dataset_release(out);
		return MD_EUNAVAIL;
	}
	/* The registration must still be there: a sweep may have given the upload up. */
	int n = 0;
	sqlite3_stmt *s =
	    sq_prep(c, "DELETE FROM blob_uploads WHERE id = ?1 AND workspace_id = ?2");
	if (s) {
		sq_bind_str(s, 1, blob_id);
		sq_bind_str(s, 2, ws_id);
	}
	int rc = sq_run_done(c, s, &n);
	if (!rc && n != 1)
		rc = MD_ENOTFOUND;
	if (!rc && last_len) {
		s = sq_prep(c, "INSERT INTO blob_chunks(blob_id, seq, data) VALUES (?1, ?2, ?3)");
		if (s) {
			sq_bind_str(s, 1, blob_id);
			sqlite3_bind_int64(s, 2, seq);
			sqlite3_bind_blob64(s, 3, last, last_len, SQLITE_STATIC);
		}
		rc = sq_run_done(c, s, NULL);
	}
	if (!rc) {
		s = sq_prep(c,
		            "INSERT INTO blobs(id, workspace_id, content_type, data, created_at) "
		            "VALUES (?1, ?2, 'text/csv', x'', ?3)");
		if (s) {
			sq_bind_str(s, 1, blob_id);
			sq_bind_str(s, 2, ws_id);
			sqlite3_bind_int64(s, 3, now);
		}
		rc = sq_run_done(c, s, NULL);
	}
	if (!rc)
		rc = insert_dataset(c, out);
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	rc = rc ? rc : erc;
	if (rc)
		store_lk_dataset_release(out);
	return rc;
}
