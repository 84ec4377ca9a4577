/*
 * linkage_results.h: the results of a record-matching run (private to the linkage family of
 * src/api). It owns the compact per-row record a run stores (migration 0004: row ids, status,
 * weights, per-field levels, candidates; no cell values), writing it in batches as a run
 * finishes, and rendering it at read time into the public JSON page and the streamed CSV
 * export, with the cell values taken from the run's stored tables.
 */
#ifndef MATCHD_API_LINKAGE_RESULTS_H
#define MATCHD_API_LINKAGE_RESULTS_H

#include <jansson.h>

#include "engines/linkage/linkage.h"
#include "http/server.h"
#include "store/store.h"

/* Rows per batch (and per write transaction) when a run writes its results. */
#define LKR_BATCH_ROWS 10000

/* "matched", "review" (best pair at or above threshold / 2) or "unmatched". */
const char *lkr_row_status(const struct lk_row_result *row, double threshold);

/* A batch of encoded rows kept for later (the run's last: its success writes it). */
struct lkr_batch {
	struct store_lk_row *rows;
	struct buf recs; /* the rows' records */
	struct store_lk_final final;
};
void lkr_batch_free(void *batch);

/*
 * Writes every row of res for job j (running under its lease token) in batches of
 * LKR_BATCH_ROWS, the first replacing an earlier attempt's rows. progress (may be NULL) is
 * called after each batch with the rows written so far; dedupe stores each row's cluster; a
 * non-zero return stops the writing with that code. The last batch is not written but returned
 * in *last (lkr_batch_free it), for the job's success to write in its own transaction
 * (store_job_succeed_final). Returns 0, MD_ECONFLICT (the lease is gone),
 * MD_ENOMEM or a store error.
 */
MD_WUR int lkr_write(struct store *st, const struct store_job *j, const struct lk_result *res,
                     double threshold, bool dedupe, int (*progress)(void *ctx, size_t done),
                     void *ctx, struct lkr_batch **last);

/*
 * The input table of online rows ({rows: [...]} runs) from the job input's rows and
 * input_columns: the runner builds it, and the results are rendered from it again.
 */
MD_WUR int lkr_rows_table(const json_t *rows, const json_t *cols, struct lk_table *t);

/*
 * Answers GET /v1/matching/runs/:id/results of succeeded run j whose job result (parsed) is
 * result and carries the "render" object written by the runner: a JSON page of at most limit
 * rows after row `after` (-1: from the start), or with csv every row as a streamed CSV.
 */
void lkr_serve(struct http_request *req, struct http_response *resp, struct store *st,
               const struct store_job *j, const json_t *result, int64_t after, int limit,
               double min_conf, const char *status, bool csv);

#endif
