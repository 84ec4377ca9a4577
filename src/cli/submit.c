/*
 * submit.c: `matchd submit cv`, the human client of the CV deep-match API. It is just another
 * HTTP client (curl's lesson: the CLI knows nothing of the server's internals): it uploads the
 * CV with libcurl, follows GET /v1/jobs/:id/events, then reads GET /api/v1/cvdeepmatch/:id.
 *
 * Exit codes: 0 the job succeeded, 1 the job failed or was canceled, 2 usage error (bad flag,
 * unreadable file), 3 HTTP error (no connection, or a non-2xx answer whose error envelope is
 * printed).
 */
#include "cli/submit.h"

#include <curl/curl.h>
#include <errno.h>
#include <jansson.h>
#include <unistd.h>

#include "base/common.h"
#include "cli/admin.h"

#define EXIT_JOB_FAILED 1
#define EXIT_USAGE 2
#define EXIT_HTTP 3

#define URL_MAX 2048
#define JD_FILE_MAX (1u << 20)   /* the server takes 100 kB; let it say so in its envelope */
#define REQ_FILE_MAX (1u << 20)  /* likewise for the requirements JSON */
#define BODY_MAX (16u << 20)     /* a result with every evidence quote stays far below */
#define SSE_LINE_MAX (64u << 10) /* one "data:" line of a job event is ~150 bytes */
#define SSE_RECONNECTS 5         /* a dropped stream resumes with Last-Event-ID */
#define BAR_WIDTH 20

struct submit_opts {
	const char *file, *jd, *requirements, *webhook, *idem, *key;
	char server[URL_MAX];
	bool json;
};

/* ---- small helpers ---- */

static void usage(void)
{
	fprintf(stderr,
	        "usage: matchd submit cv --file CV.pdf --jd JD.txt [--requirements REQ.json]\n"
	        "                        [--webhook URL] [--server URL] [--key KEY] [--json]\n"
	        "                        [--idempotency-key K]\n"
	        "The server defaults to MATCHD_SERVER, else http://127.0.0.1:8080; the key to\n"
	        "MATCHD_API_KEY.\n");
}

/* Reads a whole file into b (limit set by the caller). Returns 0, or prints why and fails. */
static int read_file(const char *path, const char *what, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "matchd submit: cannot open %s '%s': %s\n", what, path,
		        strerror(errno));
		return -1;
	}
	char chunk[16384];
	size_t n;
	int rc = 0;
	while (!rc && (n = fread(chunk, 1, sizeof chunk, f)) > 0)
		rc = buf_append(b, chunk, n);
	if (!rc && ferror(f))
		rc = MD_EIO;
	fclose(f);
	if (rc)
		fprintf(stderr, "matchd submit: cannot read %s '%s': %s\n", what, path,
		        rc == MD_ELIMIT ? "file too large" : md_strerror(rc));
	return rc;
}

/* Copies n bytes of s into dst, cut to fit: for labels that are only displayed or compared. */
static void set_str(char *dst, size_t cap, const char *s, size_t n)
{
	n = MD_MIN(n, cap - 1);
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* libcurl write callback into a capped struct buf; a refusal makes curl stop the transfer. */
static size_t collect(char *p, size_t size, size_t n, void *ctx)
{
	return buf_append(ctx, p, size * n) ? 0 : size * n;
}

/*
 * Prints the server's error envelope {"error":{"code","message"}} of a non-2xx answer; when
 * the body is not an envelope (a proxy's HTML page, say) prints the status alone.
 */
static void print_http_error(long status, const struct buf *body)
{
	json_t *root = body->data ? json_loadb(body->data, body->len, 0, NULL) : NULL;
	json_t *err = json_object_get(root, "error");
	const char *code = json_string_value(json_object_get(err, "code"));
	const char *msg = json_string_value(json_object_get(err, "message"));
	if (code)
		fprintf(stderr, "matchd submit: HTTP %ld %s: %s\n", status, code, msg ? msg : "");
	else
		fprintf(stderr, "matchd submit: HTTP %ld from the server\n", status);
	json_t *fields = json_object_get(json_object_get(err, "details"), "fields");
	size_t i;
	json_t *f;
	json_array_foreach(fields, i, f)
	{
		fprintf(stderr, "  %s: %s\n", json_string_value(json_object_get(f, "field")),
		        json_string_value(json_object_get(f, "message")));
	}
	json_decref(root);
}

/* A handle with what every request shares: the key, timeouts, no signals (we are threadless). */
static CURL *new_handle(const struct submit_opts *o, struct curl_slist **headers)
{
	CURL *c = curl_easy_init();
	char auth[1024];
	if (!c || md_snprintf(auth, sizeof auth, "Authorization: Bearer %s", o->key))
		goto fail;
	*headers = curl_slist_append(NULL, auth);
	if (!*headers)
		goto fail;
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, *headers);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "matchd-cli/1");
	return c;
fail:
	curl_easy_cleanup(c);
	return NULL;
}

/*
 * Performs a prepared request into body. Returns the HTTP status, or 0 after printing why no
 * answer came.
 */
static long perform(CURL *c, const char *url, struct buf *body)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, body);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode rc = curl_easy_perform(c);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, NULL);
	if (rc != CURLE_OK) {
		fprintf(stderr, "matchd submit: %s: %s\n", url,
		        errbuf[0] ? errbuf : curl_easy_strerror(rc));
		return 0;
	}
	long status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

/* ---- options ---- */

/* Fills o from argv and the environment. Returns 0, or EXIT_USAGE after printing why. */
static int parse_opts(int argc, char **argv, struct submit_opts *o)
{
	static const char *const known[] = { "--file",         "--jd",
		                             "--requirements", "--webhook",
		                             "--server",       "--key",
		                             "--json",         "--idempotency-key" };
	for (int i = 2; i < argc; i++) {
		bool ok = false;
		for (size_t k = 0; k < ARRAY_SIZE(known) && !ok; k++) {
			size_t n = strlen(known[k]);
			ok = !strncmp(argv[i], known[k], n) && (!argv[i][n] || argv[i][n] == '=');
			if (ok && !argv[i][n] && strcmp(known[k], "--json"))
				i++; /* skip the flag's value */
		}
		if (!ok) {
			fprintf(stderr, "matchd submit: unknown argument '%s'\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	o->file = cli_flag(argc, argv, "--file");
	o->jd = cli_flag(argc, argv, "--jd");
	o->requirements = cli_flag(argc, argv, "--requirements");
	o->webhook = cli_flag(argc, argv, "--webhook");
	o->idem = cli_flag(argc, argv, "--idempotency-key");
	o->json = cli_has(argc, argv, "--json");
	o->key = cli_flag(argc, argv, "--key");
	if (!o->key)
		o->key = getenv("MATCHD_API_KEY");
	const char *server = cli_flag(argc, argv, "--server");
	if (!server)
		server = getenv("MATCHD_SERVER");
	if (!server || !*server)
		server = "http://127.0.0.1:8080";
	if (!o->file || !o->jd) {
		fprintf(stderr, "matchd submit: --file and --jd are required\n");
		return EXIT_USAGE;
	}
	if (!o->key || !*o->key) {
		fprintf(stderr, "matchd submit: no API key: pass --key or set MATCHD_API_KEY\n");
		return EXIT_USAGE;
	}
	/* A key with a line break would smuggle a second header into every request. */
	if (strpbrk(o->key, "\r\n") || md_snprintf(o->server, sizeof o->server, "%s", server)) {
		fprintf(stderr, "matchd submit: the key or the server URL is malformed\n");
		return EXIT_USAGE;
	}
	size_t n = strlen(o->server);
	while (n && o->server[n - 1] == '/')
		o->server[--n] = '\0';
	return 0;
}

/* ---- submit ---- */

/* Adds a text part (no filename) to the form. */
static int add_text_part(curl_mime *form, const char *name, const char *data, size_t len)
{
	curl_mimepart *p = curl_mime_addpart(form);
	if (!p || curl_mime_name(p, name) != CURLE_OK || curl_mime_data(p, data, len) != CURLE_OK)
		return MD_ENOMEM;
	return 0;
}

/* Builds the multipart form. Returns NULL after printing why (an unreadable file). */
static curl_mime *build_form(CURL *c, const struct submit_opts *o, struct buf *jd, struct buf *req)
{
	curl_mime *form = NULL;
	if (read_file(o->jd, "job description", jd) ||
	    (o->requirements && read_file(o->requirements, "requirements", req)))
		return NULL;
	if (o->requirements) {
		/* A local check turns a typo into a usage error instead of a round trip. */
		json_error_t e;
		json_t *j = json_loadb(req->data ? req->data : "", req->len, 0, &e);
		if (!j) {
			fprintf(stderr, "matchd submit: %s is not JSON: line %d: %s\n",
			        o->requirements, e.line, e.text);
			return NULL;
		}
		json_decref(j);
	}
	form = curl_mime_init(c);
	curl_mimepart *cv = form ? curl_mime_addpart(form) : NULL;
	if (!cv || curl_mime_name(cv, "cv_file") != CURLE_OK ||
	    curl_mime_filedata(cv, o->file) != CURLE_OK ||
	    curl_mime_type(cv, "application/pdf") != CURLE_OK ||
	    add_text_part(form, "job_description", jd->data ? jd->data : "", jd->len) ||
	    (o->requirements && add_text_part(form, "requirements", req->data, req->len)) ||
	    (o->webhook && add_text_part(form, "webhook_url", o->webhook, strlen(o->webhook))) ||
	    (o->idem && add_text_part(form, "idempotency_key", o->idem, strlen(o->idem)))) {
		fprintf(stderr, "matchd submit: cannot build the upload (out of memory)\n");
		curl_mime_free(form);
		return NULL;
	}
	return form;
}

/*
 * Uploads the CV and copies the job id into id. Returns 0, EXIT_USAGE (bad files) or EXIT_HTTP
 * (after printing the server's envelope).
 */
static int submit_cv(const struct submit_opts *o, char *id, size_t idcap)
{
	int ret = EXIT_HTTP;
	struct curl_slist *headers = NULL;
	struct buf jd, req, body;
	buf_init(&jd, JD_FILE_MAX);
	buf_init(&req, REQ_FILE_MAX);
	buf_init(&body, BODY_MAX);
	json_t *root = NULL;
	curl_mime *form = NULL;
	CURL *c = new_handle(o, &headers);
	if (!c)
		goto out;
	FILE *f = fopen(o->file, "rb");
	if (!f) {
		fprintf(stderr, "matchd submit: cannot open CV '%s': %s\n", o->file,
		        strerror(errno));
		ret = EXIT_USAGE;
		goto out;
	}
	fclose(f);
	form = build_form(c, o, &jd, &req);
	if (!form) {
		ret = EXIT_USAGE;
		goto out;
	}
	char url[URL_MAX];
	if (md_snprintf(url, sizeof url, "%s/api/v1/cvdeepmatch/submit", o->server))
		goto out;
	curl_easy_setopt(c, CURLOPT_MIMEPOST, form);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 120L);
	long status = perform(c, url, &body);
	if (!status)
		goto out;
	if (status != 200 && status != 202) {
		print_http_error(status, &body);
		goto out;
	}
	root = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
	const char *s = json_string_value(json_object_get(root, "id"));
	if (!s || strspn(s, "0123456789abcdef-") != strlen(s) || md_snprintf(id, idcap, "%s", s)) {
		fprintf(stderr, "matchd submit: the server's answer carries no job id\n");
		goto out;
	}
	if (json_is_true(json_object_get(root, "idempotent_replay")))
		fprintf(stderr, "matchd submit: idempotent replay of job %s\n", id);
	ret = 0;
out:
	json_decref(root);
	curl_mime_free(form);
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	buf_release(&jd);
	buf_release(&req);
	buf_release(&body);
	return ret;
}

/* ---- the event stream ---- */

/*
 * One SSE connection's parser state. Bytes arrive in arbitrary chunks, so a partial line waits
 * in `line` and a partial event's fields in `type`/`data` until the blank line that ends it.
 */
struct sse {
	CURL *c;
	bool tty;
	struct buf line, data;
	char type[64];
	char pending_id[32]; /* id of the event being read */
	char last_id[32];    /* of the last complete event: where a reconnect resumes */
	char stage[64];      /* last stage printed, so plain output says each stage once */
	char status[32];     /* the terminal status once seen */
	bool bar_drawn;
	bool too_long;
	long http_status;
	struct buf err_body; /* a non-200 answer, kept for its error envelope */
};

/* Draws `[#####-----] 42% analysing` over the previous bar, or a plain line per stage. */
static void show_progress(struct sse *s, const char *stage, double progress)
{
	if (progress < 0)
		progress = 0;
	if (progress > 1)
		progress = 1;
	if (s->tty) {
		char bar[BAR_WIDTH + 1];
		int filled = (int)(progress * BAR_WIDTH + 0.5);
		for (int i = 0; i < BAR_WIDTH; i++)
			bar[i] = i < filled ? '#' : '-';
		bar[BAR_WIDTH] = '\0';
		/* \033[K clears what a longer stage name left behind. */
		fprintf(stderr, "\r[%s] %3d%% %s\033[K", bar, (int)(progress * 100 + 0.5), stage);
		s->bar_drawn = true;
	} else if (strcmp(stage, s->stage)) {
		fprintf(stderr, "%s %d%%\n", stage, (int)(progress * 100 + 0.5));
	}
	fflush(stderr);
	set_str(s->stage, sizeof s->stage, stage, strlen(stage));
}

static bool terminal(const char *status)
{
	return !strcmp(status, "succeeded") || !strcmp(status, "failed") ||
	       !strcmp(status, "canceled");
}

/* A blank line ends an event: show it, and note a terminal status. */
static void dispatch_event(struct sse *s)
{
	json_t *d = s->data.len ? json_loadb(s->data.data, s->data.len, 0, NULL) : NULL;
	const char *stage = json_string_value(json_object_get(d, "stage"));
	const char *status = json_string_value(json_object_get(d, "status"));
	json_t *progress = json_object_get(d, "progress");
	if (stage)
		show_progress(s, stage, json_is_number(progress) ? json_number_value(progress) : 0);
	if (terminal(s->type))
		set_str(s->status, sizeof s->status, s->type, strlen(s->type));
	else if (status && terminal(status))
		set_str(s->status, sizeof s->status, status, strlen(status));
	json_decref(d);
	/* Only a dispatched event counts as seen; a half-read one is asked for again. */
	if (s->pending_id[0])
		memcpy(s->last_id, s->pending_id, sizeof s->last_id);
	s->type[0] = '\0';
	s->pending_id[0] = '\0';
	buf_reset(&s->data);
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

/* Handles one complete line (without its line break). Returns 0 or a buffer error. */
static int sse_line(struct sse *s, const char *line, size_t len)
{
	if (len && line[len - 1] == '\r')
		len--;
	if (len == 0) {
		if (s->type[0] || s->data.len)
			dispatch_event(s);
		return 0;
	}
	if (line[0] == ':')
		return 0; /* a comment: the server's heartbeat */
	const char *colon = memchr(line, ':', len);
	size_t nlen = colon ? (size_t)(colon - line) : len;
	const char *v = colon ? colon + 1 : line + len;
	size_t vlen = len - (size_t)(v - line);
	if (vlen && *v == ' ') {
		v++;
		vlen--;
	}
	struct slice name = { line, nlen };
	if (slice_eq(name, "event"))
		set_str(s->type, sizeof s->type, v, vlen);
	else if (slice_eq(name, "id") && vlen < sizeof s->pending_id && all_digits(v, vlen))
		set_str(s->pending_id, sizeof s->pending_id, v, vlen); /* resumes put it in a URL */
	else if (slice_eq(name, "data")) {
		/* Several data lines of one event join with a line break, as the spec says. */
		int rc = s->data.len ? buf_putc(&s->data, '\n') : 0;
		return rc ? rc : buf_append(&s->data, v, vlen);
	}
	return 0; /* "retry" and unknown fields do not concern us */
}

/* libcurl write callback of the stream: splits the chunk into lines, keeping the remainder. */
static size_t sse_write(char *p, size_t size, size_t n, void *ctx)
{
	struct sse *s = ctx;
	size_t total = size * n;
	if (!s->http_status)
		curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->http_status);
	if (s->http_status != 200)
		return buf_append(&s->err_body, p, total) ? 0 : total;
	const char *cur = p, *end = p + total;
	while (cur < end) {
		const char *nl = memchr(cur, '\n', (size_t)(end - cur));
		if (!nl) {
			if (buf_append(&s->line, cur, (size_t)(end - cur)))
				goto too_long;
			break;
		}
		int rc;
		if (s->line.len) {
			rc = buf_append(&s->line, cur, (size_t)(nl - cur));
			rc = rc ? rc : sse_line(s, s->line.data, s->line.len);
			buf_reset(&s->line);
		} else {
			rc = sse_line(s, cur, (size_t)(nl - cur));
		}
		if (rc)
			goto too_long;
		cur = nl + 1;
	}
	return total;
too_long:
	s->too_long = true;
	return 0;
}

/*
 * One connection of the stream, resuming after the last event seen. Returns 0 when the job
 * ended (terminal event, or 204: nothing more to say), -1 when the stream dropped early and
 * may be retried, EXIT_HTTP after printing a server or transport error.
 */
static int stream_once(struct sse *s, const struct submit_opts *o, const char *id)
{
	char url[URL_MAX], errbuf[CURL_ERROR_SIZE] = "";
	int rc = s->last_id[0]
	             ? md_snprintf(url, sizeof url, "%s/v1/jobs/%s/events?lastEventId=%s",
	                           o->server, id, s->last_id)
	             : md_snprintf(url, sizeof url, "%s/v1/jobs/%s/events", o->server, id);
	if (rc)
		return EXIT_HTTP;
	buf_reset(&s->line);
	buf_reset(&s->data);
	buf_reset(&s->err_body);
	s->type[0] = '\0';
	s->pending_id[0] = '\0';
	s->http_status = 0;
	curl_easy_setopt(s->c, CURLOPT_URL, url);
	curl_easy_setopt(s->c, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode cc = curl_easy_perform(s->c);
	curl_easy_setopt(s->c, CURLOPT_ERRORBUFFER, NULL);
	curl_easy_getinfo(s->c, CURLINFO_RESPONSE_CODE, &s->http_status);
	if (s->status[0] || s->http_status == 204)
		return 0;
	if (s->too_long) {
		fprintf(stderr, "matchd submit: an event of the stream is over %u bytes\n",
		        SSE_LINE_MAX);
		return EXIT_HTTP;
	}
	if (s->http_status && s->http_status != 200) {
		print_http_error(s->http_status, &s->err_body);
		return EXIT_HTTP;
	}
	if (cc != CURLE_OK && !s->http_status) {
		fprintf(stderr, "matchd submit: %s: %s\n", url,
		        errbuf[0] ? errbuf : curl_easy_strerror(cc));
		return cc == CURLE_COULDNT_CONNECT ? EXIT_HTTP : -1;
	}
	return -1;
}

/*
 * Follows the job's events until it ends. The server closes the stream after the terminal
 * event; a stream that drops earlier is resumed a few times. Returns 0 (the caller then reads
 * the result) or EXIT_HTTP.
 */
static int follow_events(const struct submit_opts *o, const char *id)
{
	int ret = EXIT_HTTP;
	struct curl_slist *headers = NULL;
	struct sse s = { .tty = isatty(STDERR_FILENO) };
	buf_init(&s.line, SSE_LINE_MAX);
	buf_init(&s.data, SSE_LINE_MAX);
	buf_init(&s.err_body, BODY_MAX);
	s.c = new_handle(o, &headers);
	if (!s.c)
		goto out;
	curl_easy_setopt(s.c, CURLOPT_WRITEFUNCTION, sse_write);
	curl_easy_setopt(s.c, CURLOPT_WRITEDATA, &s);
	/* The server sends a heartbeat every 15 s; a minute of silence means the link is dead. */
	curl_easy_setopt(s.c, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(s.c, CURLOPT_LOW_SPEED_TIME, 60L);
	for (int attempt = 0; attempt <= SSE_RECONNECTS; attempt++) {
		ret = stream_once(&s, o, id);
		if (ret != -1)
			break;
		ret = EXIT_HTTP;
		if (attempt == SSE_RECONNECTS)
			fprintf(stderr, "matchd submit: the event stream keeps dropping\n");
		else
			sleep(1);
	}
out:
	if (s.bar_drawn)
		fputc('\n', stderr);
	curl_easy_cleanup(s.c);
	curl_slist_free_all(headers);
	buf_release(&s.line);
	buf_release(&s.data);
	buf_release(&s.err_body);
	return ret;
}

/* ---- the result ---- */

/* Prints the first evidence quote of a requirement, on one line, shortened to fit. */
static void print_evidence(json_t *req)
{
	json_t *ev = json_array_get(json_object_get(req, "evidence"), 0);
	const char *text = json_string_value(json_object_get(ev, "text"));
	if (!text)
		return;
	char quote[160];
	size_t n = 0;
	for (const char *p = text; *p && n < sizeof quote - 4; p++)
		quote[n++] = (*p == '\n' || *p == '\r' || *p == '\t') ? ' ' : *p;
	quote[n] = '\0';
	if (text[n] && n >= sizeof quote - 4) {
		/* Do not cut a UTF-8 sequence in half before the ellipsis. */
		while (n && ((unsigned char)quote[n] & 0xC0) == 0x80)
			n--;
		memcpy(quote + n, "...", 4);
	}
	json_t *page = json_object_get(ev, "page");
	if (json_is_integer(page))
		printf("      \"%s\" (page %lld)\n", quote, (long long)json_integer_value(page));
	else
		printf("      \"%s\"\n", quote);
}

/* The human summary: score, tier, summary, then one line per requirement. */
static void print_summary(const char *id, json_t *result)
{
	json_t *score = json_object_get(result, "score");
	const char *tier = json_string_value(json_object_get(result, "tier"));
	const char *summary = json_string_value(json_object_get(result, "summary"));
	printf("job:     %s\n", id);
	printf("score:   %.0f / 100 (%s)\n", json_number_value(score), tier ? tier : "?");
	if (summary)
		printf("summary: %s\n", summary);
	json_t *reqs = json_object_get(result, "requirements");
	if (!json_array_size(reqs))
		return;
	printf("requirements:\n");
	size_t i;
	json_t *r;
	json_array_foreach(reqs, i, r)
	{
		const char *verdict = json_string_value(json_object_get(r, "verdict"));
		const char *what = json_string_value(json_object_get(r, "requirement"));
		const char *cat = json_string_value(json_object_get(r, "category"));
		printf("  %-14s %s%s%s%s\n", verdict ? verdict : "?", what ? what : "?",
		       cat ? " (" : "", cat ? cat : "", cat ? ")" : "");
		print_evidence(r);
	}
}

/*
 * Reads GET /api/v1/cvdeepmatch/:id and prints it. Returns 0 when the job succeeded,
 * EXIT_JOB_FAILED when it failed or was canceled, EXIT_HTTP on an HTTP error.
 */
static int show_result(const struct submit_opts *o, const char *id)
{
	int ret = EXIT_HTTP;
	struct curl_slist *headers = NULL;
	struct buf body;
	buf_init(&body, BODY_MAX);
	json_t *root = NULL;
	char url[URL_MAX];
	CURL *c = new_handle(o, &headers);
	if (!c || md_snprintf(url, sizeof url, "%s/api/v1/cvdeepmatch/%s", o->server, id))
		goto out;
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	long status = perform(c, url, &body);
	if (!status)
		goto out;
	if (status != 200) {
		print_http_error(status, &body);
		goto out;
	}
	root = json_loadb(body.data ? body.data : "", body.len, 0, NULL);
	const char *st = json_string_value(json_object_get(root, "status"));
	if (!st) {
		fprintf(stderr, "matchd submit: the result is not the JSON we expect\n");
		goto out;
	}
	if (o->json)
		printf("%s\n", body.data);
	if (!strcmp(st, "succeeded")) {
		if (!o->json)
			print_summary(id, json_object_get(root, "result"));
		ret = 0;
		goto out;
	}
	json_t *err = json_object_get(root, "error");
	const char *code = json_string_value(json_object_get(err, "code"));
	const char *msg = json_string_value(json_object_get(err, "message"));
	fprintf(stderr, "matchd submit: job %s %s: %s: %s\n", id, st, code ? code : "-",
	        msg ? msg : "no message");
	ret = EXIT_JOB_FAILED;
out:
	json_decref(root);
	curl_easy_cleanup(c);
	curl_slist_free_all(headers);
	buf_release(&body);
	return ret;
}

int cli_submit(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "cv")) {
		usage();
		return EXIT_USAGE;
	}
	if (cli_has(argc, argv, "--help") || cli_has(argc, argv, "-h")) {
		usage();
		return 0;
	}
	struct submit_opts o = { 0 };
	int rc = parse_opts(argc, argv, &o);
	if (rc) {
		usage();
		return rc;
	}
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "matchd submit: libcurl failed to initialise\n");
		return EXIT_HTTP;
	}
	char id[64];
	rc = submit_cv(&o, id, sizeof id);
	if (!rc) {
		if (!o.json || isatty(STDERR_FILENO))
			fprintf(stderr, "submitted job %s\n", id);
		rc = follow_events(&o, id);
	}
	rc = rc ? rc : show_result(&o, id);
	curl_global_cleanup();
	return rc;
}
