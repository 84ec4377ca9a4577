/*
 * postgres_int.h: what the files of the PostgreSQL backend share (private to store/postgres/): the
 * backend's store struct, the operations implemented outside postgres.c that its ops table
 * points at (linkage.c: the record-linkage tables; share.c: a run's work shared between
 * nodes), and the statement helpers those two files use.
 */
#ifndef MATCHD_STORE_POSTGRES_POSTGRES_INT_H
#define MATCHD_STORE_POSTGRES_POSTGRES_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "store/postgres/pool.h"
#include "store/store_backend.h"

struct pg_store {
	struct store base; /* first: a struct store * is a struct pg_store * */
	struct pg_pool pool;
	pthread_t listener;
	bool listener_started;
	atomic_bool stopping;
	int stop_fd; /* an eventfd that ends the listener's poll at once */
};

#define PG(st) ((struct pg_store *)(st))

/*
 * linkage.c: unprepared statements (PQexecParams) for the record-linkage and share tables,
 * which run a few times per request or batch.
 */
/* The md_err of a failed statement: MD_ECONFLICT (unique), MD_EUNAVAIL (connection), MD_EIO. */
int pg_classify(PGconn *c, const PGresult *r);
/* Runs sql with p; the result (PQclear it) or NULL (logged) with *err set. */
PGresult *pg_query(struct pg_conn *c, const char *sql, const struct pg_params *p, int *err);
/* Runs a statement for its row count (changed may be NULL); 0 or the error. */
int pg_query_exec(struct pg_conn *c, const char *sql, const struct pg_params *p, int *changed);
/* Borrows a connection and, when tx, begins a transaction; NULL when the server is gone. */
struct pg_conn *pg_op_begin(struct store *st, bool tx);
/* Commits (rc == 0) or rolls back, gives the connection back; rc, or the commit's error. */
int pg_op_end(struct store *st, struct pg_conn *c, int rc, bool tx);

/* linkage.c: see store.h for what each does. */
int pg_lk_dataset_create(struct store *st, const char *ws_id, const char *name,
                         const char *columns_json, int64_t row_count, const void *csv, size_t len,
                         int64_t now, struct store_lk_dataset *out);
int pg_blob_upload_begin(struct store *st, const char *ws_id, const char *blob_id, int64_t now);
int pg_blob_chunk_put(struct store *st, const char *blob_id, int64_t seq, const void *data,
                      size_t len);
int pg_blob_upload_abort(struct store *st, const char *blob_id);
int pg_blob_upload_sweep(struct store *st, int64_t cutoff, int *n);
int pg_blob_chunk_stat(struct store *st, const char *blob_id, int64_t *count, int64_t *bytes);
int pg_blob_chunk_read(struct store *st, const char *blob_id, int64_t seq, void *dst, size_t cap,
                       size_t *len);
int pg_lk_dataset_commit(struct store *st, const char *ws_id, const char *blob_id, int64_t seq,
                         const void *last, size_t last_len, const char *name,
                         const char *columns_json, int64_t row_count, int64_t now,
                         struct store_lk_dataset *out);
int pg_lk_dataset_get(struct store *st, const char *ws_id, const char *id,
                      struct store_lk_dataset *out);
int pg_lk_dataset_list(struct store *st, const char *ws_id, const char *cursor, int limit,
                       int (*cb)(void *ctx, const struct store_lk_dataset *d), void *ctx);
int pg_lk_dataset_delete(struct store *st, const char *ws_id, const char *id);
int pg_lk_config_create(struct store *st, const char *ws_id, const char *body, int64_t now,
                        struct store_lk_config *out);
int pg_lk_config_get(struct store *st, const char *ws_id, const char *id,
                     struct store_lk_config *out);
int pg_lk_config_update(struct store *st, const char *ws_id, const char *id, const char *body,
                        int64_t now);
int pg_lk_config_list(struct store *st, const char *ws_id, const char *cursor, int limit,
                      int (*cb)(void *ctx, const struct store_lk_config *c), void *ctx);
int pg_lk_config_delete(struct store *st, const char *ws_id, const char *id);

int pg_rows_write(struct pg_conn *c, const char *ws_id, const char *job_id, const char *token,
                  bool first, const struct store_lk_row *rows, size_t n);
int pg_lk_rows_put(struct store *st, const char *ws_id, const char *job_id, const char *token,
                   bool first, const struct store_lk_row *rows, size_t n);
int pg_lk_rows_stats(struct store *st, const char *ws_id, const char *run_id, int64_t *rows,
                     int64_t *matched, double *avg_matched);
int pg_lk_rows_list(struct store *st, const char *ws_id, const char *run_id, int64_t after,
                    int limit, double min_conf, const char *status,
                    int (*cb)(void *ctx, const struct store_lk_row *r), void *ctx);

/* share.c: see store.h for what each does. */
int pg_lk_share_open(struct store *st, const char *run_id, int pass, int64_t nunits,
                     const void *plan, size_t plan_len, int64_t now);
int pg_lk_share_plan(struct store *st, const char *run_id, int pass, void **plan, size_t *len);
int pg_lk_share_claim(struct store *st, const char *run_id, int pass, const char *owner,
                      int64_t now, int64_t lease_ms, int64_t *unit, int64_t *others_pending);
int pg_lk_share_submit(struct store *st, const char *run_id, int pass, const char *owner,
                       int64_t nclaimed, const void *part, size_t len);
int pg_lk_share_release(struct store *st, const char *run_id, int pass, const char *owner);
int pg_lk_share_parts(struct store *st, const char *run_id, int pass,
                      int (*cb)(void *ctx, const char *owner, const void *part, size_t len),
                      void *ctx);
int pg_lk_share_close(struct store *st, const char *run_id);
int pg_lk_share_sweep(struct store *st, int *n);

#endif
