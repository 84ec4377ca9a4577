/*
 * test_store_share.c: a linkage run's work shared between nodes (store.h, migration 0007):
 * passes, unit claims under leases, take-overs, parts in pieces, close and sweep, and the
 * two job changes that come with them (not_on, internal kinds unlisted). Times are explicit
 * `now` values, never sleeps. SQLite unless MATCHD_TEST_PG_URL names a PostgreSQL server
 * (each test then gets a new database, and the races run on real row locks).
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>

#include "base/common.h"
#include "store/store.h"
#include "store_fixture.h"

static struct store_fixture fx;
static struct store *s_st;

static void s_setup(void)
{
	store_fixture_open(&fx, "sh");
	s_st = fx.st;
}

static void s_teardown(void)
{
	store_fixture_close(&fx);
	s_st = NULL;
}

TestSuite(store_share, .init = s_setup, .fini = s_teardown, .timeout = 120);

#define RUN "run-1"
#define LEASE 100

static bool on_pg(void)
{
	return strncmp(fx.url, "sqlite:", 7) != 0;
}

/* One integer read behind the store's back, for what the store does not show (pieces). */
static long long scalar(const char *sql)
{
	long long n = -1;
	if (!on_pg()) {
		sqlite3 *db = NULL;
		cr_assert_eq(sqlite3_open(fx.url + 7, &db), SQLITE_OK);
		sqlite3_stmt *s = NULL;
		cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK, "%s",
		             sqlite3_errmsg(db));
		if (sqlite3_step(s) == SQLITE_ROW)
			n = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
		sqlite3_close(db);
	} else {
		PGconn *c = PQconnectdb(fx.url);
		cr_assert_eq(PQstatus(c), CONNECTION_OK, "%s", PQerrorMessage(c));
		PGresult *r = PQexec(c, sql);
		cr_assert_eq(PQresultStatus(r), PGRES_TUPLES_OK, "%s", PQerrorMessage(c));
		n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		PQclear(r);
		PQfinish(c);
	}
	return n;
}

static void open_pass(const char *run, int pass, int64_t nunits, const char *plan, int64_t now)
{
	int rc = store_lk_share_open(s_st, run, pass, nunits, plan, strlen(plan), now);
	cr_assert_eq(rc, 0, "open %s/%d: got %d want 0", run, pass, rc);
}

/* Claims for owner at now and checks the unit (-1: nothing claimable) and others_pending. */
static void claim_is(const char *owner, int64_t now, int64_t want_unit, int64_t want_others)
{
	int64_t unit = -7, others = -7;
	int rc = store_lk_share_claim(s_st, RUN, 0, owner, now, LEASE, &unit, &others);
	if (want_unit < 0) {
		cr_assert_eq(rc, MD_ENOTFOUND, "%s at %lld: got rc %d (unit %lld) want ENOTFOUND",
		             owner, (long long)now, rc, (long long)unit);
	} else {
		cr_assert_eq(rc, 0, "%s at %lld: got rc %d want 0", owner, (long long)now, rc);
		cr_assert_eq(unit, want_unit, "%s at %lld: got unit %lld want %lld", owner,
		             (long long)now, (long long)unit, (long long)want_unit);
	}
	cr_assert_eq(others, want_others, "%s at %lld: others_pending %lld want %lld", owner,
	             (long long)now, (long long)others, (long long)want_others);
}

/* ---- parts, collected ---- */

struct got_part {
	char owner[32];
	size_t len;
	unsigned char *data;
};

struct got_parts {
	int n;
	struct got_part p[8];
};

static int collect(void *ctx, const char *owner, const void *part, size_t len)
{
	struct got_parts *g = ctx;
	cr_assert_lt(g->n, 8);
	struct got_part *p = &g->p[g->n++];
	snprintf(p->owner, sizeof p->owner, "%s", owner);
	p->len = len;
	p->data = md_malloc(len ? len : 1);
	cr_assert_not_null(p->data);
	memcpy(p->data, part, len);
	return 0;
}

static void parts_release(struct got_parts *g)
{
	for (int i = 0; i < g->n; i++)
		md_free(g->p[i].data);
	g->n = 0;
}

static int parts_count(const char *run, int pass)
{
	struct got_parts g = { 0 };
	int rc = store_lk_share_parts(s_st, run, pass, collect, &g);
	cr_assert_eq(rc, 0, "parts: %d", rc);
	int n = g.n;
	parts_release(&g);
	return n;
}

static unsigned char *pattern(size_t n, uint32_t seed)
{
	unsigned char *d = md_malloc(n ? n : 1);
	cr_assert_not_null(d);
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		d[i] = (unsigned char)(seed >> 16); /* NUL and high bytes included */
	}
	return d;
}

/* ---- passes and claims ---- */

Test(store_share, open_plan_and_claims_in_unit_order)
{
	int64_t unit = 0, others = 0;
	int rc = store_lk_share_open(s_st, RUN, 0, -1, "p", 1, 1000);
	cr_assert_eq(rc, MD_EINVAL, "negative nunits: got %d", rc);
	rc = store_lk_share_claim(s_st, RUN, 0, "h1", 1000, LEASE, &unit, &others);
	cr_assert_eq(rc, MD_ENOTFOUND, "claim before open: got %d", rc);
	cr_assert_eq(others, 0);

	static const char plan[] = "blocking\0plan with a NUL";
	cr_assert_eq(store_lk_share_open(s_st, RUN, 0, 3, plan, sizeof plan, 1000), 0);
	void *p = NULL;
	size_t len = 0;
	cr_assert_eq(store_lk_share_plan(s_st, RUN, 0, &p, &len), 0);
	cr_assert_eq(len, sizeof plan, "plan length %zu", len);
	cr_assert(memcmp(p, plan, len) == 0, "plan bytes differ");
	md_free(p);
	rc = store_lk_share_plan(s_st, RUN, 1, &p, &len);
	cr_assert_eq(rc, MD_ENOTFOUND, "pass 1 not open: got %d", rc);

	claim_is("h1", 1000, 0, 0);
	claim_is("h2", 1000, 1, 1);
	claim_is("h1", 1001, 2, 1);
	claim_is("h3", 1002, -1, 3);
	/* NULL others_pending is allowed. */
	rc = store_lk_share_claim(s_st, RUN, 0, "h3", 1003, LEASE, &unit, NULL);
	cr_assert_eq(rc, MD_ENOTFOUND, "got %d", rc);
	/* An empty pass opens and has nothing to claim. */
	open_pass(RUN, 1, 0, "", 1000);
	cr_assert_eq(store_lk_share_plan(s_st, RUN, 1, &p, &len), 0);
	cr_assert_eq(len, 0);
	md_free(p);
	rc = store_lk_share_claim(s_st, RUN, 1, "h1", 1000, LEASE, &unit, &others);
	cr_assert_eq(rc, MD_ENOTFOUND, "empty pass: got %d", rc);
}

Test(store_share, claims_renew_leases_and_take_over_expired_units)
{
	open_pass(RUN, 0, 3, "plan", 1000);
	claim_is("A", 1000, 0, 0); /* unit 0 until 1100 */
	claim_is("A", 1050, 1, 0); /* renews unit 0 to 1150; unit 1 until 1150 */
	claim_is("B", 1100, 2, 2); /* unit 0 would have expired at 1100 without the renewal */
	claim_is("B", 1120, -1, 2);
	/* At 1160 A's leases ran out: B takes the lowest, and its own unit 2 is renewed. */
	claim_is("B", 1160, 0, 1);
	claim_is("C", 1220, 1, 2); /* B's unit 2 renewed to 1260, so only A's unit 1 is left */
	claim_is("C", 1230, -1, 2);
}

Test(store_share, submit_marks_units_done_and_stores_the_part)
{
	open_pass(RUN, 0, 3, "plan", 1000);
	claim_is("run", 1000, 0, 0);
	claim_is("h1", 1000, 1, 1);
	claim_is("h1", 1000, 2, 1);
	claim_is("run", 1001, -1, 2);
	int rc = store_lk_share_submit(s_st, RUN, 0, "h1", 2, "part-h1", 7);
	cr_assert_eq(rc, 0, "submit: %d", rc);
	/* The run's own unit is not counted as another's; the done ones are gone. */
	claim_is("run", 1002, -1, 0);
	/* Long after every lease ran out, only the run's own unit can be taken over. */
	claim_is("h2", 5000, 0, 0);
	claim_is("h3", 5050, -1, 1);
	struct got_parts g = { 0 };
	cr_assert_eq(store_lk_share_parts(s_st, RUN, 0, collect, &g), 0);
	cr_assert_eq(g.n, 1, "parts %d", g.n);
	cr_assert_str_eq(g.p[0].owner, "h1");
	cr_assert_eq(g.p[0].len, 7);
	cr_assert(memcmp(g.p[0].data, "part-h1", 7) == 0);
	parts_release(&g);
	rc = store_lk_share_submit(s_st, RUN, 1, "h1", 0, "x", 1);
	cr_assert_eq(rc, MD_ENOTFOUND, "submit to a pass not open: got %d", rc);
}

Test(store_share, submit_after_take_over_conflicts_stores_nothing_gives_back)
{
	open_pass(RUN, 0, 3, "plan", 1000);
	claim_is("A", 1000, 0, 0);
	claim_is("A", 1000, 1, 0); /* A holds 0 and 1 until 1100 */
	claim_is("B", 1200, 0, 1); /* takes over unit 0 */
	int rc = store_lk_share_submit(s_st, RUN, 0, "A", 2, "late", 4);
	cr_assert_eq(rc, MD_ECONFLICT, "submit after take-over: got %d want %d", rc, MD_ECONFLICT);
	cr_assert_eq(parts_count(RUN, 0), 0, "nothing stored");
	/* Unit 1 went back: free now, so D can claim it at a time A's lease still covered. */
	claim_is("D", 1050, 1, 1);
	/* B's unit 0 is not done: a submit with the right count succeeds. */
	rc = store_lk_share_submit(s_st, RUN, 0, "B", 1, "b", 1);
	cr_assert_eq(rc, 0, "B submit: %d", rc);
	/* A wrong count (fewer held than claimed) conflicts the same way. */
	rc = store_lk_share_submit(s_st, RUN, 0, "D", 2, "d", 1);
	cr_assert_eq(rc, MD_ECONFLICT, "wrong count: got %d", rc);
	claim_is("E", 1051, 1, 0);
	cr_assert_eq(parts_count(RUN, 0), 1);
}

Test(store_share, release_gives_units_back)
{
	open_pass(RUN, 0, 2, "plan", 1000);
	claim_is("A", 1000, 0, 0);
	claim_is("A", 1000, 1, 0);
	cr_assert_eq(store_lk_share_release(s_st, RUN, 0, "A"), 0);
	claim_is("B", 1001, 0, 0);
	cr_assert_eq(store_lk_share_release(s_st, RUN, 1, "A"), 0, "a pass not open: no-op");
}

Test(store_share, parts_in_pieces_round_trip_in_owner_order)
{
	open_pass(RUN, 0, 3, "plan", 1000);
	claim_is("helper-b", 1000, 0, 0);
	claim_is("helper-a", 1000, 1, 1);
	claim_is("helper-c", 1000, 2, 2);
	const size_t big = 3 * STORE_BLOB_CHUNK + 12345;
	unsigned char *d = pattern(big, 7);
	cr_assert_eq(store_lk_share_submit(s_st, RUN, 0, "helper-b", 1, d, big), 0);
	cr_assert_eq(store_lk_share_submit(s_st, RUN, 0, "helper-a", 1, "small", 5), 0);
	cr_assert_eq(store_lk_share_submit(s_st, RUN, 0, "helper-c", 1, NULL, 0), 0);
	long long pieces = scalar("SELECT count(*) FROM lk_share_parts WHERE owner = 'helper-b'");
	cr_assert_eq(pieces, 4, "a %zu-byte part in 1 MiB pieces: got %lld", big, pieces);
	long long widest = on_pg() ? scalar("SELECT max(octet_length(data)) FROM lk_share_parts")
	                           : scalar("SELECT max(length(data)) FROM lk_share_parts");
	cr_assert_eq(widest, (long long)STORE_BLOB_CHUNK, "widest piece %lld", widest);

	struct got_parts g = { 0 };
	cr_assert_eq(store_lk_share_parts(s_st, RUN, 0, collect, &g), 0);
	cr_assert_eq(g.n, 3, "parts %d", g.n);
	cr_assert_str_eq(g.p[0].owner, "helper-a");
	cr_assert_eq(g.p[0].len, 5);
	cr_assert(memcmp(g.p[0].data, "small", 5) == 0);
	cr_assert_str_eq(g.p[1].owner, "helper-b");
	cr_assert_eq(g.p[1].len, big, "big part length %zu", g.p[1].len);
	cr_assert(memcmp(g.p[1].data, d, big) == 0, "big part bytes differ");
	cr_assert_str_eq(g.p[2].owner, "helper-c");
	cr_assert_eq(g.p[2].len, 0);
	parts_release(&g);
	md_free(d);
}

static int stop_at_first(void *ctx, const char *owner, const void *part, size_t len)
{
	(*(int *)ctx)++;
	return MD_ECANCELED;
}

Test(store_share, parts_callback_error_stops_the_walk)
{
	open_pass(RUN, 0, 2, "plan", 1000);
	claim_is("a", 1000, 0, 0);
	claim_is("b", 1000, 1, 1);
	cr_assert_eq(store_lk_share_submit(s_st, RUN, 0, "a", 1, "1", 1), 0);
	cr_assert_eq(store_lk_share_submit(s_st, RUN, 0, "b", 1, "2", 1), 0);
	int calls = 0;
	int rc = store_lk_share_parts(s_st, RUN, 0, stop_at_first, &calls);
	cr_assert_eq(rc, MD_ECANCELED, "got %d", rc);
	cr_assert_eq(calls, 1);
}

Test(store_share, reopen_replaces_the_earlier_attempt)
{
	open_pass(RUN, 0, 2, "old plan", 1000);
	claim_is("h1", 1000, 0, 0);
	claim_is("h2", 1000, 1, 1);
	cr_assert_eq(store_lk_share_submit(s_st, RUN, 0, "h1", 1, "old", 3), 0);
	open_pass(RUN, 0, 3, "new plan", 2000);
	void *p = NULL;
	size_t len = 0;
	cr_assert_eq(store_lk_share_plan(s_st, RUN, 0, &p, &len), 0);
	cr_assert_eq(len, 8);
	cr_assert(memcmp(p, "new plan", 8) == 0);
	md_free(p);
	cr_assert_eq(parts_count(RUN, 0), 0, "the old part is gone");
	/* Every unit is free again, h2's lease included, and there are three. */
	claim_is("h3", 1000, 0, 0);
	claim_is("h3", 1000, 1, 0);
	claim_is("h3", 1000, 2, 0);
	claim_is("h3", 1000, -1, 0);
	/* h2's submit for the earlier attempt no longer matches what it holds. */
	cr_assert_eq(store_lk_share_submit(s_st, RUN, 0, "h2", 1, "x", 1), MD_ECONFLICT);
}

Test(store_share, close_deletes_every_pass_of_the_run_only)
{
	open_pass(RUN, 0, 2, "p0", 1000);
	open_pass(RUN, 1, 2, "p1", 1000);
	open_pass("run-2", 0, 1, "other", 1000);
	claim_is("h", 1000, 0, 0);
	cr_assert_eq(store_lk_share_submit(s_st, RUN, 0, "h", 1, "x", 1), 0);
	cr_assert_eq(store_lk_share_close(s_st, RUN), 0);
	void *p = NULL;
	size_t len = 0;
	cr_assert_eq(store_lk_share_plan(s_st, RUN, 0, &p, &len), MD_ENOTFOUND);
	cr_assert_eq(store_lk_share_plan(s_st, RUN, 1, &p, &len), MD_ENOTFOUND);
	claim_is("h", 1001, -1, 0);
	cr_assert_eq(parts_count(RUN, 0), 0);
	cr_assert_eq(scalar("SELECT count(*) FROM lk_share_units WHERE run_id = 'run-1'"), 0);
	cr_assert_eq(scalar("SELECT count(*) FROM lk_share_parts"), 0);
	cr_assert_eq(store_lk_share_plan(s_st, "run-2", 0, &p, &len), 0, "another run stays");
	md_free(p);
	cr_assert_eq(store_lk_share_close(s_st, RUN), 0, "closing twice is fine");
}

/* ---- jobs ---- */

static void submit_job(const char *kind, const char *not_on, char id[MD_UUID_LEN])
{
	struct store_job_new jn = { .workspace_id = fx.ws.id,
		                    .kind = kind,
		                    .input_json = "{}",
		                    .price = 0,
		                    .max_attempts = 2,
		                    .not_on = not_on };
	int rc = store_job_submit(s_st, &jn, fx.t0, id, NULL);
	cr_assert_eq(rc, 0, "submit %s: %d", kind, rc);
}

Test(store_share, sweep_removes_shares_of_ended_or_missing_runs)
{
	char running[MD_UUID_LEN], canceled[MD_UUID_LEN], queued[MD_UUID_LEN];
	submit_job("linkage", NULL, running);
	struct store_job j;
	cr_assert_eq(store_job_claim(s_st, "nodeA", fx.t0 + 1, 30000, &j), 0);
	cr_assert_str_eq(j.id, running);
	store_job_release(&j);
	submit_job("linkage", NULL, canceled);
	submit_job("linkage", NULL, queued);
	bool now_terminal = false;
	cr_assert_eq(store_job_cancel(s_st, fx.ws.id, canceled, fx.t0 + 2, &now_terminal), 0);
	cr_assert(now_terminal);
	open_pass(running, 0, 2, "p", 1000);
	open_pass(running, 1, 2, "p", 1000);
	open_pass(canceled, 0, 2, "p", 1000);
	open_pass(canceled, 1, 2, "p", 1000);
	open_pass(queued, 0, 2, "p", 1000);
	open_pass("no-such-job", 0, 2, "p", 1000);
	int n = -1;
	cr_assert_eq(store_lk_share_sweep(s_st, &n), 0);
	cr_assert_eq(n, 2, "swept %d runs, want 2 (canceled, missing)", n);
	void *p = NULL;
	size_t len = 0;
	cr_assert_eq(store_lk_share_plan(s_st, canceled, 0, &p, &len), MD_ENOTFOUND);
	cr_assert_eq(store_lk_share_plan(s_st, canceled, 1, &p, &len), MD_ENOTFOUND);
	cr_assert_eq(store_lk_share_plan(s_st, "no-such-job", 0, &p, &len), MD_ENOTFOUND);
	cr_assert_eq(store_lk_share_plan(s_st, running, 1, &p, &len), 0, "a running run stays");
	md_free(p);
	cr_assert_eq(store_lk_share_plan(s_st, queued, 0, &p, &len), 0, "a queued run stays");
	md_free(p);
	cr_assert_eq(scalar("SELECT count(*) FROM lk_share_units"), 6, "units of the kept runs");
	cr_assert_eq(store_lk_share_sweep(s_st, &n), 0);
	cr_assert_eq(n, 0, "nothing left to sweep: %d", n);
}

Test(store_share, not_on_keeps_a_job_off_that_node)
{
	char helper[MD_UUID_LEN], plain[MD_UUID_LEN];
	submit_job("_linkage_help", "nodeA", helper);
	submit_job("linkage", NULL, plain);
	struct store_job j;
	/* nodeA skips the helper (older, so first in line) and takes the plain job. */
	cr_assert_eq(store_job_claim(s_st, "nodeA", fx.t0 + 1, 30000, &j), 0);
	cr_assert_str_eq(j.id, plain, "nodeA claimed %s", j.id);
	store_job_release(&j);
	int rc = store_job_claim(s_st, "nodeA", fx.t0 + 2, 30000, &j);
	cr_assert_eq(rc, MD_ENOTFOUND, "nodeA must not claim its own run's helper: got %d", rc);
	cr_assert_eq(store_job_claim(s_st, "nodeB", fx.t0 + 3, 30000, &j), 0);
	cr_assert_str_eq(j.id, helper);
	cr_assert_str_eq(j.kind, "_linkage_help");
	store_job_release(&j);
}

struct listed {
	int n;
	char kinds[8][32];
};

static int list_cb(void *ctx, const struct store_job *j)
{
	struct listed *l = ctx;
	cr_assert_lt(l->n, 8);
	snprintf(l->kinds[l->n++], 32, "%s", j->kind);
	return 0;
}

Test(store_share, internal_kinds_are_never_listed)
{
	char id[MD_UUID_LEN];
	submit_job("_linkage_help", "nodeA", id);
	submit_job("linkage", NULL, id);
	submit_job("a_b", NULL, id); /* "_" inside a kind is an ordinary character */
	struct listed l = { 0 };
	cr_assert_eq(store_job_list(s_st, fx.ws.id, NULL, NULL, NULL, 50, list_cb, &l), 0);
	cr_assert_eq(l.n, 2, "listed %d jobs", l.n);
	cr_assert_str_eq(l.kinds[0], "a_b");
	cr_assert_str_eq(l.kinds[1], "linkage");
	l.n = 0;
	cr_assert_eq(store_job_list(s_st, fx.ws.id, NULL, "_linkage_help", NULL, 50, list_cb, &l),
	             0);
	cr_assert_eq(l.n, 0, "asking for the internal kind lists %d", l.n);
	/* The job itself is still readable by id (a worker reads it so). */
	struct store_job j;
	submit_job("_linkage_help", NULL, id);
	cr_assert_eq(store_job_get(s_st, NULL, id, &j), 0);
	store_job_release(&j);
	/* Nor do internal jobs count as queue ahead of a client's job. */
	char last[MD_UUID_LEN];
	submit_job("linkage", NULL, last);
	int64_t ahead = -1;
	cr_assert_eq(store_job_queue_position(s_st, last, &ahead), 0);
	cr_assert_eq(ahead, 2, "jobs ahead: %lld (the linkage and a_b jobs)", (long long)ahead);
}

/* ---- races: several claimers at once (real row locks on PostgreSQL) ---- */

#define RACE_UNITS 200
#define RACE_THREADS 6

struct racer {
	int idx;
	char owner[16];
	int64_t units[RACE_UNITS];
	int64_t n;
	int rc;
};

static atomic_int race_go;

static void *race_claims(void *arg)
{
	struct racer *r = arg;
	while (!atomic_load(&race_go))
		;
	for (;;) {
		int64_t unit = -1;
		int rc = store_lk_share_claim(s_st, RUN, 0, r->owner, 1000, 3600000, &unit, NULL);
		if (rc == MD_ENOTFOUND)
			break;
		if (rc) {
			r->rc = rc;
			break;
		}
		if (r->n < RACE_UNITS)
			r->units[r->n] = unit;
		r->n++;
	}
	return NULL;
}

Test(store_share, concurrent_claimers_take_every_unit_exactly_once)
{
	open_pass(RUN, 0, RACE_UNITS, "plan", 1000);
	static struct racer rs[RACE_THREADS];
	pthread_t th[RACE_THREADS];
	atomic_store(&race_go, 0);
	for (int i = 0; i < RACE_THREADS; i++) {
		rs[i] = (struct racer){ .idx = i };
		snprintf(rs[i].owner, sizeof rs[i].owner, "t%d", i);
		cr_assert_eq(pthread_create(&th[i], NULL, race_claims, &rs[i]), 0);
	}
	atomic_store(&race_go, 1);
	for (int i = 0; i < RACE_THREADS; i++)
		pthread_join(th[i], NULL);
	int seen[RACE_UNITS] = { 0 };
	int64_t total = 0;
	for (int i = 0; i < RACE_THREADS; i++) {
		cr_assert_eq(rs[i].rc, 0, "thread %d failed with %d", i, rs[i].rc);
		cr_assert_leq(rs[i].n, RACE_UNITS);
		total += rs[i].n;
		for (int64_t k = 0; k < rs[i].n; k++) {
			cr_assert(rs[i].units[k] >= 0 && rs[i].units[k] < RACE_UNITS);
			seen[rs[i].units[k]]++;
		}
	}
	cr_assert_eq(total, RACE_UNITS, "claims %lld want %d", (long long)total, RACE_UNITS);
	for (int u = 0; u < RACE_UNITS; u++)
		cr_assert_eq(seen[u], 1, "unit %d claimed %d times", u, seen[u]);
	for (int i = 0; i < RACE_THREADS; i++) {
		int rc = store_lk_share_submit(s_st, RUN, 0, rs[i].owner, rs[i].n, "p", 1);
		cr_assert_eq(rc, 0, "submit of %s: %d", rs[i].owner, rc);
	}
	claim_is("run", 1001, -1, 0);
	cr_assert_eq(parts_count(RUN, 0), RACE_THREADS);
}

struct duel {
	atomic_int *go;
	int rc;
	int64_t unit;
};

static void *duel_take_over(void *arg)
{
	struct duel *d = arg;
	while (!atomic_load(d->go))
		;
	d->rc = store_lk_share_claim(s_st, RUN, 0, "B", 5000, LEASE, &d->unit, NULL);
	return NULL;
}

static void *duel_submit(void *arg)
{
	struct duel *d = arg;
	while (!atomic_load(d->go))
		;
	d->rc = store_lk_share_submit(s_st, RUN, 0, "A", 1, "a", 1);
	return NULL;
}

/* A late submit and a take-over of the same unit, at once: exactly one of them wins. */
Test(store_share, submit_and_take_over_never_both_succeed)
{
	int submits = 0, takeovers = 0;
	for (int round = 0; round < 40; round++) {
		open_pass(RUN, 0, 1, "plan", 1000);
		claim_is("A", 1000, 0, 0); /* until 1100; B claims at 5000 */
		atomic_int go = 0;
		struct duel take = { .go = &go, .unit = -1 }, sub = { .go = &go };
		pthread_t t1, t2;
		cr_assert_eq(pthread_create(&t1, NULL, duel_take_over, &take), 0);
		cr_assert_eq(pthread_create(&t2, NULL, duel_submit, &sub), 0);
		atomic_store(&go, 1);
		pthread_join(t1, NULL);
		pthread_join(t2, NULL);
		if (sub.rc == 0) {
			cr_assert_eq(take.rc, MD_ENOTFOUND, "round %d: both won (take-over %d)",
			             round, take.rc);
			cr_assert_eq(parts_count(RUN, 0), 1);
			submits++;
		} else {
			cr_assert_eq(sub.rc, MD_ECONFLICT, "round %d: submit %d", round, sub.rc);
			cr_assert_eq(take.rc, 0, "round %d: neither won (take-over %d)", round,
			             take.rc);
			cr_assert_eq(take.unit, 0);
			cr_assert_eq(parts_count(RUN, 0), 0);
			takeovers++;
		}
	}
	cr_log_info("submit/take-over duel: %d submits won, %d take-overs won", submits, takeovers);
}
