/* Unicode clean-up and case folding (src/text/normalize.c). */
#include <criterion/criterion.h>

#include "base/common.h"
#include "text/normalize.h"

static char *norm(const char *s, size_t len, bool fold)
{
	static char out[1024];
	struct buf b;
	buf_init(&b, sizeof out - 1);
	int rc = fold ? text_casefold(s, len, &b) : text_normalize(s, len, &b);
	cr_assert_eq(rc, 0, "normalize failed: %d", rc);
	memcpy(out, b.data ? b.data : "", b.len + 1 > sizeof out ? sizeof out : b.len + 1);
	if (!b.data)
		out[0] = '\0';
	buf_release(&b);
	return out;
}

#define N(s) norm((s), sizeof(s) - 1, false)
#define F(s) norm((s), sizeof(s) - 1, true)

Test(cv_text_normalize, ligatures_and_compatibility)
{
	cr_assert_str_eq(N("\xEF\xAC\x81xed \xEF\xAC\x82ow"), "fixed flow");
	cr_assert_str_eq(N("x\xC2\xB2"), "x2"); /* superscript two */
}

Test(cv_text_normalize, soft_hyphen_and_invisible)
{
	cr_assert_str_eq(N("soft\xC2\xADware"), "software");
	cr_assert_str_eq(N("a\xE2\x80\x8B"
	                   "b"),
	                 "ab"); /* zero-width space */
}

Test(cv_text_normalize, whitespace_runs_keep_newlines)
{
	cr_assert_str_eq(N("Fall\t\t2013\t\xE2\x80\x93\tSpring  2014"),
	                 "Fall 2013 \xE2\x80\x93 Spring 2014");
	cr_assert_str_eq(N("  a  \r\n  b\rc\n\n\n\nd  "), "a\nb\nc\n\nd");
	cr_assert_str_eq(N("a\xC2\xA0"
	                   "b"),
	                 "a b"); /* no-break space */
}

Test(cv_text_normalize, controls_private_use_invalid)
{
	cr_assert_str_eq(N("a\x01\x7f"
	                   "b"),
	                 "ab");
	cr_assert_str_eq(N("\xEE\x80\x80icon"), "icon"); /* U+E000 */
	cr_assert_str_eq(N("a\xFF"
	                   "b"),
	                 "a\xEF\xBF\xBD"
	                 "b");
	cr_assert_str_eq(N("a\xE2\x82"), "a\xEF\xBF\xBD\xEF\xBF\xBD");
	cr_assert_str_eq(norm("a\0b", 3, false), "ab");
}

Test(cv_text_normalize, casefold)
{
	cr_assert_str_eq(F("Stra\xC3\x9F"
	                   "e JAVA"),
	                 "strasse java");
	cr_assert_str_eq(F("\xC3\x89"
	                   "COLE D\xC3\x89"
	                   "C."),
	                 "\xC3\xA9"
	                 "cole d\xC3\xA9"
	                 "c.");
	cr_assert_str_eq(F("E\xCC\x81t\xC3\xA9"), "\xC3\xA9t\xC3\xA9"); /* decomposed -> NFC */
}

Test(cv_text_normalize, limit)
{
	struct buf b;
	buf_init(&b, 4);
	cr_assert_eq(text_normalize("abcdefgh", 8, &b), MD_ELIMIT);
	buf_release(&b);
}

Test(cv_text_normalize, words)
{
	struct slice rest = slice_from("C++, node.js \xC3\xA9t\xC3\xA9 2024!"), w;
	const char *want[] = { "C", "node", "js", "\xC3\xA9t\xC3\xA9", "2024" };
	for (size_t i = 0; i < 5; i++) {
		cr_assert(text_next_word(&rest, &w), "word %zu missing", i);
		cr_assert_eq(w.len, strlen(want[i]), "word %zu: len %zu", i, w.len);
		cr_assert_eq(memcmp(w.ptr, want[i], w.len), 0, "word %zu", i);
	}
	cr_assert_not(text_next_word(&rest, &w));
}

Test(cv_text_normalize, utf8_floor)
{
	const char *s = "a\xC3\xA9"; /* a + é */
	cr_assert_eq(text_utf8_floor(s, 2), 1);
	cr_assert_eq(text_utf8_floor(s, 3), 3);
	cr_assert_eq(text_utf8_floor(s, 1), 1);
}
