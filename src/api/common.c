/*
 * common.c: what every handler shares: the error envelope per family, authentication,
 * permissions and rate limits, JSON bodies and responses.
 */
#include "api/api.h"

#include "base/common.h"
#include "base/timeutil.h"

struct app *the_app;

/* One row per error kind: status, the platform/002 code, and the 003 code. */
static const struct {
	int status;
	const char *lower;
	const char *upper;
} codes[] = {
	[E_VALIDATION] = { 400, "validation_error", "INVALID_INPUT" },
	[E_INVALID_FILE] = { 400, "validation_error", "INVALID_FILE_CONTENT" },
	[E_INSECURE_URL] = { 400, "validation_error", "INSECURE_WEBHOOK_URL" },
	[E_PRIVATE_URL] = { 400, "validation_error", "PRIVATE_WEBHOOK_URL" },
	[E_UNAUTHORIZED] = { 401, "unauthorized", "UNAUTHORIZED" },
	[E_PERMISSION] = { 403, "missing_permission", "MISSING_PERMISSION" },
	[E_CREDITS] = { 402, "insufficient_credits", "INSUFFICIENT_CREDITS" },
	[E_NOT_FOUND] = { 404, "not_found", "NOT_FOUND" },
	[E_METHOD] = { 405, "method_not_allowed", "METHOD_NOT_ALLOWED" },
	[E_CONFLICT] = { 409, "conflict", "CONFLICT" },
	[E_IDEM_IN_FLIGHT] = { 409, "idempotency_key_in_use", "IDEMPOTENCY_KEY_IN_USE" },
	[E_IDEM_MISMATCH] = { 422, "idempotency_key_mismatch", "IDEMPOTENCY_KEY_MISMATCH" },
	[E_TOO_LARGE] = { 413, "payload_too_large", "PAYLOAD_TOO_LARGE" },
	[E_HEADERS] = { 431, "headers_too_large", "HEADERS_TOO_LARGE" },
	[E_RATE] = { 429, "rate_limited", "RATE_LIMITED" },
	[E_INTERNAL] = { 500, "internal_error", "INTERNAL_ERROR" },
	[E_ENQUEUE] = { 500, "internal_error", "STEP_FUNCTIONS_FAILED" },
	[E_BAD_GATEWAY] = { 502, "bad_gateway", "UPSTREAM_UNAVAILABLE" },
	[E_UNAVAILABLE] = { 503, "unavailable", "SERVICE_UNAVAILABLE" },
};

/* The CV family (seed 003) writes its codes in capitals; every other family in snake case. */
static bool upper_family(const struct http_request *req)
{
	return strncmp(req->path, "/api/v1/cvdeepmatch", 19) == 0;
}

static bool has_header(const struct http_response *resp, const char *name)
{
	for (int i = 0; i < resp->nheaders; i++)
		if (!strcasecmp(resp->headers[i][0], name))
			return true;
	return false;
}

void api_error(struct http_request *req, struct http_response *resp, enum api_err e,
               const char *message, const char *field, json_t *details)
{
	json_t *d = details ? details : json_object();
	if (field && !json_object_get(d, "fields")) {
		json_t *f = json_pack("[{s:s,s:s}]", "field", field, "message", message);
		json_object_set_new(d, "fields", f);
	}
	/* Every "try again later" answer says when. */
	if (e == E_UNAVAILABLE && !has_header(resp, "Retry-After"))
		(void)http_response_header(resp, "Retry-After", "1");
	json_t *env = json_pack("{s:{s:s,s:s,s:o}}", "error", "code",
	                        upper_family(req) ? codes[e].upper : codes[e].lower, "message",
	                        message, "details", d);
	api_json(resp, codes[e].status, env);
}

void api_server_error(struct http_request *req, struct http_response *resp, int status,
                      const char *message, const char *field)
{
	enum api_err e = E_VALIDATION;
	switch (status) {
	case 404: e = E_NOT_FOUND; break;
	case 405: e = E_METHOD; break;
	case 413: e = E_TOO_LARGE; break;
	case 431: e = E_HEADERS; break;
	case 503: e = E_UNAVAILABLE; break;
	default: e = status >= 500 ? E_INTERNAL : E_VALIDATION;
	}
	api_error(req, resp, e, message, field, NULL);
}

void api_json(struct http_response *resp, int status, json_t *v)
{
	resp->status = status;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	char *text = v ? json_dumps(v, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
	json_decref(v);
	if (!text || buf_puts(&resp->body, text)) {
		resp->status = 500;
		buf_reset(&resp->body);
		if (buf_puts(&resp->body, "{\"error\":{\"code\":\"internal_error\",\"message\":"
		                          "\"out of memory\",\"details\":{}}}"))
			buf_reset(&resp->body);
	}
	free(text);
}

json_t *api_ts(int64_t ms)
{
	if (!ms)
		return json_null();
	char ts[MD_TS_LEN];
	md_format_ts(ms, ts);
	return json_string(ts);
}

bool api_param(struct http_request *req, const char *name, char *out, size_t cap)
{
	return slice_copy(route_param(&req->match, name), out, cap) == 0;
}

/* Takes the secret from "Authorization: Bearer …" or "X-API-Key". */
static struct slice request_secret(struct http_request *req)
{
	const char *h = http_header(req, "Authorization");
	if (h && strncasecmp(h, "Bearer ", 7) == 0)
		return slice_trim(slice_from(h + 7));
	h = http_header(req, "X-API-Key");
	return h ? slice_trim(slice_from(h)) : (struct slice){ NULL, 0 };
}

/*
 * Decides a request under the key's policy: in process for SQLite (one process holds the
 * database), in the database for PostgreSQL so the limit holds across every node. The store
 * returns the bucket state on the database clock; gcra_allow() then recomputes the same
 * decision locally to fill the header values. When the database cannot be asked, the local
 * limiter decides rather than refusing everything.
 */
static bool shared_or_local_allow(const struct store_key *key, const struct gcra_policy *p,
                                  struct gcra_result *r)
{
	int64_t now_ms = md_now_ms();
	if (!store_is_shared(the_app->st) || !gcra_policy_valid(p))
		return ratelimit_allow(the_app->rl, key->id, p, now_ms, r);
	int64_t interval = p->period_ms * 1000 / p->limit;
	int64_t burst = p->burst ? p->burst : p->limit;
	bool allowed;
	int64_t tat, now_us;
	if (interval <= 0 || store_rate_take(the_app->st, key->id, interval, interval * burst,
	                                     &allowed, &tat, &now_us))
		return ratelimit_allow(the_app->rl, key->id, p, now_ms, r);
	/* Replay the decision locally from the state before it, to fill r. */
	int64_t before = allowed ? tat - interval : tat;
	gcra_allow(p, &before, now_us / 1000, r);
	return allowed;
}

static bool rate_check(struct http_request *req, struct http_response *resp,
                       const struct store_key *key)
{
	/* The workspace's policy came with the key (and is cached with it). */
	struct gcra_policy p = { key->rate_limit, key->rate_period_ms, key->rate_burst };
	struct gcra_result r;
	bool ok = shared_or_local_allow(key, &p, &r);
	char policy[128], limit[128];
	if (gcra_format_headers(&p, &r, policy, sizeof policy, limit, sizeof limit) == 0) {
		(void)http_response_header(resp, "RateLimit-Policy", policy);
		(void)http_response_header(resp, "RateLimit", limit);
	}
	if (ok)
		return true;
	char secs[32];
	snprintf(secs, sizeof secs, "%lld", (long long)(r.retry_after_s > 0 ? r.retry_after_s : 1));
	(void)http_response_header(resp, "Retry-After", secs);
	json_t *d = json_pack("{s:I}", "retry_after_seconds", (json_int_t)r.retry_after_s);
	api_error(req, resp, E_RATE, "too many requests; retry after the Retry-After period", NULL,
	          d);
	return false;
}

bool api_auth(struct http_request *req, struct http_response *resp, struct store_key *key)
{
	const struct api_route *route = req->route_ctx;
	struct slice secret = request_secret(req);
	if (!secret.len) {
		api_error(req, resp, E_UNAUTHORIZED,
		          "missing API key: send Authorization: Bearer <key> or X-API-Key", NULL,
		          NULL);
		return false;
	}
	int rc = auth_authenticate(the_app->st, secret.ptr, secret.len, key);
	if (rc == MD_ENOTFOUND) {
		api_error(req, resp, E_UNAUTHORIZED, "invalid or revoked API key", NULL, NULL);
		return false;
	}
	if (rc) {
		(void)http_response_header(resp, "Retry-After", "1");
		api_error(req, resp, E_UNAVAILABLE, "the database is unavailable; retry", NULL,
		          NULL);
		return false;
	}
	if (route && route->perm && !(key->permissions & route->perm)) {
		char msg[128];
		snprintf(msg, sizeof msg, "this API key lacks the '%s' permission",
		         auth_permission_name(route->perm));
		api_error(
		    req, resp, E_PERMISSION, msg, NULL,
		    json_pack("{s:s}", "required_permission", auth_permission_name(route->perm)));
		return false;
	}
	return rate_check(req, resp, key);
}

bool api_json_depth_ok(const char *s, size_t n, int max)
{
	int depth = 0;
	bool in_str = false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = false;
		} else if (c == '"') {
			in_str = true;
		} else if (c == '[' || c == '{') {
			if (++depth > max)
				return false;
		} else if (c == ']' || c == '}') {
			depth--;
		}
	}
	return true;
}

json_t *api_json_body(struct http_request *req, struct http_response *resp)
{
	const char *ct = http_header(req, "Content-Type");
	if (!ct || strncasecmp(ct, "application/json", 16) != 0) {
		api_error(req, resp, E_VALIDATION, "Content-Type must be application/json",
		          "Content-Type", NULL);
		return NULL;
	}
	if (!api_json_depth_ok(req->body.data ? req->body.data : "", req->body.len,
	                       the_app->cfg.json_max_depth)) {
		api_error(req, resp, E_VALIDATION, "JSON nesting is too deep", "body", NULL);
		return NULL;
	}
	json_error_t jerr;
	json_t *v = json_loadb(req->body.data ? req->body.data : "", req->body.len,
	                       JSON_REJECT_DUPLICATES, &jerr);
	if (!v) {
		char msg[256];
		snprintf(msg, sizeof msg, "invalid JSON at line %d column %d: %s", jerr.line,
		         jerr.column, jerr.text);
		api_error(req, resp, E_VALIDATION, msg, "body", NULL);
	}
	return v;
}

bool api_page_params(struct http_request *req, struct http_response *resp, int def, int max,
                     int *limit, char *cursor, size_t cap)
{
	char v[32];
	*limit = def;
	int rc = query_param(req->query, "limit", v, sizeof v);
	if (rc == 0) {
		char *end;
		long n = strtol(v, &end, 10);
		if (!v[0] || *end || n < 1 || n > max) {
			char msg[64];
			snprintf(msg, sizeof msg, "limit must be an integer from 1 to %d", max);
			api_error(req, resp, E_VALIDATION, msg, "limit", NULL);
			return false;
		}
		*limit = (int)n;
	} else if (rc != MD_ENOTFOUND) {
		api_error(req, resp, E_VALIDATION, "invalid limit", "limit", NULL);
		return false;
	}
	rc = query_param(req->query, "cursor", cursor, cap);
	if (rc && rc != MD_ENOTFOUND) {
		api_error(req, resp, E_VALIDATION, "invalid cursor", "cursor", NULL);
		return false;
	}
	if (rc)
		cursor[0] = '\0';
	return true;
}

void api_send_page(struct http_response *resp, json_t *data, int limit, const char *last)
{
	bool more = (int)json_array_size(data) == limit && last && last[0];
	api_json(resp, 200,
	         json_pack("{s:o,s:o}", "data", data, "next_cursor",
	                   more ? json_string(last) : json_null()));
}
