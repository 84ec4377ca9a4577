/*
 * test_server.c: the libmicrohttpd wrapper driven over a real socket with libcurl: routing
 * (200, 404, 405 with Allow), request ids, body and header limits (413, 431), multipart parts
 * and their cap, a suspended stream woken from another thread, a prompt stop with a suspended
 * stream, the metrics text, and streamed request bodies (a multipart field or a raw body
 * handed on in bounded pieces, their limits, refusals, and a client that leaves mid-upload).
 */
#include <criterion/criterion.h>
#include <curl/curl.h>
#include <pthread.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/common.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "base/uuid.h"
#include "http/server.h"

static struct http_server *g_srv;
static unsigned g_port;

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* ---- the application side: an error envelope and a few handlers ---- */

static void on_error(struct http_request *req, struct http_response *resp, int status,
                     const char *message, const char *field)
{
	resp->status = status;
	resp->content_type = "application/json";
	int rc = buf_printf(&resp->body, "{\"error\":{\"status\":%d,\"message\":", status);
	if (!rc)
		rc = buf_put_json_string(&resp->body, message, strlen(message));
	if (!rc && field) {
		rc = buf_puts(&resp->body, ",\"field\":");
		if (!rc)
			rc = buf_put_json_string(&resp->body, field, strlen(field));
	}
	if (!rc)
		rc = buf_puts(&resp->body, "}}");
	(void)rc;
}

static void h_hello(struct http_request *req, struct http_response *resp)
{
	http_response_json(resp, 200, "{\"hello\":\"world\"}");
}

static void h_echo(struct http_request *req, struct http_response *resp)
{
	char json[64];
	snprintf(json, sizeof json, "{\"len\":%zu}", req->body.len);
	http_response_json(resp, 200, json);
}

static void h_upload(struct http_request *req, struct http_response *resp)
{
	resp->status = 200;
	resp->content_type = "application/json";
	int rc = buf_puts(&resp->body, "[");
	for (size_t i = 0; i < req->nparts && !rc; i++) {
		const struct http_part *p = &req->parts[i];
		rc = buf_printf(
		    &resp->body,
		    "%s{\"name\":\"%s\",\"filename\":\"%s\",\"len\":%zu,\"data\":", i ? "," : "",
		    p->name, p->has_filename ? p->filename : "", p->data.len);
		if (!rc)
			rc = buf_put_json_string(&resp->body, p->data.data ? p->data.data : "",
			                         p->data.len);
		if (!rc)
			rc = buf_putc(&resp->body, '}');
	}
	if (!rc)
		rc = buf_puts(&resp->body, "]");
	if (rc)
		resp->status = 500;
}

static void h_metrics(struct http_request *req, struct http_response *resp)
{
	resp->status = 200;
	resp->content_type = "text/plain";
	if (http_server_metrics(req->route_ctx, &resp->body))
		resp->status = 500;
}

/* A stream that stays silent until woken, then sends one event, then ends. */
static struct {
	pthread_mutex_t lock;
	struct http_stream *handle;    /* written by the server */
	struct http_stream *published; /* the handle, seen under our lock, until done() */
	bool woken, sent, done;
	int fills;
} g_stream = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int stream_fill(void *ctx, struct buf *out)
{
	pthread_mutex_lock(&g_stream.lock);
	g_stream.fills++;
	g_stream.published = g_stream.handle;
	int r = 0;
	if (g_stream.woken && !g_stream.sent) {
		g_stream.sent = true;
		r = buf_puts(out, "data: hello\n\n") ? -1 : 1;
	} else if (g_stream.sent) {
		r = -1;
	}
	pthread_mutex_unlock(&g_stream.lock);
	return r;
}

static void stream_done(void *ctx)
{
	pthread_mutex_lock(&g_stream.lock);
	g_stream.done = true;
	g_stream.published = NULL;
	pthread_mutex_unlock(&g_stream.lock);
}

static const struct http_stream_ops stream_ops = { stream_fill, stream_done };

static void h_stream(struct http_request *req, struct http_response *resp)
{
	resp->status = 200;
	resp->content_type = "text/event-stream";
	resp->stream_ops = &stream_ops;
	resp->stream_ctx = &g_stream;
	resp->stream_handle = &g_stream.handle;
}

/* ---- a streamed route: the sink counts, hashes and sizes what it is handed ---- */

struct sink {
	uint64_t bytes, hash;
	size_t max_piece;
	uint64_t fail_after; /* 0: never */
};

static atomic_int g_sink_begins, g_sink_ends;
static atomic_llong g_sink_bytes; /* handed to data() over every request */

static int sink_begin(struct http_request *req, void **state)
{
	atomic_fetch_add(&g_sink_begins, 1);
	if (http_header(req, "X-Refuse"))
		return MD_EDENIED;
	struct sink *s = md_calloc(1, sizeof *s);
	if (!s)
		return MD_ENOMEM;
	s->hash = 1469598103934665603ull;
	const char *fa = http_header(req, "X-Fail-After");
	s->fail_after = fa ? strtoull(fa, NULL, 10) : 0;
	*state = s;
	return 0;
}

static int sink_data(void *state, const char *data, size_t len)
{
	struct sink *s = state;
	for (size_t i = 0; i < len; i++)
		s->hash = (s->hash ^ (unsigned char)data[i]) * 1099511628211ull;
	s->bytes += len;
	atomic_fetch_add(&g_sink_bytes, (long long)len);
	s->max_piece = MD_MAX(s->max_piece, len);
	return s->fail_after && s->bytes >= s->fail_after ? MD_EINVAL : 0;
}

static void sink_end(void *state)
{
	md_free(state);
	atomic_fetch_add(&g_sink_ends, 1);
}

static const struct http_body_stream sink_stream = { sink_begin, sink_data, sink_end };

static void h_sink(struct http_request *req, struct http_response *resp)
{
	const struct sink *s = req->stream_state;
	const struct http_part *meta = http_part(req, "meta");
	const struct http_part *file = http_part(req, "file");
	char json[512];
	snprintf(json, sizeof json,
	         "{\"state\":%s,\"rc\":%d,\"streamed\":%llu,\"seen\":%llu,\"hash\":\"%016llx\","
	         "\"max_piece\":%zu,\"meta\":%zu,\"file_buffered\":%zd,\"body\":%zu}",
	         s ? "true" : "false", req->stream_rc, (unsigned long long)req->stream_bytes,
	         (unsigned long long)(s ? s->bytes : 0), (unsigned long long)(s ? s->hash : 0),
	         s ? s->max_piece : 0, meta ? meta->data.len : 0,
	         file ? (ssize_t)file->data.len : (ssize_t)-1, req->body.len);
	http_response_json(resp, 200, json);
}

static void setup(void)
{
	md_log_set_level(MD_LOG_OFF);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	struct http_server_opts o = { .listen = "127.0.0.1:0", .threads = 2, .on_error = on_error };
	cr_assert_eq(http_server_new(&o, &g_srv), 0);
	struct http_route_opts none = { 0 };
	struct http_route_opts echo = { .body_limit = 1024 };
	struct http_route_opts upload = { .body_limit = 1 << 20,
		                          .multipart = true,
		                          .part_limit = 100 };
	struct http_route_opts metrics = { .ctx = g_srv };
	struct http_route_opts sink = { .body_limit = 4 << 20,
		                        .multipart = true,
		                        .part_limit = 2 << 20,
		                        .stream = &sink_stream,
		                        .stream_part = "file" };
	cr_assert_eq(http_server_route(g_srv, "GET", "/hello", h_hello, &none), 0);
	cr_assert_eq(http_server_route(g_srv, "POST", "/echo", h_echo, &echo), 0);
	cr_assert_eq(http_server_route(g_srv, "POST", "/upload", h_upload, &upload), 0);
	cr_assert_eq(http_server_route(g_srv, "GET", "/stream", h_stream, &none), 0);
	cr_assert_eq(http_server_route(g_srv, "GET", "/metrics", h_metrics, &metrics), 0);
	cr_assert_eq(http_server_route(g_srv, "POST", "/sink", h_sink, &sink), 0);
	atomic_store(&g_sink_begins, 0);
	atomic_store(&g_sink_ends, 0);
	atomic_store(&g_sink_bytes, 0);
	char err[256] = "";
	int rc = http_server_start(g_srv, err, sizeof err);
	cr_assert_eq(rc, 0, "start: %d %s", rc, err);
	g_port = http_server_port(g_srv);
	cr_assert_gt(g_port, 0, "port %u", g_port);
}

static void teardown(void)
{
	http_server_stop(g_srv, 1000);
	g_srv = NULL;
	curl_global_cleanup();
}

TestSuite(http_server, .init = setup, .fini = teardown, .timeout = 30);

/* ---- the client side ---- */

struct reply {
	long status;
	struct buf body;
	struct buf headers;
	int64_t first_byte_ms; /* monotonic time the first body byte arrived, 0 if none */
};

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct reply *r = ctx;
	if (!r->first_byte_ms && size * n > 0)
		r->first_byte_ms = md_mono_ms();
	return buf_append(&r->body, p, size * n) ? 0 : size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct reply *r = ctx;
	return buf_append(&r->headers, p, size * n) ? 0 : size * n;
}

struct upload_src {
	const char *data;
	size_t len, off;
};

static size_t on_read(char *out, size_t size, size_t n, void *ctx)
{
	struct upload_src *u = ctx;
	size_t k = MD_MIN(size * n, u->len - u->off);
	memcpy(out, u->data + u->off, k);
	u->off += k;
	return k;
}

/* Sends one request; body NULL for none; chunked sends the body without Content-Length. */
static void request(const char *method, const char *path, struct curl_slist *hdrs, const char *body,
                    size_t body_len, bool chunked, curl_mime *mime, struct reply *r)
{
	memset(r, 0, sizeof *r);
	buf_init(&r->body, 1 << 20);
	buf_init(&r->headers, 1 << 16);
	CURL *c = curl_easy_init();
	cr_assert_not_null(c);
	char url[256];
	snprintf(url, sizeof url, "http://127.0.0.1:%u%s", g_port, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	struct curl_slist *h = hdrs;
	struct upload_src src = { body, body_len, 0 };
	if (mime) {
		curl_easy_setopt(c, CURLOPT_MIMEPOST, mime);
	} else if (body && chunked) {
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &src);
		h = curl_slist_append(h, "Transfer-Encoding: chunked");
	} else if (body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body_len);
	}
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	CURLcode cc = curl_easy_perform(c);
	/* An early answer (413) may reset the upload; a status is what matters. */
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (cc != CURLE_OK && !r->status)
		cr_assert_fail("%s %s: %s", method, path, curl_easy_strerror(cc));
	curl_slist_free_all(h);
	curl_easy_cleanup(c);
}

static void reply_release(struct reply *r)
{
	buf_release(&r->body);
	buf_release(&r->headers);
}

/* The value of response header name (case-insensitive), copied into out; false if absent. */
static bool header_value(const struct reply *r, const char *name, char *out, size_t cap)
{
	const char *p = r->headers.data;
	size_t n = strlen(name);
	while (p && *p) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > n && p[n] == ':' && strncasecmp(p, name, n) == 0) {
			struct slice v = slice_trim((struct slice){ p + n + 1, len - n - 1 });
			return slice_copy(v, out, cap) == 0;
		}
		p = eol ? eol + 2 : NULL;
	}
	return false;
}

static const char *body_of(const struct reply *r)
{
	return r->body.data ? r->body.data : "";
}

/* ---- tests ---- */

Test(http_server, route_answers_200_with_a_request_id)
{
	struct reply r;
	request("GET", "/hello", NULL, NULL, 0, false, NULL, &r);
	cr_assert_eq(r.status, 200, "status %ld", r.status);
	cr_assert_str_eq(body_of(&r), "{\"hello\":\"world\"}");
	char v[128];
	cr_assert(header_value(&r, "Content-Type", v, sizeof v));
	cr_assert_str_eq(v, "application/json");
	cr_assert(header_value(&r, "X-Request-Id", v, sizeof v), "no X-Request-Id");
	cr_assert(md_uuid_valid(v), "generated request id %s", v);
	reply_release(&r);

	struct curl_slist *h = curl_slist_append(NULL, "X-Request-Id: trace-42.a_b");
	request("GET", "/hello?x=1", h, NULL, 0, false, NULL, &r);
	cr_assert_eq(r.status, 200, "status %ld", r.status);
	cr_assert(header_value(&r, "X-Request-Id", v, sizeof v));
	cr_assert_str_eq(v, "trace-42.a_b", "a valid id is echoed: got %s", v);
	reply_release(&r);

	h = curl_slist_append(NULL, "X-Request-Id: bad id<script>");
	request("GET", "/hello", h, NULL, 0, false, NULL, &r);
	cr_assert(header_value(&r, "X-Request-Id", v, sizeof v));
	cr_assert(md_uuid_valid(v), "an invalid id is replaced: got %s", v);
	reply_release(&r);

	char longid[120];
	memset(longid, 'a', 80);
	longid[80] = '\0';
	char hv[160];
	snprintf(hv, sizeof hv, "X-Request-Id: %s", longid);
	h = curl_slist_append(NULL, hv);
	request("GET", "/hello", h, NULL, 0, false, NULL, &r);
	cr_assert(header_value(&r, "X-Request-Id", v, sizeof v));
	cr_assert(md_uuid_valid(v), "an over-long id is replaced: got %s", v);
	reply_release(&r);
}

Test(http_server, not_found_and_method_not_allowed)
{
	struct reply r;
	request("GET", "/nope", NULL, NULL, 0, false, NULL, &r);
	cr_assert_eq(r.status, 404, "status %ld", r.status);
	cr_assert(strstr(body_of(&r), "\"status\":404") != NULL, "envelope %s", body_of(&r));
	char v[128];
	cr_assert(header_value(&r, "X-Request-Id", v, sizeof v), "errors carry a request id too");
	reply_release(&r);

	request("DELETE", "/hello", NULL, NULL, 0, false, NULL, &r);
	cr_assert_eq(r.status, 405, "status %ld", r.status);
	cr_assert(strstr(body_of(&r), "\"status\":405") != NULL, "envelope %s", body_of(&r));
	cr_assert(header_value(&r, "Allow", v, sizeof v), "no Allow header");
	cr_assert(strstr(v, "GET") != NULL, "Allow: %s", v);
	reply_release(&r);
}

Test(http_server, body_limit_413)
{
	char body[2000];
	memset(body, 'x', sizeof body);
	struct reply r;
	request("POST", "/echo", NULL, body, 500, false, NULL, &r);
	cr_assert_eq(r.status, 200, "status %ld", r.status);
	cr_assert_str_eq(body_of(&r), "{\"len\":500}");
	reply_release(&r);

	request("POST", "/echo", NULL, body, 1024, false, NULL, &r);
	cr_assert_eq(r.status, 200, "exactly the limit: status %ld", r.status);
	reply_release(&r);

	request("POST", "/echo", NULL, body, sizeof body, false, NULL, &r);
	cr_assert_eq(r.status, 413, "Content-Length over the limit: status %ld", r.status);
	cr_assert(strstr(body_of(&r), "\"status\":413") != NULL, "envelope %s", body_of(&r));
	reply_release(&r);

	request("POST", "/echo", NULL, body, sizeof body, true, NULL, &r);
	cr_assert_eq(r.status, 413, "chunked body over the limit: status %ld", r.status);
	reply_release(&r);

	request("POST", "/echo", NULL, body, 700, true, NULL, &r);
	cr_assert_eq(r.status, 200, "chunked body under the limit: status %ld", r.status);
	cr_assert_str_eq(body_of(&r), "{\"len\":700}");
	reply_release(&r);

	request("POST", "/hello", NULL, body, 10, false, NULL, &r);
	cr_assert_eq(r.status, 405, "status %ld", r.status);
	reply_release(&r);
}

Test(http_server, headers_over_16k_431)
{
	static char big[20000];
	int n = snprintf(big, sizeof big, "X-Big: ");
	memset(big + n, 'h', sizeof big - (size_t)n - 1);
	big[sizeof big - 1] = '\0';
	struct curl_slist *h = curl_slist_append(NULL, big);
	struct reply r;
	request("GET", "/hello", h, NULL, 0, false, NULL, &r);
	cr_assert_eq(r.status, 431, "status %ld", r.status);
	cr_assert(strstr(body_of(&r), "\"status\":431") != NULL, "the application's envelope: %s",
	          body_of(&r));
	reply_release(&r);

	/* Several headers that add up past the limit count too. */
	h = NULL;
	char line[4200];
	for (int i = 0; i < 5; i++) {
		int k = snprintf(line, sizeof line, "X-Part-%d: ", i);
		memset(line + k, 'p', 4000);
		line[k + 4000] = '\0';
		h = curl_slist_append(h, line);
	}
	request("GET", "/hello", h, NULL, 0, false, NULL, &r);
	cr_assert_eq(r.status, 431, "total over 16 KiB: status %ld", r.status);
	reply_release(&r);

	/* Under the limit is fine. */
	h = curl_slist_append(NULL, "X-Small: 1234567890");
	request("GET", "/hello", h, NULL, 0, false, NULL, &r);
	cr_assert_eq(r.status, 200, "status %ld", r.status);
	reply_release(&r);
}

Test(http_server, multipart_parts_and_part_limit)
{
	CURL *dummy = curl_easy_init();
	curl_mime *m = curl_mime_init(dummy);
	curl_mimepart *p = curl_mime_addpart(m);
	curl_mime_name(p, "meta");
	curl_mime_data(p, "{\"a\":1}", CURL_ZERO_TERMINATED);
	p = curl_mime_addpart(m);
	curl_mime_name(p, "file");
	curl_mime_filename(p, "cv.pdf");
	curl_mime_type(p, "application/pdf");
	char data[100];
	memset(data, 'd', sizeof data);
	curl_mime_data(p, data, sizeof data);
	struct reply r;
	request("POST", "/upload", NULL, NULL, 0, false, m, &r);
	cr_assert_eq(r.status, 200, "status %ld: %s", r.status, body_of(&r));
	char want[512];
	snprintf(want, sizeof want,
	         "[{\"name\":\"meta\",\"filename\":\"\",\"len\":7,\"data\":\"{\\\"a\\\":1}\"},"
	         "{\"name\":\"file\",\"filename\":\"cv.pdf\",\"len\":100,\"data\":\"%.*s\"}]",
	         100, data);
	cr_assert_str_eq(body_of(&r), want, "got %s", body_of(&r));
	reply_release(&r);
	curl_mime_free(m);

	m = curl_mime_init(dummy);
	p = curl_mime_addpart(m);
	curl_mime_name(p, "meta");
	curl_mime_data(p, "ok", CURL_ZERO_TERMINATED);
	p = curl_mime_addpart(m);
	curl_mime_name(p, "resume");
	curl_mime_filename(p, "big.pdf");
	char big[101];
	memset(big, 'b', sizeof big);
	curl_mime_data(p, big, sizeof big);
	request("POST", "/upload", NULL, NULL, 0, false, m, &r);
	cr_assert_eq(r.status, 400, "a part over part_limit: status %ld", r.status);
	cr_assert(strstr(body_of(&r), "\"field\":\"resume\"") != NULL, "names the field: %s",
	          body_of(&r));
	reply_release(&r);
	curl_mime_free(m);
	curl_easy_cleanup(dummy);
}

/* Waits until the stream has been filled once (so it is suspended), returns its handle. */
static bool wait_stream_published(int timeout_ms)
{
	int64_t deadline = md_mono_ms() + timeout_ms;
	while (md_mono_ms() < deadline) {
		pthread_mutex_lock(&g_stream.lock);
		bool up = g_stream.published != NULL;
		pthread_mutex_unlock(&g_stream.lock);
		if (up)
			return true;
		sleep_ms(5);
	}
	return false;
}

static atomic_llong g_woken_at;

static void *waker_main(void *arg)
{
	if (!wait_stream_published(5000))
		return NULL;
	sleep_ms(200);
	pthread_mutex_lock(&g_stream.lock);
	g_stream.woken = true;
	atomic_store(&g_woken_at, md_mono_ms());
	if (g_stream.published)
		http_stream_wake(g_stream.published);
	pthread_mutex_unlock(&g_stream.lock);
	return arg;
}

Test(http_server, stream_sleeps_until_woken)
{
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, waker_main, NULL), 0);
	int64_t t0 = md_mono_ms();
	struct reply r;
	request("GET", "/stream", NULL, NULL, 0, false, NULL, &r);
	pthread_join(t, NULL);
	cr_assert_eq(r.status, 200, "status %ld", r.status);
	cr_assert_str_eq(body_of(&r), "data: hello\n\n", "got \"%s\"", body_of(&r));
	int64_t woken = atomic_load(&g_woken_at);
	cr_assert_gt(woken, 0, "the waker never ran");
	cr_assert_geq(r.first_byte_ms, woken, "data arrived %lld ms before the wake",
	              (long long)(woken - r.first_byte_ms));
	cr_assert_geq(r.first_byte_ms - t0, 190, "data after %lld ms, want >= 200",
	              (long long)(r.first_byte_ms - t0));
	char v[64];
	cr_assert(header_value(&r, "Content-Type", v, sizeof v));
	cr_assert_str_eq(v, "text/event-stream");
	/* done() runs when the connection's response is destroyed. */
	int64_t deadline = md_mono_ms() + 2000;
	bool done = false;
	while (!done && md_mono_ms() < deadline) {
		pthread_mutex_lock(&g_stream.lock);
		done = g_stream.done;
		pthread_mutex_unlock(&g_stream.lock);
		sleep_ms(5);
	}
	cr_assert(done, "done() was not called after the stream ended");
	reply_release(&r);
}

static struct reply g_bg_reply;

static void *client_main(void *arg)
{
	request("GET", "/stream", NULL, NULL, 0, false, NULL, &g_bg_reply);
	return arg;
}

Test(http_server, stop_with_a_suspended_stream_is_prompt)
{
	pthread_t t;
	cr_assert_eq(pthread_create(&t, NULL, client_main, NULL), 0);
	cr_assert(wait_stream_published(5000), "the stream never started");
	sleep_ms(50);
	int64_t t0 = md_mono_ms();
	http_server_stop(g_srv, 5000);
	g_srv = NULL;
	int64_t took = md_mono_ms() - t0;
	pthread_join(t, NULL);
	cr_assert_lt(took, 2000, "stop took %lld ms with a suspended stream", (long long)took);
	cr_assert_eq(g_bg_reply.status, 200, "status %ld", g_bg_reply.status);
	cr_assert_str_eq(body_of(&g_bg_reply), "", "the stream sent %s", body_of(&g_bg_reply));
	pthread_mutex_lock(&g_stream.lock);
	bool done = g_stream.done;
	pthread_mutex_unlock(&g_stream.lock);
	cr_assert(done, "done() was not called by stop");
	reply_release(&g_bg_reply);
}

Test(http_server, metrics_count_routes)
{
	struct reply r;
	for (int i = 0; i < 2; i++) {
		request("GET", "/hello", NULL, NULL, 0, false, NULL, &r);
		reply_release(&r);
	}
	request("GET", "/missing", NULL, NULL, 0, false, NULL, &r);
	reply_release(&r);
	/* Requests are counted when they complete, just after the client has its answer. */
	const char *want_ok = "matchd_http_requests_total{method=\"GET\",route=\"/hello\","
	                      "status=\"200\"} 2\n";
	const char *want_404 = "matchd_http_requests_total{method=\"ANY\",route=\"unmatched\","
	                       "status=\"404\"} 1\n";
	int64_t deadline = md_mono_ms() + 2000;
	for (;;) {
		struct buf m;
		buf_init(&m, 1 << 20);
		cr_assert_eq(http_server_metrics(g_srv, &m), 0);
		bool ok = strstr(m.data, want_ok) && strstr(m.data, want_404);
		if (ok || md_mono_ms() > deadline) {
			cr_assert(strstr(m.data, want_ok) != NULL, "no /hello counter in:\n%s",
			          m.data);
			cr_assert(strstr(m.data, want_404) != NULL, "no 404 counter in:\n%s",
			          m.data);
			cr_assert(strstr(m.data,
			                 "matchd_http_request_duration_seconds_count{method="
			                 "\"GET\",route=\"/hello\"} 2") != NULL,
			          "no histogram count in:\n%s", m.data);
			buf_release(&m);
			break;
		}
		buf_release(&m);
		sleep_ms(20);
	}
	/* Over HTTP too. */
	request("GET", "/metrics", NULL, NULL, 0, false, NULL, &r);
	cr_assert_eq(r.status, 200);
	cr_assert(strstr(body_of(&r), "# TYPE matchd_http_requests_total counter") != NULL, "%s",
	          body_of(&r));
	cr_assert(strstr(body_of(&r), "matchd_http_in_flight") != NULL, "%s", body_of(&r));
	reply_release(&r);
}

/* ---- streamed bodies ---- */

static char *pattern(size_t n)
{
	char *d = md_malloc(n);
	cr_assert_not_null(d);
	uint32_t x = 12345;
	for (size_t i = 0; i < n; i++) {
		x = x * 1103515245u + 12345u;
		d[i] = (char)(x >> 16);
	}
	return d;
}

static void fnv(const char *d, size_t n, char hex[17])
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)d[i]) * 1099511628211ull;
	snprintf(hex, 17, "%016llx", (unsigned long long)h);
}

/* The server calls end() after the response is sent: wait for it a little. */
static int wait_ends(int want)
{
	for (int i = 0; i < 200 && atomic_load(&g_sink_ends) < want; i++)
		sleep_ms(10);
	return atomic_load(&g_sink_ends);
}

static bool has(const struct reply *r, const char *s)
{
	return strstr(body_of(r), s) != NULL;
}

Test(http_server, streamed_multipart_field_in_bounded_pieces)
{
	size_t n = (3 << 20) / 2 + 12345; /* 1.5 MiB, under the part limit */
	char *data = pattern(n);
	char hex[17], want[64];
	fnv(data, n, hex);
	CURL *dummy = curl_easy_init();
	curl_mime *m = curl_mime_init(dummy);
	curl_mimepart *p = curl_mime_addpart(m);
	curl_mime_name(p, "meta");
	curl_mime_data(p, "{\"a\":1}", CURL_ZERO_TERMINATED);
	p = curl_mime_addpart(m);
	curl_mime_name(p, "file");
	curl_mime_filename(p, "t.bin");
	curl_mime_data(p, data, n);
	struct reply r;
	request("POST", "/sink", NULL, NULL, 0, false, m, &r);
	cr_assert_eq(r.status, 200, "status %ld: %s", r.status, body_of(&r));
	snprintf(want, sizeof want, "\"streamed\":%zu,\"seen\":%zu", n, n);
	cr_assert(has(&r, want), "all bytes streamed: %s", body_of(&r));
	snprintf(want, sizeof want, "\"hash\":\"%s\"", hex);
	cr_assert(has(&r, want), "the same bytes in order: %s", body_of(&r));
	cr_assert(has(&r, "\"meta\":7,\"file_buffered\":0"), "small field buffered, file not: %s",
	          body_of(&r));
	const char *mp = strstr(body_of(&r), "\"max_piece\":");
	cr_assert_not_null(mp);
	size_t piece = strtoull(mp + 12, NULL, 10);
	cr_assert(piece > 0 && piece <= 64 * 1024, "pieces are bounded: %zu", piece);
	cr_assert_eq(wait_ends(1), 1, "end() once");
	reply_release(&r);
	curl_mime_free(m);
	curl_easy_cleanup(dummy);
	md_free(data);
}

Test(http_server, streamed_raw_body_and_its_limit)
{
	size_t n = (5 << 20) / 2; /* 2.5 MiB, under the 4 MiB body limit */
	char *data = pattern(n);
	char hex[17], want[64];
	fnv(data, n, hex);
	struct reply r;
	request("POST", "/sink", NULL, data, n, true, NULL, &r);
	cr_assert_eq(r.status, 200, "status %ld: %s", r.status, body_of(&r));
	snprintf(want, sizeof want, "\"hash\":\"%s\"", hex);
	cr_assert(has(&r, want) && has(&r, "\"body\":0"), "streamed, not buffered: %s",
	          body_of(&r));
	reply_release(&r);
	cr_assert_eq(wait_ends(1), 1);
	md_free(data);

	/* Over body_limit without Content-Length: 413, and the state is still ended. */
	n = (4 << 20) + 100;
	data = pattern(n);
	request("POST", "/sink", NULL, data, n, true, NULL, &r);
	cr_assert_eq(r.status, 413, "status %ld: %s", r.status, body_of(&r));
	reply_release(&r);
	cr_assert_eq(wait_ends(2), 2);
	md_free(data);
}

Test(http_server, streamed_field_over_part_limit_is_400_naming_it)
{
	size_t n = (2 << 20) + 1;
	char *data = pattern(n);
	CURL *dummy = curl_easy_init();
	curl_mime *m = curl_mime_init(dummy);
	curl_mimepart *p = curl_mime_addpart(m);
	curl_mime_name(p, "file");
	curl_mime_filename(p, "t.bin");
	curl_mime_data(p, data, n);
	struct reply r;
	request("POST", "/sink", NULL, NULL, 0, false, m, &r);
	cr_assert_eq(r.status, 400, "status %ld: %s", r.status, body_of(&r));
	cr_assert(has(&r, "\"field\":\"file\""), "names the field: %s", body_of(&r));
	reply_release(&r);
	cr_assert_eq(wait_ends(1), 1);
	curl_mime_free(m);

	/* The field twice: 400, not two streams. */
	m = curl_mime_init(dummy);
	for (int i = 0; i < 2; i++) {
		p = curl_mime_addpart(m);
		curl_mime_name(p, "file");
		curl_mime_data(p, "abc", 3);
	}
	request("POST", "/sink", NULL, NULL, 0, false, m, &r);
	cr_assert_eq(r.status, 400, "status %ld: %s", r.status, body_of(&r));
	reply_release(&r);
	cr_assert_eq(wait_ends(2), 2);
	curl_mime_free(m);
	curl_easy_cleanup(dummy);
	md_free(data);
}

Test(http_server, streamed_refusals_reach_the_handler)
{
	size_t n = 300000;
	char *data = pattern(n);
	struct curl_slist *h = curl_slist_append(NULL, "X-Refuse: 1");
	struct reply r;
	request("POST", "/sink", h, data, n, false, NULL, &r);
	cr_assert_eq(r.status, 200, "status %ld: %s", r.status, body_of(&r));
	char want[96];
	snprintf(want, sizeof want, "\"state\":false,\"rc\":%d,\"streamed\":%zu", MD_EDENIED, n);
	cr_assert(has(&r, want), "begin() refused, bytes dropped: %s", body_of(&r));
	reply_release(&r);
	cr_assert_eq(atomic_load(&g_sink_ends), 0, "no state, no end()");

	h = curl_slist_append(NULL, "X-Fail-After: 100000");
	request("POST", "/sink", h, data, n, false, NULL, &r);
	cr_assert_eq(r.status, 200, "status %ld: %s", r.status, body_of(&r));
	snprintf(want, sizeof want, "\"state\":true,\"rc\":%d,\"streamed\":%zu", MD_EINVAL, n);
	cr_assert(has(&r, want), "data() failed, the rest dropped: %s", body_of(&r));
	const char *seen = strstr(body_of(&r), "\"seen\":");
	cr_assert(seen && strtoull(seen + 7, NULL, 10) < n, "not all handed on: %s", body_of(&r));
	reply_release(&r);
	cr_assert_eq(wait_ends(1), 1);
	md_free(data);
}

Test(http_server, streamed_upload_cut_by_the_client_is_ended)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)g_port) };
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
	const char *head = "POST /sink HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\n"
	                   "Content-Length: 1000000\r\n\r\n";
	cr_assert_eq(write(fd, head, strlen(head)), (ssize_t)strlen(head));
	char piece[100000];
	memset(piece, 'x', sizeof piece);
	cr_assert_eq(write(fd, piece, sizeof piece), (ssize_t)sizeof piece);
	/* Close once the server has read what was sent: libmicrohttpd 0.9.75 notices a close
	 * that arrives behind unread bytes only at the idle timeout (the state is ended then). */
	for (int i = 0; i < 500 && atomic_load(&g_sink_bytes) < (long long)sizeof piece; i++)
		sleep_ms(10);
	cr_assert_eq(atomic_load(&g_sink_begins), 1);
	cr_assert_eq(atomic_load(&g_sink_bytes), (long long)sizeof piece);
	cr_assert_eq(atomic_load(&g_sink_ends), 0, "still uploading");
	close(fd);
	cr_assert_eq(wait_ends(1), 1, "end() after the client left");
}
