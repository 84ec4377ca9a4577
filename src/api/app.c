/*
 * app.c: configuration and the life of the application: open the store, register routes and
 * runners, start HTTP, workers and webhook delivery; stop them in the order that loses nothing.
 */
#include <unistd.h>

#include "api/api.h"
#include "api/linkage.h"
#include "base/common.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "platform/webhooks.h"

void app_config_defaults(struct app_config *c)
{
	memset(c, 0, sizeof *c);
	snprintf(c->db_url, sizeof c->db_url, "sqlite:./var/matchd.db");
	snprintf(c->listen, sizeof c->listen, "127.0.0.1:8080");
	c->lease_ms = 30000;
	c->retry_base_ms = 2000;
	c->max_attempts = 3;
	c->cv_price = 1;
	c->cv_max_file = 5 * 1000 * 1000;
	c->cv_body_limit = 6 * 1000 * 1000;
	c->json_body_limit = 1000 * 1000;
	c->json_max_depth = 32;
	c->auth_cache_ms = 5000;
	c->sse_heartbeat_ms = 15000;
	c->idem_ttl_ms = 24LL * 3600 * 1000;
	c->webhook_retry_scale = 1;
	c->sandbox_cpu_s = 20;
	c->sandbox_wall_s = 30;
	c->sandbox_mem_mb = 512;
	c->log_level = MD_LOG_INFO;
	lks_opts_defaults(&c->lk_share);
	snprintf(c->self_exe, sizeof c->self_exe, "/proc/self/exe");
	char host[64] = "node";
	gethostname(host, sizeof host - 1);
	snprintf(c->node_name, sizeof c->node_name, "%s:%d", host, (int)getpid());
}

static void env_str(const char *name, char *dst, size_t cap)
{
	const char *v = getenv(name);
	if (v && *v)
		snprintf(dst, cap, "%s", v);
}

static void env_i64(const char *name, int64_t *dst)
{
	const char *v = getenv(name);
	if (!v || !*v)
		return;
	char *end;
	long long n = strtoll(v, &end, 10);
	if (!*end && n >= 0)
		*dst = n;
	else
		md_logf(MD_LOG_WARN, "ignoring %s=%s: not a non-negative integer", name, v);
}

static void env_int(const char *name, int *dst)
{
	int64_t v = *dst;
	env_i64(name, &v);
	*dst = (int)v;
}

void app_config_from_env(struct app_config *c)
{
	env_str("MATCHD_DATABASE_URL", c->db_url, sizeof c->db_url);
	env_str("MATCHD_LISTEN", c->listen, sizeof c->listen);
	env_int("MATCHD_WORKERS", &c->workers);
	env_int("MATCHD_HTTP_THREADS", &c->http_threads);
	env_i64("MATCHD_LEASE_MS", &c->lease_ms);
	env_i64("MATCHD_RETRY_BASE_MS", &c->retry_base_ms);
	env_int("MATCHD_MAX_ATTEMPTS", &c->max_attempts);
	env_i64("MATCHD_PRICE_CVDEEPMATCH", &c->cv_price);
	env_i64("MATCHD_AUTH_CACHE_MS", &c->auth_cache_ms);
	env_i64("MATCHD_SSE_HEARTBEAT_MS", &c->sse_heartbeat_ms);
	env_int("MATCHD_SANDBOX_CPU_S", &c->sandbox_cpu_s);
	env_int("MATCHD_SANDBOX_WALL_S", &c->sandbox_wall_s);
	env_int("MATCHD_SANDBOX_MEM_MB", &c->sandbox_mem_mb);
	env_str("MATCHD_WEBHOOK_CA_FILE", c->webhook_ca_file, sizeof c->webhook_ca_file);
	env_int("MATCHD_LINKAGE_THREADS", &c->linkage_threads);
	env_i64("MATCHD_LINKAGE_SHARE_MIN_PAIRS", &c->lk_share.min_pairs);
	env_i64("MATCHD_LINKAGE_SHARE_HELPERS", &c->lk_share.helpers);
	env_i64("MATCHD_LINKAGE_SHARE_UNIT_PAIRS", &c->lk_share.unit_pairs);
	env_i64("MATCHD_LINKAGE_SHARE_LEASE_MS", &c->lk_share.lease_ms);
	env_i64("MATCHD_LINKAGE_SHARE_EARLY_ROWS", &c->lk_share.early_rows);
	lks_opts_clamp(&c->lk_share);
	const char *v = getenv("MATCHD_LINKAGE_SHARE");
	if (v && *v && strcmp(v, "auto") != 0 && strcmp(v, "off") != 0)
		md_logf(MD_LOG_WARN, "ignoring MATCHD_LINKAGE_SHARE=%s: auto or off", v);
	c->lk_share.enabled = !(v && !strcmp(v, "off"));
	v = getenv("MATCHD_WEBHOOK_ALLOW_PRIVATE");
	c->webhook_allow_private = v && !strcmp(v, "1");
	v = getenv("MATCHD_WEBHOOK_RETRY_SCALE");
	if (v && *v)
		c->webhook_retry_scale = strtod(v, NULL);
	v = getenv("MATCHD_LOG_LEVEL");
	if (v) {
		if (!strcmp(v, "debug"))
			c->log_level = MD_LOG_DEBUG;
		else if (!strcmp(v, "warn"))
			c->log_level = MD_LOG_WARN;
		else if (!strcmp(v, "error"))
			c->log_level = MD_LOG_ERROR;
		else if (!strcmp(v, "off"))
			c->log_level = MD_LOG_OFF;
	}
	if (c->workers <= 0)
		c->workers = (int)sysconf(_SC_NPROCESSORS_ONLN);
}

static int register_routes(struct http_server *s)
{
	int rc = api_ops_routes(s);
	rc = rc ? rc : api_jobs_routes(s);
	rc = rc ? rc : api_cv_routes(s);
	rc = rc ? rc : api_credits_routes(s);
	rc = rc ? rc : api_webhooks_routes(s);
	rc = rc ? rc : api_linkage_routes(s);
	return rc;
}

/* Idempotency keys older than their 24 h window are deleted, at most once a minute. */
static void housekeeping(void *ctx)
{
	struct app *a = ctx;
	static int64_t last;
	int64_t now = md_now_ms();
	if (now - last < 60000)
		return;
	last = now;
	int n = 0;
	if (store_idem_sweep(a->st, now - a->cfg.idem_ttl_ms, &n) == 0 && n > 0)
		md_logf(MD_LOG_INFO, "swept %d expired idempotency keys", n);
	/* Streamed uploads that never committed (a crash, a vanished client) an hour on. */
	if (store_blob_sweep(a->st, now - STORE_BLOB_UPLOAD_TTL_MS, &n) == 0 && n > 0)
		md_logf(MD_LOG_INFO, "swept %d abandoned uploads", n);
	/* Shared linkage runs whose job ended without closing its share (a crashed node). */
	if (store_lk_share_sweep(a->st, &n) == 0 && n > 0)
		md_logf(MD_LOG_INFO, "swept the shares of %d ended linkage runs", n);
}

int app_start(struct app *a, char *err, size_t errcap)
{
	the_app = a;
	a->started_ms = md_now_ms();
	md_log_set_level(a->cfg.log_level);
	auth_cache_set_ttl(a->cfg.auth_cache_ms);
	int rc = store_open(a->cfg.db_url, &a->st, err, errcap);
	if (rc)
		return rc;
	a->hub = hub_new();
	a->rl = ratelimit_new();
	if (!a->hub || !a->rl) {
		snprintf(err, errcap, "out of memory");
		return MD_ENOMEM;
	}
	store_set_listener(a->st, hub_store_listener, a->hub);
	/* One SQLite file has one node: nobody could take a run's helpers. */
	a->cfg.lk_share.enabled = a->cfg.lk_share.enabled && store_is_shared(a->st);
	a->cfg.lk_share.node_name = a->cfg.node_name;
	/* Fault injection for the API tests: the first N submissions cannot be enqueued. */
	const char *fault = getenv("MATCHD_FAULT_SUBMIT");
	if (fault && *fault)
		store_fail_next_submits(a->st, (int)strtol(fault, NULL, 10));
	store_set_payload_builder(a->st, api_webhook_payload, NULL);
	if ((rc = api_register_runners()) || (rc = api_linkage_register_runner())) {
		snprintf(err, errcap, "cannot register job runners");
		return rc;
	}
	if (!a->cfg.no_workers) {
		struct worker_opts wo = { .threads = a->cfg.workers,
			                  .lease_ms = a->cfg.lease_ms,
			                  .retry_base_ms = a->cfg.retry_base_ms,
			                  .node_name = a->cfg.node_name,
			                  .maintenance = housekeeping,
			                  .maintenance_ctx = a };
		if ((rc = worker_pool_start(a->st, a->hub, &wo, &a->workers))) {
			snprintf(err, errcap, "cannot start workers");
			return rc;
		}
		struct webhooks_opts ho = { .allow_private = a->cfg.webhook_allow_private,
			                    .ca_file = a->cfg.webhook_ca_file[0]
			                                   ? a->cfg.webhook_ca_file
			                                   : NULL,
			                    .retry_scale = a->cfg.webhook_retry_scale };
		if ((rc = webhooks_start(a->st, a->hub, &ho, &a->webhooks))) {
			snprintf(err, errcap, "cannot start webhook delivery");
			return rc;
		}
	}
	if (a->cfg.no_http)
		return 0;
	struct http_server_opts ho = { .listen = a->cfg.listen,
		                       .threads = a->cfg.http_threads,
		                       .on_error = api_server_error,
		                       .tick_ms = a->cfg.sse_heartbeat_ms / 2 };
	if ((rc = http_server_new(&ho, &a->http)) || (rc = register_routes(a->http)) ||
	    (rc = http_server_start(a->http, err, errcap)))
		return rc;
	return 0;
}

void app_stop(struct app *a)
{
	/* HTTP first: in-flight requests finish, streams end, no new job is accepted. */
	http_server_stop(a->http, 10000);
	a->http = NULL;
	/* Then workers: each hands its running job back so another node can take it. */
	worker_pool_stop(a->workers);
	a->workers = NULL;
	webhooks_stop(a->webhooks);
	a->webhooks = NULL;
	store_free(a->st);
	a->st = NULL;
	ratelimit_free(a->rl);
	hub_free(a->hub);
	a->rl = NULL;
	a->hub = NULL;
}
