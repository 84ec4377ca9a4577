/* csv.c: the CSV reader (see csv.h). */
#include "engines/linkage/csv.h"

#include <stdarg.h>

#include "base/common.h"
#include "engines/linkage/table.h"

/* A growable array of cell pointers. */
struct ptrvec {
	char **v;
	size_t n, cap;
};

struct parser {
	const char *p, *end;
	char delim;
	bool trim_tabs; /* tabs count as trimmable space unless they delimit */
	size_t line;    /* 1-based physical line of p */
	size_t max_field, max_cols, max_rows;
	struct lk_table *t;
	char *empty; /* the one "" every empty cell points to */
	struct lk_csv_error *err;
	unsigned char stop[256]; /* bytes that end an unquoted field */
};

__attribute__((format(printf, 4, 5))) static int fail(struct lk_csv_error *err, int rc, size_t line,
                                                      const char *fmt, ...)
{
	if (!err)
		return rc;
	err->line = line;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof err->message, fmt, ap);
	va_end(ap);
	return rc;
}

static int ptrvec_push(struct ptrvec *pv, char *s)
{
	if (pv->n == pv->cap && md_grow(&pv->v, &pv->cap, sizeof *pv->v, 1024))
		return MD_ENOMEM;
	pv->v[pv->n++] = s;
	return 0;
}

/* ---- encoding ---- */

/* The length of the valid UTF-8 sequence at s[0..n) (lead byte >= 0x80), or 0. */
static size_t utf8_seq_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t need = c < 0xC2 ? 0 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : c < 0xF5 ? 4 : 0;
	if (need == 0 || n < need)
		return 0;
	for (size_t i = 1; i < need; i++)
		if ((s[i] & 0xC0) != 0x80)
			return 0;
	if ((c == 0xE0 && s[1] < 0xA0) || (c == 0xED && s[1] >= 0xA0) ||
	    (c == 0xF0 && s[1] < 0x90) || (c == 0xF4 && s[1] >= 0x90))
		return 0; /* overlong, surrogate or beyond U+10FFFF */
	return need;
}

static size_t line_of(const char *data, size_t off)
{
	size_t line = 1;
	const char *p = data, *end = data + off;
	while ((p = memchr(p, '\n', (size_t)(end - p)))) {
		line++;
		p++;
	}
	return line;
}

/*
 * Checks that s[0..n) is text: no NUL or control bytes other than tab, CR and LF. Sets *utf8
 * to whether it is valid UTF-8. Eight ASCII bytes at a time in the common case.
 */
static int check_text(const char *data, size_t n, bool *utf8, struct lk_csv_error *err)
{
	const unsigned char *s = (const unsigned char *)data;
	const uint64_t hi = 0x8080808080808080ull, add = 0x6060606060606060ull;
	bool valid = true;
	size_t i = 0;
	while (i < n) {
		if (n - i >= 8) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			/* No byte >= 0x80, and every byte + 0x60 >= 0x80, i.e. every byte >= 0x20. */
			if ((w & hi) == 0 && ((w + add) & hi) == hi) {
				i += 8;
				continue;
			}
		}
		unsigned char c = s[i];
		if (c >= 0x20 && c < 0x80) {
			i++;
		} else if (c == '\t' || c == '\n' || c == '\r') {
			i++;
		} else if (c < 0x20) {
			return fail(err, MD_EINVAL, line_of(data, i),
			            "binary data: byte 0x%02x is not text", c);
		} else if (valid) {
			size_t k = utf8_seq_len(s + i, n - i);
			if (k == 0) {
				valid = false;
				i++;
			} else {
				i += k;
			}
		} else {
			i++;
		}
	}
	*utf8 = valid;
	return 0;
}

/* Windows-1252 for 0x80-0x9F, the usual meaning of those bytes in "Latin-1" files. */
static const uint16_t cp1252[32] = {
	0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
	0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
	0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

static uint32_t latin1_cp(unsigned char c)
{
	return c >= 0x80 && c < 0xA0 ? cp1252[c - 0x80] : c;
}

/* Converts Latin-1 s[0..n) to a new UTF-8 heap string (*out, *outlen). */
static int latin1_to_utf8(const char *data, size_t n, char **out, size_t *outlen)
{
	const unsigned char *s = (const unsigned char *)data;
	size_t need = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t cp = latin1_cp(s[i]);
		need += cp < 0x80 ? 1 : cp < 0x800 ? 2 : 3;
	}
	char *o = md_malloc(need + 1);
	if (!o)
		return MD_ENOMEM;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		uint32_t cp = latin1_cp(s[i]);
		if (cp < 0x80) {
			o[k++] = (char)cp;
		} else if (cp < 0x800) {
			o[k++] = (char)(0xC0 | (cp >> 6));
			o[k++] = (char)(0x80 | (cp & 0x3F));
		} else {
			o[k++] = (char)(0xE0 | (cp >> 12));
			o[k++] = (char)(0x80 | ((cp >> 6) & 0x3F));
			o[k++] = (char)(0x80 | (cp & 0x3F));
		}
	}
	o[k] = '\0';
	*out = o;
	*outlen = k;
	return 0;
}

/* ---- parsing ---- */

/* The most frequent of , ; \t | outside quotes on the first line; ',' on a tie or none. */
static char sniff_delimiter(const char *p, const char *end)
{
	static const char cands[] = { ',', ';', '\t', '|' };
	size_t counts[4] = { 0 };
	bool quoted = false;
	for (; p < end; p++) {
		char c = *p;
		if (c == '"') {
			quoted = !quoted;
		} else if (!quoted) {
			if (c == '\n' || c == '\r')
				break;
			for (size_t k = 0; k < 4; k++)
				if (c == cands[k])
					counts[k]++;
		}
	}
	size_t best = 0;
	for (size_t k = 1; k < 4; k++)
		if (counts[k] > counts[best])
			best = k;
	return cands[best];
}

static bool is_trim(const struct parser *ps, char c)
{
	return c == ' ' || (c == '\t' && ps->trim_tabs);
}

/* Copies the quoted content raw[0..n) (with "" escapes) into the arena, counting lines. */
static char *unescape(struct parser *ps, const char *raw, size_t n, size_t *outlen)
{
	char *o = lk_table_alloc(ps->t, n + 1);
	if (!o)
		return NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		char c = raw[i];
		if (c == '"')
			i++; /* the first of a "" pair; the scan guaranteed the second */
		else if (c == '\n' || (c == '\r' && (i + 1 == n || raw[i + 1] != '\n')))
			ps->line++;
		o[k++] = c;
	}
	o[k] = '\0';
	*outlen = k;
	return o;
}

static int parse_quoted(struct parser *ps, bool keep, char **val)
{
	size_t start_line = ps->line;
	const char *raw = ++ps->p, *q = raw;
	for (;;) {
		q = memchr(q, '"', (size_t)(ps->end - q));
		if (!q)
			return fail(ps->err, MD_EINVAL, start_line,
			            "unterminated quoted field starting at line %zu", start_line);
		if (q + 1 < ps->end && q[1] == '"') {
			q += 2;
			continue;
		}
		break;
	}
	size_t len;
	if (keep) {
		*val = unescape(ps, raw, (size_t)(q - raw), &len);
		if (!*val)
			return MD_ENOMEM;
	} else {
		len = (size_t)(q - raw);
		for (const char *c = raw; c < q; c++)
			if (*c == '\n' || (*c == '\r' && (c + 1 == q || c[1] != '\n')))
				ps->line++;
	}
	if (len > ps->max_field)
		return fail(ps->err, MD_ELIMIT, start_line,
		            "field of %zu bytes exceeds the limit of %zu bytes", len,
		            ps->max_field);
	ps->p = q + 1;
	while (ps->p < ps->end && is_trim(ps, *ps->p))
		ps->p++;
	if (ps->p < ps->end && *ps->p != ps->delim && *ps->p != '\n' && *ps->p != '\r')
		return fail(ps->err, MD_EINVAL, ps->line, "unexpected text after a closing quote");
	return 0;
}

/* Parses one field at ps->p, leaving ps->p on the delimiter, the line end or the end. */
static int parse_field(struct parser *ps, bool keep, char **val)
{
	const char *p = ps->p, *end = ps->end;
	while (p < end && is_trim(ps, *p))
		p++;
	ps->p = p;
	if (p < end && *p == '"')
		return parse_quoted(ps, keep, val);
	const char *s = p;
	while (p < end && !ps->stop[(unsigned char)*p])
		p++;
	ps->p = p;
	while (p > s && is_trim(ps, p[-1]))
		p--;
	size_t len = (size_t)(p - s);
	if (len > ps->max_field)
		return fail(ps->err, MD_ELIMIT, ps->line,
		            "field of %zu bytes exceeds the limit of %zu bytes", len,
		            ps->max_field);
	if (!keep)
		return 0;
	*val = len ? lk_table_strndup(ps->t, s, len) : ps->empty;
	return *val ? 0 : MD_ENOMEM;
}

/*
 * Parses one record into vec, keeping at most keep_max fields; *nfields counts them all.
 * Leaves ps->p after the line end.
 */
static int parse_record(struct parser *ps, struct ptrvec *vec, size_t keep_max, size_t *nfields)
{
	size_t nf = 0;
	for (;;) {
		char *val = NULL;
		bool keep = nf < keep_max;
		int rc = parse_field(ps, keep, &val);
		if (rc)
			return rc;
		if (keep && (rc = ptrvec_push(vec, val)))
			return rc;
		nf++;
		if (ps->p < ps->end && *ps->p == ps->delim) {
			ps->p++;
			continue;
		}
		break;
	}
	if (ps->p < ps->end) {
		if (*ps->p == '\r')
			ps->p++;
		if (ps->p < ps->end && *ps->p == '\n')
			ps->p++;
		ps->line++;
	}
	*nfields = nf;
	return 0;
}

/* Skips blank lines; false at the end of the input. */
static bool skip_blank_lines(struct parser *ps)
{
	while (ps->p < ps->end) {
		if (*ps->p == '\n') {
			ps->p++;
		} else if (*ps->p == '\r') {
			ps->p++;
			if (ps->p < ps->end && *ps->p == '\n')
				ps->p++;
		} else {
			return true;
		}
		ps->line++;
	}
	return false;
}

static void trim_name(char **name)
{
	char *s = *name;
	while (*s == ' ' || *s == '\t')
		s++;
	size_t n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		s[--n] = '\0';
	*name = s;
}

static int parse_header(struct parser *ps, struct ptrvec *names)
{
	size_t nf;
	int rc = parse_record(ps, names, ps->max_cols + 1, &nf);
	if (rc)
		return rc;
	if (nf > ps->max_cols)
		return fail(ps->err, MD_ELIMIT, 1, "the header has %zu columns, the limit is %zu",
		            nf, ps->max_cols);
	for (size_t c = 0; c < names->n; c++) {
		trim_name(&names->v[c]);
		if (!names->v[c][0])
			return fail(ps->err, MD_EINVAL, 1, "column %zu has an empty name", c + 1);
		for (size_t k = 0; k < c; k++)
			if (strcmp(names->v[k], names->v[c]) == 0)
				return fail(ps->err, MD_EINVAL, 1,
				            "duplicate column name \"%.60s\"", names->v[c]);
	}
	return 0;
}

static int parse_rows(struct parser *ps, size_t ncols, struct ptrvec *cells, size_t *nrows)
{
	size_t rows = 0;
	while (skip_blank_lines(ps)) {
		size_t line = ps->line, nf;
		if (rows == ps->max_rows)
			return fail(ps->err, MD_ELIMIT, line, "more than %zu rows", ps->max_rows);
		int rc = parse_record(ps, cells, ncols, &nf);
		if (rc == 0 && nf != ncols)
			return fail(ps->err, MD_EINVAL, line,
			            "row has %zu field%s, the header has %zu", nf,
			            nf == 1 ? "" : "s", ncols);
		if (rc)
			return rc;
		/* parse_record kept at most ncols, so the vector grew by exactly ncols. */
		rows++;
	}
	*nrows = rows;
	return 0;
}

static int parse(struct parser *ps)
{
	struct ptrvec names = { 0 }, cells = { 0 };
	struct lk_table *t = ps->t;
	size_t nrows = 0;
	int rc;
	if (!(ps->empty = lk_table_alloc(t, 1)))
		return MD_ENOMEM;
	ps->empty[0] = '\0';
	if (!skip_blank_lines(ps)) {
		rc = fail(ps->err, MD_EINVAL, 1, "empty file");
		goto out;
	}
	const char *eol = memchr(ps->p, '\n', (size_t)(ps->end - ps->p));
	/* Quoted line breaks in the header are rare; sniffing to the first LF is enough. */
	ps->delim = sniff_delimiter(ps->p, eol ? eol : ps->end);
	ps->trim_tabs = ps->delim != '\t';
	ps->stop[(unsigned char)ps->delim] = 1;
	ps->stop['\n'] = ps->stop['\r'] = 1;
	if ((rc = parse_header(ps, &names)))
		goto out;
	if ((rc = parse_rows(ps, names.n, &cells, &nrows)))
		goto out;
	t->ncols = names.n;
	t->nrows = nrows;
	t->colnames = names.v;
	t->cells = cells.v ? cells.v : md_malloc(sizeof(char *));
	if (!t->cells) {
		names.v = NULL;
		rc = MD_ENOMEM;
		goto out;
	}
	return 0;
out:
	md_free(names.v);
	md_free(cells.v);
	return rc;
}

int lk_csv_parse(const char *data, size_t len, const struct lk_csv_limits *lim,
                 struct lk_table *out, struct lk_csv_error *err)
{
	struct lk_csv_limits l = lim ? *lim : (struct lk_csv_limits){ 0 };
	char *converted = NULL;
	int rc;
	lk_table_release(out);
	if (err) {
		err->line = 0;
		err->message[0] = '\0';
	}
	if (!l.max_bytes)
		l.max_bytes = LK_CSV_DEFAULT_MAX_BYTES;
	if (!l.max_rows)
		l.max_rows = LK_CSV_DEFAULT_MAX_ROWS;
	if (!l.max_cols)
		l.max_cols = LK_CSV_DEFAULT_MAX_COLS;
	if (!l.max_field_bytes)
		l.max_field_bytes = LK_CSV_DEFAULT_MAX_FIELD_BYTES;
	if (len > l.max_bytes)
		return fail(err, MD_ELIMIT, 0, "the file has %zu bytes, the limit is %zu", len,
		            l.max_bytes);
	if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0) {
		data += 3;
		len -= 3;
	}
	bool utf8 = true;
	if ((rc = check_text(data, len, &utf8, err)))
		return rc;
	if (!utf8) {
		if ((rc = latin1_to_utf8(data, len, &converted, &len)))
			return fail(err, rc, 0, "out of memory");
		data = converted;
	}
	struct parser ps = { .p = data,
		             .end = data + len,
		             .line = 1,
		             .max_field = l.max_field_bytes,
		             .max_cols = l.max_cols,
		             .max_rows = l.max_rows,
		             .t = out,
		             .err = err };
	rc = parse(&ps);
	if (rc == MD_ENOMEM && err && !err->message[0])
		fail(err, rc, ps.line, "out of memory");
	if (rc)
		lk_table_release(out);
	md_free(converted);
	return rc;
}
