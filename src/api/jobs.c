/*
 * jobs.c: the job resource every family shares: GET /v1/jobs/:jobId, the cursor-paginated
 * list, cancel, and the SSE event stream.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "api/api.h"
#include "base/common.h"
#include "base/log.h"
#include "base/timeutil.h"

#define EVENTS_BATCH 100

static const struct api_route any_job = { 0 };

void api_result_url(const char *kind, const char *id, char *out, size_t cap)
{
	if (!strcmp(kind, "cvdeepmatch"))
		snprintf(out, cap, "/api/v1/cvdeepmatch/%s", id);
	else
		snprintf(out, cap, "/v1/jobs/%s", id);
}

/* Queue statistics are read at most once a second: a GET must not scan the jobs table. */
static struct {
	pthread_mutex_t lock;
	int64_t at;
	struct store_queue_stats s;
} stats_cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void queue_stats(struct store_queue_stats *out)
{
	int64_t now = md_mono_ms();
	pthread_mutex_lock(&stats_cache.lock);
	if (now - stats_cache.at > 1000 || !stats_cache.at) {
		if (store_queue_stats(the_app->st, &stats_cache.s) == 0)
			stats_cache.at = now;
	}
	*out = stats_cache.s;
	pthread_mutex_unlock(&stats_cache.lock);
}

/*
 * The wait estimate: jobs ahead of this one times the recent mean run time, spread over the
 * workers; for a running job, what remains of the mean.
 */
static int64_t estimate_wait_s(const struct store_job *j)
{
	if (store_job_is_terminal(j))
		return 0;
	struct store_queue_stats s;
	queue_stats(&s);
	double avg = s.avg_run_ms > 0 ? s.avg_run_ms : 1000;
	int workers = the_app->cfg.workers > 0 ? the_app->cfg.workers : 1;
	if (!strcmp(j->status, "running")) {
		double left = avg - (double)(md_now_ms() - j->started_at);
		return left > 0 ? (int64_t)(left / 1000 + 0.999) : 0;
	}
	int64_t ahead = 0;
	if (store_job_queue_position(the_app->st, j->id, &ahead))
		ahead = s.queued;
	double wait = (double)(ahead / workers + 1) * avg;
	int64_t delay = j->run_after - md_now_ms();
	if (delay > 0)
		wait += (double)delay;
	return (int64_t)(wait / 1000 + 0.999);
}

json_t *api_job_json(const struct store_job *j, int64_t estimated_wait_s)
{
	char url[128];
	api_result_url(j->kind, j->id, url, sizeof url);
	json_t *err =
	    j->error && !strcmp(j->status, "failed") ? json_loads(j->error, 0, NULL) : json_null();
	return json_pack("{s:s,s:s,s:s,s:s,s:f,s:I,s:o,s:o,s:o,s:o,s:o,s:i,s:i}", "jobId", j->id,
	                 "kind", j->kind, "status", j->status, "stage", j->stage, "progress",
	                 j->progress, "estimatedWaitSec", (json_int_t)estimated_wait_s, "createdAt",
	                 api_ts(j->created_at), "startedAt", api_ts(j->started_at), "finishedAt",
	                 api_ts(j->finished_at), "error", err ? err : json_null(), "resultUrl",
	                 !strcmp(j->status, "succeeded") ? json_string(url) : json_null(),
	                 "attempts", j->attempts, "maxAttempts", j->max_attempts);
}

/*
 * Finished jobs never change, and clients poll them: a small direct-mapped cache of their
 * JSON (keyed by workspace and id) answers those polls without the database or a JSON build.
 */
#define DONE_CACHE_SLOTS 2048
static struct {
	pthread_mutex_t lock;
	struct done_slot {
		char ws[MD_UUID_LEN];
		char id[MD_UUID_LEN];
		char *json;
	} slots[DONE_CACHE_SLOTS];
} done_cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

static struct done_slot *done_slot_of(const char *id)
{
	uint32_t h = 2166136261u;
	for (const char *c = id; *c; c++)
		h = (h ^ (unsigned char)*c) * 16777619u;
	return &done_cache.slots[h % DONE_CACHE_SLOTS];
}

/* Copies the cached JSON of a finished job into resp; false on a miss. */
static bool done_cache_answer(const char *ws, const char *id, struct http_response *resp)
{
	struct done_slot *d = done_slot_of(id);
	bool hit = false;
	pthread_mutex_lock(&done_cache.lock);
	if (d->json && !strcmp(d->id, id) && !strcmp(d->ws, ws)) {
		buf_reset(&resp->body);
		hit = buf_puts(&resp->body, d->json) == 0;
	}
	pthread_mutex_unlock(&done_cache.lock);
	if (hit) {
		resp->status = 200;
		resp->content_type = "application/json";
	}
	return hit;
}

static void done_cache_put(const char *ws, const char *id, const char *json)
{
	char *copy = md_strdup(json);
	if (!copy)
		return;
	struct done_slot *d = done_slot_of(id);
	pthread_mutex_lock(&done_cache.lock);
	char *old = d->json;
	snprintf(d->ws, sizeof d->ws, "%s", ws);
	snprintf(d->id, sizeof d->id, "%s", id);
	d->json = copy;
	pthread_mutex_unlock(&done_cache.lock);
	md_free(old);
}

static void get_job(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	char id[MD_UUID_LEN];
	struct store_job j;
	if (!api_param(req, "jobId", id, sizeof id) || !md_uuid_valid(id)) {
		api_error(req, resp, E_NOT_FOUND, "no job with this id in your workspace", NULL,
		          NULL);
		return;
	}
	if (done_cache_answer(key.workspace_id, id, resp))
		return;
	int rc = store_job_get(the_app->st, key.workspace_id, id, &j);
	if (rc == MD_ENOTFOUND) {
		api_error(req, resp, E_NOT_FOUND, "no job with this id in your workspace", NULL,
		          NULL);
		return;
	}
	if (rc) {
		(void)http_response_header(resp, "Retry-After", "1");
		api_error(req, resp, E_UNAVAILABLE, "the database is unavailable; retry", NULL,
		          NULL);
		return;
	}
	api_json(resp, 200, api_job_json(&j, estimate_wait_s(&j)));
	if (store_job_is_terminal(&j) && resp->status == 200)
		done_cache_put(key.workspace_id, id, resp->body.data);
	store_job_release(&j);
}

struct list_ctx {
	json_t *data;
	char last[MD_UUID_LEN];
	int n;
};

static int list_one(void *ctx, const struct store_job *j)
{
	struct list_ctx *l = ctx;
	json_array_append_new(l->data, api_job_json(j, 0));
	memcpy(l->last, j->id, sizeof l->last);
	l->n++;
	return 0;
}

static bool valid_status(const char *s)
{
	static const char *const ok[] = { "queued", "running", "succeeded", "failed", "canceled" };
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++)
		if (!strcmp(s, ok[i]))
			return true;
	return false;
}

/* The list parameters; the cursor is a job id. */
static bool page_params(struct http_request *req, struct http_response *resp, int *limit,
                        char cursor[MD_UUID_LEN])
{
	if (!api_page_params(req, resp, 20, 100, limit, cursor, MD_UUID_LEN))
		return false;
	if (cursor[0] && !md_uuid_valid(cursor)) {
		api_error(req, resp, E_VALIDATION, "invalid cursor", "cursor", NULL);
		return false;
	}
	return true;
}

static void list_jobs(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	int limit;
	char cursor[MD_UUID_LEN], status[16] = "", kind[32] = "";
	if (!page_params(req, resp, &limit, cursor))
		return;
	int rc = query_param(req->query, "status", status, sizeof status);
	if ((rc == 0 && !valid_status(status)) || (rc && rc != MD_ENOTFOUND)) {
		api_error(req, resp, E_VALIDATION,
		          "status must be one of queued, running, succeeded, failed, canceled",
		          "status", NULL);
		return;
	}
	rc = query_param(req->query, "kind", kind, sizeof kind);
	if (rc && rc != MD_ENOTFOUND) {
		api_error(req, resp, E_VALIDATION, "invalid kind", "kind", NULL);
		return;
	}
	struct list_ctx l = { .data = json_array() };
	rc = store_job_list(the_app->st, key.workspace_id, status[0] ? status : NULL,
	                    kind[0] ? kind : NULL, cursor[0] ? cursor : NULL, limit, list_one, &l);
	if (rc) {
		json_decref(l.data);
		api_error(req, resp, E_UNAVAILABLE, "the database is unavailable; retry", NULL,
		          NULL);
		return;
	}
	api_json(resp, 200,
	         json_pack("{s:o,s:o}", "data", l.data, "next_cursor",
	                   l.n == limit ? json_string(l.last) : json_null()));
}

static void cancel_job(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	char id[MD_UUID_LEN];
	bool now_terminal = false;
	int rc = MD_ENOTFOUND;
	if (api_param(req, "jobId", id, sizeof id) && md_uuid_valid(id))
		rc =
		    store_job_cancel(the_app->st, key.workspace_id, id, md_now_ms(), &now_terminal);
	if (rc == MD_ENOTFOUND) {
		api_error(req, resp, E_NOT_FOUND, "no job with this id in your workspace", NULL,
		          NULL);
		return;
	}
	if (rc == MD_ECONFLICT) {
		api_error(req, resp, E_CONFLICT, "the job has already finished", NULL, NULL);
		return;
	}
	struct store_job j;
	if (rc || store_job_get(the_app->st, key.workspace_id, id, &j)) {
		api_error(req, resp, E_UNAVAILABLE, "the database is unavailable; retry", NULL,
		          NULL);
		return;
	}
	/* 202 while the worker still has to notice; 200 when the job is canceled already. */
	api_json(resp, now_terminal ? 200 : 202, api_job_json(&j, 0));
	store_job_release(&j);
}

/* ---- SSE ---- */

struct sse {
	char job_id[MD_UUID_LEN];
	int64_t last_id;
	bool ended;
	int64_t last_write;
	struct hub_sub *sub;
	_Atomic(struct http_stream *) stream;
};

static bool terminal_type(const char *t)
{
	return !strcmp(t, "succeeded") || !strcmp(t, "failed") || !strcmp(t, "canceled");
}

struct fill_ctx {
	struct sse *s;
	struct buf *out;
	int n;
};

static int emit_event(void *ctx, const struct store_event *e)
{
	struct fill_ctx *f = ctx;
	/* The data repeats the id and type so a client reading only data lines has them too. */
	char ts[MD_TS_LEN];
	md_format_ts(e->created_at, ts);
	const char *rest = e->data[0] == '{' ? e->data + 1 : "}";
	int rc = buf_printf(f->out,
	                    "id: %lld\nevent: %s\ndata: {\"id\":%lld,\"type\":\"%s\",\"createdAt\":"
	                    "\"%s\",%s\n\n",
	                    (long long)e->id, e->type, (long long)e->id, e->type, ts, rest);
	if (rc)
		return rc;
	f->s->last_id = e->id;
	f->n++;
	if (terminal_type(e->type)) {
		f->s->ended = true;
		return 1; /* stop: nothing comes after the terminal event */
	}
	return 0;
}

static int sse_fill(void *ctx, struct buf *out)
{
	struct sse *s = ctx;
	if (s->ended)
		return -1;
	struct fill_ctx f = { s, out, 0 };
	int rc =
	    store_events_list(the_app->st, s->job_id, s->last_id, EVENTS_BATCH, emit_event, &f);
	if (rc < 0 && !f.n)
		return 0; /* the database hiccuped: try again at the next wake */
	int64_t now = md_mono_ms();
	if (f.n) {
		s->last_write = now;
		return 1;
	}
	if (now - s->last_write >= the_app->cfg.sse_heartbeat_ms) {
		s->last_write = now;
		return buf_puts(out, ": heartbeat\n\n") ? 0 : 1;
	}
	return 0;
}

static void sse_done(void *ctx)
{
	struct sse *s = ctx;
	hub_unsubscribe(the_app->hub, s->sub);
	md_free(s);
}

static void sse_wake(void *ctx)
{
	struct sse *s = ctx;
	struct http_stream *st = atomic_load(&s->stream);
	if (st)
		http_stream_wake(st);
}

static const struct http_stream_ops sse_ops = { sse_fill, sse_done };

/* Reads Last-Event-ID (header, or ?lastEventId= for clients that cannot set headers). */
static int64_t last_event_id(struct http_request *req, bool *given)
{
	const char *h = http_header(req, "Last-Event-ID");
	char q[32];
	if (!h && query_param(req->query, "lastEventId", q, sizeof q) == 0)
		h = q;
	*given = false;
	if (!h)
		return 0;
	char *end;
	long long v = strtoll(h, &end, 10);
	if (*end || end == h || v < 0)
		return 0;
	*given = true;
	return v;
}

static int count_event(void *ctx, const struct store_event *e)
{
	(*(int *)ctx)++;
	return 0;
}

static void job_events(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	char id[MD_UUID_LEN];
	struct store_job j;
	int rc = MD_ENOTFOUND;
	if (api_param(req, "jobId", id, sizeof id) && md_uuid_valid(id))
		rc = store_job_get(the_app->st, key.workspace_id, id, &j);
	if (rc == MD_ENOTFOUND) {
		api_error(req, resp, E_NOT_FOUND, "no job with this id in your workspace", NULL,
		          NULL);
		return;
	}
	if (rc) {
		/* The database is away (a restart): the job may well exist, so not a 404. */
		api_error(req, resp, E_UNAVAILABLE, "the database is unavailable; retry", NULL,
		          NULL);
		return;
	}
	bool given;
	int64_t after = last_event_id(req, &given);
	bool terminal = store_job_is_terminal(&j);
	store_job_release(&j);
	if (terminal && given) {
		int n = 0;
		if (store_events_list(the_app->st, id, after, 1, count_event, &n) == 0 && n == 0) {
			/* The stream already ended for this client: 204 stops EventSource retries. */
			resp->status = 204;
			return;
		}
	}
	struct sse *s = md_calloc(1, sizeof *s);
	if (!s) {
		api_error(req, resp, E_INTERNAL, "out of memory", NULL, NULL);
		return;
	}
	memcpy(s->job_id, id, sizeof s->job_id);
	s->last_id = after;
	s->last_write = md_mono_ms();
	s->sub = hub_subscribe(the_app->hub, id, sse_wake, s);
	resp->status = 200;
	resp->content_type = "text/event-stream";
	(void)http_response_header(resp, "Cache-Control", "no-cache");
	(void)http_response_header(resp, "X-Accel-Buffering", "no");
	resp->stream_ops = &sse_ops;
	resp->stream_ctx = s;
	resp->stream_handle = (struct http_stream **)&s->stream;
}

int api_jobs_routes(struct http_server *s)
{
	struct http_route_opts o = { .ctx = (void *)&any_job };
	int rc = http_server_route(s, "GET", "/v1/jobs", list_jobs, &o);
	rc = rc ? rc : http_server_route(s, "GET", "/v1/jobs/:jobId", get_job, &o);
	rc = rc ? rc : http_server_route(s, "GET", "/v1/jobs/:jobId/events", job_events, &o);
	rc = rc ? rc : http_server_route(s, "POST", "/v1/jobs/:jobId/cancel", cancel_job, &o);
	return rc;
}
