/*
 * router.h: maps (method, path) to a handler, with path parameters ("/v1/jobs/:jobId/events").
 *
 * The router owns a table of routes registered once at start-up (router_add) and is read-only
 * afterwards, so any number of threads may call router_match() at the same time.
 *
 * Matching rules, chosen so that a path can never smuggle anything into a handler:
 *  - a path is rejected (ROUTE_NOT_FOUND) when it is empty, longer than ROUTER_MAX_PATH, does
 *    not start with '/', contains a NUL byte or a percent-encoded slash ("%2F"/"%2f"), has an
 *    empty segment ("//", or a trailing slash), or a "." or ".." segment;
 *  - parameter values are not decoded and must be 1..ROUTER_MAX_PARAM_LEN bytes of
 *    [A-Za-z0-9._~-], so an id can never carry a slash, a dot segment or an escape;
 *  - literal segments beat parameters, leftmost first: "/v1/jobs/stats" beats "/v1/jobs/:id"
 *    whatever the method. The most specific pattern that matches the path decides the
 *    resource; if none of its routes has the method, the answer is ROUTE_METHOD_NOT_ALLOWED
 *    with the methods it does have (never a less specific pattern's handler);
 *  - methods compare case-sensitively (RFC 9110); HEAD is not mapped to GET here.
 * The query string is not the router's business: the caller cuts the path at '?' and may use
 * query_param() on the rest.
 */
#ifndef MATCHD_HTTP_ROUTER_H
#define MATCHD_HTTP_ROUTER_H

#include "base/common.h"

#define ROUTER_MAX_ROUTES 256
#define ROUTER_MAX_SEGMENTS 16
#define ROUTER_MAX_PARAMS 8
#define ROUTER_MAX_PATH 2048
#define ROUTER_MAX_PARAM_LEN 128
#define ROUTER_METHOD_MAX 16 /* a method is 1..15 token characters */
#define ROUTER_MAX_METHODS 8 /* distinct methods per pattern */
#define ROUTER_ALLOW_MAX (ROUTER_MAX_METHODS * (ROUTER_METHOD_MAX + 2))

enum route_result {
	ROUTE_FOUND = 0,
	ROUTE_NOT_FOUND = 1,
	ROUTE_METHOD_NOT_ALLOWED = 2,
};

struct route_entry; /* private to router.c */

struct router {
	struct route_entry *routes;
	size_t nroutes;
	size_t alloc;
};

struct route_match_param {
	const char *name;   /* from the pattern, NUL-terminated, owned by the router */
	struct slice value; /* points into the path given to router_match() */
};

struct route_match {
	void *handler;  /* ROUTE_FOUND: what router_add() was given */
	unsigned flags; /* ROUTE_FOUND: flags_or_userdata of router_add() */
	const char
	    *pattern; /* FOUND and METHOD_NOT_ALLOWED: the pattern, e.g. for metrics labels */
	size_t nparams;
	struct route_match_param params[ROUTER_MAX_PARAMS];
	/* FOUND and METHOD_NOT_ALLOWED: "GET, POST" in registration order, for the Allow header. */
	char allow[ROUTER_ALLOW_MAX];
};

/* Initialises an empty router. Allocates nothing. */
void router_init(struct router *r);
/* Frees every route; the router is empty and reusable afterwards. */
void router_release(struct router *r);

/*
 * Registers handler for method and pattern. A pattern is "/" or '/'-separated non-empty
 * segments, each a literal (unreserved characters, sub-delims, ':' '@'; not "." or "..") or a
 * parameter ":name" (name is [A-Za-z0-9_]+, unique within the pattern), at most
 * ROUTER_MAX_SEGMENTS segments and ROUTER_MAX_PARAMS parameters. The strings are copied.
 * Returns 0, MD_EINVAL (bad method or pattern), MD_ECONFLICT (the same method on a pattern
 * of the same shape, whatever its parameter names), MD_ELIMIT or MD_ENOMEM.
 */
MD_WUR int router_add(struct router *r, const char *method, const char *pattern, void *handler,
                      unsigned flags_or_userdata);

/*
 * Matches method and the path (path_len bytes, no query string, need not be NUL-terminated).
 * Fills *out and returns an enum route_result. On ROUTE_NOT_FOUND out->handler is NULL,
 * out->nparams is 0 and out->allow is "". Parameter slices point into path.
 */
enum route_result router_match(const struct router *r, const char *method, const char *path,
                               size_t path_len, struct route_match *out);

/* Returns the value of the parameter called name, or { NULL, 0 } when there is none. */
struct slice route_param(const struct route_match *m, const char *name);

/*
 * Finds the first parameter called name in query ("a=1&b=x%20y", a leading '?' is skipped),
 * percent-decodes its value ('+' is a space) into out (cap bytes, NUL-terminated). A parameter
 * without '=' has the empty value. Keys are decoded before comparison; a key with a bad escape
 * matches nothing. Returns 0, MD_ENOTFOUND, MD_EINVAL (a bad or %00 escape in the value) or
 * MD_ELIMIT (it does not fit). On error out is "" when cap > 0.
 */
MD_WUR int query_param(struct slice query, const char *name, char *out, size_t cap);

#endif
