/*
 * credits.c: GET /v1/credits, the workspace's balance and its ledger (newest first,
 * cursor-paginated).
 */
#include "api/api.h"
#include "base/common.h"

static const struct api_route any_key = { 0 };

struct ledger_ctx {
	json_t *data;
	char last[MD_UUID_LEN];
	int n;
};

static int ledger_one(void *ctx, const struct store_ledger_entry *e)
{
	struct ledger_ctx *l = ctx;
	json_array_append_new(l->data,
	                      json_pack("{s:s,s:I,s:s,s:o,s:o}", "id", e->id, "amount",
	                                (json_int_t)e->amount, "reason", e->reason, "jobId",
	                                e->job_id[0] ? json_string(e->job_id) : json_null(),
	                                "createdAt", api_ts(e->created_at)));
	memcpy(l->last, e->id, sizeof l->last);
	l->n++;
	return 0;
}

static void get_credits(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	char cursor[MD_UUID_LEN];
	int limit;
	if (!api_page_params(req, resp, 50, 100, &limit, cursor, sizeof cursor))
		return;
	if (cursor[0] && !md_uuid_valid(cursor)) {
		api_error(req, resp, E_VALIDATION, "invalid cursor", "cursor", NULL);
		return;
	}
	int64_t balance = 0;
	struct ledger_ctx l = { .data = json_array() };
	if (store_credits_balance(the_app->st, key.workspace_id, &balance) ||
	    store_credits_ledger(the_app->st, key.workspace_id, cursor, limit, ledger_one, &l)) {
		json_decref(l.data);
		api_error(req, resp, E_UNAVAILABLE, "the database is unavailable; retry", NULL,
		          NULL);
		return;
	}
	api_json(resp, 200,
	         json_pack("{s:I,s:o,s:o}", "balance", (json_int_t)balance, "ledger", l.data,
	                   "next_cursor", l.n == limit ? json_string(l.last) : json_null()));
}

int api_credits_routes(struct http_server *s)
{
	struct http_route_opts o = { .ctx = (void *)&any_key };
	return http_server_route(s, "GET", "/v1/credits", get_credits, &o);
}
