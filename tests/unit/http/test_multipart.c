/*
 * test_multipart.c: the streaming multipart/form-data parser. Every table case is also fed at
 * every split point, at every pair of split points (short bodies) and byte by byte: the events
 * must not depend on how the body was cut.
 */
#include <criterion/criterion.h>

#include "base/common.h"
#include "http/multipart.h"

#define LOG_LIMIT (8u * 1024 * 1024)

struct collector {
	struct buf log;
	int abort_on_data; /* returned from on_part_data when non-zero */
	bool open;
};

static int on_begin(void *ctx, const struct multipart_part_info *info)
{
	struct collector *c = ctx;
	cr_assert(!c->open, "part %zu begun inside another part", info->index);
	c->open = true;
	cr_assert_not_null(info->name);
	int rc =
	    buf_printf(&c->log, "[%s;%s;%s]", info->name, info->filename ? info->filename : "-",
	               info->content_type ? info->content_type : "-");
	cr_assert_eq(rc, 0);
	return 0;
}

static int on_data(void *ctx, const char *data, size_t len)
{
	struct collector *c = ctx;
	cr_assert(c->open, "data outside a part");
	cr_assert_gt(len, 0, "empty data callback");
	if (c->abort_on_data)
		return c->abort_on_data;
	cr_assert_eq(buf_append(&c->log, data, len), 0);
	return 0;
}

static int on_end(void *ctx)
{
	struct collector *c = ctx;
	cr_assert(c->open, "end without begin");
	c->open = false;
	cr_assert_eq(buf_putc(&c->log, '|'), 0);
	return 0;
}

static const struct multipart_callbacks callbacks = { on_begin, on_data, on_end };

struct outcome {
	int rc;
	const char *err;
	char *log; /* md_free()d by the caller */
	size_t len;
};

/* Feeds body cut at the ncuts ascending offsets of cuts, then finishes. */
static struct outcome run_cuts(const char *boundary, const struct multipart_limits *lim,
                               const char *body, size_t n, const size_t *cuts, size_t ncuts)
{
	struct collector c = { .open = false };
	struct multipart mp;
	struct outcome o = { 0 };
	buf_init(&c.log, LOG_LIMIT);
	cr_assert_eq(multipart_init(&mp, boundary, lim, &callbacks, &c), 0);
	size_t at = 0;
	for (size_t i = 0; i <= ncuts && o.rc == 0; i++) {
		size_t next = i < ncuts ? cuts[i] : n;
		o.rc = multipart_feed(&mp, body + at, next - at);
		at = next;
	}
	if (o.rc == 0)
		o.rc = multipart_finish(&mp);
	else
		cr_assert_eq(multipart_feed(&mp, "x", 1), o.rc, "error is sticky");
	o.err = multipart_error(&mp);
	cr_assert_eq(o.rc == 0, o.err == NULL, "rc %d but error \"%s\"", o.rc,
	             o.err ? o.err : "(null)");
	multipart_release(&mp);
	o.len = c.log.len;
	o.log = buf_take(&c.log);
	if (!o.log)
		o.log = md_strdup("");
	return o;
}

static void same_outcome(const struct outcome *want, const struct outcome *got, const char *how,
                         size_t a, size_t b)
{
	cr_assert_eq(got->rc, want->rc, "%s %zu,%zu: rc %d, want %d", how, a, b, got->rc, want->rc);
	cr_assert(got->err == want->err || (got->err && want->err && !strcmp(got->err, want->err)),
	          "%s %zu,%zu: error \"%s\", want \"%s\"", how, a, b, got->err, want->err);
	cr_assert(got->len == want->len && memcmp(got->log, want->log, want->len) == 0,
	          "%s %zu,%zu: log \"%s\", want \"%s\"", how, a, b, got->log, want->log);
}

/* Runs body whole, checks the expectation, then at every split point and byte by byte. */
static void check_splits(const char *boundary, const struct multipart_limits *lim, const char *body,
                         size_t n, const char *want_log, int want_rc, const char *want_err)
{
	struct outcome whole = run_cuts(boundary, lim, body, n, NULL, 0);
	cr_assert_eq(whole.rc, want_rc, "rc %d (%s), want %d", whole.rc, whole.err ? whole.err : "",
	             want_rc);
	if (want_err)
		cr_assert_str_eq(whole.err ? whole.err : "(null)", want_err);
	if (want_log)
		cr_assert_str_eq(whole.log, want_log);
	for (size_t i = 0; i <= n; i++) {
		struct outcome o = run_cuts(boundary, lim, body, n, &i, 1);
		same_outcome(&whole, &o, "split", i, 0);
		md_free(o.log);
	}
	for (size_t i = 0; n < 300 && i <= n; i++)
		for (size_t j = i; j <= n; j++) {
			size_t cuts[2] = { i, j };
			struct outcome o = run_cuts(boundary, lim, body, n, cuts, 2);
			same_outcome(&whole, &o, "pair", i, j);
			md_free(o.log);
		}
	size_t *cuts = md_malloc((n + 1) * sizeof(*cuts));
	cr_assert_not_null(cuts);
	for (size_t i = 0; i < n; i++)
		cuts[i] = i + 1;
	struct outcome o = run_cuts(boundary, lim, body, n, cuts, n ? n - 1 : 0);
	same_outcome(&whole, &o, "bytewise", 0, 0);
	md_free(o.log);
	md_free(cuts);
	md_free(whole.log);
}

struct mp_case {
	const char *title;
	const char *boundary;
	struct multipart_limits lim;
	const char *body;
	const char *log;
	int rc;
	const char *err;
};

#define CRLF "\r\n"
#define CD(n) "Content-Disposition: form-data; name=\"" n "\"" CRLF

static const struct mp_case cases[] = {
	{ "two fields",
	  "AaB03x",
	  { 0 },
	  "--AaB03x" CRLF CD("a") CRLF "1" CRLF "--AaB03x" CRLF CD("b") CRLF "two" CRLF
	                                                                     "--AaB03x--" CRLF,
	  "[a;-;-]1|[b;-;-]two|",
	  0,
	  NULL },
	{ "file with type",
	  "AaB03x",
	  { 0 },
	  "--AaB03x" CRLF "Content-Disposition: form-data; name=\"cv\"; filename=\"cv.pdf\"" CRLF
	  "Content-Type: application/pdf" CRLF CRLF "%PDF-1.4\r\n%%EOF" CRLF "--AaB03x--",
	  "[cv;cv.pdf;application/pdf]%PDF-1.4\r\n%%EOF|",
	  0,
	  NULL },
	{ "preamble and epilogue ignored",
	  "b",
	  { 0 },
	  "This is the preamble.\r\n--b-not\r\n--b" CRLF CD("x") CRLF
	  "v" CRLF "--b--\r\nepilogue\r\n--b\r\ngarbage",
	  "[x;-;-]v|",
	  0,
	  NULL },
	{ "empty parts",
	  "b",
	  { 0 },
	  "--b" CRLF CD("e1") CRLF CRLF "--b" CRLF CD("e2") CRLF CRLF "--b--",
	  "[e1;-;-]|[e2;-;-]|",
	  0,
	  NULL },
	{ "zero parts", "b", { 0 }, "--b--", "", 0, NULL },
	{ "lookalike boundaries in data",
	  "AaB03x",
	  { 0 },
	  "--AaB03x" CRLF CD("d") CRLF "x--AaB03x\r\n--AaB03\r\n--AaB03xZ\r\n--AaB03x-Z\r\r\n-"
	                               "\r\r\n--AaB0\r\r\r" CRLF "--AaB03x--",
	  "[d;-;-]x--AaB03x\r\n--AaB03\r\n--AaB03xZ\r\n--AaB03x-Z\r\r\n-\r\r\n--AaB0\r\r\r|",
	  0,
	  NULL },
	{ "data ending in CR and dashes",
	  "zz",
	  { 0 },
	  "--zz" CRLF CD("d") CRLF "a\r\r\n-\r\n--z\r\n--" CRLF "--zz--",
	  "[d;-;-]a\r\r\n-\r\n--z\r\n--|",
	  0,
	  NULL },
	{ "transport padding",
	  "b",
	  { 0 },
	  "--b \t " CRLF CD("p") CRLF "v" CRLF "--b\t" CRLF CD("q") CRLF "w" CRLF "--b--  ",
	  "[p;-;-]v|[q;-;-]w|",
	  0,
	  NULL },
	{ "quoted values",
	  "b",
	  { 0 },
	  "--b" CRLF
	  "Content-Disposition: form-data; name=\"a\\\"b;c\"; filename=\"C:\\dir\\f.pdf\"" CRLF CRLF
	  "v" CRLF "--b--",
	  "[a\"b;c;C:\\dir\\f.pdf;-]v|",
	  0,
	  NULL },
	{ "RFC 5987 filename*",
	  "b",
	  { 0 },
	  "--b" CRLF "Content-Disposition: form-data; name=f; filename=\"rates.pdf\"; "
	  "filename*=UTF-8''%e2%82%ac%20rates.pdf" CRLF CRLF "v" CRLF "--b--",
	  "[f;\xe2\x82\xac rates.pdf;-]v|",
	  0,
	  NULL },
	{ "filename* in another charset is ignored",
	  "b",
	  { 0 },
	  "--b" CRLF "Content-Disposition: form-data; name=f; filename*=iso-8859-1'en'%e9.txt; "
	  "filename=e.txt" CRLF CRLF "v" CRLF "--b--",
	  "[f;e.txt;-]v|",
	  0,
	  NULL },
	{ "header case and LWS",
	  "b",
	  { 0 },
	  "--b" CRLF "content-DISPOSITION  :   FORM-DATA ;NAME = \"x\" ;  filename=y.txt  " CRLF
	  "CONTENT-type:text/plain; charset=utf-8" CRLF "X-Unknown: whatever" CRLF CRLF "v" CRLF
	  "--b--",
	  "[x;y.txt;text/plain; charset=utf-8]v|",
	  0,
	  NULL },
	{ "unknown Content-Disposition parameters",
	  "b",
	  { 0 },
	  "--b" CRLF
	  "Content-Disposition: form-data; size=3; name&=x; name=\"n\"; x=\"y\"" CRLF CRLF "v" CRLF
	  "--b--",
	  "[n;-;-]v|",
	  0,
	  NULL },
	{ "folded header",
	  "b",
	  { 0 },
	  "--b" CRLF "Content-Disposition: form-data;" CRLF "\tname=\"fold\"" CRLF CRLF "v" CRLF
	  "--b--",
	  "[fold;-;-]v|",
	  0,
	  NULL },
	{ "empty filename",
	  "b",
	  { 0 },
	  "--b" CRLF "Content-Disposition: form-data; name=\"f\"; filename=\"\"" CRLF CRLF CRLF
	  "--b--",
	  "[f;;-]|",
	  0,
	  NULL },
	{ "special boundary characters",
	  "a'()+_,-./:=? b",
	  { 0 },
	  "--a'()+_,-./:=? b" CRLF CD("s") CRLF "v" CRLF "--a'()+_,-./:=? b--",
	  "[s;-;-]v|",
	  0,
	  NULL },
	{ "no headers",
	  "b",
	  { 0 },
	  "--b" CRLF CRLF "v" CRLF "--b--",
	  "",
	  MD_EINVAL,
	  "missing Content-Disposition" },
	{ "missing name",
	  "b",
	  { 0 },
	  "--b" CRLF "Content-Disposition: form-data; filename=\"a\"" CRLF CRLF "v" CRLF "--b--",
	  "",
	  MD_EINVAL,
	  "missing name in Content-Disposition" },
	{ "not form-data",
	  "b",
	  { 0 },
	  "--b" CRLF "Content-Disposition: attachment; name=\"a\"" CRLF CRLF "v" CRLF "--b--",
	  "",
	  MD_EINVAL,
	  "Content-Disposition is not form-data" },
	{ "header without colon",
	  "b",
	  { 0 },
	  "--b" CRLF CD("a") "Bogus header" CRLF CRLF "--b--",
	  "",
	  MD_EINVAL,
	  "malformed part header" },
	{ "bare LF in header",
	  "b",
	  { 0 },
	  "--b" CRLF "X-A: 1\nX-B: 2" CRLF CD("a") CRLF "--b--",
	  "",
	  MD_EINVAL,
	  "malformed part header" },
	{ "NUL in header",
	  "b",
	  { 0 },
	  "--b" CRLF "X-A: 1\0002" CRLF CD("a") CRLF "--b--",
	  "",
	  MD_EINVAL,
	  "malformed part header" },
	{ "space in header name",
	  "b",
	  { 0 },
	  "--b" CRLF "X A: 1" CRLF CD("a") CRLF "--b--",
	  "",
	  MD_EINVAL,
	  "malformed part header" },
	{ "leading fold",
	  "b",
	  { 0 },
	  "--b" CRLF " X-A: 1" CRLF CD("a") CRLF "--b--",
	  "",
	  MD_EINVAL,
	  "malformed part header" },
	{ "unterminated quote",
	  "b",
	  { 0 },
	  "--b" CRLF "Content-Disposition: form-data; name=\"a" CRLF CRLF "--b--",
	  "",
	  MD_EINVAL,
	  "malformed Content-Disposition" },
	{ "duplicate name",
	  "b",
	  { 0 },
	  "--b" CRLF "Content-Disposition: form-data; name=a; name=b" CRLF CRLF "--b--",
	  "",
	  MD_EINVAL,
	  "malformed Content-Disposition" },
	{ "duplicate Content-Disposition",
	  "b",
	  { 0 },
	  "--b" CRLF CD("a") CD("b") CRLF "--b--",
	  "",
	  MD_EINVAL,
	  "duplicate Content-Disposition" },
	{ "bad filename* escape",
	  "b",
	  { 0 },
	  "--b" CRLF "Content-Disposition: form-data; name=f; filename*=UTF-8''%zz" CRLF CRLF
	  "--b--",
	  "",
	  MD_EINVAL,
	  "malformed Content-Disposition" },
	{ "filename* not UTF-8",
	  "b",
	  { 0 },
	  "--b" CRLF "Content-Disposition: form-data; name=f; filename*=UTF-8''%ff" CRLF CRLF
	  "--b--",
	  "",
	  MD_EINVAL,
	  "malformed Content-Disposition" },
	{ "too many parts",
	  "b",
	  { .max_parts = 2 },
	  "--b" CRLF CD("1") CRLF "a" CRLF "--b" CRLF CD("2") CRLF "b" CRLF "--b" CRLF CD("3") CRLF
	  "c" CRLF "--b--",
	  "[1;-;-]a|[2;-;-]b|",
	  MD_ELIMIT,
	  "too many parts" },
	{ "exactly max parts",
	  "b",
	  { .max_parts = 2 },
	  "--b" CRLF CD("1") CRLF "a" CRLF "--b" CRLF CD("2") CRLF "b" CRLF "--b--",
	  "[1;-;-]a|[2;-;-]b|",
	  0,
	  NULL },
	{ "header too large",
	  "b",
	  { .max_header_bytes = 64 },
	  "--b" CRLF CD("ok") CRLF
	  "v" CRLF "--b" CRLF CD("a") "X-Pad: 0123456789012345678901234567" CRLF CRLF "--b--",
	  "[ok;-;-]v|",
	  MD_ELIMIT,
	  "part header too large" },
	{ "header exactly at the limit",
	  "b",
	  { .max_header_bytes = 52 },
	  "--b" CRLF CD("a23456789") CRLF "v" CRLF "--b--",
	  "[a23456789;-;-]v|",
	  0,
	  NULL },
	{ "header one over the limit",
	  "b",
	  { .max_header_bytes = 51 },
	  "--b" CRLF CD("a23456789") CRLF "v" CRLF "--b--",
	  "",
	  MD_ELIMIT,
	  "part header too large" },
	{ "missing final boundary",
	  "b",
	  { 0 },
	  "--b" CRLF CD("a") CRLF "data" CRLF "--b",
	  "[a;-;-]data",
	  MD_EINVAL,
	  "missing final boundary" },
	{ "missing final boundary, data",
	  "b",
	  { 0 },
	  "--b" CRLF CD("a") CRLF "data\r\n--",
	  "[a;-;-]data",
	  MD_EINVAL,
	  "missing final boundary" },
	{ "no boundary at all",
	  "b",
	  { 0 },
	  "just some text",
	  "",
	  MD_EINVAL,
	  "missing final boundary" },
	{ "empty body", "b", { 0 }, "", "", MD_EINVAL, "missing final boundary" },
	{ "body too large",
	  "b",
	  { .max_total_bytes = 20 },
	  "--b" CRLF CD("a") CRLF "0123456789" CRLF "--b--",
	  "",
	  MD_ELIMIT,
	  "body too large" },
	{ "body too large in data",
	  "b",
	  { .max_total_bytes = 50 },
	  "--b" CRLF CD("a") CRLF "0123456789" CRLF "--b--",
	  "[a;-;-]0",
	  MD_ELIMIT,
	  "body too large" },
	{ "body exactly at the limit",
	  "b",
	  { .max_total_bytes = 66 },
	  "--b" CRLF CD("a") CRLF "0123456789" CRLF "--b--",
	  "[a;-;-]0123456789|",
	  0,
	  NULL },
	{ "junk after padding",
	  "b",
	  { 0 },
	  "--b" CRLF CD("a") CRLF "v" CRLF "--b  x" CRLF "--b--",
	  "[a;-;-]v",
	  MD_EINVAL,
	  "malformed boundary line" },
	{ "CR without LF after boundary",
	  "b",
	  { 0 },
	  "--b\rx" CRLF CD("a") CRLF "--b--",
	  "",
	  MD_EINVAL,
	  "malformed boundary line" },
};

Test(multipart, table_every_split)
{
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const struct mp_case *c = &cases[i];
		size_t n = strlen(c->body);
		if (strcmp(c->title, "NUL in header") == 0)
			n = strlen(c->body) + 1 + strlen(c->body + strlen(c->body) + 1);
		cr_log_info("case %s", c->title);
		check_splits(c->boundary, &c->lim, c->body, n, c->log, c->rc, c->err);
	}
}

Test(multipart, nul_in_header_is_really_nul)
{
	const struct mp_case *c = NULL;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		if (strcmp(cases[i].title, "NUL in header") == 0)
			c = &cases[i];
	cr_assert_not_null(c);
	cr_assert_eq(c->body[strlen(c->body) + 1], '2');
}

static int abort_begin(void *ctx, const struct multipart_part_info *info)
{
	return info->index == 1 ? -42 : 0;
}

Test(multipart, callback_abort)
{
	struct collector c = { .abort_on_data = -7 };
	struct multipart mp;
	const char body[] = "--b" CRLF CD("a") CRLF "v" CRLF "--b--";
	buf_init(&c.log, 1024);
	cr_assert_eq(multipart_init(&mp, "b", NULL, &callbacks, &c), 0);
	cr_assert_eq(multipart_feed(&mp, body, sizeof(body) - 1), -7);
	cr_assert_str_eq(multipart_error(&mp), "aborted by callback");
	cr_assert_eq(multipart_finish(&mp), -7);
	multipart_release(&mp);
	buf_release(&c.log);

	struct multipart_callbacks cb = { .on_part_begin = abort_begin };
	const char two[] =
	    "--b" CRLF CD("a") CRLF "v" CRLF "--b" CRLF CD("b") CRLF "w" CRLF "--b--";
	cr_assert_eq(multipart_init(&mp, "b", NULL, &cb, NULL), 0);
	cr_assert_eq(multipart_feed(&mp, two, sizeof(two) - 1), -42);
	cr_assert_eq(multipart_parts(&mp), 2);
	multipart_release(&mp);
}

Test(multipart, null_callbacks_and_defaults)
{
	struct multipart mp;
	const char body[] = "--b" CRLF CD("a") CRLF "v" CRLF "--b--";
	cr_assert_eq(multipart_init(&mp, "b", NULL, NULL, NULL), 0);
	cr_assert_eq(multipart_feed(&mp, body, sizeof(body) - 1), 0);
	cr_assert_eq(multipart_feed(&mp, NULL, 0), 0);
	cr_assert_eq(multipart_finish(&mp), 0);
	cr_assert_null(multipart_error(&mp));
	cr_assert_eq(multipart_parts(&mp), 1);
	multipart_release(&mp);
	multipart_release(&mp);
}

Test(multipart, init_rejects_bad_boundaries)
{
	struct multipart mp;
	char long_b[80];
	memset(long_b, 'a', 71);
	long_b[71] = '\0';
	cr_assert_eq(multipart_init(&mp, "", NULL, NULL, NULL), MD_EINVAL);
	cr_assert_eq(multipart_init(&mp, NULL, NULL, NULL, NULL), MD_EINVAL);
	cr_assert_eq(multipart_init(&mp, long_b, NULL, NULL, NULL), MD_EINVAL);
	cr_assert_eq(multipart_init(&mp, "a\rb", NULL, NULL, NULL), MD_EINVAL);
	cr_assert_eq(multipart_init(&mp, "ab ", NULL, NULL, NULL), MD_EINVAL);
	cr_assert_eq(multipart_init(&mp, "a\"b", NULL, NULL, NULL), MD_EINVAL);
	long_b[70] = '\0';
	cr_assert_eq(multipart_init(&mp, long_b, NULL, NULL, NULL), 0);
	multipart_release(&mp);
}

Test(multipart, init_fails_cleanly_without_memory)
{
	struct multipart mp;
	for (long n = 0; n < 2; n++) {
		md_alloc_fail_after(n);
		int rc = multipart_init(&mp, "b", NULL, NULL, NULL);
		md_alloc_fail_after(-1);
		cr_assert_eq(rc, MD_ENOMEM, "failing allocation %ld: rc %d", n, rc);
	}
}

Test(multipart, boundary_from_content_type)
{
	char out[MULTIPART_BOUNDARY_MAX + 1];
	static const struct {
		const char *ct, *want;
	} ok[] = {
		{ "multipart/form-data; boundary=AaB03x", "AaB03x" },
		{ "Multipart/Form-Data;boundary=AaB03x", "AaB03x" },
		{ "  multipart/form-data ; charset=utf-8 ; BOUNDARY = \"a b:c\" ", "a b:c" },
		{ "multipart/form-data; boundary=\"q\\\"x\"; a=b", NULL }, /* '"' not a bchar */
		{ "multipart/form-data; boundary=\"a\\bc\"", "abc" },
		{ "multipart/form-data; x=\"semi;colon\"; boundary=----WebKitFormBoundary7MA4YWxk",
		  "----WebKitFormBoundary7MA4YWxk" },
		{ "multipart/form-data; boundary=x;", "x" },
		{ "multipart/"
		  "form-data;\tboundary=1234567890123456789012345678901234567890123456789012"
		  "345678901234567890",
		  "1234567890123456789012345678901234567890123456789012345678901234567890" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		int rc = multipart_boundary(ok[i].ct, out, sizeof(out));
		if (!ok[i].want) {
			cr_assert_eq(rc, MD_EINVAL, "%s: rc %d", ok[i].ct, rc);
			continue;
		}
		cr_assert_eq(rc, 0, "%s: rc %d", ok[i].ct, rc);
		cr_assert_str_eq(out, ok[i].want);
	}
	static const char *const bad[] = {
		"",
		"multipart/form-data",
		"multipart/form-data;",
		"multipart/mixed; boundary=a",
		"multipart/form-dataX; boundary=a",
		"text/plain; boundary=a",
		"multipart/form-data; boundary=",
		"multipart/form-data; boundary=\"\"",
		"multipart/form-data; boundary=\"ab \"",
		"multipart/form-data; boundary=\"unterminated",
		"multipart/form-data; boundary=a; boundary=b",
		"multipart/form-data; boundary=a b",
		"multipart/form-data; boundary=a*b",
		"multipart/form-data; =a",
		"multipart/form-data; boundary",
		"multipart/form-data; boundary=12345678901234567890123456789012345678901234567890"
		"123456789012345678901",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		cr_assert_eq(multipart_boundary(bad[i], out, sizeof(out)), MD_EINVAL, "%s", bad[i]);
	cr_assert_eq(multipart_boundary(NULL, out, sizeof(out)), MD_EINVAL);
	cr_assert_eq(multipart_boundary("multipart/form-data; boundary=abcdef", out, 4), MD_ELIMIT);
	cr_assert_eq(multipart_boundary("multipart/form-data; boundary=abc", out, 4), 0);
}

/* xorshift64*: deterministic, so a failure reproduces. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ull;
}

/* A PDF-sized random payload with delimiter lookalikes planted in it. */
static char *random_payload(size_t n, const char *boundary, uint64_t seed)
{
	char *p = md_malloc(n);
	cr_assert_not_null(p);
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(rng_next(&seed) >> 56);
	char look[96];
	for (size_t at = 1000; at + sizeof(look) < n; at += 997 + rng_next(&seed) % 5000) {
		size_t blen = strlen(boundary), cut = rng_next(&seed) % blen;
		int len = 0;
		switch (rng_next(&seed) % 4) {
		case 0: len = snprintf(look, sizeof(look), "\r\n--%.*s", (int)cut, boundary); break;
		case 1: len = snprintf(look, sizeof(look), "\r\n--%sZ", boundary); break;
		case 2: len = snprintf(look, sizeof(look), "\r\n--%s-x", boundary); break;
		case 3:
			len = snprintf(look, sizeof(look), "\r\r\n--%.*s\r", (int)cut, boundary);
			break;
		}
		memcpy(p + at, look, (size_t)len);
	}
	return p;
}

static void stream_random_body(size_t payload_len, size_t max_chunk, uint64_t seed)
{
	const char *boundary = "----WebKitFormBoundaryx8Hq2PzQ";
	char *payload = random_payload(payload_len, boundary, seed);
	struct buf body;
	buf_init(&body, payload_len + 4096);
	cr_assert_eq(
	    buf_printf(
	        &body,
	        "preamble\r\n--%s\r\n" CD(
	            "meta") "\r\n{\"k\":1}\r\n--%s\r\n"
	                    "Content-Disposition: form-data; name=\"file\"; filename=\"x.pdf\"\r\n"
	                    "Content-Type: application/pdf\r\n\r\n",
	        boundary, boundary),
	    0);
	cr_assert_eq(buf_append(&body, payload, payload_len), 0);
	cr_assert_eq(buf_printf(&body, "\r\n--%s--\r\n", boundary), 0);

	struct collector c = { .open = false };
	struct multipart mp;
	buf_init(&c.log, LOG_LIMIT);
	cr_assert_eq(multipart_init(&mp, boundary, NULL, &callbacks, &c), 0);
	for (size_t at = 0; at < body.len;) {
		size_t n = 1 + rng_next(&seed) % max_chunk;
		n = MD_MIN(n, body.len - at);
		int rc = multipart_feed(&mp, body.data + at, n);
		cr_assert_eq(rc, 0, "feed at %zu: %d %s", at, rc, multipart_error(&mp));
		at += n;
	}
	cr_assert_eq(multipart_finish(&mp), 0);
	const char head[] = "[meta;-;-]{\"k\":1}|[file;x.pdf;application/pdf]";
	cr_assert_eq(c.log.len, sizeof(head) - 1 + payload_len + 1, "log length %zu", c.log.len);
	cr_assert_eq(memcmp(c.log.data, head, sizeof(head) - 1), 0);
	cr_assert_eq(memcmp(c.log.data + sizeof(head) - 1, payload, payload_len), 0,
	             "payload differs");
	cr_assert_eq(c.log.data[c.log.len - 1], '|');
	multipart_release(&mp);
	buf_release(&c.log);
	buf_release(&body);
	md_free(payload);
}

Test(multipart, pdf_sized_random_body_random_chunks)
{
	stream_random_body(3u * 1024 * 1024, 16384, 0x9e3779b97f4a7c15ull);
	stream_random_body(1u * 1024 * 1024, 64, 42);
}

Test(multipart, random_body_byte_by_byte)
{
	stream_random_body(128u * 1024, 1, 7);
}
