/*
 * linkage.c: the record-matching family (seed 002), see linkage.h. Datasets are CSV uploads
 * parsed by the engine's reader and kept as blobs; configs are validated JSON documents; a run
 * snapshots its config into a job of kind "linkage", whose runner (at the bottom of this file)
 * parses both tables, calls lk_run and writes one result row per input row.
 */
#include "api/linkage.h"

#include <math.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "api/api.h"
#include "api/contracts.h"
#include "api/linkage_config.h"
#include "api/linkage_results.h"
#include "api/linkage_share.h"
#include "api/linkage_upload.h"
#include "base/common.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "engines/linkage/csv.h"
#include "engines/linkage/linkage.h"
#include "engines/linkage/strategy.h"
#include "engines/linkage/table.h"

#define DATASET_BODY_LIMIT ((size_t)256 << 20)
#define RUN_BODY_LIMIT ((size_t)8 << 20)
#define MAX_ONLINE_ROWS 1000
#define IDEM_KEY_MAX 255
#define RESULTS_PAGE_MAX 1000

static const struct api_route lk_route = { PERM_LINKAGE };
static int64_t lk_price = 1;

/* ---- shared helpers ---- */

static void unavailable(struct http_request *req, struct http_response *resp)
{
	(void)http_response_header(resp, "Retry-After", "1");
	api_error(req, resp, E_UNAVAILABLE, "the database is unavailable; retry", NULL, NULL);
}

/* Writes the 404 or 503 that a failed store read means; rc is not 0. */
static void lookup_error(struct http_request *req, struct http_response *resp, int rc,
                         const char *what)
{
	if (rc == MD_ENOTFOUND) {
		char msg[160];
		snprintf(msg, sizeof msg, "No %s with this ID exists for your workspace.", what);
		api_error(req, resp, E_NOT_FOUND, msg, NULL, NULL);
	} else {
		unavailable(req, resp);
	}
}

/* The :id parameter when it is a UUID; "" otherwise (every lookup then says not found). */
static void id_param(struct http_request *req, char id[MD_UUID_LEN])
{
	if (!api_param(req, "id", id, MD_UUID_LEN) || !md_uuid_valid(id))
		id[0] = '\0';
}

/* Collected field errors, one response naming every offending field. */
struct field_errors {
	json_t *fields;
};

static void field_error(struct field_errors *fe, const char *field, const char *msg)
{
	linkage_config_error(&fe->fields, field, msg);
}

/* Writes the 400 of collected errors: "<field>: <message>" of the first as the message. */
static void field_errors_send(struct http_request *req, struct http_response *resp,
                              struct field_errors *fe)
{
	json_t *first = json_array_get(fe->fields, 0);
	char msg[512];
	snprintf(msg, sizeof msg, "%s: %s", json_string_value(json_object_get(first, "field")),
	         json_string_value(json_object_get(first, "message")));
	api_error(req, resp, E_VALIDATION, msg, NULL, json_pack("{s:o}", "fields", fe->fields));
	fe->fields = NULL;
}

/* Validates body against a contract; false after writing the 400 naming each pointer. */
static bool check_contract(struct http_request *req, struct http_response *resp, const char *schema,
                           const json_t *body)
{
	struct field_errors fe = { NULL };
	int rc = linkage_config_contract(schema, body, &fe.fields);
	if (rc == 0)
		return true;
	if (rc != 1) {
		json_decref(fe.fields);
		api_error(req, resp, E_INTERNAL, "the request contract could not be loaded", NULL,
		          NULL);
		return false;
	}
	field_errors_send(req, resp, &fe);
	return false;
}

/* A JSON body, or {} when the body is empty; NULL after writing the 400. */
static json_t *body_or_empty(struct http_request *req, struct http_response *resp)
{
	if (req->body.len == 0)
		return json_object();
	return api_json_body(req, resp);
}

/* Reads ?limit= (1..max, default def) and ?cursor= (an id); false after writing a 400. */
/* ---- datasets ---- */

static json_t *dataset_json(const struct store_lk_dataset *d)
{
	json_t *cols = json_loads(d->columns, 0, NULL);
	return json_pack("{s:s,s:s,s:o,s:I,s:o}", "id", d->id, "name", d->name, "columns",
	                 cols ? cols : json_array(), "row_count", (json_int_t)d->row_count,
	                 "created_at", api_ts(d->created_at));
}

/*
 * An upload streams (route option stream): the CSV bytes of the multipart field `file`, or of
 * a text/csv body, go through the batch-wise check (linkage_upload.h) and into a blob writer
 * in 1 MiB chunks as they arrive, so the server holds a few MiB per upload whatever the file
 * size. The key is checked before the first byte is stored; the handler then validates the
 * end of the file and commits the dataset row with the last chunk, or reports the first error.
 * A failed, refused or abandoned upload leaves nothing behind (the writer is aborted).
 */
struct ds_upload {
	struct store_key key;
	struct store_blob_writer *w;
	struct lk_upload_check chk;
	int store_rc; /* a store failure while writing chunks */
};

static bool csv_content_type(const char *ct)
{
	return ct &&
	       (strncasecmp(ct, "text/csv", 8) == 0 || strncasecmp(ct, "text/plain", 10) == 0 ||
	        strncasecmp(ct, "application/octet-stream", 24) == 0);
}

/* Refusals of upload_begin, told apart by the handler. */
#define UPLOAD_NO_AUTH MD_EDENIED

static int upload_begin(struct http_request *req, void **state)
{
	if (!req->is_multipart && !csv_content_type(http_header(req, "Content-Type")))
		return MD_EINVAL;
	/* The key is checked before anything is stored; the handler repeats a refusal with the
	 * family's error, so the scratch response is dropped here. */
	struct http_response scratch = { 0 };
	buf_init(&scratch.body, 64 * 1024);
	struct store_key key;
	bool ok = api_auth(req, &scratch, &key);
	buf_release(&scratch.body);
	for (int i = 0; i < scratch.nheaders; i++) {
		md_free(scratch.headers[i][0]);
		md_free(scratch.headers[i][1]);
	}
	if (!ok)
		return UPLOAD_NO_AUTH;
	struct ds_upload *u = md_calloc(1, sizeof *u);
	if (!u)
		return MD_ENOMEM;
	u->key = key;
	lk_upload_init(&u->chk);
	int rc = store_blob_writer_open(the_app->st, key.workspace_id, md_now_ms(), &u->w);
	if (rc) {
		lk_upload_release(&u->chk);
		md_free(u);
		return rc;
	}
	*state = u;
	return 0;
}

static int upload_data(void *state, const char *data, size_t len)
{
	struct ds_upload *u = state;
	int rc = lk_upload_feed(&u->chk, data, len);
	if (rc) {
		/* Invalid: nothing more is stored and what was is removed at once. */
		store_blob_writer_abort(u->w);
		u->w = NULL;
		return rc;
	}
	if ((rc = store_blob_writer_append(u->w, data, len)))
		u->store_rc = rc;
	return rc;
}

static void upload_end(void *state)
{
	struct ds_upload *u = state;
	store_blob_writer_abort(u->w);
	lk_upload_release(&u->chk);
	md_free(u);
}

static const struct http_body_stream upload_stream = { upload_begin, upload_data, upload_end };

static void csv_error(struct http_request *req, struct http_response *resp, int rc,
                      const struct lk_csv_error *cerr)
{
	char msg[256];
	if (cerr->line)
		snprintf(msg, sizeof msg, "invalid CSV at line %zu: %s", cerr->line, cerr->message);
	else
		snprintf(msg, sizeof msg, "invalid CSV: %s",
		         cerr->message[0] ? cerr->message : md_strerror(rc));
	json_t *d = json_pack("{s:[{s:s,s:s}]}", "fields", "field", "file", "message", msg);
	if (cerr->line)
		json_object_set_new(d, "line", json_integer((json_int_t)cerr->line));
	api_error(req, resp, rc == MD_ENOMEM ? E_INTERNAL : E_VALIDATION, msg, NULL, d);
}

static const char *CT_ERROR =
    "send the table as multipart/form-data (field file) or as a text/csv body";

static json_t *table_columns(const struct lk_table *t)
{
	json_t *a = json_array();
	for (size_t c = 0; c < t->ncols; c++)
		json_array_append_new(a, json_string(t->colnames[c]));
	return a;
}

static void dataset_create(struct http_request *req, struct http_response *resp)
{
	struct ds_upload *u = req->stream_state;
	struct store_key key;
	if (!u) {
		/* No stream began or it was refused: answer why, in the family's words, the key
		 * first as for every route. */
		if (!api_auth(req, resp, &key))
			return;
		if (!req->is_multipart && req->stream_rc == MD_EINVAL) {
			api_error(req, resp, E_VALIDATION, CT_ERROR, "Content-Type", NULL);
			return;
		}
		if (req->stream_rc) {
			unavailable(req, resp);
			return;
		}
		api_error(req, resp, E_VALIDATION, "file is required (a CSV file part)", "file",
		          NULL);
		return;
	}
	char name[256] = "";
	if (req->is_multipart) {
		const struct http_part *f = http_part(req, "file");
		const struct http_part *n = http_part(req, "name");
		if (n && n->data.len)
			snprintf(name, sizeof name, "%.*s", (int)n->data.len, n->data.data);
		else if (f && f->filename[0])
			snprintf(name, sizeof name, "%s", f->filename);
	} else if (query_param(req->query, "name", name, sizeof name)) {
		name[0] = '\0';
	}
	if (req->stream_rc && u->store_rc) {
		unavailable(req, resp);
		return;
	}
	int rc = req->stream_rc ? req->stream_rc : lk_upload_finish(&u->chk);
	if (rc) {
		/* Removed before answering, so a client that reads the 400 finds nothing. */
		store_blob_writer_abort(u->w);
		u->w = NULL;
		csv_error(req, resp, rc, lk_upload_error(&u->chk));
		return;
	}
	json_t *nj = json_string(name);
	if (!nj) {
		store_blob_writer_abort(u->w);
		u->w = NULL;
		api_error(req, resp, E_VALIDATION, "name must be UTF-8 text", "name", NULL);
		return;
	}
	json_decref(nj);
	json_t *cols = json_array();
	for (size_t c = 0; cols && c < u->chk.ncols; c++)
		json_array_append_new(cols, json_string(u->chk.colnames[c]));
	char *cols_text = cols ? json_dumps(cols, JSON_COMPACT) : NULL;
	json_decref(cols);
	struct store_lk_dataset d;
	struct store_blob_writer *w = u->w;
	u->w = NULL; /* the commit frees it, whatever the result */
	rc = cols_text ? store_lk_dataset_commit(w, name[0] ? name : "dataset", cols_text,
	                                         (int64_t)u->chk.rows, md_now_ms(), &d)
	               : MD_ENOMEM;
	if (!cols_text)
		store_blob_writer_abort(w);
	free(cols_text);
	if (rc) {
		unavailable(req, resp);
		return;
	}
	char loc[96];
	snprintf(loc, sizeof loc, "/v1/matching/datasets/%s", d.id);
	(void)http_response_header(resp, "Location", loc);
	api_json(resp, 201, dataset_json(&d));
	store_lk_dataset_release(&d);
}

static void dataset_get(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	char id[MD_UUID_LEN];
	id_param(req, id);
	struct store_lk_dataset d;
	int rc = id[0] ? store_lk_dataset_get(the_app->st, key.workspace_id, id, &d) : MD_ENOTFOUND;
	if (rc) {
		lookup_error(req, resp, rc, "dataset");
		return;
	}
	api_json(resp, 200, dataset_json(&d));
	store_lk_dataset_release(&d);
}

struct list_ctx {
	json_t *data;
	char last[MD_UUID_LEN];
};

static int dataset_list_one(void *ctx, const struct store_lk_dataset *d)
{
	struct list_ctx *l = ctx;
	json_array_append_new(l->data, dataset_json(d));
	snprintf(l->last, sizeof l->last, "%s", d->id);
	return 0;
}

static void dataset_list(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	int limit;
	char cursor[MD_UUID_LEN];
	if (!api_page_params(req, resp, 20, 100, &limit, cursor, sizeof cursor))
		return;
	struct list_ctx l = { json_array(), "" };
	if (store_lk_dataset_list(the_app->st, key.workspace_id, cursor, limit, dataset_list_one,
	                          &l)) {
		json_decref(l.data);
		unavailable(req, resp);
		return;
	}
	api_send_page(resp, l.data, limit, l.last);
}

/* DELETE of a workspace's object by id: 204, or 404 naming what was not found. */
static void delete_by_id(struct http_request *req, struct http_response *resp,
                         int (*del)(struct store *, const char *, const char *), const char *what)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	char id[MD_UUID_LEN];
	id_param(req, id);
	int rc = id[0] ? del(the_app->st, key.workspace_id, id) : MD_ENOTFOUND;
	if (rc) {
		lookup_error(req, resp, rc, what);
		return;
	}
	resp->status = 204;
	buf_reset(&resp->body);
}

static void dataset_delete(struct http_request *req, struct http_response *resp)
{
	delete_by_id(req, resp, store_lk_dataset_delete, "dataset");
}

/* ---- strategies: what a column is, and how to compare it ---- */

static const char *const norm_names[] = { "nfkc_casefold",     "trim",        "collapse_whitespace",
	                                  "strip_punctuation", "digits_only", "strip_diacritics" };

static json_t *norm_json(unsigned bits)
{
	json_t *a = json_array();
	for (size_t i = 0; i < ARRAY_SIZE(norm_names); i++)
		if (bits & (1u << i))
			json_array_append_new(a, json_string(norm_names[i]));
	return a;
}

static json_t *levels_json(const double *t, int n)
{
	json_t *a = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(a, json_real(t[i]));
	return a;
}

static void strategies_list(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	size_t n;
	const struct lk_strategy *all = lk_strategies(&n);
	json_t *data = json_array();
	for (size_t i = 0; i < n; i++) {
		const struct lk_strategy *s = &all[i];
		json_t *types = json_array();
		for (size_t k = 0; k < s->nrules; k++) {
			const struct lk_column_rule *r = &s->rules[k];
			json_array_append_new(
			    types,
			    json_pack("{s:s,s:s,s:s,s:o,s:o,s:b}", "type", r->type, "column_hints",
			              r->hints, "comparator", lk_comparator_name(r->cmp),
			              "normalize", norm_json(r->norm), "levels",
			              levels_json(r->t, r->nt), "tf_adjust", r->tf));
		}
		json_array_append_new(data, json_pack("{s:s,s:s,s:s,s:o,s:b}", "id", s->id, "name",
		                                      s->name, "description", s->description,
		                                      "column_types", types, "smart_blocking", 1));
	}
	api_json(resp, 200, json_pack("{s:o,s:n}", "data", data, "next_cursor"));
}

/* ---- configs ---- */

static json_t *config_json(const struct store_lk_config *c)
{
	json_t *o = json_loads(c->body, 0, NULL);
	if (!o)
		o = json_object();
	char self[96];
	snprintf(self, sizeof self, "/v1/matching/configs/%s", c->id);
	json_object_set_new(o, "id", json_string(c->id));
	json_object_set_new(o, "created_at", api_ts(c->created_at));
	json_object_set_new(o, "updated_at", api_ts(c->updated_at));
	json_object_set_new(o, "links", json_pack("{s:s}", "self", self));
	return o;
}

/*
 * Validates a complete config body: the contract, then the reference dataset and the names.
 * False after writing the 400 (or 503).
 */
static bool validate_config(struct http_request *req, struct http_response *resp, const char *ws,
                            json_t *body)
{
	if (!check_contract(req, resp, "linkage.config.request.json", body))
		return false;
	linkage_config_defaults(body);
	const char *ref = json_string_value(json_object_get(body, "reference_dataset_id"));
	struct store_lk_dataset d;
	int rc = md_uuid_valid(ref) ? store_lk_dataset_get(the_app->st, ws, ref, &d) : MD_ENOTFOUND;
	struct field_errors fe = { NULL };
	if (rc == MD_ENOTFOUND) {
		field_error(&fe, "reference_dataset_id",
		            "no dataset with this id in your workspace");
		field_errors_send(req, resp, &fe);
		return false;
	}
	if (rc) {
		unavailable(req, resp);
		return false;
	}
	json_t *cols = json_loads(d.columns, 0, NULL);
	store_lk_dataset_release(&d);
	linkage_config_names(body, cols, &fe.fields);
	json_decref(cols);
	if (fe.fields) {
		field_errors_send(req, resp, &fe);
		return false;
	}
	return true;
}

static void config_create(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	json_t *body = api_json_body(req, resp);
	if (!body)
		return;
	if (!validate_config(req, resp, key.workspace_id, body)) {
		json_decref(body);
		return;
	}
	char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(17));
	json_decref(body);
	struct store_lk_config c;
	int rc = text ? store_lk_config_create(the_app->st, key.workspace_id, text, md_now_ms(), &c)
	              : MD_ENOMEM;
	free(text);
	if (rc) {
		unavailable(req, resp);
		return;
	}
	char loc[96];
	snprintf(loc, sizeof loc, "/v1/matching/configs/%s", c.id);
	(void)http_response_header(resp, "Location", loc);
	api_json(resp, 201, config_json(&c));
	store_lk_config_release(&c);
}

static void config_get(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	char id[MD_UUID_LEN];
	id_param(req, id);
	struct store_lk_config c;
	int rc = id[0] ? store_lk_config_get(the_app->st, key.workspace_id, id, &c) : MD_ENOTFOUND;
	if (rc) {
		lookup_error(req, resp, rc, "matching config");
		return;
	}
	api_json(resp, 200, config_json(&c));
	store_lk_config_release(&c);
}

static void config_patch(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	char id[MD_UUID_LEN];
	id_param(req, id);
	struct store_lk_config c;
	int rc = id[0] ? store_lk_config_get(the_app->st, key.workspace_id, id, &c) : MD_ENOTFOUND;
	if (rc) {
		lookup_error(req, resp, rc, "matching config");
		return;
	}
	json_t *patch = api_json_body(req, resp);
	json_t *body = patch ? json_loads(c.body, 0, NULL) : NULL;
	if (patch && !check_contract(req, resp, "linkage.config.patch.request.json", patch))
		goto out;
	if (!body)
		goto out;
	json_object_update(body, patch);
	if (!validate_config(req, resp, key.workspace_id, body))
		goto out;
	char *text = json_dumps(body, JSON_COMPACT | JSON_REAL_PRECISION(17));
	int64_t now = md_now_ms();
	rc =
	    text ? store_lk_config_update(the_app->st, key.workspace_id, id, text, now) : MD_ENOMEM;
	if (rc == 0) {
		md_free(c.body);
		c.body = md_strdup(text);
		c.updated_at = now;
	}
	free(text);
	if (rc)
		lookup_error(req, resp, rc, "matching config");
	else
		api_json(resp, 200, config_json(&c));
out:
	json_decref(patch);
	json_decref(body);
	store_lk_config_release(&c);
}

static int config_list_one(void *ctx, const struct store_lk_config *c)
{
	struct list_ctx *l = ctx;
	json_array_append_new(l->data, config_json(c));
	snprintf(l->last, sizeof l->last, "%s", c->id);
	return 0;
}

static void config_list(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	int limit;
	char cursor[MD_UUID_LEN];
	if (!api_page_params(req, resp, 20, 100, &limit, cursor, sizeof cursor))
		return;
	struct list_ctx l = { json_array(), "" };
	if (store_lk_config_list(the_app->st, key.workspace_id, cursor, limit, config_list_one,
	                         &l)) {
		json_decref(l.data);
		unavailable(req, resp);
		return;
	}
	api_send_page(resp, l.data, limit, l.last);
}

static void config_delete(struct http_request *req, struct http_response *resp)
{
	delete_by_id(req, resp, store_lk_config_delete, "matching config");
}

/* ---- runs ---- */

static const char *run_status(const char *job_status)
{
	return !strcmp(job_status, "succeeded") ? "completed" : job_status;
}

/*
 * While a run writes its result rows (stage "writing", after the assignment), the rows written
 * so far say how many are processed and matched and their mean confidence: the Run's counts
 * move batch by batch. Before that no row is decided yet (one_to_one assigns them all at once).
 */
static void live_counts(const struct store_job *j, json_t **processed, json_t **matched,
                        json_t **avg)
{
	int64_t rows = 0, m = 0;
	double a = 0;
	if (strcmp(j->stage, "writing") != 0 || !the_app ||
	    store_lk_rows_stats(the_app->st, j->workspace_id, j->id, &rows, &m, &a) != 0)
		return;
	json_decref(*processed);
	*processed = json_integer(rows);
	*matched = json_integer(m);
	*avg = m ? json_real(a) : json_null();
}

/* The Run object of the seed, plus links.events and links.results. */
static json_t *run_json(const struct store_job *j)
{
	json_t *in = json_loads(j->input, 0, NULL);
	json_t *res = j->result ? json_loads(j->result, 0, NULL) : NULL;
	json_t *err = j->error ? json_loads(j->error, 0, NULL) : NULL;
	const char *cfg = json_string_value(json_object_get(in, "config_id"));
	const char *trig = json_string_value(json_object_get(in, "triggered_by"));
	json_t *processed = json_null(), *matched = json_null(), *avg = json_null();
	if (res) {
		processed = json_incref(json_object_get(res, "rows_processed"));
		matched = json_incref(json_object_get(res, "rows_matched"));
		avg = json_incref(json_object_get(res, "avg_confidence"));
	} else if (!strcmp(j->status, "running")) {
		/* Comparing maps to progress 0.1 .. 0.55 (see lk_progress below). */
		double f = (j->progress - 0.1) / 0.45;
		f = f < 0 ? 0 : f > 1 ? 1 : f;
		json_int_t total = json_integer_value(json_object_get(in, "input_rows"));
		processed = json_integer((json_int_t)floor(f * (double)total));
		live_counts(j, &processed, &matched, &avg);
	}
	const char *emsg = err && !strcmp(j->status, "failed")
	                       ? json_string_value(json_object_get(err, "message"))
	                       : NULL;
	char self[96], config[96], events[110], results[110];
	snprintf(self, sizeof self, "/v1/matching/runs/%s", j->id);
	snprintf(config, sizeof config, "/v1/matching/configs/%s", cfg ? cfg : "");
	snprintf(events, sizeof events, "/v1/jobs/%s/events", j->id);
	snprintf(results, sizeof results, "/v1/matching/runs/%s/results", j->id);
	json_t *o = json_pack(
	    "{s:s,s:s,s:s,s:s,s:o,s:o,s:o,s:o,s:o,s:o,s:o,s:{s:s,s:s,s:s,s:s}}", "id", j->id,
	    "matching_config_id", cfg ? cfg : "", "status", run_status(j->status), "triggered_by",
	    trig ? trig : "manual", "rows_processed", processed ? processed : json_null(),
	    "rows_matched", matched ? matched : json_null(), "avg_confidence",
	    avg ? avg : json_null(), "started_at", api_ts(j->started_at), "completed_at",
	    api_ts(j->finished_at), "error", emsg ? json_string(emsg) : json_null(), "created_at",
	    api_ts(j->created_at), "links", "self", self, "config", config, "events", events,
	    "results", results);
	json_decref(in);
	json_decref(res);
	json_decref(err);
	return o;
}

/* The fingerprint of a run request: the path and the canonical body without the key. */
static void run_fingerprint(const char *path, json_t *body, char hex[65])
{
	json_t *copy = json_deep_copy(body);
	json_object_del(copy, "idempotency_key");
	json_object_del(copy, "idempotencyKey");
	char *text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(copy);
	unsigned char md[32];
	unsigned int n;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, path, strlen(path));
	EVP_DigestUpdate(c, "\n", 1);
	if (text)
		EVP_DigestUpdate(c, text, strlen(text));
	EVP_DigestFinal_ex(c, md, &n);
	EVP_MD_CTX_free(c);
	free(text);
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

/* The idempotency key of the body or the Idempotency-Key header; NULL when none. */
static const char *run_idem_key(struct http_request *req, json_t *body)
{
	const char *k = json_string_value(json_object_get(body, "idempotency_key"));
	if (!k)
		k = json_string_value(json_object_get(body, "idempotencyKey"));
	const char *h = http_header(req, "Idempotency-Key");
	return k ? k : (h && *h && strlen(h) <= IDEM_KEY_MAX ? h : NULL);
}

/* Columns of online rows: every key in first-seen order. */
static json_t *rows_columns(const json_t *rows)
{
	json_t *cols = json_array();
	size_t i;
	json_t *row;
	json_array_foreach(rows, i, row)
	{
		const char *k;
		json_t *v;
		json_object_foreach((json_t *)row, k, v)
		{
			if (!linkage_config_has_column(cols, k))
				json_array_append_new(cols, json_string(k));
		}
	}
	return cols;
}

struct run_request {
	json_t *body;
	struct store_lk_config cfg;
	json_t *cfg_body;
	const struct lk_strategy *strategy;
	json_t *input_cols; /* columns of the input (dataset or online rows) */
	int64_t input_rows;
	bool smart;
};

/* Checks the run's input against the config; false after writing the 400 (or 503). */
static bool check_run_input(struct http_request *req, struct http_response *resp, const char *ws,
                            struct run_request *rr)
{
	struct field_errors fe = { NULL };
	json_t *b = rr->body;
	const char *in_id = json_string_value(json_object_get(b, "input_dataset_id"));
	const json_t *rows = json_object_get(b, "rows");
	bool dedupe = !strcmp(json_string_value(json_object_get(rr->cfg_body, "mode")), "dedupe");
	if (in_id && rows) {
		field_error(&fe, "rows", "give either input_dataset_id or rows, not both");
	} else if (rows) {
		rr->input_cols = rows_columns(rows);
		rr->input_rows = (int64_t)json_array_size(rows);
	} else {
		const char *id = in_id;
		if (!id && dedupe)
			id = json_string_value(
			    json_object_get(rr->cfg_body, "reference_dataset_id"));
		if (!id) {
			field_error(&fe, "input_dataset_id",
			            "is required (or rows, for a small online look-up)");
		} else {
			struct store_lk_dataset d;
			int rc = md_uuid_valid(id) ? store_lk_dataset_get(the_app->st, ws, id, &d)
			                           : MD_ENOTFOUND;
			if (rc && rc != MD_ENOTFOUND) {
				unavailable(req, resp);
				return false;
			}
			if (rc)
				field_error(&fe, "input_dataset_id",
				            "no dataset with this id in your workspace");
			else {
				rr->input_cols = json_loads(d.columns, 0, NULL);
				rr->input_rows = d.row_count;
				store_lk_dataset_release(&d);
			}
		}
	}
	size_t i;
	json_t *f;
	char ptr[96];
	json_array_foreach(json_object_get(rr->cfg_body, "fields"), i, f)
	{
		const char *ic = json_string_value(json_object_get(f, "input_column"));
		snprintf(ptr, sizeof ptr, "fields/%zu/input_column", i);
		if (rr->input_cols && !linkage_config_has_column(rr->input_cols, ic))
			field_error(&fe, ptr, "no such column in the input");
	}
	if (!rr->smart && json_array_size(json_object_get(rr->cfg_body, "blocking")) == 0)
		field_error(&fe, "blocking",
		            "a run needs at least one blocking rule in its config; a smart-run "
		            "chooses them itself");
	if (fe.fields) {
		field_errors_send(req, resp, &fe);
		return false;
	}
	return true;
}

static char *run_job_input(const struct run_request *rr)
{
	json_t *b = rr->body;
	const char *trig = json_string_value(json_object_get(b, "triggered_by"));
	json_t *in = json_pack(
	    "{s:s,s:O,s:s,s:O?,s:O?,s:s,s:b,s:s?,s:O?,s:I,s:O?}", "config_id", rr->cfg.id, "config",
	    rr->cfg_body, "reference_dataset_id",
	    json_string_value(json_object_get(b, "reference_data_id"))
	        ? json_string_value(json_object_get(b, "reference_data_id"))
	        : json_string_value(json_object_get(rr->cfg_body, "reference_dataset_id")),
	    "input_dataset_id", json_object_get(b, "input_dataset_id"), "rows",
	    json_object_get(b, "rows"), "triggered_by", trig ? trig : "manual", "smart", rr->smart,
	    "strategy_id", rr->strategy ? rr->strategy->id : NULL, "threshold",
	    json_object_get(b, "threshold"), "input_rows", (json_int_t)rr->input_rows,
	    "input_columns", rr->input_cols);
	char *text = in ? json_dumps(in, JSON_COMPACT | JSON_REAL_PRECISION(17)) : NULL;
	json_decref(in);
	char *out = text ? md_strdup(text) : NULL;
	free(text);
	return out;
}

static void run_replay(struct http_request *req, struct http_response *resp, const char *ws,
                       const char *id)
{
	struct store_job j;
	int rc = store_job_get(the_app->st, ws, id, &j);
	if (rc) {
		unavailable(req, resp);
		return;
	}
	(void)http_response_header(resp, "Idempotent-Replayed", "true");
	api_json(resp, 202, run_json(&j));
	store_job_release(&j);
}

/* Idempotency and submission of a validated run; writes the response. */
static void run_submit(struct http_request *req, struct http_response *resp,
                       const struct store_key *key, struct run_request *rr)
{
	struct store *st = the_app->st;
	int64_t now = md_now_ms();
	const char *idem = run_idem_key(req, rr->body);
	bool idem_open = false;
	if (idem) {
		char fp[65], rid[MD_UUID_LEN];
		enum store_idem_state state;
		run_fingerprint(req->path, rr->body, fp);
		if (store_idem_begin(st, key->workspace_id, idem, fp, now, the_app->cfg.idem_ttl_ms,
		                     60000, &state, rid)) {
			unavailable(req, resp);
			return;
		}
		if (state == STORE_IDEM_REPLAY) {
			run_replay(req, resp, key->workspace_id, rid);
			return;
		}
		if (state != STORE_IDEM_NEW) {
			bool mismatch = state == STORE_IDEM_MISMATCH;
			api_error(req, resp, mismatch ? E_IDEM_MISMATCH : E_IDEM_IN_FLIGHT,
			          mismatch
			              ? "this idempotency key was used with a different request"
			              : "a request with this idempotency key is still being "
			                "accepted; retry shortly",
			          "idempotency_key", NULL);
			return;
		}
		idem_open = true;
	}
	int64_t balance = 0;
	char *input = NULL;
	if (store_credits_balance(st, key->workspace_id, &balance) == 0 && balance < lk_price) {
		char msg[160];
		snprintf(msg, sizeof msg, "insufficient credits: balance %lld, a run costs %lld",
		         (long long)balance, (long long)lk_price);
		api_error(req, resp, E_CREDITS, msg, NULL,
		          json_pack("{s:I,s:I}", "balance", (json_int_t)balance, "price",
		                    (json_int_t)lk_price));
		goto out;
	}
	input = run_job_input(rr);
	char id[MD_UUID_LEN], blob[MD_UUID_LEN];
	struct store_job_new jn = { .workspace_id = key->workspace_id,
		                    .kind = "linkage",
		                    .input_json = input,
		                    .price = lk_price,
		                    .max_attempts = the_app->cfg.max_attempts,
		                    .idem_key = idem };
	int rc = input ? store_job_submit(st, &jn, now, id, blob) : MD_ENOMEM;
	if (rc) {
		md_logf(MD_LOG_ERROR, "linkage run submit failed: %s", md_strerror(rc));
		api_error(req, resp, E_ENQUEUE, "the run could not be queued; retry", NULL, NULL);
		goto out;
	}
	idem_open = false;
	/* The run as accepted (a worker may already have claimed it: the seed answers queued). */
	struct store_job j = { .created_at = now, .updated_at = now, .input = input };
	snprintf(j.id, sizeof j.id, "%s", id);
	snprintf(j.status, sizeof j.status, "queued");
	char loc[96];
	snprintf(loc, sizeof loc, "/v1/matching/runs/%s", id);
	(void)http_response_header(resp, "Location", loc);
	api_json(resp, 202, run_json(&j));
out:
	md_free(input);
	if (idem_open && store_idem_abort(st, key->workspace_id, idem))
		md_logf(MD_LOG_WARN, "idempotency key of a failed run not released");
}

static void run_common(struct http_request *req, struct http_response *resp, bool smart)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	struct run_request rr = { .smart = smart };
	rr.body = body_or_empty(req, resp);
	if (!rr.body)
		return;
	if (!json_is_object(rr.body)) {
		api_error(req, resp, E_VALIDATION, "the body must be a JSON object", "body", NULL);
		goto out;
	}
	/* The config first: another workspace's id is not_found whatever the body says. */
	char id[MD_UUID_LEN];
	id_param(req, id);
	int rc =
	    id[0] ? store_lk_config_get(the_app->st, key.workspace_id, id, &rr.cfg) : MD_ENOTFOUND;
	if (rc) {
		lookup_error(req, resp, rc, "matching config");
		goto out;
	}
	if (smart) {
		const json_t *sid = json_object_get(rr.body, "strategy_id");
		if (!sid || json_is_null(sid) ||
		    (json_is_string(sid) && !json_string_length(sid))) {
			api_error(req, resp, E_VALIDATION, "strategy_id is required for smart-run.",
			          "strategy_id", NULL);
			goto out;
		}
	}
	if (!check_contract(req, resp,
	                    smart ? "linkage.smart_run.request.json" : "linkage.run.request.json",
	                    rr.body))
		goto out;
	if (smart) {
		rr.strategy =
		    lk_strategy_find(json_string_value(json_object_get(rr.body, "strategy_id")));
		if (!rr.strategy) {
			api_error(req, resp, E_VALIDATION,
			          "unknown strategy_id; GET /v1/matching/strategies lists them",
			          "strategy_id", NULL);
			goto out;
		}
	}
	rr.cfg_body = json_loads(rr.cfg.body, 0, NULL);
	if (rr.cfg_body && check_run_input(req, resp, key.workspace_id, &rr))
		run_submit(req, resp, &key, &rr);
out:
	store_lk_config_release(&rr.cfg);
	json_decref(rr.cfg_body);
	json_decref(rr.input_cols);
	json_decref(rr.body);
}

static void run_plain(struct http_request *req, struct http_response *resp)
{
	run_common(req, resp, false);
}

static void run_smart(struct http_request *req, struct http_response *resp)
{
	run_common(req, resp, true);
}

/* Reads run :id of the key's workspace; false after writing the 404/503. */
static bool load_run(struct http_request *req, struct http_response *resp,
                     const struct store_key *key, struct store_job *j)
{
	char id[MD_UUID_LEN];
	id_param(req, id);
	int rc = id[0] ? store_job_get(the_app->st, key->workspace_id, id, j) : MD_ENOTFOUND;
	if (rc == 0 && strcmp(j->kind, "linkage") != 0) {
		store_job_release(j);
		rc = MD_ENOTFOUND;
	}
	if (rc)
		lookup_error(req, resp, rc, "matching run");
	return rc == 0;
}

static void run_get(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	struct store_job j;
	if (!api_auth(req, resp, &key) || !load_run(req, resp, &key, &j))
		return;
	api_json(resp, 200, run_json(&j));
	store_job_release(&j);
}

/* Results and the model exist once the run completed; false after writing the 409. */
static bool run_completed(struct http_request *req, struct http_response *resp,
                          const struct store_job *j)
{
	if (!strcmp(j->status, "succeeded"))
		return true;
	char msg[128];
	snprintf(msg, sizeof msg, "the run is %s; results exist once it is completed",
	         run_status(j->status));
	api_error(req, resp, E_CONFLICT, msg, NULL,
	          json_pack("{s:s}", "status", run_status(j->status)));
	return false;
}

static void run_results(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	struct store_job j;
	if (!api_auth(req, resp, &key) || !load_run(req, resp, &key, &j))
		return;
	int limit;
	char cursor[32], v[32], status[16] = "", format[16] = "json";
	double min_conf = 0;
	int64_t after = -1;
	if (!api_page_params(req, resp, 100, RESULTS_PAGE_MAX, &limit, cursor, sizeof cursor))
		goto out;
	if (cursor[0]) {
		char *end;
		long long n = strtoll(cursor, &end, 10);
		if (*end || n < 0) {
			api_error(req, resp, E_VALIDATION, "invalid cursor", "cursor", NULL);
			goto out;
		}
		after = n;
	}
	if (query_param(req->query, "min_confidence", v, sizeof v) == 0) {
		char *end;
		min_conf = strtod(v, &end);
		if (!v[0] || *end || !(min_conf >= 0 && min_conf <= 1)) {
			api_error(req, resp, E_VALIDATION,
			          "min_confidence must be a number from 0 to 1", "min_confidence",
			          NULL);
			goto out;
		}
	}
	if (query_param(req->query, "status", status, sizeof status) == 0 &&
	    strcmp(status, "matched") && strcmp(status, "unmatched") && strcmp(status, "review")) {
		api_error(req, resp, E_VALIDATION, "status must be matched, unmatched or review",
		          "status", NULL);
		goto out;
	}
	if (query_param(req->query, "format", format, sizeof format) == 0 &&
	    strcmp(format, "csv") && strcmp(format, "json")) {
		api_error(req, resp, E_VALIDATION, "format must be json or csv", "format", NULL);
		goto out;
	}
	if (!run_completed(req, resp, &j))
		goto out;
	json_t *res = json_loads(j.result, 0, NULL);
	if (json_object_get(res, "render")) {
		lkr_serve(req, resp, the_app->st, &j, res, after, limit, min_conf,
		          status[0] ? status : NULL, !strcmp(format, "csv"));
		json_decref(res);
		goto out;
	}
	json_decref(res);
	/* Rows written before migration 0004 went with the table 0006 dropped. */
	api_error(req, resp, E_CONFLICT,
	          "this run's results were stored by an older version and are gone; run it again",
	          NULL, NULL);
out:
	store_job_release(&j);
}

static void run_model(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	struct store_job j;
	if (!api_auth(req, resp, &key) || !load_run(req, resp, &key, &j))
		return;
	if (run_completed(req, resp, &j)) {
		json_t *res = json_loads(j.result, 0, NULL);
		json_t *model = json_incref(json_object_get(res, "model"));
		json_decref(res);
		if (model) {
			json_object_set_new(model, "run_id", json_string(j.id));
			api_json(resp, 200, model);
		} else {
			api_error(req, resp, E_INTERNAL, "the run stored no model", NULL, NULL);
		}
	}
	store_job_release(&j);
}

/* ---- routes ---- */

int api_linkage_routes(struct http_server *s)
{
	const char *price = getenv("MATCHD_PRICE_LINKAGE");
	if (price && *price) {
		char *end;
		long long p = strtoll(price, &end, 10);
		if (!*end && p >= 0)
			lk_price = p;
	}
	struct http_route_opts upload = { .ctx = (void *)&lk_route,
		                          .body_limit = DATASET_BODY_LIMIT + 65536,
		                          .multipart = true,
		                          .part_limit = DATASET_BODY_LIMIT,
		                          .stream = &upload_stream,
		                          .stream_part = "file" };
	struct http_route_opts json = { .ctx = (void *)&lk_route,
		                        .body_limit = the_app->cfg.json_body_limit };
	struct http_route_opts run = { .ctx = (void *)&lk_route, .body_limit = RUN_BODY_LIMIT };
	struct http_route_opts get = { .ctx = (void *)&lk_route };
	static const struct {
		const char *method, *path;
		http_handler_fn fn;
		int opts; /* 0 get, 1 json, 2 run, 3 upload */
	} routes[] = {
		{ "POST", "/v1/matching/datasets", dataset_create, 3 },
		{ "GET", "/v1/matching/datasets", dataset_list, 0 },
		{ "GET", "/v1/matching/datasets/:id", dataset_get, 0 },
		{ "DELETE", "/v1/matching/datasets/:id", dataset_delete, 0 },
		{ "POST", "/v1/matching/configs", config_create, 1 },
		{ "GET", "/v1/matching/configs", config_list, 0 },
		{ "GET", "/v1/matching/configs/:id", config_get, 0 },
		{ "PATCH", "/v1/matching/configs/:id", config_patch, 1 },
		{ "DELETE", "/v1/matching/configs/:id", config_delete, 0 },
		{ "POST", "/v1/matching/configs/:id/run", run_plain, 2 },
		{ "POST", "/v1/matching/configs/:id/smart-run", run_smart, 2 },
		{ "GET", "/v1/matching/strategies", strategies_list, 0 },
		{ "GET", "/v1/matching/runs/:id", run_get, 0 },
		{ "GET", "/v1/matching/runs/:id/results", run_results, 0 },
		{ "GET", "/v1/matching/runs/:id/model", run_model, 0 },
	};
	const struct http_route_opts *opts[] = { &get, &json, &run, &upload };
	for (size_t i = 0; i < ARRAY_SIZE(routes); i++) {
		int rc = http_server_route(s, routes[i].method, routes[i].path, routes[i].fn,
		                           opts[routes[i].opts]);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- the runner ---- */

struct lk_job {
	struct job_run *run;
	json_t *in;
	const json_t *cfg;
	struct lk_table ref, input;
	bool dedupe, smart;
	const struct lk_strategy *strategy;
	struct lk_config lc;
	int progress_rc;
	double threshold;
	/* The datasets of the tables (empty for online rows): results are rendered from them. */
	char in_ds[MD_UUID_LEN], ref_ds[MD_UUID_LEN];
};

/* Maps the engine's stages onto the job's progress: comparing 0.1 .. 0.55, scoring 0.58 .. 0.93. */
static int lk_progress(void *ctx, const char *stage, size_t done, size_t total, size_t matched)
{
	struct lk_job *lj = ctx;
	double f = 0.02;
	if (!strcmp(stage, "blocking"))
		f = 0.05;
	else if (!strcmp(stage, "compare"))
		f = 0.1 + 0.45 * (total ? (double)done / (double)total : 1);
	else if (!strcmp(stage, "estimate"))
		f = 0.56;
	else if (!strcmp(stage, "assign")) /* the scoring pass compares every pair again */
		f = 0.58 + 0.35 * (total ? (double)done / (double)total : 1);
	else if (!strcmp(stage, "done"))
		f = 0.95;
	/* The event says how far the stage is in input rows (and, once decided, the matches). */
	char counts[STORE_COUNTS_MAX];
	if (!strcmp(stage, "done"))
		snprintf(counts, sizeof counts,
		         "{\"rows_done\":%zu,\"rows_total\":%zu,"
		         "\"rows_matched\":%zu}",
		         done, total, matched);
	else
		snprintf(counts, sizeof counts, "{\"rows_done\":%zu,\"rows_total\":%zu}", done,
		         total);
	int rc = job_run_progress_counts(lj->run, stage, f, counts);
	if (rc)
		lj->progress_rc = rc;
	return rc ? 1 : 0;
}

/* Loads and parses a dataset of the job's workspace; ds gets its id. */
static int load_table(struct lk_job *lj, const char *dataset_id, struct lk_table *t,
                      char ds[MD_UUID_LEN])
{
	const struct store_job *j = job_run_job(lj->run);
	struct store *st = job_run_store(lj->run);
	struct store_lk_dataset d;
	int rc = store_lk_dataset_get(st, j->workspace_id, dataset_id, &d);
	if (rc) {
		if (rc == MD_ENOTFOUND)
			job_run_set_error(lj->run, "validation_error",
			                  "a dataset of this run was deleted", false);
		else
			job_run_set_error(lj->run, "store_unavailable",
			                  "the dataset could not be read", true);
		return rc;
	}
	void *data = NULL;
	size_t len = 0;
	snprintf(ds, MD_UUID_LEN, "%s", d.id);
	rc = store_blob_get(st, j->workspace_id, d.blob_id, &data, &len);
	store_lk_dataset_release(&d);
	if (rc) {
		job_run_set_error(lj->run, "store_unavailable", "the dataset could not be read",
		                  true);
		return rc;
	}
	struct lk_csv_error cerr = { 0 };
	struct lk_csv_limits lim = { .max_bytes = DATASET_BODY_LIMIT };
	rc = lk_csv_parse(data, len, &lim, t, &cerr);
	md_free(data);
	if (rc)
		job_run_set_error(lj->run, "validation_error", cerr.message, false);
	return rc;
}

static int parse_link_type(const char *s)
{
	if (!strcmp(s, "one_to_one"))
		return LK_ONE_TO_ONE;
	if (!strcmp(s, "all_above_threshold"))
		return LK_ALL_ABOVE_THRESHOLD;
	return LK_BEST_MATCH;
}

/* One configured (or inferred) field into lc; false with the error set. */
static bool add_field(struct lk_job *lj, const json_t *f, size_t idx)
{
	struct lk_config *lc = &lj->lc;
	const struct lk_table *ref = lj->dedupe ? &lj->input : &lj->ref;
	if (lc->nfields == LK_MAX_FIELDS) {
		job_run_set_error(lj->run, "validation_error", "too many fields", false);
		return false;
	}
	struct lk_field *fl = &lc->fields[lc->nfields];
	memset(fl, 0, sizeof *fl);
	const char *name = json_string_value(json_object_get(f, "name"));
	const char *ic = json_string_value(json_object_get(f, "input_column"));
	const char *rc = json_string_value(json_object_get(f, "reference_column"));
	snprintf(fl->name, sizeof fl->name, "%s", name ? name : rc);
	fl->in_col = lk_table_col(&lj->input, ic);
	fl->ref_col = lk_table_col(ref, rc);
	if (fl->in_col < 0 || fl->ref_col < 0) {
		char msg[200];
		snprintf(msg, sizeof msg, "fields/%zu: column %s is not in the %s", idx,
		         fl->in_col < 0 ? ic : rc, fl->in_col < 0 ? "input" : "reference dataset");
		job_run_set_error(lj->run, "validation_error", msg, false);
		return false;
	}
	const char *cmp = json_string_value(json_object_get(f, "comparator"));
	if (cmp && lk_comparator_parse(cmp, &fl->cmp)) {
		fl->tf_adjust = fl->cmp == LK_CMP_EXACT || fl->cmp == LK_CMP_JARO_WINKLER ||
		                fl->cmp == LK_CMP_PHONETIC;
	} else {
		lk_strategy_infer_field(lj->strategy, rc, ref, fl->ref_col, fl);
	}
	const json_t *norm = json_object_get(f, "normalize");
	if (norm) {
		fl->normalize = 0;
		size_t i;
		json_t *v;
		json_array_foreach(norm, i, v)
		{
			unsigned bit;
			if (lk_norm_parse(json_string_value(v), &bit))
				fl->normalize |= bit;
		}
	} else if (cmp) {
		fl->normalize = LK_NORM_NAMES;
	}
	const json_t *levels = json_object_get(f, "levels");
	if (levels) {
		fl->nthresholds = 0;
		size_t i;
		json_t *v;
		json_array_foreach(levels, i, v)
		{
			if (fl->nthresholds < LK_MAX_LEVELS - 2)
				fl->thresholds[fl->nthresholds++] = json_number_value(v);
		}
	}
	if (json_is_boolean(json_object_get(f, "tf_adjust")))
		fl->tf_adjust = json_is_true(json_object_get(f, "tf_adjust"));
	lk_default_levels(fl);
	lc->nfields++;
	return true;
}

/* The fields of a config with none: every shared, non-identifier column. */
static bool infer_fields(struct lk_job *lj)
{
	const struct lk_table *ref = lj->dedupe ? &lj->input : &lj->ref;
	size_t idx = 0;
	for (size_t c = 0; c < ref->ncols; c++) {
		const char *col = ref->colnames[c];
		if (lk_strategy_skip_column(lj->strategy, col) || lk_table_col(&lj->input, col) < 0)
			continue;
		json_t *f = json_pack("{s:s,s:s,s:s}", "name", col, "input_column", col,
		                      "reference_column", col);
		bool ok = add_field(lj, f, idx++);
		json_decref(f);
		if (!ok)
			return false;
	}
	if (lj->lc.nfields == 0) {
		job_run_set_error(lj->run, "validation_error",
		                  "the input and the reference dataset share no column to compare",
		                  false);
		return false;
	}
	return true;
}

/* A blocking entry names a field (its two columns) or a column of both tables. */
static bool add_rule(struct lk_job *lj, const json_t *cols, size_t idx)
{
	struct lk_config *lc = &lj->lc;
	const struct lk_table *ref = lj->dedupe ? &lj->input : &lj->ref;
	struct lk_rule *r = &lc->rules[lc->nrules];
	memset(r, 0, sizeof *r);
	size_t i;
	json_t *v;
	json_array_foreach(cols, i, v)
	{
		const char *name = json_string_value(v);
		int in = -1, rf = -1;
		for (size_t f = 0; f < lc->nfields; f++) {
			if (!strcmp(lc->fields[f].name, name)) {
				in = lc->fields[f].in_col;
				rf = lc->fields[f].ref_col;
			}
		}
		if (in < 0) {
			in = lk_table_col(&lj->input, name);
			rf = lk_table_col(ref, name);
		}
		if (in < 0 || rf < 0 || r->ncols == LK_MAX_RULE_COLS) {
			char msg[200];
			snprintf(msg, sizeof msg,
			         "blocking/%zu/%zu: %s is not a field or a column of "
			         "both tables",
			         idx, i, name);
			job_run_set_error(lj->run, "validation_error", msg, false);
			return false;
		}
		r->in_cols[r->ncols] = in;
		r->ref_cols[r->ncols] = rf;
		r->ncols++;
	}
	lc->nrules++;
	return true;
}

static bool build_config(struct lk_job *lj)
{
	const json_t *cfg = lj->cfg;
	struct lk_config *lc = &lj->lc;
	memset(lc, 0, sizeof *lc);
	const json_t *fields = json_object_get(cfg, "fields");
	if (json_array_size(fields) == 0) {
		if (!infer_fields(lj))
			return false;
	} else {
		size_t i;
		json_t *f;
		json_array_foreach(fields, i, f)
		{
			if (!add_field(lj, f, i))
				return false;
		}
	}
	if (!lj->smart) {
		size_t i;
		json_t *b;
		json_array_foreach(json_object_get(cfg, "blocking"), i, b)
		{
			if (lc->nrules < LK_MAX_RULES && !add_rule(lj, b, i))
				return false;
		}
	}
	const json_t *th = json_object_get(lj->in, "threshold");
	lj->threshold = json_is_number(th) ? json_number_value(th)
	                                   : json_number_value(json_object_get(cfg, "threshold"));
	if (!(lj->threshold > 0 && lj->threshold < 1))
		lj->threshold = 0.5;
	lc->threshold = lj->threshold;
	lc->link_type = parse_link_type(json_string_value(json_object_get(cfg, "link_type")));
	lc->mode = lj->dedupe ? LK_MODE_DEDUPE : LK_MODE_LINK;
	return true;
}

/*
 * The label of a comparison level: "exact", "shared prefix", ">= 0.92", "<= 1", "else",
 * "null". f is the field as compared (the model's: a smart run refines levels).
 */
static void level_label(const struct lk_field *f, int nlevels, int level, char *out, size_t cap)
{
	bool prefix = f->prefix_level && nlevels > 2 &&
	              (f->cmp == LK_CMP_JARO_WINKLER || f->cmp == LK_CMP_LEVENSHTEIN ||
	               f->cmp == LK_CMP_TOKEN_SET || f->cmp == LK_CMP_QGRAM_COSINE);
	if (level < 0)
		snprintf(out, cap, "null");
	else if (level == nlevels - 1)
		snprintf(out, cap, "exact");
	else if (level == 0)
		snprintf(out, cap, "else");
	else if (prefix && level == nlevels - 2)
		snprintf(out, cap, "shared prefix");
	else if (f->cmp == LK_CMP_PHONETIC)
		snprintf(out, cap, "phonetic key agrees");
	else {
		int k = nlevels - 2 - (prefix ? 1 : 0) - level;
		bool dist = f->cmp == LK_CMP_LEVENSHTEIN || f->cmp == LK_CMP_NUMERIC ||
		            f->cmp == LK_CMP_DATE;
		snprintf(out, cap, "%s %g",
		         dist ? "<=" : ">=", k >= 0 && k < f->nthresholds ? f->thresholds[k] : 0.0);
	}
}

static json_t *model_json(const struct lk_job *lj, const struct lk_result *res)
{
	const struct lk_model *m = &res->model;
	const struct lk_table *ref = lj->dedupe ? &lj->input : &lj->ref;
	json_t *rules = json_array();
	for (size_t k = 0; k < m->nrules; k++) {
		json_t *cols = json_array();
		for (int c = 0; c < m->rules[k].ncols; c++)
			json_array_append_new(
			    cols, json_pack("{s:s,s:s,s:s}", "input",
			                    lj->input.colnames[m->rules[k].in_cols[c]], "reference",
			                    ref->colnames[m->rules[k].ref_cols[c]], "key",
			                    lk_key_kind_name(m->rules[k].key_kind[c])));
		json_array_append_new(rules, json_pack("{s:o,s:I}", "columns", cols, "pairs",
		                                       (json_int_t)m->rule_pairs[k]));
	}
	json_t *fields = json_array();
	for (size_t f = 0; f < res->nfields; f++) {
		const struct lk_field *fl = &res->model.fields[f];
		json_t *levels = json_array();
		for (int l = m->nlevels[f] - 1; l >= 0; l--) {
			double mm = m->levels[f][l].m, uu = m->levels[f][l].u;
			char label[48];
			level_label(fl, m->nlevels[f], l, label, sizeof label);
			double w = mm > 0 && uu > 0 ? log2(mm / uu) : 0;
			json_array_append_new(levels, json_pack("{s:i,s:s,s:f,s:f,s:f}", "level", l,
			                                        "label", label, "m", mm, "u", uu,
			                                        "weight", w));
		}
		json_array_append_new(fields,
		                      json_pack("{s:s,s:s,s:o,s:b,s:o}", "name", fl->name,
		                                "comparator", lk_comparator_name(fl->cmp),
		                                "normalize", norm_json(fl->normalize), "tf_adjust",
		                                fl->tf_adjust, "levels", levels));
	}
	return json_pack("{s:b,s:s?,s:f,s:f,s:f,s:I,s:i,s:b,s:o,s:o}", "smart", lj->smart,
	                 "strategy_id", lj->strategy && lj->smart ? lj->strategy->id : NULL,
	                 "prior", m->prior, "threshold", lj->threshold, "estimated_recall",
	                 m->estimated_recall, "pairs_compared", (json_int_t)m->pairs_compared,
	                 "em_iterations", m->em_iterations, "em_converged", m->em_converged,
	                 "blocking_rules", rules, "fields", fields);
}

/*
 * How the results are rendered at read time (linkage_results.c): the tables' datasets and, per
 * field, its columns and the labels of its levels (index = level).
 */
static json_t *render_json(const struct lk_job *lj, const struct lk_result *res)
{
	json_t *fields = json_array();
	for (size_t f = 0; f < res->nfields; f++) {
		const struct lk_field *fl = &res->model.fields[f];
		json_t *labels = json_array();
		for (int l = 0; l < res->model.nlevels[f]; l++) {
			char label[48];
			level_label(fl, res->model.nlevels[f], l, label, sizeof label);
			json_array_append_new(labels, json_string(label));
		}
		json_array_append_new(fields, json_pack("{s:s,s:i,s:i,s:o}", "name", fl->name,
		                                        "in_col", fl->in_col, "ref_col",
		                                        fl->ref_col, "labels", labels));
	}
	return json_pack("{s:b,s:s?,s:s?,s:o}", "dedupe", lj->dedupe, "input_dataset_id",
	                 lj->in_ds[0] ? lj->in_ds : NULL, "reference_dataset_id",
	                 lj->ref_ds[0] ? lj->ref_ds : NULL, "fields", fields);
}

/* Writing the rows is the last 4 % of the job's progress. */
static int write_progress(void *ctx, size_t done)
{
	struct lk_job *lj = ctx;
	size_t total = lj->input.nrows;
	double f = total ? (double)done / (double)total : 1;
	char counts[STORE_COUNTS_MAX];
	snprintf(counts, sizeof counts, "{\"rows_done\":%zu,\"rows_total\":%zu}", done, total);
	return job_run_progress_counts(lj->run, "writing", 0.95 + 0.04 * (f > 1 ? 1 : f), counts);
}

/*
 * Writes the rows in batches (each guarded by the lease token, the first replacing an earlier
 * attempt's) and sets the summary as the job's result. The last batch goes to the worker pool,
 * whose success writes it in the same transaction (store_job_succeed_final, under the same
 * token, charging once): the last rows and the success are durable together. Rows are only
 * served once the job succeeded, so exactly one attempt's rows are ever visible.
 */
static int finish_run(struct lk_job *lj, const struct lk_result *res, double seconds)
{
	const struct store_job *j = job_run_job(lj->run);
	int64_t t0 = md_mono_ms();
	struct lkr_batch *last = NULL;
	int rc = lkr_write(job_run_store(lj->run), j, res, lj->threshold, lj->dedupe,
	                   write_progress, lj, &last);
	if (last)
		job_run_set_final(lj->run, &last->final, lkr_batch_free, last);
	md_logf(MD_LOG_INFO, "linkage run %s: %zu result rows written in %lld ms (rc %d)", j->id,
	        res->nrows, (long long)(md_mono_ms() - t0), rc);
	if (rc == MD_ECONFLICT || rc == MD_ECANCELED)
		return rc; /* the lease is gone (another attempt owns the run) or canceled */
	if (rc == MD_ENOMEM || rc == MD_ELIMIT) {
		job_run_set_error(lj->run, "internal_error", "out of memory writing the results",
		                  false);
		return rc;
	}
	if (rc) {
		job_run_set_error(lj->run, "store_unavailable", "the results could not be written",
		                  true);
		return rc;
	}
	const struct lk_table *ref = lj->dedupe ? &lj->input : &lj->ref;
	json_t *out = json_pack(
	    "{s:I,s:I,s:o,s:o,s:o,s:f,s:o,s:o}", "rows_processed", (json_int_t)res->nrows,
	    "rows_matched", (json_int_t)res->rows_matched, "avg_confidence",
	    res->rows_matched ? json_real(res->avg_confidence) : json_null(), "input_columns",
	    table_columns(&lj->input), "reference_columns", table_columns(ref), "seconds", seconds,
	    "model", model_json(lj, res), "render", render_json(lj, res));
	char *text = out ? json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(10)) : NULL;
	json_decref(out);
	rc = text ? job_run_set_result(lj->run, text) : MD_ENOMEM;
	free(text);
	return rc;
}

static int load_tables(struct lk_job *lj)
{
	const char *ref_id = json_string_value(json_object_get(lj->in, "reference_dataset_id"));
	const char *in_id = json_string_value(json_object_get(lj->in, "input_dataset_id"));
	const json_t *rows = json_object_get(lj->in, "rows");
	int rc = 0;
	if (rows && !json_is_null(rows)) {
		rc = lkr_rows_table(rows, json_object_get(lj->in, "input_columns"), &lj->input);
		if (rc)
			job_run_set_error(lj->run, "validation_error", "the rows could not be read",
			                  false);
	} else {
		rc = load_table(lj, in_id ? in_id : ref_id, &lj->input, lj->in_ds);
	}
	if (!rc && !lj->dedupe)
		rc = load_table(lj, ref_id, &lj->ref, lj->ref_ds);
	return rc;
}

/*
 * Parses a run's input (its job's input JSON), loads its tables and builds the engine's
 * configuration; a failure has set the job's error.
 */
static int prepare_run(struct lk_job *lj, const char *input)
{
	lj->in = json_loads(input, 0, NULL);
	lj->cfg = json_object_get(lj->in, "config");
	if (!lj->cfg) {
		job_run_set_error(lj->run, "validation_error", "the run input is unreadable",
		                  false);
		return MD_EINVAL;
	}
	lj->smart = json_is_true(json_object_get(lj->in, "smart"));
	lj->dedupe = !strcmp(json_string_value(json_object_get(lj->cfg, "mode")), "dedupe");
	lj->strategy = lk_strategy_find(json_string_value(json_object_get(lj->in, "strategy_id")));
	if (!lj->strategy)
		lj->strategy = lk_strategy_find("auto");
	int rc = job_run_progress(lj->run, "loading", 0.01);
	if (!rc)
		rc = load_tables(lj);
	if (!rc && !build_config(lj))
		rc = MD_EINVAL;
	return rc;
}

/*
 * The engine's options: every core (MATCHD_LINKAGE_THREADS caps it, e.g. for a node that
 * shares its machine), and one seed, so a run's result never depends on chance.
 */
static struct lk_opts engine_opts(struct lk_job *lj, const struct lk_share *share)
{
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	int cap = the_app ? the_app->cfg.linkage_threads : 0;
	if (cap > 0 && cap < cores)
		cores = cap;
	return (struct lk_opts){ .threads = cores > 0 ? (int)cores : 1,
		                 .smart = lj->smart,
		                 .seed = 42,
		                 .max_candidates = 3,
		                 .progress = lk_progress,
		                 .progress_ctx = lj,
		                 .share = share };
}

static void lk_job_release(struct lk_job *lj)
{
	lk_table_release(&lj->ref);
	lk_table_release(&lj->input);
	json_decref(lj->in);
}

/* Sharing as configured at start-up; without an app (no node) a run stays alone. */
static struct lks_opts share_opts(void)
{
	struct lks_opts o;
	lks_opts_defaults(&o);
	o.enabled = false;
	return the_app ? the_app->cfg.lk_share : o;
}

static int linkage_run(struct job_run *r)
{
	const struct store_job *j = job_run_job(r);
	struct lk_job lj = { .run = r };
	lk_table_init(&lj.ref);
	lk_table_init(&lj.input);
	struct lk_result res;
	memset(&res, 0, sizeof res);
	int64_t t0 = md_mono_ms();
	struct lks_opts so = share_opts();
	struct lks share;
	lks_init(&share, r, &so, true, j->id, j->workspace_id);
	json_t *in = so.enabled ? json_loads(j->input, 0, NULL) : NULL;
	if (json_integer_value(json_object_get(in, "input_rows")) >= so.early_rows)
		lks_early(&share);
	json_decref(in);
	int rc = prepare_run(&lj, j->input);
	if (rc)
		goto out;
	struct lk_opts opts = engine_opts(&lj, so.enabled ? &share.sh : NULL);
	char err[256] = "";
	rc = lk_run(&lj.lc, &lj.input, lj.dedupe ? NULL : &lj.ref, &opts, &res, err, sizeof err);
	/* The helpers stop now: they have nothing left to do for this attempt. */
	lks_release(&share);
	if (rc == MD_ECANCELED) {
		rc = lj.progress_rc ? lj.progress_rc : MD_ECANCELED;
		goto out;
	}
	if (rc == MD_EUNAVAIL || rc == MD_EIO) {
		/* The database went away while the run shared its work, or a part was unreadable. */
		job_run_set_error(r, rc == MD_EUNAVAIL ? "store_unavailable" : "engine_failed",
		                  err[0] ? err : md_strerror(rc), true);
		goto out;
	}
	if (rc) {
		job_run_set_error(
		    r, rc == MD_EINVAL || rc == MD_ELIMIT ? "validation_error" : "engine_failed",
		    err[0] ? err : md_strerror(rc), false);
		goto out;
	}
	rc = finish_run(&lj, &res, (double)(md_mono_ms() - t0) / 1000.0);
out:
	lks_release(&share);
	lk_result_release(&res);
	lk_job_release(&lj);
	return rc;
}

/*
 * A helper of a shared run (kind "_linkage_help", on another node than the run's): loads the
 * run's tables and computes the units it can claim. It ends successfully whatever the run
 * does; its result says how many units it computed.
 */
static int linkage_help_run(struct job_run *r)
{
	const struct store_job *j = job_run_job(r);
	struct lk_job lj = { .run = r };
	lk_table_init(&lj.ref);
	lk_table_init(&lj.input);
	json_t *hin = json_loads(j->input, 0, NULL);
	const char *run_id = json_string_value(json_object_get(hin, "run_id"));
	struct store_job run;
	memset(&run, 0, sizeof run);
	int rc =
	    run_id ? store_job_get(job_run_store(r), j->workspace_id, run_id, &run) : MD_EINVAL;
	struct lks_opts so = share_opts();
	struct lks share;
	lks_init(&share, r, &so, false, run_id ? run_id : "", j->workspace_id);
	char err[256] = "";
	if (rc == 0 && !store_job_is_terminal(&run) && !strcmp(run.kind, "linkage"))
		rc = prepare_run(&lj, run.input);
	else
		rc = rc == MD_EUNAVAIL ? rc : 1; /* nothing to help */
	if (rc == 0) {
		struct lk_opts opts = engine_opts(&lj, &share.sh);
		rc = lk_help(&lj.lc, &lj.input, lj.dedupe ? NULL : &lj.ref, &opts, err, sizeof err);
	}
	if (rc == MD_ECANCELED || rc == MD_ECONFLICT) {
		/* Canceled, or the lease of this helper job itself was lost. */
		rc = lj.progress_rc ? lj.progress_rc : rc;
		if (rc != MD_ECONFLICT || lj.progress_rc)
			goto out;
	}
	if (rc < 0) {
		md_logf(MD_LOG_WARN, "linkage helper %s of run %s: %s", j->id,
		        run_id ? run_id : "?", err[0] ? err : md_strerror(rc));
		job_run_set_error(r, "helper_failed", err[0] ? err : md_strerror(rc),
		                  rc == MD_EUNAVAIL);
		goto out;
	}
	char result[160];
	snprintf(result, sizeof result, "{\"run_id\":\"%s\",\"units\":%lld}", run_id ? run_id : "",
	         (long long)share.units_claimed);
	rc = job_run_set_result(r, result);
out:
	lks_release(&share);
	store_job_release(&run);
	json_decref(hin);
	lk_job_release(&lj);
	return rc;
}

int api_linkage_register_runner(void)
{
	int rc = worker_register("linkage", linkage_run, NULL);
	return rc ? rc : worker_register(LKS_KIND, linkage_help_run, NULL);
}
