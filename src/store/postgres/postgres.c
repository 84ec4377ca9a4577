/*
 * postgres.c: the PostgreSQL implementation of store.h, for several matchd nodes on one
 * database. Claims take rows with FOR UPDATE SKIP LOCKED; every job change sends
 * NOTIFY matchd_jobs with the job id, and a listener connection turns the notifications of
 * every node into local wake-ups (workers, SSE streams). Migrations run under an advisory lock
 * so nodes starting together do not race.
 */
#include "store/store_backend.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <stdatomic.h>

#include "base/common.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "migrations_pg.h"
#include "store/postgres/pool.h"
#include "store/postgres/postgres_int.h"

#define PG_MIGRATION_LOCK 0x6d61746368 /* "match" */
#define PG_CHANNEL "matchd_jobs"

/* ---- transactions ---- */

/* One operation: a connection, and whether it runs inside BEGIN … COMMIT. */
struct op {
	struct pg_store *s;
	struct pg_conn *c;
	bool tx;
	int err;
	char notify[MD_UUID_LEN];       /* NOTIFY at commit, and tell the local listener */
	char notify_local[MD_UUID_LEN]; /* the statement notified: tell the local listener */
};

static int op_begin(struct op *o, struct store *st, bool tx)
{
	memset(o, 0, sizeof *o);
	o->s = PG(st);
	o->c = pg_get(&o->s->pool);
	if (!o->c)
		return MD_EUNAVAIL;
	o->tx = tx;
	if (tx && pg_cmd(o->c, "BEGIN")) {
		pg_put(&o->s->pool, o->c);
		return MD_EUNAVAIL;
	}
	return 0;
}

/* Ends the operation: commit when rc is 0 (or ok_codes allow), notify, give the conn back. */
static int op_end(struct op *o, int rc, bool commit)
{
	/*
	 * A failed NOTIFY turns the commit into a rollback; the caller wanted a commit, so it must
	 * hear the error (a 202 for a job that was rolled back was the bug this guards against).
	 */
	const bool wanted = commit;
	int erc = 0;
	if (o->tx) {
		if (commit && o->notify[0]) {
			struct pg_params p = { 0 };
			pg_text(&p, o->notify);
			int e = 0;
			PGresult *r = pg_run(o->c, SQL_NOTIFY, &p, false, &e);
			if (r)
				PQclear(r);
			else
				commit = false, erc = e;
		}
		int crc = pg_cmd(o->c, commit ? "COMMIT" : "ROLLBACK");
		if (commit && crc)
			erc = crc;
	}
	pg_put(&o->s->pool, o->c);
	/* The local node hears its own changes at once; others through LISTEN. */
	struct store *st = &o->s->base;
	if (commit && !erc && o->notify[0] && st->listener)
		st->listener(st->listener_ctx, o->notify);
	if (commit && !erc && o->notify_local[0] && st->listener)
		st->listener(st->listener_ctx, o->notify_local);
	return rc ? rc : (wanted ? erc : 0);
}

/* Runs statement id on the operation's connection; NULL on failure (o->err set). */
static PGresult *run(struct op *o, enum sql_id id, const struct pg_params *p)
{
	return pg_run(o->c, id, p, false, &o->err);
}

/* Runs a statement that returns no rows of interest; 0 or the error. */
static int exec(struct op *o, enum sql_id id, const struct pg_params *p, int *changed)
{
	PGresult *r = run(o, id, p);
	if (!r)
		return o->err;
	if (changed)
		*changed = (int)strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return 0;
}

static int new_id(char out[MD_UUID_LEN], int64_t now)
{
	return md_uuid7(now, out);
}

/* ---- migrations ---- */

static int exec_sql(PGconn *c, const char *sql, char *err, size_t cap)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : MD_EIO;
	if (rc)
		snprintf(err, cap, "%s", PQerrorMessage(c));
	PQclear(r);
	return rc;
}

/* Applies the missing migrations under an advisory lock, each in its own transaction. */
static int migrate(struct pg_store *s, char *err, size_t cap)
{
	struct pg_conn *c = pg_get(&s->pool);
	if (!c) {
		snprintf(err, cap, "PostgreSQL unreachable");
		return MD_EUNAVAIL;
	}
	char sql[256];
	snprintf(sql, sizeof sql, "SELECT pg_advisory_lock(%lld)", (long long)PG_MIGRATION_LOCK);
	int rc = exec_sql(c->c, sql, err, cap);
	if (!rc)
		rc =
		    exec_sql(c->c,
		             "CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY "
		             "KEY, applied_at BIGINT NOT NULL)",
		             err, cap);
	for (size_t i = 0; !rc && i < pg_migrations_count; i++) {
		int v = store_migration_version(pg_migrations_files[i].name);
		snprintf(sql, sizeof sql, "SELECT 1 FROM schema_migrations WHERE version = %d", v);
		PGresult *r = PQexec(c->c, sql);
		bool applied = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1;
		PQclear(r);
		if (applied)
			continue;
		char *script = md_strndup(pg_migrations_files[i].data, pg_migrations_files[i].len);
		if (!script) {
			rc = MD_ENOMEM;
			break;
		}
		rc = exec_sql(c->c, "BEGIN", err, cap);
		if (!rc)
			rc = exec_sql(c->c, script, err, cap);
		snprintf(sql, sizeof sql,
		         "INSERT INTO schema_migrations VALUES (%d, "
		         "(extract(epoch FROM now()) * 1000)::bigint)",
		         v);
		if (!rc)
			rc = exec_sql(c->c, sql, err, cap);
		if (!rc)
			rc = exec_sql(c->c, "COMMIT", err, cap);
		else
			PQclear(PQexec(c->c, "ROLLBACK"));
		md_free(script);
		if (!rc)
			md_logf(MD_LOG_INFO, "applied migration %s (postgres)",
			        pg_migrations_files[i].name);
	}
	snprintf(sql, sizeof sql, "SELECT pg_advisory_unlock(%lld)", (long long)PG_MIGRATION_LOCK);
	PQclear(PQexec(c->c, sql));
	pg_put(&s->pool, c);
	return rc;
}

static int pg_ping(struct store *st, int *version)
{
	struct op o;
	if (op_begin(&o, st, false))
		return MD_EUNAVAIL;
	PGresult *r = PQexec(o.c->c, "SELECT coalesce(max(version), 0) FROM schema_migrations");
	int rc = MD_EUNAVAIL;
	if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1) {
		*version = (int)pg_geti(r, 0, 0);
		int newest =
		    pg_migrations_count
		        ? store_migration_version(pg_migrations_files[pg_migrations_count - 1].name)
		        : 0;
		rc = *version >= newest ? 0 : MD_ECONFLICT;
	}
	PQclear(r);
	return op_end(&o, rc, false);
}

static void pg_ignore_notice(void *arg, const char *message)
{
}

/* ---- the listener: NOTIFY from any node becomes a local wake-up ---- */

static void *listener_main(void *arg)
{
	struct pg_store *s = arg;
	PGconn *c = NULL;
	int backoff_ms = 100;
	while (!atomic_load(&s->stopping)) {
		if (!c || PQstatus(c) != CONNECTION_OK) {
			if (c)
				PQfinish(c);
			c = PQconnectdb(s->pool.conninfo);
			PQsetNoticeProcessor(c, pg_ignore_notice, NULL);
			PGresult *r =
			    PQstatus(c) == CONNECTION_OK ? PQexec(c, "LISTEN " PG_CHANNEL) : NULL;
			bool ok = r && PQresultStatus(r) == PGRES_COMMAND_OK;
			PQclear(r);
			if (!ok) {
				struct pollfd w = { .fd = s->stop_fd, .events = POLLIN };
				poll(&w, 1, backoff_ms);
				backoff_ms = backoff_ms < 2000 ? backoff_ms * 2 : 2000;
				continue;
			}
			backoff_ms = 100;
			/* Anything may have happened while we were away: wake everyone. */
			if (s->base.listener)
				s->base.listener(s->base.listener_ctx, "*");
		}
		struct pollfd pfd[2] = { { .fd = PQsocket(c), .events = POLLIN },
			                 { .fd = s->stop_fd, .events = POLLIN } };
		if (poll(pfd, 2, 5000) <= 0 || pfd[1].revents)
			continue;
		if (!PQconsumeInput(c))
			continue;
		PGnotify *n;
		while ((n = PQnotifies(c))) {
			if (s->base.listener)
				s->base.listener(s->base.listener_ctx, n->extra);
			PQfreemem(n);
		}
	}
	if (c)
		PQfinish(c);
	return NULL;
}

/* Only servers and workers listen; one-shot commands (the CLI) never start the thread. */
static void pg_listen(struct store *st)
{
	struct pg_store *s = PG(st);
	if (!s->listener_started && s->stop_fd >= 0)
		s->listener_started = pthread_create(&s->listener, NULL, listener_main, s) == 0;
}

static void pg_free(struct store *st)
{
	struct pg_store *s = PG(st);
	atomic_store(&s->stopping, true);
	if (s->listener_started) {
		uint64_t one = 1;
		ssize_t w = write(s->stop_fd, &one, sizeof one);
		(void)w;
		pthread_join(s->listener, NULL);
	}
	if (s->stop_fd >= 0)
		close(s->stop_fd);
	pg_pool_release(&s->pool);
	md_free(s);
}

/* ---- rate limits ---- */

static int pg_rate_take(struct store *st, const char *key_id, int64_t interval_us, int64_t tau_us,
                        bool *allowed, int64_t *tat_us, int64_t *now_us)
{
	struct op o;
	if (op_begin(&o, st, false))
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, key_id);
	pg_i64(&p, interval_us);
	pg_i64(&p, tau_us);
	PGresult *r = run(&o, SQL_RATE_TAKE, &p);
	int rc = r ? 0 : o.err;
	if (r && PQntuples(r) == 1) {
		*allowed = true;
		*tat_us = pg_geti(r, 0, 0);
		*now_us = pg_geti(r, 0, 1);
	} else if (r) {
		/* Refused: read the state to tell the client when to come back. */
		struct pg_params q = { 0 };
		pg_text(&q, key_id);
		PGresult *g = run(&o, SQL_RATE_GET, &q);
		*allowed = false;
		if (g && PQntuples(g) == 1) {
			*tat_us = pg_geti(g, 0, 0);
			*now_us = pg_geti(g, 0, 1);
		} else {
			rc = g ? MD_EIO : o.err;
		}
		if (g)
			PQclear(g);
	}
	if (r)
		PQclear(r);
	return op_end(&o, rc, false);
}

/* ---- workspaces ---- */

static void ws_from_row(const PGresult *r, int i, struct store_workspace *w)
{
	pg_gets(r, i, 0, w->id, sizeof w->id);
	pg_gets(r, i, 1, w->name, sizeof w->name);
	w->rate_limit = pg_geti(r, i, 2);
	w->rate_period_ms = pg_geti(r, i, 3);
	w->rate_burst = pg_geti(r, i, 4);
	pg_gets(r, i, 5, w->webhook_secret, sizeof w->webhook_secret);
	pg_gets(r, i, 6, w->webhook_secret_prev, sizeof w->webhook_secret_prev);
	w->webhook_secret_prev_until = pg_geti(r, i, 7);
}

static int insert_ledger(struct op *o, const char *ws_id, int64_t amount, const char *reason,
                         const char *job_id, int64_t now)
{
	char id[MD_UUID_LEN];
	if (new_id(id, now))
		return MD_EIO;
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_text(&p, ws_id);
	pg_i64(&p, amount);
	pg_text(&p, reason);
	pg_text(&p, job_id);
	pg_i64(&p, now);
	return exec(o, SQL_LEDGER_INSERT, &p, NULL);
}

static int pg_workspace_get(struct store *st, const char *key, bool by_name,
                            struct store_workspace *out);

static int pg_workspace_create(struct store *st, const char *name, int64_t credits,
                               const char *webhook_secret, struct store_workspace *out)
{
	int64_t now = md_now_ms();
	char id[MD_UUID_LEN];
	struct op o;
	if (new_id(id, now))
		return MD_EIO;
	if (op_begin(&o, st, true))
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_text(&p, name);
	pg_text(&p, webhook_secret);
	pg_i64(&p, now);
	int rc = exec(&o, SQL_WS_INSERT, &p, NULL);
	if (!rc && credits > 0)
		rc = insert_ledger(&o, id, credits, "grant", NULL, now);
	rc = op_end(&o, rc, rc == 0);
	return rc ? rc : pg_workspace_get(st, id, false, out);
}

/* Reads at most one row of statement id with params p into the callback's struct. */
static int read_one(struct store *st, enum sql_id id, const struct pg_params *p,
                    void (*fill)(const PGresult *r, void *out), void *out)
{
	struct op o;
	if (op_begin(&o, st, false))
		return MD_EUNAVAIL;
	PGresult *r = run(&o, id, p);
	int rc = r ? (PQntuples(r) == 1 ? 0 : MD_ENOTFOUND) : o.err;
	if (!rc)
		fill(r, out);
	if (r)
		PQclear(r);
	return op_end(&o, rc, false);
}

static void fill_ws(const PGresult *r, void *out)
{
	ws_from_row(r, 0, out);
}

static int pg_workspace_get(struct store *st, const char *key, bool by_name,
                            struct store_workspace *out)
{
	struct pg_params p = { 0 };
	pg_text(&p, key);
	return read_one(st, by_name ? SQL_WS_BY_NAME : SQL_WS_BY_ID, &p, fill_ws, out);
}

/* One write statement in its own transaction; MD_ENOTFOUND when it changed nothing. */
static int write_one(struct store *st, enum sql_id id, const struct pg_params *p)
{
	struct op o;
	if (op_begin(&o, st, true))
		return MD_EUNAVAIL;
	int changed = 0;
	int rc = exec(&o, id, p, &changed);
	if (!rc && changed == 0)
		rc = MD_ENOTFOUND;
	return op_end(&o, rc, rc == 0);
}

static int pg_workspace_set_rate(struct store *st, const char *ws_id, int64_t limit,
                                 int64_t period_ms, int64_t burst)
{
	struct pg_params p = { 0 };
	pg_text(&p, ws_id);
	pg_i64(&p, limit);
	pg_i64(&p, period_ms);
	pg_i64(&p, burst);
	return write_one(st, SQL_WS_SET_RATE, &p);
}

static int pg_workspace_rotate_secret(struct store *st, const char *ws_id, const char *new_secret,
                                      int64_t prev_until)
{
	struct pg_params p = { 0 };
	pg_text(&p, ws_id);
	pg_text(&p, new_secret);
	pg_i64(&p, prev_until);
	return write_one(st, SQL_WS_ROTATE, &p);
}

/* ---- keys ---- */

static void key_from_row(const PGresult *r, int i, struct store_key *k)
{
	pg_gets(r, i, 0, k->id, sizeof k->id);
	pg_gets(r, i, 1, k->workspace_id, sizeof k->workspace_id);
	pg_gets(r, i, 2, k->workspace_name, sizeof k->workspace_name);
	pg_gets(r, i, 3, k->prefix, sizeof k->prefix);
	k->permissions = (uint32_t)pg_geti(r, i, 4);
	k->created_at = pg_geti(r, i, 5);
	k->revoked_at = pg_geti(r, i, 6);
	k->rate_limit = pg_geti(r, i, 7);
	k->rate_period_ms = pg_geti(r, i, 8);
	k->rate_burst = pg_geti(r, i, 9);
}

static void fill_key(const PGresult *r, void *out)
{
	key_from_row(r, 0, out);
}

static int pg_key_find(struct store *st, const char *hash_hex, struct store_key *out)
{
	struct pg_params p = { 0 };
	pg_text(&p, hash_hex);
	return read_one(st, SQL_KEY_FIND, &p, fill_key, out);
}

static int pg_key_create(struct store *st, const char *ws_id, const char *hash_hex,
                         const char *prefix, uint32_t permissions, struct store_key *out)
{
	int64_t now = md_now_ms();
	char id[MD_UUID_LEN];
	if (new_id(id, now))
		return MD_EIO;
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_text(&p, ws_id);
	pg_text(&p, hash_hex);
	pg_text(&p, prefix);
	pg_i64(&p, permissions);
	pg_i64(&p, now);
	int rc = write_one(st, SQL_KEY_INSERT, &p);
	return rc ? rc : pg_key_find(st, hash_hex, out);
}

static int pg_key_list(struct store *st, int (*cb)(void *ctx, const struct store_key *k), void *ctx)
{
	struct op o;
	if (op_begin(&o, st, false))
		return MD_EUNAVAIL;
	PGresult *r = run(&o, SQL_KEY_LIST, NULL);
	int rc = r ? 0 : o.err;
	for (int i = 0; r && !rc && i < PQntuples(r); i++) {
		struct store_key k;
		key_from_row(r, i, &k);
		rc = cb(ctx, &k);
	}
	if (r)
		PQclear(r);
	return op_end(&o, rc, false);
}

static int pg_key_revoke(struct store *st, const char *key_id)
{
	struct pg_params p = { 0 };
	pg_text(&p, key_id);
	pg_i64(&p, md_now_ms());
	return write_one(st, SQL_KEY_REVOKE, &p);
}

/* ---- credits ---- */

static int pg_credits_add(struct store *st, const char *ws_id, int64_t amount, const char *reason)
{
	struct op o;
	if (op_begin(&o, st, true))
		return MD_EUNAVAIL;
	int rc = insert_ledger(&o, ws_id, amount, reason, NULL, md_now_ms());
	return op_end(&o, rc, rc == 0);
}

static void fill_i64(const PGresult *r, void *out)
{
	*(int64_t *)out = pg_geti(r, 0, 0);
}

static int pg_credits_balance(struct store *st, const char *ws_id, int64_t *balance)
{
	struct pg_params p = { 0 };
	pg_text(&p, ws_id);
	return read_one(st, SQL_BALANCE, &p, fill_i64, balance);
}

static int pg_credits_ledger(struct store *st, const char *ws_id, const char *cursor, int limit,
                             int (*cb)(void *ctx, const struct store_ledger_entry *e), void *ctx)
{
	struct op o;
	if (op_begin(&o, st, false))
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, ws_id);
	pg_text(&p, cursor ? cursor : "");
	pg_i64(&p, limit);
	PGresult *r = run(&o, SQL_LEDGER_LIST, &p);
	int rc = r ? 0 : o.err;
	for (int i = 0; r && !rc && i < PQntuples(r); i++) {
		struct store_ledger_entry e;
		pg_gets(r, i, 0, e.id, sizeof e.id);
		e.amount = pg_geti(r, i, 1);
		pg_gets(r, i, 2, e.reason, sizeof e.reason);
		pg_gets(r, i, 3, e.job_id, sizeof e.job_id);
		e.created_at = pg_geti(r, i, 4);
		rc = cb(ctx, &e);
	}
	if (r)
		PQclear(r);
	return op_end(&o, rc, false);
}

/* ---- idempotency ---- */

/* Reads the key's row; *found false when absent. */
static int idem_read(struct op *o, const char *ws_id, const char *key, bool *found, char *fp,
                     size_t fpcap, char rid[MD_UUID_LEN], int64_t *created)
{
	struct pg_params p = { 0 };
	pg_text(&p, ws_id);
	pg_text(&p, key);
	PGresult *r = run(o, SQL_IDEM_GET, &p);
	if (!r)
		return o->err;
	*found = PQntuples(r) == 1;
	if (*found) {
		pg_gets(r, 0, 0, fp, fpcap);
		pg_gets(r, 0, 1, rid, MD_UUID_LEN);
		*created = pg_geti(r, 0, 2);
	}
	PQclear(r);
	return 0;
}

static enum store_idem_state idem_state(const char *fp, const char *fingerprint, const char *rid)
{
	if (strcmp(fp, fingerprint) != 0)
		return STORE_IDEM_MISMATCH;
	return rid[0] ? STORE_IDEM_REPLAY : STORE_IDEM_IN_FLIGHT;
}

/*
 * The unique key (workspace, key) makes two nodes racing on one key agree: the second INSERT
 * waits for the first transaction, then inserts nothing and reads the winner's row.
 */
static int pg_idem_begin(struct store *st, const char *ws_id, const char *key,
                         const char *fingerprint, int64_t now, int64_t ttl_ms,
                         int64_t inflight_ttl_ms, enum store_idem_state *state,
                         char resource_id[MD_UUID_LEN])
{
	struct op o;
	if (op_begin(&o, st, true))
		return MD_EUNAVAIL;
	char fp[80];
	bool found = false;
	int64_t created = 0;
	int rc = idem_read(&o, ws_id, key, &found, fp, sizeof fp, resource_id, &created);
	if (!rc && found) {
		bool in_flight = resource_id[0] == '\0';
		if (now - created <= (in_flight ? inflight_ttl_ms : ttl_ms)) {
			*state = idem_state(fp, fingerprint, resource_id);
			return op_end(&o, 0, true);
		}
		struct pg_params d = { 0 };
		pg_text(&d, ws_id);
		pg_text(&d, key);
		rc = exec(&o, SQL_IDEM_DELETE, &d, NULL);
	}
	int inserted = 0;
	if (!rc) {
		struct pg_params p = { 0 };
		pg_text(&p, ws_id);
		pg_text(&p, key);
		pg_text(&p, fingerprint);
		pg_i64(&p, now);
		rc = exec(&o, SQL_IDEM_INSERT, &p, &inserted);
	}
	if (!rc && inserted == 1) {
		*state = STORE_IDEM_NEW;
		resource_id[0] = '\0';
	} else if (rc == MD_ECONFLICT) {
		/* Another node inserted the key first: report its state. */
		PQclear(PQexec(o.c->c, "ROLLBACK"));
		PQclear(PQexec(o.c->c, "BEGIN"));
		rc = idem_read(&o, ws_id, key, &found, fp, sizeof fp, resource_id, &created);
		if (!rc)
			*state =
			    found ? idem_state(fp, fingerprint, resource_id) : STORE_IDEM_IN_FLIGHT;
	}
	return op_end(&o, rc, rc == 0);
}

static int pg_idem_abort(struct store *st, const char *ws_id, const char *key)
{
	struct pg_params p = { 0 };
	pg_text(&p, ws_id);
	pg_text(&p, key);
	int rc = write_one(st, SQL_IDEM_DELETE, &p);
	return rc == MD_ENOTFOUND ? 0 : rc;
}

static int pg_idem_sweep(struct store *st, int64_t cutoff, int *n)
{
	struct op o;
	if (op_begin(&o, st, true))
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_i64(&p, cutoff);
	int rc = exec(&o, SQL_IDEM_SWEEP, &p, n);
	return op_end(&o, rc, rc == 0);
}

/* ---- jobs ---- */

static int job_from_row(const PGresult *r, int i, struct store_job *j)
{
	memset(j, 0, sizeof *j);
	bool oom = false;
	pg_gets(r, i, 0, j->id, sizeof j->id);
	pg_gets(r, i, 1, j->workspace_id, sizeof j->workspace_id);
	pg_gets(r, i, 2, j->kind, sizeof j->kind);
	pg_gets(r, i, 3, j->status, sizeof j->status);
	pg_gets(r, i, 4, j->stage, sizeof j->stage);
	j->progress = pg_getf(r, i, 5);
	j->attempts = (int)pg_geti(r, i, 6);
	j->max_attempts = (int)pg_geti(r, i, 7);
	j->price = pg_geti(r, i, 8);
	j->cancel_requested = pg_geti(r, i, 9) != 0;
	j->created_at = pg_geti(r, i, 10);
	j->started_at = pg_geti(r, i, 11);
	j->finished_at = pg_geti(r, i, 12);
	j->updated_at = pg_geti(r, i, 13);
	j->run_after = pg_geti(r, i, 14);
	pg_gets(r, i, 15, j->lease_token, sizeof j->lease_token);
	j->input = pg_getdup(r, i, 16, &oom);
	j->result = pg_getdup(r, i, 17, &oom);
	j->error = pg_getdup(r, i, 18, &oom);
	j->webhook_url = pg_getdup(r, i, 19, &oom);
	if (oom || !j->input) {
		store_job_release(j);
		return MD_ENOMEM;
	}
	return 0;
}

static int insert_event(struct op *o, const char *job_id, const char *type, const char *data,
                        int64_t now)
{
	struct pg_params p = { 0 };
	pg_text(&p, job_id);
	pg_text(&p, type);
	pg_text(&p, data);
	pg_i64(&p, now);
	snprintf(o->notify, sizeof o->notify, "%s", job_id);
	return exec(o, SQL_EVENT_INSERT, &p, NULL);
}

/* The event data of a state or stage change, as the SSE stream sends it; counts (JSON, may be
 * NULL) are a progress event's rows done and total. */
static int state_event(struct op *o, const char *job_id, const char *type, const char *status,
                       const char *stage, double progress, const char *counts, int64_t now)
{
	char data[STORE_EVENT_JSON_MAX];
	int rc = store_event_json(data, sizeof data, job_id, status, stage, progress, counts);
	return rc ? rc : insert_event(o, job_id, type, data, now);
}

static int queue_delivery(struct op *o, const char *ws_id, const char *job_id, const char *kind,
                          const char *status, const char *url, int64_t now)
{
	struct store *st = &o->s->base;
	if (!url || !*url || !st->payload_fn)
		return 0;
	char type[32];
	snprintf(type, sizeof type, "job.%s", status);
	char *payload = st->payload_fn(st->payload_ctx, type, job_id, kind, status, now);
	if (!payload)
		return MD_ENOMEM;
	char id[MD_UUID_LEN];
	int rc = new_id(id, now);
	if (!rc) {
		struct pg_params p = { 0 };
		pg_text(&p, id);
		pg_text(&p, ws_id);
		pg_text(&p, job_id);
		pg_text(&p, type);
		pg_text(&p, url);
		pg_text(&p, payload);
		pg_i64(&p, now);
		rc = exec(o, SQL_DELIVERY_INSERT, &p, NULL);
	}
	md_free(payload);
	return rc;
}

static int pg_job_submit(struct store *st, const struct store_job_new *jn, int64_t now,
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
	struct op o;
	if (op_begin(&o, st, true)) {
		md_free(input);
		return MD_EUNAVAIL;
	}
	int rc = 0;
	if (jn->blob) {
		struct pg_params p = { 0 };
		pg_text(&p, blob_id);
		pg_text(&p, jn->workspace_id);
		pg_text(&p, jn->blob_type ? jn->blob_type : "application/octet-stream");
		pg_bin(&p, jn->blob, jn->blob_len);
		pg_i64(&p, now);
		rc = exec(&o, SQL_BLOB_INSERT, &p, NULL);
	}
	if (!rc) {
		struct pg_params p = { 0 };
		pg_text(&p, id_out);
		pg_text(&p, jn->workspace_id);
		pg_text(&p, jn->kind);
		pg_text(&p, input);
		pg_text(&p, jn->webhook_url);
		pg_i64(&p, jn->price);
		pg_i64(&p, jn->max_attempts);
		pg_i64(&p, now);
		pg_text(&p, jn->not_on);
		rc = exec(&o, SQL_JOB_INSERT, &p, NULL);
	}
	if (!rc)
		rc = state_event(&o, id_out, "queued", "queued", "queued", 0, NULL, now);
	if (!rc && jn->idem_key) {
		struct pg_params p = { 0 };
		pg_text(&p, jn->workspace_id);
		pg_text(&p, jn->idem_key);
		pg_text(&p, id_out);
		rc = exec(&o, SQL_IDEM_COMPLETE, &p, NULL);
	}
	md_free(input);
	if (blob_id_out)
		memcpy(blob_id_out, blob_id, MD_UUID_LEN);
	return op_end(&o, rc, rc == 0);
}

static int pg_job_get(struct store *st, const char *ws_id, const char *id, struct store_job *out)
{
	struct op o;
	if (op_begin(&o, st, false))
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, id);
	if (ws_id)
		pg_text(&p, ws_id);
	PGresult *r = run(&o, ws_id ? SQL_JOB_GET : SQL_JOB_GET_ANY, &p);
	int rc = r ? (PQntuples(r) == 1 ? job_from_row(r, 0, out) : MD_ENOTFOUND) : o.err;
	if (r)
		PQclear(r);
	return op_end(&o, rc, false);
}

static int pg_job_list(struct store *st, const char *ws_id, const char *status, const char *kind,
                       const char *cursor, int limit,
                       int (*cb)(void *ctx, const struct store_job *j), void *ctx)
{
	struct op o;
	if (op_begin(&o, st, false))
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, ws_id);
	pg_text(&p, status);
	pg_text(&p, kind);
	pg_text(&p, cursor);
	pg_i64(&p, limit);
	PGresult *r = run(&o, SQL_JOB_LIST, &p);
	int rc = r ? 0 : o.err;
	for (int i = 0; r && !rc && i < PQntuples(r); i++) {
		struct store_job j;
		rc = job_from_row(r, i, &j);
		if (!rc) {
			rc = cb(ctx, &j);
			store_job_release(&j);
		}
	}
	if (r)
		PQclear(r);
	return op_end(&o, rc, false);
}

/* Fails one job whose worker died after its last attempt; *found tells whether one was. */
static int fail_exhausted(struct op *o, int64_t now, bool *found)
{
	*found = false;
	struct pg_params p = { 0 };
	pg_i64(&p, now);
	pg_text(&p, STORE_WORKER_LOST_ERROR);
	PGresult *r = run(o, SQL_JOB_EXHAUSTED, &p);
	if (!r)
		return o->err;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return 0;
	}
	char id[MD_UUID_LEN];
	pg_gets(r, 0, 0, id, sizeof id);
	PQclear(r);
	*found = true;
	struct pg_params g = { 0 };
	pg_text(&g, id);
	r = run(o, SQL_JOB_GET_ANY, &g);
	if (!r)
		return o->err;
	struct store_job j;
	int rc = PQntuples(r) == 1 ? job_from_row(r, 0, &j) : MD_ENOTFOUND;
	PQclear(r);
	if (rc)
		return rc;
	rc = state_event(o, id, "failed", "failed", "failed", j.progress, NULL, now);
	if (!rc)
		rc = queue_delivery(o, j.workspace_id, id, j.kind, "failed", j.webhook_url, now);
	store_job_release(&j);
	return rc;
}

static int pg_job_claim(struct store *st, const char *owner, int64_t now, int64_t lease_ms,
                        struct store_job *out)
{
	char token[MD_UUID_LEN];
	if (new_id(token, now))
		return MD_EIO;
	struct op o;
	if (op_begin(&o, st, false))
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, token);
	pg_text(&p, owner);
	pg_i64(&p, now + lease_ms);
	pg_i64(&p, now);
	PGresult *r = run(&o, SQL_JOB_CLAIM, &p);
	int rc = r ? (PQntuples(r) == 1 ? job_from_row(r, 0, out) : MD_ENOTFOUND) : o.err;
	if (r)
		PQclear(r);
	if (!rc)
		snprintf(o.notify, sizeof o.notify, "%s", out->id);
	return op_end(&o, rc, rc == 0);
}

/* Requeues one job whose lease expired; *found tells whether there was one. */
static int requeue_expired(struct op *o, int64_t now, bool *found)
{
	*found = false;
	struct pg_params p = { 0 };
	pg_i64(&p, now);
	PGresult *r = run(o, SQL_JOB_RESCUE, &p);
	if (!r)
		return o->err;
	char id[MD_UUID_LEN] = "";
	if (PQntuples(r) == 1)
		pg_gets(r, 0, 0, id, sizeof id);
	PQclear(r);
	if (!id[0])
		return 0;
	*found = true;
	return state_event(o, id, "progress", "queued", "requeued", 0, NULL, now);
}

#define RESCUE_BATCH 16

/*
 * One transaction per job, so nothing stays locked long and notifications name each job
 * (a transaction carries one notification here).
 */
static int pg_job_rescue(struct store *st, int64_t now, int *requeued, int *failed)
{
	*requeued = *failed = 0;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < RESCUE_BATCH; i++) {
			struct op o;
			if (op_begin(&o, st, true))
				return MD_EUNAVAIL;
			bool found = false;
			int rc = pass == 0 ? fail_exhausted(&o, now, &found)
			                   : requeue_expired(&o, now, &found);
			rc = op_end(&o, rc, rc == 0);
			if (rc)
				return rc;
			if (!found)
				break;
			if (pass == 0)
				(*failed)++;
			else
				(*requeued)++;
		}
	}
	return 0;
}

static int pg_job_progress(struct store *st, const char *id, const char *token, int64_t now,
                           int64_t lease_until, const char *stage, double progress,
                           const char *counts)
{
	struct op o;
	if (op_begin(&o, st, true))
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_text(&p, token);
	pg_i64(&p, lease_until);
	pg_text(&p, stage);
	if (stage)
		pg_f64(&p, progress);
	else
		pg_text(&p, NULL);
	pg_i64(&p, now);
	PGresult *r = run(&o, SQL_JOB_PROGRESS, &p);
	int rc = r ? (PQntuples(r) == 1 ? 0 : MD_ECONFLICT) : o.err;
	bool cancel = !rc && pg_geti(r, 0, 0) != 0;
	if (r)
		PQclear(r);
	if (!rc && stage)
		rc = state_event(&o, id, "progress", "running", stage, progress, counts, now);
	rc = op_end(&o, rc, rc == 0);
	return rc ? rc : (cancel ? MD_ECANCELED : 0);
}

/*
 * The tail of every terminal transition: the UPDATE … RETURNING workspace_id, kind, [price,]
 * webhook_url already ran (r); writes the terminal event and queues the webhook.
 */
static int finish(struct op *o, PGresult *r, bool has_price, const char *id, const char *status,
                  int64_t now, int64_t *price, char ws[MD_UUID_LEN])
{
	if (!r)
		return o->err;
	if (PQntuples(r) != 1) {
		PQclear(r);
		return MD_ECONFLICT;
	}
	char kind[32];
	bool oom = false;
	pg_gets(r, 0, 0, ws, MD_UUID_LEN);
	pg_gets(r, 0, 1, kind, sizeof kind);
	if (has_price)
		*price = pg_geti(r, 0, 2);
	char *url = pg_getdup(r, 0, has_price ? 3 : 2, &oom);
	PQclear(r);
	if (oom)
		return MD_ENOMEM;
	int rc = state_event(o, id, status, status, status, 1, NULL, now);
	if (!rc)
		rc = queue_delivery(o, ws, id, kind, status, url, now);
	md_free(url);
	return rc;
}

static int pg_job_succeed(struct store *st, const char *id, const char *token, int64_t now,
                          const char *result_json, const struct store_lk_final *final)
{
	char lid[MD_UUID_LEN];
	if (new_id(lid, now))
		return MD_EIO;
	struct op o;
	if (op_begin(&o, st, true))
		return MD_EUNAVAIL;
	/* The run's last rows first: the success below commits them, or nothing is. */
	if (final) {
		int frc = pg_rows_write(o.c, final->ws_id, id, token, final->first, final->rows,
		                        final->n);
		if (frc)
			return op_end(&o, frc, false);
	}
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_text(&p, token);
	pg_text(&p, result_json);
	pg_i64(&p, now);
	pg_text(&p, lid);
	PGresult *r = run(&o, SQL_JOB_SUCCEED, &p);
	int rc = r ? (PQntuples(r) == 1 ? 0 : MD_ECONFLICT) : o.err;
	if (!rc && !PQgetisnull(r, 0, 3)) {
		char ws[MD_UUID_LEN], kind[32];
		bool oom = false;
		pg_gets(r, 0, 0, ws, sizeof ws);
		pg_gets(r, 0, 1, kind, sizeof kind);
		char *url = pg_getdup(r, 0, 3, &oom);
		rc = oom ? MD_ENOMEM : queue_delivery(&o, ws, id, kind, "succeeded", url, now);
		md_free(url);
	}
	if (r)
		PQclear(r);
	/* The statement notified already; the local listener still hears it at once. */
	if (!rc)
		snprintf(o.notify_local, sizeof o.notify_local, "%s", id);
	return op_end(&o, rc, rc == 0);
}

static int pg_job_fail(struct store *st, const char *id, const char *token, int64_t now,
                       const char *error_json, int64_t retry_at)
{
	struct op o;
	if (op_begin(&o, st, true))
		return MD_EUNAVAIL;
	int rc;
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_text(&p, token);
	if (retry_at > 0) {
		pg_i64(&p, retry_at);
		pg_text(&p, error_json);
		pg_i64(&p, now);
		int changed = 0;
		rc = exec(&o, SQL_JOB_RETRY, &p, &changed);
		if (!rc && !changed)
			rc = MD_ECONFLICT;
		if (!rc)
			rc = state_event(&o, id, "progress", "queued", "retrying", 0, NULL, now);
	} else {
		pg_text(&p, error_json);
		pg_i64(&p, now);
		char ws[MD_UUID_LEN];
		rc = finish(&o, run(&o, SQL_JOB_FAIL, &p), false, id, "failed", now, NULL, ws);
	}
	return op_end(&o, rc, rc == 0);
}

static int pg_job_finish_canceled(struct store *st, const char *id, const char *token, int64_t now)
{
	struct op o;
	if (op_begin(&o, st, true))
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_text(&p, token);
	pg_i64(&p, now);
	char ws[MD_UUID_LEN];
	int rc =
	    finish(&o, run(&o, SQL_JOB_FINISH_CANCELED, &p), false, id, "canceled", now, NULL, ws);
	return op_end(&o, rc, rc == 0);
}

static int pg_job_cancel(struct store *st, const char *ws_id, const char *id, int64_t now,
                         bool *now_terminal)
{
	struct op o;
	if (op_begin(&o, st, true))
		return MD_EUNAVAIL;
	*now_terminal = false;
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_text(&p, ws_id);
	pg_i64(&p, now);
	char ws[MD_UUID_LEN];
	int rc =
	    finish(&o, run(&o, SQL_JOB_CANCEL_QUEUED, &p), false, id, "canceled", now, NULL, ws);
	if (rc == 0) {
		*now_terminal = true;
	} else if (rc == MD_ECONFLICT) {
		int changed = 0;
		rc = exec(&o, SQL_JOB_CANCEL_RUNNING, &p, &changed);
		if (!rc && !changed) {
			struct pg_params q = { 0 };
			pg_text(&q, id);
			pg_text(&q, ws_id);
			PGresult *r = run(&o, SQL_JOB_STATUS, &q);
			rc = r ? (PQntuples(r) == 1 ? MD_ECONFLICT : MD_ENOTFOUND) : o.err;
			if (r)
				PQclear(r);
		}
	}
	return op_end(&o, rc, rc == 0);
}

static int pg_job_unlease(struct store *st, const char *id, const char *token, int64_t now)
{
	struct op o;
	if (op_begin(&o, st, true))
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_text(&p, token);
	pg_i64(&p, now);
	int changed = 0;
	int rc = exec(&o, SQL_JOB_UNLEASE, &p, &changed);
	if (!rc && !changed)
		rc = MD_ECONFLICT;
	if (!rc)
		rc = state_event(&o, id, "progress", "queued", "requeued", 0, NULL, now);
	return op_end(&o, rc, rc == 0);
}

static int pg_blob_get(struct store *st, const char *ws_id, const char *id, void **data,
                       size_t *len)
{
	struct op o;
	if (op_begin(&o, st, false))
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_text(&p, ws_id);
	PGresult *r = pg_run(o.c, SQL_BLOB_GET, &p, true, &o.err);
	int rc = r ? (PQntuples(r) == 1 ? 0 : MD_ENOTFOUND) : o.err;
	if (!rc) {
		size_t n = (size_t)PQgetlength(r, 0, 0);
		void *d = md_malloc(n);
		if (d) {
			memcpy(d, PQgetvalue(r, 0, 0), n);
			*data = d;
			*len = n;
		} else {
			rc = MD_ENOMEM;
		}
	}
	if (r)
		PQclear(r);
	return op_end(&o, rc, false);
}

static int pg_queue_stats(struct store *st, struct store_queue_stats *out)
{
	memset(out, 0, sizeof *out);
	struct op o;
	if (op_begin(&o, st, false))
		return MD_EUNAVAIL;
	PGresult *r = run(&o, SQL_JOB_COUNTS, NULL);
	int rc = r ? 0 : o.err;
	for (int i = 0; r && i < PQntuples(r); i++) {
		const char *status = PQgetvalue(r, i, 0);
		int64_t n = pg_geti(r, i, 1);
		store_queue_stats_add(out, status, n);
	}
	if (r)
		PQclear(r);
	r = rc ? NULL : run(&o, SQL_JOB_AVG_RUN, NULL);
	if (r && PQntuples(r) == 1)
		out->avg_run_ms = pg_getf(r, 0, 0);
	if (r)
		PQclear(r);
	return op_end(&o, rc, false);
}

static int pg_job_queue_position(struct store *st, const char *id, int64_t *ahead)
{
	struct pg_params p = { 0 };
	pg_text(&p, id);
	return read_one(st, SQL_JOB_POSITION, &p, fill_i64, ahead);
}

/* ---- events ---- */

static int pg_events_list(struct store *st, const char *job_id, int64_t after_id, int max,
                          int (*cb)(void *ctx, const struct store_event *e), void *ctx)
{
	struct op o;
	if (op_begin(&o, st, false))
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, job_id);
	pg_i64(&p, after_id);
	pg_i64(&p, max);
	PGresult *r = run(&o, SQL_EVENT_LIST, &p);
	int rc = r ? 0 : o.err;
	for (int i = 0; r && !rc && i < PQntuples(r); i++) {
		struct store_event e;
		e.id = pg_geti(r, i, 0);
		pg_gets(r, i, 1, e.type, sizeof e.type);
		e.data = PQgetvalue(r, i, 2);
		e.created_at = pg_geti(r, i, 3);
		rc = cb(ctx, &e);
	}
	if (r)
		PQclear(r);
	return op_end(&o, rc, false);
}

/* ---- webhook deliveries ---- */

static int delivery_from_row(const PGresult *r, int i, struct store_delivery *d)
{
	memset(d, 0, sizeof *d);
	bool oom = false;
	pg_gets(r, i, 0, d->id, sizeof d->id);
	pg_gets(r, i, 1, d->workspace_id, sizeof d->workspace_id);
	pg_gets(r, i, 2, d->job_id, sizeof d->job_id);
	pg_gets(r, i, 3, d->event_type, sizeof d->event_type);
	pg_gets(r, i, 4, d->status, sizeof d->status);
	d->attempts = (int)pg_geti(r, i, 5);
	d->next_attempt_at = pg_geti(r, i, 6);
	d->last_status = (int)pg_geti(r, i, 7);
	d->created_at = pg_geti(r, i, 8);
	d->updated_at = pg_geti(r, i, 9);
	d->url = pg_getdup(r, i, 10, &oom);
	d->payload = pg_getdup(r, i, 11, &oom);
	d->last_error = pg_getdup(r, i, 12, &oom);
	if (oom || !d->url || !d->payload) {
		store_delivery_release(d);
		return MD_ENOMEM;
	}
	return 0;
}

static int pg_delivery_claim(struct store *st, int64_t now, int64_t lease_ms,
                             struct store_delivery *out)
{
	struct op o;
	if (op_begin(&o, st, true))
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_i64(&p, now);
	pg_i64(&p, now + lease_ms);
	PGresult *r = run(&o, SQL_DELIVERY_CLAIM, &p);
	int rc = r ? (PQntuples(r) == 1 ? delivery_from_row(r, 0, out) : MD_ENOTFOUND) : o.err;
	if (r)
		PQclear(r);
	int erc = op_end(&o, rc, rc == 0 || rc == MD_ENOTFOUND);
	if (rc == 0 && erc)
		store_delivery_release(out);
	return erc;
}

static int pg_delivery_record(struct store *st, const char *id, const struct store_attempt *a,
                              const char *next_status, int64_t next_at)
{
	struct op o;
	if (op_begin(&o, st, true))
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_i64(&p, a->attempt);
	pg_i64(&p, a->at);
	if (a->http_status)
		pg_i64(&p, a->http_status);
	else
		pg_text(&p, NULL);
	pg_text(&p, a->outcome);
	pg_text(&p, a->error);
	pg_i64(&p, a->duration_ms);
	int rc = exec(&o, SQL_ATTEMPT_INSERT, &p, NULL);
	if (!rc) {
		struct pg_params q = { 0 };
		pg_text(&q, id);
		pg_text(&q, next_status);
		pg_i64(&q, next_at);
		if (a->http_status)
			pg_i64(&q, a->http_status);
		else
			pg_text(&q, NULL);
		pg_text(&q, a->error);
		pg_i64(&q, a->at);
		pg_i64(&q, a->attempt);
		int changed = 0;
		rc = exec(&o, SQL_DELIVERY_RECORD, &q, &changed);
		if (!rc && !changed)
			rc = MD_ECONFLICT; /* another node owns this delivery now */
	}
	return op_end(&o, rc, rc == 0);
}

static int pg_delivery_list(struct store *st, const char *ws_id, const char *job_id,
                            int (*cb)(void *ctx, const struct store_delivery *d), void *ctx)
{
	struct op o;
	if (op_begin(&o, st, false))
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, ws_id);
	pg_text(&p, job_id);
	PGresult *r = run(&o, SQL_DELIVERY_LIST, &p);
	int rc = r ? 0 : o.err;
	for (int i = 0; r && !rc && i < PQntuples(r); i++) {
		struct store_delivery d;
		rc = delivery_from_row(r, i, &d);
		if (!rc) {
			rc = cb(ctx, &d);
			store_delivery_release(&d);
		}
	}
	if (r)
		PQclear(r);
	return op_end(&o, rc, false);
}

static int pg_delivery_attempts(struct store *st, const char *delivery_id,
                                int (*cb)(void *ctx, const struct store_attempt *a), void *ctx)
{
	struct op o;
	if (op_begin(&o, st, false))
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	pg_text(&p, delivery_id);
	PGresult *r = run(&o, SQL_ATTEMPT_LIST, &p);
	int rc = r ? 0 : o.err;
	for (int i = 0; r && !rc && i < PQntuples(r); i++) {
		struct store_attempt a;
		a.attempt = (int)pg_geti(r, i, 0);
		a.at = pg_geti(r, i, 1);
		a.http_status = (int)pg_geti(r, i, 2);
		a.outcome = PQgetvalue(r, i, 3);
		a.error = PQgetisnull(r, i, 4) ? NULL : PQgetvalue(r, i, 4);
		a.duration_ms = pg_geti(r, i, 5);
		rc = cb(ctx, &a);
	}
	if (r)
		PQclear(r);
	return op_end(&o, rc, false);
}

static int pg_delivery_redeliver(struct store *st, const char *ws_id, const char *id, int64_t now)
{
	struct pg_params p = { 0 };
	pg_text(&p, id);
	pg_text(&p, ws_id);
	pg_i64(&p, now);
	return write_one(st, SQL_DELIVERY_REDELIVER, &p);
}

static int pg_delivery_counts(struct store *st, int64_t *pending, int64_t *succeeded,
                              int64_t *failed)
{
	*pending = *succeeded = *failed = 0;
	struct op o;
	if (op_begin(&o, st, false))
		return MD_EUNAVAIL;
	PGresult *r = run(&o, SQL_DELIVERY_COUNTS, NULL);
	int rc = r ? 0 : o.err;
	for (int i = 0; r && i < PQntuples(r); i++) {
		const char *status = PQgetvalue(r, i, 0);
		int64_t n = pg_geti(r, i, 1);
		store_delivery_counts_add(status, n, pending, succeeded, failed);
	}
	if (r)
		PQclear(r);
	return op_end(&o, rc, false);
}

static const struct store_ops postgres_ops = {
	.name = "postgres",
	.shared = true,
	.listen = pg_listen,
	.rate_take = pg_rate_take,
	.free = pg_free,
	.ping = pg_ping,
	.workspace_create = pg_workspace_create,
	.workspace_get = pg_workspace_get,
	.workspace_set_rate = pg_workspace_set_rate,
	.workspace_rotate_secret = pg_workspace_rotate_secret,
	.key_create = pg_key_create,
	.key_find = pg_key_find,
	.key_list = pg_key_list,
	.key_revoke = pg_key_revoke,
	.credits_add = pg_credits_add,
	.credits_balance = pg_credits_balance,
	.credits_ledger = pg_credits_ledger,
	.idem_begin = pg_idem_begin,
	.idem_abort = pg_idem_abort,
	.idem_sweep = pg_idem_sweep,
	.job_submit = pg_job_submit,
	.job_get = pg_job_get,
	.job_list = pg_job_list,
	.job_claim = pg_job_claim,
	.job_rescue = pg_job_rescue,
	.job_progress = pg_job_progress,
	.job_succeed = pg_job_succeed,
	.job_fail = pg_job_fail,
	.job_finish_canceled = pg_job_finish_canceled,
	.job_cancel = pg_job_cancel,
	.job_unlease = pg_job_unlease,
	.blob_get = pg_blob_get,
	.queue_stats = pg_queue_stats,
	.job_queue_position = pg_job_queue_position,
	.events_list = pg_events_list,
	.delivery_claim = pg_delivery_claim,
	.delivery_record = pg_delivery_record,
	.delivery_list = pg_delivery_list,
	.delivery_attempts = pg_delivery_attempts,
	.delivery_redeliver = pg_delivery_redeliver,
	.delivery_counts = pg_delivery_counts,
	.lk_dataset_create = pg_lk_dataset_create,
	.blob_upload_begin = pg_blob_upload_begin,
	.blob_chunk_put = pg_blob_chunk_put,
	.blob_upload_abort = pg_blob_upload_abort,
	.blob_upload_sweep = pg_blob_upload_sweep,
	.blob_chunk_stat = pg_blob_chunk_stat,
	.blob_chunk_read = pg_blob_chunk_read,
	.lk_dataset_commit = pg_lk_dataset_commit,
	.lk_dataset_get = pg_lk_dataset_get,
	.lk_dataset_list = pg_lk_dataset_list,
	.lk_dataset_delete = pg_lk_dataset_delete,
	.lk_config_create = pg_lk_config_create,
	.lk_config_get = pg_lk_config_get,
	.lk_config_update = pg_lk_config_update,
	.lk_config_list = pg_lk_config_list,
	.lk_config_delete = pg_lk_config_delete,
	.lk_rows_put = pg_lk_rows_put,
	.lk_rows_list = pg_lk_rows_list,
	.lk_rows_stats = pg_lk_rows_stats,
	.lk_share_open = pg_lk_share_open,
	.lk_share_plan = pg_lk_share_plan,
	.lk_share_claim = pg_lk_share_claim,
	.lk_share_submit = pg_lk_share_submit,
	.lk_share_release = pg_lk_share_release,
	.lk_share_parts = pg_lk_share_parts,
	.lk_share_close = pg_lk_share_close,
	.lk_share_sweep = pg_lk_share_sweep,
};

int store_postgres_open(const char *url, struct store **out, char *err, size_t errcap)
{
	struct pg_store *s = md_calloc(1, sizeof *s);
	if (!s)
		return MD_ENOMEM;
	s->base.ops = &postgres_ops;
	s->stop_fd = eventfd(0, EFD_CLOEXEC);
	const char *size = getenv("MATCHD_PG_POOL");
	int n = size ? (int)strtol(size, NULL, 10) : 0;
	int rc = pg_pool_init(&s->pool, url, n > 0 && n <= 256 ? n : 8, err, errcap);
	if (rc) {
		md_free(s);
		return rc;
	}
	rc = migrate(s, err, errcap);
	if (rc) {
		pg_pool_release(&s->pool);
		md_free(s);
		return rc;
	}
	*out = &s->base;
	return 0;
}
