#include "http/server.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/common.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "base/uuid.h"
#include "http/multipart.h"

#define MAX_ROUTES 96
#define MAX_STATUS_SLOTS 16
static const double latency_buckets_ms[] = { 1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 5000 };
#define NBUCKETS (sizeof latency_buckets_ms / sizeof latency_buckets_ms[0])

struct route_metrics {
	pthread_mutex_t lock;
	struct {
		int status;
		uint64_t count;
	} by_status[MAX_STATUS_SLOTS];
	uint64_t buckets[NBUCKETS];
	uint64_t count;
	double sum_ms;
};

struct route_def {
	char method[16];
	char pattern[128];
	http_handler_fn fn;
	struct http_route_opts o;
	struct route_metrics m;
};

struct http_stream {
	struct http_server *srv;
	pthread_mutex_t lock;
	struct MHD_Connection *conn;
	bool suspended, wake_pending, closing, ended;
	struct buf pending;
	size_t off;
	const struct http_stream_ops *ops;
	void *ctx;
	struct http_stream *prev, *next;
};

struct http_server {
	struct http_server_opts o;
	struct MHD_Daemon *d;
	struct router router;
	struct route_def routes[MAX_ROUTES];
	int nroutes;
	struct route_def unrouted; /* metrics for 404/405 */
	atomic_int active;
	atomic_bool stopping;
	pthread_mutex_t streams_lock;
	struct http_stream *streams;
	pthread_t ticker;
	bool ticker_started;
	pthread_mutex_t tick_lock;
	pthread_cond_t tick_cond;
};

/* Everything the server keeps about one request, from its first byte to its completion. */
struct req_ctx {
	struct http_request req;
	struct http_server *srv;
	struct route_def *route;
	int64_t start_ms;
	int status;
	/* A failure found while reading the body, answered when the body ends. */
	int err_status;
	char err_msg[160];
	char err_field[64];
	struct multipart mp;
	bool mp_active;
	struct http_part *cur;
	bool cur_streams; /* the current part goes to the route's stream, not to cur->data */
	bool raw_streams; /* the (non-multipart) body goes to the route's stream */
	bool stream_begun;
	uint64_t bytes_in;
	char method[16];
	bool started;    /* the access handler has seen this request */
	bool overflowed; /* the body broke a limit: the rest is discarded */
	/* The raw query string: libmicrohttpd hands handlers the path without it. */
	char query[4096];
	bool query_too_long;
};

/* ---- helpers for handlers ---- */

const char *http_header(const struct http_request *req, const char *name)
{
	return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const struct http_part *http_part(const struct http_request *req, const char *name)
{
	for (size_t i = 0; i < req->nparts; i++)
		if (!strcmp(req->parts[i].name, name))
			return &req->parts[i];
	return NULL;
}

int http_response_header(struct http_response *resp, const char *name, const char *value)
{
	if (resp->nheaders == HTTP_MAX_RESP_HEADERS)
		return MD_ELIMIT;
	char *n = md_strdup(name), *v = md_strdup(value);
	if (!n || !v) {
		md_free(n);
		md_free(v);
		return MD_ENOMEM;
	}
	resp->headers[resp->nheaders][0] = n;
	resp->headers[resp->nheaders][1] = v;
	resp->nheaders++;
	return 0;
}

void http_response_json(struct http_response *resp, int status, const char *json)
{
	resp->status = status;
	resp->content_type = "application/json";
	buf_reset(&resp->body);
	if (buf_puts(&resp->body, json))
		resp->status = 500;
}

static void response_release(struct http_response *resp)
{
	buf_release(&resp->body);
	for (int i = 0; i < resp->nheaders; i++) {
		md_free(resp->headers[i][0]);
		md_free(resp->headers[i][1]);
	}
	resp->nheaders = 0;
}

/* ---- metrics ---- */

static void metrics_observe(struct route_metrics *m, int status, double ms)
{
	pthread_mutex_lock(&m->lock);
	m->count++;
	m->sum_ms += ms;
	for (size_t i = 0; i < NBUCKETS; i++)
		if (ms <= latency_buckets_ms[i])
			m->buckets[i]++;
	for (int i = 0; i < MAX_STATUS_SLOTS; i++) {
		if (m->by_status[i].status == status || m->by_status[i].status == 0) {
			m->by_status[i].status = status;
			m->by_status[i].count++;
			break;
		}
	}
	pthread_mutex_unlock(&m->lock);
}

/*
 * One metric family at a time across every route: Prometheus text wants all lines of a family
 * together. which: 0 request counters, 1 duration histograms.
 */
static int metrics_route(struct buf *out, const struct route_def *r, const char *label, int which)
{
	struct route_metrics *m = (struct route_metrics *)&r->m;
	int rc = 0;
	pthread_mutex_lock(&m->lock);
	for (int i = 0; which == 0 && i < MAX_STATUS_SLOTS && m->by_status[i].status && !rc; i++)
		rc = buf_printf(
		    out,
		    "matchd_http_requests_total{method=\"%s\",route=\"%s\",status=\"%d\"} "
		    "%llu\n",
		    r->method, label, m->by_status[i].status,
		    (unsigned long long)m->by_status[i].count);
	for (size_t i = 0; which == 1 && i < NBUCKETS && !rc && m->count; i++)
		rc = buf_printf(out,
		                "matchd_http_request_duration_seconds_bucket{method=\"%s\",route="
		                "\"%s\",le=\"%g\"} %llu\n",
		                r->method, label, latency_buckets_ms[i] / 1000,
		                (unsigned long long)m->buckets[i]);
	if (which == 1 && !rc && m->count)
		rc = buf_printf(
		    out,
		    "matchd_http_request_duration_seconds_bucket{method=\"%s\",route=\"%s\","
		    "le=\"+Inf\"} %llu\n"
		    "matchd_http_request_duration_seconds_sum{method=\"%s\",route=\"%s\"} "
		    "%.6f\n"
		    "matchd_http_request_duration_seconds_count{method=\"%s\",route=\"%s\"} "
		    "%llu\n",
		    r->method, label, (unsigned long long)m->count, r->method, label,
		    m->sum_ms / 1000, r->method, label, (unsigned long long)m->count);
	pthread_mutex_unlock(&m->lock);
	return rc;
}

int http_server_metrics(struct http_server *s, struct buf *out)
{
	static const char *const heads[] = {
		"# TYPE matchd_http_requests_total counter\n",
		"# TYPE matchd_http_request_duration_seconds histogram\n",
	};
	int rc = 0;
	for (int which = 0; which < 2 && !rc; which++) {
		rc = buf_puts(out, heads[which]);
		for (int i = 0; i < s->nroutes && !rc; i++)
			rc = metrics_route(out, &s->routes[i], s->routes[i].pattern, which);
		if (!rc)
			rc = metrics_route(out, &s->unrouted, "unmatched", which);
	}
	if (!rc)
		rc = buf_printf(out,
		                "# TYPE matchd_http_in_flight gauge\nmatchd_http_in_flight %d\n",
		                atomic_load(&s->active));
	return rc;
}

/* ---- streams ---- */

void http_stream_wake(struct http_stream *st)
{
	pthread_mutex_lock(&st->lock);
	if (st->suspended) {
		st->suspended = false;
		MHD_resume_connection(st->conn);
	} else {
		st->wake_pending = true;
	}
	pthread_mutex_unlock(&st->lock);
}

static ssize_t stream_reader(void *cls, uint64_t pos, char *out, size_t max)
{
	struct http_stream *st = cls;
	for (;;) {
		if (st->off < st->pending.len) {
			size_t n = MD_MIN(max, st->pending.len - st->off);
			memcpy(out, st->pending.data + st->off, n);
			st->off += n;
			if (st->off == st->pending.len) {
				buf_reset(&st->pending);
				st->off = 0;
			}
			return (ssize_t)n;
		}
		if (st->ended)
			return MHD_CONTENT_READER_END_OF_STREAM;
		pthread_mutex_lock(&st->lock);
		bool closing = st->closing;
		st->wake_pending = false;
		pthread_mutex_unlock(&st->lock);
		int r = closing ? -1 : st->ops->fill(st->ctx, &st->pending);
		if (r < 0) {
			st->ended = true;
			continue;
		}
		if (r > 0 && st->pending.len)
			continue;
		pthread_mutex_lock(&st->lock);
		if (st->wake_pending || st->closing) {
			pthread_mutex_unlock(&st->lock);
			continue;
		}
		st->suspended = true;
		MHD_suspend_connection(st->conn);
		pthread_mutex_unlock(&st->lock);
		return 0;
	}
}

static void stream_free(void *cls)
{
	struct http_stream *st = cls;
	struct http_server *s = st->srv;
	pthread_mutex_lock(&s->streams_lock);
	if (st->prev)
		st->prev->next = st->next;
	else
		s->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	pthread_mutex_unlock(&s->streams_lock);
	if (st->ops->done)
		st->ops->done(st->ctx);
	buf_release(&st->pending);
	pthread_mutex_destroy(&st->lock);
	md_free(st);
}

static void wake_all_streams(struct http_server *s, bool closing)
{
	pthread_mutex_lock(&s->streams_lock);
	for (struct http_stream *st = s->streams; st; st = st->next) {
		if (closing) {
			pthread_mutex_lock(&st->lock);
			st->closing = true;
			pthread_mutex_unlock(&st->lock);
		}
		http_stream_wake(st);
	}
	pthread_mutex_unlock(&s->streams_lock);
}

/* Wakes every stream every few seconds so each can decide to send its heartbeat comment. */
static void *ticker_main(void *arg)
{
	struct http_server *s = arg;
	/* Buffered access-log lines wait at most this long; streams are woken every tick_ms. */
	int64_t period = MD_MIN(s->o.tick_ms, (int64_t)250);
	int64_t next_wake = md_mono_ms() + s->o.tick_ms;
	pthread_mutex_lock(&s->tick_lock);
	while (!atomic_load(&s->stopping)) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += period / 1000;
		ts.tv_nsec += (period % 1000) * 1000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&s->tick_cond, &s->tick_lock, &ts);
		if (atomic_load(&s->stopping))
			break;
		pthread_mutex_unlock(&s->tick_lock);
		md_log_flush();
		if (md_mono_ms() >= next_wake) {
			next_wake = md_mono_ms() + s->o.tick_ms;
			wake_all_streams(s, false);
		}
		pthread_mutex_lock(&s->tick_lock);
	}
	pthread_mutex_unlock(&s->tick_lock);
	return NULL;
}

/* ---- answering ---- */

static enum MHD_Result queue(struct req_ctx *rc, struct MHD_Connection *conn,
                             struct http_response *resp)
{
	struct MHD_Response *r;
	if (resp->stream_ops) {
		struct http_stream *st = md_calloc(1, sizeof *st);
		if (!st)
			return MHD_NO;
		st->srv = rc->srv;
		st->conn = conn;
		st->ops = resp->stream_ops;
		st->ctx = resp->stream_ctx;
		buf_init(&st->pending, 1 << 20);
		pthread_mutex_init(&st->lock, NULL);
		r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_reader,
		                                      st, stream_free);
		if (!r) {
			pthread_mutex_destroy(&st->lock);
			md_free(st);
			return MHD_NO;
		}
		pthread_mutex_lock(&rc->srv->streams_lock);
		st->next = rc->srv->streams;
		if (st->next)
			st->next->prev = st;
		rc->srv->streams = st;
		pthread_mutex_unlock(&rc->srv->streams_lock);
		if (resp->stream_handle)
			*resp->stream_handle = st;
	} else {
		size_t len = resp->body.len;
		char *body = buf_take(&resp->body);
		r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
		if (!r) {
			md_free(body);
			return MHD_NO;
		}
	}
	MHD_add_response_header(r, "Content-Type",
	                        resp->content_type ? resp->content_type : "application/json");
	MHD_add_response_header(r, "X-Request-Id", rc->req.request_id);
	if (atomic_load(&rc->srv->stopping)) {
		MHD_add_response_header(r, "Connection", "close");
		if (resp->status == 503)
			MHD_add_response_header(r, "Retry-After", "1");
	}
	for (int i = 0; i < resp->nheaders; i++)
		MHD_add_response_header(r, resp->headers[i][0], resp->headers[i][1]);
	rc->status = resp->status;
	enum MHD_Result ok = MHD_queue_response(conn, (unsigned)resp->status, r);
	MHD_destroy_response(r);
	return ok;
}

static enum MHD_Result answer_error(struct req_ctx *rc, struct MHD_Connection *conn, int status,
                                    const char *msg, const char *field)
{
	struct http_response resp = { 0 };
	buf_init(&resp.body, 64 * 1024);
	rc->srv->o.on_error(&rc->req, &resp, status, msg, field);
	if (status == 405 && rc->req.match.allow[0])
		(void)http_response_header(&resp, "Allow", rc->req.match.allow);
	enum MHD_Result ok = queue(rc, conn, &resp);
	response_release(&resp);
	return ok;
}

static void set_error(struct req_ctx *rc, int status, const char *msg, const char *field)
{
	if (rc->err_status)
		return;
	rc->err_status = status;
	snprintf(rc->err_msg, sizeof rc->err_msg, "%s", msg);
	snprintf(rc->err_field, sizeof rc->err_field, "%s", field ? field : "");
}

/* ---- streamed bodies ---- */

static void stream_begin(struct req_ctx *rc)
{
	const struct http_body_stream *bs = rc->route->o.stream;
	rc->stream_begun = true;
	void *state = NULL;
	int r = bs->begin(&rc->req, &state);
	if (r)
		rc->req.stream_rc = r;
	else
		rc->req.stream_state = state;
}

/* Hands streamed bytes on; after the first failure they are counted and dropped. */
static void stream_data(struct req_ctx *rc, const char *data, size_t len)
{
	rc->req.stream_bytes += len;
	if (rc->req.stream_rc || !rc->req.stream_state)
		return;
	int r = rc->route->o.stream->data(rc->req.stream_state, data, len);
	if (r)
		rc->req.stream_rc = r;
}

/* ---- multipart callbacks: parts go into req->parts, each capped ---- */

static int on_part_begin(void *ctx, const struct multipart_part_info *info)
{
	struct req_ctx *rc = ctx;
	if (rc->req.nparts == HTTP_MAX_PARTS) {
		set_error(rc, 400, "too many multipart parts", NULL);
		return MD_ELIMIT;
	}
	struct http_part *p = &rc->req.parts[rc->req.nparts++];
	memset(p, 0, sizeof *p);
	if (slice_copy(slice_from(info->name), p->name, sizeof p->name)) {
		set_error(rc, 400, "multipart field name too long", NULL);
		return MD_ELIMIT;
	}
	if (info->filename) {
		p->has_filename = true;
		snprintf(p->filename, sizeof p->filename, "%s", info->filename);
	}
	if (info->content_type)
		snprintf(p->content_type, sizeof p->content_type, "%s", info->content_type);
	buf_init(&p->data, rc->route->o.part_limit);
	rc->cur = p;
	rc->cur_streams = rc->route->o.stream && rc->route->o.stream_part &&
	                  !strcmp(p->name, rc->route->o.stream_part);
	if (rc->cur_streams) {
		if (rc->stream_begun) {
			set_error(rc, 400, "the field is sent more than once", p->name);
			return MD_EINVAL;
		}
		stream_begin(rc);
	}
	return 0;
}

static int on_part_data(void *ctx, const char *data, size_t len)
{
	struct req_ctx *rc = ctx;
	int r = 0;
	if (rc->cur_streams) {
		if (rc->req.stream_bytes + len > rc->route->o.part_limit)
			r = MD_ELIMIT;
		else
			stream_data(rc, data, len);
	} else {
		r = buf_append(&rc->cur->data, data, len);
	}
	if (r == MD_ELIMIT) {
		char msg[128];
		snprintf(msg, sizeof msg, "field is larger than the %zu-byte limit",
		         rc->route->o.part_limit);
		set_error(rc, 400, msg, rc->cur->name);
	}
	return r;
}

static int on_part_end(void *ctx)
{
	struct req_ctx *rc = ctx;
	rc->cur = NULL;
	rc->cur_streams = false;
	return 0;
}

/* ---- the access handler ---- */

static enum MHD_Result count_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                    const char *value)
{
	size_t *total = cls;
	*total += strlen(key) + (value ? strlen(value) : 0) + 4;
	return MHD_YES;
}

static void set_request_id(struct req_ctx *rc, struct MHD_Connection *conn)
{
	const char *in = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
	if (in && strlen(in) > 0 && strlen(in) < 64) {
		bool ok = true;
		for (const char *p = in; *p && ok; p++)
			ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
			     (*p >= '0' && *p <= '9') || *p == '-' || *p == '_' || *p == '.';
		if (ok) {
			snprintf(rc->req.request_id, sizeof rc->req.request_id, "%s", in);
			return;
		}
	}
	if (md_uuid7(md_now_ms(), rc->req.request_id))
		snprintf(rc->req.request_id, sizeof rc->req.request_id, "unknown");
}

/*
 * Called by libmicrohttpd with the raw request target before headers are parsed; what it
 * returns becomes the request's context. It is the only place the query string is visible.
 */
static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
	struct req_ctx *rc = md_calloc(1, sizeof *rc);
	if (!rc)
		return NULL;
	const char *q = uri ? strchr(uri, '?') : NULL;
	if (q && slice_copy(slice_from(q + 1), rc->query, sizeof rc->query))
		rc->query_too_long = true;
	return rc;
}

/* First call for a request: route it and decide whether its body can be accepted. */
static enum MHD_Result begin_request(struct http_server *s, struct req_ctx *rc,
                                     struct MHD_Connection *conn, const char *url,
                                     const char *method)
{
	struct http_request *req = &rc->req;
	const char *q = strchr(url, '?');
	size_t plen = q ? (size_t)(q - url) : strlen(url);
	req->query = slice_from(q ? q + 1 : rc->query);
	/* Keep as much of the path as fits, so even a refusal knows the API family. */
	size_t keep = MD_MIN(plen, (size_t)ROUTER_MAX_PATH);
	memcpy(req->path, url, keep);
	req->path[keep] = '\0';
	if (plen > ROUTER_MAX_PATH) {
		rc->route = &s->unrouted;
		return answer_error(rc, conn, 404, "no such path", NULL);
	}
	if (rc->query_too_long) {
		rc->route = &s->unrouted;
		return answer_error(rc, conn, 400, "the query string is too long", "query");
	}

	size_t hdr_total = 0;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, count_header, &hdr_total);
	if (hdr_total > s->o.header_limit) {
		rc->route = &s->unrouted;
		return answer_error(rc, conn, 431, "request headers are too large", NULL);
	}

	if (atomic_load(&s->stopping)) {
		/* A request that arrives on a kept-alive connection after the stop began gets a
		 * clean refusal instead of a connection cut half-way through its handler. */
		rc->route = &s->unrouted;
		return answer_error(rc, conn, 503, "the server is shutting down; retry", NULL);
	}
	enum route_result rr = router_match(&s->router, method, req->path, plen, &req->match);
	if (rr != ROUTE_FOUND) {
		rc->route = &s->unrouted;
		return answer_error(
		    rc, conn, rr == ROUTE_METHOD_NOT_ALLOWED ? 405 : 404,
		    rr == ROUTE_METHOD_NOT_ALLOWED ? "method not allowed" : "no such path", NULL);
	}
	rc->route = req->match.handler;
	req->route_ctx = rc->route->o.ctx;
	req->route_pattern = rc->route->pattern;

	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Length");
	if (cl) {
		char *end;
		unsigned long long n = strtoull(cl, &end, 10);
		if (*end || end == cl)
			return answer_error(rc, conn, 400, "invalid Content-Length", NULL);
		/*
		 * A body somewhat over the limit is read and dropped, then answered: answering
		 * first makes the server close a socket with unread data, and the client may
		 * see a reset instead of the 413. A body far over it is refused at once.
		 */
		if (n > 4 * (unsigned long long)rc->route->o.body_limit + (1u << 20))
			return answer_error(rc, conn, 413, "request body is too large", NULL);
		if (n > rc->route->o.body_limit)
			set_error(rc, 413, "request body is too large", NULL);
	}
	buf_init(&req->body, rc->route->o.body_limit);
	const char *ct = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Content-Type");
	if (rc->route->o.multipart && ct && strncasecmp(ct, "multipart/", 10) == 0) {
		char boundary[MULTIPART_BOUNDARY_MAX + 1];
		if (multipart_boundary(ct, boundary, sizeof boundary))
			return answer_error(rc, conn, 400,
			                    "invalid multipart Content-Type (boundary)", NULL);
		struct multipart_limits lim = { .max_parts = HTTP_MAX_PARTS,
			                        .max_header_bytes = 8192,
			                        .max_total_bytes = rc->route->o.body_limit };
		struct multipart_callbacks cb = { on_part_begin, on_part_data, on_part_end };
		if (multipart_init(&rc->mp, boundary, &lim, &cb, rc))
			return MHD_NO;
		rc->mp_active = true;
		req->is_multipart = true;
	} else if (rc->route->o.stream && !rc->err_status) {
		rc->raw_streams = true;
		stream_begin(rc);
	}
	return MHD_YES;
}

static const char *mp_error(const struct multipart *mp)
{
	const char *e = multipart_error(mp);
	return e ? e : "malformed multipart body";
}

/*
 * Feeds body bytes to the multipart parser or the body buffer. After an error the rest is
 * read and dropped (libmicrohttpd cannot answer before the upload ends), but only up to a
 * bound: a client that keeps sending far past the limit is disconnected.
 */
static bool take_body(struct req_ctx *rc, const char *data, size_t len)
{
	rc->bytes_in += len;
	if (rc->err_status)
		return rc->bytes_in <= 4 * (uint64_t)rc->route->o.body_limit + (1u << 20);
	if (rc->mp_active) {
		int r = multipart_feed(&rc->mp, data, len);
		const char *why = mp_error(&rc->mp);
		if (r && !rc->err_status) {
			bool too_big = rc->bytes_in > rc->route->o.body_limit;
			set_error(rc, too_big ? 413 : 400,
			          too_big ? "request body is too large" : why, NULL);
		}
		return true;
	}
	if (rc->raw_streams) {
		if (rc->bytes_in > rc->route->o.body_limit)
			set_error(rc, 413, "request body is too large", NULL);
		else
			stream_data(rc, data, len);
		return true;
	}
	if (buf_append(&rc->req.body, data, len) == MD_ELIMIT)
		set_error(rc, 413, "request body is too large", NULL);
	return true;
}

static enum MHD_Result finish_request(struct req_ctx *rc, struct MHD_Connection *conn)
{
	if (!rc->err_status && rc->mp_active && multipart_finish(&rc->mp))
		set_error(rc, 400, mp_error(&rc->mp), NULL);
	if (rc->err_status)
		return answer_error(rc, conn, rc->err_status, rc->err_msg,
		                    rc->err_field[0] ? rc->err_field : NULL);
	struct http_response resp = { .status = 200 };
	buf_init(&resp.body, 64 << 20);
	rc->route->fn(&rc->req, &resp);
	enum MHD_Result ok = queue(rc, conn, &resp);
	response_release(&resp);
	return ok;
}

static enum MHD_Result access_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
	struct http_server *s = cls;
	struct req_ctx *rc = *con_cls;
	if (!rc) {
		rc = md_calloc(1, sizeof *rc);
		if (!rc)
			return MHD_NO;
		*con_cls = rc;
	}
	if (!rc->started) {
		rc->started = true;
		atomic_fetch_add(&s->active, 1);
		rc->srv = s;
		rc->start_ms = md_mono_ms();
		rc->req.conn = conn;
		snprintf(rc->method, sizeof rc->method, "%s", method);
		rc->req.method = rc->method;
		set_request_id(rc, conn);
		return begin_request(s, rc, conn, url, method);
	}
	if (rc->status)
		return MHD_YES; /* answered early; MHD discards the rest of the upload */
	if (*upload_data_size) {
		bool keep = take_body(rc, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return keep ? MHD_YES : MHD_NO;
	}
	return finish_request(rc, conn);
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	struct http_server *s = cls;
	struct req_ctx *rc = *con_cls;
	if (!rc)
		return;
	double ms = (double)(md_mono_ms() - rc->start_ms);
	if (rc->route)
		metrics_observe(&rc->route->m, rc->status ? rc->status : 499, ms);
	struct buf f;
	buf_init(&f, 1024);
	if (buf_printf(&f, "\"method\":\"%s\",\"path\":", rc->method) ||
	    buf_put_json_string(&f, rc->req.path, strlen(rc->req.path)) ||
	    buf_printf(&f,
	               ",\"route\":\"%s\",\"status\":%d,\"duration_ms\":%.0f,\"bytes_in\":%llu,"
	               "\"request_id\":\"%s\"%s",
	               rc->route && rc->route != &s->unrouted ? rc->route->pattern : "", rc->status,
	               ms, (unsigned long long)rc->bytes_in, rc->req.request_id,
	               toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : ",\"aborted\":true"))
		buf_reset(&f); /* a line without fields beats a broken one */
	md_log_buffered("request", f.data);
	buf_release(&f);
	if (rc->req.stream_state) {
		rc->route->o.stream->end(rc->req.stream_state);
		rc->req.stream_state = NULL;
	}
	if (rc->mp_active)
		multipart_release(&rc->mp);
	for (size_t i = 0; i < rc->req.nparts; i++)
		buf_release(&rc->req.parts[i].data);
	buf_release(&rc->req.body);
	bool counted = rc->started;
	md_free(rc);
	*con_cls = NULL;
	if (counted)
		atomic_fetch_sub(&s->active, 1);
}

/* ---- lifecycle ---- */

int http_server_new(const struct http_server_opts *o, struct http_server **out)
{
	struct http_server *s = md_calloc(1, sizeof *s);
	if (!s)
		return MD_ENOMEM;
	s->o = *o;
	if (!s->o.connection_limit)
		s->o.connection_limit = 1024;
	if (!s->o.idle_timeout_s)
		s->o.idle_timeout_s = 30;
	if (!s->o.header_limit)
		s->o.header_limit = 16 * 1024;
	if (s->o.tick_ms <= 0 || s->o.tick_ms > 5000)
		s->o.tick_ms = 5000;
	if (s->o.threads <= 0)
		s->o.threads = (int)sysconf(_SC_NPROCESSORS_ONLN);
	router_init(&s->router);
	pthread_mutex_init(&s->streams_lock, NULL);
	pthread_mutex_init(&s->tick_lock, NULL);
	pthread_cond_init(&s->tick_cond, NULL);
	pthread_mutex_init(&s->unrouted.m.lock, NULL);
	snprintf(s->unrouted.method, sizeof s->unrouted.method, "ANY");
	*out = s;
	return 0;
}

int http_server_route(struct http_server *s, const char *method, const char *pattern,
                      http_handler_fn fn, const struct http_route_opts *o)
{
	if (s->nroutes == MAX_ROUTES)
		return MD_ELIMIT;
	struct route_def *r = &s->routes[s->nroutes];
	snprintf(r->method, sizeof r->method, "%s", method);
	snprintf(r->pattern, sizeof r->pattern, "%s", pattern);
	r->fn = fn;
	if (o)
		r->o = *o;
	pthread_mutex_init(&r->m.lock, NULL);
	int rc = router_add(&s->router, method, pattern, r, 0);
	if (!rc)
		s->nroutes++;
	return rc;
}

static int parse_listen(const char *listen, struct sockaddr_storage *ss, bool *v6)
{
	char host[128] = "";
	const char *port;
	if (listen[0] == '[') {
		const char *e = strchr(listen, ']');
		if (!e || e[1] != ':' || (size_t)(e - listen - 1) >= sizeof host)
			return MD_EINVAL;
		memcpy(host, listen + 1, (size_t)(e - listen - 1));
		port = e + 2;
	} else {
		const char *c = strrchr(listen, ':');
		if (!c || (size_t)(c - listen) >= sizeof host)
			return MD_EINVAL;
		memcpy(host, listen, (size_t)(c - listen));
		host[c - listen] = '\0';
		port = c + 1;
	}
	char *end;
	unsigned long p = strtoul(port, &end, 10);
	if (*end || end == port || p > 65535)
		return MD_EINVAL;
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (!host[0] || !strcmp(host, "0.0.0.0")) {
		a4->sin_family = AF_INET;
		a4->sin_addr.s_addr = htonl(INADDR_ANY);
		a4->sin_port = htons((uint16_t)p);
		*v6 = false;
	} else if (inet_pton(AF_INET, host, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		a4->sin_port = htons((uint16_t)p);
		*v6 = false;
	} else if (inet_pton(AF_INET6, host, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		a6->sin6_port = htons((uint16_t)p);
		*v6 = true;
	} else {
		return MD_EINVAL;
	}
	return 0;
}

int http_server_start(struct http_server *s, char *err, size_t errcap)
{
	struct sockaddr_storage ss;
	bool v6 = false;
	if (parse_listen(s->o.listen, &ss, &v6)) {
		snprintf(err, errcap, "invalid listen address %s (want HOST:PORT)", s->o.listen);
		return MD_EINVAL;
	}
	unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
	                 MHD_USE_ERROR_LOG | MHD_USE_TURBO;
	if (v6)
		flags |= MHD_USE_IPv6;
	s->d = MHD_start_daemon(
	    flags, 0, NULL, NULL, access_handler, s, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->o.threads, MHD_OPTION_CONNECTION_LIMIT,
	    s->o.connection_limit, MHD_OPTION_CONNECTION_TIMEOUT, s->o.idle_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024), MHD_OPTION_LISTEN_BACKLOG_SIZE,
	    1024u, MHD_OPTION_NOTIFY_COMPLETED, completed, s, MHD_OPTION_URI_LOG_CALLBACK,
	    uri_logger, s, MHD_OPTION_END);
	if (!s->d) {
		snprintf(err, errcap, "cannot listen on %s", s->o.listen);
		return MD_EIO;
	}
	s->ticker_started = pthread_create(&s->ticker, NULL, ticker_main, s) == 0;
	return 0;
}

unsigned http_server_port(struct http_server *s)
{
	const union MHD_DaemonInfo *i = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
	return i ? i->port : 0;
}

void http_server_stop(struct http_server *s, int64_t grace_ms)
{
	if (!s)
		return;
	atomic_store(&s->stopping, true);
	if (s->d) {
		MHD_quiesce_daemon(s->d);
		int64_t deadline = md_mono_ms() + grace_ms;
		/* Streams end at once; other requests get the grace period to finish. */
		do {
			wake_all_streams(s, true);
			if (atomic_load(&s->active) == 0)
				break;
			md_sleep_ms(20);
		} while (md_mono_ms() < deadline);
	}
	if (s->ticker_started) {
		pthread_mutex_lock(&s->tick_lock);
		pthread_cond_broadcast(&s->tick_cond);
		pthread_mutex_unlock(&s->tick_lock);
		pthread_join(s->ticker, NULL);
	}
	if (s->d)
		MHD_stop_daemon(s->d);
	md_log_flush();
	router_release(&s->router);
	md_free(s);
}
