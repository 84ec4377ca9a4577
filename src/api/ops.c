/*
 * ops.c: operations endpoints without authentication: liveness, readiness, Prometheus
 * metrics and the OpenAPI document.
 */
#include "api/api.h"
#include "api/contracts.h"
#include "base/common.h"
#include "base/timeutil.h"

static const struct api_route open_route = { 0 };

static void healthz(struct http_request *req, struct http_response *resp)
{
	api_json(resp, 200, json_pack("{s:s}", "status", "ok"));
}

static void readyz(struct http_request *req, struct http_response *resp)
{
	int version = 0;
	int rc = store_ping(the_app->st, &version);
	const char *db = rc == 0 ? "ok" : rc == MD_ECONFLICT ? "migrations pending" : "unreachable";
	if (rc)
		(void)http_response_header(resp, "Retry-After", "1");
	api_json(resp, rc ? 503 : 200,
	         json_pack("{s:s,s:{s:s,s:s,s:i}}", "status", rc ? "unavailable" : "ready",
	                   "database", "backend", store_backend_name(the_app->st), "status", db,
	                   "schemaVersion", version));
}

static void metrics(struct http_request *req, struct http_response *resp)
{
	struct buf *b = &resp->body;
	resp->status = 200;
	resp->content_type = "text/plain; version=0.0.4";
	int rc = http_server_metrics(the_app->http, b);
	struct store_queue_stats s;
	if (!rc && store_queue_stats(the_app->st, &s) == 0)
		rc = buf_printf(b,
		                "# TYPE matchd_jobs gauge\n"
		                "matchd_jobs{state=\"queued\"} %lld\n"
		                "matchd_jobs{state=\"running\"} %lld\n"
		                "matchd_jobs{state=\"succeeded\"} %lld\n"
		                "matchd_jobs{state=\"failed\"} %lld\n"
		                "matchd_jobs{state=\"canceled\"} %lld\n"
		                "# TYPE matchd_queue_depth gauge\nmatchd_queue_depth %lld\n",
		                (long long)s.queued, (long long)s.running, (long long)s.succeeded,
		                (long long)s.failed, (long long)s.canceled, (long long)s.queued);
	int64_t pending, ok, failed;
	if (!rc && store_delivery_counts(the_app->st, &pending, &ok, &failed) == 0)
		rc = buf_printf(b,
		                "# TYPE matchd_webhook_deliveries gauge\n"
		                "matchd_webhook_deliveries{outcome=\"pending\"} %lld\n"
		                "matchd_webhook_deliveries{outcome=\"succeeded\"} %lld\n"
		                "matchd_webhook_deliveries{outcome=\"failed\"} %lld\n",
		                (long long)pending, (long long)ok, (long long)failed);
	if (!rc)
		rc = buf_printf(
		    b,
		    "# TYPE matchd_worker_busy_ratio gauge\nmatchd_worker_busy_ratio %.4f\n"
		    "# TYPE matchd_workers gauge\nmatchd_workers %d\n"
		    "# TYPE matchd_uptime_seconds gauge\nmatchd_uptime_seconds %lld\n",
		    worker_pool_busy_ratio(the_app->workers), worker_pool_size(the_app->workers),
		    (long long)((md_now_ms() - the_app->started_ms) / 1000));
	if (rc)
		resp->status = 500;
}

static void openapi(struct http_request *req, struct http_response *resp)
{
	size_t len = 0;
	const char *doc = contracts_openapi(&len);
	resp->status = 200;
	resp->content_type = "application/json";
	if (!doc || buf_append(&resp->body, doc, len))
		resp->status = 500;
}

int api_ops_routes(struct http_server *s)
{
	struct http_route_opts o = { .ctx = (void *)&open_route };
	int rc = http_server_route(s, "GET", "/healthz", healthz, &o);
	rc = rc ? rc : http_server_route(s, "GET", "/readyz", readyz, &o);
	rc = rc ? rc : http_server_route(s, "GET", "/metrics", metrics, &o);
	rc = rc ? rc : http_server_route(s, "GET", "/v1/openapi.json", openapi, &o);
	return rc;
}
