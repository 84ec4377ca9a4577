/*
 * store_backend.h: what a store backend implements. store.h is what callers see; a backend
 * (store/sqlite/, store/postgres/) embeds struct store first in its own struct and fills a
 * struct store_ops. The common state (listener, payload builder, fault injection) lives in
 * struct store so both backends behave alike.
 */
#ifndef MATCHD_STORE_STORE_BACKEND_H
#define MATCHD_STORE_STORE_BACKEND_H

#include <stdatomic.h>

#include "store/store.h"

/*
 * The dataset row both backends write: a new id, blob_id copied (NULL: a new one too), and
 * the given fields, columns duplicated. Returns 0, MD_EIO (no id) or MD_ENOMEM.
 */
int store_lk_dataset_fill(struct store_lk_dataset *out, const char *ws_id, const char *name,
                          const char *blob_id, const char *columns_json, int64_t row_count,
                          int64_t now);

/*
 * The data of a job event, the same on both backends: {jobId, status, stage, progress} and,
 * when counts (a JSON object's text) is not NULL, "counts". MD_ELIMIT when it does not fit.
 */
#define STORE_EVENT_JSON_MAX (256 + STORE_COUNTS_MAX)
int store_event_json(char *dst, size_t cap, const char *job_id, const char *status,
                     const char *stage, double progress, const char *counts);

struct store_ops {
	const char *name; /* "sqlite", "postgres" */
	bool shared;      /* several nodes may share the store */
	/* Called when a listener is registered: a backend that hears other nodes starts now. */
	void (*listen)(struct store *st);
	int (*rate_take)(struct store *st, const char *key_id, int64_t interval_us, int64_t tau_us,
	                 bool *allowed, int64_t *tat_us, int64_t *now_us);
	void (*free)(struct store *st);
	int (*ping)(struct store *st, int *version);
	int (*workspace_create)(struct store *st, const char *name, int64_t credits,
	                        const char *webhook_secret, struct store_workspace *out);
	int (*workspace_get)(struct store *st, const char *key, bool by_name,
	                     struct store_workspace *out);
	int (*workspace_set_rate)(struct store *st, const char *ws_id, int64_t limit,
	                          int64_t period_ms, int64_t burst);
	int (*workspace_rotate_secret)(struct store *st, const char *ws_id, const char *new_secret,
	                               int64_t prev_until);
	int (*key_create)(struct store *st, const char *ws_id, const char *hash_hex,
	                  const char *prefix, uint32_t permissions, struct store_key *out);
	int (*key_find)(struct store *st, const char *hash_hex, struct store_key *out);
	int (*key_list)(struct store *st, int (*cb)(void *ctx, const struct store_key *k),
	                void *ctx);
	int (*key_revoke)(struct store *st, const char *key_id);
	int (*credits_add)(struct store *st, const char *ws_id, int64_t amount, const char *reason);
	int (*credits_balance)(struct store *st, const char *ws_id, int64_t *balance);
	int (*credits_ledger)(struct store *st, const char *ws_id, const char *cursor, int limit,
	                      int (*cb)(void *ctx, const struct store_ledger_entry *e), void *ctx);
	int (*idem_begin)(struct store *st, const char *ws_id, const char *key,
	                  const char *fingerprint, int64_t now, int64_t ttl_ms,
	                  int64_t inflight_ttl_ms, enum store_idem_state *state,
	                  char resource_id[MD_UUID_LEN]);
	int (*idem_abort)(struct store *st, const char *ws_id, const char *key);
	int (*idem_sweep)(struct store *st, int64_t cutoff, int *n);
	int (*job_submit)(struct store *st, const struct store_job_new *jn, int64_t now,
	                  char id_out[MD_UUID_LEN], char blob_id_out[MD_UUID_LEN]);
	int (*job_get)(struct store *st, const char *ws_id, const char *id, struct store_job *out);
	int (*job_list)(struct store *st, const char *ws_id, const char *status, const char *kind,
	                const char *cursor, int limit,
	                int (*cb)(void *ctx, const struct store_job *j), void *ctx);
	int (*job_claim)(struct store *st, const char *owner, int64_t now, int64_t lease_ms,
	                 struct store_job *out);
	int (*job_rescue)(struct store *st, int64_t now, int *requeued, int *failed);
	/* counts: a JSON object's text for the event, or NULL (store.c checked it). */
	int (*job_progress)(struct store *st, const char *id, const char *token, int64_t now,
	                    int64_t lease_until, const char *stage, double progress,
	                    const char *counts);
	/* final: a matching run's last rows, written in the same transaction, or NULL. */
	int (*job_succeed)(struct store *st, const char *id, const char *token, int64_t now,
	                   const char *result_json, const struct store_lk_final *final);
	int (*job_fail)(struct store *st, const char *id, const char *token, int64_t now,
	                const char *error_json, int64_t retry_at);
	int (*job_finish_canceled)(struct store *st, const char *id, const char *token,
	                           int64_t now);
	int (*job_cancel)(struct store *st, const char *ws_id, const char *id, int64_t now,
	                  bool *now_terminal);
	int (*job_unlease)(struct store *st, const char *id, const char *token, int64_t now);
	int (*blob_get)(struct store *st, const char *ws_id, const char *id, void **data,
	                size_t *len);
	int (*queue_stats)(struct store *st, struct store_queue_stats *out);
	int (*job_queue_position)(struct store *st, const char *id, int64_t *ahead);
	int (*events_list)(struct store *st, const char *job_id, int64_t after_id, int max,
	                   int (*cb)(void *ctx, const struct store_event *e), void *ctx);
	int (*delivery_claim)(struct store *st, int64_t now, int64_t lease_ms,
	                      struct store_delivery *out);
	int (*delivery_record)(struct store *st, const char *id, const struct store_attempt *a,
	                       const char *next_status, int64_t next_at);
	int (*delivery_list)(struct store *st, const char *ws_id, const char *job_id,
	                     int (*cb)(void *ctx, const struct store_delivery *d), void *ctx);
	int (*delivery_attempts)(struct store *st, const char *delivery_id,
	                         int (*cb)(void *ctx, const struct store_attempt *a), void *ctx);
	int (*delivery_redeliver)(struct store *st, const char *ws_id, const char *id, int64_t now);
	int (*delivery_counts)(struct store *st, int64_t *pending, int64_t *succeeded,
	                       int64_t *failed);
	int (*lk_dataset_create)(struct store *st, const char *ws_id, const char *name,
	                         const char *columns_json, int64_t row_count, const void *csv,
	                         size_t len, int64_t now, struct store_lk_dataset *out);
	/* Streamed blobs (migration 0005); store.c keeps the writer and calls these. */
	int (*blob_upload_begin)(struct store *st, const char *ws_id, const char *blob_id,
	                         int64_t now);
	int (*blob_chunk_put)(struct store *st, const char *blob_id, int64_t seq, const void *data,
	                      size_t len);
	int (*blob_upload_abort)(struct store *st, const char *blob_id);
	int (*blob_upload_sweep)(struct store *st, int64_t cutoff, int *n);
	int (*blob_chunk_stat)(struct store *st, const char *blob_id, int64_t *count,
	                       int64_t *bytes);
	int (*blob_chunk_read)(struct store *st, const char *blob_id, int64_t seq, void *dst,
	                       size_t cap, size_t *len);
	/* Writes the last chunk (when last_len > 0) at seq, the blobs row and the dataset row in
	 * one transaction, ending the upload; MD_ENOTFOUND when the upload was swept. */
	int (*lk_dataset_commit)(struct store *st, const char *ws_id, const char *blob_id,
	                         int64_t seq, const void *last, size_t last_len, const char *name,
	                         const char *columns_json, int64_t row_count, int64_t now,
	                         struct store_lk_dataset *out);
	int (*lk_dataset_get)(struct store *st, const char *ws_id, const char *id,
	                      struct store_lk_dataset *out);
	int (*lk_dataset_list)(struct store *st, const char *ws_id, const char *cursor, int limit,
	                       int (*cb)(void *ctx, const struct store_lk_dataset *d), void *ctx);
	int (*lk_dataset_delete)(struct store *st, const char *ws_id, const char *id);
	int (*lk_config_create)(struct store *st, const char *ws_id, const char *body, int64_t now,
	                        struct store_lk_config *out);
	int (*lk_config_get)(struct store *st, const char *ws_id, const char *id,
	                     struct store_lk_config *out);
	int (*lk_config_update)(struct store *st, const char *ws_id, const char *id,
	                        const char *body, int64_t now);
	int (*lk_config_list)(struct store *st, const char *ws_id, const char *cursor, int limit,
	                      int (*cb)(void *ctx, const struct store_lk_config *c), void *ctx);
	int (*lk_config_delete)(struct store *st, const char *ws_id, const char *id);
	int (*lk_rows_put)(struct store *st, const char *ws_id, const char *job_id,
	                   const char *token, bool first, const struct store_lk_row *rows,
	                   size_t n);
	int (*lk_rows_stats)(struct store *st, const char *ws_id, const char *run_id, int64_t *rows,
	                     int64_t *matched, double *avg_matched);
	int (*lk_rows_list)(struct store *st, const char *ws_id, const char *run_id, int64_t after,
	                    int limit, double min_conf, const char *status,
	                    int (*cb)(void *ctx, const struct store_lk_row *r), void *ctx);
	/* A run's work shared between nodes (migration 0007): see store.h. */
	int (*lk_share_open)(struct store *st, const char *run_id, int pass, int64_t nunits,
	                     const void *plan, size_t plan_len, int64_t now);
	int (*lk_share_plan)(struct store *st, const char *run_id, int pass, void **plan,
	                     size_t *len);
	int (*lk_share_claim)(struct store *st, const char *run_id, int pass, const char *owner,
	                      int64_t now, int64_t lease_ms, int64_t *unit,
	                      int64_t *others_pending);
	int (*lk_share_submit)(struct store *st, const char *run_id, int pass, const char *owner,
	                       int64_t nclaimed, const void *part, size_t len);
	int (*lk_share_release)(struct store *st, const char *run_id, int pass, const char *owner);
	int (*lk_share_parts)(struct store *st, const char *run_id, int pass,
	                      int (*cb)(void *ctx, const char *owner, const void *part, size_t len),
	                      void *ctx);
	int (*lk_share_close)(struct store *st, const char *run_id);
	int (*lk_share_sweep)(struct store *st, int *n);
};

struct store {
	const struct store_ops *ops;
	void (*listener)(void *ctx, const char *job_id);
	void *listener_ctx;
	store_payload_fn payload_fn;
	void *payload_ctx;
	atomic_int fail_submits;
};

/* Backend constructors: url is the full URL; they apply migrations. */
int store_sqlite_open(const char *url, struct store **out, char *err, size_t errcap);
int store_postgres_open(const char *url, struct store **out, char *err, size_t errcap);

/* The version number a migration file name starts with ("0001_platform.sql" is 1). */
int store_migration_version(const char *name);
/*
 * The input JSON of a new job with its blob id filled in: callers write the placeholder
 * "$BLOB" because the id is only known inside the submitting transaction. md_malloc'd.
 */
char *store_input_with_blob(const char *input, const char *blob_id);
/* The error a job gets when its worker died on every attempt. */
#define STORE_WORKER_LOST_ERROR                                                                    \
	"{\"code\":\"WORKER_LOST\",\"message\":\"the worker running this job stopped "             \
	"responding on every attempt; the job was given up\"}"

/* For backends: adds the count n of jobs in status to the queue statistics. */
void store_queue_stats_add(struct store_queue_stats *s, const char *status, int64_t n);
/* For backends: adds n deliveries in status to the pending/succeeded/failed tallies. */
void store_delivery_counts_add(const char *status, int64_t n, int64_t *pending, int64_t *succeeded,
                               int64_t *failed);

/* For backends: true when a fault-injected submission failure is due (and consumes it). */
bool store_fault_submit(struct store *st);

#endif
