/*
 * share.c: a linkage run's work shared between helper jobs, on SQLite (migration 0007). A
 * SQLite store belongs to one process, so the helpers are jobs of this node; each operation
 * is one transaction on the single writer, which serialises claims, submits and take-overs
 * outright: a submit counts its owner's units and marks them done with no other write in
 * between, so a unit taken over before the submit is seen as taken over. Parts are written in
 * pieces of at most STORE_BLOB_CHUNK bytes and read back one owner at a time on a reader
 * inside one read transaction, so a part never mixes two attempts' pieces.
 */
#include <sqlite3.h>

#include "base/common.h"
#include "base/log.h"
#include "store/sqlite/sqlite_int.h"

/* Prepares sql and binds run_id (?1) and pass (?2), the key of every share statement. */
static sqlite3_stmt *prep_pass(struct sq_conn *c, const char *sql, const char *run_id, int pass)
{
	sqlite3_stmt *s = sq_prep(c, sql);
	if (s) {
		sq_bind_str(s, 1, run_id);
		sqlite3_bind_int(s, 2, pass);
	}
	return s;
}

/* Steps a statement that returns one integer (count, unit) and finalizes it. */
static int one_int(struct sq_conn *c, sqlite3_stmt *s, int64_t *v, bool *found)
{
	if (!s)
		return MD_EIO;
	int r = sqlite3_step(s);
	if (r == SQLITE_ROW)
		*v = sqlite3_column_int64(s, 0);
	else if (r != SQLITE_DONE)
		md_logf(MD_LOG_ERROR, "sqlite: %s", sqlite3_errmsg(c->db));
	sqlite3_finalize(s);
	if (found)
		*found = r == SQLITE_ROW;
	return r == SQLITE_ROW || r == SQLITE_DONE ? 0 : MD_EIO;
}

/* A heap copy of text column i; NULL for SQL NULL or when out of memory. */
static char *dup_col(sqlite3_stmt *s, int i)
{
	const char *t = (const char *)sqlite3_column_text(s, i);
	return t ? md_strdup(t) : NULL;
}

/* 0 when (run_id, pass) is open, MD_ENOTFOUND when not. */
static int pass_open(struct sq_conn *c, const char *run_id, int pass)
{
	int64_t v = 0;
	bool found = false;
	int rc = one_int(
	    c,
	    prep_pass(c, "SELECT 1 FROM lk_shares WHERE run_id = ?1 AND pass = ?2", run_id, pass),
	    &v, &found);
	return rc ? rc : found ? 0 : MD_ENOTFOUND;
}

int sq_lk_share_open(struct store *st, const char *run_id, int pass, int64_t nunits,
                     const void *plan, size_t plan_len, int64_t now)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	/* An earlier attempt's units and parts go: the new plan may cut the work differently. */
	int rc =
	    sq_run_done(c,
	                prep_pass(c, "DELETE FROM lk_share_units WHERE run_id = ?1 AND pass = ?2",
	                          run_id, pass),
	                NULL);
	if (!rc)
		rc = sq_run_done(
		    c,
		    prep_pass(c, "DELETE FROM lk_share_parts WHERE run_id = ?1 AND pass = ?2",
		              run_id, pass),
		    NULL);
	if (!rc) {
		sqlite3_stmt *s =
		    prep_pass(c,
		              "INSERT OR REPLACE INTO lk_shares(run_id, pass, nunits, "
		              "plan, opened_at) VALUES (?1, ?2, ?3, ?4, ?5)",
		              run_id, pass);
		if (s) {
			sqlite3_bind_int64(s, 3, nunits);
			sqlite3_bind_blob64(s, 4, plan_len ? plan : "", plan_len, SQLITE_STATIC);
			sqlite3_bind_int64(s, 5, now);
		}
		rc = sq_run_done(c, s, NULL);
	}
	if (!rc) {
		/* One statement writes every unit: a recursive CTE counts 0 .. nunits - 1. */
		sqlite3_stmt *s = prep_pass(c,
		                            "INSERT INTO lk_share_units(run_id, pass, unit) "
		                            "WITH RECURSIVE u(i) AS (SELECT 0 WHERE ?3 > 0 "
		                            "UNION ALL SELECT i + 1 FROM u WHERE i + 1 < ?3) "
		                            "SELECT ?1, ?2, i FROM u",
		                            run_id, pass);
		if (s)
			sqlite3_bind_int64(s, 3, nunits);
		rc = sq_run_done(c, s, NULL);
	}
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

int sq_lk_share_plan(struct store *st, const char *run_id, int pass, void **plan, size_t *len)
{
	*plan = NULL;
	*len = 0;
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	sqlite3_stmt *s = prep_pass(c, "SELECT plan FROM lk_shares WHERE run_id = ?1 AND pass = ?2",
	                            run_id, pass);
	int rc = MD_EIO;
	if (s) {
		int r = sqlite3_step(s);
		if (r == SQLITE_ROW) {
			size_t n = (size_t)sqlite3_column_bytes(s, 0);
			/* One byte more, so an empty plan is still a pointer the caller frees. */
			char *p = md_malloc(n + 1);
			rc = p ? 0 : MD_ENOMEM;
			if (p && n)
				memcpy(p, sqlite3_column_blob(s, 0), n);
			if (p) {
				p[n] = '\0';
				*plan = p;
				*len = n;
			}
		} else if (r == SQLITE_DONE) {
			rc = MD_ENOTFOUND;
		}
		sqlite3_finalize(s);
	}
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

/* Renews owner's unfinished units and takes the lowest claimable one (*found), in c's tx. */
static int claim_in(struct sq_conn *c, const char *run_id, int pass, const char *owner, int64_t now,
                    int64_t lease_ms, int64_t *unit, bool *found)
{
	sqlite3_stmt *s = prep_pass(c,
	                            "UPDATE lk_share_units SET lease_until = ?4 WHERE run_id = ?1 "
	                            "AND pass = ?2 AND owner = ?3 AND done = 0",
	                            run_id, pass);
	if (s) {
		sq_bind_str(s, 3, owner);
		sqlite3_bind_int64(s, 4, now + lease_ms);
	}
	int rc = sq_run_done(c, s, NULL);
	if (rc)
		return rc;
	/* A unit held by its owner was just renewed, so only free or abandoned ones qualify. */
	s = prep_pass(c,
	              "UPDATE lk_share_units SET owner = ?3, lease_until = ?4 WHERE run_id = ?1 "
	              "AND pass = ?2 AND unit = (SELECT unit FROM lk_share_units WHERE run_id = ?1 "
	              "AND pass = ?2 AND done = 0 AND (owner IS NULL OR lease_until < ?5) "
	              "ORDER BY unit LIMIT 1) RETURNING unit",
	              run_id, pass);
	if (s) {
		sq_bind_str(s, 3, owner);
		sqlite3_bind_int64(s, 4, now + lease_ms);
		sqlite3_bind_int64(s, 5, now);
	}
	return one_int(c, s, unit, found);
}

int sq_lk_share_claim(struct store *st, const char *run_id, int pass, const char *owner,
                      int64_t now, int64_t lease_ms, int64_t *unit, int64_t *others_pending)
{
	*others_pending = 0;
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	bool found = false;
	int rc = pass_open(c, run_id, pass);
	if (!rc)
		rc = claim_in(c, run_id, pass, owner, now, lease_ms, unit, &found);
	if (!rc) {
		sqlite3_stmt *s = prep_pass(c,
		                            "SELECT count(*) FROM lk_share_units WHERE run_id = ?1 "
		                            "AND pass = ?2 AND done = 0 AND owner <> ?3",
		                            run_id, pass);
		if (s)
			sq_bind_str(s, 3, owner);
		rc = one_int(c, s, others_pending, NULL);
	}
	/* The renewal is kept even when nothing was left to claim. */
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	rc = rc ? rc : erc;
	return rc ? rc : found ? 0 : MD_ENOTFOUND;
}

/* Frees owner's unfinished units of the pass for anyone to claim, in c's transaction. */
static int give_back(struct sq_conn *c, const char *run_id, int pass, const char *owner)
{
	sqlite3_stmt *s = prep_pass(c,
	                            "UPDATE lk_share_units SET owner = NULL, lease_until = NULL "
	                            "WHERE run_id = ?1 AND pass = ?2 AND owner = ?3 AND done = 0",
	                            run_id, pass);
	if (s)
		sq_bind_str(s, 3, owner);
	return sq_run_done(c, s, NULL);
}

/* Writes part as pieces of at most STORE_BLOB_CHUNK bytes (one empty piece for len 0). */
static int put_pieces(struct sq_conn *c, const char *run_id, int pass, const char *owner,
                      const void *part, size_t len)
{
	sqlite3_stmt *s = prep_pass(c,
	                            "INSERT INTO lk_share_parts(run_id, pass, owner, seq, data) "
	                            "VALUES (?1, ?2, ?3, ?4, ?5)",
	                            run_id, pass);
	if (!s)
		return MD_EIO;
	sq_bind_str(s, 3, owner);
	const char *p = part;
	int rc = 0;
	size_t off = 0;
	for (int64_t seq = 0; !rc && (seq == 0 || off < len); seq++) {
		size_t n = MD_MIN(len - off, STORE_BLOB_CHUNK);
		sqlite3_bind_int64(s, 4, seq);
		sqlite3_bind_blob64(s, 5, n ? p + off : "", n, SQLITE_STATIC);
		int r = sqlite3_step(s);
		if (r != SQLITE_DONE) {
			md_logf(MD_LOG_ERROR, "sqlite: %s", sqlite3_errmsg(c->db));
			rc = (r & 0xff) == SQLITE_CONSTRAINT ? MD_ECONFLICT : MD_EIO;
		}
		sqlite3_reset(s);
		off += n;
	}
	sqlite3_finalize(s);
	return rc;
}

int sq_lk_share_submit(struct store *st, const char *run_id, int pass, const char *owner,
                       int64_t nclaimed, const void *part, size_t len)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	int rc = pass_open(c, run_id, pass);
	int64_t held = 0;
	if (!rc) {
		sqlite3_stmt *s = prep_pass(c,
		                            "SELECT count(*) FROM lk_share_units WHERE run_id = ?1 "
		                            "AND pass = ?2 AND owner = ?3 AND done = 0",
		                            run_id, pass);
		if (s)
			sq_bind_str(s, 3, owner);
		rc = one_int(c, s, &held, NULL);
	}
	bool commit = rc == 0;
	if (!rc && held != nclaimed) {
		/* Some unit went to another owner (or the count is wrong): the part would count it
		 * twice or miss it, so it is dropped and what is left is given back. */
		rc = give_back(c, run_id, pass, owner);
		commit = rc == 0;
		rc = rc ? rc : MD_ECONFLICT;
	} else if (!rc) {
		sqlite3_stmt *s = prep_pass(c,
		                            "UPDATE lk_share_units SET done = 1 WHERE run_id = ?1 "
		                            "AND pass = ?2 AND owner = ?3 AND done = 0",
		                            run_id, pass);
		if (s)
			sq_bind_str(s, 3, owner);
		rc = sq_run_done(c, s, NULL);
		if (!rc)
			rc = put_pieces(c, run_id, pass, owner, part, len);
		commit = rc == 0;
	}
	int erc = sq_write_end(&SQ(st)->pool, commit);
	return rc ? rc : erc;
}

int sq_lk_share_release(struct store *st, const char *run_id, int pass, const char *owner)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	int rc = give_back(c, run_id, pass, owner);
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

/* Reads owner's pieces in seq order into one buffer of total bytes and hands it to cb. */
static int one_part(struct sq_conn *c, const char *run_id, int pass, const char *owner,
                    int64_t total,
                    int (*cb)(void *ctx, const char *owner, const void *part, size_t len),
                    void *ctx)
{
	if (total < 0 || (uint64_t)total >= SIZE_MAX)
		return MD_ELIMIT;
	char *buf = md_malloc((size_t)total + 1);
	if (!buf)
		return MD_ENOMEM;
	sqlite3_stmt *s = prep_pass(c,
	                            "SELECT seq, data FROM lk_share_parts WHERE run_id = ?1 "
	                            "AND pass = ?2 AND owner = ?3 ORDER BY seq",
	                            run_id, pass);
	int rc = s ? 0 : MD_EIO;
	size_t off = 0;
	if (s) {
		sq_bind_str(s, 3, owner);
		int r = SQLITE_DONE;
		for (int64_t seq = 0; !rc && (r = sqlite3_step(s)) == SQLITE_ROW; seq++) {
			size_t n = (size_t)sqlite3_column_bytes(s, 1);
			/* A gap or a size that disagrees with the total: a corrupt part. */
			if (sqlite3_column_int64(s, 0) != seq || n > (size_t)total - off) {
				rc = MD_EIO;
				break;
			}
			if (n)
				memcpy(buf + off, sqlite3_column_blob(s, 1), n);
			off += n;
		}
		if (!rc && r != SQLITE_DONE)
			rc = MD_EIO;
		sqlite3_finalize(s);
	}
	if (!rc && off != (size_t)total)
		rc = MD_EIO;
	if (!rc)
		rc = cb(ctx, owner, buf, off);
	md_free(buf);
	return rc;
}

int sq_lk_share_parts(struct store *st, const char *run_id, int pass,
                      int (*cb)(void *ctx, const char *owner, const void *part, size_t len),
                      void *ctx)
{
	struct sq_conn *c = sq_reader_get(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	/* One read transaction: a re-open or close meanwhile cannot tear a part. */
	if (sqlite3_exec(c->db, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		sq_reader_put(&SQ(st)->pool, c);
		return MD_EIO;
	}
	/* length() of a blob reads its size from the record header, not its bytes. */
	sqlite3_stmt *s = prep_pass(c,
	                            "SELECT owner, sum(length(data)) FROM lk_share_parts "
	                            "WHERE run_id = ?1 AND pass = ?2 GROUP BY owner ORDER BY owner",
	                            run_id, pass);
	int rc = s ? 0 : MD_EIO;
	if (s) {
		int r = SQLITE_DONE;
		while (!rc && (r = sqlite3_step(s)) == SQLITE_ROW) {
			/* The owner's text stays valid until s steps again: other statements on
			 * the connection do not touch it. */
			const char *owner = (const char *)sqlite3_column_text(s, 0);
			rc = owner ? one_part(c, run_id, pass, owner, sqlite3_column_int64(s, 1),
			                      cb, ctx)
			           : MD_ENOMEM;
		}
		if (!rc && r != SQLITE_DONE)
			rc = MD_EIO;
		sqlite3_finalize(s);
	}
	sqlite3_exec(c->db, "COMMIT", NULL, NULL, NULL);
	sq_reader_put(&SQ(st)->pool, c);
	return rc;
}

/* Deletes every pass of run_id, in c's transaction; *gone is how many passes there were. */
static int delete_run(struct sq_conn *c, const char *run_id, int *gone)
{
	static const char *const sql[] = {
		"DELETE FROM lk_share_units WHERE run_id = ?1",
		"DELETE FROM lk_share_parts WHERE run_id = ?1",
		"DELETE FROM lk_shares WHERE run_id = ?1",
	};
	int rc = 0;
	for (size_t i = 0; !rc && i < sizeof sql / sizeof sql[0]; i++) {
		sqlite3_stmt *s = sq_prep(c, sql[i]);
		if (s)
			sq_bind_str(s, 1, run_id);
		rc = sq_run_done(c, s, gone);
	}
	return rc;
}

int sq_lk_share_close(struct store *st, const char *run_id)
{
	struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
	if (!c)
		return MD_EUNAVAIL;
	int gone = 0;
	int rc = delete_run(c, run_id, &gone);
	int erc = sq_write_end(&SQ(st)->pool, rc == 0);
	return rc ? rc : erc;
}

int sq_lk_share_sweep(struct store *st, int *n)
{
	*n = 0;
	/* One transaction per run keeps each write short (a run's parts can be large). */
	for (;;) {
		struct sq_conn *c = sq_write_begin(&SQ(st)->pool);
		if (!c)
			return MD_EUNAVAIL;
		/* A heap copy: a truncated id would match nothing and loop for ever. */
		char *run_id = NULL;
		sqlite3_stmt *s = sq_prep(
		    c, "SELECT s.run_id FROM lk_shares s LEFT JOIN jobs j ON j.id = s.run_id "
		       "WHERE j.id IS NULL OR j.status IN ('succeeded', 'failed', "
		       "'canceled') LIMIT 1");
		int rc = s ? 0 : MD_EIO;
		if (s) {
			int r = sqlite3_step(s);
			if (r == SQLITE_ROW) {
				run_id = dup_col(s, 0);
				rc = run_id ? 0 : MD_ENOMEM;
			} else if (r != SQLITE_DONE) {
				rc = MD_EIO;
			}
			sqlite3_finalize(s);
		}
		int gone = 0;
		if (!rc && run_id)
			rc = delete_run(c, run_id, &gone);
		int erc = sq_write_end(&SQ(st)->pool, rc == 0);
		rc = rc ? rc : erc;
		bool done = !run_id;
		md_free(run_id);
		if (rc || done)
			return rc;
		(*n)++;
	}
}
