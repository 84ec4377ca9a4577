#include "base/buf.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/alloc.h"

void buf_init(struct buf *b, size_t limit)
{
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap_limit = limit;
}

void buf_release(struct buf *b)
{
	md_free(b->data);
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *buf_take(struct buf *b)
{
	char *d = b->data;
	if (!d)
		d = md_strdup("");
	b->data = NULL;
	b->len = 0;
	b->alloc = 0;
	return d;
}

/* Makes room for n more bytes plus the terminator, doubling to amortise growth. */
static int buf_grow(struct buf *b, size_t n)
{
	if (n > b->cap_limit - b->len || b->len + n < b->len)
		return MD_ELIMIT;
	size_t need = b->len + n + 1;
	if (need <= b->alloc)
		return 0;
	size_t a = b->alloc ? b->alloc : 64;
	while (a < need)
		a *= 2;
	char *d = md_realloc(b->data, a);
	if (!d)
		return MD_ENOMEM;
	b->data = d;
	b->alloc = a;
	return 0;
}

int buf_append(struct buf *b, const void *p, size_t n)
{
	int rc = buf_grow(b, n);
	if (rc)
		return rc;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

int buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	va_copy(cp, ap);
	int n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return MD_EINVAL;
	int rc = buf_grow(b, (size_t)n);
	if (rc)
		return rc;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int buf_put_json_string(struct buf *b, const char *s, size_t n)
{
	size_t start = b->len;
	int rc = buf_putc(b, '"');
	for (size_t i = 0; i < n && !rc; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };
			rc = buf_append(b, esc, 2);
		} else if (c < 0x20) {
			rc = buf_printf(b, "\\u%04x", c);
		} else {
			rc = buf_putc(b, (char)c);
		}
	}
	if (!rc)
		rc = buf_putc(b, '"');
	if (rc && b->data) {
		/* All or nothing: a half-written string would leave invalid JSON behind. */
		b->len = start;
		b->data[start] = '\0';
	}
	return rc;
}

struct slice slice_from(const char *s)
{
	return (struct slice){ s, s ? strlen(s) : 0 };
}

bool slice_eq(struct slice a, const char *s)
{
	size_t n = strlen(s);
	return a.len == n && (n == 0 || memcmp(a.ptr, s, n) == 0);
}

bool slice_ieq(struct slice a, const char *s)
{
	size_t n = strlen(s);
	return a.len == n && (n == 0 || strncasecmp(a.ptr, s, n) == 0);
}

struct slice slice_trim(struct slice s)
{
	while (s.len && isspace((unsigned char)s.ptr[0])) {
		s.ptr++;
		s.len--;
	}
	while (s.len && isspace((unsigned char)s.ptr[s.len - 1]))
		s.len--;
	return s;
}

int slice_copy(struct slice s, char *dst, size_t cap)
{
	if (s.len + 1 > cap)
		return MD_ELIMIT;
	if (s.len)
		memcpy(dst, s.ptr, s.len);
	dst[s.len] = '\0';
	return 0;
}

int md_snprintf(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(dst, cap, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MD_EINVAL;
	return (size_t)n < cap ? 0 : MD_ELIMIT;
}
