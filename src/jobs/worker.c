#include "jobs/worker.h"

#include <pthread.h>
#include <stdatomic.h>

#include "base/common.h"
#include "base/log.h"
#include "base/timeutil.h"

#define MAX_KINDS 16

static struct {
	char kind[32];
	job_runner_fn fn;
	void *ctx;
} kinds[MAX_KINDS];
static int nkinds;

struct job_run {
	struct worker_pool *pool;
	struct store_job job;
	void *ctx;
	char *result;
	char err_code[48];
	char err_msg[512];
	bool retryable;
	bool canceled;
	bool lost;
	const struct store_lk_final *final; /* written with the success (job_run_set_final) */
	void (*final_free)(void *ctx);
	void *final_ctx;
	/* What the last recorded event said, so progress only moves forward and a chatty
	 * engine does not turn into one database write per callback. */
	char last_stage[48];
	double last_fraction;
	int64_t last_write_mono;
};

struct worker {
	struct worker_pool *pool;
	pthread_t thread;
	int index;
	/* The job this worker runs, for the heartbeat thread; guarded by pool->lock. */
	char job_id[MD_UUID_LEN];
	char token[MD_UUID_LEN];
	atomic_int_least64_t busy_ms;
};

struct worker_pool {
	struct store *st;
	struct hub *hub;
	struct worker_opts o;
	char owner[128];
	atomic_bool stopping;
	pthread_mutex_t lock;
	pthread_t heartbeat;
	int64_t started_mono;
	int n;
	struct worker workers[];
};

int worker_register(const char *kind, job_runner_fn fn, void *ctx)
{
	for (int i = 0; i < nkinds; i++) {
		if (!strcmp(kinds[i].kind, kind)) {
			kinds[i].fn = fn;
			kinds[i].ctx = ctx;
			return 0;
		}
	}
	if (nkinds == MAX_KINDS)
		return MD_ELIMIT;
	snprintf(kinds[nkinds].kind, sizeof kinds[nkinds].kind, "%s", kind);
	kinds[nkinds].fn = fn;
	kinds[nkinds].ctx = ctx;
	nkinds++;
	return 0;
}

const struct store_job *job_run_job(const struct job_run *r)
{
	return &r->job;
}

struct store *job_run_store(const struct job_run *r)
{
	return r->pool->st;
}

void *job_run_ctx(const struct job_run *r)
{
	return r->ctx;
}

void job_run_set_final(struct job_run *r, const struct store_lk_final *final,
                       void (*free_fn)(void *ctx), void *ctx)
{
	if (r->final_free)
		r->final_free(r->final_ctx);
	r->final = final;
	r->final_free = free_fn;
	r->final_ctx = ctx;
}

int job_run_set_result(struct job_run *r, const char *json)
{
	md_free(r->result);
	r->result = md_strdup(json);
	return r->result ? 0 : MD_ENOMEM;
}

void job_run_set_error(struct job_run *r, const char *code, const char *message, bool retryable)
{
	snprintf(r->err_code, sizeof r->err_code, "%s", code);
	snprintf(r->err_msg, sizeof r->err_msg, "%s", message);
	r->retryable = retryable;
}

int job_run_progress(struct job_run *r, const char *stage, double fraction)
{
	return job_run_progress_counts(r, stage, fraction, NULL);
}

int job_run_progress_counts(struct job_run *r, const char *stage, double fraction,
                            const char *counts_json)
{
	if (atomic_load(&r->pool->stopping)) {
		r->canceled = true;
		return MD_ECANCELED;
	}
	int64_t mono = md_mono_ms();
	bool new_stage = stage && strcmp(stage, r->last_stage) != 0;
	if (fraction < r->last_fraction)
		fraction = r->last_fraction;
	if (!new_stage && fraction - r->last_fraction < 0.1 && mono - r->last_write_mono < 1000)
		return 0;
	if (stage)
		snprintf(r->last_stage, sizeof r->last_stage, "%s", stage);
	r->last_fraction = fraction;
	r->last_write_mono = mono;
	int64_t now = md_now_ms();
	int rc = store_job_progress_counts(r->pool->st, r->job.id, r->job.lease_token, now,
	                                   now + r->pool->o.lease_ms, stage ? stage : r->last_stage,
	                                   fraction, counts_json);
	if (rc == MD_ECANCELED)
		r->canceled = true;
	else if (rc == MD_ECONFLICT)
		r->lost = true;
	else if (rc)
		md_logf(MD_LOG_WARN, "progress of job %s not recorded: %s", r->job.id,
		        md_strerror(rc));
	return rc == MD_ECANCELED || rc == MD_ECONFLICT ? rc : 0;
}

static job_runner_fn find_runner(const char *kind, void **ctx)
{
	for (int i = 0; i < nkinds; i++) {
		if (!strcmp(kinds[i].kind, kind)) {
			*ctx = kinds[i].ctx;
			return kinds[i].fn;
		}
	}
	return NULL;
}

static char *error_json(const char *code, const char *msg)
{
	struct buf b;
	buf_init(&b, 4096);
	if (buf_puts(&b, "{\"code\":") || buf_put_json_string(&b, code, strlen(code)) ||
	    buf_puts(&b, ",\"message\":") || buf_put_json_string(&b, msg, strlen(msg)) ||
	    buf_putc(&b, '}')) {
		buf_release(&b);
		return NULL;
	}
	return buf_take(&b);
}

/* Writes the outcome of a run; every write is guarded by the claim token in the store. */
static void settle(struct job_run *r, int rc)
{
	struct worker_pool *p = r->pool;
	struct store_job *j = &r->job;
	int64_t now = md_now_ms();
	int wrc = 0;
	if (r->lost) {
		md_logf(MD_LOG_WARN, "job %s: lease lost, outcome discarded", j->id);
		return;
	}
	if (r->canceled && atomic_load(&p->stopping)) {
		wrc = store_job_unlease(p->st, j->id, j->lease_token, now);
	} else if (r->canceled) {
		wrc = store_job_finish_canceled(p->st, j->id, j->lease_token, now);
	} else if (rc == 0 && r->result) {
		wrc =
		    store_job_succeed_final(p->st, j->id, j->lease_token, now, r->result, r->final);
	} else {
		if (!r->err_code[0])
			job_run_set_error(r, "INTERNAL", md_strerror(rc), false);
		char *err = error_json(r->err_code, r->err_msg);
		int64_t retry_at = 0;
		if (r->retryable && j->attempts < j->max_attempts) {
			int64_t delay = p->o.retry_base_ms
			                << (j->attempts - 1 < 10 ? j->attempts - 1 : 10);
			retry_at = now + delay;
		}
		wrc = err ? store_job_fail(p->st, j->id, j->lease_token, now, err, retry_at)
		          : MD_ENOMEM;
		md_free(err);
	}
	if (wrc)
		md_logf(MD_LOG_ERROR, "job %s: outcome not written: %s", j->id, md_strerror(wrc));
}

static void run_one(struct worker *w, struct store_job *job)
{
	struct worker_pool *p = w->pool;
	struct job_run r = { .pool = p, .job = *job };
	pthread_mutex_lock(&p->lock);
	memcpy(w->job_id, job->id, sizeof w->job_id);
	memcpy(w->token, job->lease_token, sizeof w->token);
	pthread_mutex_unlock(&p->lock);

	int64_t t0 = md_mono_ms();
	job_runner_fn fn = find_runner(job->kind, &r.ctx);
	int rc;
	if (!fn) {
		job_run_set_error(&r, "UNKNOWN_KIND", "this node has no runner for the job kind",
		                  false);
		rc = MD_EINVAL;
	} else {
		rc = fn(&r);
		if (rc == MD_ECANCELED)
			r.canceled = true;
		else if (rc == MD_ECONFLICT)
			r.lost = true;
	}
	settle(&r, rc);
	atomic_fetch_add(&w->busy_ms, md_mono_ms() - t0);
	md_free(r.result);
	if (r.final_free)
		r.final_free(r.final_ctx);

	pthread_mutex_lock(&p->lock);
	w->job_id[0] = '\0';
	pthread_mutex_unlock(&p->lock);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct worker_pool *p = w->pool;
	uint64_t seen = 0;
	while (!atomic_load(&p->stopping)) {
		struct store_job job;
		int rc = store_job_claim(p->st, p->owner, md_now_ms(), p->o.lease_ms, &job);
		if (rc == 0) {
			run_one(w, &job);
			store_job_release(&job);
			continue;
		}
		if (rc != MD_ENOTFOUND)
			md_logf(MD_LOG_WARN, "claim failed: %s", md_strerror(rc));
		hub_wait(p->hub, &seen, p->o.poll_ms);
	}
	return NULL;
}

/* Renews the lease of every running job a third of the lease time apart. */
static void *heartbeat_main(void *arg)
{
	struct worker_pool *p = arg;
	uint64_t seen = 0;
	int64_t period = p->o.lease_ms / 3;
	int64_t next = md_mono_ms() + period;
	while (!atomic_load(&p->stopping)) {
		/* The hub wakes us on every job change; only the timer matters here, and the
		 * stop broadcast. */
		int64_t left = next - md_mono_ms();
		if (left > 0) {
			hub_wait(p->hub, &seen, left);
			continue;
		}
		next = md_mono_ms() + period;
		if (p->o.maintenance)
			p->o.maintenance(p->o.maintenance_ctx);
		/* Jobs whose worker died (anywhere) go back to the queue, or fail when spent. */
		int requeued = 0, failed = 0;
		if (store_job_rescue(p->st, md_now_ms(), &requeued, &failed) == 0 &&
		    (requeued || failed))
			md_logf(MD_LOG_WARN, "rescued jobs of dead workers: %d requeued, %d failed",
			        requeued, failed);
		for (int i = 0; i < p->n; i++) {
			char id[MD_UUID_LEN], token[MD_UUID_LEN];
			pthread_mutex_lock(&p->lock);
			memcpy(id, p->workers[i].job_id, sizeof id);
			memcpy(token, p->workers[i].token, sizeof token);
			pthread_mutex_unlock(&p->lock);
			if (!id[0])
				continue;
			int64_t now = md_now_ms();
			int rc =
			    store_job_progress(p->st, id, token, now, now + p->o.lease_ms, NULL, 0);
			if (rc && rc != MD_ECANCELED)
				md_logf(MD_LOG_DEBUG, "heartbeat of %s: %s", id, md_strerror(rc));
		}
	}
	return NULL;
}

int worker_pool_start(struct store *st, struct hub *hub, const struct worker_opts *o,
                      struct worker_pool **out)
{
	int n = o->threads > 0 ? o->threads : 1;
	struct worker_pool *p = md_calloc(1, sizeof *p + (size_t)n * sizeof(struct worker));
	if (!p)
		return MD_ENOMEM;
	p->st = st;
	p->hub = hub;
	p->o = *o;
	if (p->o.lease_ms <= 0)
		p->o.lease_ms = 30000;
	if (p->o.poll_ms <= 0)
		p->o.poll_ms = 1000;
	if (p->o.retry_base_ms <= 0)
		p->o.retry_base_ms = 2000;
	snprintf(p->owner, sizeof p->owner, "%s", o->node_name ? o->node_name : "node");
	p->n = n;
	p->started_mono = md_mono_ms();
	pthread_mutex_init(&p->lock, NULL);
	for (int i = 0; i < n; i++) {
		p->workers[i].pool = p;
		p->workers[i].index = i;
		if (pthread_create(&p->workers[i].thread, NULL, worker_main, &p->workers[i])) {
			atomic_store(&p->stopping, true);
			hub_broadcast(hub);
			for (int k = 0; k < i; k++)
				pthread_join(p->workers[k].thread, NULL);
			md_free(p);
			return MD_EIO;
		}
	}
	pthread_create(&p->heartbeat, NULL, heartbeat_main, p);
	*out = p;
	return 0;
}

void worker_pool_stop(struct worker_pool *p)
{
	if (!p)
		return;
	atomic_store(&p->stopping, true);
	hub_broadcast(p->hub);
	for (int i = 0; i < p->n; i++)
		pthread_join(p->workers[i].thread, NULL);
	pthread_join(p->heartbeat, NULL);
	pthread_mutex_destroy(&p->lock);
	md_free(p);
}

double worker_pool_busy_ratio(struct worker_pool *p)
{
	if (!p)
		return 0;
	int64_t elapsed = md_mono_ms() - p->started_mono;
	if (elapsed <= 0)
		return 0;
	int64_t busy = 0;
	for (int i = 0; i < p->n; i++)
		busy += atomic_load(&p->workers[i].busy_ms);
	return (double)busy / ((double)elapsed * p->n);
}

int worker_pool_size(struct worker_pool *p)
{
	return p ? p->n : 0;
}
