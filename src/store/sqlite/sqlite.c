/*
 * sqlite.c: the SQLite implementation of store.h. One process, many threads: writes go
 * through the single writer connection in IMMEDIATE transactions, reads through a pool.
 */
#include "store/store_backend.h"

#include <sqlite3.h>
#include <stdatomic.h>

#include "base/common.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "migrations.h"
#include "store/sqlite/conn.h"
#include "store/sqlite/sqlite_int.h"

/* ---- small helpers ---- */

static void bind_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

static void col_copy(sqlite3_stmt *s, int i, char *dst, size_t cap)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	size_t n = t ? (size_t)sqlite3_column_bytes(s, i) : 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(dst, t, n);
	dst[n] = '\0';
}

static char *col_dup(sqlite3_stmt *s, int i)
{
	if (sqlite3_column_type(s, i) == SQLITE_NULL)
		return NULL;
	const unsigned char *t = sqlite3_column_text(s, i);
	return md_strndup((const char *)t, (size_t)sqlite3_column_bytes(s, i));
}

static int step_done(struct sq_conn *c, sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		md_logf(MD_LOG_ERROR, "sqlite: %s", sqlite3_errmsg(c->db));
		sqlite3_reset(s);
		return (rc & 0xff) == SQLITE_CONSTRAINT ? MD_ECONFLICT : MD_EIO;
	}
	sqlite3_reset(s);
	return 0;
}

static int new_id(char out[MD_UUID_LEN], int64_t now)
{
	return md_uuid7(now, out);
}

/* Remembers the job whose change the listener should hear about after commit. */
static void notify(struct store *st, const char *job_id)
{
	struct sq_pool *p = &SQ(st)->pool;
	for (int i = 0; i < p->nnotify; i++)
		if (!strcmp(p->notify_jobs[i], job_id))
			return;
	if (p->nnotify < SQ_MAX_NOTIFY)
		snprintf(p->notify_jobs[p->nnotify++], sizeof p->notify_jobs[0], "%s", job_id);
}

/* ---- open, migrate ---- */

static int migrate(struct store *st, char *err, size_t cap)
{
	sqlite3 *db = SQ(st)->pool.writer->db;
	char *msg = NULL;
	if (sqlite3_exec(db,
	                 "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY "
	                 "KEY, applied_at INTEGER NOT NULL)",
	                 NULL, NULL, &msg) != SQLITE_OK)
		goto fail;
	for (size_t i = 0; i < migrations_count; i++) {
		int v = store_migration_version(migrations_files[i].name);
		struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
		if (!c) {
			snprintf(err, cap, "cannot lock the database for migrations");
			return MD_EUNAVAIL;
		}
		sqlite3_stmt *q;
		sqlite3_prepare_v2(db, "SELECT 1 FROM schema_migrations WHERE version = ?1", -1, &q,
		                   NULL);
		sqlite3_bind_int(q, 1, v);
		bool applied = sqlite3_step(q) == SQLITE_ROW;
		sqlite3_finalize(q);
		if (applied) {
			sq_write_end(&SQ(st)->pool, true);
			continue;
		}
		char *script = md_strndup(migrations_files[i].data, migrations_files[i].len);
		int rc = script ? sqlite3_exec(db, script, NULL, NULL, &msg) : SQLITE_NOMEM;
		md_free(script);
		if (rc == SQLITE_OK) {
			char ins[128];
			snprintf(ins, sizeof ins,
			         "INSERT INTO schema_migrations VALUES (%d, strftime('%%s','now'))",
			         v);
			rc = sqlite3_exec(db, ins, NULL, NULL, &msg);
		}
		if (rc != SQLITE_OK) {
			sq_write_end(&SQ(st)->pool, false);
			snprintf(err, cap, "migration %s failed: %s", migrations_files[i].name,
			         msg ? msg : sqlite3_errstr(rc));
			sqlite3_free(msg);
			return MD_EIO;
		}
		if (sq_write_end(&SQ(st)->pool, true))
			return MD_EIO;
		md_logf(MD_LOG_INFO, "applied migration %s", migrations_files[i].name);
	}
	return 0;
fail:
	snprintf(err, cap, "cannot create schema_migrations: %s", msg ? msg : "?");
	sqlite3_free(msg);
	return MD_EIO;
}

static void sq_free(struct store *st)
{
	if (!st)
		return;
	sq_pool_release(&SQ(st)->pool);
	md_free(st);
}

static int sq_ping(struct store *st, int *version)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *q;
	int rc = MD_EUNAVAIL;
	if (sqlite3_prepare_v2(c->db, "SELECT coalesce(max(version), 0) FROM schema_migrations", -1,
	                       &q, NULL) == SQLITE_OK) {
		if (sqlite3_step(q) == SQLITE_ROW) {
			*version = sqlite3_column_int(q, 0);
			int newest = migrations_count
			                 ? store_migration_version(
			                       migrations_files[migrations_count - 1].name)
			                 : 0;
			rc = *version >= newest ? 0 : MD_ECONFLICT;
		}
		sqlite3_finalize(q);
	}
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

static int sq_workspace_get(struct store *st, const char *key, bool by_name,
                            struct store_workspace *out);
static int sq_key_find(struct store *st, const char *hash_hex, struct store_key *out);

/* ---- workspaces ---- */

static void ws_from_row(sqlite3_stmt *s, struct store_workspace *w)
{
	col_copy(s, 0, w->id, sizeof w->id);
	col_copy(s, 1, w->name, sizeof w->name);
	w->rate_limit = sqlite3_column_int64(s, 2);
	w->rate_period_ms = sqlite3_column_int64(s, 3);
	w->rate_burst = sqlite3_column_int64(s, 4);
	col_copy(s, 5, w->webhook_secret, sizeof w->webhook_secret);
	col_copy(s, 6, w->webhook_secret_prev, sizeof w->webhook_secret_prev);
	w->webhook_secret_prev_until = sqlite3_column_int64(s, 7);
}

static int insert_ledger(struct store *st, struct sq_conn *c, const char *ws_id, int64_t amount,
                         const char *reason, const char *job_id, int64_t now)
{
	char id[MD_UUID_LEN];
	if (new_id(id, now))
		return MD_EIO;
	sqlite3_stmt *s = sq_stmt(c, SQL_LEDGER_INSERT);
	if (!s)
		return MD_EIO;
	bind_text(s, 1, id);
	bind_text(s, 2, ws_id);
	sqlite3_bind_int64(s, 3, amount);
	bind_text(s, 4, reason);
	bind_text(s, 5, job_id);
	sqlite3_bind_int64(s, 6, now);
	return step_done(c, s);
}

static int sq_workspace_create(struct store *st, const char *name, int64_t credits,
                               const char *webhook_secret, struct store_workspace *out)
{
	int64_t now = md_now_ms();
	char id[MD_UUID_LEN];
	if (new_id(id, now))
		return MD_EIO;
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_WS_INSERT);
	int rc = MD_EIO;
	if (s) {
		bind_text(s, 1, id);
		bind_text(s, 2, name);
		bind_text(s, 3, webhook_secret);
		sqlite3_bind_int64(s, 4, now);
		rc = step_done(c, s);
	}
	if (!rc && credits > 0)
		rc = insert_ledger(st, c, id, credits, "grant", NULL, now);
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	if (rc)
		return rc;
	if (erc)
		return erc;
	return sq_workspace_get(st, id, false, out);
}

static int sq_workspace_get(struct store *st, const char *key, bool by_name,
                            struct store_workspace *out)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, by_name ? SQL_WS_BY_NAME : SQL_WS_BY_ID);
	int rc = MD_EIO;
	if (s) {
		bind_text(s, 1, key);
		int r = sqlite3_step(s);
		if (r == SQLITE_ROW) {
			ws_from_row(s, out);
			rc = 0;
		} else {
			rc = r == SQLITE_DONE ? MD_ENOTFOUND : MD_EIO;
		}
		sqlite3_reset(s);
	}
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

/* Runs one write statement with up to four bindings; MD_ENOTFOUND when it changed no row. */
static int write_simple(struct store *st, enum sql_id id, const char *a, const char *b,
                        const int64_t *ints, int nints)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, id);
	int rc = MD_EIO;
	if (s) {
		int i = 1;
		bind_text(s, i++, a);
		if (b)
			bind_text(s, i++, b);
		for (int k = 0; k < nints; k++)
			sqlite3_bind_int64(s, i++, ints[k]);
		rc = step_done(c, s);
		if (!rc && sqlite3_changes(c->db) == 0)
			rc = MD_ENOTFOUND;
	}
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

static int sq_workspace_set_rate(struct store *st, const char *ws_id, int64_t limit,
                                 int64_t period_ms, int64_t burst)
{
	int64_t v[3] = { limit, period_ms, burst };
	return write_simple(st, SQL_WS_SET_RATE, ws_id, NULL, v, 3);
}

static int sq_workspace_rotate_secret(struct store *st, const char *ws_id, const char *new_secret,
                                      int64_t prev_until)
{
	int64_t v[1] = { prev_until };
	return write_simple(st, SQL_WS_ROTATE, ws_id, new_secret, v, 1);
}

/* ---- keys ---- */

static void key_from_row(sqlite3_stmt *s, struct store_key *k)
{
	col_copy(s, 0, k->id, sizeof k->id);
	col_copy(s, 1, k->workspace_id, sizeof k->workspace_id);
	col_copy(s, 2, k->workspace_name, sizeof k->workspace_name);
	col_copy(s, 3, k->prefix, sizeof k->prefix);
	k->permissions = (uint32_t)sqlite3_column_int64(s, 4);
	k->created_at = sqlite3_column_int64(s, 5);
	k->revoked_at = sqlite3_column_int64(s, 6);
	k->rate_limit = sqlite3_column_int64(s, 7);
	k->rate_period_ms = sqlite3_column_int64(s, 8);
	k->rate_burst = sqlite3_column_int64(s, 9);
}

static int sq_key_create(struct store *st, const char *ws_id, const char *hash_hex,
                         const char *prefix, uint32_t permissions, struct store_key *out)
{
	int64_t now = md_now_ms();
	char id[MD_UUID_LEN];
	if (new_id(id, now))
		return MD_EIO;
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_KEY_INSERT);
	int rc = MD_EIO;
	if (s) {
		bind_text(s, 1, id);
		bind_text(s, 2, ws_id);
		bind_text(s, 3, hash_hex);
		bind_text(s, 4, prefix);
		sqlite3_bind_int64(s, 5, permissions);
		sqlite3_bind_int64(s, 6, now);
		rc = step_done(c, s);
	}
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	if (rc || erc)
		return rc ? rc : erc;
	return sq_key_find(st, hash_hex, out);
}

static int sq_key_find(struct store *st, const char *hash_hex, struct store_key *out)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_KEY_FIND);
	int rc = MD_EIO;
	if (s) {
		bind_text(s, 1, hash_hex);
		int r = sqlite3_step(s);
		if (r == SQLITE_ROW) {
			key_from_row(s, out);
			rc = 0;
		} else {
			rc = r == SQLITE_DONE ? MD_ENOTFOUND : MD_EIO;
		}
		sqlite3_reset(s);
	}
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

static int sq_key_list(struct store *st, int (*cb)(void *ctx, const struct store_key *k), void *ctx)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_KEY_LIST);
	int rc = s ? 0 : MD_EIO;
	while (!rc && sqlite3_step(s) == SQLITE_ROW) {
		struct store_key k;
		key_from_row(s, &k);
		rc = cb(ctx, &k);
	}
	if (s)
		sqlite3_reset(s);
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

static int sq_key_revoke(struct store *st, const char *key_id)
{
	int64_t v[1] = { md_now_ms() };
	return write_simple(st, SQL_KEY_REVOKE, key_id, NULL, v, 1);
}

/* ---- credits ---- */

static int sq_credits_add(struct store *st, const char *ws_id, int64_t amount, const char *reason)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	int rc = insert_ledger(st, c, ws_id, amount, reason, NULL, md_now_ms());
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

static int balance_on(struct sq_conn *c, const char *ws_id, int64_t *balance)
{
	sqlite3_stmt *s = sq_stmt(c, SQL_BALANCE);
	if (!s)
		return MD_EIO;
	bind_text(s, 1, ws_id);
	int rc = sqlite3_step(s) == SQLITE_ROW ? 0 : MD_EIO;
	if (!rc)
		*balance = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return rc;
}

static int sq_credits_balance(struct store *st, const char *ws_id, int64_t *balance)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	int rc = balance_on(c, ws_id, balance);
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

static int sq_credits_ledger(struct store *st, const char *ws_id, const char *cursor, int limit,
                             int (*cb)(void *ctx, const struct store_ledger_entry *e), void *ctx)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_LEDGER_LIST);
	int rc = s ? 0 : MD_EIO;
	if (s) {
		bind_text(s, 1, ws_id);
		bind_text(s, 2, cursor ? cursor : "");
		sqlite3_bind_int(s, 3, limit);
	}
	while (!rc && sqlite3_step(s) == SQLITE_ROW) {
		struct store_ledger_entry e;
		col_copy(s, 0, e.id, sizeof e.id);
		e.amount = sqlite3_column_int64(s, 1);
		col_copy(s, 2, e.reason, sizeof e.reason);
		col_copy(s, 3, e.job_id, sizeof e.job_id);
		e.created_at = sqlite3_column_int64(s, 4);
		rc = cb(ctx, &e);
	}
	if (s)
		sqlite3_reset(s);
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

/* ---- idempotency ---- */

static int sq_idem_begin(struct store *st, const char *ws_id, const char *key,
                         const char *fingerprint, int64_t now, int64_t ttl_ms,
                         int64_t inflight_ttl_ms, enum store_idem_state *state,
                         char resource_id[MD_UUID_LEN])
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	int rc = MD_EIO;
	sqlite3_stmt *s = sq_stmt(c, SQL_IDEM_GET);
	if (!s)
		goto out;
	bind_text(s, 1, ws_id);
	bind_text(s, 2, key);
	int r = sqlite3_step(s);
	if (r == SQLITE_ROW) {
		char fp[80];
		col_copy(s, 0, fp, sizeof fp);
		col_copy(s, 1, resource_id, MD_UUID_LEN);
		int64_t created = sqlite3_column_int64(s, 2);
		sqlite3_reset(s);
		bool in_flight = resource_id[0] == '\0';
		bool expired = now - created > (in_flight ? inflight_ttl_ms : ttl_ms);
		if (!expired) {
			if (strcmp(fp, fingerprint) != 0)
				*state = STORE_IDEM_MISMATCH;
			else
				*state = in_flight ? STORE_IDEM_IN_FLIGHT : STORE_IDEM_REPLAY;
			rc = 0;
			goto out;
		}
		sqlite3_stmt *d = sq_stmt(c, SQL_IDEM_DELETE);
		if (!d)
			goto out;
		bind_text(d, 1, ws_id);
		bind_text(d, 2, key);
		if ((rc = step_done(c, d)))
			goto out;
	} else {
		sqlite3_reset(s);
		if (r != SQLITE_DONE)
			goto out;
	}
	sqlite3_stmt *ins = sq_stmt(c, SQL_IDEM_INSERT);
	if (!ins) {
		rc = MD_EIO;
		goto out;
	}
	bind_text(ins, 1, ws_id);
	bind_text(ins, 2, key);
	bind_text(ins, 3, fingerprint);
	sqlite3_bind_int64(ins, 4, now);
	rc = step_done(c, ins);
	*state = STORE_IDEM_NEW;
	resource_id[0] = '\0';
out:;
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

static int sq_idem_abort(struct store *st, const char *ws_id, const char *key)
{
	int rc = write_simple(st, SQL_IDEM_DELETE, ws_id, key, NULL, 0);
	return rc == MD_ENOTFOUND ? 0 : rc;
}

static int sq_idem_sweep(struct store *st, int64_t cutoff, int *n)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_IDEM_SWEEP);
	int rc = MD_EIO;
	if (s) {
		sqlite3_bind_int64(s, 1, cutoff);
		rc = step_done(c, s);
		*n = rc ? 0 : sqlite3_changes(c->db);
	}
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

/* ---- jobs ---- */

static int job_from_row(sqlite3_stmt *s, struct store_job *j)
{
	memset(j, 0, sizeof *j);
	col_copy(s, 0, j->id, sizeof j->id);
	col_copy(s, 1, j->workspace_id, sizeof j->workspace_id);
	col_copy(s, 2, j->kind, sizeof j->kind);
	col_copy(s, 3, j->status, sizeof j->status);
	col_copy(s, 4, j->stage, sizeof j->stage);
	j->progress = sqlite3_column_double(s, 5);
	j->attempts = sqlite3_column_int(s, 6);
	j->max_attempts = sqlite3_column_int(s, 7);
	j->price = sqlite3_column_int64(s, 8);
	j->cancel_requested = sqlite3_column_int(s, 9) != 0;
	j->created_at = sqlite3_column_int64(s, 10);
	j->started_at = sqlite3_column_int64(s, 11);
	j->finished_at = sqlite3_column_int64(s, 12);
	j->updated_at = sqlite3_column_int64(s, 13);
	j->run_after = sqlite3_column_int64(s, 14);
	col_copy(s, 15, j->lease_token, sizeof j->lease_token);
	j->input = col_dup(s, 16);
	j->result = col_dup(s, 17);
	j->error = col_dup(s, 18);
	j->webhook_url = col_dup(s, 19);
	if (!j->input || (sqlite3_column_type(s, 17) != SQLITE_NULL && !j->result) ||
	    (sqlite3_column_type(s, 18) != SQLITE_NULL && !j->error) ||
	    (sqlite3_column_type(s, 19) != SQLITE_NULL && !j->webhook_url)) {
		store_job_release(j);
		return MD_ENOMEM;
	}
	return 0;
}

static int insert_event(struct sq_conn *c, const char *job_id, const char *type, const char *data,
                        int64_t now)
{
	sqlite3_stmt *s = sq_stmt(c, SQL_EVENT_INSERT);
	if (!s)
		return MD_EIO;
	bind_text(s, 1, job_id);
	bind_text(s, 2, type);
	bind_text(s, 3, data);
	sqlite3_bind_int64(s, 4, now);
	return step_done(c, s);
}

/* The event data of a state or stage change, as the SSE stream sends it; counts (JSON, may be
 * NULL) are a progress event's rows done and total. */
static int state_event(struct sq_conn *c, const char *job_id, const char *type, const char *status,
                       const char *stage, double progress, const char *counts, int64_t now)
{
	char data[STORE_EVENT_JSON_MAX];
	int rc = store_event_json(data, sizeof data, job_id, status, stage, progress, counts);
	return rc ? rc : insert_event(c, job_id, type, data, now);
}

/* Queues the webhook delivery of a terminal event, when the job has a URL. */
static int queue_delivery(struct store *st, struct sq_conn *c, const char *ws_id,
                          const char *job_id, const char *kind, const char *status, const char *url,
                          int64_t now)
{
	if (!url || !*url || !st->payload_fn)
		return 0;
	char type[32];
	snprintf(type, sizeof type, "job.%s", status);
	char *payload = st->payload_fn(st->payload_ctx, type, job_id, kind, status, now);
	if (!payload)
		return MD_ENOMEM;
	char id[MD_UUID_LEN];
	int rc = new_id(id, now);
	sqlite3_stmt *s = rc ? NULL : sq_stmt(c, SQL_DELIVERY_INSERT);
	if (s) {
		bind_text(s, 1, id);
		bind_text(s, 2, ws_id);
		bind_text(s, 3, job_id);
		bind_text(s, 4, type);
		bind_text(s, 5, url);
		bind_text(s, 6, payload);
		sqlite3_bind_int64(s, 7, now);
		rc = step_done(c, s);
	} else if (!rc) {
		rc = MD_EIO;
	}
	md_free(payload);
	return rc;
}

static int insert_blob(struct sq_conn *c, const struct store_job_new *jn, const char *id,
                       int64_t now)
{
	sqlite3_stmt *s = sq_stmt(c, SQL_BLOB_INSERT);
	if (!s)
		return MD_EIO;
	bind_text(s, 1, id);
	bind_text(s, 2, jn->workspace_id);
	bind_text(s, 3, jn->blob_type ? jn->blob_type : "application/octet-stream");
	sqlite3_bind_blob64(s, 4, jn->blob, jn->blob_len, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, now);
	return step_done(c, s);
}

static int complete_idem(struct sq_conn *c, const struct store_job_new *jn, const char *job_id)
{
	sqlite3_stmt *s = sq_stmt(c, SQL_IDEM_COMPLETE);
	if (!s)
		return MD_EIO;
	bind_text(s, 1, jn->workspace_id);
	bind_text(s, 2, jn->idem_key);
	bind_text(s, 3, job_id);
	return step_done(c, s);
}

static int sq_job_submit(struct store *st, const struct store_job_new *jn, int64_t now,
                         char id_out[MD_UUID_LEN], char blob_id_out[MD_UUID_LEN])
{
	if (store_fault_submit(st))
		return MD_EIO;
	char blob_id[MD_UUID_LEN] = "";
	if (new_id(id_out, now) || (jn->blob && new_id(blob_id, now)))
		return MD_EIO;
	char *input = store_input_with_blob(jn->input_json, blob_id);
	if (!input)
		return MD_ENOMEM;
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c) {
		md_free(input);
		return MD_EUNAVAIL;
	}
	int rc = jn->blob ? insert_blob(c, jn, blob_id, now) : 0;
	sqlite3_stmt *s = rc ? NULL : sq_stmt(c, SQL_JOB_INSERT);
	if (s) {
		bind_text(s, 1, id_out);
		bind_text(s, 2, jn->workspace_id);
		bind_text(s, 3, jn->kind);
		bind_text(s, 4, input);
		bind_text(s, 5, jn->webhook_url);
		sqlite3_bind_int64(s, 6, jn->price);
		sqlite3_bind_int(s, 7, jn->max_attempts);
		sqlite3_bind_int64(s, 8, now);
		bind_text(s, 9, jn->not_on);
		rc = step_done(c, s);
	} else if (!rc) {
		rc = MD_EIO;
	}
	if (!rc)
		rc = state_event(c, id_out, "queued", "queued", "queued", 0, NULL, now);
	if (!rc && jn->idem_key)
		rc = complete_idem(c, jn, id_out);
	if (!rc)
		notify(st, id_out);
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	md_free(input);
	if (blob_id_out)
		memcpy(blob_id_out, blob_id, MD_UUID_LEN);
	return rc ? rc : erc;
}

static int sq_job_get(struct store *st, const char *ws_id, const char *id, struct store_job *out)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, ws_id ? SQL_JOB_GET : SQL_JOB_GET_ANY);
	int rc = MD_EIO;
	if (s) {
		bind_text(s, 1, id);
		if (ws_id)
			bind_text(s, 2, ws_id);
		int r = sqlite3_step(s);
		if (r == SQLITE_ROW)
			rc = job_from_row(s, out);
		else
			rc = r == SQLITE_DONE ? MD_ENOTFOUND : MD_EIO;
		sqlite3_reset(s);
	}
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

static int sq_job_list(struct store *st, const char *ws_id, const char *status, const char *kind,
                       const char *cursor, int limit,
                       int (*cb)(void *ctx, const struct store_job *j), void *ctx)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_JOB_LIST);
	int rc = s ? 0 : MD_EIO;
	if (s) {
		bind_text(s, 1, ws_id);
		bind_text(s, 2, status);
		bind_text(s, 3, kind);
		bind_text(s, 4, cursor);
		sqlite3_bind_int(s, 5, limit);
	}
	while (!rc && sqlite3_step(s) == SQLITE_ROW) {
		struct store_job j;
		rc = job_from_row(s, &j);
		if (!rc) {
			rc = cb(ctx, &j);
			store_job_release(&j);
		}
	}
	if (s)
		sqlite3_reset(s);
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

/* Fails, in this transaction, one job whose worker died after its last attempt. */
static int fail_exhausted(struct store *st, struct sq_conn *c, int64_t now, bool *found)
{
	*found = false;
	sqlite3_stmt *s = sq_stmt(c, SQL_JOB_EXHAUSTED);
	if (!s)
		return MD_EIO;
	sqlite3_bind_int64(s, 1, now);
	bind_text(s, 2, STORE_WORKER_LOST_ERROR);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return 0;
	}
	char id[MD_UUID_LEN], kind[32];
	col_copy(s, 0, id, sizeof id);
	col_copy(s, 1, kind, sizeof kind);
	sqlite3_reset(s);
	*found = true;
	struct store_job j;
	int rc = 0;
	sqlite3_stmt *g = sq_stmt(c, SQL_JOB_GET_ANY);
	if (!g)
		return MD_EIO;
	bind_text(g, 1, id);
	if (sqlite3_step(g) == SQLITE_ROW && job_from_row(g, &j) == 0) {
		sqlite3_reset(g);
		rc = state_event(c, id, "failed", "failed", "failed", j.progress, NULL, now);
		if (!rc)
			rc = queue_delivery(st, c, j.workspace_id, id, kind, "failed",
			                    j.webhook_url, now);
		store_job_release(&j);
	} else {
		sqlite3_reset(g);
	}
	notify(st, id);
	return rc;
}

static int sq_job_claim(struct store *st, const char *owner, int64_t now, int64_t lease_ms,
                        struct store_job *out)
{
	char token[MD_UUID_LEN];
	if (new_id(token, now))
		return MD_EIO;
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	int rc = 0;
	sqlite3_stmt *s = sq_stmt(c, SQL_JOB_CLAIM);
	if (s) {
		bind_text(s, 1, token);
		bind_text(s, 2, owner);
		sqlite3_bind_int64(s, 3, now + lease_ms);
		sqlite3_bind_int64(s, 4, now);
		int r = sqlite3_step(s);
		if (r == SQLITE_ROW)
			rc = job_from_row(s, out);
		else
			rc = r == SQLITE_DONE ? MD_ENOTFOUND : MD_EIO;
		sqlite3_reset(s);
	} else if (!rc) {
		rc = MD_EIO;
	}
	bool claimed = rc == 0;
	if (!rc)
		rc = state_event(c, out->id, "running", "running", out->stage, out->progress, NULL,
		                 now);
	if (!rc)
		notify(st, out->id);
	int erc = sq_write_end(&SQ(st)->pool, rc == 0 || rc == MD_ENOTFOUND);
	if (claimed && (rc || erc))
		store_job_release(out);
	return rc ? rc : erc;
}

/* Requeues one job whose lease expired; *found tells whether there was one. */
static int requeue_expired(struct store *st, struct sq_conn *c, int64_t now, bool *found)
{
	*found = false;
	sqlite3_stmt *s = sq_stmt(c, SQL_JOB_RESCUE);
	if (!s)
		return MD_EIO;
	sqlite3_bind_int64(s, 1, now);
	int r = sqlite3_step(s);
	if (r != SQLITE_ROW) {
		sqlite3_reset(s);
		return r == SQLITE_DONE ? 0 : MD_EIO;
	}
	char id[MD_UUID_LEN];
	col_copy(s, 0, id, sizeof id);
	sqlite3_reset(s);
	*found = true;
	notify(st, id);
	return state_event(c, id, "progress", "queued", "requeued", 0, NULL, now);
}

/* At most this many jobs per rescue transaction, so one call never holds the writer long. */
#define RESCUE_BATCH 16

static int sq_job_rescue(struct store *st, int64_t now, int *requeued, int *failed)
{
	*requeued = *failed = 0;
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	int rc = 0;
	bool found = true;
	while (!rc && found && *failed < RESCUE_BATCH) {
		rc = fail_exhausted(st, c, now, &found);
		*failed += found && !rc;
	}
	found = true;
	while (!rc && found && *requeued < RESCUE_BATCH) {
		rc = requeue_expired(st, c, now, &found);
		*requeued += found && !rc;
	}
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

static int sq_job_progress(struct store *st, const char *id, const char *token, int64_t now,
                           int64_t lease_until, const char *stage, double progress,
                           const char *counts)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_JOB_PROGRESS);
	int rc = MD_EIO;
	bool cancel = false;
	if (s) {
		bind_text(s, 1, id);
		bind_text(s, 2, token);
		sqlite3_bind_int64(s, 3, lease_until);
		bind_text(s, 4, stage);
		if (stage)
			sqlite3_bind_double(s, 5, progress);
		else
			sqlite3_bind_null(s, 5);
		sqlite3_bind_int64(s, 6, now);
		int r = sqlite3_step(s);
		if (r == SQLITE_ROW) {
			cancel = sqlite3_column_int(s, 0) != 0;
			rc = 0;
		} else {
			rc = r == SQLITE_DONE ? MD_ECONFLICT : MD_EIO;
		}
		sqlite3_reset(s);
	}
	if (!rc && stage) {
		rc = state_event(c, id, "progress", "running", stage, progress, counts, now);
		if (!rc)
			notify(st, id);
	}
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	if (rc || erc)
		return rc ? rc : erc;
	return cancel ? MD_ECANCELED : 0;
}

/*
 * Runs a terminal UPDATE ... RETURNING workspace_id, kind, [price,] webhook_url guarded by the
 * lease token, then writes the event and the webhook delivery. MD_ECONFLICT when the lease
 * was lost (another worker owns the job now, or it was already finished).
 */
static int finish(struct store *st, struct sq_conn *c, sqlite3_stmt *s, bool has_price,
                  const char *id, const char *status, int64_t now, int64_t *price,
                  char ws_out[MD_UUID_LEN])
{
	int r = sqlite3_step(s);
	if (r != SQLITE_ROW) {
		sqlite3_reset(s);
		return r == SQLITE_DONE ? MD_ECONFLICT : MD_EIO;
	}
	char kind[32];
	col_copy(s, 0, ws_out, MD_UUID_LEN);
	col_copy(s, 1, kind, sizeof kind);
	int url_col = has_price ? 3 : 2;
	if (has_price)
		*price = sqlite3_column_int64(s, 2);
	char *url = col_dup(s, url_col);
	sqlite3_reset(s);
	int rc = state_event(c, id, status, status, status, 1, NULL, now);
	if (!rc)
		rc = queue_delivery(st, c, ws_out, id, kind, status, url, now);
	md_free(url);
	notify(st, id);
	return rc;
}

static int sq_job_succeed(struct store *st, const char *id, const char *token, int64_t now,
                          const char *result_json, const struct store_lk_final *final)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	/* The run's last rows first: the success below commits them, or nothing is. */
	int rc =
	    final ? sq_rows_write(c, final->ws_id, id, token, final->first, final->rows, final->n)
	          : 0;
	sqlite3_stmt *s = rc ? NULL : sq_stmt(c, SQL_JOB_SUCCEED);
	if (!rc)
		rc = MD_EIO;
	int64_t price = 0;
	char ws[MD_UUID_LEN];
	if (s) {
		bind_text(s, 1, id);
		bind_text(s, 2, token);
		bind_text(s, 3, result_json);
		sqlite3_bind_int64(s, 4, now);
		rc = finish(st, c, s, true, id, "succeeded", now, &price, ws);
	}
	if (!rc && price > 0) {
		char lid[MD_UUID_LEN];
		sqlite3_stmt *ch = new_id(lid, now) ? NULL : sq_stmt(c, SQL_JOB_CHARGE);
		rc = MD_EIO;
		if (ch) {
			bind_text(ch, 1, lid);
			bind_text(ch, 2, ws);
			sqlite3_bind_int64(ch, 3, -price);
			bind_text(ch, 4, id);
			sqlite3_bind_int64(ch, 5, now);
			rc = step_done(c, ch);
		}
	}
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

static int sq_job_fail(struct store *st, const char *id, const char *token, int64_t now,
                       const char *error_json, int64_t retry_at)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	int rc = MD_EIO;
	char ws[MD_UUID_LEN];
	if (retry_at > 0) {
		sqlite3_stmt *s = sq_stmt(c, SQL_JOB_RETRY);
		if (s) {
			bind_text(s, 1, id);
			bind_text(s, 2, token);
			sqlite3_bind_int64(s, 3, retry_at);
			bind_text(s, 4, error_json);
			sqlite3_bind_int64(s, 5, now);
			rc = step_done(c, s);
			if (!rc && sqlite3_changes(c->db) == 0)
				rc = MD_ECONFLICT;
			if (!rc)
				rc = state_event(c, id, "progress", "queued", "retrying", 0, NULL,
				                 now);
			if (!rc)
				notify(st, id);
		}
	} else {
		sqlite3_stmt *s = sq_stmt(c, SQL_JOB_FAIL);
		if (s) {
			bind_text(s, 1, id);
			bind_text(s, 2, token);
			bind_text(s, 3, error_json);
			sqlite3_bind_int64(s, 4, now);
			rc = finish(st, c, s, false, id, "failed", now, NULL, ws);
		}
	}
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

static int sq_job_finish_canceled(struct store *st, const char *id, const char *token, int64_t now)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_JOB_FINISH_CANCELED);
	int rc = MD_EIO;
	char ws[MD_UUID_LEN];
	if (s) {
		bind_text(s, 1, id);
		bind_text(s, 2, token);
		sqlite3_bind_int64(s, 3, now);
		rc = finish(st, c, s, false, id, "canceled", now, NULL, ws);
	}
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

static int sq_job_cancel(struct store *st, const char *ws_id, const char *id, int64_t now,
                         bool *now_terminal)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	int rc = MD_EIO;
	char ws[MD_UUID_LEN];
	*now_terminal = false;
	sqlite3_stmt *s = sq_stmt(c, SQL_JOB_CANCEL_QUEUED);
	if (!s)
		goto out;
	bind_text(s, 1, id);
	bind_text(s, 2, ws_id);
	sqlite3_bind_int64(s, 3, now);
	rc = finish(st, c, s, false, id, "canceled", now, NULL, ws);
	if (rc != MD_ECONFLICT) {
		*now_terminal = rc == 0;
		goto out;
	}
	s = sq_stmt(c, SQL_JOB_CANCEL_RUNNING);
	rc = MD_EIO;
	if (!s)
		goto out;
	bind_text(s, 1, id);
	bind_text(s, 2, ws_id);
	sqlite3_bind_int64(s, 3, now);
	rc = step_done(c, s);
	if (rc || sqlite3_changes(c->db) > 0)
		goto out;
	s = sq_stmt(c, SQL_JOB_STATUS);
	rc = MD_EIO;
	if (!s)
		goto out;
	bind_text(s, 1, id);
	bind_text(s, 2, ws_id);
	rc = sqlite3_step(s) == SQLITE_ROW ? MD_ECONFLICT : MD_ENOTFOUND;
	sqlite3_reset(s);
out:;
	/* A conflict or a miss changed nothing; commit keeps the code path simple. */
	int erc = sq_write_end(&SQ(st)->pool, rc == 0 || rc == MD_ECONFLICT || rc == MD_ENOTFOUND);
	return rc ? rc : erc;
}

static int sq_job_unlease(struct store *st, const char *id, const char *token, int64_t now)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_JOB_UNLEASE);
	int rc = MD_EIO;
	if (s) {
		bind_text(s, 1, id);
		bind_text(s, 2, token);
		sqlite3_bind_int64(s, 3, now);
		rc = step_done(c, s);
		if (!rc && sqlite3_changes(c->db) == 0)
			rc = MD_ECONFLICT;
		if (!rc)
			rc = state_event(c, id, "progress", "queued", "requeued", 0, NULL, now);
		if (!rc)
			notify(st, id);
	}
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

static int sq_blob_get(struct store *st, const char *ws_id, const char *id, void **data,
                       size_t *len)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_BLOB_GET);
	int rc = MD_EIO;
	if (s) {
		bind_text(s, 1, id);
		bind_text(s, 2, ws_id);
		int r = sqlite3_step(s);
		if (r == SQLITE_ROW) {
			size_t n = (size_t)sqlite3_column_bytes(s, 0);
			void *d = md_malloc(n);
			if (d) {
				if (n)
					memcpy(d, sqlite3_column_blob(s, 0), n);
				*data = d;
				*len = n;
				rc = 0;
			} else {
				rc = MD_ENOMEM;
			}
		} else {
			rc = r == SQLITE_DONE ? MD_ENOTFOUND : MD_EIO;
		}
		sqlite3_reset(s);
	}
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

static int sq_queue_stats(struct store *st, struct store_queue_stats *out)
{
	memset(out, 0, sizeof *out);
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_JOB_COUNTS);
	int rc = s ? 0 : MD_EIO;
	while (s && sqlite3_step(s) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(s, 0);
		int64_t n = sqlite3_column_int64(s, 1);
		store_queue_stats_add(out, status, n);
	}
	if (s)
		sqlite3_reset(s);
	s = rc ? NULL : sq_stmt(c, SQL_JOB_AVG_RUN);
	if (s && sqlite3_step(s) == SQLITE_ROW)
		out->avg_run_ms = sqlite3_column_double(s, 0);
	if (s)
		sqlite3_reset(s);
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

static int sq_job_queue_position(struct store *st, const char *id, int64_t *ahead)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_JOB_POSITION);
	int rc = MD_EIO;
	if (s) {
		bind_text(s, 1, id);
		if (sqlite3_step(s) == SQLITE_ROW) {
			*ahead = sqlite3_column_int64(s, 0);
			rc = 0;
		}
		sqlite3_reset(s);
	}
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

/* ---- events ---- */

static int sq_events_list(struct store *st, const char *job_id, int64_t after_id, int max,
                          int (*cb)(void *ctx, const struct store_event *e), void *ctx)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_EVENT_LIST);
	int rc = s ? 0 : MD_EIO;
	if (s) {
		bind_text(s, 1, job_id);
		sqlite3_bind_int64(s, 2, after_id);
		sqlite3_bind_int(s, 3, max);
	}
	while (!rc && sqlite3_step(s) == SQLITE_ROW) {
		struct store_event e;
		e.id = sqlite3_column_int64(s, 0);
		col_copy(s, 1, e.type, sizeof e.type);
		e.data = (const char *)sqlite3_column_text(s, 2);
		e.created_at = sqlite3_column_int64(s, 3);
		rc = cb(ctx, &e);
	}
	if (s)
		sqlite3_reset(s);
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

/* ---- webhook deliveries ---- */

static int delivery_from_row(sqlite3_stmt *s, struct store_delivery *d)
{
	memset(d, 0, sizeof *d);
	col_copy(s, 0, d->id, sizeof d->id);
	col_copy(s, 1, d->workspace_id, sizeof d->workspace_id);
	col_copy(s, 2, d->job_id, sizeof d->job_id);
	col_copy(s, 3, d->event_type, sizeof d->event_type);
	col_copy(s, 4, d->status, sizeof d->status);
	d->attempts = sqlite3_column_int(s, 5);
	d->next_attempt_at = sqlite3_column_int64(s, 6);
	d->last_status = sqlite3_column_int(s, 7);
	d->created_at = sqlite3_column_int64(s, 8);
	d->updated_at = sqlite3_column_int64(s, 9);
	d->url = col_dup(s, 10);
	d->payload = col_dup(s, 11);
	d->last_error = col_dup(s, 12);
	if (!d->url || !d->payload) {
		store_delivery_release(d);
		return MD_ENOMEM;
	}
	return 0;
}

static int sq_delivery_claim(struct store *st, int64_t now, int64_t lease_ms,
                             struct store_delivery *out)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_DELIVERY_CLAIM);
	int rc = MD_EIO;
	if (s) {
		sqlite3_bind_int64(s, 1, now);
		sqlite3_bind_int64(s, 2, now + lease_ms);
		int r = sqlite3_step(s);
		if (r == SQLITE_ROW)
			rc = delivery_from_row(s, out);
		else
			rc = r == SQLITE_DONE ? MD_ENOTFOUND : MD_EIO;
		sqlite3_reset(s);
	}
	int erc = sq_write_end(&SQ(st)->pool, rc == 0 || rc == MD_ENOTFOUND);
	if (!rc && erc)
		store_delivery_release(out);
	return rc ? rc : erc;
}

static int sq_delivery_record(struct store *st, const char *id, const struct store_attempt *a,
                              const char *next_status, int64_t next_at)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	int rc = MD_EIO;
	sqlite3_stmt *s = sq_stmt(c, SQL_ATTEMPT_INSERT);
	if (s) {
		bind_text(s, 1, id);
		sqlite3_bind_int(s, 2, a->attempt);
		sqlite3_bind_int64(s, 3, a->at);
		if (a->http_status)
			sqlite3_bind_int(s, 4, a->http_status);
		bind_text(s, 5, a->outcome);
		bind_text(s, 6, a->error);
		sqlite3_bind_int64(s, 7, a->duration_ms);
		rc = step_done(c, s);
	}
	s = rc ? NULL : sq_stmt(c, SQL_DELIVERY_RECORD);
	if (s) {
		bind_text(s, 1, id);
		bind_text(s, 2, next_status);
		sqlite3_bind_int64(s, 3, next_at);
		if (a->http_status)
			sqlite3_bind_int(s, 4, a->http_status);
		bind_text(s, 5, a->error);
		sqlite3_bind_int64(s, 6, a->at);
		sqlite3_bind_int(s, 7, a->attempt);
		rc = step_done(c, s);
		if (!rc && sqlite3_changes(c->db) == 0)
			rc = MD_ECONFLICT; /* another node owns this delivery now */
	}
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

static int sq_delivery_list(struct store *st, const char *ws_id, const char *job_id,
                            int (*cb)(void *ctx, const struct store_delivery *d), void *ctx)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_DELIVERY_LIST);
	int rc = s ? 0 : MD_EIO;
	if (s) {
		bind_text(s, 1, ws_id);
		bind_text(s, 2, job_id);
	}
	while (!rc && sqlite3_step(s) == SQLITE_ROW) {
		struct store_delivery d;
		rc = delivery_from_row(s, &d);
		if (!rc) {
			rc = cb(ctx, &d);
			store_delivery_release(&d);
		}
	}
	if (s)
		sqlite3_reset(s);
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

static int sq_delivery_attempts(struct store *st, const char *delivery_id,
                                int (*cb)(void *ctx, const struct store_attempt *a), void *ctx)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_ATTEMPT_LIST);
	int rc = s ? 0 : MD_EIO;
	if (s)
		bind_text(s, 1, delivery_id);
	while (!rc && sqlite3_step(s) == SQLITE_ROW) {
		struct store_attempt a;
		a.attempt = sqlite3_column_int(s, 0);
		a.at = sqlite3_column_int64(s, 1);
		a.http_status = sqlite3_column_int(s, 2);
		a.outcome = (const char *)sqlite3_column_text(s, 3);
		a.error = (const char *)sqlite3_column_text(s, 4);
		a.duration_ms = sqlite3_column_int64(s, 5);
		rc = cb(ctx, &a);
	}
	if (s)
		sqlite3_reset(s);
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

static int sq_delivery_redeliver(struct store *st, const char *ws_id, const char *id, int64_t now)
{
	int64_t v[1] = { now };
	return write_simple(st, SQL_DELIVERY_REDELIVER, id, ws_id, v, 1);
}

static int sq_delivery_counts(struct store *st, int64_t *pending, int64_t *succeeded,
                              int64_t *failed)
{
	*pending = *succeeded = *failed = 0;
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = sq_stmt(c, SQL_DELIVERY_COUNTS);
	while (s && sqlite3_step(s) == SQLITE_ROW) {
		const char *status = (const char *)sqlite3_column_text(s, 0);
		int64_t n = sqlite3_column_int64(s, 1);
		store_delivery_counts_add(status, n, pending, succeeded, failed);
	}
	if (s)
		sqlite3_reset(s);
	sq_reader_put(&SQ(st)->pool, c);
	return s ? 0 : MD_EIO;
}

static const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.free = sq_free,
	.ping = sq_ping,
	.workspace_create = sq_workspace_create,
	.workspace_get = sq_workspace_get,
	.workspace_set_rate = sq_workspace_set_rate,
	.workspace_rotate_secret = sq_workspace_rotate_secret,
	.key_create = sq_key_create,
	.key_find = sq_key_find,
	.key_list = sq_key_list,
	.key_revoke = sq_key_revoke,
	.credits_add = sq_credits_add,
	.credits_balance = sq_credits_balance,
	.credits_ledger = sq_credits_ledger,
	.idem_begin = sq_idem_begin,
	.idem_abort = sq_idem_abort,
	.idem_sweep = sq_idem_sweep,
	.job_submit = sq_job_submit,
	.job_get = sq_job_get,
	.job_list = sq_job_list,
	.job_claim = sq_job_claim,
	.job_rescue = sq_job_rescue,
	.job_progress = sq_job_progress,
	.job_succeed = sq_job_succeed,
	.job_fail = sq_job_fail,
	.job_finish_canceled = sq_job_finish_canceled,
	.job_cancel = sq_job_cancel,
	.job_unlease = sq_job_unlease,
	.blob_get = sq_blob_get,
	.queue_stats = sq_queue_stats,
	.job_queue_position = sq_job_queue_position,
	.events_list = sq_events_list,
	.delivery_claim = sq_delivery_claim,
	.delivery_record = sq_delivery_record,
	.delivery_list = sq_delivery_list,
	.delivery_attempts = sq_delivery_attempts,
	.delivery_redeliver = sq_delivery_redeliver,
	.delivery_counts = sq_delivery_counts,
	.lk_dataset_create = sq_lk_dataset_create,
	.blob_upload_begin = sq_blob_upload_begin,
	.blob_chunk_put = sq_blob_chunk_put,
	.blob_upload_abort = sq_blob_upload_abort,
	.blob_upload_sweep = sq_blob_upload_sweep,
	.blob_chunk_stat = sq_blob_chunk_stat,
	.blob_chunk_read = sq_blob_chunk_read,
	.lk_dataset_commit = sq_lk_dataset_commit,
	.lk_dataset_get = sq_lk_dataset_get,
	.lk_dataset_list = sq_lk_dataset_list,
	.lk_dataset_delete = sq_lk_dataset_delete,
	.lk_config_create = sq_lk_config_create,
	.lk_config_get = sq_lk_config_get,
	.lk_config_update = sq_lk_config_update,
	.lk_config_list = sq_lk_config_list,
	.lk_config_delete = sq_lk_config_delete,
	.lk_rows_put = sq_lk_rows_put,
	.lk_rows_list = sq_lk_rows_list,
	.lk_rows_stats = sq_lk_rows_stats,
	.lk_share_open = sq_lk_share_open,
	.lk_share_plan = sq_lk_share_plan,
	.lk_share_claim = sq_lk_share_claim,
	.lk_share_submit = sq_lk_share_submit,
	.lk_share_release = sq_lk_share_release,
	.lk_share_parts = sq_lk_share_parts,
	.lk_share_close = sq_lk_share_close,
	.lk_share_sweep = sq_lk_share_sweep,
};

int store_sqlite_open(const char *url, struct store **out, char *err, size_t errcap)
{
	const char *path = strncmp(url, "sqlite:", 7) == 0 ? url + 7 : url;
	if (!*path) {
		snprintf(err, errcap, "empty database path in %s", url);
		return MD_EINVAL;
	}
	struct sq_store *sq = md_calloc(1, sizeof *sq);
	if (!sq)
		return MD_ENOMEM;
	sq->base.ops = &sqlite_ops;
	int rc = sq_pool_init(&sq->pool, path, err, errcap);
	if (rc) {
		md_free(sq);
		return rc;
	}
	sq->pool.owner = &sq->base;
	rc = migrate(&sq->base, err, errcap);
	if (rc) {
		sq_free(&sq->base);
		return rc;
	}
	*out = &sq->base;
	return 0;
}
