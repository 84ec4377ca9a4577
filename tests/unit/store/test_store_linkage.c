/*
 * test_store_linkage.c: the record-linkage operations of store.h (datasets, configs, run
 * results) on a fresh store with workspaces "alpha" and "beta". SQLite unless
 * MATCHD_TEST_PG_URL names a PostgreSQL server (each test then gets a new database).
 */
#include <criterion/criterion.h>
#include <libpq-fe.h>
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
	store_fixture_open(&fx, "lk");
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

TestSuite(store_linkage, .init = l_setup, .fini = l_teardown);

static const char csv[] = "a,b\n1,2\n3,4\n";

static void new_dataset(const char *name, int64_t now, struct store_lk_dataset *d)
{
	int rc = store_lk_dataset_create(l_st, l_ws.id, name, "[\"a\",\"b\"]", 2, csv,
	                                 sizeof csv - 1, now, d);
	cr_assert_eq(rc, 0, "dataset create: got %d want 0", rc);
}

Test(store_linkage, dataset_round_trip_blob_and_isolation)
{
	struct store_lk_dataset d, g;
	new_dataset("people", LT, &d);
	cr_assert_str_eq(d.name, "people");
	int rc = store_lk_dataset_get(l_st, l_ws.id, d.id, &g);
	cr_assert_eq(rc, 0, "get: %d", rc);
	cr_assert_str_eq(g.columns, "[\"a\",\"b\"]", "columns %s", g.columns);
	cr_assert_eq(g.row_count, 2, "row_count %lld", (long long)g.row_count);
	cr_assert_eq(g.created_at, LT);
	cr_assert_str_eq(g.blob_id, d.blob_id);
	void *data = NULL;
	size_t len = 0;
	cr_assert_eq(store_blob_get(l_st, l_ws.id, g.blob_id, &data, &len), 0);
	cr_assert_eq(len, sizeof csv - 1, "blob length %zu", len);
	cr_assert(memcmp(data, csv, len) == 0, "blob bytes differ");
	md_free(data);
	rc = store_lk_dataset_get(l_st, l_ws2.id, d.id, &g);
	cr_assert_eq(rc, MD_ENOTFOUND, "other workspace: got %d want %d", rc, MD_ENOTFOUND);
	rc = store_lk_dataset_delete(l_st, l_ws2.id, d.id);
	cr_assert_eq(rc, MD_ENOTFOUND, "other workspace delete: got %d", rc);
	store_lk_dataset_release(&g);
	cr_assert_eq(store_lk_dataset_delete(l_st, l_ws.id, d.id), 0);
	rc = store_lk_dataset_get(l_st, l_ws.id, d.id, &g);
	cr_assert_eq(rc, MD_ENOTFOUND, "after delete: got %d", rc);
	rc = store_blob_get(l_st, l_ws.id, d.blob_id, &data, &len);
	cr_assert_eq(rc, MD_ENOTFOUND, "the blob goes with the dataset: got %d", rc);
	store_lk_dataset_release(&d);
}

struct ds_page {
	char last[MD_UUID_LEN];
	int n;
};

static int count_ds(void *ctx, const struct store_lk_dataset *d)
{
	struct ds_page *pg = ctx;
	cr_assert(pg->last[0] == '\0' || strcmp(d->id, pg->last) < 0, "newest first");
	snprintf(pg->last, MD_UUID_LEN, "%s", d->id);
	pg->n++;
	return 0;
}

Test(store_linkage, dataset_list_newest_first_with_cursor)
{
	struct store_lk_dataset d[3];
	for (int i = 0; i < 3; i++)
		new_dataset("d", LT + i, &d[i]);
	struct ds_page pg = { "", 0 };
	cr_assert_eq(store_lk_dataset_list(l_st, l_ws.id, "", 2, count_ds, &pg), 0);
	cr_assert_eq(pg.n, 2, "first page %d", pg.n);
	cr_assert_str_eq(pg.last, d[1].id);
	char cursor[MD_UUID_LEN];
	snprintf(cursor, sizeof cursor, "%s", pg.last);
	pg = (struct ds_page){ "", 0 };
	cr_assert_eq(store_lk_dataset_list(l_st, l_ws.id, cursor, 2, count_ds, &pg), 0);
	cr_assert_eq(pg.n, 1, "second page %d", pg.n);
	cr_assert_str_eq(pg.last, d[0].id);
	pg = (struct ds_page){ "", 0 };
	cr_assert_eq(store_lk_dataset_list(l_st, l_ws2.id, "", 10, count_ds, &pg), 0);
	cr_assert_eq(pg.n, 0, "other workspace sees %d", pg.n);
	for (int i = 0; i < 3; i++)
		store_lk_dataset_release(&d[i]);
}

static int count_cfg(void *ctx, const struct store_lk_config *c)
{
	(*(int *)ctx)++;
	return 0;
}

Test(store_linkage, config_crud_and_isolation)
{
	struct store_lk_config c, g;
	cr_assert_eq(store_lk_config_create(l_st, l_ws.id, "{\"name\":\"x\"}", LT, &c), 0);
	cr_assert_eq(store_lk_config_get(l_st, l_ws.id, c.id, &g), 0);
	cr_assert_str_eq(g.body, "{\"name\":\"x\"}");
	store_lk_config_release(&g);
	int rc = store_lk_config_update(l_st, l_ws.id, c.id, "{\"name\":\"y\"}", LT + 5);
	cr_assert_eq(rc, 0, "update: %d", rc);
	cr_assert_eq(store_lk_config_get(l_st, l_ws.id, c.id, &g), 0);
	cr_assert_str_eq(g.body, "{\"name\":\"y\"}");
	cr_assert_eq(g.updated_at, LT + 5);
	cr_assert_eq(g.created_at, LT);
	store_lk_config_release(&g);
	cr_assert_eq(store_lk_config_get(l_st, l_ws2.id, c.id, &g), MD_ENOTFOUND);
	cr_assert_eq(store_lk_config_update(l_st, l_ws2.id, c.id, "{}", LT), MD_ENOTFOUND);
	cr_assert_eq(store_lk_config_delete(l_st, l_ws2.id, c.id), MD_ENOTFOUND);
	int n = 0;
	cr_assert_eq(store_lk_config_list(l_st, l_ws.id, "", 10, count_cfg, &n), 0);
	cr_assert_eq(n, 1, "list %d", n);
	cr_assert_eq(store_lk_config_delete(l_st, l_ws.id, c.id), 0);
	cr_assert_eq(store_lk_config_get(l_st, l_ws.id, c.id, &g), MD_ENOTFOUND);
	store_lk_config_release(&c);
}

/* A linkage job claimed by a worker: its id and lease token. */
static void running_job(char id[MD_UUID_LEN], struct store_job *j)
{
	struct store_job_new jn = { .workspace_id = l_ws.id,
		                    .kind = "linkage",
		                    .input_json = "{}",
		                    .price = 1,
		                    .max_attempts = 2 };
	cr_assert_eq(store_job_submit(l_st, &jn, LT, id, NULL), 0);
	int rc = store_job_claim(l_st, "w1", LT + 1, 30000, j);
	cr_assert_eq(rc, 0, "claim: %d", rc);
	cr_assert_str_eq(j->id, id);
}

/* ---- compact rows (migration 0004) ---- */

struct crows {
	int n;
	int64_t rows[32];
	char status[32][16];
	double conf[32];
	unsigned char rec[32][8];
	size_t rec_len[32];
};

static int collect_rows(void *ctx, const struct store_lk_row *r)
{
	struct crows *s = ctx;
	cr_assert_lt(s->n, 32);
	cr_assert_leq(r->rec_len, 8);
	s->rows[s->n] = r->row;
	snprintf(s->status[s->n], 16, "%s", r->status);
	s->conf[s->n] = r->confidence;
	memcpy(s->rec[s->n], r->rec, r->rec_len);
	s->rec_len[s->n] = r->rec_len;
	s->n++;
	return 0;
}

/* Rows from..from+n-1: status cycles matched/unmatched/review, rec = {row, 0x00, 0xff, row}. */
static void make_rows(struct store_lk_row *rows, unsigned char recs[][4], int from, int n)
{
	static const char *const st[] = { "matched", "unmatched", "review" };
	for (int i = 0; i < n; i++) {
		int r = from + i;
		recs[i][0] = (unsigned char)r;
		recs[i][1] = 0;
		recs[i][2] = 0xff;
		recs[i][3] = (unsigned char)r;
		rows[i] = (struct store_lk_row){
			.row = r, .confidence = r / 20.0, .rec = recs[i], .rec_len = 4
		};
		snprintf(rows[i].status, sizeof rows[i].status, "%s", st[r % 3]);
	}
}

Test(store_linkage, rows_batches_guarded_replaced_and_filtered)
{
	char id[MD_UUID_LEN];
	struct store_job j;
	running_job(id, &j);
	struct store_lk_row rows[10];
	unsigned char recs[10][4];
	make_rows(rows, recs, 0, 10);
	int rc = store_lk_rows_put(l_st, l_ws.id, id, "not-the-token", true, rows, 10);
	cr_assert_eq(rc, MD_ECONFLICT, "wrong token: got %d want %d", rc, MD_ECONFLICT);
	rc = store_lk_rows_put(l_st, l_ws2.id, id, j.lease_token, true, rows, 10);
	cr_assert_eq(rc, MD_ECONFLICT, "other workspace: got %d", rc);
	/* A first attempt wrote 10 rows; the next attempt's first batch replaces them all. */
	cr_assert_eq(store_lk_rows_put(l_st, l_ws.id, id, j.lease_token, true, rows, 10), 0);
	make_rows(rows, recs, 0, 6);
	cr_assert_eq(store_lk_rows_put(l_st, l_ws.id, id, j.lease_token, true, rows, 6), 0);
	unsigned char recs2[10][4];
	struct store_lk_row rows2[10];
	make_rows(rows2, recs2, 6, 6);
	cr_assert_eq(store_lk_rows_put(l_st, l_ws.id, id, j.lease_token, false, rows2, 6), 0);
	/* A batch that repeats a row fails as a whole. */
	rc = store_lk_rows_put(l_st, l_ws.id, id, j.lease_token, false, rows2, 1);
	cr_assert_neq(rc, 0, "a duplicate row was accepted");

	struct crows s = { 0 };
	cr_assert_eq(store_lk_rows_list(l_st, l_ws.id, id, -1, 0, 0, NULL, collect_rows, &s), 0);
	cr_assert_eq(s.n, 12, "rows %d want 12", s.n);
	for (int i = 0; i < 12; i++) {
		cr_assert_eq(s.rows[i], i);
		cr_assert_eq(s.rec_len[i], 4);
		const unsigned char want[4] = { (unsigned char)i, 0, 0xff, (unsigned char)i };
		cr_assert(!memcmp(s.rec[i], want, 4), "row %d: record changed in the store", i);
		cr_assert_float_eq(s.conf[i], i / 20.0, 1e-12);
	}
	cr_assert_str_eq(s.status[2], "review");
	memset(&s, 0, sizeof s);
	cr_assert_eq(store_lk_rows_list(l_st, l_ws.id, id, 4, 3, 0, NULL, collect_rows, &s), 0);
	cr_assert_eq(s.n, 3);
	cr_assert_eq(s.rows[0], 5, "after cursor 4: row %lld", (long long)s.rows[0]);
	memset(&s, 0, sizeof s);
	cr_assert_eq(store_lk_rows_list(l_st, l_ws.id, id, -1, 0, 0.5, NULL, collect_rows, &s), 0);
	cr_assert_eq(s.n, 2, "min_conf: %d", s.n);
	cr_assert_eq(s.rows[0], 10);
	memset(&s, 0, sizeof s);
	cr_assert_eq(store_lk_rows_list(l_st, l_ws.id, id, -1, 0, 0, "unmatched", collect_rows, &s),
	             0);
	cr_assert_eq(s.n, 4, "status filter: %d", s.n);
	cr_assert_eq(s.rows[3], 10);
	memset(&s, 0, sizeof s);
	cr_assert_eq(store_lk_rows_list(l_st, l_ws2.id, id, -1, 0, 0, NULL, collect_rows, &s), 0);
	cr_assert_eq(s.n, 0, "other workspace reads %d rows", s.n);
	/* The live summary: rows 0..11, matched are 0, 3, 6, 9 (confidence r / 20). */
	int64_t nrows = -1, nmatched = -1;
	double avg = -1;
	cr_assert_eq(store_lk_rows_stats(l_st, l_ws.id, id, &nrows, &nmatched, &avg), 0);
	cr_assert_eq(nrows, 12);
	cr_assert_eq(nmatched, 4);
	cr_assert_float_eq(avg, (0 + 3 + 6 + 9) / 4.0 / 20.0, 1e-12);
	cr_assert_eq(store_lk_rows_stats(l_st, l_ws2.id, id, &nrows, &nmatched, &avg), 0);
	cr_assert(nrows == 0 && nmatched == 0 && avg == 0, "other workspace: %lld rows",
	          (long long)nrows);
	/* An empty first batch clears the rows (a run of an empty table). */
	cr_assert_eq(store_lk_rows_put(l_st, l_ws.id, id, j.lease_token, true, NULL, 0), 0);
	cr_assert_eq(store_lk_rows_list(l_st, l_ws.id, id, -1, 0, 0, NULL, collect_rows, &s), 0);
	cr_assert_eq(s.n, 0, "after an empty first batch: %d rows", s.n);
	/* After the job succeeded, no worker can write its rows any more. */
	cr_assert_eq(store_job_succeed(l_st, id, j.lease_token, LT + 10, "{}"), 0);
	rc = store_lk_rows_put(l_st, l_ws.id, id, j.lease_token, true, rows, 1);
	cr_assert_eq(rc, MD_ECONFLICT, "after success: got %d", rc);
	store_job_release(&j);
}

Test(store_linkage, last_batch_is_written_with_the_success_or_not_at_all)
{
	char id[MD_UUID_LEN];
	struct store_job j;
	running_job(id, &j);
	struct store_lk_row rows[10], last[10];
	unsigned char recs[10][4], lrecs[10][4];
	make_rows(rows, recs, 0, 6);
	make_rows(last, lrecs, 6, 4);
	cr_assert_eq(store_lk_rows_put(l_st, l_ws.id, id, j.lease_token, true, rows, 6), 0);
	struct store_lk_final fin = { l_ws.id, false, last, 4 };
	/* A wrong token: neither the rows nor the success are written. */
	int rc = store_job_succeed_final(l_st, id, "not-the-token", LT + 5, "{}", &fin);
	cr_assert_eq(rc, MD_ECONFLICT, "wrong token: %d", rc);
	struct crows s = { 0 };
	cr_assert_eq(store_lk_rows_list(l_st, l_ws.id, id, -1, 0, 0, NULL, collect_rows, &s), 0);
	cr_assert_eq(s.n, 6, "rows after a refused success: %d", s.n);
	/* A batch that repeats a row fails the whole success: the job is still running. */
	struct store_lk_final dup = { l_ws.id, false, rows, 1 };
	rc = store_job_succeed_final(l_st, id, j.lease_token, LT + 6, "{}", &dup);
	cr_assert_neq(rc, 0, "a duplicate row was accepted");
	struct store_job got;
	cr_assert_eq(store_job_get(l_st, l_ws.id, id, &got), 0);
	cr_assert_str_eq(got.status, "running");
	store_job_release(&got);
	/* The right token: the last rows and the success commit together. */
	rc = store_job_succeed_final(l_st, id, j.lease_token, LT + 7, "{\"ok\":1}", &fin);
	cr_assert_eq(rc, 0, "succeed with the last batch: %d", rc);
	memset(&s, 0, sizeof s);
	cr_assert_eq(store_lk_rows_list(l_st, l_ws.id, id, -1, 0, 0, NULL, collect_rows, &s), 0);
	cr_assert_eq(s.n, 10, "rows after the success: %d", s.n);
	cr_assert_eq(s.rows[9], 9);
	cr_assert_eq(store_job_get(l_st, l_ws.id, id, &got), 0);
	cr_assert_str_eq(got.status, "succeeded");
	store_job_release(&got);
	store_job_release(&j);
}
