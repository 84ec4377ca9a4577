/*
 * cv.c: the CV deep-match family (seed 003): POST /api/v1/cvdeepmatch/submit (multipart),
 * GET /api/v1/cvdeepmatch/:id, and the job runner that feeds the PDF through the sandbox and
 * the cv engine.
 */
#include <netdb.h>
#include <openssl/evp.h>

#include "api/api.h"
#include "api/contracts.h"
#include "api/cv_json.h"
#include "api/taxonomy_loader.h"
#include "base/common.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "jobs/sandbox.h"
#include "platform/ssrf.h"

#define JD_MAX_BYTES 100000
#define REQ_MAX_BYTES 65536
#define IDEM_KEY_MAX 255
/*
 * How long an in-flight marker blocks its key. The marker is set after the body is read, so a
 * live request holds it for milliseconds; a marker whose request died (or whose release failed
 * because the database went away) frees the key after this.
 */
#define IDEM_INFLIGHT_MS 15000

static const struct api_route cv_route = { PERM_CVDEEPMATCH };

/* ---- validation of the form ---- */

/* Collects field errors so one response names every offending field. */
struct field_errors {
	json_t *fields;
};

static void field_error(struct field_errors *fe, const char *field, const char *msg)
{
	if (!fe->fields)
		fe->fields = json_array();
	json_array_append_new(fe->fields, json_pack("{s:s,s:s}", "field", field, "message", msg));
}

static bool valid_utf8(const char *s, size_t n)
{
	json_t *t = json_stringn(s, n);
	bool ok = t != NULL;
	json_decref(t);
	return ok;
}

static bool ends_with_ci(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && strcasecmp(s + n - m, suffix) == 0;
}

/* The MIME gate: a PDF by name, and by declared type when the client declared one. */
static void check_cv_part(const struct http_part *p, struct field_errors *fe, bool *bad_content)
{
	if (!p->has_filename) {
		field_error(fe, "cv_file", "must be a file upload (a PDF)");
		return;
	}
	if (!valid_utf8(p->filename, strlen(p->filename))) {
		field_error(fe, "cv_file", "the file name must be UTF-8");
		return;
	}
	const char *ct = p->content_type;
	bool type_ok = !ct[0] || !strncasecmp(ct, "application/pdf", 15) ||
	               !strncasecmp(ct, "application/octet-stream", 24);
	if (!ends_with_ci(p->filename, ".pdf") || !type_ok) {
		field_error(fe, "cv_file",
		            "only PDF is accepted (application/pdf with a .pdf extension); DOCX "
		            "and other formats are not supported");
		return;
	}
	if (p->data.len == 0) {
		field_error(fe, "cv_file", "the file is empty");
		return;
	}
	if (p->data.len > the_app->cfg.cv_max_file) {
		field_error(fe, "cv_file", "the file is larger than 5 MB");
		return;
	}
	if (p->data.len < 5 || memcmp(p->data.data, "%PDF-", 5) != 0)
		*bad_content = true;
}

static const char *const known_fields[] = { "cv_file", "job_description", "requirements",
	                                    "webhook_url", "idempotency_key" };

static void check_fields_known(struct http_request *req, struct field_errors *fe)
{
	for (size_t i = 0; i < req->nparts; i++) {
		bool known = false;
		for (size_t k = 0; k < ARRAY_SIZE(known_fields); k++)
			known |= !strcmp(req->parts[i].name, known_fields[k]);
		if (!known)
			field_error(fe, req->parts[i].name[0] ? req->parts[i].name : "(unnamed)",
			            "unknown field");
		for (size_t j = 0; j < i && known; j++)
			if (!strcmp(req->parts[i].name, req->parts[j].name)) {
				field_error(fe, req->parts[i].name, "field given more than once");
				break;
			}
	}
}

/* Text fields must be UTF-8 and within their caps. */
static const char *text_field(struct http_request *req, const char *name, size_t max, bool required,
                              struct field_errors *fe)
{
	const struct http_part *p = http_part(req, name);
	if (!p) {
		if (required)
			field_error(fe, name, "is required");
		return NULL;
	}
	const char *s = p->data.data ? p->data.data : "";
	if (!valid_utf8(s, p->data.len) || strlen(s) != p->data.len) {
		field_error(fe, name, "must be UTF-8 text");
		return NULL;
	}
	if (p->data.len > max) {
		char msg[96];
		snprintf(msg, sizeof msg, "must be at most %zu bytes", max);
		field_error(fe, name, msg);
		return NULL;
	}
	if (required && slice_trim(slice_from(s)).len == 0) {
		field_error(fe, name, "must not be empty");
		return NULL;
	}
	return s;
}

/* Parses and validates the requirements JSON; errors name requirements/<pointer>. */
static json_t *parse_requirements(const char *text, struct field_errors *fe)
{
	json_error_t jerr;
	json_t *v = json_loads(text, JSON_REJECT_DUPLICATES, &jerr);
	if (!v) {
		char msg[256];
		snprintf(msg, sizeof msg, "invalid JSON at line %d column %d: %s", jerr.line,
		         jerr.column, jerr.text);
		field_error(fe, "requirements", msg);
		return NULL;
	}
	struct jsonschema_errors errs;
	int rc = contracts_validate("cvdeepmatch.requirements.json", v, &errs);
	if (rc == 0) {
		struct cv_requirements r;
		char ptr[256] = "", msg[256] = "";
		cv_requirements_init(&r);
		rc = cv_requirements_from_json(v, &r, ptr, sizeof ptr, msg, sizeof msg);
		cv_requirements_release(&r);
		if (rc == 0)
			return v;
		char field[300];
		snprintf(field, sizeof field, "requirements%s", ptr);
		field_error(fe, field, msg[0] ? msg : "invalid value");
	} else if (rc == 1) {
		for (size_t i = 0; i < errs.count; i++) {
			char field[300];
			snprintf(field, sizeof field, "requirements%s", errs.items[i].pointer);
			field_error(fe, field, errs.items[i].message);
		}
	} else {
		field_error(fe, "requirements", "could not be validated");
	}
	json_decref(v);
	return NULL;
}

/* ---- webhook URL: the resolver records why a lookup failed, for the 502 case ---- */

struct dns_ctx {
	int gai_rc;
};

static int dns_resolve(void *ctx, const char *host, const char *port, struct addrinfo **out)
{
	struct dns_ctx *d = ctx;
	const char *fault = getenv("MATCHD_TEST_DNS_FAIL");
	if (fault && !strcmp(fault, "1")) {
		d->gai_rc = EAI_AGAIN;
		return EAI_AGAIN;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
	d->gai_rc = getaddrinfo(host, port, &hints, out);
	return d->gai_rc;
}

static void dns_free(void *ctx, struct addrinfo *ai)
{
	freeaddrinfo(ai);
}

/* Returns the error kind for the URL, or -1 when it is fine. */
static int check_webhook(const char *url, char *why, size_t cap)
{
	struct dns_ctx d = { 0 };
	struct ssrf_resolver res = { dns_resolve, dns_free, &d };
	int rc = ssrf_check_url(url, &res, the_app->cfg.webhook_allow_private, why, cap);
	switch (rc) {
	case 0: return -1;
	case SSRF_INSECURE: return E_INSECURE_URL;
	case SSRF_PRIVATE: return E_PRIVATE_URL;
	case SSRF_UNRESOLVABLE:
		if (d.gai_rc == EAI_AGAIN || d.gai_rc == EAI_FAIL || d.gai_rc == EAI_SYSTEM) {
			snprintf(why, cap,
			         "the DNS resolver did not answer for the webhook_url "
			         "host; retry later with the same idempotency_key");
			return E_BAD_GATEWAY;
		}
		return E_VALIDATION;
	default: return E_VALIDATION;
	}
}

/* ---- idempotency ---- */

/*
 * The fingerprint covers what the request asks for, not how it was encoded: method, path and
 * each field's name, file name and a hash of its bytes, in name order. Multipart boundaries
 * differ between two sends of the same request, so hashing the raw body would not do.
 */
static void fingerprint(struct http_request *req, char hex[65])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	EVP_DigestInit_ex(c, EVP_sha256(), NULL);
	EVP_DigestUpdate(c, "POST /api/v1/cvdeepmatch/submit\n", 32);
	for (size_t k = 0; k < ARRAY_SIZE(known_fields); k++) {
		const struct http_part *p = http_part(req, known_fields[k]);
		if (!p || !strcmp(known_fields[k], "idempotency_key"))
			continue;
		unsigned char md[32];
		unsigned int n;
		EVP_Digest(p->data.data ? p->data.data : "", p->data.len, md, &n, EVP_sha256(),
		           NULL);
		EVP_DigestUpdate(c, p->name, strlen(p->name) + 1);
		EVP_DigestUpdate(c, p->filename, strlen(p->filename) + 1);
		EVP_DigestUpdate(c, md, sizeof md);
	}
	unsigned char md[32];
	unsigned int n;
	EVP_DigestFinal_ex(c, md, &n);
	EVP_MD_CTX_free(c);
	static const char digits[] = "0123456789abcdef";
	for (int i = 0; i < 32; i++) {
		hex[2 * i] = digits[md[i] >> 4];
		hex[2 * i + 1] = digits[md[i] & 15];
	}
	hex[64] = '\0';
}

static const char *idempotency_key(struct http_request *req, struct field_errors *fe)
{
	const char *k = text_field(req, "idempotency_key", IDEM_KEY_MAX, false, fe);
	const char *h = http_header(req, "Idempotency-Key");
	if (!k && h) {
		if (!*h || strlen(h) > IDEM_KEY_MAX) {
			field_error(fe, "Idempotency-Key", "must be 1 to 255 characters");
			return NULL;
		}
		k = h;
	}
	if (k && !*k) {
		field_error(fe, "idempotency_key", "must not be empty");
		return NULL;
	}
	return k;
}

/* ---- responses ---- */

static json_t *submit_json(const char *id, const char *status, int64_t created, bool replay)
{
	char status_url[96], job_url[96], events_url[110];
	snprintf(status_url, sizeof status_url, "/api/v1/cvdeepmatch/%s", id);
	snprintf(job_url, sizeof job_url, "/v1/jobs/%s", id);
	snprintf(events_url, sizeof events_url, "/v1/jobs/%s/events", id);
	return json_pack("{s:s,s:s,s:o,s:b,s:s,s:s,s:s}", "id", id, "status", status, "created_at",
	                 api_ts(created), "idempotent_replay", replay, "status_url", status_url,
	                 "job_url", job_url, "events_url", events_url);
}

static void replay(struct http_request *req, struct http_response *resp, const char *ws,
                   const char *id)
{
	struct store_job j;
	if (store_job_get(the_app->st, ws, id, &j)) {
		api_error(req, resp, E_UNAVAILABLE, "the database is unavailable; retry", NULL,
		          NULL);
		return;
	}
	(void)http_response_header(resp, "Idempotent-Replayed", "true");
	api_json(resp, 200, submit_json(j.id, j.status, j.created_at, true));
	store_job_release(&j);
}

/* ---- submit ---- */

struct submission {
	const struct http_part *cv;
	const char *jd;
	json_t *requirements;
	const char *webhook;
	const char *idem;
};

/* Validates the whole form; on failure the error response is written and false returned. */
static bool validate_submit(struct http_request *req, struct http_response *resp,
                            struct submission *s)
{
	struct field_errors fe = { NULL };
	bool bad_content = false;
	if (!req->is_multipart) {
		api_error(req, resp, E_VALIDATION, "the body must be multipart/form-data",
		          "Content-Type", NULL);
		return false;
	}
	check_fields_known(req, &fe);
	s->cv = http_part(req, "cv_file");
	if (!s->cv)
		field_error(&fe, "cv_file", "is required");
	else
		check_cv_part(s->cv, &fe, &bad_content);
	s->jd = text_field(req, "job_description", JD_MAX_BYTES, true, &fe);
	const char *rq = text_field(req, "requirements", REQ_MAX_BYTES, false, &fe);
	if (rq)
		s->requirements = parse_requirements(rq, &fe);
	s->webhook = text_field(req, "webhook_url", 2048, false, &fe);
	s->idem = idempotency_key(req, &fe);
	if (fe.fields) {
		const char *first =
		    json_string_value(json_object_get(json_array_get(fe.fields, 0), "field"));
		char msg[320];
		snprintf(
		    msg, sizeof msg, "invalid input: %s %s", first,
		    json_string_value(json_object_get(json_array_get(fe.fields, 0), "message")));
		api_error(req, resp, E_VALIDATION, msg, NULL,
		          json_pack("{s:o}", "fields", fe.fields));
		json_decref(s->requirements);
		return false;
	}
	if (bad_content) {
		api_error(req, resp, E_INVALID_FILE,
		          "cv_file does not start with a PDF header (%PDF-)", "cv_file", NULL);
		json_decref(s->requirements);
		return false;
	}
	if (s->webhook) {
		char why[256] = "";
		int e = check_webhook(s->webhook, why, sizeof why);
		if (e >= 0) {
			api_error(req, resp, (enum api_err)e, why[0] ? why : "invalid webhook_url",
			          "webhook_url", NULL);
			json_decref(s->requirements);
			return false;
		}
	}
	return true;
}

static char *job_input(const struct submission *s)
{
	char today[MD_TS_LEN];
	md_format_ts(md_now_ms(), today);
	today[10] = '\0';
	json_t *in = json_pack("{s:s,s:s,s:s,s:O?,s:s}", "blob", "$BLOB", "filename",
	                       s->cv->filename, "job_description", s->jd, "requirements",
	                       s->requirements, "submitted_on", today);
	char *text = in ? json_dumps(in, JSON_COMPACT) : NULL;
	json_decref(in);
	char *out = text ? md_strdup(text) : NULL;
	free(text);
	return out;
}

static void submit(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	struct submission s = { 0 };
	if (!validate_submit(req, resp, &s))
		return;
	struct store *st = the_app->st;
	int64_t now = md_now_ms();
	bool idem_open = false;
	if (s.idem) {
		char fp[65], rid[MD_UUID_LEN];
		enum store_idem_state state;
		fingerprint(req, fp);
		int rc = store_idem_begin(st, key.workspace_id, s.idem, fp, now,
		                          the_app->cfg.idem_ttl_ms, IDEM_INFLIGHT_MS, &state, rid);
		if (rc) {
			api_error(
			    req, resp, E_UNAVAILABLE,
			    "the database is unavailable; retry with the same idempotency_key",
			    NULL, NULL);
			goto out;
		}
		if (state == STORE_IDEM_REPLAY) {
			replay(req, resp, key.workspace_id, rid);
			goto out;
		}
		if (state == STORE_IDEM_MISMATCH || state == STORE_IDEM_IN_FLIGHT) {
			bool mismatch = state == STORE_IDEM_MISMATCH;
			api_error(req, resp, mismatch ? E_IDEM_MISMATCH : E_IDEM_IN_FLIGHT,
			          mismatch ? "this idempotency_key was used with a different "
			                     "request in the last 24 h"
			                   : "a request with this idempotency_key is still being "
			                     "accepted; retry shortly",
			          "idempotency_key", NULL);
			goto out;
		}
		idem_open = true;
	}
	int64_t balance = 0;
	if (store_credits_balance(st, key.workspace_id, &balance) == 0 &&
	    balance < the_app->cfg.cv_price) {
		char msg[160];
		snprintf(msg, sizeof msg, "insufficient credits: balance %lld, a match costs %lld",
		         (long long)balance, (long long)the_app->cfg.cv_price);
		api_error(req, resp, E_CREDITS, msg, NULL,
		          json_pack("{s:I,s:I}", "balance", (json_int_t)balance, "price",
		                    (json_int_t)the_app->cfg.cv_price));
		goto out;
	}
	char *input = job_input(&s);
	char id[MD_UUID_LEN], blob[MD_UUID_LEN];
	struct store_job_new jn = { .workspace_id = key.workspace_id,
		                    .kind = "cvdeepmatch",
		                    .input_json = input,
		                    .webhook_url = s.webhook,
		                    .price = the_app->cfg.cv_price,
		                    .max_attempts = the_app->cfg.max_attempts,
		                    .blob = s.cv->data.data,
		                    .blob_len = s.cv->data.len,
		                    .blob_type = "application/pdf",
		                    .idem_key = s.idem };
	int rc = input ? store_job_submit(st, &jn, now, id, blob) : MD_ENOMEM;
	md_free(input);
	if (rc) {
		md_logf(MD_LOG_ERROR, "submit failed: %s", md_strerror(rc));
		api_error(req, resp, E_ENQUEUE,
		          "the matching pipeline failed to start; retry with the same "
		          "idempotency_key",
		          NULL, NULL);
		goto out;
	}
	idem_open = false;
	char loc[96];
	snprintf(loc, sizeof loc, "/api/v1/cvdeepmatch/%s", id);
	(void)http_response_header(resp, "Location", loc);
	api_json(resp, 202, submit_json(id, "queued", now, false));
out:
	if (idem_open && store_idem_abort(st, key.workspace_id, s.idem))
		md_logf(MD_LOG_WARN, "idempotency key of a failed submit not released");
	json_decref(s.requirements);
}

/* ---- status ---- */

static void get_match(struct http_request *req, struct http_response *resp)
{
	struct store_key key;
	if (!api_auth(req, resp, &key))
		return;
	char id[MD_UUID_LEN] = "";
	struct store_job j;
	int rc = MD_ENOTFOUND;
	if (api_param(req, "id", id, sizeof id) && md_uuid_valid(id))
		rc = store_job_get(the_app->st, key.workspace_id, id, &j);
	if (rc == 0 && strcmp(j.kind, "cvdeepmatch") != 0) {
		store_job_release(&j);
		rc = MD_ENOTFOUND;
	}
	if (rc == MD_ENOTFOUND) {
		api_error(req, resp, E_NOT_FOUND, "no CV match with this id in your workspace",
		          NULL, NULL);
		return;
	}
	if (rc) {
		(void)http_response_header(resp, "Retry-After", "1");
		api_error(req, resp, E_UNAVAILABLE, "the database is unavailable; retry", NULL,
		          NULL);
		return;
	}
	json_t *result = j.result ? json_loads(j.result, 0, NULL) : NULL;
	json_t *error =
	    j.error && !strcmp(j.status, "failed") ? json_loads(j.error, 0, NULL) : NULL;
	api_json(resp, 200,
	         json_pack("{s:s,s:s,s:s,s:f,s:o,s:o,s:o,s:o,s:o}", "id", j.id, "status", j.status,
	                   "stage", j.stage, "progress", j.progress, "created_at",
	                   api_ts(j.created_at), "updated_at", api_ts(j.updated_at), "completed_at",
	                   api_ts(j.finished_at), "result", result ? result : json_null(), "error",
	                   error ? error : json_null()));
	store_job_release(&j);
}

int api_cv_routes(struct http_server *s)
{
	struct http_route_opts sub = { .ctx = (void *)&cv_route,
		                       .body_limit = the_app->cfg.cv_body_limit,
		                       .multipart = true,
		                       /* One byte over 5 MB is enough to say "too large". */
		                       .part_limit = the_app->cfg.cv_max_file + 1 };
	struct http_route_opts get = { .ctx = (void *)&cv_route };
	int rc = http_server_route(s, "POST", "/api/v1/cvdeepmatch/submit", submit, &sub);
	return rc ? rc : http_server_route(s, "GET", "/api/v1/cvdeepmatch/:id", get_match, &get);
}

/* ---- the job runner ---- */

struct run_progress {
	struct job_run *run;
};

/* Maps the engine's fractions into the analysing/scoring half of the job's progress. */
static int engine_progress(void *ctx, const char *stage, double fraction)
{
	struct run_progress *p = ctx;
	const char *s = stage && !strcmp(stage, "scoring") ? "scoring" : "analysing";
	return job_run_progress(p->run, s, 0.4 + 0.55 * fraction) ? 1 : 0;
}

static int as_of_days(const json_t *in, const struct cv_requirements *req, int64_t *days)
{
	if (req->has_as_of) {
		*days = req->as_of;
		return 0;
	}
	const char *sub = json_string_value(json_object_get(in, "submitted_on"));
	return sub ? md_parse_date(sub, days) : MD_EINVAL;
}

static int run_engine(struct job_run *r, const json_t *in, struct cv_pages *pages)
{
	struct cv_requirements req;
	cv_requirements_init(&req);
	char ptr[256], msg[256];
	const json_t *rj = json_object_get(in, "requirements");
	int rc = rj && !json_is_null(rj)
	             ? cv_requirements_from_json(rj, &req, ptr, sizeof ptr, msg, sizeof msg)
	             : 0;
	int64_t as_of = 0;
	if (rc || as_of_days(in, &req, &as_of)) {
		job_run_set_error(r, "INVALID_INPUT", "the stored requirements are invalid", false);
		cv_requirements_release(&req);
		return MD_EINVAL;
	}
	struct run_progress p = { r };
	struct cv_input ci = { .pages = (const char *const *)pages->text,
		               .n_pages = pages->n,
		               .job_description =
		                   json_string_value(json_object_get(in, "job_description")),
		               .req = &req,
		               .as_of = as_of,
		               .progress = engine_progress,
		               .progress_ctx = &p,
		               .taxonomy = api_cv_taxonomy() };
	struct cv_result res;
	memset(&res, 0, sizeof res);
	rc = cv_match(&ci, &res);
	if (rc == 0) {
		json_t *out = cv_result_to_json(&res);
		/* What extraction could not read, repaired or read by OCR joins the result. */
		if (out && cv_json_add_extraction(out, pages)) {
			json_decref(out);
			out = NULL;
		}
		char *text = out ? json_dumps(out, JSON_COMPACT | JSON_REAL_PRECISION(6)) : NULL;
		rc = text ? job_run_set_result(r, text) : MD_ENOMEM;
		free(text);
		json_decref(out);
	} else if (rc != MD_ECANCELED && rc != MD_ECONFLICT) {
		job_run_set_error(r, "ENGINE_FAILED", md_strerror(rc), rc == MD_ENOMEM);
	}
	cv_result_release(&res);
	cv_requirements_release(&req);
	return rc;
}

static void sandbox_limits_from_config(struct sandbox_limits *lim)
{
	sandbox_limits_default(lim);
	lim->cpu_seconds = (unsigned)the_app->cfg.sandbox_cpu_s;
	lim->wall_seconds = (unsigned)the_app->cfg.sandbox_wall_s;
	lim->mem_bytes = (size_t)the_app->cfg.sandbox_mem_mb << 20;
}

static int cv_run(struct job_run *r)
{
	const struct store_job *j = job_run_job(r);
	json_t *in = json_loads(j->input, 0, NULL);
	const char *blob_id = json_string_value(json_object_get(in, "blob"));
	void *pdf = NULL;
	size_t len = 0;
	struct cv_pages pages;
	cv_pages_init(&pages);
	int rc = job_run_progress(r, "extracting_text", 0.05);
	if (rc)
		goto out;
	if (!in || !blob_id) {
		job_run_set_error(r, "INVALID_INPUT", "the job input is unreadable", false);
		rc = MD_EINVAL;
		goto out;
	}
	if ((rc = store_blob_get(job_run_store(r), j->workspace_id, blob_id, &pdf, &len))) {
		job_run_set_error(r, "STORE_UNAVAILABLE", "the uploaded CV could not be read",
		                  true);
		goto out;
	}
	struct sandbox_limits lim;
	sandbox_limits_from_config(&lim);
	char err[512] = "";
	rc = sandbox_extract_pdf(the_app->cfg.self_exe, pdf, len, &lim, &pages, err, sizeof err);
	if (rc) {
		/* A PDF that breaks a limit breaks it every time: retrying would not help. */
		job_run_set_error(r, "PDF_EXTRACTION_FAILED", err[0] ? err : md_strerror(rc),
		                  rc == MD_EIO || rc == MD_ENOMEM);
		goto out;
	}
	if ((rc = job_run_progress(r, "analysing", 0.4)))
		goto out;
	rc = run_engine(r, in, &pages);
	if (!rc)
		rc = job_run_progress(r, "scoring", 0.98);
out:
	cv_pages_release(&pages);
	md_free(pdf);
	json_decref(in);
	return rc;
}

int api_register_runners(void)
{
	return worker_register("cvdeepmatch", cv_run, NULL);
}
