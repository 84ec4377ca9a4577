/*
 * webhooks.c: the webhook resources: the delivery log of a job and redelivery, the workspace's
 * signing secret (read and rotate, admin only), and the payload of terminal events.
 */
#include "api/api.h"
#include "base/common.h"
#include "base/timeutil.h"
#include "platform/webhook_sign.h"

static const struct api_route any_key = { 0 };
static const struct api_route admin_key = { PERM_ADMIN };

/* Rotated-out secrets keep signing (beside the new one) for a day. */
#define ROTATION_OVERLAP_MS (24LL * 3600 * 1000)

char *api_webhook_payload(void *ctx, const char *type, const char *job_id, const char *kind,
                          const char *status, int64_t now)
{
	char url[128];
	api_result_url(kind, job_id, url, sizeof url);
	json_t *p =
	    json_pack("{s:s,s:o,s:{s:s,s:s,s:s,s:s}}", "type", type, "timestamp", api_ts(now),
	              "data", "jobId", job_id, "kind", kind, "status", status, "resultUrl", url);
	char *text = p ? json_dumps(p, JSON_COMPACT) : NULL;
	json_decref(p);
	char *out = text ? md_strdup(text) : NULL;
	free(text);
	return out;
}

struct dl_ctx {
	json_t *data;
};

static int attempt_one(void *ctx, const struct store_attempt *a)
{
	json_array_append_new(
	    ctx, json_pack("{s:i,s:o,s:o,s:s,s:o,s:I}", "attempt", a->attempt, "at", api_ts(a->at),
	                   "httpStatus",
	                   a->http_status ? json_integer(a->http_status) : json_null(), "outcome",
	                   a->outcome, "error", a->error ? json_string(a->error) : json_null(),
	                   "durationMs", (json_int_t)a->duration_ms));
	return 0;
}

static int delivery_one(void *ctx, const struct store_delivery *d)
{
	struct dl_ctx *l = ctx;
	json_t *attempts = json_array();
	if (store_delivery_attempts(the_app->st, d->id, attempt_one, attempts)) {
		json_decref(attempts);
		return MD_EIO;
	}
	json_array_append_new(
	    l->data,
	    json_pack("{s:s,s:s,s:s,s:s,s:s,s:i,s:o,s:o,s:o,s:o}", "id", d->id, "jobId", d->job_id,
	              "eventType", d->event_type, "url", d->url, "status", d->status,
	              "attemptCount", d->attempts, "nextAttemptAt",
	              !strcmp(d->status, "pending") ? api_ts(d->next_attempt_at) : json_null(),
	              "lastHttpStatus", d->last_status ? json_integer(d->last_status) : json_null(),
	              "createdAt", api_ts(d->created_at), "attempts", attempts));
	return 0;
}

static void list_deliveries(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	char job[MD_UUID_LEN] = "";
	int rc = query_param(req->query, "jobId", job, sizeof job);
	if ((rc == 0 && !md_uuid_valid(job)) || (rc && rc != MD_ENOTFOUND)) {
		api_error(req, resp, E_VALIDATION, "jobId must be a job id", "jobId", NULL);
		return;
	}
	struct dl_ctx l = { json_array() };
	if (store_delivery_list(the_app->st, key.workspace_id, rc ? NULL : job, delivery_one, &l)) {
		json_decref(l.data);
		api_error(req, resp, E_UNAVAILABLE, "the database is unavailable; retry", NULL,
		          NULL);
		return;
	}
	api_json(resp, 200, json_pack("{s:o,s:n}", "data", l.data, "next_cursor"));
}

static void redeliver(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	char id[MD_UUID_LEN];
	int rc = MD_ENOTFOUND;
	if (api_param(req, "id", id, sizeof id) && md_uuid_valid(id))
		rc = store_delivery_redeliver(the_app->st, key.workspace_id, id, md_now_ms());
	if (rc == MD_ENOTFOUND) {
		api_error(req, resp, E_NOT_FOUND, "no delivery with this id in your workspace",
		          NULL, NULL);
		return;
	}
	if (rc) {
		api_error(req, resp, E_UNAVAILABLE, "the database is unavailable; retry", NULL,
		          NULL);
		return;
	}
	hub_broadcast(the_app->hub);
	api_json(resp, 202, json_pack("{s:s,s:s}", "id", id, "status", "pending"));
}

static json_t *secret_json(const struct store_workspace *ws)
{
	bool rotating = ws->webhook_secret_prev[0] && ws->webhook_secret_prev_until > md_now_ms();
	return json_pack("{s:s,s:o,s:o}", "secret", ws->webhook_secret, "previousSecret",
	                 rotating ? json_string(ws->webhook_secret_prev) : json_null(),
	                 "previousValidUntil",
	                 rotating ? api_ts(ws->webhook_secret_prev_until) : json_null());
}

static void get_secret(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	struct store_workspace ws;
	if (!api_auth(req, resp, &key))
		return;
	if (store_workspace_get(the_app->st, key.workspace_id, false, &ws)) {
		api_error(req, resp, E_UNAVAILABLE, "the database is unavailable; retry", NULL,
		          NULL);
		return;
	}
	api_json(resp, 200, secret_json(&ws));
}

static void rotate_secret(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	struct store_workspace ws;
	char secret[WEBHOOK_SECRET_LEN];
	if (!api_auth(req, resp, &key))
		return;
	if (webhook_secret_new(secret, sizeof secret) ||
	    store_workspace_rotate_secret(the_app->st, key.workspace_id, secret,
	                                  md_now_ms() + ROTATION_OVERLAP_MS) ||
	    store_workspace_get(the_app->st, key.workspace_id, false, &ws)) {
		api_error(req, resp, E_UNAVAILABLE, "the secret could not be rotated; retry", NULL,
		          NULL);
		return;
	}
	api_json(resp, 200, secret_json(&ws));
}

int api_webhooks_routes(struct http_server *s)
{
	struct http_route_opts o = { .ctx = (void *)&any_key };
	struct http_route_opts admin = { .ctx = (void *)&admin_key, .body_limit = 1024 };
	struct http_route_opts post = { .ctx = (void *)&any_key, .body_limit = 1024 };
	int rc = http_server_route(s, "GET", "/v1/webhooks/deliveries", list_deliveries, &o);
	rc = rc ? rc
	        : http_server_route(s, "POST", "/v1/webhooks/deliveries/:id/redeliver", redeliver,
	                            &post);
	rc = rc ? rc : http_server_route(s, "GET", "/v1/webhooks/secret", get_secret, &admin);
	rc = rc ? rc
	        : http_server_route(s, "POST", "/v1/webhooks/secret/rotate", rotate_secret, &admin);
	return rc;
}
