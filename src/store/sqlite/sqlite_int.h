/*
 * sqlite_int.h: what the files of the SQLite backend share (private to store/sqlite/): the
 * backend's store struct, the operations implemented outside sqlite.c that its ops table
 * points at (linkage.c: the record-linkage tables; share.c: a run's work shared between
 * helper jobs), and the statement helpers those two files use.
 */
#ifndef MATCHD_STORE_SQLITE_SQLITE_INT_H
#define MATCHD_STORE_SQLITE_SQLITE_INT_H

#include "store/sqlite/conn.h"
#include "store/store_backend.h"

struct sq_store {
	struct store base; /* first: a struct store * is a struct sq_store * */
	struct sq_pool pool;
};

#define SQ(st) ((struct sq_store *)(st))

/*
 * linkage.c: statements prepared per call (the record-linkage and share tables are written a
 * few times per request or batch, so they are not worth a slot in the connection's cache).
 */
/* Prepares sql on c; NULL (logged) when it does not compile. */
sqlite3_stmt *sq_prep(struct sq_conn *c, const char *sql);
/* Binds text v (NULL binds SQL NULL) at parameter i. */
void sq_bind_str(sqlite3_stmt *s, int i, const char *v);
/* Copies text column i into dst ("" for NULL). */
void sq_copy_col(sqlite3_stmt *s, int i, char *dst, size_t cap);
/* Steps a statement that returns no rows and finalizes it; 0, MD_ECONFLICT or MD_EIO. */
int sq_run_done(struct sq_conn *c, sqlite3_stmt *s, int *changes);

/* linkage.c: see store.h for what each does. */
int sq_lk_dataset_create(struct store *st, const char *ws_id, const char *name,
                         const char *columns_json, int64_t row_count, const void *csv, size_t len,
                         int64_t now, struct store_lk_dataset *out);
int sq_blob_upload_begin(struct store *st, const char *ws_id, const char *blob_id, int64_t now);
int sq_blob_chunk_put(struct store *st, const char *blob_id, int64_t seq, const void *data,
                      size_t len);
int sq_blob_upload_abort(struct store *st, const char *blob_id);
int sq_blob_upload_sweep(struct store *st, int64_t cutoff, int *n);
int sq_blob_chunk_stat(struct store *st, const char *blob_id, int64_t *count, int64_t *bytes);
int sq_blob_chunk_read(struct store *st, const char *blob_id, int64_t seq, void *dst, size_t cap,
                       size_t *len);
int sq_lk_dataset_commit(struct store *st, const char *ws_id, const char *blob_id, int64_t seq,
                         const void *last, size_t last_len, const char *name,
                         const char *columns_json, int64_t row_count, int64_t now,
                         struct store_lk_dataset *out);
int sq_lk_dataset_get(struct store *st, const char *ws_id, const char *id,
                      struct store_lk_dataset *out);
int sq_lk_dataset_list(struct store *st, const char *ws_id, const char *cursor, int limit,
                       int (*cb)(void *ctx, const struct store_lk_dataset *d), void *ctx);
int sq_lk_dataset_delete(struct store *st, const char *ws_id, const char *id);
int sq_lk_config_create(struct store *st, const char *ws_id, const char *body, int64_t now,
                        struct store_lk_config *out);
int sq_lk_config_get(struct store *st, const char *ws_id, const char *id,
                     struct store_lk_config *out);
int sq_lk_config_update(struct store *st, const char *ws_id, const char *id, const char *body,
                        int64_t now);
int sq_lk_config_list(struct store *st, const char *ws_id, const char *cursor, int limit,
                      int (*cb)(void *ctx, const struct store_lk_config *c), void *ctx);
int sq_lk_config_delete(struct store *st, const char *ws_id, const char *id);

int sq_rows_write(struct sq_conn *c, const char *ws_id, const char *job_id, const char *token,
                  bool first, const struct store_lk_row *rows, size_t n);
int sq_lk_rows_put(struct store *st, const char *ws_id, const char *job_id, const char *token,
                   bool first, const struct store_lk_row *rows, size_t n);
int sq_lk_rows_stats(struct store *st, const char *ws_id, const char *run_id, int64_t *rows,
                     int64_t *matched, double *avg_matched);
int sq_lk_rows_list(struct store *st, const char *ws_id, const char *run_id, int64_t after,
                    int limit, double min_conf, const char *status,
                    int (*cb)(void *ctx, const struct store_lk_row *r), void *ctx);

/* share.c: see store.h for what each does. */
int sq_lk_share_open(struct store *st, const char *run_id, int pass, int64_t nunits,
                     const void *plan, size_t plan_len, int64_t now);
int sq_lk_share_plan(struct store *st, const char *run_id, int pass, void **plan, size_t *len);
int sq_lk_share_claim(struct store *st, const char *run_id, int pass, const char *owner,
                      int64_t now, int64_t lease_ms, int64_t *unit, int64_t *others_pending);
int sq_lk_share_submit(struct store *st, const char *run_id, int pass, const char *owner,
                       int64_t nclaimed, const void *part, size_t len);
int sq_lk_share_release(struct store *st, const char *run_id, int pass, const char *owner);
int sq_lk_share_parts(struct store *st, const char *run_id, int pass,
                      int (*cb)(void *ctx, const char *owner, const void *part, size_t len),
                      void *ctx);
int sq_lk_share_close(struct store *st, const char *run_id);
int sq_lk_share_sweep(struct store *st, int *n);

#endif
