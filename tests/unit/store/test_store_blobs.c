/*
 * test_store_blobs.c: blobs written in pieces (store_blob_writer_*, migration 0005): what a
 * committed upload reads back, that nothing is visible or left before the commit, aborts,
 * the sweep of abandoned uploads, deletes and workspace isolation. SQLite unless
 * MATCHD_TEST_PG_URL names a PostgreSQL server (each test then gets a new database).
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
#include <sqlite3.h>
#include <unistd.h>

#include "base/common.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "store/store.h"
#include "store_fixture.h"

static struct store_fixture fx;
static struct store *l_st;
static struct store_workspace l_ws, l_ws2;
static int64_t LT;

static void l_setup(void)
{
	store_fixture_open(&fx, "bl");
	l_st = fx.st;
	l_ws = fx.ws;
	l_ws2 = fx.ws2;
	LT = fx.t0;
}

static void l_teardown(void)
{
	store_fixture_close(&fx);
	l_st = NULL;
}

TestSuite(store_blobs, .init = l_setup, .fini = l_teardown, .timeout = 60);

/* Rows of a table, read behind the store's back (the chunks are not visible through it). */
static long long rows_of(const char *table)
{
	char sql[128];
	snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
	long long n = -1;
	if (!strncmp(fx.url, "sqlite:", 7)) {
		sqlite3 *db = NULL;
		cr_assert_eq(sqlite3_open(fx.url + 7, &db), SQLITE_OK);
		sqlite3_stmt *s = NULL;
		cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
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

static char *bytes(size_t n, uint32_t seed)
{
	char *d = md_malloc(n ? n : 1);
	cr_assert_not_null(d);
	for (size_t i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		d[i] = (char)(seed >> 16); /* NUL and high bytes included */
	}
	return d;
}

/* Appends data in uneven pieces, as a network would hand them over. */
static void append_all(struct store_blob_writer *w, const char *d, size_t n)
{
	size_t off = 0, step = 1;
	while (off < n) {
		size_t k = MD_MIN(n - off, step);
		cr_assert_eq(store_blob_writer_append(w, d + off, k), 0);
		off += k;
		step = step * 7 % 300007 + 1;
	}
	cr_assert_eq(store_blob_writer_size(w), n);
}

Test(store_blobs, committed_upload_reads_back_whole)
{
	size_t n = 2 * STORE_BLOB_CHUNK + 12345;
	char *d = bytes(n, 7);
	struct store_blob_writer *w = NULL;
	cr_assert_eq(store_blob_writer_open(l_st, l_ws.id, LT, &w), 0);
	append_all(w, d, n);
	/* Two full chunks are stored, the last waits for the commit; nothing is visible. */
	cr_assert_eq(rows_of("blob_chunks"), 2);
	cr_assert_eq(rows_of("blobs"), 0);
	cr_assert_eq(rows_of("linkage_datasets"), 0);
	struct store_lk_dataset ds;
	cr_assert_eq(store_lk_dataset_commit(w, "big", "[\"a\"]", 42, LT, &ds), 0);
	cr_assert_eq(rows_of("blob_chunks"), 3);
	cr_assert_eq(rows_of("blob_uploads"), 0);
	cr_assert_eq(ds.row_count, 42);
	cr_assert_str_eq(ds.name, "big");

	struct store_lk_dataset got;
	cr_assert_eq(store_lk_dataset_get(l_st, l_ws.id, ds.id, &got), 0);
	cr_assert_str_eq(got.blob_id, ds.blob_id);
	cr_assert_str_eq(got.columns, "[\"a\"]");
	void *back = NULL;
	size_t len = 0;
	cr_assert_eq(store_blob_get(l_st, l_ws.id, got.blob_id, &back, &len), 0);
	cr_assert_eq(len, n);
	cr_assert(memcmp(back, d, n) == 0, "the bytes read back are the bytes written");
	md_free(back);
	/* Another workspace does not see it. */
	cr_assert_eq(store_blob_get(l_st, l_ws2.id, got.blob_id, &back, &len), MD_ENOTFOUND);
	store_lk_dataset_release(&got);

	/* Deleting the dataset removes every chunk. */
	cr_assert_eq(store_lk_dataset_delete(l_st, l_ws.id, ds.id), 0);
	cr_assert_eq(rows_of("blob_chunks"), 0);
	cr_assert_eq(rows_of("blobs"), 0);
	store_lk_dataset_release(&ds);
	md_free(d);
}

Test(store_blobs, exact_chunk_multiple_and_empty_uploads)
{
	size_t sizes[] = { STORE_BLOB_CHUNK, 0, 1 };
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++) {
		size_t n = sizes[i];
		char *d = bytes(n, (uint32_t)i + 1);
		struct store_blob_writer *w = NULL;
		cr_assert_eq(store_blob_writer_open(l_st, l_ws.id, LT, &w), 0);
		append_all(w, d, n);
		struct store_lk_dataset ds;
		cr_assert_eq(store_lk_dataset_commit(w, "t", "[]", 0, LT, &ds), 0);
		void *back = NULL;
		size_t len = 99;
		cr_assert_eq(store_blob_get(l_st, l_ws.id, ds.blob_id, &back, &len), 0);
		cr_assert_eq(len, n, "size %zu read back as %zu", n, len);
		cr_assert(n == 0 || memcmp(back, d, n) == 0);
		md_free(back);
		store_lk_dataset_release(&ds);
		md_free(d);
	}
	/* Whole blobs written before 0005 still read as before. */
	struct store_lk_dataset old;
	cr_assert_eq(
	    store_lk_dataset_create(l_st, l_ws.id, "old", "[\"x\"]", 1, "x\n1\n", 4, LT, &old), 0);
	void *back = NULL;
	size_t len = 0;
	cr_assert_eq(store_blob_get(l_st, l_ws.id, old.blob_id, &back, &len), 0);
	cr_assert_eq(len, 4);
	cr_assert(memcmp(back, "x\n1\n", 4) == 0);
	md_free(back);
	store_lk_dataset_release(&old);
}

Test(store_blobs, abort_leaves_nothing)
{
	size_t n = 3 * STORE_BLOB_CHUNK + 5;
	char *d = bytes(n, 3);
	struct store_blob_writer *w = NULL;
	cr_assert_eq(store_blob_writer_open(l_st, l_ws.id, LT, &w), 0);
	append_all(w, d, n);
	cr_assert_eq(rows_of("blob_chunks"), 3);
	cr_assert_eq(rows_of("blob_uploads"), 1);
	store_blob_writer_abort(w);
	store_blob_writer_abort(NULL);
	cr_assert_eq(rows_of("blob_chunks"), 0);
	cr_assert_eq(rows_of("blob_uploads"), 0);
	cr_assert_eq(rows_of("blobs"), 0);
	cr_assert_eq(rows_of("linkage_datasets"), 0);
	md_free(d);
}

Test(store_blobs, abandoned_uploads_are_swept_after_an_hour)
{
	size_t n = STORE_BLOB_CHUNK + 10;
	char *d = bytes(n, 5);
	/* One upload began two hours ago and was abandoned (a crash); one is in progress. */
	struct store_blob_writer *old = NULL, *live = NULL;
	cr_assert_eq(store_blob_writer_open(l_st, l_ws.id, LT - 60 * 1000, &live), 0);
	cr_assert_eq(store_blob_writer_open(l_st, l_ws.id, LT - 2 * 3600 * 1000, &old), 0);
	append_all(old, d, n);
	append_all(live, d, n);
	cr_assert_eq(rows_of("blob_chunks"), 2);
	int swept = -1;
	cr_assert_eq(store_blob_sweep(l_st, LT - STORE_BLOB_UPLOAD_TTL_MS, &swept), 0);
	cr_assert_eq(swept, 1);
	cr_assert_eq(rows_of("blob_chunks"), 1, "the live upload keeps its chunk");
	cr_assert_eq(rows_of("blob_uploads"), 1);
	/* The swept upload cannot commit; the live one can. */
	struct store_lk_dataset ds;
	cr_assert_eq(store_lk_dataset_commit(old, "late", "[]", 0, LT, &ds), MD_ENOTFOUND);
	cr_assert_eq(rows_of("linkage_datasets"), 0);
	cr_assert_eq(rows_of("blob_chunks"), 1);
	cr_assert_eq(store_lk_dataset_commit(live, "ok", "[]", 0, LT, &ds), 0);
	void *back = NULL;
	size_t len = 0;
	cr_assert_eq(store_blob_get(l_st, l_ws.id, ds.blob_id, &back, &len), 0);
	cr_assert_eq(len, n);
	cr_assert(memcmp(back, d, n) == 0);
	md_free(back);
	store_lk_dataset_release(&ds);
	/* Opening a writer sweeps too (a node that only takes uploads cleans up after itself). */
	cr_assert_eq(store_blob_writer_open(l_st, l_ws.id, LT - 3 * 3600 * 1000, &old), 0);
	append_all(old, d, n);
	cr_assert_eq(store_blob_writer_open(l_st, l_ws.id, LT, &live), 0);
	cr_assert_eq(rows_of("blob_uploads"), 1);
	store_blob_writer_abort(live);
	store_blob_writer_abort(old);
	md_free(d);
}
