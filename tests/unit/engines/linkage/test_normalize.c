/* The value normalisers (src/engines/linkage/normalize.c). */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/linkage/normalize.h"
#include "engines/linkage/table.h"

static void norm(const char *in, unsigned flags, const char *want)
{
	struct buf b;
	buf_init(&b, 1 << 16);
	cr_assert_eq(lk_normalize(in, strlen(in), flags, &b), 0, "%s", in);
	const char *got = b.data ? b.data : "";
	cr_assert_str_eq(got, want, "normalise \"%s\" (flags %#x): \"%s\", want \"%s\"", in, flags,
	                 got, want);
	buf_release(&b);
}

Test(lk_normalize, casefold)
{
	norm("Straße", LK_NORM_NFKC_CASEFOLD, "strasse");
	norm("JOHN O'NEIL", LK_NORM_NFKC_CASEFOLD, "john o'neil");
	norm("\xEF\xAC\x81le", LK_NORM_NFKC_CASEFOLD, "file");         /* U+FB01 ligature */
	norm("\xEF\xBC\xA1\xEF\xBC\xA2", LK_NORM_NFKC_CASEFOLD, "ab"); /* fullwidth */
	norm("ÉCOLE", LK_NORM_NFKC_CASEFOLD, "école");
}

Test(lk_normalize, whitespace)
{
	norm("  a  b \t c\n", LK_NORM_TRIM, "a  b \t c");
	norm("  a  b \t c\n", LK_NORM_COLLAPSE_WHITESPACE, " a b c ");
	norm("  a  b \t c\n", LK_NORM_TRIM | LK_NORM_COLLAPSE_WHITESPACE, "a b c");
	norm("\xC2\xA0x\xE2\x80\x83y\xC2\xA0", LK_NORM_TRIM | LK_NORM_COLLAPSE_WHITESPACE, "x y");
	norm("   ", LK_NORM_TRIM, "");
}

Test(lk_normalize, punctuation_and_digits)
{
	norm("o'neil-smith, jr.", LK_NORM_STRIP_PUNCTUATION, "oneilsmith jr");
	norm("«Hello» — world!", LK_NORM_STRIP_PUNCTUATION, "Hello  world");
	norm("price $5+", LK_NORM_STRIP_PUNCTUATION, "price $5+"); /* symbols are not P* */
	norm("(02) 9876-5432", LK_NORM_DIGITS_ONLY, "0298765432");
	norm("abc", LK_NORM_DIGITS_ONLY, "");
}

Test(lk_normalize, diacritics)
{
	norm("José Müller", LK_NORM_STRIP_DIACRITICS, "Jose Muller");
	norm("Ångström", LK_NORM_STRIP_DIACRITICS, "Angstrom");
	norm("Straße", LK_NORM_STRIP_DIACRITICS, "Straße");
	norm("Łódź", LK_NORM_STRIP_DIACRITICS, "Łodz"); /* Ł has no decomposition */
	norm("  Ça  Va?! ",
	     LK_NORM_NFKC_CASEFOLD | LK_NORM_TRIM | LK_NORM_COLLAPSE_WHITESPACE |
	         LK_NORM_STRIP_PUNCTUATION | LK_NORM_STRIP_DIACRITICS,
	     "ca va");
}

Test(lk_normalize, invalid_utf8)
{
	norm("a\xFF"
	     "b",
	     0,
	     "a\xEF\xBF\xBD"
	     "b");
	norm("A\xC3", LK_NORM_NFKC_CASEFOLD, "a\xEF\xBF\xBD");
}

Test(lk_normalize, cap)
{
	struct buf b;
	buf_init(&b, 3);
	cr_assert_eq(lk_normalize("abcdef", 6, 0, &b), MD_ELIMIT);
	buf_release(&b);
}

Test(lk_normalize, table_column)
{
	struct lk_table t;
	lk_table_init(&t);
	cr_assert_eq(lk_table_new(&t, 2, 3), 0);
	cr_assert_eq(lk_table_set(&t, 0, 0, "  JOSÉ ", 8), 0);
	cr_assert_eq(lk_table_set(&t, 1, 0, "mary", 4), 0);
	cr_assert_eq(lk_table_set(&t, 0, 1, "KEEP", 4), 0);
	cr_assert_eq(lk_normalize_table_col(
	                 &t, 0, LK_NORM_NFKC_CASEFOLD | LK_NORM_TRIM | LK_NORM_STRIP_DIACRITICS),
	             0);
	cr_assert_str_eq(t.cells[0], "jose");
	cr_assert_str_eq(t.cells[2], "mary");
	cr_assert_str_eq(t.cells[4], "");
	cr_assert_str_eq(t.cells[1], "KEEP");
	cr_assert_eq(lk_normalize_table_col(&t, 2, LK_NORM_TRIM), MD_EINVAL);
	cr_assert_eq(lk_normalize_table_col(&t, -1, LK_NORM_TRIM), MD_EINVAL);
	lk_table_release(&t);
}
