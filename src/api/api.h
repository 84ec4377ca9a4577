/*
 * api.h: the application: configuration, the shared services every handler uses (store, hub,
 * rate limiter, worker pool), route registration of all families, and the helpers handlers
 * share: the error envelope in each family's vocabulary, authentication with permissions and
 * rate limits, JSON bodies with a depth cap, and JSON responses.
 */
#ifndef MATCHD_API_API_H
#define MATCHD_API_API_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/linkage_share.h"
#include "http/server.h"
#include "jobs/hub.h"
#include "jobs/worker.h"
#include "platform/auth.h"
#include "platform/ratelimit.h"
#include "store/store.h"

struct app_config {
	char db_url[1024];
	char listen[256];
	int workers;      /* worker threads; 0 = cores */
	bool no_workers;  /* API only */
	bool no_http;     /* workers only (matchd worker) */
	int http_threads; /* 0 = cores */
	int64_t lease_ms;
	int64_t retry_base_ms;
	int max_attempts;
	int64_t cv_price;
	size_t cv_max_file;     /* 5 MB: over it, 400 INVALID_INPUT naming cv_file */
	size_t cv_body_limit;   /* 6 MB: over it, 413 */
	size_t json_body_limit; /* 1 MB */
	int json_max_depth;
	bool webhook_allow_private;
	char webhook_ca_file[1024];
	int64_t auth_cache_ms;
	int64_t sse_heartbeat_ms;
	int64_t idem_ttl_ms;
	double webhook_retry_scale;
	/* PDF sandbox limits. */
	int sandbox_cpu_s;
	int sandbox_wall_s;
	int sandbox_mem_mb;
	char self_exe[1024];
	char node_name[128];
	int log_level;
	/* Matching runs: engine threads (0 = cores), and sharing between nodes. */
	int linkage_threads;
	struct lks_opts lk_share;
};

/* Fills defaults, then applies MATCHD_* environment variables. */
void app_config_defaults(struct app_config *c);
void app_config_from_env(struct app_config *c);

struct app {
	struct app_config cfg;
	struct store *st;
	struct hub *hub;
	struct ratelimit *rl;
	struct http_server *http;
	struct worker_pool *workers;
	struct webhooks *webhooks;
	int64_t started_ms;
};

/* The one application of this process, set by app_start (handlers reach it from here). */
extern struct app *the_app;

/* Opens the store and starts HTTP, workers and webhook delivery as configured. */
int app_start(struct app *a, char *err, size_t errcap);
/* Graceful stop: HTTP first (in-flight requests finish), then workers hand back leases. */
void app_stop(struct app *a);

/* ---- errors ---- */
enum api_err {
	E_VALIDATION,
	E_INVALID_FILE,
	E_INSECURE_URL,
	E_PRIVATE_URL,
	E_UNAUTHORIZED,
	E_PERMISSION,
	E_CREDITS,
	E_NOT_FOUND,
	E_METHOD,
	E_CONFLICT,
	E_IDEM_IN_FLIGHT,
	E_IDEM_MISMATCH,
	E_TOO_LARGE,
	E_HEADERS,
	E_RATE,
	E_INTERNAL,
	E_ENQUEUE,
	E_BAD_GATEWAY,
	E_UNAVAILABLE,
};

/*
 * Writes the error envelope {"error":{"code","message","details"}} in the vocabulary of the
 * request's family. field (may be NULL) becomes details.fields[0].field; details (may be
 * NULL, reference stolen) is merged in.
 */
void api_error(struct http_request *req, struct http_response *resp, enum api_err e,
               const char *message, const char *field, json_t *details);
/* The http_error_fn given to the server. */
void api_server_error(struct http_request *req, struct http_response *resp, int status,
                      const char *message, const char *field);

/* ---- requests ---- */
struct api_route {
	uint32_t perm; /* 0: no authentication (operations endpoints) */
};

/*
 * Authenticates, checks the route's permission and the rate limit. Returns true when the
 * handler may go on (key filled); otherwise the error response is written.
 */
bool api_auth(struct http_request *req, struct http_response *resp, struct store_key *key);
/*
 * True when the JSON text s[0..n) nests arrays and objects at most max deep (strings skipped).
 * Bodies are checked before jansson sees them, since jansson has no depth option.
 */
bool api_json_depth_ok(const char *s, size_t n, int max);
/* Parses a JSON body (depth-capped); on failure writes a 400 naming the problem. */
json_t *api_json_body(struct http_request *req, struct http_response *resp);
/* Sends a JSON value (reference stolen) with the given status. */
void api_json(struct http_response *resp, int status, json_t *v);
/* Copies a route parameter into out; false when it does not fit (then: not found). */
bool api_param(struct http_request *req, const char *name, char *out, size_t cap);
/*
 * Reads ?limit= (1..max, default def) and ?cursor= (into cursor, cap bytes; "" when absent) of
 * a list request; false after writing the 400 that names the parameter.
 */
bool api_page_params(struct http_request *req, struct http_response *resp, int def, int max,
                     int *limit, char *cursor, size_t cap);
/* Sends {data, next_cursor}: next_cursor is last when the page is full, else null. */
void api_send_page(struct http_response *resp, json_t *data, int limit, const char *last);
/* RFC 3339 text of a store time, or JSON null for 0. */
json_t *api_ts(int64_t ms);

/* Route registration of each family (api/<family>.c). */
int api_ops_routes(struct http_server *s);
int api_jobs_routes(struct http_server *s);
int api_cv_routes(struct http_server *s);
int api_credits_routes(struct http_server *s);
int api_webhooks_routes(struct http_server *s);

/* The job object of GET /v1/jobs/:jobId. */
json_t *api_job_json(const struct store_job *j, int64_t estimated_wait_s);
/* The path where a job's result is read, by kind. */
void api_result_url(const char *kind, const char *id, char *out, size_t cap);
/* The store's payload builder for terminal webhook events (store_payload_fn). */
char *api_webhook_payload(void *ctx, const char *type, const char *job_id, const char *kind,
                          const char *status, int64_t now);
/* Registers the job runners of every family with the worker pool. */
int api_register_runners(void);

#endif
