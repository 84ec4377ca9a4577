/*
 * server.h: the HTTP server on libmicrohttpd. It owns connections, limits, body collection
 * (plain or streamed through the multipart parser, and for routes that opt in, a body or one
 * multipart field handed to the route as it arrives), routing, request ids, the access log,
 * per-route metrics, streaming responses (SSE) with suspend/resume, and graceful shutdown.
 *
 * It knows nothing of the API: handlers are registered with routes, and every error the server
 * itself produces (404, 405, 413, 431, 400 for broken bodies) is rendered by the application's
 * error callback, so each API family keeps its own error vocabulary in the common envelope.
 *
 * Threading: handlers run on libmicrohttpd's worker threads (an epoll pool sized to the
 * cores); a request and its response belong to one thread at a time.
 */
#ifndef MATCHD_HTTP_SERVER_H
#define MATCHD_HTTP_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "http/router.h"

#define HTTP_MAX_PARTS 16
#define HTTP_MAX_RESP_HEADERS 12

struct http_part {
	char name[64];
	char filename[256];
	char content_type[128];
	bool has_filename;
	struct buf data;
};

struct http_request {
	const char *method;
	char path[ROUTER_MAX_PATH + 1];
	struct slice query; /* after '?', not decoded */
	struct route_match match;
	char request_id[72];
	void *conn;      /* the libmicrohttpd connection, for http_header() */
	struct buf body; /* non-multipart bodies */
	struct http_part parts[HTTP_MAX_PARTS];
	size_t nparts;
	bool is_multipart;
	void *route_ctx; /* given at registration */
	const char *route_pattern;
	/*
	 * A streamed body (route option stream): the state its begin() set (NULL when no
	 * streamed bytes began or begin() refused), the first error begin() or data() returned
	 * (0 if none), and how many bytes were streamed. The part of a streamed multipart field
	 * is still listed in parts, with empty data.
	 */
	void *stream_state;
	int stream_rc;
	uint64_t stream_bytes;
};

/* A streaming body (SSE). fill() appends what is ready to out and returns 1 (data added),
 * 0 (nothing yet: the connection sleeps until http_stream_wake) or -1 (end of stream).
 * done() is called once when the connection closes. */
struct http_stream_ops {
	int (*fill)(void *ctx, struct buf *out);
	void (*done)(void *ctx);
};

struct http_stream;

struct http_response {
	int status;
	const char *content_type;
	struct buf body;
	int nheaders;
	char *headers[HTTP_MAX_RESP_HEADERS][2];
	const struct http_stream_ops *stream_ops;
	void *stream_ctx;
	/* Set by the server when a stream starts, so the application can wake it. */
	struct http_stream **stream_handle;
};

typedef void (*http_handler_fn)(struct http_request *req, struct http_response *resp);
/* Renders a server-made error: status, a short reason, and the offending field (or NULL). */
typedef void (*http_error_fn)(struct http_request *req, struct http_response *resp, int status,
                              const char *message, const char *field);

/*
 * An opt-in streamed request body: instead of being buffered, the body (when it is not
 * multipart) or the one multipart field named stream_part is handed to data() as it arrives,
 * in pieces no larger than libmicrohttpd's read buffer (64 KiB), so the server's memory for
 * the request stays bounded whatever its size. Every limit still applies (body_limit: 413;
 * part_limit on the streamed field: 400 naming it). The handler runs once the body has ended,
 * as for any route, and finds the state in req->stream_state.
 */
struct http_body_stream {
	/* The streamed bytes begin: headers are readable (http_header). 0 with *state set, or a
	 * negative code that becomes req->stream_rc: the bytes are then read and dropped. */
	int (*begin)(struct http_request *req, void **state);
	/* The next bytes (len > 0). A negative return becomes req->stream_rc; the rest of the
	 * bytes are dropped and the handler still runs. */
	int (*data)(void *state, const char *data, size_t len);
	/* Called exactly once for a state begin() set, when the request ends: after the handler
	 * answered, or when the body broke a limit or the client went away. */
	void (*end)(void *state);
};

struct http_route_opts {
	size_t body_limit; /* hard cap on the request body; 0 = no body accepted */
	bool multipart;    /* accept multipart/form-data, parsed as it streams */
	size_t part_limit; /* cap on one part's data (over it: 400 naming the field) */
	const struct http_body_stream *stream; /* NULL: bodies are buffered */
	const char *stream_part; /* the multipart field that streams (others are buffered) */
	void *ctx;
};

struct http_server_opts {
	const char *listen; /* "127.0.0.1:8080", "[::1]:8080" or ":8080" */
	int threads;        /* 0 = number of cores */
	unsigned connection_limit;
	unsigned idle_timeout_s;
	size_t header_limit; /* total bytes of request headers (431 over it) */
	int64_t tick_ms;     /* how often sleeping streams are woken to consider a heartbeat */
	http_error_fn on_error;
};

struct http_server;

int http_server_new(const struct http_server_opts *o, struct http_server **out);
/* Registers a route before http_server_start. */
int http_server_route(struct http_server *s, const char *method, const char *pattern,
                      http_handler_fn fn, const struct http_route_opts *o);
int http_server_start(struct http_server *s, char *err, size_t errcap);
/* The port actually bound (useful with port 0). */
unsigned http_server_port(struct http_server *s);
/*
 * Graceful stop: stop accepting, end every stream, wait up to grace_ms for in-flight requests,
 * then stop the daemon. Frees the server.
 */
void http_server_stop(struct http_server *s, int64_t grace_ms);

/* Wakes a sleeping stream so fill() is called again. Safe from any thread. */
void http_stream_wake(struct http_stream *st);

/* Request helpers. */
const char *http_header(const struct http_request *req, const char *name);
const struct http_part *http_part(const struct http_request *req, const char *name);

/* Response helpers. */
int http_response_header(struct http_response *resp, const char *name, const char *value);
void http_response_json(struct http_response *resp, int status, const char *json);

/* Prometheus text of the per-route request counters and latency histograms. */
int http_server_metrics(struct http_server *s, struct buf *out);

#endif
