/*
 * fuzz_router.c: libFuzzer harness for the router and query_param().
 *
 * Input layout: byte 0 picks the method, the rest is a request target; the part before the
 * first '?' goes to router_match() against the project's route table, the part after it to
 * query_param() under a few names and buffer sizes. Invariants: a found route rebuilds the
 * exact path from its pattern and parameters, parameters are 1..128 bytes of
 * [A-Za-z0-9._~-] inside the path, a 405 lists methods that exclude the request's, and a
 * decoded query value is never longer than the query.
 */
#include "base/common.h"
#include "http/router.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_router: invariant failed: %s (line %d)\n", #cond,    \
			        __LINE__);                                                         \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static const struct {
	const char *method, *pattern;
} table[] = {
	{ "GET", "/healthz" },
	{ "GET", "/readyz" },
	{ "GET", "/metrics" },
	{ "GET", "/v1/openapi.json" },
	{ "GET", "/v1/jobs" },
	{ "POST", "/v1/jobs" },
	{ "GET", "/v1/jobs/:jobId" },
	{ "DELETE", "/v1/jobs/:jobId" },
	{ "GET", "/v1/jobs/:jobId/events" },
	{ "POST", "/v1/jobs/:jobId/cancel" },
	{ "POST", "/api/v1/cvdeepmatch/submit" },
	{ "GET", "/api/v1/cvdeepmatch/:id" },
	{ "GET", "/v1/credits" },
	{ "GET", "/v1/webhooks/deliveries" },
	{ "POST", "/v1/webhooks/deliveries/:id/redeliver" },
	{ "POST", "/v1/matching/configs/:id/run" },
	{ "GET", "/v1/matching/runs/:id" },
	{ "GET", "/v1/matching/by-job/:jobId" },
};

static const char *const methods[] = { "GET",  "POST",    "DELETE", "PUT", "PATCH",
	                               "HEAD", "OPTIONS", "get",    "" };

static bool param_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

/* Rebuilds the path from the matched pattern and parameters; it must equal the input. */
static void check_found(const struct route_match *m, const char *path, size_t len)
{
	char rebuilt[ROUTER_MAX_PATH + 1];
	size_t o = 0;
	CHECK(m->handler && m->pattern && m->nparams <= ROUTER_MAX_PARAMS);
	for (size_t i = 0; i < m->nparams; i++) {
		struct slice v = m->params[i].value;
		CHECK(v.ptr >= path && v.ptr + v.len <= path + len);
		CHECK(v.len >= 1 && v.len <= ROUTER_MAX_PARAM_LEN);
		for (size_t j = 0; j < v.len; j++)
			CHECK(param_char(v.ptr[j]));
	}
	for (const char *p = m->pattern; *p;) {
		const char *seg_end = strchr(p + 1, '/');
		size_t n = seg_end ? (size_t)(seg_end - p) : strlen(p);
		struct slice piece = { p, n };
		char name[64];
		if (n > 1 && p[1] == ':') {
			CHECK(n - 2 < sizeof(name));
			memcpy(name, p + 2, n - 2);
			name[n - 2] = '\0';
			struct slice v = route_param(m, name);
			CHECK(v.ptr && o + 1 + v.len <= ROUTER_MAX_PATH);
			rebuilt[o++] = '/';
			memcpy(rebuilt + o, v.ptr, v.len);
			o += v.len;
		} else {
			CHECK(o + piece.len <= ROUTER_MAX_PATH);
			memcpy(rebuilt + o, piece.ptr, piece.len);
			o += piece.len;
		}
		p += n;
	}
	CHECK(o == len && memcmp(rebuilt, path, len) == 0);
}

static void check_not_allowed(const struct route_match *m, const char *method)
{
	CHECK(!m->handler && m->allow[0] && m->pattern);
	for (const char *p = m->allow; *p;) {
		size_t n = strcspn(p, ",");
		CHECK(!(strlen(method) == n && memcmp(p, method, n) == 0));
		p += n;
		while (*p == ',' || *p == ' ')
			p++;
	}
}

static void fuzz_query(const char *q, size_t qlen)
{
	static const char *const names[] = { "cursor", "limit", "status", "a", "", "q r" };
	static const size_t caps[] = { 1, 4, 64, 4096 };
	char out[4096];
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		for (size_t j = 0; j < ARRAY_SIZE(caps); j++) {
			memset(out, 'Z', caps[j]);
			int rc = query_param((struct slice){ q, qlen }, names[i], out, caps[j]);
			CHECK(rc == 0 || rc == MD_ENOTFOUND || rc == MD_EINVAL || rc == MD_ELIMIT);
			size_t n = strnlen(out, caps[j]);
			CHECK(n < caps[j]);
			CHECK(rc == 0 ? n <= qlen : n == 0);
		}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *method = methods[data[0] % ARRAY_SIZE(methods)];
	const char *target = (const char *)data + 1;
	size_t tlen = size - 1;
	const char *qmark = memchr(target, '?', tlen);
	size_t plen = qmark ? (size_t)(qmark - target) : tlen;

	struct router r;
	router_init(&r);
	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		CHECK(router_add(&r, table[i].method, table[i].pattern, (void *)&table[i], 0) == 0);

	/* Exact-size copies, so ASan sees any read past the end. */
	char *path = md_malloc(plen ? plen : 1);
	CHECK(path);
	memcpy(path, target, plen);
	struct route_match m;
	enum route_result res = router_match(&r, method, path, plen, &m);
	if (res == ROUTE_FOUND)
		check_found(&m, path, plen);
	else if (res == ROUTE_METHOD_NOT_ALLOWED)
		check_not_allowed(&m, method);
	else
		CHECK(res == ROUTE_NOT_FOUND && !m.handler && m.nparams == 0 && !m.allow[0]);
	md_free(path);

	if (qmark) {
		size_t qlen = tlen - plen - 1;
		char *q = md_malloc(qlen ? qlen : 1);
		CHECK(q);
		memcpy(q, qmark + 1, qlen);
		fuzz_query(q, qlen);
		md_free(q);
	}
	router_release(&r);
	return 0;
}
