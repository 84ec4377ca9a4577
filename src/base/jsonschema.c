/*
 * jsonschema.c: the validator behind jsonschema.h. One recursive walk over schema and
 * instance; the instance position is kept as a JSON pointer built in place.
 */
#include "base/common.h"

#include <math.h>
#include <regex.h>
#include <stdarg.h>

#include "base/jsonschema.h"

/* Room kept at the end of the pointer buffer for the "/..." that marks a cut pointer. */
#define PTR_ELLIPSIS "/..."
#define PTR_ROOM (JSONSCHEMA_POINTER_MAX - sizeof(PTR_ELLIPSIS))

struct vctx {
	jsonschema_resolve_fn resolve;
	void *rctx;
	unsigned max_depth;
	unsigned max_errors;
	unsigned long steps, max_steps;
	struct jsonschema_errors *out;
	/* >0 while trying anyOf/oneOf branches: errors are counted, not recorded. */
	unsigned quiet;
	/* Errors raised so far in the current mode (recorded or counted). */
	size_t nerr;
	/* Set when a branch failed on "type" at its own position: a shape mismatch. */
	bool type_miss;
	size_t branch_ptr_len; /* that position: the pointer length when the branch began */
	/* A negative md_err ends the walk. */
	int fatal;
	bool stop;
	char ptr[JSONSCHEMA_POINTER_MAX];
	size_t ptr_len;
	unsigned ptr_cut; /* segments that did not fit */
};

static void validate(struct vctx *c, const json_t *doc, const json_t *schema, const json_t *inst,
                     unsigned depth);

/* ---- JSON pointer ---- */

int jsonschema_pointer_append(char *dst, size_t cap, const char *key)
{
	size_t len = strnlen(dst, cap);
	size_t need = 1;
	for (const char *p = key; *p; p++)
		need += (*p == '~' || *p == '/') ? 2 : 1;
	if (len >= cap || need >= cap - len)
		return MD_ELIMIT;
	char *w = dst + len;
	*w++ = '/';
	for (const char *p = key; *p; p++) {
		if (*p == '~' || *p == '/') {
			*w++ = '~';
			*w++ = *p == '~' ? '0' : '1';
		} else {
			*w++ = *p;
		}
	}
	*w = '\0';
	return 0;
}

/* Pushes a segment; returns the length to restore with ptr_pop(). */
static size_t ptr_push(struct vctx *c, const char *key)
{
	size_t saved = c->ptr_len;
	if (c->ptr_cut || jsonschema_pointer_append(c->ptr, PTR_ROOM, key) != 0)
		c->ptr_cut++;
	else
		c->ptr_len = strlen(c->ptr);
	return saved;
}

static size_t ptr_push_index(struct vctx *c, size_t i)
{
	char num[24];
	if (md_snprintf(num, sizeof num, "%zu", i) != 0)
		num[0] = '\0';
	return ptr_push(c, num);
}

static void ptr_pop(struct vctx *c, size_t saved)
{
	if (c->ptr_cut) {
		c->ptr_cut--; /* the cut push left ptr unchanged */
		return;
	}
	c->ptr_len = saved;
	c->ptr[saved] = '\0';
}

/* ---- errors ---- */

static void fail(struct vctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void fail(struct vctx *c, const char *fmt, ...)
{
	c->nerr++;
	if (c->quiet) {
		/* A branch's error count only ranks branches: no need to count far. */
		if (c->nerr > c->max_errors)
			c->stop = true;
		return;
	}
	if (!c->out) {
		c->stop = true; /* only the verdict is wanted */
		return;
	}
	struct jsonschema_errors *o = c->out;
	if (o->count >= c->max_errors) {
		o->truncated = true;
		c->stop = true;
		return;
	}
	struct jsonschema_error *e = &o->items[o->count++];
	memcpy(e->pointer, c->ptr, c->ptr_len + 1);
	if (c->ptr_cut)
		memcpy(e->pointer + c->ptr_len, PTR_ELLIPSIS, sizeof(PTR_ELLIPSIS));
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(e->message, sizeof e->message, fmt, ap);
	va_end(ap);
	if (n < 0)
		e->message[0] = '\0';
}

static void fatal(struct vctx *c, int err)
{
	if (!c->fatal)
		c->fatal = err;
	c->stop = true;
}

/* ---- values ---- */

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "object";
	case JSON_ARRAY: return "array";
	case JSON_STRING: return "string";
	case JSON_INTEGER: return "integer";
	case JSON_REAL: return "number";
	case JSON_TRUE:
	case JSON_FALSE: return "boolean";
	case JSON_NULL: return "null";
	}
	return "unknown";
}

static bool is_integral(const json_t *v)
{
	if (json_is_integer(v))
		return true;
	if (!json_is_real(v))
		return false;
	double d = json_real_value(v);
	return isfinite(d) && floor(d) == d;
}

static bool has_type(const json_t *v, const char *t)
{
	if (!strcmp(t, "number"))
		return json_is_number(v);
	if (!strcmp(t, "integer"))
		return is_integral(v);
	if (!strcmp(t, "boolean"))
		return json_is_boolean(v);
	return !strcmp(t, type_name(v));
}

/* Equality as JSON Schema defines it: numbers by value, objects regardless of key order. */
static bool values_equal(const json_t *a, const json_t *b, unsigned depth)
{
	if (depth > JSONSCHEMA_MAX_DEPTH)
		return false;
	if (json_is_number(a) && json_is_number(b)) {
		if (json_is_integer(a) && json_is_integer(b))
			return json_integer_value(a) == json_integer_value(b);
		return json_number_value(a) == json_number_value(b);
	}
	if (json_typeof(a) != json_typeof(b))
		return false;
	switch (json_typeof(a)) {
	case JSON_STRING:
		return json_string_length(a) == json_string_length(b) &&
		       !memcmp(json_string_value(a), json_string_value(b), json_string_length(a));
	case JSON_ARRAY:
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!values_equal(json_array_get(a, i), json_array_get(b, i), depth + 1))
				return false;
		return true;
	case JSON_OBJECT: {
		if (json_object_size(a) != json_object_size(b))
			return false;
		const char *k;
		json_t *va;
		json_object_foreach((json_t *)a, k, va)
		{
			json_t *vb = json_object_get(b, k);
			if (!vb || !values_equal(va, vb, depth + 1))
				return false;
		}
		return true;
	}
	default: return true; /* true, false, null: same type is same value */
	}
}

/* Counts code points of valid UTF-8: every byte that is not a continuation byte. */
static size_t utf8_length(const char *s, size_t n)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			count++;
	return count;
}

/* Writes a short JSON rendering of v into dst for messages ("\"card\"", "2"). */
static void render(const json_t *v, char *dst, size_t cap)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!s) {
		if (md_snprintf(dst, cap, "%s", type_name(v)) != 0)
			dst[0] = '\0';
		return;
	}
	size_t n = strlen(s);
	if (n >= cap && cap > 4) {
		memcpy(dst, s, cap - 4);
		memcpy(dst + cap - 4, "...", 4);
	} else {
		memcpy(dst, s, MD_MIN(n, cap - 1));
		dst[MD_MIN(n, cap - 1)] = '\0';
	}
	free(s); /* json_dumps uses jansson's allocator, which is malloc */
}

/* ---- formats ---- */

static bool digits(const char *s, int n)
{
	for (int i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

static int num(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++)
		v = v * 10 + (s[i] - '0');
	return v;
}

bool jsonschema_is_date(const char *s)
{
	if (strlen(s) != 10 || !digits(s, 4) || s[4] != '-' || !digits(s + 5, 2) || s[7] != '-' ||
	    !digits(s + 8, 2))
		return false;
	int y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return !(m == 2 && d == 29 && !leap);
}

bool jsonschema_is_date_time(const char *s)
{
	char date[11];
	if (strlen(s) < 20)
		return false;
	memcpy(date, s, 10);
	date[10] = '\0';
	if (!jsonschema_is_date(date) || (s[10] != 'T' && s[10] != 't'))
		return false;
	const char *t = s + 11;
	if (!digits(t, 2) || t[2] != ':' || !digits(t + 3, 2) || t[5] != ':' || !digits(t + 6, 2))
		return false;
	if (num(t, 2) > 23 || num(t + 3, 2) > 59 || num(t + 6, 2) > 60)
		return false;
	t += 8;
	if (*t == '.') {
		t++;
		if (*t < '0' || *t > '9')
			return false;
		while (*t >= '0' && *t <= '9')
			t++;
	}
	if ((*t == 'Z' || *t == 'z') && t[1] == '\0')
		return true;
	if (*t != '+' && *t != '-')
		return false;
	t++;
	return strlen(t) == 5 && digits(t, 2) && t[2] == ':' && digits(t + 3, 2) &&
	       num(t, 2) <= 23 && num(t + 3, 2) <= 59;
}

static bool is_hex(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F');
}

static bool is_alpha(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

bool jsonschema_is_uri(const char *s)
{
	if (!is_alpha(s[0]))
		return false;
	const char *p = s + 1;
	while (is_alpha(*p) || (*p >= '0' && *p <= '9') || *p == '+' || *p == '-' || *p == '.')
		p++;
	if (*p != ':')
		return false;
	const char *rest = ++p;
	static const char allowed[] = "-._~:/?#[]@!$&'()*+,;=";
	for (; *p; p++) {
		if (*p == '%') {
			if (!is_hex(p[1]) || !is_hex(p[2]))
				return false;
			p += 2;
		} else if (!is_alpha(*p) && !(*p >= '0' && *p <= '9') && !strchr(allowed, *p)) {
			return false;
		}
	}
	if (*rest == '\0')
		return false;
	/* With an authority ("//"), the host must not be empty: "https://" is no URI. */
	if (rest[0] == '/' && rest[1] == '/') {
		const char *h = rest + 2;
		const char *at = h;
		while (*at && *at != '/' && *at != '?' && *at != '#' && *at != '@')
			at++;
		if (*at == '@')
			h = at + 1;
		if (*h == '\0' || *h == '/' || *h == '?' || *h == '#' || *h == ':')
			return false;
	}
	return true;
}

/* ---- keywords ---- */

static void note_type_miss(struct vctx *c)
{
	if (c->quiet && !c->ptr_cut && c->ptr_len == c->branch_ptr_len)
		c->type_miss = true;
}

static void check_type(struct vctx *c, const json_t *t, const json_t *inst)
{
	if (json_is_string(t)) {
		if (has_type(inst, json_string_value(t)))
			return;
		note_type_miss(c);
		fail(c, "must be of type %s", json_string_value(t));
		return;
	}
	if (!json_is_array(t)) {
		fatal(c, MD_EINVAL);
		return;
	}
	char names[96] = "";
	size_t i;
	json_t *x;
	json_array_foreach(t, i, x)
	{
		if (!json_is_string(x)) {
			fatal(c, MD_EINVAL);
			return;
		}
		if (has_type(inst, json_string_value(x)))
			return;
		size_t len = strlen(names);
		if (md_snprintf(names + len, sizeof names - len, "%s%s", i ? " or " : "",
		                json_string_value(x)) != 0)
			break;
	}
	note_type_miss(c);
	fail(c, "must be of type %s", names);
}

static void check_enum(struct vctx *c, const json_t *e, const json_t *inst)
{
	if (!json_is_array(e)) {
		fatal(c, MD_EINVAL);
		return;
	}
	size_t i;
	json_t *x;
	json_array_foreach(e, i, x)
	{
		if (values_equal(x, inst, 0))
			return;
	}
	char list[JSONSCHEMA_MESSAGE_MAX - 20];
	render(e, list, sizeof list);
	fail(c, "must be one of %s", list);
}

static void check_string(struct vctx *c, const json_t *schema, const json_t *inst)
{
	const char *s = json_string_value(inst);
	size_t n = utf8_length(s, json_string_length(inst));
	json_t *k;
	if ((k = json_object_get(schema, "minLength")) && json_is_integer(k) &&
	    (json_int_t)n < json_integer_value(k))
		fail(c, "must be at least %lld characters long", (long long)json_integer_value(k));
	if ((k = json_object_get(schema, "maxLength")) && json_is_integer(k) &&
	    (json_int_t)n > json_integer_value(k))
		fail(c, "must be at most %lld characters long", (long long)json_integer_value(k));
	if ((k = json_object_get(schema, "format")) && json_is_string(k)) {
		const char *f = json_string_value(k);
		bool embedded_nul = strlen(s) != json_string_length(inst);
		if (!strcmp(f, "uri") && (embedded_nul || !jsonschema_is_uri(s)))
			fail(c, "must be an absolute URI with a scheme");
		else if (!strcmp(f, "date") && (embedded_nul || !jsonschema_is_date(s)))
			fail(c, "must be a date (YYYY-MM-DD)");
		else if (!strcmp(f, "date-time") && (embedded_nul || !jsonschema_is_date_time(s)))
			fail(c, "must be an RFC 3339 date-time");
	}
	if ((k = json_object_get(schema, "pattern"))) {
		regex_t re;
		if (!json_is_string(k) ||
		    regcomp(&re, json_string_value(k), REG_EXTENDED | REG_NOSUB) != 0) {
			fatal(c, MD_EINVAL);
			return;
		}
		if (regexec(&re, s, 0, NULL, 0) != 0)
			fail(c, "must match the pattern %.100s", json_string_value(k));
		regfree(&re);
	}
}

static void check_number(struct vctx *c, const json_t *schema, const json_t *inst)
{
	double v = json_number_value(inst);
	json_t *k;
	if ((k = json_object_get(schema, "minimum")) && json_is_number(k) &&
	    v < json_number_value(k))
		fail(c, "must be >= %g", json_number_value(k));
	if ((k = json_object_get(schema, "maximum")) && json_is_number(k) &&
	    v > json_number_value(k))
		fail(c, "must be <= %g", json_number_value(k));
	if ((k = json_object_get(schema, "exclusiveMinimum")) && json_is_number(k) &&
	    v <= json_number_value(k))
		fail(c, "must be > %g", json_number_value(k));
	if ((k = json_object_get(schema, "exclusiveMaximum")) && json_is_number(k) &&
	    v >= json_number_value(k))
		fail(c, "must be < %g", json_number_value(k));
}

static void check_array(struct vctx *c, const json_t *doc, const json_t *schema, const json_t *inst,
                        unsigned depth)
{
	size_t n = json_array_size(inst);
	json_t *k;
	if ((k = json_object_get(schema, "minItems")) && json_is_integer(k) &&
	    (json_int_t)n < json_integer_value(k))
		fail(c, "must have at least %lld items", (long long)json_integer_value(k));
	if ((k = json_object_get(schema, "maxItems")) && json_is_integer(k) &&
	    (json_int_t)n > json_integer_value(k))
		fail(c, "must have at most %lld items", (long long)json_integer_value(k));
	json_t *items = json_object_get(schema, "items");
	if (!items)
		return;
	for (size_t i = 0; i < n && !c->stop; i++) {
		size_t saved = ptr_push_index(c, i);
		validate(c, doc, items, json_array_get(inst, i), depth + 1);
		ptr_pop(c, saved);
	}
}

static void check_object(struct vctx *c, const json_t *doc, const json_t *schema,
                         const json_t *inst, unsigned depth)
{
	json_t *req = json_object_get(schema, "required");
	if (req) {
		if (!json_is_array(req)) {
			fatal(c, MD_EINVAL);
			return;
		}
		size_t i;
		json_t *name;
		json_array_foreach(req, i, name)
		{
			if (!json_is_string(name)) {
				fatal(c, MD_EINVAL);
				return;
			}
			if (json_object_get(inst, json_string_value(name)))
				continue;
			size_t saved = ptr_push(c, json_string_value(name));
			fail(c, "is required");
			ptr_pop(c, saved);
			if (c->stop)
				return;
		}
	}
	json_t *props = json_object_get(schema, "properties");
	json_t *addl = json_object_get(schema, "additionalProperties");
	json_t *pnames = json_object_get(schema, "propertyNames");
	if (props && !json_is_object(props)) {
		fatal(c, MD_EINVAL);
		return;
	}
	const char *key;
	json_t *val;
	json_object_foreach((json_t *)inst, key, val)
	{
		if (c->stop)
			return;
		size_t saved = ptr_push(c, key);
		json_t *sub = props ? json_object_get(props, key) : NULL;
		if (sub)
			validate(c, doc, sub, val, depth + 1);
		else if (json_is_false(addl))
			fail(c, "is not allowed");
		else if (addl)
			validate(c, doc, addl, val, depth + 1);
		if (pnames && !c->stop) {
			json_t *kv = json_string(key);
			if (!kv)
				fatal(c, MD_ENOMEM);
			else
				validate(c, doc, pnames, kv, depth + 1);
			json_decref(kv);
		}
		ptr_pop(c, saved);
	}
}

/* ---- combinators ---- */

/* Runs schema quietly; returns the number of errors it would raise (0: it matches). */
static size_t try_branch(struct vctx *c, const json_t *doc, const json_t *schema,
                         const json_t *inst, unsigned depth, bool *type_miss)
{
	size_t saved_nerr = c->nerr, saved_base = c->branch_ptr_len;
	bool saved_tm = c->type_miss, saved_stop = c->stop;
	c->quiet++;
	c->nerr = 0;
	c->type_miss = false;
	c->branch_ptr_len = c->ptr_len;
	validate(c, doc, schema, inst, depth);
	size_t n = c->nerr;
	*type_miss = c->type_miss || c->ptr_cut;
	c->quiet--;
	c->nerr = saved_nerr;
	c->type_miss = saved_tm;
	c->branch_ptr_len = saved_base;
	if (!c->fatal)
		c->stop = saved_stop;
	return n;
}

/* Names the types the branches of list accept ("object or null"), for a message. */
static void branch_types(const json_t *list, char *names, size_t cap)
{
	size_t i;
	json_t *sub;
	names[0] = '\0';
	json_array_foreach(list, i, sub)
	{
		json_t *t = json_is_object(sub) ? json_object_get(sub, "type") : NULL;
		size_t len = strlen(names);
		if (!json_is_string(t) || strstr(names, json_string_value(t)))
			continue;
		if (md_snprintf(names + len, cap - len, "%s%s", len ? " or " : "",
		                json_string_value(t)) != 0)
			break;
	}
}

/*
 * anyOf (one == false) and oneOf. When no branch matches, the most plausible branch's errors
 * are reported rather than a vague "matches no schema": the branch whose type fits and that
 * has the fewest errors. If every branch failed on type, the message says which types would do.
 */
static void check_any_of(struct vctx *c, const json_t *doc, const json_t *list, const json_t *inst,
                         unsigned depth, bool one)
{
	if (!json_is_array(list) || json_array_size(list) == 0) {
		fatal(c, MD_EINVAL);
		return;
	}
	size_t matches = 0, best = (size_t)-1, best_n = (size_t)-1, i;
	json_t *sub;
	json_array_foreach(list, i, sub)
	{
		bool tm;
		size_t n = try_branch(c, doc, sub, inst, depth, &tm);
		if (c->fatal)
			return;
		if (n == 0 && (++matches > 1 || !one))
			break;
		if (n && !tm && n < best_n) {
			best = i;
			best_n = n;
		}
	}
	if (one && matches > 1) {
		fail(c, "must match exactly one of the allowed shapes, not several");
		return;
	}
	if (matches)
		return;
	if (best != (size_t)-1) {
		if (c->quiet)
			fail(c, "matches no allowed shape"); /* only counted */
		else
			validate(c, doc, json_array_get(list, best), inst, depth);
		return;
	}
	char names[96];
	branch_types(list, names, sizeof names);
	note_type_miss(c);
	if (names[0])
		fail(c, "must be of type %s", names);
	else
		fail(c, "must match one of the allowed shapes");
}

/* ---- $ref ---- */

/* Follows an RFC 6901 fragment ("/$defs/x") inside doc; NULL when it leads nowhere. */
static const json_t *follow_fragment(const json_t *doc, const char *frag)
{
	const json_t *cur = doc;
	if (*frag == '\0')
		return cur;
	if (*frag != '/')
		return NULL;
	char tok[256];
	while (*frag == '/' && cur) {
		frag++;
		size_t n = 0;
		while (*frag && *frag != '/') {
			char ch = *frag++;
			if (ch == '~') {
				if (*frag != '0' && *frag != '1')
					return NULL;
				ch = *frag++ == '0' ? '~' : '/';
			}
			if (n + 1 >= sizeof tok)
				return NULL;
			tok[n++] = ch;
		}
		tok[n] = '\0';
		if (json_is_object(cur)) {
			cur = json_object_get(cur, tok);
		} else if (json_is_array(cur)) {
			char *end;
			unsigned long idx = strtoul(tok, &end, 10);
			cur = (n && *end == '\0') ? json_array_get(cur, idx) : NULL;
		} else {
			return NULL;
		}
	}
	return cur;
}

static void check_ref(struct vctx *c, const json_t *doc, const json_t *ref, const json_t *inst,
                      unsigned depth)
{
	if (!json_is_string(ref)) {
		fatal(c, MD_EINVAL);
		return;
	}
	const char *r = json_string_value(ref);
	const char *hash = strchr(r, '#');
	const json_t *target_doc = doc;
	if (hash != r) {
		size_t n = hash ? (size_t)(hash - r) : strlen(r);
		char name[256];
		if (n >= sizeof name || !c->resolve) {
			fatal(c, MD_ENOTFOUND);
			return;
		}
		memcpy(name, r, n);
		name[n] = '\0';
		target_doc = c->resolve(c->rctx, name);
	}
	const json_t *target =
	    target_doc ? follow_fragment(target_doc, hash ? hash + 1 : "") : NULL;
	if (!target) {
		fatal(c, MD_ENOTFOUND);
		return;
	}
	validate(c, target_doc, target, inst, depth + 1);
}

/* ---- the walk ---- */

static void validate(struct vctx *c, const json_t *doc, const json_t *schema, const json_t *inst,
                     unsigned depth)
{
	if (c->stop)
		return;
	if (++c->steps > c->max_steps) {
		fatal(c, MD_ELIMIT);
		return;
	}
	if (depth > c->max_depth) {
		fail(c, "nesting is too deep (more than %u levels)", c->max_depth);
		c->stop = true;
		return;
	}
	if (json_is_true(schema))
		return;
	if (json_is_false(schema)) {
		fail(c, "is not allowed");
		return;
	}
	if (!json_is_object(schema)) {
		fatal(c, MD_EINVAL);
		return;
	}
	json_t *k;
	if ((k = json_object_get(schema, "$ref")))
		check_ref(c, doc, k, inst, depth);
	if (c->stop)
		return;
	if ((k = json_object_get(schema, "type"))) {
		size_t before = c->nerr;
		check_type(c, k, inst);
		/* Other keywords would only repeat the same complaint in other words. */
		if (c->nerr != before || c->stop)
			return;
	}
	if ((k = json_object_get(schema, "const")) && !values_equal(k, inst, 0)) {
		char v[JSONSCHEMA_MESSAGE_MAX - 16];
		render(k, v, sizeof v);
		fail(c, "must be %s", v);
	}
	if ((k = json_object_get(schema, "enum")))
		check_enum(c, k, inst);
	if (json_is_string(inst))
		check_string(c, schema, inst);
	else if (json_is_number(inst))
		check_number(c, schema, inst);
	else if (json_is_array(inst))
		check_array(c, doc, schema, inst, depth);
	else if (json_is_object(inst))
		check_object(c, doc, schema, inst, depth);
	if (c->stop)
		return;
	if ((k = json_object_get(schema, "allOf"))) {
		size_t i;
		json_t *sub;
		if (!json_is_array(k)) {
			fatal(c, MD_EINVAL);
			return;
		}
		json_array_foreach(k, i, sub)
		{
			validate(c, doc, sub, inst, depth + 1);
		}
	}
	if ((k = json_object_get(schema, "anyOf")))
		check_any_of(c, doc, k, inst, depth + 1, false);
	if ((k = json_object_get(schema, "oneOf")))
		check_any_of(c, doc, k, inst, depth + 1, true);
}

int jsonschema_validate(const json_t *schema, const json_t *instance,
                        const struct jsonschema_opts *opts, struct jsonschema_errors *out)
{
	struct vctx c;
	memset(&c, 0, sizeof c);
	c.max_depth = JSONSCHEMA_MAX_DEPTH;
	c.max_errors = JSONSCHEMA_MAX_ERRORS;
	c.max_steps = JSONSCHEMA_MAX_STEPS;
	if (opts) {
		if (opts->max_steps && opts->max_steps < c.max_steps)
			c.max_steps = opts->max_steps;
		c.resolve = opts->resolve;
		c.rctx = opts->ctx;
		if (opts->max_depth && opts->max_depth < c.max_depth)
			c.max_depth = opts->max_depth;
		if (opts->max_errors && opts->max_errors < c.max_errors)
			c.max_errors = opts->max_errors;
	}
	c.out = out;
	if (out) {
		out->count = 0;
		out->truncated = false;
	}
	if (!schema || !instance)
		return MD_EINVAL;
	validate(&c, schema, schema, instance, 0);
	if (c.fatal) {
		if (out)
			out->count = 0;
		return c.fatal;
	}
	return c.nerr ? 1 : 0;
}
