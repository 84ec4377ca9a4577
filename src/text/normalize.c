#include "text/normalize.h"

#include "base/common.h"

#include <utf8proc.h>

size_t text_decode(const char *s, size_t len, int32_t *cp)
{
	utf8proc_int32_t c;
	utf8proc_ssize_t n =
	    utf8proc_iterate((const utf8proc_uint8_t *)s, (utf8proc_ssize_t)MD_MIN(len, 4), &c);
	if (n <= 0) {
		*cp = -1;
		return 1;
	}
	*cp = c;
	return (size_t)n;
}

size_t text_utf8_floor(const char *s, size_t n)
{
	size_t i = n;
	/* Step back over at most three continuation bytes to the lead byte of the last sequence. */
	while (i > 0 && n - i < 4 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
		i--;
	if (i == 0)
		return 0;
	unsigned char lead = (unsigned char)s[i - 1];
	size_t need = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
	return (n - (i - 1) >= need) ? n : i - 1;
}

bool text_is_word_cp(int32_t cp)
{
	if (cp < 0)
		return false;
	if (cp < 0x80)
		return (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z') ||
		       (cp >= 'A' && cp <= 'Z');
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_LU:
	case UTF8PROC_CATEGORY_LL:
	case UTF8PROC_CATEGORY_LT:
	case UTF8PROC_CATEGORY_LM:
	case UTF8PROC_CATEGORY_LO:
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_MC:
	case UTF8PROC_CATEGORY_ND:
	case UTF8PROC_CATEGORY_NL:
	case UTF8PROC_CATEGORY_NO: return true;
	default: return false;
	}
}

bool text_next_word(struct slice *rest, struct slice *word)
{
	const char *p = rest->ptr;
	size_t left = rest->len;
	while (left > 0) {
		int32_t cp;
		size_t n = text_decode(p, left, &cp);
		if (text_is_word_cp(cp))
			break;
		p += n;
		left -= n;
	}
	if (left == 0) {
		rest->ptr = p;
		rest->len = 0;
		return false;
	}
	const char *start = p;
	while (left > 0) {
		int32_t cp;
		size_t n = text_decode(p, left, &cp);
		if (!text_is_word_cp(cp))
			break;
		p += n;
		left -= n;
	}
	word->ptr = start;
	word->len = (size_t)(p - start);
	rest->ptr = p;
	rest->len = left;
	return true;
}

enum cp_class { CP_KEEP, CP_DROP, CP_SPACE, CP_NEWLINE };

static enum cp_class classify(int32_t cp)
{
	if (cp == '\n' || cp == '\r' || cp == 0x2028 || cp == 0x2029 || cp == 0x0B || cp == 0x0C ||
	    cp == 0x85)
		return CP_NEWLINE;
	if (cp == '\t' || cp == ' ')
		return CP_SPACE;
	if (cp == 0xAD || cp == 0x200B || cp == 0x2060 || cp == 0xFEFF)
		return CP_DROP; /* soft hyphen, zero-width space, word joiner, BOM */
	if ((cp >= 0xE000 && cp <= 0xF8FF) || cp >= 0xF0000)
		return CP_DROP; /* private use: icon glyphs that carry no text */
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_CC:
	case UTF8PROC_CATEGORY_CS:
	case UTF8PROC_CATEGORY_CN:
	case UTF8PROC_CATEGORY_CO: return CP_DROP;
	case UTF8PROC_CATEGORY_ZS: return CP_SPACE;
	default: return CP_KEEP;
	}
}

static int put_cp(struct buf *b, int32_t cp)
{
	utf8proc_uint8_t tmp[4];
	utf8proc_ssize_t n = utf8proc_encode_char(cp, tmp);
	return buf_append(b, tmp, (size_t)n);
}

/*
 * First pass: decode (invalid bytes -> U+FFFD), drop what carries no text, map every space to
 * ' ' and every line break to '\n'. "\r\n" becomes a single '\n'.
 */
static int clean(const char *s, size_t len, struct buf *out)
{
	size_t i = 0;
	while (i < len) {
		int32_t cp;
		size_t n = text_decode(s + i, len - i, &cp);
		if (cp < 0)
			cp = 0xFFFD;
		i += n;
		enum cp_class k = classify(cp);
		int rc = 0;
		if (k == CP_NEWLINE) {
			if (cp == '\r' && i < len && s[i] == '\n')
				i++;
			rc = buf_putc(out, '\n');
		} else if (k == CP_SPACE) {
			rc = buf_putc(out, ' ');
		} else if (k == CP_KEEP) {
			rc = put_cp(out, cp);
		}
		if (rc)
			return rc;
	}
	return 0;
}

/* Last pass: collapse spaces, trim lines, allow at most one empty line in a row. */
static int collapse(const char *s, size_t len, struct buf *out)
{
	size_t base = out->len;
	bool pending_space = false;
	int newlines = 0;
	bool at_line_start = true;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];
		if (c == ' ' || c == '\t') {
			if (!at_line_start)
				pending_space = true;
			continue;
		}
		if (c == '\n') {
			pending_space = false;
			at_line_start = true;
			if (out->len > base && newlines < 2) {
				int rc = buf_putc(out, '\n');
				if (rc)
					return rc;
			}
			newlines++;
			continue;
		}
		if (pending_space) {
			int rc = buf_putc(out, ' ');
			if (rc)
				return rc;
		}
		pending_space = false;
		at_line_start = false;
		newlines = 0;
		int rc = buf_putc(out, c);
		if (rc)
			return rc;
	}
	return 0;
}

static int normalize_impl(const char *s, size_t len, struct buf *out, bool fold)
{
	struct buf tmp;
	buf_init(&tmp, out->cap_limit > SIZE_MAX / 4 ? SIZE_MAX / 4 : out->cap_limit * 4 + 64);
	int rc = clean(s, len, &tmp);
	if (rc)
		goto out;
	if (tmp.len == 0)
		goto out;
	utf8proc_uint8_t *mapped = NULL;
	int opts = UTF8PROC_STABLE | UTF8PROC_COMPOSE | UTF8PROC_COMPAT;
	if (fold)
		opts |= UTF8PROC_CASEFOLD;
	utf8proc_ssize_t n =
	    utf8proc_map((const utf8proc_uint8_t *)tmp.data, (utf8proc_ssize_t)tmp.len, &mapped,
	                 (utf8proc_option_t)opts);
	if (n < 0) {
		rc = n == UTF8PROC_ERROR_NOMEM ? MD_ENOMEM : MD_EINVAL;
		goto out;
	}
	/* NFKC can turn a kept code point into a space (U+00A0) or a control: re-clean. */
	buf_reset(&tmp);
	rc = clean((const char *)mapped, (size_t)n, &tmp);
	free(mapped); /* utf8proc allocates with malloc() */
	if (rc)
		goto out;
	rc = collapse(tmp.data, tmp.len, out);
out:
	buf_release(&tmp);
	return rc;
}

int text_normalize(const char *s, size_t len, struct buf *out)
{
	return normalize_impl(s, len, out, false);
}

int text_casefold(const char *s, size_t len, struct buf *out)
{
	return normalize_impl(s, len, out, true);
}
