#include "platform/webhook_send.h"

#include "base/common.h"
#include "base/timeutil.h"

#include <arpa/inet.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>

static pthread_once_t curl_once = PTHREAD_ONCE_INIT; /* the one process-wide flag */

static void curl_init_once(void)
{
	(void)curl_global_init(CURL_GLOBAL_DEFAULT);
}

void webhook_global_init(void)
{
	pthread_once(&curl_once, curl_init_once);
}

const char *webhook_outcome_name(enum webhook_outcome o)
{
	switch (o) {
	case WEBHOOK_SUCCESS: return "success";
	case WEBHOOK_GONE: return "gone";
	case WEBHOOK_HTTP_ERROR: return "http_error";
	case WEBHOOK_REDIRECT: return "redirect";
	case WEBHOOK_TIMEOUT: return "timeout";
	case WEBHOOK_CONNECT_ERROR: return "connect_error";
	case WEBHOOK_TLS_ERROR: return "tls_error";
	case WEBHOOK_REFUSED_PRIVATE_ADDRESS: return "refused_private_address";
	}
	return "unknown";
}

bool webhook_outcome_final(enum webhook_outcome o)
{
	return o == WEBHOOK_SUCCESS || o == WEBHOOK_GONE;
}

int64_t webhook_next_attempt_delay_ms(int attempt, uint32_t random)
{
	static const int64_t schedule_ms[] = {
		5 * 1000LL,        5 * 60 * 1000LL,   30 * 60 * 1000LL,
		2 * 3600 * 1000LL, 5 * 3600 * 1000LL, 10 * 3600 * 1000LL,
	};
	if (attempt < 1 || (size_t)attempt > ARRAY_SIZE(schedule_ms))
		return -1;
	int64_t base = schedule_ms[attempt - 1];
	/* Map random uniformly onto [0, 400000] parts per million, i.e. a factor 0.8..1.2. */
	int64_t ppm = (int64_t)(((uint64_t)random * 400001u) >> 32);
	return base + base * (ppm - 200000) / 1000000;
}

/* ---- the attempt ---- */

/* Sets the response's message; a long host name may truncate it, which is fine for a message. */
__attribute__((format(printf, 2, 3))) static void set_error(struct webhook_response *r,
                                                            const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	if (vsnprintf(r->error, sizeof r->error, fmt, ap) < 0)
		r->error[0] = '\0';
	va_end(ap);
}

struct sink {
	struct webhook_response *resp;
};

/* Keeps the first WEBHOOK_BODY_MAX bytes; more aborts the transfer, keeping the status. */
static size_t sink_write(char *p, size_t size, size_t n, void *userdata)
{
	struct sink *s = userdata;
	struct webhook_response *r = s->resp;
	size_t len = size * n;
	size_t room = WEBHOOK_BODY_MAX - r->body_len;
	size_t take = MD_MIN(len, room);
	memcpy(r->body + r->body_len, p, take);
	r->body_len += take;
	r->body[r->body_len] = '\0';
	if (take < len) {
		r->body_truncated = true;
		return 0;
	}
	return len;
}

static bool header_value_ok(const char *v)
{
	return v && !strpbrk(v, "\r\n");
}

static int add_header(struct curl_slist **list, const char *name, const char *value)
{
	char line[1024];
	if (md_snprintf(line, sizeof line, "%s: %s", name, value) != 0)
		return MD_EINVAL;
	struct curl_slist *l = curl_slist_append(*list, line);
	if (!l)
		return MD_ENOMEM;
	*list = l;
	return 0;
}

static int build_headers(const struct webhook_request *req, struct curl_slist **list)
{
	char ts[24];
	int ret = md_snprintf(ts, sizeof ts, "%" PRId64, req->timestamp_s);
	if (!ret)
		ret = add_header(list, "Content-Type", "application/json");
	if (!ret)
		ret = add_header(list, "User-Agent", WEBHOOK_USER_AGENT);
	if (!ret)
		ret = add_header(list, "webhook-id", req->msg_id);
	if (!ret)
		ret = add_header(list, "webhook-timestamp", ts);
	if (!ret)
		ret = add_header(list, "webhook-signature", req->signature);
	/* No "Expect: 100-continue" round trip for larger bodies. */
	if (!ret)
		ret = add_header(list, "Expect", "");
	return ret;
}

/* Appends "[addr]" or "addr" for one resolved address to b. */
static int put_addr(struct buf *b, const struct sockaddr *sa)
{
	char text[INET6_ADDRSTRLEN];
	const void *src;
	if (sa->sa_family == AF_INET)
		src = &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	else if (sa->sa_family == AF_INET6)
		src = &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
	else
		return 0;
	if (!inet_ntop(sa->sa_family, src, text, sizeof text))
		return 0;
	if (b->len && b->data[b->len - 1] != ':' && buf_putc(b, ',') != 0)
		return MD_ELIMIT;
	return buf_printf(b, sa->sa_family == AF_INET6 ? "[%s]" : "%s", text);
}

/*
 * Resolves the URL's host with req->resolver and pins libcurl to the answer with an entry
 * "host:port:addr,addr" in *pins. IP literals need no pinning. Fills resp and returns 1 when
 * the name does not resolve.
 */
static int pin_resolution(const struct webhook_request *req, struct curl_slist **pins,
                          struct webhook_response *resp)
{
	char host[256], port[8];
	if (ssrf_url_host_port(req->url, host, sizeof host, port, sizeof port) != 0)
		return 0; /* libcurl will report the URL itself */
	struct in_addr v4;
	if (strchr(host, ':') || inet_aton(host, &v4))
		return 0;
	struct addrinfo *list = NULL;
	if (req->resolver->resolve(req->resolver->ctx, host, port, &list) != 0 || !list) {
		if (list)
			req->resolver->free(req->resolver->ctx, list);
		resp->outcome = WEBHOOK_CONNECT_ERROR;
		set_error(resp, "could not resolve host %s", host);
		return 1;
	}
	struct buf b;
	buf_init(&b, 4096);
	int ret = buf_printf(&b, "%s:%s:", host, port);
	for (struct addrinfo *ai = list; ai && !ret; ai = ai->ai_next)
		if (ai->ai_addr)
			ret = put_addr(&b, ai->ai_addr);
	req->resolver->free(req->resolver->ctx, list);
	if (!ret) {
		struct curl_slist *l = curl_slist_append(NULL, b.data);
		if (!l)
			ret = MD_ENOMEM;
		*pins = l;
	}
	buf_release(&b);
	return ret;
}

static bool is_tls_error(CURLcode c)
{
	switch (c) {
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_SHUTDOWN_FAILED:
	case CURLE_USE_SSL_FAILED: return true;
	default: return false;
	}
}

static enum webhook_outcome outcome_of_status(long status)
{
	if (status >= 200 && status < 300)
		return WEBHOOK_SUCCESS;
	if (status == 410)
		return WEBHOOK_GONE;
	if (status >= 300 && status < 400)
		return WEBHOOK_REDIRECT;
	return WEBHOOK_HTTP_ERROR;
}

/* Turns libcurl's verdict and the guard's record into the outcome and message. */
static void classify_result(CURLcode c, const struct ssrf_guard *g, const char *errbuf,
                            struct webhook_response *r)
{
	bool body_cut = c == CURLE_WRITE_ERROR && r->body_truncated;
	if ((c == CURLE_OK || body_cut) && r->status > 0) {
		r->outcome = outcome_of_status(r->status);
		if (r->outcome != WEBHOOK_SUCCESS)
			set_error(r, "receiver answered HTTP %ld", r->status);
		return;
	}
	if (g->refused && (c == CURLE_COULDNT_CONNECT || c == CURLE_OPERATION_TIMEDOUT)) {
		r->outcome = WEBHOOK_REFUSED_PRIVATE_ADDRESS;
		set_error(r, "refused to connect to %s: a %s address, not public", g->refused_addr,
		          ssrf_class_name(g->refused_class));
		return;
	}
	if (c == CURLE_OPERATION_TIMEDOUT)
		r->outcome = WEBHOOK_TIMEOUT;
	else if (is_tls_error(c))
		r->outcome = WEBHOOK_TLS_ERROR;
	else
		r->outcome = WEBHOOK_CONNECT_ERROR;
	set_error(r, "%s", errbuf[0] ? errbuf : curl_easy_strerror(c));
}

static int set_options(CURL *h, const struct webhook_request *req, struct curl_slist *headers,
                       struct curl_slist *pins, struct sink *sink, char *errbuf)
{
	long timeout = req->timeout_ms > 0 ? req->timeout_ms : WEBHOOK_TIMEOUT_MS;
	long connect =
	    req->connect_timeout_ms > 0 ? req->connect_timeout_ms : WEBHOOK_CONNECT_TIMEOUT_MS;
	CURLcode c = CURLE_OK;
#define SET(opt, val)                                                                              \
	do {                                                                                       \
		if (c == CURLE_OK)                                                                 \
			c = curl_easy_setopt(h, opt, val);                                         \
	} while (0)
	SET(CURLOPT_URL, req->url);
	SET(CURLOPT_PROTOCOLS_STR, "https");
	SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
	SET(CURLOPT_FOLLOWLOCATION, 0L);
	SET(CURLOPT_PROXY, "");
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_TIMEOUT_MS, timeout);
	SET(CURLOPT_CONNECTTIMEOUT_MS, connect);
	SET(CURLOPT_POST, 1L);
	SET(CURLOPT_POSTFIELDS, req->body ? req->body : "");
	SET(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
	SET(CURLOPT_HTTPHEADER, headers);
	SET(CURLOPT_WRITEFUNCTION, sink_write);
	SET(CURLOPT_WRITEDATA, sink);
	SET(CURLOPT_ERRORBUFFER, errbuf);
	if (req->ca_file)
		SET(CURLOPT_CAINFO, req->ca_file);
	if (pins)
		SET(CURLOPT_RESOLVE, pins);
#undef SET
	return c == CURLE_OK ? 0 : MD_EINVAL;
}

static bool request_ok(const struct webhook_request *req)
{
	return req->url && header_value_ok(req->msg_id) && header_value_ok(req->signature) &&
	       (req->body || req->body_len == 0) &&
	       (!req->resolver || (req->resolver->resolve && req->resolver->free));
}

int webhook_send(const struct webhook_request *req, struct webhook_response *resp)
{
	memset(resp, 0, sizeof *resp);
	if (!request_ok(req))
		return MD_EINVAL;
	webhook_global_init();
	int64_t start = md_mono_ms();
	struct curl_slist *headers = NULL, *pins = NULL;
	struct ssrf_guard guard;
	struct sink sink = { resp };
	char errbuf[CURL_ERROR_SIZE] = "";
	ssrf_guard_init(&guard, req->allow_private);

	CURL *h = curl_easy_init();
	int ret = h ? build_headers(req, &headers) : MD_ENOMEM;
	if (!ret && req->resolver) {
		ret = pin_resolution(req, &pins, resp);
		if (ret == 1) {
			ret = 0;
			goto done;
		}
	}
	if (!ret)
		ret = set_options(h, req, headers, pins, &sink, errbuf);
	if (!ret)
		ret = ssrf_curl_install(h, &guard);
	if (ret)
		goto out;
	CURLcode c = curl_easy_perform(h);
	(void)curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
	classify_result(c, &guard, errbuf, resp);
done:
	resp->duration_ms = md_mono_ms() - start;
out:
	curl_easy_cleanup(h);
	curl_slist_free_all(headers);
	curl_slist_free_all(pins);
	return ret;
}
