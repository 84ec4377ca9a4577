/*
 * share.c: a linkage run's work shared between nodes, on PostgreSQL (migration 0007). Several
 * nodes race on the same units, under READ COMMITTED, one transaction per operation.
 *
 * Locking, in one order everywhere so no two operations wait on each other in a cycle:
 * - the pass row (lk_shares) first. Claim, submit and release read it FOR SHARE, which both
 *   answers "is the pass open" and keeps open (an upsert of that row) and close/sweep (which
 *   lock a run's pass rows FOR UPDATE in pass order) from rewriting the units under them;
 *   share locks do not conflict, so claimers never wait on each other here.
 * - then unit rows. A claim takes its unit with FOR UPDATE SKIP LOCKED, never waiting; only
 *   the renewal, the submit and the release wait, and only on rows of their own owner that
 *   a claim is taking over, and such a claim waits on nothing once it holds its unit.
 *
 * Parts are written in pieces of at most STORE_BLOB_CHUNK bytes in the submit transaction
 * and read back one owner at a time, piece by piece (binary), inside one REPEATABLE READ
 * transaction so the pieces of a part all come from one snapshot.
 */
#include "base/common.h"
#include "base/log.h"
#include "store/postgres/postgres_int.h"

/* Every share statement's key: run_id ($1) and pass ($2). */
static void key(struct pg_params *p, const char *run_id, int pass)
{
	pg_text(p, run_id);
	pg_i64(p, pass);
}

/*
 * 0 when the pass is open, MD_ENOTFOUND when not; the row stays share-locked until the
 * transaction ends, so the pass cannot be re-opened or closed under the caller.
 */
static int lock_pass(struct pg_conn *c, const char *run_id, int pass)
{
	struct pg_params p = { 0 };
	key(&p, run_id, pass);
	int rc = MD_EIO;
	PGresult *r = pg_query(
	    c, "SELECT 1 FROM lk_shares WHERE run_id = $1 AND pass = $2 FOR SHARE", &p, &rc);
	if (!r)
		return rc;
	rc = PQntuples(r) == 1 ? 0 : MD_ENOTFOUND;
	PQclear(r);
	return rc;
}

/* Runs sql, which returns one bigint (or no row: *found false). */
static int one_int(struct pg_conn *c, const char *sql, const struct pg_params *p, int64_t *v,
                   bool *found)
{
	int rc = MD_EIO;
	PGresult *r = pg_query(c, sql, p, &rc);
	if (!r)
		return rc;
	bool have = PQntuples(r) == 1;
	if (have)
		*v = pg_geti(r, 0, 0);
	if (found)
		*found = have;
	PQclear(r);
	return 0;
}

int pg_lk_share_open(struct store *st, const char *run_id, int pass, int64_t nunits,
                     const void *plan, size_t plan_len, int64_t now)
{
	struct pg_conn *c = pg_op_begin(st, true);
	if (!c)
		return MD_EUNAVAIL;
	/* The upsert locks the pass row first: it waits for claims in flight on the earlier
	 * attempt, and claims that come after wait for this one and then see the new units. */
	struct pg_params p = { 0 };
	key(&p, run_id, pass);
	pg_i64(&p, nunits);
	pg_bin(&p, plan_len ? plan : "", plan_len);
	pg_i64(&p, now);
	int rc = pg_query_exec(c,
	                       "INSERT INTO lk_shares(run_id, pass, nunits, plan, opened_at) "
	                       "VALUES ($1, $2, $3, $4, $5) ON CONFLICT (run_id, pass) DO UPDATE "
	                       "SET nunits = EXCLUDED.nunits, plan = EXCLUDED.plan, "
	                       "opened_at = EXCLUDED.opened_at",
	                       &p, NULL);
	struct pg_params k = { 0 };
	key(&k, run_id, pass);
	if (!rc)
		rc = pg_query_exec(c, "DELETE FROM lk_share_units WHERE run_id = $1 AND pass = $2",
		                   &k, NULL);
	if (!rc)
		rc = pg_query_exec(c, "DELETE FROM lk_share_parts WHERE run_id = $1 AND pass = $2",
		                   &k, NULL);
	if (!rc) {
		struct pg_params u = { 0 };
		key(&u, run_id, pass);
		pg_i64(&u, nunits);
		rc =
		    pg_query_exec(c,
		                  "INSERT INTO lk_share_units(run_id, pass, unit) SELECT $1, $2, g "
		                  "FROM generate_series(0::bigint, $3::bigint - 1) AS g",
		                  &u, NULL);
	}
	return pg_op_end(st, c, rc, true);
}

int pg_lk_share_plan(struct store *st, const char *run_id, int pass, void **plan, size_t *len)
{
	*plan = NULL;
	*len = 0;
	struct pg_conn *c = pg_op_begin(st, false);
	if (!c)
		return MD_EUNAVAIL;
	struct pg_params p = { 0 };
	key(&p, run_id, pass);
	int rc = MD_EIO;
	/* Binary results: the bytes as stored, not bytea's hex text. */
	PGresult *r =
	    PQexecParams(c->c, "SELECT plan FROM lk_shares WHERE run_id = $1 AND pass = $2", p.n,
	                 NULL, p.v, p.len, p.fmt, 1);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		if (PQntuples(r) == 1) {
			size_t n = (size_t)PQgetlength(r, 0, 0);
			/* One byte more, so an empty plan is still a pointer the caller frees. */
			char *b = md_malloc(n + 1);
			rc = b ? 0 : MD_ENOMEM;
			if (b) {
				if (n)
					memcpy(b, PQgetvalue(r, 0, 0), n);
				b[n] = '\0';
				*plan = b;
				*len = n;
			}
		} else {
			rc = MD_ENOTFOUND;
		}
	} else {
		rc = pg_classify(c->c, r);
		md_logf(MD_LOG_ERROR, "postgres share: %s", PQerrorMessage(c->c));
	}
	PQclear(r);
	return pg_op_end(st, c, rc, false);
}

/*
 * Renews owner's unfinished units, then takes the lowest unit nobody holds or whose lease
 * ran out. SKIP LOCKED passes over units another transaction is claiming, submitting or
 * renewing; a row that changed since the statement's snapshot is re-checked on its newest
 * version before it is locked (READ COMMITTED), so a unit done or renewed meanwhile is never
 * taken.
 */
static int claim_in(struct pg_conn *c, const char *run_id, int pass, const char *owner, int64_t now,
                    int64_t lease_ms, int64_t *unit, bool *found)
{
	struct pg_params p = { 0 };
	key(&p, run_id, pass);
	pg_text(&p, owner);
	pg_i64(&p, now + lease_ms);
	int rc = pg_query_exec(c,
	                       "UPDATE lk_share_units SET lease_until = $4 WHERE run_id = $1 "
	                       "AND pass = $2 AND owner = $3 AND done = 0",
	                       &p, NULL);
	if (rc)
		return rc;
	pg_i64(&p, now);
	return one_int(
	    c,
	    "UPDATE lk_share_units SET owner = $3, lease_until = $4 WHERE run_id = $1 "
	    "AND pass = $2 AND unit = (SELECT unit FROM lk_share_units WHERE run_id = $1 "
	    "AND pass = $2 AND done = 0 AND (owner IS NULL OR lease_until < $5) "
	    "ORDER BY unit LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING unit",
	    &p, unit, found);
}

int pg_lk_share_claim(struct store *st, const char *run_id, int pass, const char *owner,
                      int64_t now, int64_t lease_ms, int64_t *unit, int64_t *others_pending)
{
	*others_pending = 0;
	struct pg_conn *c = pg_op_begin(st, true);
	if (!c)
		return MD_EUNAVAIL;
	bool found = false;
	int rc = lock_pass(c, run_id, pass);
	if (!rc)
		rc = claim_in(c, run_id, pass, owner, now, lease_ms, unit, &found);
	if (!rc) {
		struct pg_params p = { 0 };
		key(&p, run_id, pass);
		pg_text(&p, owner);
		rc = one_int(c,
		             "SELECT count(*) FROM lk_share_units WHERE run_id = $1 AND pass = $2 "
		             "AND done = 0 AND owner <> $3",
		             &p, others_pending, NULL);
	}
	/* The renewal is kept even when nothing was left to claim. */
	rc = pg_op_end(st, c, rc, true);
	return rc ? rc : found ? 0 : MD_ENOTFOUND;
}

/* Frees owner's unfinished units of the pass for anyone to claim, in c's transaction. */
static int give_back(struct pg_conn *c, const char *run_id, int pass, const char *owner)
{
	struct pg_params p = { 0 };
	key(&p, run_id, pass);
	pg_text(&p, owner);
	return pg_query_exec(c,
	                     "UPDATE lk_share_units SET owner = NULL, lease_until = NULL "
	                     "WHERE run_id = $1 AND pass = $2 AND owner = $3 AND done = 0",
	                     &p, NULL);
}

/* Writes part as pieces of at most STORE_BLOB_CHUNK bytes (one empty piece for len 0). */
static int put_pieces(struct pg_conn *c, const char *run_id, int pass, const char *owner,
                      const void *part, size_t len)
{
	const char *b = part;
	int rc = 0;
	size_t off = 0;
	for (int64_t seq = 0; !rc && (seq == 0 || off < len); seq++) {
		size_t n = MD_MIN(len - off, STORE_BLOB_CHUNK);
		struct pg_params p = { 0 };
		key(&p, run_id, pass);
		pg_text(&p, owner);
		pg_i64(&p, seq);
		pg_bin(&p, n ? b + off : "", n);
		rc = pg_query_exec(c,
		                   "INSERT INTO lk_share_parts(run_id, pass, owner, seq, data) "
		                   "VALUES ($1, $2, $3, $4, $5)",
		                   &p, NULL);
		off += n;
	}
	return rc;
}

/*
 * Why a submit and a take-over of the same unit cannot both succeed (READ COMMITTED): the
 * submit locks every unfinished unit of its owner FOR UPDATE before counting them. A take-over
 * that committed first changed the unit's owner, so the lock, which re-checks its WHERE on the
 * newest row version, leaves the unit out and the count falls short: MD_ECONFLICT. A take-over
 * still in flight holds the row, so the submit waits for it and then sees the new owner the
 * same way. A take-over that starts after the submit's lock skips the locked row (SKIP
 * LOCKED) or, once the submit committed, finds it done. Between the count and the update
 * that marks the units done the rows stay locked, so the two always agree.
 */
int pg_lk_share_submit(struct store *st, const char *run_id, int pass, const char *owner,
                       int64_t nclaimed, const void *part, size_t len)
{
	struct pg_conn *c = pg_op_begin(st, true);
	if (!c)
		return MD_EUNAVAIL;
	int rc = lock_pass(c, run_id, pass);
	int64_t held = 0;
	struct pg_params p = { 0 };
	key(&p, run_id, pass);
	pg_text(&p, owner);
	if (!rc)
		rc = one_int(
		    c,
		    "SELECT count(*) FROM (SELECT unit FROM lk_share_units WHERE run_id = $1 "
		    "AND pass = $2 AND owner = $3 AND done = 0 FOR UPDATE) AS mine",
		    &p, &held, NULL);
	if (!rc && held != nclaimed) {
		/* Some unit went to another owner (or the count is wrong): the part would count it
		 * twice or miss it, so it is dropped and what is left is given back, committed. */
		rc = give_back(c, run_id, pass, owner);
		rc = pg_op_end(st, c, rc, true);
		return rc ? rc : MD_ECONFLICT;
	}
	int changed = 0;
	if (!rc)
		rc = pg_query_exec(
		    c,
		    "UPDATE lk_share_units SET done = 1 WHERE run_id = $1 AND pass = $2 "
		    "AND owner = $3 AND done = 0",
		    &p, &changed);
	if (!rc && changed != held)
		rc = MD_EIO; /* the locked rows changed: cannot happen, never commit if it does */
	if (!rc)
		rc = put_pieces(c, run_id, pass, owner, part, len);
	return pg_op_end(st, c, rc, true);
}

int pg_lk_share_release(struct store *st, const char *run_id, int pass, const char *owner)
{
	struct pg_conn *c = pg_op_begin(st, true);
	if (!c)
		return MD_EUNAVAIL;
	int rc = lock_pass(c, run_id, pass);
	if (!rc)
		rc = give_back(c, run_id, pass, owner);
	/* A pass that is not open has nothing to give back. */
	if (rc == MD_ENOTFOUND)
		rc = 0;
	return pg_op_end(st, c, rc, true);
}

/* Reads piece seq of owner's part into dst (at most cap bytes); *n is its size. */
static int read_piece(struct pg_conn *c, const char *run_id, int pass, const char *owner,
                      int64_t seq, char *dst, size_t cap, size_t *n)
{
	struct pg_params p = { 0 };
	key(&p, run_id, pass);
	pg_text(&p, owner);
	pg_i64(&p, seq);
	int rc = MD_EIO;
	PGresult *r =
	    PQexecParams(c->c,
	                 "SELECT data FROM lk_share_parts WHERE run_id = $1 AND pass = $2 "
	                 "AND owner = $3 AND seq = $4",
	                 p.n, NULL, p.v, p.len, p.fmt, 1);
	if (PQresultStatus(r) == PGRES_TUPLES_OK) {
		/* A missing piece or one larger than the total: a corrupt part. */
		*n = PQntuples(r) == 1 ? (size_t)PQgetlength(r, 0, 0) : 0;
		rc = PQntuples(r) == 1 && *n <= cap ? 0 : MD_EIO;
		if (!rc && *n)
			memcpy(dst, PQgetvalue(r, 0, 0), *n);
	} else {
		rc = pg_classify(c->c, r);
		md_logf(MD_LOG_ERROR, "postgres share: %s", PQerrorMessage(c->c));
	}
	PQclear(r);
	return rc;
}

/* Reads owner's pieces (count of them, total bytes) into one buffer and hands it to cb. */
static int one_part(struct pg_conn *c, const char *run_id, int pass, const char *owner,
                    int64_t count, int64_t total,
                    int (*cb)(void *ctx, const char *owner, const void *part, size_t len),
                    void *ctx)
{
	if (total < 0 || (uint64_t)total >= SIZE_MAX)
		return MD_ELIMIT;
	char *buf = md_malloc((size_t)total + 1);
	if (!buf)
		return MD_ENOMEM;
	int rc = 0;
	size_t off = 0;
	for (int64_t seq = 0; !rc && seq < count; seq++) {
		size_t n = 0;
		rc = read_piece(c, run_id, pass, owner, seq, buf + off, (size_t)total - off, &n);
		off += n;
	}
	if (!rc && off != (size_t)total)
		rc = MD_EIO;
	if (!rc)
		rc = cb(ctx, owner, buf, off);
	md_free(buf);
	return rc;
}

int pg_lk_share_parts(struct store *st, const char *run_id, int pass,
                      int (*cb)(void *ctx, const char *owner, const void *part, size_t len),
                      void *ctx)
{
	struct pg_conn *c = pg_op_begin(st, false);
	if (!c)
		return MD_EUNAVAIL;
	int rc = pg_cmd(c, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
	struct pg_params p = { 0 };
	key(&p, run_id, pass);
	PGresult *r = NULL;
	/* COLLATE "C": the same byte order as SQLite's, whatever the database's locale. */
	if (!rc)
		r = pg_query(c,
		             "SELECT owner, count(*), coalesce(sum(octet_length(data)), 0)::bigint "
		             "FROM lk_share_parts WHERE run_id = $1 AND pass = $2 GROUP BY owner "
		             "ORDER BY owner COLLATE \"C\"",
		             &p, &rc);
	for (int i = 0; r && !rc && i < PQntuples(r); i++)
		rc = one_part(c, run_id, pass, PQgetvalue(r, i, 0), pg_geti(r, i, 1),
		              pg_geti(r, i, 2), cb, ctx);
	if (r)
		PQclear(r);
	/* Read only: ending it either way changes nothing, and pg_put would roll it back. */
	if (PQtransactionStatus(c->c) != PQTRANS_IDLE)
		(void)pg_cmd(c, rc ? "ROLLBACK" : "COMMIT");
	return pg_op_end(st, c, rc, false);
}

/*
 * Deletes every pass of run_id in c's transaction, locking its pass rows in pass order first
 * (the order every closer uses, so two nodes sweeping the same run queue up instead of
 * deadlocking); *gone is how many passes there were.
 */
static int delete_run(struct pg_conn *c, const char *run_id, int *gone)
{
	struct pg_params p = { 0 };
	pg_text(&p, run_id);
	int rc = MD_EIO;
	PGresult *r = pg_query(
	    c, "SELECT pass FROM lk_shares WHERE run_id = $1 ORDER BY pass FOR UPDATE", &p, &rc);
	if (!r)
		return rc;
	*gone = PQntuples(r);
	PQclear(r);
	rc = pg_query_exec(c, "DELETE FROM lk_share_units WHERE run_id = $1", &p, NULL);
	if (!rc)
		rc = pg_query_exec(c, "DELETE FROM lk_share_parts WHERE run_id = $1", &p, NULL);
	if (!rc)
		rc = pg_query_exec(c, "DELETE FROM lk_shares WHERE run_id = $1", &p, NULL);
	return rc;
}

int pg_lk_share_close(struct store *st, const char *run_id)
{
	struct pg_conn *c = pg_op_begin(st, true);
	if (!c)
		return MD_EUNAVAIL;
	int gone = 0;
	return pg_op_end(st, c, delete_run(c, run_id, &gone), true);
}

int pg_lk_share_sweep(struct store *st, int *n)
{
	*n = 0;
	/* One transaction per run keeps each write short (a run's parts can be large). The
	 * candidate is read without a lock and deleted under delete_run's ordered locks; a run
	 * another node swept meanwhile deletes nothing and is not counted. */
	for (;;) {
		struct pg_conn *c = pg_op_begin(st, true);
		if (!c)
			return MD_EUNAVAIL;
		int rc = MD_EIO;
		char *run_id = NULL;
		struct pg_params none = { 0 };
		PGresult *r =
		    pg_query(c,
		             "SELECT s.run_id FROM lk_shares s LEFT JOIN jobs j ON j.id = "
		             "s.run_id WHERE j.id IS NULL OR j.status IN ('succeeded', "
		             "'failed', 'canceled') LIMIT 1",
		             &none, &rc);
		if (r) {
			bool oom = false;
			rc = 0;
			if (PQntuples(r) == 1)
				run_id = pg_getdup(r, 0, 0, &oom);
			if (oom)
				rc = MD_ENOMEM;
			PQclear(r);
		}
		int gone = 0;
		if (!rc && run_id)
			rc = delete_run(c, run_id, &gone);
		rc = pg_op_end(st, c, rc, true);
		bool done = !run_id;
		md_free(run_id);
		if (rc || done)
			return rc;
		if (gone)
			(*n)++;
	}
}
