/*
 * test_buf.c: the capped buffer (cap enforcement leaves it unchanged, take, printf growth,
 * JSON string escaping), the slice helpers and md_snprintf.
 */
#include <criterion/criterion.h>

#include "base/common.h"

/* Asserts that b holds exactly want (length and bytes) and is NUL-terminated. */
static void assert_buf(const struct buf *b, const char *want, size_t want_len)
{
	cr_assert_eq(b->len, want_len, "len: got %zu want %zu", b->len, want_len);
	if (!want_len && !b->data)
		return;
	cr_assert_not_null(b->data);
	cr_assert(memcmp(b->data, want, want_len) == 0, "data: got \"%.*s\" want \"%.*s\"",
	          (int)b->len, b->data, (int)want_len, want);
	cr_assert_eq(b->data[b->len], '\0', "not NUL-terminated");
}

Test(buf, init_is_empty_and_allocates_nothing)
{
	struct buf b;
	buf_init(&b, 100);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0, "got %zu", b.len);
	cr_assert_eq(b.cap_limit, 100, "got %zu", b.cap_limit);
	buf_release(&b);
}

Test(buf, append_up_to_the_cap_then_refuse_unchanged)
{
	struct buf b;
	buf_init(&b, 10);
	cr_assert_eq(buf_puts(&b, "12345"), 0);
	cr_assert_eq(buf_puts(&b, "6789"), 0);
	assert_buf(&b, "123456789", 9);
	size_t alloc = b.alloc;
	char *data = b.data;

	int rc = buf_puts(&b, "ab");
	cr_assert_eq(rc, MD_ELIMIT, "got %d want %d", rc, MD_ELIMIT);
	assert_buf(&b, "123456789", 9);
	cr_assert_eq(b.alloc, alloc, "alloc changed: %zu -> %zu", alloc, b.alloc);
	cr_assert_eq(b.data, data, "storage moved on a refused append");

	rc = buf_printf(&b, "%s", "xy");
	cr_assert_eq(rc, MD_ELIMIT, "printf: got %d want %d", rc, MD_ELIMIT);
	assert_buf(&b, "123456789", 9);

	rc = buf_putc(&b, '0');
	cr_assert_eq(rc, 0, "the last byte up to the cap fits: %d", rc);
	assert_buf(&b, "1234567890", 10);
	rc = buf_putc(&b, 'x');
	cr_assert_eq(rc, MD_ELIMIT, "got %d want %d", rc, MD_ELIMIT);
	rc = buf_append(&b, "", 0);
	cr_assert_eq(rc, 0, "an empty append at the cap is fine: %d", rc);
	assert_buf(&b, "1234567890", 10);
	buf_release(&b);
}

Test(buf, huge_append_does_not_overflow_the_check)
{
	struct buf b;
	buf_init(&b, 16);
	cr_assert_eq(buf_puts(&b, "abc"), 0);
	int rc = buf_append(&b, "x", SIZE_MAX);
	cr_assert_eq(rc, MD_ELIMIT, "got %d want %d", rc, MD_ELIMIT);
	rc = buf_append(&b, "x", SIZE_MAX - 2);
	cr_assert_eq(rc, MD_ELIMIT, "got %d want %d", rc, MD_ELIMIT);
	assert_buf(&b, "abc", 3);
	buf_release(&b);
}

Test(buf, zero_cap_refuses_everything)
{
	struct buf b;
	buf_init(&b, 0);
	int rc = buf_putc(&b, 'a');
	cr_assert_eq(rc, MD_ELIMIT, "got %d want %d", rc, MD_ELIMIT);
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
	buf_release(&b);
}

Test(buf, json_string_over_cap_leaves_buffer_unchanged)
{
	/* The header promises that appending past the cap leaves the buffer unchanged; a JSON
	 * string that does not fit must not leave half a literal behind. */
	struct buf b;
	buf_init(&b, 8);
	cr_assert_eq(buf_puts(&b, "[1,"), 0);
	int rc = buf_put_json_string(&b, "abcdefgh", 8);
	cr_assert_eq(rc, MD_ELIMIT, "got %d want %d", rc, MD_ELIMIT);
	assert_buf(&b, "[1,", 3);
	buf_release(&b);
}

Test(buf, take_hands_out_data_and_empties)
{
	struct buf b;
	buf_init(&b, 64);
	cr_assert_eq(buf_puts(&b, "hello"), 0);
	char *s = buf_take(&b);
	cr_assert_str_eq(s, "hello");
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0, "got %zu", b.len);
	cr_assert_eq(b.alloc, 0, "got %zu", b.alloc);
	cr_assert_eq(b.cap_limit, 64, "the cap survives take: %zu", b.cap_limit);
	md_free(s);

	/* Reusable after take, and take of an empty buffer gives "". */
	cr_assert_eq(buf_puts(&b, "x"), 0);
	assert_buf(&b, "x", 1);
	buf_release(&b);
	char *e = buf_take(&b);
	cr_assert_not_null(e);
	cr_assert_str_eq(e, "");
	md_free(e);
}

Test(buf, reset_keeps_storage)
{
	struct buf b;
	buf_init(&b, 64);
	cr_assert_eq(buf_puts(&b, "hello"), 0);
	char *d = b.data;
	buf_reset(&b);
	assert_buf(&b, "", 0);
	cr_assert_eq(b.data, d);
	cr_assert_str_eq(b.data, "");
	buf_reset(&b);
	buf_release(&b);
	buf_reset(&b); /* on a released buffer: no crash */
}

Test(buf, printf_grows_across_many_doublings)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	char want[4096 * 8];
	size_t wl = 0;
	for (int i = 0; i < 4096; i++) {
		int rc = buf_printf(&b, "%d,", i);
		cr_assert_eq(rc, 0, "i=%d rc=%d", i, rc);
		wl += (size_t)snprintf(want + wl, sizeof want - wl, "%d,", i);
	}
	assert_buf(&b, want, wl);
	cr_assert_geq(b.alloc, b.len + 1, "alloc %zu len %zu", b.alloc, b.len);

	/* One big formatted append, larger than the current allocation. */
	char big[20000];
	memset(big, 'z', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	buf_reset(&b);
	cr_assert_eq(buf_printf(&b, "<%s>", big), 0);
	cr_assert_eq(b.len, sizeof big + 1, "got %zu", b.len);
	cr_assert_eq(b.data[0], '<');
	cr_assert_eq(b.data[b.len - 1], '>');
	cr_assert_eq(b.data[b.len], '\0');
	buf_release(&b);
}

Test(buf, printf_exactly_to_the_cap)
{
	struct buf b;
	buf_init(&b, 5);
	cr_assert_eq(buf_printf(&b, "%05d", 42), 0);
	assert_buf(&b, "00042", 5);
	cr_assert_eq(buf_printf(&b, "%s", ""), 0);
	int rc = buf_printf(&b, "%d", 1);
	cr_assert_eq(rc, MD_ELIMIT, "got %d", rc);
	assert_buf(&b, "00042", 5);
	buf_release(&b);
}

static void expect_json(const char *in, size_t n, const char *want)
{
	struct buf b;
	buf_init(&b, 4096);
	int rc = buf_put_json_string(&b, in, n);
	cr_assert_eq(rc, 0, "rc %d", rc);
	cr_assert_eq(b.len, strlen(want), "got %s want %s", b.data, want);
	cr_assert_str_eq(b.data, want, "got %s want %s", b.data, want);
	buf_release(&b);
}

Test(buf, json_string_escaping)
{
	expect_json("", 0, "\"\"");
	expect_json("plain", 5, "\"plain\"");
	expect_json("a\"b", 3, "\"a\\\"b\"");
	expect_json("a\\b", 3, "\"a\\\\b\"");
	expect_json("/", 1, "\"/\"");
	expect_json("\n\r\t", 3, "\"\\u000a\\u000d\\u0009\"");
	expect_json("\x01\x1f", 2, "\"\\u0001\\u001f\"");
	expect_json("\x7f", 1, "\"\x7f\"");
	/* An embedded NUL is data, not the end, because the length is given. */
	expect_json("a\0b", 3, "\"a\\u0000b\"");
	/* UTF-8 passes through unchanged. */
	expect_json("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"");
	/* Only n bytes are read. */
	expect_json("abcdef", 2, "\"ab\"");
}

Test(buf, json_string_every_control_char)
{
	for (int c = 0; c < 0x20; c++) {
		char in[1] = { (char)c };
		char want[16];
		snprintf(want, sizeof want, "\"\\u%04x\"", c);
		expect_json(in, 1, want);
	}
}

Test(slice, from_eq_ieq)
{
	struct slice s = slice_from("Hello");
	cr_assert_eq(s.len, 5, "got %zu", s.len);
	cr_assert(slice_eq(s, "Hello"));
	cr_assert_not(slice_eq(s, "hello"));
	cr_assert_not(slice_eq(s, "Hell"));
	cr_assert_not(slice_eq(s, "Hello!"));
	cr_assert(slice_ieq(s, "hELLO"));
	cr_assert_not(slice_ieq(s, "hell"));
	struct slice n = slice_from(NULL);
	cr_assert_eq(n.len, 0, "got %zu", n.len);
	cr_assert(slice_eq(n, ""));
	struct slice lit = SLICE_LIT("abc");
	cr_assert_eq(lit.len, 3, "got %zu", lit.len);
	cr_assert(slice_eq(lit, "abc"));
	/* A slice is not NUL-terminated: only len bytes count. */
	struct slice part = { "abcdef", 3 };
	cr_assert(slice_eq(part, "abc"));
	cr_assert(slice_ieq(part, "ABC"));
	cr_assert_not(slice_eq(part, "abcdef"));
}

Test(slice, trim)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{ "", "" },
		{ "   ", "" },
		{ "a", "a" },
		{ " a ", "a" },
		{ "\t\r\n a b \n", "a b" },
		{ "ab  ", "ab" },
		{ "  ab", "ab" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct slice t = slice_trim(slice_from(cases[i].in));
		cr_assert(slice_eq(t, cases[i].want), "trim(\"%s\"): got \"%.*s\" want \"%s\"",
		          cases[i].in, (int)t.len, t.ptr, cases[i].want);
	}
}

Test(slice, copy_fits_or_fails)
{
	char dst[4];
	memset(dst, 'X', sizeof dst);
	int rc = slice_copy(slice_from("abc"), dst, sizeof dst);
	cr_assert_eq(rc, 0, "got %d", rc);
	cr_assert_str_eq(dst, "abc");
	rc = slice_copy(slice_from("abcd"), dst, sizeof dst);
	cr_assert_eq(rc, MD_ELIMIT, "got %d want %d", rc, MD_ELIMIT);
	rc = slice_copy(slice_from(""), dst, 1);
	cr_assert_eq(rc, 0, "got %d", rc);
	cr_assert_str_eq(dst, "");
	rc = slice_copy(slice_from(""), dst, 0);
	cr_assert_eq(rc, MD_ELIMIT, "cap 0 cannot hold even the NUL: got %d", rc);
	struct slice part = { "hello world", 5 };
	rc = slice_copy(part, dst, sizeof dst);
	cr_assert_eq(rc, MD_ELIMIT, "got %d", rc);
	char big[8];
	rc = slice_copy(part, big, sizeof big);
	cr_assert_eq(rc, 0, "got %d", rc);
	cr_assert_str_eq(big, "hello");
}

Test(snprintf, fits_or_fails)
{
	char out[8];
	int rc = md_snprintf(out, sizeof out, "%s-%d", "ab", 12);
	cr_assert_eq(rc, 0, "got %d", rc);
	cr_assert_str_eq(out, "ab-12");
	rc = md_snprintf(out, sizeof out, "%s", "1234567");
	cr_assert_eq(rc, 0, "7 chars + NUL fit in 8: got %d", rc);
	cr_assert_str_eq(out, "1234567");
	rc = md_snprintf(out, sizeof out, "%s", "12345678");
	cr_assert_eq(rc, MD_ELIMIT, "8 chars do not fit: got %d want %d", rc, MD_ELIMIT);
	rc = md_snprintf(out, sizeof out, "%s", "");
	cr_assert_eq(rc, 0, "got %d", rc);
	cr_assert_str_eq(out, "");
}
