/*
 * router.c: a linear route table. With a few dozen routes a scan is faster than a tree and far
 * easier to prove correct: every route is checked against the split path and the most specific
 * match wins (see router.h for the rules).
 */
#include "http/router.h"

struct route_seg {
	const char *ptr; /* literal text, or the parameter name without ':' (NUL-terminated) */
	size_t len;
	bool param;
};

struct route_entry {
	char method[ROUTER_METHOD_MAX];
	char *pattern; /* the registered pattern, as given */
	char *names;   /* a copy of the pattern where parameter names are NUL-terminated */
	void *handler;
	unsigned flags;
	size_t nseg;
	struct route_seg seg[ROUTER_MAX_SEGMENTS];
};

struct path_segs {
	size_t n;
	struct slice seg[ROUTER_MAX_SEGMENTS];
};

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_unreserved(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '.' || c == '_' || c == '~';
}

static bool is_literal_char(unsigned char c)
{
	return is_unreserved(c) || (c && strchr("!$&'()*+,;=:@", c));
}

static bool is_name_char(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static bool is_dot_segment(const char *p, size_t n)
{
	return (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.');
}

void router_init(struct router *r)
{
	r->routes = NULL;
	r->nroutes = 0;
	r->alloc = 0;
}

void router_release(struct router *r)
{
	for (size_t i = 0; i < r->nroutes; i++) {
		md_free(r->routes[i].pattern);
		md_free(r->routes[i].names);
	}
	md_free(r->routes);
	router_init(r);
}

static bool valid_method(const char *method)
{
	size_t n = method ? strlen(method) : 0;
	if (n == 0 || n >= ROUTER_METHOD_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)method[i]))
			return false;
	return true;
}

/* Splits e->names (a copy of the pattern) into segments; returns 0 or MD_EINVAL. */
static int parse_pattern(struct route_entry *e)
{
	char *p = e->names;
	size_t nparams = 0;
	if (p[0] != '/')
		return MD_EINVAL;
	if (p[1] == '\0')
		return 0; /* "/" has no segments */
	while (*p == '/') {
		char *s = ++p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - s);
		if (len == 0 || e->nseg == ROUTER_MAX_SEGMENTS || is_dot_segment(s, len))
			return MD_EINVAL;
		struct route_seg *seg = &e->seg[e->nseg++];
		seg->param = s[0] == ':';
		seg->ptr = seg->param ? s + 1 : s;
		seg->len = seg->param ? len - 1 : len;
		for (size_t i = 0; i < seg->len; i++) {
			unsigned char c = (unsigned char)seg->ptr[i];
			if (seg->param ? !is_name_char(c) : !is_literal_char(c))
				return MD_EINVAL;
		}
		if (seg->param) {
			if (seg->len == 0 || ++nparams > ROUTER_MAX_PARAMS)
				return MD_EINVAL;
			for (size_t j = 0; j + 1 < e->nseg; j++)
				if (e->seg[j].param && e->seg[j].len == seg->len &&
				    memcmp(e->seg[j].ptr, seg->ptr, seg->len) == 0)
					return MD_EINVAL;
		}
	}
	if (*p != '\0')
		return MD_EINVAL;
	/* Terminate the parameter names in place; literals keep their lengths. */
	for (size_t i = 0; i < e->nseg; i++)
		if (e->seg[i].param)
			((char *)e->seg[i].ptr)[e->seg[i].len] = '\0';
	return 0;
}

/* True when a and b have the same shape: same literals at the same places, params elsewhere. */
static bool same_shape(const struct route_entry *a, const struct route_entry *b)
{
	if (a->nseg != b->nseg)
		return false;
	for (size_t i = 0; i < a->nseg; i++) {
		const struct route_seg *x = &a->seg[i], *y = &b->seg[i];
		if (x->param != y->param)
			return false;
		if (!x->param && (x->len != y->len || memcmp(x->ptr, y->ptr, x->len) != 0))
			return false;
	}
	return true;
}

static int check_conflicts(const struct router *r, const struct route_entry *e)
{
	size_t methods = 0;
	for (size_t i = 0; i < r->nroutes; i++) {
		if (!same_shape(&r->routes[i], e))
			continue;
		if (strcmp(r->routes[i].method, e->method) == 0)
			return MD_ECONFLICT;
		methods++;
	}
	return methods >= ROUTER_MAX_METHODS ? MD_ELIMIT : 0;
}

static int reserve_route(struct router *r)
{
	if (r->nroutes < r->alloc)
		return 0;
	if (r->nroutes >= ROUTER_MAX_ROUTES)
		return MD_ELIMIT;
	size_t n = r->alloc ? r->alloc * 2 : 16;
	n = MD_MIN(n, (size_t)ROUTER_MAX_ROUTES);
	struct route_entry *p = md_realloc(r->routes, n * sizeof(*p));
	if (!p)
		return MD_ENOMEM;
	r->routes = p;
	r->alloc = n;
	return 0;
}

int router_add(struct router *r, const char *method, const char *pattern, void *handler,
               unsigned flags_or_userdata)
{
	if (!valid_method(method) || !pattern || strlen(pattern) > ROUTER_MAX_PATH)
		return MD_EINVAL;
	struct route_entry e = { .handler = handler, .flags = flags_or_userdata };
	memcpy(e.method, method, strlen(method) + 1);
	e.pattern = md_strdup(pattern);
	e.names = md_strdup(pattern);
	int rc = MD_ENOMEM;
	if (!e.pattern || !e.names)
		goto out_free;
	rc = parse_pattern(&e);
	if (rc)
		goto out_free;
	rc = check_conflicts(r, &e);
	if (rc)
		goto out_free;
	rc = reserve_route(r);
	if (rc)
		goto out_free;
	r->routes[r->nroutes++] = e;
	return 0;
out_free:
	md_free(e.pattern);
	md_free(e.names);
	return rc;
}

/* Splits a path into segments, enforcing the rejection rules of router.h. */
static bool split_path(const char *path, size_t len, struct path_segs *ps)
{
	ps->n = 0;
	if (!path || len == 0 || len > ROUTER_MAX_PATH || path[0] != '/')
		return false;
	if (memchr(path, '\0', len))
		return false;
	for (size_t i = 0; i + 2 < len; i++)
		if (path[i] == '%' && path[i + 1] == '2' &&
		    (path[i + 2] == 'F' || path[i + 2] == 'f'))
			return false;
	if (len == 1)
		return true;
	size_t i = 0;
	while (i < len) {
		size_t start = ++i; /* skip the '/' */
		while (i < len && path[i] != '/')
			i++;
		size_t n = i - start;
		if (n == 0 || is_dot_segment(path + start, n) || ps->n == ROUTER_MAX_SEGMENTS)
			return false;
		ps->seg[ps->n++] = (struct slice){ path + start, n };
	}
	return true;
}

static bool valid_param_value(struct slice v)
{
	if (v.len == 0 || v.len > ROUTER_MAX_PARAM_LEN)
		return false;
	for (size_t i = 0; i < v.len; i++)
		if (!is_unreserved((unsigned char)v.ptr[i]))
			return false;
	return true;
}

static bool route_matches(const struct route_entry *e, const struct path_segs *ps)
{
	if (e->nseg != ps->n)
		return false;
	for (size_t i = 0; i < e->nseg; i++) {
		const struct route_seg *s = &e->seg[i];
		if (s->param ? !valid_param_value(ps->seg[i])
		             : (s->len != ps->seg[i].len || memcmp(s->ptr, ps->seg[i].ptr, s->len)))
			return false;
	}
	return true;
}

/* True when a is more specific than b (both match the same path): a literal comes first. */
static bool more_specific(const struct route_entry *a, const struct route_entry *b)
{
	for (size_t i = 0; i < a->nseg; i++)
		if (a->seg[i].param != b->seg[i].param)
			return !a->seg[i].param;
	return false;
}

static void append_allow(char *allow, const char *method)
{
	size_t n = strlen(allow), m = strlen(method);
	if (n + (n ? 2 : 0) + m + 1 > ROUTER_ALLOW_MAX)
		return; /* router_add() bounds the methods per shape, so this cannot happen */
	if (n) {
		memcpy(allow + n, ", ", 2);
		n += 2;
	}
	memcpy(allow + n, method, m + 1);
}

static void fill_params(const struct route_entry *e, const struct path_segs *ps,
                        struct route_match *out)
{
	out->handler = e->handler;
	out->flags = e->flags;
	for (size_t i = 0; i < e->nseg; i++)
		if (e->seg[i].param)
			out->params[out->nparams++] =
			    (struct route_match_param){ e->seg[i].ptr, ps->seg[i] };
}

enum route_result router_match(const struct router *r, const char *method, const char *path,
                               size_t path_len, struct route_match *out)
{
	struct path_segs ps;
	const struct route_entry *best = NULL, *hit = NULL;
	memset(out, 0, sizeof(*out));
	if (!split_path(path, path_len, &ps))
		return ROUTE_NOT_FOUND;
	for (size_t i = 0; i < r->nroutes; i++)
		if (route_matches(&r->routes[i], &ps) &&
		    (!best || more_specific(&r->routes[i], best)))
			best = &r->routes[i];
	if (!best)
		return ROUTE_NOT_FOUND;
	for (size_t i = 0; i < r->nroutes; i++) {
		const struct route_entry *e = &r->routes[i];
		if (!same_shape(e, best))
			continue;
		append_allow(out->allow, e->method);
		if (!hit && method && strcmp(e->method, method) == 0)
			hit = e;
	}
	out->pattern = best->pattern;
	if (!hit)
		return ROUTE_METHOD_NOT_ALLOWED;
	out->pattern = hit->pattern;
	fill_params(hit, &ps, out);
	return ROUTE_FOUND;
}

struct slice route_param(const struct route_match *m, const char *name)
{
	for (size_t i = 0; i < m->nparams; i++)
		if (strcmp(m->params[i].name, name) == 0)
			return m->params[i].value;
	return (struct slice){ NULL, 0 };
}

/*
 * Decodes the form-encoded byte at s[*i] and advances *i. Returns the byte (0..255) or -1 for
 * a bad escape or an escaped NUL.
 */
static int decode_at(struct slice s, size_t *i)
{
	unsigned char c = (unsigned char)s.ptr[*i];
	if (c == '+') {
		(*i)++;
		return ' ';
	}
	if (c != '%') {
		(*i)++;
		return c;
	}
	if (s.len - *i < 3)
		return -1;
	int hi = md_hex_digit(s.ptr[*i + 1]), lo = md_hex_digit(s.ptr[*i + 2]);
	if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
		return -1;
	*i += 3;
	return hi * 16 + lo;
}

static bool key_equals(struct slice key, const char *name)
{
	size_t i = 0, j = 0, n = strlen(name);
	while (i < key.len) {
		int c = decode_at(key, &i);
		if (c < 0 || j == n || (unsigned char)name[j] != c)
			return false;
		j++;
	}
	return j == n;
}

static int decode_value(struct slice v, char *out, size_t cap)
{
	size_t i = 0, o = 0;
	while (i < v.len) {
		int c = decode_at(v, &i);
		if (c < 0)
			return MD_EINVAL;
		if (o + 1 >= cap)
			return MD_ELIMIT;
		out[o++] = (char)c;
	}
	out[o] = '\0';
	return 0;
}

int query_param(struct slice query, const char *name, char *out, size_t cap)
{
	if (cap == 0)
		return MD_ELIMIT;
	out[0] = '\0';
	if (!query.ptr)
		return MD_ENOTFOUND;
	if (query.len && query.ptr[0] == '?') {
		query.ptr++;
		query.len--;
	}
	size_t i = 0;
	while (i <= query.len) {
		size_t start = i;
		while (i < query.len && query.ptr[i] != '&')
			i++;
		struct slice pair = { query.ptr + start, i - start };
		i++; /* skip the '&' (or step past the end) */
		const char *eq = memchr(pair.ptr, '=', pair.len);
		struct slice key = { pair.ptr, eq ? (size_t)(eq - pair.ptr) : pair.len };
		if (pair.len == 0 || !key_equals(key, name))
			continue;
		struct slice val = { eq ? eq + 1 : pair.ptr + pair.len,
			             eq ? pair.len - key.len - 1 : 0 };
		int rc = decode_value(val, out, cap);
		if (rc)
			out[0] = '\0';
		return rc;
	}
	return MD_ENOTFOUND;
}
