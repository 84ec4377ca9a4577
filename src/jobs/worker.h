/*
 * worker.h: the worker pool. Each worker thread claims a job from the store, runs it through
 * the runner registered for its kind, and writes the outcome. A heartbeat thread renews the
 * leases of running jobs, so a job is only taken over when its worker really died.
 *
 * Runners are registered by the API layer (which owns JSON translation) before the pool
 * starts; the pool itself knows nothing about any job kind.
 */
#ifndef MATCHD_JOBS_WORKER_H
#define MATCHD_JOBS_WORKER_H

#include <stdbool.h>
#include <stdint.h>

#include "jobs/hub.h"
#include "store/store.h"

struct job_run;

/*
 * Reports progress and renews the lease. Returns 0 to go on, MD_ECANCELED when the job was
 * canceled or the node is shutting down, MD_ECONFLICT when the lease was lost: the runner then
 * stops at once and returns that code.
 */
int job_run_progress(struct job_run *r, const char *stage, double fraction);
/* The same, with counts for the progress event (a JSON object's text, see store.h). */
int job_run_progress_counts(struct job_run *r, const char *stage, double fraction,
                            const char *counts_json);
const struct store_job *job_run_job(const struct job_run *r);
struct store *job_run_store(const struct job_run *r);
/* The runner's context given at registration. */
void *job_run_ctx(const struct job_run *r);
/* Sets the result JSON (copied) of a successful run. */
int job_run_set_result(struct job_run *r, const char *json);
/*
 * Hands the pool a matching run's last batch of result rows: the success writes it in its own
 * transaction (store_job_succeed_final), so the rows and the success are durable together.
 * free_fn(ctx) runs once the outcome is written, whatever it is.
 */
void job_run_set_final(struct job_run *r, const struct store_lk_final *final,
                       void (*free_fn)(void *ctx), void *ctx);
/* Sets the error of a failed run; retryable failures are tried again after a backoff. */
void job_run_set_error(struct job_run *r, const char *code, const char *message, bool retryable);

/* A runner returns 0 on success (result set) or a negative code (error set). */
typedef int (*job_runner_fn)(struct job_run *r);

struct worker_opts {
	int threads;
	int64_t lease_ms;      /* default 30000 */
	int64_t poll_ms;       /* longest idle wait between claims, default 1000 */
	int64_t retry_base_ms; /* first retry delay, doubled per attempt, default 2000 */
	const char *node_name;
	/* Called from the pool's timer thread every lease/3 (housekeeping of other modules). */
	void (*maintenance)(void *ctx);
	void *maintenance_ctx;
};

struct worker_pool;

int worker_register(const char *kind, job_runner_fn fn, void *ctx);
int worker_pool_start(struct store *st, struct hub *hub, const struct worker_opts *o,
                      struct worker_pool **out);
/* Asks every worker to stop: running jobs are handed back (unleased), then threads joined. */
void worker_pool_stop(struct worker_pool *p);
/* Fraction of the last interval the workers spent running jobs, for /metrics. */
double worker_pool_busy_ratio(struct worker_pool *p);
/* Total number of worker threads. */
int worker_pool_size(struct worker_pool *p);

#endif
