/*
 * test_store.c: a store backend against the promises of store.h. Each test opens a fresh
 * store (store_fixture.h) with two workspaces: "alpha" (1000 credits) and "beta". The backend
 * is SQLite (a file in a temporary folder) unless MATCHD_TEST_PG_URL names a PostgreSQL
 * server, where each test gets a new database: `make test` runs this suite on both.
 * Times are passed in, so lease expiry and retries are tested by moving "now" forward.
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <sqlite3.h>

#include "base/common.h"
#include "base/timeutil.h"
#include "migrations.h"
#include "migrations_pg.h"
#include "store/store.h"
#include "store_fixture.h"

static struct store_fixture fx; /* fx.t0 is the base "now" of each test, in ms */

static void setup(void)
{
	store_fixture_open(&fx, "store");
}

static void teardown(void)
{
	store_fixture_close(&fx);
}

TestSuite(store, .init = setup, .fini = teardown);

/* The tests that read the database behind the store's back need to know which one it is. */
static bool is_pg(void)
{
	return strncmp(fx.url, "sqlite:", 7) != 0;
}

/* The SQLite file, from the fixture's "sqlite:<file>" URL. */
static const char *sqlite_file(void)
{
	return fx.url + 7;
}

/* ---- helpers ---- */

/* What the worker pool does periodically: requeue or fail the jobs of dead workers. */
static void rescue(int64_t now)
{
	int requeued = 0, failed = 0;
	int rc = store_job_rescue(fx.st, now, &requeued, &failed);
	cr_assert_eq(rc, 0, "rescue: %d", rc);
}

static void submit_full(const char *ws, const char *kind, int64_t price, int max_attempts,
                        const char *webhook, int64_t now, char id[MD_UUID_LEN])
{
	struct store_job_new jn = {
		.workspace_id = ws,
		.kind = kind,
		.input_json = "{\"x\":1}",
		.webhook_url = webhook,
		.price = price,
		.max_attempts = max_attempts,
	};
	int rc = store_job_submit(fx.st, &jn, now, id, NULL);
	cr_assert_eq(rc, 0, "submit: got %d want 0", rc);
}

static void submit(int64_t now, char id[MD_UUID_LEN])
{
	submit_full(fx.ws.id, "test", 10, 3, NULL, now, id);
}

static void get_job(const char *id, struct store_job *j)
{
	int rc = store_job_get(fx.st, NULL, id, j);
	cr_assert_eq(rc, 0, "get %s: got %d", id, rc);
}

static void expect_status(const char *id, const char *want)
{
	struct store_job j;
	get_job(id, &j);
	cr_assert_str_eq(j.status, want, "job %s: status %s want %s", id, j.status, want);
	store_job_release(&j);
}

static void claim(const char *owner, int64_t now, int64_t lease_ms, struct store_job *out)
{
	int rc = store_job_claim(fx.st, owner, now, lease_ms, out);
	cr_assert_eq(rc, 0, "claim by %s at %lld: got %d want 0", owner, (long long)now, rc);
}

static void expect_no_claim(int64_t now)
{
	struct store_job j;
	int rc = store_job_claim(fx.st, "nobody", now, 1000, &j);
	if (rc == 0)
		store_job_release(&j);
	cr_assert_eq(rc, MD_ENOTFOUND, "claim at %lld: got %d want %d (job %s)", (long long)now, rc,
	             MD_ENOTFOUND, rc == 0 ? j.id : "");
}

struct ledger {
	int n;
	struct store_ledger_entry e[16];
};

static int ledger_cb(void *ctx, const struct store_ledger_entry *e)
{
	struct ledger *l = ctx;
	if (l->n < 16)
		l->e[l->n] = *e;
	l->n++;
	return 0;
}

static int count_charges(const char *ws, const char *job_id, int64_t *amount)
{
	struct ledger l = { 0 };
	int rc = store_credits_ledger(fx.st, ws, NULL, 100, ledger_cb, &l);
	cr_assert_eq(rc, 0, "ledger: %d", rc);
	int n = 0;
	for (int i = 0; i < l.n && i < 16; i++) {
		if (!strcmp(l.e[i].reason, "charge") && !strcmp(l.e[i].job_id, job_id)) {
			n++;
			if (amount)
				*amount = l.e[i].amount;
		}
	}
	return n;
}

struct events {
	int n;
	int64_t id[32];
	char type[32][16];
	char data[32][256];
};

static int events_cb(void *ctx, const struct store_event *e)
{
	struct events *ev = ctx;
	if (ev->n < 32) {
		ev->id[ev->n] = e->id;
		snprintf(ev->type[ev->n], sizeof ev->type[0], "%s", e->type);
		snprintf(ev->data[ev->n], sizeof ev->data[0], "%s", e->data);
	}
	ev->n++;
	return 0;
}

static void list_events(const char *job, int64_t after, int max, struct events *ev)
{
	memset(ev, 0, sizeof *ev);
	int rc = store_events_list(fx.st, job, after, max, events_cb, ev);
	cr_assert_eq(rc, 0, "events: %d", rc);
}

/* Runs one SQL count on a connection of our own, outside the store. */
static int64_t raw_count(const char *sql)
{
	if (is_pg()) {
		PGconn *c = PQconnectdb(fx.url);
		cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
		PGresult *r = PQexec(c, sql);
		cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s: %s", sql, PQerrorMessage(c));
		int64_t n = PQgetisnull(r, 0, 0) ? 0 : strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		PQfinish(c);
		return n;
	}
	sqlite3 *db;
	cr_assert_eq(sqlite3_open_v2(sqlite_file(), &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	cr_assert_eq(rc, SQLITE_OK, "%s: %s", sql, sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(s), SQLITE_ROW);
	int64_t n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* How many migrations the backend under test has. */
static int64_t migration_files(void)
{
	return (int64_t)(is_pg() ? pg_migrations_count : migrations_count);
}

/* ---- open, migrations ---- */

Test(store, migrations_applied_and_ping)
{
	int version = -1;
	int rc = store_ping(fx.st, &version);
	cr_assert_eq(rc, 0, "ping: %d", rc);
	cr_assert_geq(version, 1, "version %d", version);
	int64_t n = raw_count("SELECT count(*) FROM schema_migrations");
	cr_assert_eq(n, migration_files(), "migrations recorded %lld want %lld", (long long)n,
	             (long long)migration_files());
}

Test(store, reopen_does_not_reapply)
{
	int64_t applied = raw_count("SELECT sum(applied_at) FROM schema_migrations");
	store_free(fx.st);
	fx.st = NULL;
	char err[256] = "";
	int rc = store_open(fx.url, &fx.st, err, sizeof err);
	cr_assert_eq(rc, 0, "reopen: %d %s", rc, err);
	int version = 0;
	cr_assert_eq(store_ping(fx.st, &version), 0);
	int64_t n = raw_count("SELECT count(*) FROM schema_migrations");
	cr_assert_eq(n, migration_files(), "rows %lld want %lld", (long long)n,
	             (long long)migration_files());
	int64_t again = raw_count("SELECT sum(applied_at) FROM schema_migrations");
	cr_assert_eq(again, applied, "applied_at changed: %lld -> %lld", (long long)applied,
	             (long long)again);
	/* The data survived. */
	struct store_workspace w;
	rc = store_workspace_get(fx.st, "alpha", true, &w);
	cr_assert_eq(rc, 0, "alpha after reopen: %d", rc);
}

Test(store, open_rejects_bad_urls)
{
	struct store *s = NULL;
	char err[256] = "";
	int rc = store_open("mysql://x/y", &s, err, sizeof err);
	cr_assert_eq(rc, MD_EINVAL, "got %d want %d", rc, MD_EINVAL);
	cr_assert_neq(err[0], '\0', "no message");
	rc = store_open("sqlite:", &s, err, sizeof err);
	cr_assert_eq(rc, MD_EINVAL, "got %d want %d", rc, MD_EINVAL);
}

/* ---- workspaces ---- */

Test(store, workspace_create_get)
{
	struct store_workspace w;
	int rc = store_workspace_get(fx.st, fx.ws.id, false, &w);
	cr_assert_eq(rc, 0, "by id: %d", rc);
	cr_assert_str_eq(w.name, "alpha");
	cr_assert_str_eq(w.id, fx.ws.id);
	cr_assert_str_eq(w.webhook_secret, "whsec_alpha");
	cr_assert_str_eq(w.webhook_secret_prev, "", "got %s", w.webhook_secret_prev);
	cr_assert_eq(w.rate_limit, 600, "got %lld", (long long)w.rate_limit);
	cr_assert_eq(w.rate_period_ms, 60000, "got %lld", (long long)w.rate_period_ms);
	cr_assert_eq(w.rate_burst, 60, "got %lld", (long long)w.rate_burst);
	cr_assert(md_uuid_valid(w.id), "%s", w.id);

	rc = store_workspace_get(fx.st, "beta", true, &w);
	cr_assert_eq(rc, 0, "by name: %d", rc);
	cr_assert_str_eq(w.id, fx.ws2.id);

	rc = store_workspace_get(fx.st, "gamma", true, &w);
	cr_assert_eq(rc, MD_ENOTFOUND, "got %d want %d", rc, MD_ENOTFOUND);
	rc = store_workspace_get(fx.st, "alpha", false, &w);
	cr_assert_eq(rc, MD_ENOTFOUND, "a name is not an id: got %d", rc);

	int64_t bal = -1;
	cr_assert_eq(store_credits_balance(fx.st, fx.ws.id, &bal), 0);
	cr_assert_eq(bal, 1000, "initial grant: got %lld", (long long)bal);
}

Test(store, workspace_duplicate_name_conflicts)
{
	struct store_workspace w;
	int rc = store_workspace_create(fx.st, "alpha", 5, "s", &w);
	cr_assert_eq(rc, MD_ECONFLICT, "got %d want %d", rc, MD_ECONFLICT);
	/* The failed create left no ledger row behind. */
	int64_t n = raw_count("SELECT count(*) FROM workspaces");
	cr_assert_eq(n, 2, "workspaces: %lld", (long long)n);
	n = raw_count("SELECT count(*) FROM credit_ledger");
	cr_assert_eq(n, 1, "ledger rows: %lld", (long long)n);
}

Test(store, workspace_rate_and_secret_rotation)
{
	int rc = store_workspace_set_rate(fx.st, fx.ws.id, 10, 1000, 5);
	cr_assert_eq(rc, 0, "got %d", rc);
	rc = store_workspace_rotate_secret(fx.st, fx.ws.id, "whsec_new", fx.t0 + 60000);
	cr_assert_eq(rc, 0, "got %d", rc);
	struct store_workspace w;
	cr_assert_eq(store_workspace_get(fx.st, fx.ws.id, false, &w), 0);
	cr_assert_eq(w.rate_limit, 10, "got %lld", (long long)w.rate_limit);
	cr_assert_eq(w.rate_period_ms, 1000, "got %lld", (long long)w.rate_period_ms);
	cr_assert_eq(w.rate_burst, 5, "got %lld", (long long)w.rate_burst);
	cr_assert_str_eq(w.webhook_secret, "whsec_new");
	cr_assert_str_eq(w.webhook_secret_prev, "whsec_alpha");
	cr_assert_eq(w.webhook_secret_prev_until, fx.t0 + 60000);
	rc = store_workspace_set_rate(fx.st, "00000000-0000-7000-8000-000000000000", 1, 1, 1);
	cr_assert_eq(rc, MD_ENOTFOUND, "got %d want %d", rc, MD_ENOTFOUND);
}

/* ---- keys ---- */

static const char HASH1[] = "1111111111111111111111111111111111111111111111111111111111111111";
static const char HASH2[] = "2222222222222222222222222222222222222222222222222222222222222222";

struct keylist {
	int n;
	struct store_key k[8];
};

static int key_cb(void *ctx, const struct store_key *k)
{
	struct keylist *l = ctx;
	if (l->n < 8)
		l->k[l->n] = *k;
	l->n++;
	return 0;
}

Test(store, key_create_find_revoke_list)
{
	struct store_key k1, k2, f;
	int rc = store_key_create(fx.st, fx.ws.id, HASH1, "mk_1111", 5, &k1);
	cr_assert_eq(rc, 0, "create: %d", rc);
	cr_assert_str_eq(k1.workspace_id, fx.ws.id);
	cr_assert_str_eq(k1.workspace_name, "alpha");
	cr_assert_str_eq(k1.prefix, "mk_1111");
	cr_assert_eq(k1.permissions, 5, "got %u", k1.permissions);
	cr_assert_eq(k1.revoked_at, 0);
	cr_assert(md_uuid_valid(k1.id));
	rc = store_key_create(fx.st, fx.ws2.id, HASH2, "mk_2222", 64, &k2);
	cr_assert_eq(rc, 0, "create: %d", rc);

	rc = store_key_create(fx.st, fx.ws2.id, HASH1, "mk_1111", 1, &f);
	cr_assert_eq(rc, MD_ECONFLICT, "duplicate hash: got %d want %d", rc, MD_ECONFLICT);

	rc = store_key_find(fx.st, HASH1, &f);
	cr_assert_eq(rc, 0, "find: %d", rc);
	cr_assert_str_eq(f.id, k1.id);
	cr_assert_str_eq(f.workspace_name, "alpha");
	rc = store_key_find(fx.st, "00", &f);
	cr_assert_eq(rc, MD_ENOTFOUND, "got %d", rc);

	struct keylist l = { 0 };
	cr_assert_eq(store_key_list(fx.st, key_cb, &l), 0);
	cr_assert_eq(l.n, 2, "got %d keys", l.n);

	rc = store_key_revoke(fx.st, k1.id);
	cr_assert_eq(rc, 0, "revoke: %d", rc);
	rc = store_key_find(fx.st, HASH1, &f);
	cr_assert_eq(rc, MD_ENOTFOUND, "revoked key found: %d", rc);
	rc = store_key_revoke(fx.st, k1.id);
	cr_assert_eq(rc, MD_ENOTFOUND, "second revoke: got %d want %d", rc, MD_ENOTFOUND);
	rc = store_key_find(fx.st, HASH2, &f);
	cr_assert_eq(rc, 0, "the other key still works: %d", rc);

	memset(&l, 0, sizeof l);
	cr_assert_eq(store_key_list(fx.st, key_cb, &l), 0);
	cr_assert_eq(l.n, 2, "revoked keys are still listed: %d", l.n);
	int revoked = 0;
	for (int i = 0; i < l.n; i++)
		if (!strcmp(l.k[i].id, k1.id))
			revoked = l.k[i].revoked_at > 0;
	cr_assert(revoked, "revoked_at not set in the list");
}

/* ---- credits ---- */

Test(store, credits_balance_ledger_order_cursor)
{
	/* Ids are time-ordered; a pause keeps each entry in its own millisecond. */
	md_sleep_ms(3);
	cr_assert_eq(store_credits_add(fx.st, fx.ws.id, 50, "topup"), 0);
	md_sleep_ms(3);
	cr_assert_eq(store_credits_add(fx.st, fx.ws.id, -30, "adjust"), 0);
	int64_t bal = 0;
	cr_assert_eq(store_credits_balance(fx.st, fx.ws.id, &bal), 0);
	cr_assert_eq(bal, 1020, "got %lld want 1020", (long long)bal);
	cr_assert_eq(store_credits_balance(fx.st, fx.ws2.id, &bal), 0);
	cr_assert_eq(bal, 0, "beta: got %lld", (long long)bal);

	struct ledger l = { 0 };
	cr_assert_eq(store_credits_ledger(fx.st, fx.ws.id, NULL, 10, ledger_cb, &l), 0);
	cr_assert_eq(l.n, 3, "got %d entries", l.n);
	cr_assert_str_eq(l.e[0].reason, "adjust", "newest first: got %s", l.e[0].reason);
	cr_assert_eq(l.e[0].amount, -30);
	cr_assert_str_eq(l.e[1].reason, "topup", "got %s", l.e[1].reason);
	cr_assert_str_eq(l.e[2].reason, "grant", "got %s", l.e[2].reason);
	cr_assert_eq(l.e[2].amount, 1000);
	cr_assert_str_eq(l.e[2].job_id, "");
	cr_assert_gt(strcmp(l.e[0].id, l.e[1].id), 0);

	struct ledger page = { 0 };
	cr_assert_eq(store_credits_ledger(fx.st, fx.ws.id, "", 1, ledger_cb, &page), 0);
	cr_assert_eq(page.n, 1, "limit 1: got %d", page.n);
	char cursor[MD_UUID_LEN];
	memcpy(cursor, page.e[0].id, sizeof cursor);
	memset(&page, 0, sizeof page);
	cr_assert_eq(store_credits_ledger(fx.st, fx.ws.id, cursor, 10, ledger_cb, &page), 0);
	cr_assert_eq(page.n, 2, "after cursor: got %d", page.n);
	cr_assert_str_eq(page.e[0].reason, "topup");
	cr_assert_str_eq(page.e[1].reason, "grant");

	memset(&page, 0, sizeof page);
	cr_assert_eq(store_credits_ledger(fx.st, fx.ws2.id, NULL, 10, ledger_cb, &page), 0);
	cr_assert_eq(page.n, 0, "beta has no entries: got %d", page.n);
}

/* ---- idempotency ---- */

static enum store_idem_state idem(const char *ws, const char *key, const char *fp, int64_t now,
                                  char res[MD_UUID_LEN])
{
	enum store_idem_state s = (enum store_idem_state) - 1;
	int rc = store_idem_begin(fx.st, ws, key, fp, now, 10000, 1000, &s, res);
	cr_assert_eq(rc, 0, "idem_begin %s: %d", key, rc);
	return s;
}

Test(store, idempotency_lifecycle)
{
	char res[MD_UUID_LEN];
	enum store_idem_state s = idem(fx.ws.id, "k1", "fpA", fx.t0, res);
	cr_assert_eq(s, STORE_IDEM_NEW, "first: got %d", s);
	s = idem(fx.ws.id, "k1", "fpA", fx.t0 + 1, res);
	cr_assert_eq(s, STORE_IDEM_IN_FLIGHT, "before completion: got %d", s);
	s = idem(fx.ws.id, "k1", "fpB", fx.t0 + 1, res);
	cr_assert_eq(s, STORE_IDEM_MISMATCH, "other request while in flight: got %d", s);

	struct store_job_new jn = { .workspace_id = fx.ws.id,
		                    .kind = "test",
		                    .input_json = "{}",
		                    .price = 1,
		                    .max_attempts = 1,
		                    .idem_key = "k1" };
	char id[MD_UUID_LEN];
	cr_assert_eq(store_job_submit(fx.st, &jn, fx.t0 + 2, id, NULL), 0);

	memset(res, 'x', MD_UUID_LEN);
	s = idem(fx.ws.id, "k1", "fpA", fx.t0 + 3, res);
	cr_assert_eq(s, STORE_IDEM_REPLAY, "after submit: got %d", s);
	cr_assert_str_eq(res, id, "replay names %s want %s", res, id);
	s = idem(fx.ws.id, "k1", "fpB", fx.t0 + 3, res);
	cr_assert_eq(s, STORE_IDEM_MISMATCH, "other fingerprint: got %d", s);

	/* The same key in another workspace is another key. */
	s = idem(fx.ws2.id, "k1", "fpB", fx.t0 + 3, res);
	cr_assert_eq(s, STORE_IDEM_NEW, "other workspace: got %d", s);

	/* Completed keys expire after ttl (10 s here). */
	s = idem(fx.ws.id, "k1", "fpA", fx.t0 + 10000, res);
	cr_assert_eq(s, STORE_IDEM_REPLAY, "at the ttl edge: got %d", s);
	s = idem(fx.ws.id, "k1", "fpB", fx.t0 + 10001, res);
	cr_assert_eq(s, STORE_IDEM_NEW, "after ttl: got %d", s);
	cr_assert_str_eq(res, "");
}

Test(store, idempotency_abort_and_abandoned_in_flight)
{
	char res[MD_UUID_LEN];
	cr_assert_eq(idem(fx.ws.id, "k2", "fpA", fx.t0, res), STORE_IDEM_NEW);
	int rc = store_idem_abort(fx.st, fx.ws.id, "k2");
	cr_assert_eq(rc, 0, "abort: %d", rc);
	enum store_idem_state s = idem(fx.ws.id, "k2", "fpB", fx.t0 + 1, res);
	cr_assert_eq(s, STORE_IDEM_NEW, "abort frees the key: got %d", s);
	rc = store_idem_abort(fx.st, fx.ws.id, "missing");
	cr_assert_eq(rc, 0, "aborting an unknown key is fine: %d", rc);

	/* An in-flight marker is abandoned after inflight_ttl (1 s here). */
	s = idem(fx.ws.id, "k2", "fpB", fx.t0 + 1000, res);
	cr_assert_eq(s, STORE_IDEM_IN_FLIGHT, "got %d", s);
	s = idem(fx.ws.id, "k2", "fpC", fx.t0 + 1002, res);
	cr_assert_eq(s, STORE_IDEM_NEW, "abandoned marker: got %d", s);

	int n = -1;
	cr_assert_eq(store_idem_sweep(fx.st, fx.t0 + 1002, &n), 0);
	cr_assert_eq(n, 0, "nothing older than the cutoff: %d", n);
	cr_assert_eq(store_idem_sweep(fx.st, fx.t0 + 1003, &n), 0);
	cr_assert_eq(n, 1, "swept %d want 1", n);
}

/* ---- jobs ---- */

Test(store, job_submit_get_and_workspace_isolation)
{
	char id[MD_UUID_LEN];
	submit_full(fx.ws.id, "cvdeepmatch", 7, 2, "https://example.com/h", fx.t0, id);
	cr_assert(md_uuid_valid(id), "%s", id);
	struct store_job j;
	int rc = store_job_get(fx.st, fx.ws.id, id, &j);
	cr_assert_eq(rc, 0, "get: %d", rc);
	cr_assert_str_eq(j.id, id);
	cr_assert_str_eq(j.workspace_id, fx.ws.id);
	cr_assert_str_eq(j.kind, "cvdeepmatch");
	cr_assert_str_eq(j.status, "queued");
	cr_assert_str_eq(j.input, "{\"x\":1}");
	cr_assert_null(j.result);
	cr_assert_null(j.error);
	cr_assert_str_eq(j.webhook_url, "https://example.com/h");
	cr_assert_eq(j.price, 7);
	cr_assert_eq(j.attempts, 0, "got %d", j.attempts);
	cr_assert_eq(j.max_attempts, 2, "got %d", j.max_attempts);
	cr_assert_eq(j.created_at, fx.t0);
	cr_assert_eq(j.run_after, fx.t0);
	cr_assert_not(store_job_is_terminal(&j));
	store_job_release(&j);

	rc = store_job_get(fx.st, fx.ws2.id, id, &j);
	cr_assert_eq(rc, MD_ENOTFOUND, "another workspace's job: got %d want %d", rc, MD_ENOTFOUND);
	rc = store_job_get(fx.st, fx.ws.id, "00000000-0000-7000-8000-000000000000", &j);
	cr_assert_eq(rc, MD_ENOTFOUND, "unknown id: got %d", rc);
	bool term;
	rc = store_job_cancel(fx.st, fx.ws2.id, id, fx.t0, &term);
	cr_assert_eq(rc, MD_ENOTFOUND, "cancel from another workspace: got %d", rc);
	expect_status(id, "queued");
}

Test(store, job_blob_round_trip)
{
	static const unsigned char blob[] = { 0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x00, 0x0a };
	struct store_job_new jn = {
		.workspace_id = fx.ws.id,
		.kind = "test",
		.input_json = "{\"file\":\"$BLOB\",\"n\":2}",
		.price = 1,
		.max_attempts = 1,
		.blob = blob,
		.blob_len = sizeof blob,
		.blob_type = "application/pdf",
	};
	char id[MD_UUID_LEN], blob_id[MD_UUID_LEN] = "";
	int rc = store_job_submit(fx.st, &jn, fx.t0, id, blob_id);
	cr_assert_eq(rc, 0, "submit: %d", rc);
	cr_assert(md_uuid_valid(blob_id), "blob id %s", blob_id);

	struct store_job j;
	get_job(id, &j);
	char want[128];
	snprintf(want, sizeof want, "{\"file\":\"%s\",\"n\":2}", blob_id);
	cr_assert_str_eq(j.input, want, "input %s want %s", j.input, want);
	store_job_release(&j);

	void *data = NULL;
	size_t len = 0;
	rc = store_blob_get(fx.st, fx.ws.id, blob_id, &data, &len);
	cr_assert_eq(rc, 0, "blob get: %d", rc);
	cr_assert_eq(len, sizeof blob, "len %zu want %zu", len, sizeof blob);
	cr_assert(memcmp(data, blob, len) == 0, "blob bytes differ");
	md_free(data);

	rc = store_blob_get(fx.st, fx.ws2.id, blob_id, &data, &len);
	cr_assert_eq(rc, MD_ENOTFOUND, "another workspace's blob: got %d", rc);
}

static int count_job_cb(void *ctx, const struct store_job *j)
{
	int *n = ctx;
	cr_assert_not_null(j->input);
	(*n)++;
	return 0;
}

Test(store, job_list_filters_and_cursor)
{
	char a[MD_UUID_LEN], b[MD_UUID_LEN], c[MD_UUID_LEN], other[MD_UUID_LEN];
	submit_full(fx.ws.id, "k1", 1, 1, NULL, fx.t0, a);
	submit_full(fx.ws.id, "k2", 1, 1, NULL, fx.t0 + 1, b);
	submit_full(fx.ws.id, "k1", 1, 1, NULL, fx.t0 + 2, c);
	submit_full(fx.ws2.id, "k1", 1, 1, NULL, fx.t0 + 3, other);
	struct store_job j;
	claim("w", fx.t0 + 10, 1000, &j);
	cr_assert_str_eq(j.id, a, "claimed %s want the oldest %s", j.id, a);
	store_job_release(&j);

	const struct {
		const char *status, *kind, *cursor;
		int limit, want;
	} cases[] = {
		{ NULL, NULL, NULL, 10, 3 }, { "queued", NULL, NULL, 10, 2 },
		{ NULL, "k1", NULL, 10, 2 }, { "running", "k1", NULL, 10, 1 },
		{ NULL, NULL, NULL, 1, 1 },  { NULL, NULL, c, 10, 2 },
		{ NULL, NULL, a, 10, 0 },    { "failed", NULL, NULL, 10, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int n = 0;
		int rc = store_job_list(fx.st, fx.ws.id, cases[i].status, cases[i].kind,
		                        cases[i].cursor, cases[i].limit, count_job_cb, &n);
		cr_assert_eq(rc, 0, "case %zu: rc %d", i, rc);
		cr_assert_eq(n, cases[i].want, "case %zu: got %d jobs want %d", i, n,
		             cases[i].want);
	}
}

Test(store, claim_takes_the_oldest_due_job)
{
	char a[MD_UUID_LEN], b[MD_UUID_LEN], later[MD_UUID_LEN];
	submit(fx.t0, a);
	submit(fx.t0 + 1, b);
	submit(fx.t0 + 100, later); /* run_after is its submission time */
	struct store_job j;
	claim("w1", fx.t0 + 10, 1000, &j);
	cr_assert_str_eq(j.id, a, "first claim %s want %s", j.id, a);
	cr_assert_str_eq(j.status, "running");
	cr_assert_eq(j.attempts, 1, "attempts %d", j.attempts);
	cr_assert(md_uuid_valid(j.lease_token), "lease token %s", j.lease_token);
	cr_assert_eq(j.started_at, fx.t0 + 10);
	cr_assert_not_null(j.input);
	store_job_release(&j);
	claim("w1", fx.t0 + 10, 1000, &j);
	cr_assert_str_eq(j.id, b, "second claim %s want %s", j.id, b);
	store_job_release(&j);
	expect_no_claim(fx.t0 + 10); /* `later` is not due yet */
	claim("w1", fx.t0 + 100, 1000, &j);
	cr_assert_str_eq(j.id, later);
	store_job_release(&j);
	expect_no_claim(fx.t0 + 100);
}

Test(store, lease_token_is_checked)
{
	char id[MD_UUID_LEN];
	submit(fx.t0, id);
	struct store_job j;
	claim("w1", fx.t0 + 1, 30000, &j);
	const char *bad = "00000000-0000-7000-8000-000000000000";
	int rc = store_job_progress(fx.st, id, bad, fx.t0 + 2, fx.t0 + 30000, "parsing", 0.5);
	cr_assert_eq(rc, MD_ECONFLICT, "progress with a wrong token: got %d want %d", rc,
	             MD_ECONFLICT);
	rc = store_job_succeed(fx.st, id, bad, fx.t0 + 3, "{}");
	cr_assert_eq(rc, MD_ECONFLICT, "succeed with a wrong token: got %d want %d", rc,
	             MD_ECONFLICT);
	rc = store_job_fail(fx.st, id, bad, fx.t0 + 3, "{}", 0);
	cr_assert_eq(rc, MD_ECONFLICT, "fail with a wrong token: got %d", rc);
	rc = store_job_fail(fx.st, id, bad, fx.t0 + 3, "{}", fx.t0 + 100);
	cr_assert_eq(rc, MD_ECONFLICT, "retry with a wrong token: got %d", rc);
	rc = store_job_finish_canceled(fx.st, id, bad, fx.t0 + 3);
	cr_assert_eq(rc, MD_ECONFLICT, "finish_canceled with a wrong token: got %d", rc);
	rc = store_job_unlease(fx.st, id, bad, fx.t0 + 3);
	cr_assert_eq(rc, MD_ECONFLICT, "unlease with a wrong token: got %d", rc);
	expect_status(id, "running");

	rc = store_job_progress(fx.st, id, j.lease_token, fx.t0 + 4, fx.t0 + 30004, "parsing", 0.5);
	cr_assert_eq(rc, 0, "progress: %d", rc);
	rc = store_job_progress(fx.st, id, j.lease_token, fx.t0 + 5, fx.t0 + 30005, NULL, 0);
	cr_assert_eq(rc, 0, "heartbeat: %d", rc);
	struct store_job g;
	get_job(id, &g);
	cr_assert_str_eq(g.stage, "parsing");
	cr_assert_float_eq(g.progress, 0.5, 1e-9, "a heartbeat keeps progress: %f", g.progress);
	store_job_release(&g);
	store_job_release(&j);
}

Test(store, succeed_charges_exactly_once)
{
	char id[MD_UUID_LEN];
	submit(fx.t0, id);
	struct store_job j;
	claim("w1", fx.t0 + 1, 30000, &j);
	int rc = store_job_succeed(fx.st, id, j.lease_token, fx.t0 + 50, "{\"score\":0.9}");
	cr_assert_eq(rc, 0, "succeed: %d", rc);
	rc = store_job_succeed(fx.st, id, j.lease_token, fx.t0 + 60, "{\"score\":0.1}");
	cr_assert_eq(rc, MD_ECONFLICT, "second succeed: got %d want %d", rc, MD_ECONFLICT);
	int64_t amount = 0;
	int n = count_charges(fx.ws.id, id, &amount);
	cr_assert_eq(n, 1, "charges: %d want 1", n);
	cr_assert_eq(amount, -10, "charge amount %lld want -10", (long long)amount);
	int64_t bal = 0;
	cr_assert_eq(store_credits_balance(fx.st, fx.ws.id, &bal), 0);
	cr_assert_eq(bal, 990, "balance %lld want 990", (long long)bal);

	struct store_job g;
	get_job(id, &g);
	cr_assert_str_eq(g.status, "succeeded");
	cr_assert_str_eq(g.result, "{\"score\":0.9}", "result %s", g.result);
	cr_assert_eq(g.finished_at, fx.t0 + 50);
	cr_assert_float_eq(g.progress, 1.0, 1e-9);
	cr_assert_str_eq(g.lease_token, "");
	cr_assert(store_job_is_terminal(&g));
	store_job_release(&g);
	store_job_release(&j);
	expect_no_claim(fx.t0 + 1000000);
}

Test(store, expired_lease_is_taken_over)
{
	char id[MD_UUID_LEN];
	submit(fx.t0, id);
	struct store_job a, b;
	claim("owner-a", fx.t0 + 1, 1000, &a);
	rescue(fx.t0 + 500);
	expect_no_claim(fx.t0 + 500); /* the lease is still valid */
	rescue(fx.t0 + 100000);
	claim("owner-b", fx.t0 + 100000, 1000, &b);
	cr_assert_str_eq(b.id, id);
	cr_assert_eq(b.attempts, 2, "attempts %d want 2", b.attempts);
	cr_assert_str_neq(a.lease_token, b.lease_token);

	int rc =
	    store_job_progress(fx.st, id, a.lease_token, fx.t0 + 100001, fx.t0 + 101001, "x", 0.1);
	cr_assert_eq(rc, MD_ECONFLICT, "old owner's progress: got %d", rc);
	rc = store_job_succeed(fx.st, id, a.lease_token, fx.t0 + 100002, "{\"by\":\"a\"}");
	cr_assert_eq(rc, MD_ECONFLICT, "old owner's succeed: got %d want %d", rc, MD_ECONFLICT);
	rc = store_job_succeed(fx.st, id, b.lease_token, fx.t0 + 100003, "{\"by\":\"b\"}");
	cr_assert_eq(rc, 0, "new owner's succeed: got %d", rc);
	cr_assert_eq(count_charges(fx.ws.id, id, NULL), 1, "one charge only");
	struct store_job g;
	get_job(id, &g);
	cr_assert_str_eq(g.result, "{\"by\":\"b\"}");
	store_job_release(&g);
	store_job_release(&a);
	store_job_release(&b);
}

Test(store, exhausted_attempts_fail_with_worker_lost)
{
	char id[MD_UUID_LEN];
	submit_full(fx.ws.id, "test", 10, 2, NULL, fx.t0, id);
	struct store_job j;
	claim("a", fx.t0 + 1, 1000, &j);
	store_job_release(&j);
	rescue(fx.t0 + 2000);
	claim("b", fx.t0 + 2000, 1000, &j);
	cr_assert_eq(j.attempts, 2);
	store_job_release(&j);
	rescue(fx.t0 + 4000);
	expect_no_claim(fx.t0 + 4000);

	struct store_job g;
	get_job(id, &g);
	cr_assert_str_eq(g.status, "failed", "status %s", g.status);
	cr_assert_not_null(g.error);
	cr_assert(strstr(g.error, "\"WORKER_LOST\"") != NULL, "error %s", g.error);
	cr_assert_eq(g.finished_at, fx.t0 + 4000);
	store_job_release(&g);

	struct events ev;
	list_events(id, 0, 100, &ev);
	cr_assert_gt(ev.n, 0);
	cr_assert_str_eq(ev.type[ev.n - 1], "failed", "last event %s", ev.type[ev.n - 1]);
	cr_assert_eq(count_charges(fx.ws.id, id, NULL), 0, "a failed job is not charged");
}

Test(store, fail_with_retry_requeues_until_retry_at)
{
	char id[MD_UUID_LEN];
	submit(fx.t0, id);
	struct store_job j;
	claim("w", fx.t0 + 1, 30000, &j);
	const char *err = "{\"code\":\"TEMP\",\"message\":\"try again\"}";
	int rc = store_job_fail(fx.st, id, j.lease_token, fx.t0 + 10, err, fx.t0 + 5000);
	cr_assert_eq(rc, 0, "retry: %d", rc);
	store_job_release(&j);
	struct store_job g;
	get_job(id, &g);
	cr_assert_str_eq(g.status, "queued", "status %s", g.status);
	cr_assert_eq(g.run_after, fx.t0 + 5000);
	cr_assert_str_eq(g.error, err);
	cr_assert_eq(g.attempts, 1);
	store_job_release(&g);

	expect_no_claim(fx.t0 + 4999);
	claim("w", fx.t0 + 5000, 30000, &j);
	cr_assert_str_eq(j.id, id);
	cr_assert_eq(j.attempts, 2, "attempts %d", j.attempts);
	rc = store_job_fail(fx.st, id, j.lease_token, fx.t0 + 5010, err, 0);
	cr_assert_eq(rc, 0, "terminal fail: %d", rc);
	rc = store_job_fail(fx.st, id, j.lease_token, fx.t0 + 5011, err, 0);
	cr_assert_eq(rc, MD_ECONFLICT, "fail twice: got %d", rc);
	store_job_release(&j);
	expect_status(id, "failed");
	expect_no_claim(fx.t0 + 1000000);
	cr_assert_eq(count_charges(fx.ws.id, id, NULL), 0);
}

Test(store, cancel_queued_is_terminal)
{
	char id[MD_UUID_LEN];
	submit(fx.t0, id);
	bool term = false;
	int rc = store_job_cancel(fx.st, fx.ws.id, id, fx.t0 + 1, &term);
	cr_assert_eq(rc, 0, "cancel: %d", rc);
	cr_assert(term, "a queued job is canceled at once");
	expect_status(id, "canceled");
	rc = store_job_cancel(fx.st, fx.ws.id, id, fx.t0 + 2, &term);
	cr_assert_eq(rc, MD_ECONFLICT, "cancel a terminal job: got %d want %d", rc, MD_ECONFLICT);
	cr_assert_not(term);
	rc =
	    store_job_cancel(fx.st, fx.ws.id, "00000000-0000-7000-8000-000000000000", fx.t0, &term);
	cr_assert_eq(rc, MD_ENOTFOUND, "unknown job: got %d", rc);
	expect_no_claim(fx.t0 + 1000);
	struct events ev;
	list_events(id, 0, 100, &ev);
	cr_assert_str_eq(ev.type[ev.n - 1], "canceled", "last event %s", ev.type[ev.n - 1]);
}

Test(store, cancel_running_is_seen_by_progress)
{
	char id[MD_UUID_LEN];
	submit(fx.t0, id);
	struct store_job j;
	claim("w", fx.t0 + 1, 30000, &j);
	bool term = true;
	int rc = store_job_cancel(fx.st, fx.ws.id, id, fx.t0 + 2, &term);
	cr_assert_eq(rc, 0, "cancel: %d", rc);
	cr_assert_not(term, "a running job is only marked");
	struct store_job g;
	get_job(id, &g);
	cr_assert(g.cancel_requested);
	cr_assert_str_eq(g.status, "running");
	store_job_release(&g);

	rc = store_job_progress(fx.st, id, j.lease_token, fx.t0 + 3, fx.t0 + 30003, "x", 0.2);
	cr_assert_eq(rc, MD_ECANCELED, "progress after cancel: got %d want %d", rc, MD_ECANCELED);
	rc = store_job_progress(fx.st, id, j.lease_token, fx.t0 + 3, fx.t0 + 30003, NULL, 0);
	cr_assert_eq(rc, MD_ECANCELED, "heartbeat after cancel: got %d want %d", rc, MD_ECANCELED);
	rc = store_job_finish_canceled(fx.st, id, j.lease_token, fx.t0 + 4);
	cr_assert_eq(rc, 0, "finish_canceled: %d", rc);
	expect_status(id, "canceled");
	cr_assert_eq(count_charges(fx.ws.id, id, NULL), 0);
	store_job_release(&j);
}

Test(store, unlease_requeues_without_using_an_attempt)
{
	char id[MD_UUID_LEN];
	submit(fx.t0, id);
	struct store_job j;
	claim("w", fx.t0 + 1, 30000, &j);
	int rc = store_job_unlease(fx.st, id, j.lease_token, fx.t0 + 2);
	cr_assert_eq(rc, 0, "unlease: %d", rc);
	struct store_job g;
	get_job(id, &g);
	cr_assert_str_eq(g.status, "queued");
	cr_assert_eq(g.attempts, 0, "attempts %d want 0", g.attempts);
	cr_assert_str_eq(g.lease_token, "");
	store_job_release(&g);
	rc = store_job_unlease(fx.st, id, j.lease_token, fx.t0 + 3);
	cr_assert_eq(rc, MD_ECONFLICT, "second unlease: got %d", rc);

	struct store_job k;
	claim("w2", fx.t0 + 3, 30000, &k);
	cr_assert_str_eq(k.id, id);
	cr_assert_eq(k.attempts, 1, "attempts %d want 1", k.attempts);
	cr_assert_str_neq(k.lease_token, j.lease_token);
	store_job_release(&k);
	store_job_release(&j);
}

Test(store, events_increase_and_list_after)
{
	char id[MD_UUID_LEN], other[MD_UUID_LEN];
	submit(fx.t0, id);
	submit(fx.t0 + 1, other);
	struct store_job j;
	claim("w", fx.t0 + 2, 30000, &j);
	cr_assert_str_eq(j.id, id);
	cr_assert_eq(
	    store_job_progress(fx.st, id, j.lease_token, fx.t0 + 3, fx.t0 + 30000, "a", 0.25), 0);
	cr_assert_eq(
	    store_job_progress(fx.st, id, j.lease_token, fx.t0 + 4, fx.t0 + 30000, NULL, 0), 0);
	cr_assert_eq(
	    store_job_progress(fx.st, id, j.lease_token, fx.t0 + 5, fx.t0 + 30000, "b", 0.5), 0);
	cr_assert_eq(store_job_succeed(fx.st, id, j.lease_token, fx.t0 + 6, "{}"), 0);
	store_job_release(&j);

	struct events ev;
	list_events(id, 0, 100, &ev);
	static const char *want[] = { "queued", "running", "progress", "progress", "succeeded" };
	cr_assert_eq(ev.n, (int)ARRAY_SIZE(want), "got %d events want %zu", ev.n, ARRAY_SIZE(want));
	for (int i = 0; i < ev.n; i++) {
		cr_assert_str_eq(ev.type[i], want[i], "event %d: %s want %s", i, ev.type[i],
		                 want[i]);
		if (i)
			cr_assert_gt(ev.id[i], ev.id[i - 1], "ids %lld then %lld",
			             (long long)ev.id[i - 1], (long long)ev.id[i]);
		cr_assert(strstr(ev.data[i], id) != NULL, "event %d data %s", i, ev.data[i]);
	}
	cr_assert(strstr(ev.data[2], "\"stage\":\"a\"") != NULL, "%s", ev.data[2]);

	struct events after;
	list_events(id, ev.id[1], 100, &after);
	cr_assert_eq(after.n, 3, "after the 2nd: got %d", after.n);
	cr_assert_eq(after.id[0], ev.id[2]);
	list_events(id, ev.id[1], 2, &after);
	cr_assert_eq(after.n, 2, "max 2: got %d", after.n);
	list_events(id, ev.id[4], 100, &after);
	cr_assert_eq(after.n, 0, "after the last: got %d", after.n);

	struct events o;
	list_events(other, 0, 100, &o);
	cr_assert_eq(o.n, 1, "the other job has only its queued event: %d", o.n);
}

/* ---- webhook deliveries ---- */

static int payload_calls;

static char *payload_fn(void *ctx, const char *type, const char *job_id, const char *kind,
                        const char *status, int64_t now)
{
	payload_calls++;
	char p[512];
	snprintf(p, sizeof p, "{\"type\":\"%s\",\"job\":\"%s\",\"kind\":\"%s\",\"status\":\"%s\"}",
	         type, job_id, kind, status);
	return md_strdup(p);
}

struct dlist {
	int n;
	char id[8][MD_UUID_LEN];
	char type[8][32];
	char status[8][16];
	char payload[8][512];
	char url[8][128];
	int attempts[8];
	int last_status[8];
};

static int delivery_cb(void *ctx, const struct store_delivery *d)
{
	struct dlist *l = ctx;
	if (l->n < 8) {
		memcpy(l->id[l->n], d->id, MD_UUID_LEN);
		snprintf(l->type[l->n], 32, "%s", d->event_type);
		snprintf(l->status[l->n], 16, "%s", d->status);
		snprintf(l->payload[l->n], 512, "%s", d->payload);
		snprintf(l->url[l->n], 128, "%s", d->url);
		l->attempts[l->n] = d->attempts;
		l->last_status[l->n] = d->last_status;
	}
	l->n++;
	return 0;
}

static void list_deliveries(const char *ws, const char *job, struct dlist *l)
{
	memset(l, 0, sizeof *l);
	int rc = store_delivery_list(fx.st, ws, job, delivery_cb, l);
	cr_assert_eq(rc, 0, "delivery list: %d", rc);
}

struct alist {
	int n;
	int attempt[8], status[8];
	char outcome[8][32];
};

static int attempt_cb(void *ctx, const struct store_attempt *a)
{
	struct alist *l = ctx;
	if (l->n < 8) {
		l->attempt[l->n] = a->attempt;
		l->status[l->n] = a->http_status;
		snprintf(l->outcome[l->n], 32, "%s", a->outcome);
	}
	l->n++;
	return 0;
}

Test(store, webhook_delivery_rows_on_terminal_states)
{
	store_set_payload_builder(fx.st, payload_fn, NULL);
	const char *url = "https://example.com/hook";
	char ok[MD_UUID_LEN], bad[MD_UUID_LEN], cancel[MD_UUID_LEN], none[MD_UUID_LEN];
	submit_full(fx.ws.id, "kindA", 1, 1, url, fx.t0, ok);
	submit_full(fx.ws.id, "kindA", 1, 1, url, fx.t0 + 1, bad);
	submit_full(fx.ws.id, "kindA", 1, 1, url, fx.t0 + 2, cancel);
	submit_full(fx.ws.id, "kindA", 1, 1, NULL, fx.t0 + 3, none);
	struct store_job j;
	claim("w", fx.t0 + 10, 30000, &j);
	cr_assert_eq(store_job_succeed(fx.st, ok, j.lease_token, fx.t0 + 11, "{}"), 0);
	store_job_release(&j);
	claim("w", fx.t0 + 12, 30000, &j);
	cr_assert_eq(store_job_fail(fx.st, bad, j.lease_token, fx.t0 + 13, "{\"code\":\"X\"}", 0),
	             0);
	store_job_release(&j);
	bool term;
	cr_assert_eq(store_job_cancel(fx.st, fx.ws.id, cancel, fx.t0 + 14, &term), 0);
	claim("w", fx.t0 + 15, 30000, &j);
	cr_assert_eq(store_job_succeed(fx.st, none, j.lease_token, fx.t0 + 16, "{}"), 0);
	store_job_release(&j);

	struct dlist l;
	list_deliveries(fx.ws.id, ok, &l);
	cr_assert_eq(l.n, 1, "succeeded job: %d deliveries", l.n);
	cr_assert_str_eq(l.type[0], "job.succeeded");
	cr_assert_str_eq(l.status[0], "pending");
	cr_assert_str_eq(l.url[0], url);
	char want[512];
	snprintf(want, sizeof want,
	         "{\"type\":\"job.succeeded\",\"job\":\"%s\",\"kind\":\"kindA\",\"status\":"
	         "\"succeeded\"}",
	         ok);
	cr_assert_str_eq(l.payload[0], want, "payload %s", l.payload[0]);
	list_deliveries(fx.ws.id, bad, &l);
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(l.type[0], "job.failed");
	list_deliveries(fx.ws.id, cancel, &l);
	cr_assert_eq(l.n, 1);
	cr_assert_str_eq(l.type[0], "job.canceled");
	list_deliveries(fx.ws.id, none, &l);
	cr_assert_eq(l.n, 0, "no URL, no delivery: %d", l.n);
	list_deliveries(fx.ws.id, NULL, &l);
	cr_assert_eq(l.n, 3, "all deliveries: %d", l.n);
	list_deliveries(fx.ws2.id, NULL, &l);
	cr_assert_eq(l.n, 0, "beta sees none: %d", l.n);
	cr_assert_eq(payload_calls, 3, "payload built %d times", payload_calls);

	int64_t pending, succeeded, failed;
	cr_assert_eq(store_delivery_counts(fx.st, &pending, &succeeded, &failed), 0);
	cr_assert_eq(pending, 3, "pending %lld", (long long)pending);
}

Test(store, webhook_delivery_needs_a_payload_builder)
{
	char id[MD_UUID_LEN];
	submit_full(fx.ws.id, "k", 1, 1, "https://example.com/hook", fx.t0, id);
	struct store_job j;
	claim("w", fx.t0 + 1, 30000, &j);
	cr_assert_eq(store_job_succeed(fx.st, id, j.lease_token, fx.t0 + 2, "{}"), 0);
	store_job_release(&j);
	struct dlist l;
	list_deliveries(fx.ws.id, id, &l);
	cr_assert_eq(l.n, 0, "no builder, no delivery: %d", l.n);
}

Test(store, webhook_claim_record_redeliver_attempts)
{
	store_set_payload_builder(fx.st, payload_fn, NULL);
	char id[MD_UUID_LEN];
	submit_full(fx.ws.id, "k", 1, 1, "https://example.com/hook", fx.t0, id);
	struct store_job j;
	claim("w", fx.t0 + 1, 30000, &j);
	cr_assert_eq(store_job_succeed(fx.st, id, j.lease_token, fx.t0 + 2, "{}"), 0);
	store_job_release(&j);

	struct store_delivery d;
	int rc = store_delivery_claim(fx.st, fx.t0 + 1, 10000, &d);
	cr_assert_eq(rc, MD_ENOTFOUND, "not due before its creation: got %d", rc);
	rc = store_delivery_claim(fx.st, fx.t0 + 2, 10000, &d);
	cr_assert_eq(rc, 0, "claim: %d", rc);
	cr_assert_str_eq(d.job_id, id);
	cr_assert_str_eq(d.workspace_id, fx.ws.id);
	cr_assert_str_eq(d.status, "delivering");
	cr_assert_eq(d.attempts, 1, "attempts %d", d.attempts);
	char did[MD_UUID_LEN];
	memcpy(did, d.id, sizeof did);
	store_delivery_release(&d);
	rc = store_delivery_claim(fx.st, fx.t0 + 3, 10000, &d);
	cr_assert_eq(rc, MD_ENOTFOUND, "leased: got %d", rc);

	struct store_attempt a1 = { .attempt = 1,
		                    .at = fx.t0 + 5,
		                    .http_status = 500,
		                    .outcome = "http_error",
		                    .error = "boom",
		                    .duration_ms = 12 };
	rc = store_delivery_record(fx.st, did, &a1, "pending", fx.t0 + 1000);
	cr_assert_eq(rc, 0, "record: %d", rc);
	rc = store_delivery_claim(fx.st, fx.t0 + 999, 10000, &d);
	cr_assert_eq(rc, MD_ENOTFOUND, "before next_attempt_at: got %d", rc);
	rc = store_delivery_claim(fx.st, fx.t0 + 1000, 10000, &d);
	cr_assert_eq(rc, 0, "second claim: %d", rc);
	cr_assert_eq(d.attempts, 2);
	cr_assert_eq(d.last_status, 500, "last_status %d", d.last_status);
	cr_assert_str_eq(d.last_error, "boom");
	store_delivery_release(&d);

	/* A delivering lease that expired is claimed again. */
	rc = store_delivery_claim(fx.st, fx.t0 + 20001, 10000, &d);
	cr_assert_eq(rc, 0, "expired delivery lease: %d", rc);
	cr_assert_eq(d.attempts, 3);
	store_delivery_release(&d);

	/* The node that held attempt 2 lost its lease: its late outcome is refused. */
	struct store_attempt late = { .attempt = 2,
		                      .at = fx.t0 + 20002,
		                      .http_status = 200,
		                      .outcome = "success",
		                      .error = NULL,
		                      .duration_ms = 9 };
	rc = store_delivery_record(fx.st, did, &late, "succeeded", 0);
	cr_assert_eq(rc, MD_ECONFLICT, "a stale attempt recorded: got %d", rc);

	struct store_attempt a2 = { .attempt = 3,
		                    .at = fx.t0 + 20002,
		                    .http_status = 0,
		                    .outcome = "timeout",
		                    .error = NULL,
		                    .duration_ms = 5 };
	cr_assert_eq(store_delivery_record(fx.st, did, &a2, "pending", fx.t0 + 20003), 0);
	cr_assert_eq(store_delivery_claim(fx.st, fx.t0 + 20003, 10000, &d), 0);
	store_delivery_release(&d);
	struct store_attempt a3 = { .attempt = 4,
		                    .at = fx.t0 + 20004,
		                    .http_status = 204,
		                    .outcome = "ok",
		                    .error = NULL,
		                    .duration_ms = 3 };
	cr_assert_eq(store_delivery_record(fx.st, did, &a3, "succeeded", 0), 0);
	rc = store_delivery_claim(fx.st, fx.t0 + 99999999, 10000, &d);
	cr_assert_eq(rc, MD_ENOTFOUND, "a succeeded delivery is done: %d", rc);

	struct alist al = { 0 };
	cr_assert_eq(store_delivery_attempts(fx.st, did, attempt_cb, &al), 0);
	cr_assert_eq(al.n, 3, "attempts recorded %d", al.n);
	cr_assert_eq(al.attempt[0], 1);
	cr_assert_eq(al.status[0], 500);
	cr_assert_str_eq(al.outcome[0], "http_error");
	cr_assert_eq(al.status[1], 0, "no HTTP status: %d", al.status[1]);
	cr_assert_str_eq(al.outcome[2], "ok");

	struct dlist l;
	list_deliveries(fx.ws.id, id, &l);
	cr_assert_str_eq(l.status[0], "succeeded");
	cr_assert_eq(l.last_status[0], 204);
	int64_t pending, succeeded, failed;
	cr_assert_eq(store_delivery_counts(fx.st, &pending, &succeeded, &failed), 0);
	cr_assert_eq(succeeded, 1, "succeeded %lld", (long long)succeeded);
	cr_assert_eq(pending, 0, "pending %lld", (long long)pending);

	rc = store_delivery_redeliver(fx.st, fx.ws2.id, did, fx.t0 + 30000);
	cr_assert_eq(rc, MD_ENOTFOUND, "another workspace's delivery: got %d want %d", rc,
	             MD_ENOTFOUND);
	rc = store_delivery_redeliver(fx.st, fx.ws.id, did, fx.t0 + 30000);
	cr_assert_eq(rc, 0, "redeliver: %d", rc);
	list_deliveries(fx.ws.id, id, &l);
	cr_assert_str_eq(l.status[0], "pending");
	rc = store_delivery_claim(fx.st, fx.t0 + 30000, 10000, &d);
	cr_assert_eq(rc, 0, "claim after redeliver: %d", rc);
	cr_assert_str_eq(d.id, did);
	store_delivery_release(&d);

	struct store_attempt a4 = { .attempt = 5,
		                    .at = fx.t0 + 30001,
		                    .http_status = 410,
		                    .outcome = "gone",
		                    .duration_ms = 1 };
	cr_assert_eq(store_delivery_record(fx.st, did, &a4, "gone", 0), 0);
	cr_assert_eq(store_delivery_counts(fx.st, &pending, &succeeded, &failed), 0);
	cr_assert_eq(failed, 1, "gone counts as failed: %lld", (long long)failed);
}

/* ---- stats ---- */

Test(store, queue_stats_and_position)
{
	char a[MD_UUID_LEN], b[MD_UUID_LEN], c[MD_UUID_LEN], d[MD_UUID_LEN], e[MD_UUID_LEN];
	submit(fx.t0, a);
	submit(fx.t0 + 1, b);
	submit(fx.t0 + 2, c);
	submit(fx.t0 + 3, d);
	submit(fx.t0 + 4, e);
	int64_t ahead = -1;
	cr_assert_eq(store_job_queue_position(fx.st, e, &ahead), 0);
	cr_assert_eq(ahead, 4, "ahead of e: %lld", (long long)ahead);
	cr_assert_eq(store_job_queue_position(fx.st, a, &ahead), 0);
	cr_assert_eq(ahead, 0, "ahead of a: %lld", (long long)ahead);

	struct store_job j;
	claim("w", fx.t0 + 10, 30000, &j); /* a */
	cr_assert_eq(store_job_succeed(fx.st, a, j.lease_token, fx.t0 + 110, "{}"), 0);
	store_job_release(&j);
	claim("w", fx.t0 + 200, 30000, &j); /* b */
	cr_assert_eq(store_job_fail(fx.st, b, j.lease_token, fx.t0 + 201, "{}", 0), 0);
	store_job_release(&j);
	claim("w", fx.t0 + 300, 30000, &j); /* c stays running */
	store_job_release(&j);
	bool term;
	cr_assert_eq(store_job_cancel(fx.st, fx.ws.id, d, fx.t0 + 301, &term), 0);

	struct store_queue_stats s;
	cr_assert_eq(store_queue_stats(fx.st, &s), 0);
	cr_assert_eq(s.queued, 1, "queued %lld", (long long)s.queued);
	cr_assert_eq(s.running, 1, "running %lld", (long long)s.running);
	cr_assert_eq(s.succeeded, 1, "succeeded %lld", (long long)s.succeeded);
	cr_assert_eq(s.failed, 1, "failed %lld", (long long)s.failed);
	cr_assert_eq(s.canceled, 1, "canceled %lld", (long long)s.canceled);
	cr_assert_float_eq(s.avg_run_ms, 100.0, 1e-9, "avg %f want 100", s.avg_run_ms);
	cr_assert_eq(store_job_queue_position(fx.st, e, &ahead), 0);
	cr_assert_eq(ahead, 0, "e is first now: %lld", (long long)ahead);
}

/* ---- listener ---- */

static struct {
	int n;
	char ids[16][MD_UUID_LEN];
	char status[16][16]; /* the status a separate connection saw during the callback */
} heard;

static void listener(void *ctx, const char *job_id)
{
	int i = heard.n++;
	if (i >= 16)
		return;
	snprintf(heard.ids[i], MD_UUID_LEN, "%s", job_id);
	/* Read with a connection of our own: the change must already be committed. */
	sqlite3 *db;
	sqlite3_open_v2(sqlite_file(), &db, SQLITE_OPEN_READONLY, NULL);
	sqlite3_stmt *s;
	sqlite3_prepare_v2(db, "SELECT status FROM jobs WHERE id = ?1", -1, &s, NULL);
	sqlite3_bind_text(s, 1, job_id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(s) == SQLITE_ROW)
		snprintf(heard.status[i], 16, "%s", (const char *)sqlite3_column_text(s, 0));
	else
		snprintf(heard.status[i], 16, "(none)");
	sqlite3_finalize(s);
	sqlite3_close(db);
}

Test(store, listener_called_after_commit)
{
	/* PostgreSQL also relays NOTIFY from its listener thread, asynchronously. */
	if (is_pg()) {
		store_fixture_close(&fx); /* criterion runs no .fini after a skip */
		cr_skip("the in-process listener contract is SQLite's");
	}
	store_set_listener(fx.st, listener, NULL);
	char id[MD_UUID_LEN];
	submit(fx.t0, id);
	cr_assert_eq(heard.n, 1, "after submit: %d calls", heard.n);
	cr_assert_str_eq(heard.ids[0], id);
	cr_assert_str_eq(heard.status[0], "queued", "seen during the callback: %s",
	                 heard.status[0]);

	struct store_job j;
	claim("w", fx.t0 + 1, 30000, &j);
	cr_assert_eq(heard.n, 2, "after claim: %d", heard.n);
	cr_assert_str_eq(heard.status[1], "running", "seen: %s", heard.status[1]);
	cr_assert_eq(
	    store_job_progress(fx.st, id, j.lease_token, fx.t0 + 2, fx.t0 + 30000, "s", 0.5), 0);
	cr_assert_eq(heard.n, 3, "after progress: %d", heard.n);
	cr_assert_eq(
	    store_job_progress(fx.st, id, j.lease_token, fx.t0 + 3, fx.t0 + 30000, NULL, 0), 0);
	cr_assert_eq(heard.n, 3, "a heartbeat appends no event: %d", heard.n);
	int rc =
	    store_job_succeed(fx.st, id, "00000000-0000-7000-8000-000000000000", fx.t0 + 4, "{}");
	cr_assert_eq(rc, MD_ECONFLICT);
	cr_assert_eq(heard.n, 3, "a rolled-back write is not heard: %d", heard.n);
	cr_assert_eq(store_job_succeed(fx.st, id, j.lease_token, fx.t0 + 5, "{}"), 0);
	cr_assert_eq(heard.n, 4, "after succeed: %d", heard.n);
	cr_assert_str_eq(heard.ids[3], id);
	cr_assert_str_eq(heard.status[3], "succeeded", "seen: %s", heard.status[3]);
	store_job_release(&j);
	expect_no_claim(fx.t0 + 6);
	cr_assert_eq(heard.n, 4, "an empty claim is not heard: %d", heard.n);
}

Test(store, listener_hears_every_job_a_claim_changed)
{
	if (is_pg()) {
		store_fixture_close(&fx); /* criterion runs no .fini after a skip */
		cr_skip("the in-process listener contract is SQLite's");
	}
	/* A rescue that gives up an exhausted job, then a claim of another: subscribers of both
	 * jobs must hear about them. */
	char dead[MD_UUID_LEN], next[MD_UUID_LEN];
	submit_full(fx.ws.id, "test", 1, 1, NULL, fx.t0, dead);
	struct store_job j;
	claim("a", fx.t0 + 1, 1000, &j);
	store_job_release(&j);
	submit(fx.t0 + 2, next);
	store_set_listener(fx.st, listener, NULL);
	rescue(fx.t0 + 5000);
	claim("b", fx.t0 + 5000, 1000, &j);
	cr_assert_str_eq(j.id, next);
	store_job_release(&j);
	expect_status(dead, "failed");
	bool heard_dead = false, heard_next = false;
	for (int i = 0; i < heard.n && i < 16; i++) {
		heard_dead |= !strcmp(heard.ids[i], dead);
		heard_next |= !strcmp(heard.ids[i], next);
	}
	cr_assert(heard_next, "the claimed job was not heard");
	cr_assert(heard_dead, "the job failed with WORKER_LOST was not heard (%d calls)", heard.n);
}

/* ---- fault injection ---- */

Test(store, fail_next_submits)
{
	store_fail_next_submits(fx.st, 2);
	struct store_job_new jn = { .workspace_id = fx.ws.id,
		                    .kind = "t",
		                    .input_json = "{}",
		                    .price = 1,
		                    .max_attempts = 1 };
	char id[MD_UUID_LEN];
	int rc = store_job_submit(fx.st, &jn, fx.t0, id, NULL);
	cr_assert_eq(rc, MD_EIO, "1st: got %d want %d", rc, MD_EIO);
	rc = store_job_submit(fx.st, &jn, fx.t0, id, NULL);
	cr_assert_eq(rc, MD_EIO, "2nd: got %d want %d", rc, MD_EIO);
	rc = store_job_submit(fx.st, &jn, fx.t0, id, NULL);
	cr_assert_eq(rc, 0, "3rd: got %d", rc);
	int n = 0;
	cr_assert_eq(store_job_list(fx.st, fx.ws.id, NULL, NULL, NULL, 100, count_job_cb, &n), 0);
	cr_assert_eq(n, 1, "jobs stored %d want 1", n);
}
