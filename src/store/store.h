/*
 * store.h: the durable state of matchd, behind one interface. The rest of the program sees
 * only these functions; store/sqlite/ implements them now and store/postgres/ will implement
 * the same set (NEEDSWORK: the PostgreSQL issue turns this header into a backend table in
 * store_backend.h once a second backend exists).
 *
 * Invariants every backend keeps:
 * - every row carries its workspace, and every read by id filters on it (ws_id != NULL), so
 *   another workspace's object is MD_ENOTFOUND, never a leak of its existence;
 * - a submitted job is durable (committed with synchronous=FULL) when store_job_submit returns;
 * - the terminal state of a job, its result, its credit charge, its terminal event and its
 *   webhook delivery are written in one transaction guarded by the claim token, so a worker
 *   that lost its lease cannot write anything and a re-run cannot charge twice;
 * - job events have strictly increasing ids (the SSE event ids).
 *
 * Strings in the fixed-size fields are NUL-terminated; heap fields (char *) belong to the
 * struct and are freed by its _release function.
 */
#ifndef MATCHD_STORE_STORE_H
#define MATCHD_STORE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/err.h"
#include "base/uuid.h"

struct store;

/* Opens the store named by url ("sqlite:PATH"), creating it and applying migrations. */
MD_WUR int store_open(const char *url, struct store **out, char *err, size_t errcap);
void store_free(struct store *st);
/* 0 when the database answers and every migration is applied; *version is the newest. */
int store_ping(struct store *st, int *version);
/*
 * Registers the function called after every commit that appended a job event or made a job
 * runnable. It runs on the committing thread and must not call back into the store.
 */
void store_set_listener(struct store *st, void (*cb)(void *ctx, const char *job_id), void *ctx);
/*
 * Registers the function that builds the webhook payload (JSON text, md_malloc'd) of a
 * terminal event ("job.succeeded", "job.failed", "job.canceled"); the store calls it inside
 * the terminal transaction of a job that has a webhook URL, so the delivery row is written
 * atomically with the state it reports.
 */
typedef char *(*store_payload_fn)(void *ctx, const char *type, const char *job_id, const char *kind,
                                  const char *status, int64_t now);
void store_set_payload_builder(struct store *st, store_payload_fn fn, void *ctx);
/* Fault injection for tests: the next n job submissions fail with MD_EIO. */
void store_fail_next_submits(struct store *st, int n);

/* ---- rate limits shared between nodes ---- */

/* "sqlite" or "postgres". */
const char *store_backend_name(struct store *st);
/* True when several nodes share this store (PostgreSQL): rate limits must then live in it. */
bool store_is_shared(struct store *st);
/*
 * Takes one request of key_id from a GCRA bucket kept in the store, on the database clock in
 * microseconds: allowed when max(tat, now) + interval - tau <= now. *allowed is the decision,
 * *tat_us the bucket's state after it, *now_us the database time. MD_EINVAL for a backend
 * that keeps no shared state (SQLite: one process, the limiter lives in memory).
 */
MD_WUR int store_rate_take(struct store *st, const char *key_id, int64_t interval_us,
                           int64_t tau_us, bool *allowed, int64_t *tat_us, int64_t *now_us);

/* ---- workspaces ---- */
struct store_workspace {
	char id[MD_UUID_LEN];
	char name[128];
	int64_t rate_limit;
	int64_t rate_period_ms;
	int64_t rate_burst;
	char webhook_secret[96];
	char webhook_secret_prev[96]; /* "" when no rotation is in progress */
	int64_t webhook_secret_prev_until;
};

MD_WUR int store_workspace_create(struct store *st, const char *name, int64_t credits,
                                  const char *webhook_secret, struct store_workspace *out);
/* Finds a workspace by id, or by name when by_name. */
MD_WUR int store_workspace_get(struct store *st, const char *key, bool by_name,
                               struct store_workspace *out);
MD_WUR int store_workspace_set_rate(struct store *st, const char *ws_id, int64_t limit,
                                    int64_t period_ms, int64_t burst);
/* Installs a new secret; the old one stays valid for signing until prev_until. */
MD_WUR int store_workspace_rotate_secret(struct store *st, const char *ws_id,
                                         const char *new_secret, int64_t prev_until);

/* ---- API keys ---- */
struct store_key {
	char id[MD_UUID_LEN];
	char workspace_id[MD_UUID_LEN];
	char workspace_name[128];
	char prefix[16];
	uint32_t permissions;
	int64_t created_at;
	int64_t revoked_at; /* 0 when active */
	/* The workspace's rate policy, read with the key so a request needs one lookup. */
	int64_t rate_limit, rate_period_ms, rate_burst;
};

MD_WUR int store_key_create(struct store *st, const char *ws_id, const char *hash_hex,
                            const char *prefix, uint32_t permissions, struct store_key *out);
/* Finds an active (not revoked) key by the hex SHA-256 of its secret. */
MD_WUR int store_key_find(struct store *st, const char *hash_hex, struct store_key *out);
MD_WUR int store_key_list(struct store *st, int (*cb)(void *ctx, const struct store_key *k),
                          void *ctx);
MD_WUR int store_key_revoke(struct store *st, const char *key_id);

/* ---- credits ---- */
struct store_ledger_entry {
	char id[MD_UUID_LEN];
	int64_t amount;
	char reason[32];
	char job_id[MD_UUID_LEN]; /* "" when not tied to a job */
	int64_t created_at;
};

MD_WUR int store_credits_add(struct store *st, const char *ws_id, int64_t amount,
                             const char *reason);
MD_WUR int store_credits_balance(struct store *st, const char *ws_id, int64_t *balance);
/* Newest first; entries with id < cursor when cursor is non-empty. */
MD_WUR int store_credits_ledger(struct store *st, const char *ws_id, const char *cursor, int limit,
                                int (*cb)(void *ctx, const struct store_ledger_entry *e),
                                void *ctx);

/* ---- idempotency ---- */
enum store_idem_state {
	STORE_IDEM_NEW,       /* recorded as in flight: go ahead */
	STORE_IDEM_REPLAY,    /* same fingerprint, done: resource_id is set */
	STORE_IDEM_MISMATCH,  /* same key, another request */
	STORE_IDEM_IN_FLIGHT, /* same key, the first request is still being accepted */
};

/*
 * Looks up (ws, key) and, when absent or expired (older than ttl_ms, or an abandoned in-flight
 * marker older than inflight_ttl_ms), records it as in flight with this fingerprint.
 */
MD_WUR int store_idem_begin(struct store *st, const char *ws_id, const char *key,
                            const char *fingerprint, int64_t now, int64_t ttl_ms,
                            int64_t inflight_ttl_ms, enum store_idem_state *state,
                            char resource_id[MD_UUID_LEN]);
/* Forgets an in-flight marker whose request failed, so a retry can use the key again. */
MD_WUR int store_idem_abort(struct store *st, const char *ws_id, const char *key);
/* Deletes keys created before cutoff; *n is how many. */
MD_WUR int store_idem_sweep(struct store *st, int64_t cutoff, int *n);

/* ---- jobs ---- */
struct store_job_new {
	const char *workspace_id;
	const char *kind;
	const char *input_json;
	const char *webhook_url; /* NULL: none */
	int64_t price;
	int max_attempts;
	/* An optional blob stored with the job; its id is written into blob_id_out. */
	const void *blob;
	size_t blob_len;
	const char *blob_type;
	/* Completes this in-flight idempotency key with the new job id, in the same transaction. */
	const char *idem_key;
	/*
	 * A worker pool whose owner (node name) equals not_on never claims the job (a run's
	 * helper is useless on the run's own node). NULL: any node.
	 */
	const char *not_on;
};

struct store_job {
	char id[MD_UUID_LEN];
	char workspace_id[MD_UUID_LEN];
	char kind[32];
	char status[16];
	char stage[48];
	double progress;
	int attempts;
	int max_attempts;
	int64_t price;
	bool cancel_requested;
	int64_t created_at, started_at, finished_at, updated_at, run_after;
	char lease_token[MD_UUID_LEN];
	char *input;       /* JSON text */
	char *result;      /* JSON text or NULL */
	char *error;       /* JSON text or NULL */
	char *webhook_url; /* or NULL */
};

void store_job_release(struct store_job *j);
bool store_job_is_terminal(const struct store_job *j);

/* Creates a queued job (and its blob, first event, idempotency completion) durably. */
MD_WUR int store_job_submit(struct store *st, const struct store_job_new *jn, int64_t now,
                            char id_out[MD_UUID_LEN], char blob_id_out[MD_UUID_LEN]);
/* ws_id NULL reads any workspace's job (workers only). */
MD_WUR int store_job_get(struct store *st, const char *ws_id, const char *id,
                         struct store_job *out);
/*
 * Lists a workspace's jobs newest first, with optional status/kind filters and id cursor.
 * Internal jobs (kind starting with "_", e.g. a run's helpers) are never listed.
 */
MD_WUR int store_job_list(struct store *st, const char *ws_id, const char *status, const char *kind,
                          const char *cursor, int limit,
                          int (*cb)(void *ctx, const struct store_job *j), void *ctx);
/*
 * Claims the oldest queued job that is due, for owner, setting a fresh lease token.
 * MD_ENOTFOUND when nothing is runnable. Jobs whose worker died come back through
 * store_job_rescue, which the worker pool runs periodically.
 */
MD_WUR int store_job_claim(struct store *st, const char *owner, int64_t now, int64_t lease_ms,
                           struct store_job *out);
/*
 * Requeues the running jobs whose lease expired (their worker died) and fails, with code
 * WORKER_LOST, those that had used their last attempt. Counts what it did in *requeued and
 * *failed.
 */
MD_WUR int store_job_rescue(struct store *st, int64_t now, int *requeued, int *failed);
/*
 * Renews the lease and records stage/progress (stage NULL: heartbeat only; an event is
 * appended when stage or progress changed). MD_ECONFLICT when the lease was lost,
 * MD_ECANCELED when cancellation was requested.
 */
MD_WUR int store_job_progress(struct store *st, const char *id, const char *token, int64_t now,
                              int64_t lease_until, const char *stage, double progress);
/*
 * store_job_progress whose event also carries counts: counts_json, the text of a JSON object
 * of at most STORE_COUNTS_MAX bytes (MD_ELIMIT beyond), appears in the event as "counts".
 */
#define STORE_COUNTS_MAX 160
MD_WUR int store_job_progress_counts(struct store *st, const char *id, const char *token,
                                     int64_t now, int64_t lease_until, const char *stage,
                                     double progress, const char *counts_json);
/* Terminal success: result, charge, event and webhook delivery in one transaction. */
MD_WUR int store_job_succeed(struct store *st, const char *id, const char *token, int64_t now,
                             const char *result_json);
struct store_lk_final;
/*
 * The same, writing a matching run's last batch of result rows (see store_lk_rows_put) in that
 * transaction too: the rows and the success are durable together, or neither is.
 */
MD_WUR int store_job_succeed_final(struct store *st, const char *id, const char *token, int64_t now,
                                   const char *result_json, const struct store_lk_final *final);
/*
 * Failure. retry_at > 0 requeues the job for another attempt; otherwise it is terminal with
 * error_json, and its webhook delivery is queued.
 */
MD_WUR int store_job_fail(struct store *st, const char *id, const char *token, int64_t now,
                          const char *error_json, int64_t retry_at);
/* Terminal cancel by the worker that saw the request. */
MD_WUR int store_job_finish_canceled(struct store *st, const char *id, const char *token,
                                     int64_t now);
/*
 * Client cancel: a queued job is canceled at once (*now_terminal = true); a running one is
 * marked, and its worker stops at the next progress call. MD_ECONFLICT when already terminal.
 */
MD_WUR int store_job_cancel(struct store *st, const char *ws_id, const char *id, int64_t now,
                            bool *now_terminal);
/* Gives a lease back (graceful shutdown): the job is queued again without using an attempt. */
MD_WUR int store_job_unlease(struct store *st, const char *id, const char *token, int64_t now);
MD_WUR int store_blob_get(struct store *st, const char *ws_id, const char *id, void **data,
                          size_t *len);

struct store_queue_stats {
	int64_t queued, running, succeeded, failed, canceled;
	double avg_run_ms; /* over the most recent successes, 0 when none */
};
MD_WUR int store_queue_stats(struct store *st, struct store_queue_stats *out);
/* Position of a queued job in the queue (jobs ahead of it). */
MD_WUR int store_job_queue_position(struct store *st, const char *id, int64_t *ahead);

/* ---- job events ---- */
struct store_event {
	int64_t id;
	char type[16];
	const char *data; /* JSON, valid during the callback */
	int64_t created_at;
};
MD_WUR int store_events_list(struct store *st, const char *job_id, int64_t after_id, int max,
                             int (*cb)(void *ctx, const struct store_event *e), void *ctx);

/* ---- webhook deliveries ---- */
struct store_delivery {
	char id[MD_UUID_LEN];
	char workspace_id[MD_UUID_LEN];
	char job_id[MD_UUID_LEN];
	char event_type[32];
	char status[16];
	int attempts;
	int64_t next_attempt_at;
	int last_status;
	int64_t created_at, updated_at;
	char *url;
	char *payload;
	char *last_error;
};
void store_delivery_release(struct store_delivery *d);

/* Claims one due delivery with a lease; MD_ENOTFOUND when none is due. */
MD_WUR int store_delivery_claim(struct store *st, int64_t now, int64_t lease_ms,
                                struct store_delivery *out);
struct store_attempt {
	int attempt;
	int64_t at;
	int http_status;
	const char *outcome;
	const char *error;
	int64_t duration_ms;
};
/*
 * Records an attempt. next_status is "pending" (with next_at), "succeeded", "failed" (gave up)
 * or "gone" (the receiver answered 410). a->attempt must be the attempt number of the claim:
 * MD_ECONFLICT (nothing written) when the delivery was claimed again since.
 */
MD_WUR int store_delivery_record(struct store *st, const char *id, const struct store_attempt *a,
                                 const char *next_status, int64_t next_at);
MD_WUR int store_delivery_list(struct store *st, const char *ws_id, const char *job_id,
                               int (*cb)(void *ctx, const struct store_delivery *d), void *ctx);
MD_WUR int store_delivery_attempts(struct store *st, const char *delivery_id,
                                   int (*cb)(void *ctx, const struct store_attempt *a), void *ctx);
/* Schedules a delivery again now (any status); MD_ENOTFOUND for another workspace's id. */
MD_WUR int store_delivery_redeliver(struct store *st, const char *ws_id, const char *id,
                                    int64_t now);
MD_WUR int store_delivery_counts(struct store *st, int64_t *pending, int64_t *succeeded,
                                 int64_t *failed);

/* ---- record linkage (seed 002): datasets, configs, run results ---- */
struct store_lk_dataset {
	char id[MD_UUID_LEN];
	char workspace_id[MD_UUID_LEN];
	char name[256];
	char blob_id[MD_UUID_LEN]; /* the raw CSV, readable with store_blob_get */
	int64_t row_count;
	int64_t created_at;
	char *columns; /* JSON array text of the header names */
};
void store_lk_dataset_release(struct store_lk_dataset *d);

/*
 * Stores an uploaded table durably: the CSV bytes as a blob and the dataset row, in one
 * transaction. out is filled (columns copied). Returns 0, MD_EUNAVAIL, MD_EIO or MD_ENOMEM.
 */
MD_WUR int store_lk_dataset_create(struct store *st, const char *ws_id, const char *name,
                                   const char *columns_json, int64_t row_count, const void *csv,
                                   size_t len, int64_t now, struct store_lk_dataset *out);

/*
 * Streamed uploads (migration 0005): the bytes go into the store as they arrive, in chunks of
 * STORE_BLOB_CHUNK, so memory stays bounded whatever the size. open registers the upload;
 * append buffers at most one chunk and writes each full one in its own short transaction;
 * store_lk_dataset_commit writes the last chunk, the blob and the dataset row in one
 * transaction (durable on return), after which the blob reads like any other with
 * store_blob_get. Until then nothing is visible: abort (or a failed commit) deletes the
 * chunks, and uploads left behind by a crash are swept STORE_BLOB_UPLOAD_TTL_MS after they
 * began (store_blob_sweep, also run by every open). A writer belongs to one thread.
 */
#define STORE_BLOB_CHUNK ((size_t)1 << 20)
#define STORE_BLOB_UPLOAD_TTL_MS ((int64_t)3600 * 1000)
struct store_blob_writer;
MD_WUR int store_blob_writer_open(struct store *st, const char *ws_id, int64_t now,
                                  struct store_blob_writer **out);
MD_WUR int store_blob_writer_append(struct store_blob_writer *w, const void *data, size_t len);
uint64_t store_blob_writer_size(const struct store_blob_writer *w);
/* Deletes what was written and frees w; NULL is a no-op. */
void store_blob_writer_abort(struct store_blob_writer *w);
/* Ends the upload as a dataset (see store_lk_dataset_create); frees w whatever the result.
 * MD_ENOTFOUND when the upload was swept meanwhile. */
MD_WUR int store_lk_dataset_commit(struct store_blob_writer *w, const char *name,
                                   const char *columns_json, int64_t row_count, int64_t now,
                                   struct store_lk_dataset *out);
/* Removes uploads begun before cutoff that never committed; *n is how many. */
MD_WUR int store_blob_sweep(struct store *st, int64_t cutoff, int *n);

MD_WUR int store_lk_dataset_get(struct store *st, const char *ws_id, const char *id,
                                struct store_lk_dataset *out);
/* Newest first; ids < cursor when cursor is non-empty. The struct lives during the callback. */
MD_WUR int store_lk_dataset_list(struct store *st, const char *ws_id, const char *cursor, int limit,
                                 int (*cb)(void *ctx, const struct store_lk_dataset *d), void *ctx);
/* Deletes the dataset and its blob; MD_ENOTFOUND for another workspace's id. */
MD_WUR int store_lk_dataset_delete(struct store *st, const char *ws_id, const char *id);

struct store_lk_config {
	char id[MD_UUID_LEN];
	char workspace_id[MD_UUID_LEN];
	int64_t created_at, updated_at;
	char *body; /* JSON text as the API validated it */
};
void store_lk_config_release(struct store_lk_config *c);

MD_WUR int store_lk_config_create(struct store *st, const char *ws_id, const char *body,
                                  int64_t now, struct store_lk_config *out);
MD_WUR int store_lk_config_get(struct store *st, const char *ws_id, const char *id,
                               struct store_lk_config *out);
/* Replaces the body; MD_ENOTFOUND for another workspace's id. */
MD_WUR int store_lk_config_update(struct store *st, const char *ws_id, const char *id,
                                  const char *body, int64_t now);
MD_WUR int store_lk_config_list(struct store *st, const char *ws_id, const char *cursor, int limit,
                                int (*cb)(void *ctx, const struct store_lk_config *c), void *ctx);
MD_WUR int store_lk_config_delete(struct store *st, const char *ws_id, const char *id);

/*
 * Run results in the compact form (migration 0004): per input row its index, status,
 * confidence and an opaque record the API encodes (row ids, weights, levels, candidates) and
 * renders at read time from the stored datasets. The store neither parses nor checks rec.
 */
struct store_lk_row {
	int64_t row;
	char status[16]; /* matched unmatched review */
	double confidence;
	const void *rec; /* valid during the call or callback */
	size_t rec_len;
};
/* A run's last batch, written by store_job_succeed_final (first: as in store_lk_rows_put). */
struct store_lk_final {
	const char *ws_id;
	bool first;
	const struct store_lk_row *rows;
	size_t n;
};
/*
 * Writes one batch of n rows of run job_id in one transaction that first checks the job is
 * still running under token: a worker that lost its lease writes nothing (MD_ECONFLICT). With
 * first set, every row an earlier attempt wrote is deleted in the same transaction, so a run
 * that writes its batches in order starting with first keeps exactly one attempt's rows. Rows
 * are read only once the job succeeded (store_job_succeed, guarded by the same token).
 */
MD_WUR int store_lk_rows_put(struct store *st, const char *ws_id, const char *job_id,
                             const char *token, bool first, const struct store_lk_row *rows,
                             size_t n);
/*
 * Lists a run's rows in row order: row > after (-1 for the start), confidence >= min_conf,
 * status equal to status when not NULL, at most limit (<= 0: all). The struct lives during
 * the callback.
 */
MD_WUR int store_lk_rows_list(struct store *st, const char *ws_id, const char *run_id,
                              int64_t after, int limit, double min_conf, const char *status,
                              int (*cb)(void *ctx, const struct store_lk_row *r), void *ctx);
/*
 * The run's rows written so far: how many, how many matched, and the mean confidence of the
 * matched ones (0 when none). While a run writes its batches this is its live summary.
 */
MD_WUR int store_lk_rows_stats(struct store *st, const char *ws_id, const char *run_id,
                               int64_t *rows, int64_t *matched, double *avg_matched);

/*
 * A run's work shared between nodes (migration 0007). The run's own worker opens a pass of
 * nunits units (numbered from 0) with an opaque plan that helpers read: the blocking plan for
 * pass 0, the model for pass 1. Any node claims units under a lease. A helper submits one
 * part at the end of a pass, its result over every unit it claimed, and the same transaction
 * marks those units done; when one of them was taken over meanwhile (its lease ran out) the
 * submit changes nothing and answers MD_ECONFLICT, so a unit is never counted twice. The
 * run's own worker never submits: it keeps what it computes. Owners are free strings (the
 * run's job id, a helper job's id), not node names, so two helpers on one node stay apart.
 */
/* Opens (run_id, pass): replaces an earlier attempt's rows of that pass. MD_EINVAL if nunits < 0. */
MD_WUR int store_lk_share_open(struct store *st, const char *run_id, int pass, int64_t nunits,
                               const void *plan, size_t plan_len, int64_t now);
/* The plan of an open pass (md_free it); MD_ENOTFOUND when the pass is not open. */
MD_WUR int store_lk_share_plan(struct store *st, const char *run_id, int pass, void **plan,
                               size_t *len);
/*
 * In one transaction: renews the lease of owner's unfinished units to now + lease_ms, then
 * claims the lowest unit that has no owner or whose lease ran out (not done), for owner.
 * Returns 0 with *unit, or MD_ENOTFOUND when no unit is claimable (or the pass is not open).
 * Either way *others_pending (may be NULL) is the number of units not done that belong to
 * an owner other than owner.
 */
MD_WUR int store_lk_share_claim(struct store *st, const char *run_id, int pass, const char *owner,
                                int64_t now, int64_t lease_ms, int64_t *unit,
                                int64_t *others_pending);
/*
 * Stores owner's part and marks its nclaimed units done, in one transaction; MD_ECONFLICT
 * (nothing stored, owner's unfinished units given back) when the units still owner's and not
 * done are not exactly nclaimed (fewer: one was taken over); MD_ENOTFOUND when the pass is not
 * open. An owner submits once per pass (a second part of the same owner is MD_ECONFLICT).
 */
MD_WUR int store_lk_share_submit(struct store *st, const char *run_id, int pass, const char *owner,
                                 int64_t nclaimed, const void *part, size_t len);
/* Gives back owner's unfinished units of the pass (a helper that stops early). */
MD_WUR int store_lk_share_release(struct store *st, const char *run_id, int pass,
                                  const char *owner);
/* Calls cb for each submitted part of the pass, ordered by owner, one part in memory at a time. */
MD_WUR int store_lk_share_parts(struct store *st, const char *run_id, int pass,
                                int (*cb)(void *ctx, const char *owner, const void *part,
                                          size_t len),
                                void *ctx);
/* Deletes every pass of the run (its units, parts and plans). */
MD_WUR int store_lk_share_close(struct store *st, const char *run_id);
/* Deletes the shares of runs whose job has ended (a run that crashed before closing); *n runs. */
MD_WUR int store_lk_share_sweep(struct store *st, int *n);

#endif
