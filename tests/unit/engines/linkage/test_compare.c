/*
 * The comparators (src/engines/linkage/compare.c) against published reference values:
 * Jaro-Winkler from Winkler's papers and jellyfish's testdata, OSA distances from the
 * Wikipedia article on Damerau-Levenshtein, token_set_ratio from fuzzywuzzy's README.
 */
#include <criterion/criterion.h>

#include <math.h>

#include "base/common.h"
#include "engines/linkage/compare.h"
#include "engines/linkage/table.h"

#define S(x) (x), strlen(x)

static void near(double got, double want, double tol, const char *what)
{
	cr_assert(fabs(got - want) <= tol, "%s: got %.4f, want %.4f", what, got, want);
}

Test(lk_compare, jaro_winkler_reference)
{
	near(lk_jaro_winkler(S("MARTHA"), S("MARHTA")), 0.961, 0.0005, "martha");
	near(lk_jaro_winkler(S("DWAYNE"), S("DUANE")), 0.84, 0.0005, "dwayne");
	near(lk_jaro_winkler(S("DIXON"), S("DICKSONX")), 0.813, 0.0005, "dixon");
	near(lk_jaro_winkler(S("JELLYFISH"), S("SMELLYFISH")), 0.896, 0.0005, "jellyfish");
	near(lk_jaro_winkler(S("William"), S("Williams")), 0.975, 0.0005, "william");
	near(lk_jaro(S("MARTHA"), S("MARHTA")), 0.944, 0.0005, "jaro martha");
	near(lk_jaro_winkler(S(""), S("foo")), 0.0, 0, "empty");
	near(lk_jaro_winkler(S(""), S("")), 1.0, 0, "both empty");
	near(lk_jaro_winkler(S("a"), S("a")), 1.0, 0, "a");
	near(lk_jaro_winkler(S("abc"), S("xyz")), 0.0, 0, "abc");
}

Test(lk_compare, jaro_winkler_is_utf8_aware)
{
	/* One code point differs; bytewise it would be two. Same as the ASCII analogue. */
	double u = lk_jaro_winkler(S("müller"), S("muller"));
	double a = lk_jaro_winkler(S("mxller"), S("muller"));
	near(u, a, 1e-12, "müller");
	near(lk_jaro_winkler(S("zoë"), S("zoë")), 1.0, 0, "same");
}

Test(lk_compare, osa_reference)
{
	cr_assert_eq(lk_osa_distance(S("kitten"), S("sitting"), -1), 3);
	cr_assert_eq(lk_osa_distance(S("CA"), S("ABC"), -1), 3, "OSA, not unrestricted DL (2)");
	cr_assert_eq(lk_osa_distance(S("fuor"), S("four"), -1), 1, "transposition");
	cr_assert_eq(lk_osa_distance(S("abcd"), S("acb"), -1), 2);
	cr_assert_eq(lk_osa_distance(S("jellyifhs"), S("jellyfish"), -1), 2);
	cr_assert_eq(lk_osa_distance(S(""), S("abc"), -1), 3);
	cr_assert_eq(lk_osa_distance(S("abc"), S(""), 5), 3);
	cr_assert_eq(lk_osa_distance(S("same"), S("same"), 0), 0);
	cr_assert_eq(lk_osa_distance(S("Straße"), S("Strasse"), -1), 2, "code points");
	cr_assert_eq(lk_osa_distance(S("michaela"), S("micheala"), 2), 1);
}

Test(lk_compare, osa_early_exit)
{
	/* The bound: anything beyond max is reported as max + 1. */
	cr_assert_eq(lk_osa_distance(S("kitten"), S("sitting"), 2), 3);
	cr_assert_eq(lk_osa_distance(S("kitten"), S("sitting"), 3), 3);
	cr_assert_eq(lk_osa_distance(S("abcdefgh"), S("zyxwvuts"), 1), 2);
	cr_assert_eq(lk_osa_distance(S("a"), S("abcdefghij"), 2), 3, "length gap alone");
	cr_assert_eq(lk_osa_distance(S("abcdef"), S("badcfe"), 3), 3, "three transpositions");
	cr_assert_eq(lk_osa_distance(S("abcdef"), S("badcfe"), 2), 3);
	/* Long strings: the band keeps it cheap and still exact within the bound. */
	char a[600], b[600];
	for (int i = 0; i < 599; i++)
		a[i] = b[i] = (char)('a' + i % 26);
	a[599] = b[599] = 0;
	b[100] = '#';
	b[300] = '#';
	cr_assert_eq(lk_osa_distance(a, 599, b, 599, 2), 2);
	cr_assert_eq(lk_osa_distance(a, 599, b, 599, 1), 2);
}

Test(lk_compare, token_set_reference)
{
	/* fuzzywuzzy README: token_set_ratio("fuzzy was a bear", "fuzzy fuzzy was a bear") 100. */
	near(lk_token_set_ratio(S("fuzzy was a bear"), S("fuzzy fuzzy was a bear")), 1.0, 0,
	     "readme");
	/* Word order and case do not matter. */
	near(lk_token_set_ratio(S("New York Mets"), S("mets NEW york")), 1.0, 0, "order");
	/*
	 * SeatGeek's example: "mariners vs angels" vs "los angeles angels of anaheim at seattle
	 * mariners": I = "angels mariners" (15), I+D1 = "angels mariners vs" (18): 2*15/33.
	 */
	near(lk_token_set_ratio(S("mariners vs angels"),
	                        S("los angeles angels of anaheim at seattle mariners")),
	     30.0 / 33.0, 1e-9, "seatgeek");
	/* No common word: only I+D1 vs I+D2 counts: "abc" vs "abd" LCS 2 -> 4/6. */
	near(lk_token_set_ratio(S("abc"), S("abd")), 4.0 / 6.0, 1e-9, "disjoint");
	near(lk_token_set_ratio(S("!!"), S("abc")), 0.0, 0, "no words");
}

Test(lk_compare, qgram_cosine)
{
	near(lk_qgram_cosine(NULL, S("apple iphone 12"), S("apple iphone 12")), 1.0, 1e-9, "same");
	near(lk_qgram_cosine(NULL, S("abc"), S("xyz")), 0.0, 0, "disjoint");
	double close = lk_qgram_cosine(NULL, S("apple iphone 12 64gb"), S("iphone 12 apple 64 gb"));
	double far = lk_qgram_cosine(NULL, S("apple iphone 12 64gb"), S("samsung galaxy s21"));
	cr_assert(close > 0.6 && far < 0.2, "close %.3f far %.3f", close, far);

	/* With IDF from a column, a rare shared gram weighs more than a common one. */
	struct lk_table t;
	lk_table_init(&t);
	const char *rows[] = { "acme widget", "acme gadget", "acme gizmo", "acme doohickey",
		               "zorblax widget" };
	cr_assert_eq(lk_table_new(&t, 1, 5), 0);
	for (size_t i = 0; i < 5; i++)
		cr_assert_eq(lk_table_set(&t, i, 0, S(rows[i])), 0);
	struct lk_qgram_index ix;
	cr_assert_eq(lk_qgram_index_build(&ix, &t, 0, 3), 0);
	cr_assert_eq(ix.ndocs, 5);
	double common = lk_qgram_cosine(&ix, S("acme x"), S("acme y"));
	double rare = lk_qgram_cosine(&ix, S("zorblax x"), S("zorblax y"));
	double plain_common = lk_qgram_cosine(NULL, S("acme x"), S("acme y"));
	cr_assert(common < plain_common, "idf lowers common grams: %.3f vs %.3f", common,
	          plain_common);
	cr_assert(rare > common, "rare %.3f common %.3f", rare, common);
	lk_qgram_index_release(&ix);
	lk_table_release(&t);
}

Test(lk_compare, numeric)
{
	bool ok;
	near(lk_numeric_reldiff("100", "90", &ok), 0.1, 1e-12, "reldiff");
	cr_assert(ok);
	near(lk_numeric_reldiff("0", "0.0", &ok), 0.0, 0, "zeros");
	near(lk_numeric_reldiff(" -5 ", "5", &ok), 2.0, 1e-12, "signs");
	cr_assert(ok);
	lk_numeric_reldiff("12a", "5", &ok);
	cr_assert(!ok);
	lk_numeric_reldiff("nan", "5", &ok);
	cr_assert(!ok);
}

Test(lk_compare, dates)
{
	bool sw, ok;
	cr_assert_eq(lk_date_diff_days("19151111", "1915-11-12", &sw, &ok), 1);
	cr_assert(ok && !sw);
	cr_assert_eq(lk_date_diff_days("24/06/1971", "1971-05-24", &sw, &ok), 31);
	cr_assert(ok && !sw);
	cr_assert_eq(lk_date_diff_days("20000101", "20010101", &sw, &ok), 366, "leap year");
	/* Swapped day and month, both valid. */
	lk_date_diff_days("19800305", "19800503", &sw, &ok);
	cr_assert(ok && sw);
	/* Swapped, and one side is not a valid date (month 13). */
	cr_assert_eq(lk_date_diff_days("19151311", "19151113", &sw, &ok), -1);
	cr_assert(!ok && sw);
	lk_date_diff_days("19800230", "19800301", &sw, &ok);
	cr_assert(!ok, "February 30th");
	lk_date_diff_days("1980", "19800301", &sw, &ok);
	cr_assert(!ok && !sw);
	lk_date_diff_days("1/2/1990", "1990-02-01", NULL, &ok);
	cr_assert(ok);
}

static struct lk_field field(enum lk_comparator cmp, int n, double t0, double t1)
{
	struct lk_field f = { .cmp = cmp, .nthresholds = n };
	f.thresholds[0] = t0;
	f.thresholds[1] = t1;
	return f;
}

Test(lk_compare, levels)
{
	struct lk_field jw = field(LK_CMP_JARO_WINKLER, 2, 0.92, 0.8);
	cr_assert_eq(lk_field_nlevels(&jw), 4);
	cr_assert_eq(lk_compare_level(&jw, "martha", "martha", NULL), 3);
	cr_assert_eq(lk_compare_level(&jw, "martha", "marhta", NULL), 2);
	cr_assert_eq(lk_compare_level(&jw, "dwayne", "duane", NULL), 1);
	cr_assert_eq(lk_compare_level(&jw, "abc", "xyz", NULL), 0);
	cr_assert_eq(lk_compare_level(&jw, "", "xyz", NULL), -1);
	cr_assert_eq(lk_compare_level(&jw, "abc", NULL, NULL), -1);

	struct lk_field lev = field(LK_CMP_LEVENSHTEIN, 2, 1, 2);
	cr_assert_eq(lk_compare_level(&lev, "fuor", "four", NULL), 2);
	cr_assert_eq(lk_compare_level(&lev, "kitten", "sittin", NULL), 1);
	cr_assert_eq(lk_compare_level(&lev, "kitten", "sitting", NULL), 0);

	struct lk_field ex = field(LK_CMP_EXACT, 0, 0, 0);
	cr_assert_eq(lk_compare_level(&ex, "a", "a", NULL), 1);
	cr_assert_eq(lk_compare_level(&ex, "a", "b", NULL), 0);

	struct lk_field date = field(LK_CMP_DATE, 2, 1, 365);
	cr_assert_eq(lk_compare_level(&date, "19800305", "1980-03-05", NULL), 3);
	cr_assert_eq(lk_compare_level(&date, "19800305", "19800503", NULL), 2, "swapped");
	cr_assert_eq(lk_compare_level(&date, "19800305", "19800306", NULL), 2);
	cr_assert_eq(lk_compare_level(&date, "19800305", "19810101", NULL), 1);
	cr_assert_eq(lk_compare_level(&date, "19800305", "20100101", NULL), 0);
	cr_assert_eq(lk_compare_level(&date, "19800305", "garbage", NULL), 0);

	struct lk_field num = field(LK_CMP_NUMERIC, 1, 0.1, 0);
	cr_assert_eq(lk_compare_level(&num, "100", "100.0", NULL), 2);
	cr_assert_eq(lk_compare_level(&num, "100", "95", NULL), 1);
	cr_assert_eq(lk_compare_level(&num, "100", "50", NULL), 0);

	struct lk_field ph = field(LK_CMP_PHONETIC, 1, 0, 0);
	cr_assert_eq(lk_compare_level(&ph, "smith", "smyth", NULL), 2, "same primary SM0");
	cr_assert_eq(lk_compare_level(&ph, "smith", "schmidt", NULL), 1, "XMT in common");
	cr_assert_eq(lk_compare_level(&ph, "smith", "jones", NULL), 0);

	struct lk_field ts = field(LK_CMP_TOKEN_SET, 1, 0.9, 0);
	cr_assert_eq(lk_compare_level(&ts, "john smith", "smith john", NULL), 1);

	struct lk_field qg = field(LK_CMP_QGRAM_COSINE, 1, 0.5, 0);
	cr_assert_eq(lk_compare_level(&qg, "apple iphone 12", "iphone 12 apple", NULL), 1);
}

/* ---- prepared columns: the same values as the string comparators, for every pair ---- */

static const char *const corpus_fixed[] = {
	"",
	"a",
	"martha",
	"marhta",
	"dwayne",
	"duane",
	"dixon",
	"dicksonx",
	"jellyfish",
	"smellyfish",
	"müller",
	"muller",
	"mxller",
	"zoë",
	"zoe",
	"straße",
	"strasse",
	"日本語テキスト",
	"日本語",
	"\xff\xfe broken",
	"\xc3 cut",
	"19800305",
	"19800503",
	"1980-03-05",
	"2042",
	"2024",
	"1 main street",
	"main st 1",
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl",   /* 64 */
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijklm",  /* 65 */
	"bacdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl",   /* 64 */
	"zyxwvutsrqponmlkjihgfedcbazyxwvutsrqponmlkjihgfedcbazyxwvutsrqponm", /* 65 */
};

/* A deterministic corpus: the fixed strings, then random ones over a small alphabet. */
static void corpus_table(struct lk_table *t, size_t nrandom)
{
	static const char *const alphabet[] = { "a", "b", "c", "d", "e", " ", "1", "2", "é", "ß" };
	size_t nfixed = ARRAY_SIZE(corpus_fixed);
	cr_assert_eq(lk_table_new(t, 1, nfixed + nrandom), 0);
	for (size_t r = 0; r < nfixed; r++)
		cr_assert_eq(lk_table_set(t, r, 0, S(corpus_fixed[r])), 0);
	uint64_t s = 42;
	char buf[512];
	for (size_t r = 0; r < nrandom; r++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		/* Mostly short strings, some beyond 64 and 128 characters. */
		size_t len = (s >> 33) % 8 == 0 ? (s >> 40) % 150 : (s >> 40) % 12, n = 0;
		for (size_t k = 0; k < len; k++) {
			s = s * 6364136223846793005ull + 1442695040888963407ull;
			/* Few letters in most strings, so similar pairs are common. */
			const char *c = alphabet[(s >> 33) % ((r % 3) ? 5 : ARRAY_SIZE(alphabet))];
			memcpy(buf + n, c, strlen(c));
			n += strlen(c);
		}
		cr_assert_eq(lk_table_set(t, nfixed + r, 0, buf, n), 0);
	}
}

Test(lk_compare, prepared_equals_strings)
{
	struct lk_table t;
	lk_table_init(&t);
	corpus_table(&t, 260);
	/* The column twice: the cells of a row sit side by side in the pool. */
	struct lk_prep p;
	cr_assert_eq(lk_prep_build(&p, &t, (const int[]){ 0, 0 }, 2), 0);
	cr_assert_eq(p.nrows, t.nrows);
	struct lk_field fields[] = {
		field(LK_CMP_JARO_WINKLER, 2, 0.92, 0.8),
		field(LK_CMP_JARO_WINKLER, 1, 0.6, 0),
		field(LK_CMP_LEVENSHTEIN, 2, 1, 2),
		field(LK_CMP_LEVENSHTEIN, 0, 0, 0),
		field(LK_CMP_EXACT, 0, 0, 0),
		field(LK_CMP_TOKEN_SET, 1, 0.9, 0),
		field(LK_CMP_DATE, 2, 1, 365),
		field(LK_CMP_JARO_WINKLER, 2, 0.92, 0.8), /* with the shared-prefix level */
		field(LK_CMP_LEVENSHTEIN, 1, 1, 0),       /* with the shared-prefix level */
	};
	fields[7].prefix_level = fields[8].prefix_level = true;
	static const int maxes[] = { -1, 0, 1, 2, 3, 100 };
	size_t checked = 0;
	for (size_t i = 0; i < t.nrows; i++) {
		for (size_t j = 0; j < t.nrows; j++) {
			const char *a = t.cells[i], *b = t.cells[j];
			const struct lk_pcell *pa = &lk_prep_row(&p, i)[0],
			                      *pb = &lk_prep_row(&p, j)[1];
			cr_assert_str_eq(pa->s, a);
			double want = lk_jaro_winkler(S(a), S(b)),
			       got = lk_pcell_jaro_winkler(pa, pb);
			cr_assert(want == got, "JW(\"%s\", \"%s\"): prepared %.17g, strings %.17g",
			          a, b, got, want);
			for (size_t k = 0; k < ARRAY_SIZE(maxes); k++) {
				int dw = lk_osa_distance(S(a), S(b), maxes[k]);
				int dg = lk_pcell_osa_distance(pa, pb, maxes[k]);
				cr_assert_eq(dg, dw,
				             "OSA(\"%s\", \"%s\", %d): prepared %d, strings %d", a,
				             b, maxes[k], dg, dw);
			}
			for (size_t f = 0; f < ARRAY_SIZE(fields); f++) {
				int lw = lk_compare_level(&fields[f], a, b, NULL);
				int lg = lk_pcell_level(&fields[f], pa, pb, NULL);
				cr_assert_eq(lg, lw,
				             "level %zu (\"%s\", \"%s\"): prepared %d, strings %d",
				             f, a, b, lg, lw);
			}
			checked++;
		}
	}
	cr_assert_eq(checked, t.nrows * t.nrows);
	lk_prep_release(&p);
	lk_table_release(&t);
}

Test(lk_compare, prepared_reference_values)
{
	static const char *const v[] = {
		"MARTHA", "MARHTA", "DWAYNE", "DUANE", "DIXON", "DICKSONX"
	};
	struct lk_table t;
	lk_table_init(&t);
	cr_assert_eq(lk_table_new(&t, 1, ARRAY_SIZE(v)), 0);
	for (size_t r = 0; r < ARRAY_SIZE(v); r++)
		cr_assert_eq(lk_table_set(&t, r, 0, S(v[r])), 0);
	struct lk_prep p;
	cr_assert_eq(lk_prep_build(&p, &t, (const int[]){ 0 }, 1), 0);
	near(lk_pcell_jaro_winkler(lk_prep_row(&p, 0), lk_prep_row(&p, 1)), 0.961, 0.0005,
	     "martha");
	near(lk_pcell_jaro_winkler(lk_prep_row(&p, 2), lk_prep_row(&p, 3)), 0.84, 0.0005, "dwayne");
	near(lk_pcell_jaro_winkler(lk_prep_row(&p, 4), lk_prep_row(&p, 5)), 0.813, 0.0005, "dixon");
	cr_assert_eq(lk_pcell_osa_distance(lk_prep_row(&p, 0), lk_prep_row(&p, 1), -1), 1,
	             "one transposition");
	lk_prep_release(&p);
	cr_assert_eq(lk_prep_build(&p, &t, (const int[]){ 1 }, 1), MD_EINVAL, "no column 1");
	cr_assert_eq(lk_prep_build(&p, &t, NULL, 0), MD_EINVAL, "no columns");
	lk_table_release(&t);
}
