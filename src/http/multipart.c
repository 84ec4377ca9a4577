/*
 * multipart.c: the streaming multipart/form-data parser of multipart.h.
 *
 * The delimiter search needs no lookbehind buffer: the bytes held back while a delimiter might
 * be starting are exactly the matched prefix of mp->delim, so on a mismatch they are replayed
 * from mp->delim itself. Because a valid boundary contains no CR, the only place a new match
 * can start after a mismatch is the mismatching byte, so a plain restart is a correct
 * (KMP-equivalent) search.
 */
#include "http/multipart.h"

#include <ctype.h>
#include <strings.h>

enum mp_state {
	MP_SCAN,        /* preamble (in_part false) or part data: looking for the delimiter */
	MP_AFTER_DELIM, /* "\r\n--boundary" matched: "--", padding or CRLF must follow */
	MP_AFTER_DASH,  /* one '-' after the boundary */
	MP_PADDING,     /* transport padding after the boundary */
	MP_EXPECT_LF,   /* CR after the boundary line */
	MP_HEADERS,     /* collecting a part's header block */
	MP_EPILOGUE,    /* after the closing delimiter: everything is ignored */
	MP_ERROR,
};

#define MP_MAX_HEADER_LIMIT (1024 * 1024)

static int fail(struct multipart *mp, int err, const char *msg)
{
	mp->err = err;
	mp->errmsg = msg;
	mp->state = MP_ERROR;
	return err;
}

static bool is_tchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool is_bchar(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("'()+_,-./:=? ", c));
}

static bool valid_boundary(const char *b, size_t n)
{
	if (n == 0 || n > MULTIPART_BOUNDARY_MAX || b[n - 1] == ' ')
		return false;
	for (size_t i = 0; i < n; i++)
		if (!is_bchar((unsigned char)b[i]))
			return false;
	return true;
}

static const char *skip_lws(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static bool is_token_value_char(unsigned char c)
{
	return c > 0x20 && c != 0x7f && c != ';' && c != '"';
}

/*
 * Reads a value at *pp: a quoted string or a run of token-ish characters. It is decoded into
 * val (cap > 0 bytes, always NUL-terminated) and *vlen is its full decoded length, so
 * *vlen >= cap means it did not fit. Inside quotes a backslash escapes the next character;
 * with lenient_escapes only '"' and '\\' are escaped and other backslashes are kept, because
 * browsers send Windows paths in filename="C:\dir\f.pdf" unescaped. Returns 0 or MD_EINVAL.
 */
static int read_value(const char **pp, const char *end, bool lenient_escapes, char *val, size_t cap,
                      size_t *vlen)
{
	const char *p = *pp;
	size_t o = 0;
	if (p < end && *p == '"') {
		for (p++;; o++) {
			if (p == end)
				return MD_EINVAL;
			unsigned char c = (unsigned char)*p++;
			if (c == '"')
				break;
			if (c == '\\' && p < end && (!lenient_escapes || *p == '"' || *p == '\\'))
				c = (unsigned char)*p++;
			if ((c < 0x20 && c != '\t') || c == 0x7f)
				return MD_EINVAL;
			if (o + 1 < cap)
				val[o] = (char)c;
		}
	} else {
		for (; p < end && is_token_value_char((unsigned char)*p); p++, o++)
			if (o + 1 < cap)
				val[o] = *p;
		if (o == 0)
			return MD_EINVAL;
	}
	val[MD_MIN(o, cap - 1)] = '\0';
	*vlen = o;
	*pp = p;
	return 0;
}

/*
 * Reads the next parameter, `; name = value` with LWS anywhere between. Returns 1 when one was
 * read, 0 at the end (a lone trailing ';' is tolerated), MD_EINVAL when malformed.
 */
static int next_param(const char **pp, const char *end, bool lenient, struct slice *name, char *val,
                      size_t cap, size_t *vlen)
{
	const char *p = skip_lws(*pp, end);
	if (p == end)
		return 0;
	if (*p != ';')
		return MD_EINVAL;
	p = skip_lws(p + 1, end);
	if (p == end)
		return 0;
	const char *n = p;
	while (p < end && is_tchar((unsigned char)*p))
		p++;
	if (p == n)
		return MD_EINVAL;
	*name = (struct slice){ n, (size_t)(p - n) };
	p = skip_lws(p, end);
	if (p == end || *p != '=')
		return MD_EINVAL;
	p = skip_lws(p + 1, end);
	int rc = read_value(&p, end, lenient, val, cap, vlen);
	if (rc)
		return rc;
	*pp = p;
	return 1;
}

int multipart_boundary(const char *content_type, char *out, size_t cap)
{
	static const char type[] = "multipart/form-data";
	char val[MULTIPART_BOUNDARY_MAX + 2];
	size_t vlen = 0;
	bool found = false;
	if (!out || cap == 0)
		return MD_ELIMIT;
	out[0] = '\0';
	if (!content_type)
		return MD_EINVAL;
	const char *p = content_type, *end = content_type + strlen(content_type);
	p = skip_lws(p, end);
	if ((size_t)(end - p) < sizeof(type) - 1 || strncasecmp(p, type, sizeof(type) - 1) != 0)
		return MD_EINVAL;
	p += sizeof(type) - 1;
	if (p < end && *p != ' ' && *p != '\t' && *p != ';')
		return MD_EINVAL;
	for (;;) {
		struct slice name;
		size_t n;
		int rc = next_param(&p, end, false, &name, val, sizeof(val), &n);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		if (!slice_ieq(name, "boundary"))
			continue;
		if (found || n > MULTIPART_BOUNDARY_MAX || !valid_boundary(val, n))
			return MD_EINVAL;
		found = true;
		vlen = n;
		if (vlen + 1 > cap)
			return MD_ELIMIT;
		memcpy(out, val, vlen + 1);
	}
	return found ? 0 : MD_EINVAL;
}

int multipart_init(struct multipart *mp, const char *boundary,
                   const struct multipart_limits *limits, const struct multipart_callbacks *cb,
                   void *ctx)
{
	memset(mp, 0, sizeof(*mp));
	size_t n = boundary ? strlen(boundary) : 0;
	if (!valid_boundary(boundary, n))
		return MD_EINVAL;
	if (limits)
		mp->limits = *limits;
	if (!mp->limits.max_parts)
		mp->limits.max_parts = MULTIPART_DEFAULT_MAX_PARTS;
	if (!mp->limits.max_header_bytes)
		mp->limits.max_header_bytes = MULTIPART_DEFAULT_MAX_HEADER_BYTES;
	if (!mp->limits.max_total_bytes)
		mp->limits.max_total_bytes = MULTIPART_DEFAULT_MAX_TOTAL_BYTES;
	if (mp->limits.max_header_bytes > MP_MAX_HEADER_LIMIT)
		return MD_EINVAL;
	if (cb)
		mp->cb = *cb;
	mp->ctx = ctx;
	memcpy(mp->delim, "\r\n--", 4);
	memcpy(mp->delim + 4, boundary, n + 1);
	mp->delim_len = n + 4;
	/* Decoded values are never longer than the header block they come from (see below). */
	mp->values_cap = mp->limits.max_header_bytes + 8;
	mp->hdr = md_malloc(mp->limits.max_header_bytes);
	mp->values = md_malloc(mp->values_cap);
	if (!mp->hdr || !mp->values) {
		multipart_release(mp);
		return MD_ENOMEM;
	}
	/* The first delimiter may open the body: act as if a CRLF preceded it. */
	mp->state = MP_SCAN;
	mp->match = 2;
	return 0;
}

void multipart_release(struct multipart *mp)
{
	md_free(mp->hdr);
	md_free(mp->values);
	mp->hdr = NULL;
	mp->values = NULL;
}

static int callback_rc(struct multipart *mp, int rc)
{
	return rc < 0 ? fail(mp, rc, "aborted by callback") : 0;
}

static int emit(struct multipart *mp, const char *p, size_t n)
{
	if (!mp->in_part || n == 0 || !mp->cb.on_part_data)
		return 0;
	return callback_rc(mp, mp->cb.on_part_data(mp->ctx, p, n));
}

static int end_part(struct multipart *mp)
{
	mp->in_part = false;
	return mp->cb.on_part_end ? callback_rc(mp, mp->cb.on_part_end(mp->ctx)) : 0;
}

/* Scans for the delimiter, emitting part data (or skipping preamble) as it goes. */
static int step_scan(struct multipart *mp, const char **pp, const char *end)
{
	const char *p = *pp;
	int rc = 0;
	while (p < end && rc == 0) {
		if (mp->match == 0) {
			const char *cr = memchr(p, '\r', (size_t)(end - p));
			const char *stop = cr ? cr : end;
			rc = emit(mp, p, (size_t)(stop - p));
			p = stop;
			if (cr) {
				mp->match = 1;
				p++;
			}
			continue;
		}
		size_t n = MD_MIN(mp->delim_len - mp->match, (size_t)(end - p));
		size_t i = 0;
		while (i < n && p[i] == mp->delim[mp->match + i])
			i++;
		if (i < n) {
			/* Not a delimiter: release what was held, retry p[i] from scratch. */
			rc = emit(mp, mp->delim, mp->match + i);
			mp->match = 0;
			p += i;
			continue;
		}
		mp->match += n;
		p += n;
		if (mp->match == mp->delim_len) {
			mp->match = 0;
			mp->state = MP_AFTER_DELIM;
			break;
		}
	}
	*pp = p;
	return rc;
}

/* "\r\n--boundary" was followed by something else: it was data after all. */
static int not_a_delimiter(struct multipart *mp, bool dash)
{
	mp->state = MP_SCAN;
	mp->match = 0;
	int rc = emit(mp, mp->delim, mp->delim_len);
	return rc ? rc : emit(mp, "-", dash ? 1 : 0);
}

static int delimiter_line_done(struct multipart *mp)
{
	if (mp->in_part) {
		int rc = end_part(mp);
		if (rc)
			return rc;
	}
	if (mp->parts >= mp->limits.max_parts)
		return fail(mp, MD_ELIMIT, "too many parts");
	mp->hdr_len = 0;
	mp->state = MP_HEADERS;
	return 0;
}

/* Handles one byte of the delimiter line; advances *pp unless the byte must be rescanned. */
static int step_delim_line(struct multipart *mp, const char **pp)
{
	char c = **pp;
	switch (mp->state) {
	case MP_AFTER_DELIM:
		if (c == '-')
			mp->state = MP_AFTER_DASH;
		else if (c == ' ' || c == '\t')
			mp->state = MP_PADDING;
		else if (c == '\r')
			mp->state = MP_EXPECT_LF;
		else
			return not_a_delimiter(mp, false);
		break;
	case MP_AFTER_DASH:
		if (c != '-')
			return not_a_delimiter(mp, true);
		mp->state = MP_EPILOGUE;
		if (mp->in_part) {
			(*pp)++;
			return end_part(mp);
		}
		break;
	case MP_PADDING:
		if (c == '\r')
			mp->state = MP_EXPECT_LF;
		else if (c != ' ' && c != '\t')
			return fail(mp, MD_EINVAL, "malformed boundary line");
		break;
	case MP_EXPECT_LF:
		if (c != '\n')
			return fail(mp, MD_EINVAL, "malformed boundary line");
		(*pp)++;
		return delimiter_line_done(mp);
	default: return fail(mp, MD_EINVAL, "internal parser state");
	}
	(*pp)++;
	return 0;
}

/* Decodes an RFC 5987 ext-value (charset'lang'pct-encoded) in place; false if malformed. */
static bool decode_ext_value(char *s, bool *utf8)
{
	char *q1 = strchr(s, '\''), *q2 = q1 ? strchr(q1 + 1, '\'') : NULL;
	if (!q1 || !q2)
		return false;
	*utf8 = (size_t)(q1 - s) == 5 && strncasecmp(s, "utf-8", 5) == 0;
	char *o = s;
	for (const char *p = q2 + 1; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == '%') {
			char hex[3] = { p[1], p[1] ? p[2] : '\0', '\0' };
			char *endp;
			if (!isxdigit((unsigned char)hex[0]) || !isxdigit((unsigned char)hex[1]))
				return false;
			c = (unsigned char)strtoul(hex, &endp, 16);
			if (c < 0x20 || c == 0x7f)
				return false;
			p += 2;
		} else if (!is_tchar(c)) {
			return false;
		}
		*o++ = (char)c;
	}
	*o = '\0';
	return true;
}

static bool valid_utf8(const unsigned char *s)
{
	while (*s) {
		size_t n = *s < 0x80             ? 0
		           : (*s & 0xe0) == 0xc0 ? 1
		           : (*s & 0xf0) == 0xe0 ? 2
		           : (*s & 0xf8) == 0xf0 ? 3
		                                 : 4;
		if (n == 4 || (n == 1 && *s < 0xc2) || (n == 3 && *s > 0xf4))
			return false;
		uint32_t cp = *s & (0x7f >> n);
		for (size_t i = 1; i <= n; i++) {
			if ((s[i] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i] & 0x3f);
		}
		if ((n == 2 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (n == 3 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		s += n + 1;
	}
	return true;
}

struct cd_fields {
	const char *name, *filename, *filename_ext;
};

/* Stores one decoded Content-Disposition parameter; returns 0 or fails mp. */
static int keep_value(struct multipart *mp, const char **slot, size_t vlen)
{
	if (*slot)
		return fail(mp, MD_EINVAL, "malformed Content-Disposition");
	*slot = mp->values + mp->values_len;
	mp->values_len += vlen + 1;
	return 0;
}

static int parse_disposition(struct multipart *mp, struct slice v, struct cd_fields *cd)
{
	const char *p = v.ptr, *end = v.ptr + v.len, *t = p;
	while (p < end && is_tchar((unsigned char)*p))
		p++;
	if (!slice_ieq((struct slice){ t, (size_t)(p - t) }, "form-data"))
		return fail(mp, MD_EINVAL, "Content-Disposition is not form-data");
	for (;;) {
		struct slice name;
		size_t vlen, cap = mp->values_cap - mp->values_len;
		char *val = mp->values + mp->values_len;
		int rc = next_param(&p, end, true, &name, val, cap, &vlen);
		if (rc == 0)
			return 0;
		if (rc < 0)
			return fail(mp, MD_EINVAL, "malformed Content-Disposition");
		if (vlen >= cap)
			return fail(mp, MD_ELIMIT, "part header too large");
		if (slice_ieq(name, "name"))
			rc = keep_value(mp, &cd->name, vlen);
		else if (slice_ieq(name, "filename"))
			rc = keep_value(mp, &cd->filename, vlen);
		else if (slice_ieq(name, "filename*"))
			rc = keep_value(mp, &cd->filename_ext, vlen);
		else
			rc = 0; /* unknown parameters are ignored */
		if (rc)
			return rc;
	}
}

/* Copies a header value into the value store, NUL-terminated. */
static const char *store_value(struct multipart *mp, struct slice v)
{
	char *s = mp->values + mp->values_len;
	if (v.len + 1 > mp->values_cap - mp->values_len)
		return NULL;
	memcpy(s, v.ptr, v.len);
	s[v.len] = '\0';
	mp->values_len += v.len + 1;
	return s;
}

/*
 * Checks the header block (lines ending in CRLF, blank line excluded: n bytes) for stray CR,
 * LF and control bytes, and unfolds continuation lines in place.
 */
static int check_and_unfold(struct multipart *mp, char *h, size_t n)
{
	if (n && (h[0] == ' ' || h[0] == '\t'))
		return fail(mp, MD_EINVAL, "malformed part header");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];
		if (c == '\r') {
			if (i + 1 >= n || h[i + 1] != '\n')
				return fail(mp, MD_EINVAL, "malformed part header");
			if (i + 2 < n && (h[i + 2] == ' ' || h[i + 2] == '\t'))
				h[i] = h[i + 1] = ' ';
			i++;
		} else if ((c < 0x20 && c != '\t') || c == 0x7f) {
			return fail(mp, MD_EINVAL, "malformed part header");
		}
	}
	return 0;
}

static int parse_header_line(struct multipart *mp, struct slice line, struct cd_fields *cd,
                             const char **ctype, bool *seen_cd)
{
	const char *colon = memchr(line.ptr, ':', line.len);
	if (!colon)
		return fail(mp, MD_EINVAL, "malformed part header");
	struct slice name = { line.ptr, (size_t)(colon - line.ptr) };
	while (name.len && (name.ptr[name.len - 1] == ' ' || name.ptr[name.len - 1] == '\t'))
		name.len--;
	for (size_t i = 0; i < name.len; i++)
		if (!is_tchar((unsigned char)name.ptr[i]))
			return fail(mp, MD_EINVAL, "malformed part header");
	if (name.len == 0)
		return fail(mp, MD_EINVAL, "malformed part header");
	struct slice value = { colon + 1, (size_t)(line.ptr + line.len - (colon + 1)) };
	value = slice_trim(value);
	if (slice_ieq(name, "content-disposition")) {
		if (*seen_cd)
			return fail(mp, MD_EINVAL, "duplicate Content-Disposition");
		*seen_cd = true;
		return parse_disposition(mp, value, cd);
	}
	if (slice_ieq(name, "content-type")) {
		if (*ctype)
			return fail(mp, MD_EINVAL, "duplicate Content-Type");
		*ctype = store_value(mp, value);
		if (!*ctype)
			return fail(mp, MD_ELIMIT, "part header too large");
	}
	return 0;
}

static int parse_headers(struct multipart *mp, struct multipart_part_info *info)
{
	struct cd_fields cd = { NULL, NULL, NULL };
	bool seen_cd = false;
	size_t n = mp->hdr_len - 2; /* drop the blank line's CRLF */
	int rc = check_and_unfold(mp, mp->hdr, n);
	mp->values_len = 0;
	for (size_t i = 0; rc == 0 && i < n;) {
		const char *eol = memchr(mp->hdr + i, '\r', n - i); /* found: n ends in CRLF */
		struct slice line = { mp->hdr + i, (size_t)(eol - (mp->hdr + i)) };
		i += line.len + 2;
		rc = parse_header_line(mp, line, &cd, &info->content_type, &seen_cd);
	}
	if (rc)
		return rc;
	if (!seen_cd)
		return fail(mp, MD_EINVAL, "missing Content-Disposition");
	if (!cd.name)
		return fail(mp, MD_EINVAL, "missing name in Content-Disposition");
	info->name = cd.name;
	info->filename = cd.filename;
	if (cd.filename_ext) {
		bool utf8 = false;
		char *ext = (char *)cd.filename_ext; /* points into mp->values */
		if (!decode_ext_value(ext, &utf8) || (utf8 && !valid_utf8((unsigned char *)ext)))
			return fail(mp, MD_EINVAL, "malformed Content-Disposition");
		if (utf8)
			info->filename = ext;
	}
	return 0;
}

static int begin_part(struct multipart *mp)
{
	struct multipart_part_info info = { .index = mp->parts };
	int rc = parse_headers(mp, &info);
	if (rc)
		return rc;
	mp->parts++;
	mp->in_part = true;
	mp->state = MP_SCAN;
	mp->match = 0;
	return mp->cb.on_part_begin ? callback_rc(mp, mp->cb.on_part_begin(mp->ctx, &info)) : 0;
}

/* Collects the header block up to and including the blank line, then begins the part. */
static int step_headers(struct multipart *mp, const char **pp, const char *end)
{
	const char *p = *pp;
	while (p < end) {
		const char *lf = memchr(p, '\n', (size_t)(end - p));
		size_t k = lf ? (size_t)(lf - p) + 1 : (size_t)(end - p);
		if (k > mp->limits.max_header_bytes - mp->hdr_len)
			return fail(mp, MD_ELIMIT, "part header too large");
		memcpy(mp->hdr + mp->hdr_len, p, k);
		mp->hdr_len += k;
		p += k;
		if (!lf)
			break;
		const char *h = mp->hdr;
		size_t n = mp->hdr_len;
		if ((n == 2 && h[0] == '\r') || (n >= 4 && memcmp(h + n - 4, "\r\n\r\n", 4) == 0)) {
			*pp = p;
			return begin_part(mp);
		}
	}
	*pp = p;
	return 0;
}

int multipart_feed(struct multipart *mp, const char *data, size_t len)
{
	if (mp->state == MP_ERROR)
		return mp->err;
	if (len == 0)
		return 0;
	uint64_t room = mp->limits.max_total_bytes - mp->total;
	bool over = len > room;
	size_t n = over ? (size_t)room : len;
	const char *p = data, *end = data + n;
	int rc = 0;
	mp->total += n;
	while (p < end && rc == 0) {
		switch (mp->state) {
		case MP_SCAN: rc = step_scan(mp, &p, end); break;
		case MP_HEADERS: rc = step_headers(mp, &p, end); break;
		case MP_EPILOGUE: p = end; break;
		default: rc = step_delim_line(mp, &p); break;
		}
	}
	if (rc == 0 && over)
		rc = fail(mp, MD_ELIMIT, "body too large");
	return rc;
}

int multipart_finish(struct multipart *mp)
{
	if (mp->state == MP_ERROR)
		return mp->err;
	if (mp->state != MP_EPILOGUE)
		return fail(mp, MD_EINVAL, "missing final boundary");
	return 0;
}

const char *multipart_error(const struct multipart *mp)
{
	return mp->state == MP_ERROR ? mp->errmsg : NULL;
}

size_t multipart_parts(const struct multipart *mp)
{
	return mp->parts;
}
