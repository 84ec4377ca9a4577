/* normalize.c: the value normalisers (see normalize.h). */
#include "engines/linkage/normalize.h"

#include <utf8proc.h>

#include "base/common.h"
#include "engines/linkage/table.h"
#include "text/normalize.h"

#define NORM_VALUE_MAX ((size_t)1 << 20)

static bool is_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80)
			return false;
	return true;
}

static bool is_space_cp(int32_t cp)
{
	if (cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0x85)
		return true;
	return cp >= 0x80 && utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

static int put_cp(struct buf *b, int32_t cp)
{
	if (cp < 0x80)
		return buf_putc(b, (char)cp);
	utf8proc_uint8_t tmp[4];
	utf8proc_ssize_t n = utf8proc_encode_char(cp, tmp);
	return buf_append(b, tmp, (size_t)n);
}

/* Copies s to out with invalid UTF-8 bytes replaced by U+FFFD. */
static int sanitize(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n;) {
		int32_t cp;
		size_t k = text_decode(s + i, n - i, &cp);
		int rc = cp < 0 ? put_cp(out, 0xFFFD) : buf_append(out, s + i, k);
		if (rc)
			return rc;
		i += k;
	}
	return 0;
}

/* utf8proc_map with opts, appending to out; s must be valid UTF-8. */
static int map(const char *s, size_t n, int opts, struct buf *out)
{
	utf8proc_uint8_t *mapped = NULL;
	utf8proc_ssize_t m = utf8proc_map((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)n, &mapped,
	                                  (utf8proc_option_t)(opts | UTF8PROC_STABLE));
	if (m < 0)
		return m == UTF8PROC_ERROR_NOMEM ? MD_ENOMEM : MD_EINVAL;
	int rc = buf_append(out, mapped, (size_t)m);
	free(mapped); /* utf8proc allocates with malloc() */
	return rc;
}

static int step_casefold(const char *s, size_t n, struct buf *out)
{
	if (is_ascii(s, n)) {
		for (size_t i = 0; i < n; i++) {
			char c = s[i];
			int rc = buf_putc(out, c >= 'A' && c <= 'Z' ? (char)(c + 32) : c);
			if (rc)
				return rc;
		}
		return 0;
	}
	return map(s, n, UTF8PROC_COMPOSE | UTF8PROC_COMPAT | UTF8PROC_CASEFOLD, out);
}

static int step_trim(const char *s, size_t n, struct buf *out)
{
	size_t start = n, end = 0;
	for (size_t i = 0; i < n;) {
		int32_t cp;
		size_t k = text_decode(s + i, n - i, &cp);
		if (!is_space_cp(cp)) {
			if (start == n)
				start = i;
			end = i + k;
		}
		i += k;
	}
	return start < end ? buf_append(out, s + start, end - start) : 0;
}

static int step_collapse(const char *s, size_t n, struct buf *out)
{
	bool in_space = false;
	for (size_t i = 0; i < n;) {
		int32_t cp;
		size_t k = text_decode(s + i, n - i, &cp);
		int rc = 0;
		if (is_space_cp(cp)) {
			if (!in_space)
				rc = buf_putc(out, ' ');
			in_space = true;
		} else {
			in_space = false;
			rc = buf_append(out, s + i, k);
		}
		if (rc)
			return rc;
		i += k;
	}
	return 0;
}

static bool is_punct_cp(int32_t cp)
{
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_PC:
	case UTF8PROC_CATEGORY_PD:
	case UTF8PROC_CATEGORY_PS:
	case UTF8PROC_CATEGORY_PE:
	case UTF8PROC_CATEGORY_PI:
	case UTF8PROC_CATEGORY_PF:
	case UTF8PROC_CATEGORY_PO: return true;
	default: return false;
	}
}

static int step_strip_punct(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n;) {
		int32_t cp;
		size_t k = text_decode(s + i, n - i, &cp);
		if (!is_punct_cp(cp)) {
			int rc = buf_append(out, s + i, k);
			if (rc)
				return rc;
		}
		i += k;
	}
	return 0;
}

static int step_digits(const char *s, size_t n, struct buf *out)
{
	for (size_t i = 0; i < n; i++) {
		if (s[i] >= '0' && s[i] <= '9') {
			int rc = buf_putc(out, s[i]);
			if (rc)
				return rc;
		}
	}
	return 0;
}

static int step_diacritics(const char *s, size_t n, struct buf *out)
{
	if (is_ascii(s, n))
		return buf_append(out, s, n);
	struct buf nfd, kept;
	buf_init(&nfd, out->cap_limit * 4 + 64);
	buf_init(&kept, out->cap_limit * 4 + 64);
	int rc = map(s, n, UTF8PROC_DECOMPOSE, &nfd);
	for (size_t i = 0; rc == 0 && i < nfd.len;) {
		int32_t cp;
		size_t k = text_decode(nfd.data + i, nfd.len - i, &cp);
		if (utf8proc_category(cp) != UTF8PROC_CATEGORY_MN)
			rc = buf_append(&kept, nfd.data + i, k);
		i += k;
	}
	if (rc == 0 && kept.len)
		rc = map(kept.data, kept.len, UTF8PROC_COMPOSE, out);
	buf_release(&nfd);
	buf_release(&kept);
	return rc;
}

typedef int (*step_fn)(const char *s, size_t n, struct buf *out);

int lk_normalize(const char *in, size_t n, unsigned flags, struct buf *out)
{
	static const struct {
		unsigned bit;
		step_fn fn;
	} steps[] = {
		{ LK_NORM_NFKC_CASEFOLD, step_casefold },
		{ LK_NORM_TRIM, step_trim },
		{ LK_NORM_COLLAPSE_WHITESPACE, step_collapse },
		{ LK_NORM_STRIP_PUNCTUATION, step_strip_punct },
		{ LK_NORM_DIGITS_ONLY, step_digits },
		{ LK_NORM_STRIP_DIACRITICS, step_diacritics },
	};
	size_t lim = out->cap_limit > SIZE_MAX / 8 ? SIZE_MAX / 8 : out->cap_limit * 4 + 64;
	struct buf a, b;
	buf_init(&a, lim);
	buf_init(&b, lim);
	struct buf *cur = &a, *next = &b;
	int rc = sanitize(in, n, cur);
	for (size_t i = 0; rc == 0 && i < ARRAY_SIZE(steps); i++) {
		if (!(flags & steps[i].bit))
			continue;
		buf_reset(next);
		rc = steps[i].fn(cur->data ? cur->data : "", cur->len, next);
		struct buf *tmp = cur;
		cur = next;
		next = tmp;
	}
	if (rc == 0 && cur->len)
		rc = buf_append(out, cur->data, cur->len);
	buf_release(&a);
	buf_release(&b);
	return rc;
}

int lk_normalize_table_col(struct lk_table *t, int col, unsigned flags)
{
	if (col < 0 || (size_t)col >= t->ncols)
		return MD_EINVAL;
	struct buf b;
	buf_init(&b, NORM_VALUE_MAX);
	int rc = 0;
	for (size_t r = 0; r < t->nrows && rc == 0; r++) {
		const char *s = t->cells[r * t->ncols + (size_t)col];
		size_t n = strlen(s);
		buf_reset(&b);
		if ((rc = lk_normalize(s, n, flags, &b)))
			break;
		if (b.len == n && (n == 0 || memcmp(b.data, s, n) == 0))
			continue;
		rc = lk_table_set(t, r, (size_t)col, b.data ? b.data : "", b.len);
	}
	buf_release(&b);
	return rc;
}
