/*
 * The CSV reader (src/engines/linkage/csv.c): RFC 4180 quoting, BOM, delimiter sniffing,
 * FEBRL's ", " separators, Latin-1, the real linkage data sets, and every refusal naming its
 * line. Timing lives in bench/lk_compare.sh, not here.
 */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/linkage/csv.h"
#include "engines/linkage/table.h"

#include "test_file.h"

#define DATA "../shared/data/linkage/"

static struct lk_table t;
static struct lk_csv_error err;

static void setup(void)
{
	lk_table_init(&t);
}

static void teardown(void)
{
	lk_table_release(&t);
}

TestSuite(lk_csv, .init = setup, .fini = teardown);

static int parse(const char *s)
{
	return lk_csv_parse(s, strlen(s), NULL, &t, &err);
}

static const char *cell(size_t r, size_t c)
{
	cr_assert(r < t.nrows && c < t.ncols, "cell %zu,%zu outside %zux%zu", r, c, t.nrows,
	          t.ncols);
	return t.cells[r * t.ncols + c];
}

static void expect_error(const char *s, int rc, size_t line, const char *msg_part)
{
	int got = parse(s);
	cr_assert_eq(got, rc, "rc %d want %d (%s)", got, rc, err.message);
	cr_assert_eq(err.line, line, "line %zu want %zu (%s)", err.line, line, err.message);
	cr_assert(strstr(err.message, msg_part), "message \"%s\" lacks \"%s\"", err.message,
	          msg_part);
	cr_assert_eq(t.nrows, 0);
	cr_assert_null(t.cells);
}

Test(lk_csv, simple_and_quoted)
{
	cr_assert_eq(parse("a,b,c\n1,\"x,y\",\"he said \"\"hi\"\"\"\r\n,,\n"), 0, "%s",
	             err.message);
	cr_assert_eq(t.ncols, 3);
	cr_assert_eq(t.nrows, 2);
	cr_assert_str_eq(t.colnames[1], "b");
	cr_assert_str_eq(cell(0, 0), "1");
	cr_assert_str_eq(cell(0, 1), "x,y");
	cr_assert_str_eq(cell(0, 2), "he said \"hi\"");
	cr_assert_str_eq(cell(1, 0), "");
	cr_assert_eq(lk_table_col(&t, "c"), 2);
	cr_assert_eq(lk_table_col(&t, "nope"), -1);
}

Test(lk_csv, quoted_newlines_count_lines)
{
	cr_assert_eq(parse("id,note\n1,\"line one\nline two\r\nline three\"\n2,plain\n"), 0);
	cr_assert_eq(t.nrows, 2);
	cr_assert_str_eq(cell(0, 1), "line one\nline two\r\nline three");
	cr_assert_str_eq(cell(1, 1), "plain");
	/* The ragged row is on physical line 5, after the quoted line breaks. */
	expect_error("id,note\n1,\"a\nb\nc\"\n2\n", MD_EINVAL, 5,
	             "row has 1 field, the header has 2");
}

Test(lk_csv, bom_and_no_final_newline)
{
	cr_assert_eq(parse("\xEF\xBB\xBFname,age\nann,3"), 0);
	cr_assert_str_eq(t.colnames[0], "name");
	cr_assert_str_eq(cell(0, 1), "3");
}

Test(lk_csv, delimiter_sniffing)
{
	cr_assert_eq(parse("a;b;c\n1;2,5;3\n"), 0);
	cr_assert_eq(t.ncols, 3);
	cr_assert_str_eq(cell(0, 1), "2,5");
	cr_assert_eq(parse("a\tb\n x \ty\n"), 0);
	cr_assert_eq(t.ncols, 2);
	cr_assert_str_eq(cell(0, 0), "x", "spaces trimmed, tab delimits");
	cr_assert_eq(parse("a|b\n1|2\n"), 0);
	cr_assert_str_eq(cell(0, 1), "2");
	cr_assert_eq(parse("\"x;y\",b,c\n1,2,3\n"), 0, "a ';' inside quotes does not count");
	cr_assert_eq(t.ncols, 3);
	cr_assert_eq(parse("only\nv1\n\nv2\n"), 0, "one column, blank lines skipped");
	cr_assert_eq(t.ncols, 1);
	cr_assert_eq(t.nrows, 2);
}

Test(lk_csv, febrl_separator)
{
	cr_assert_eq(parse("rec_id, given_name, surname\r\nrec-1-org, , lund\r\n"
	                   "rec-2-org, \"mary ann\" , o'neil  \r\n"),
	             0);
	cr_assert_str_eq(t.colnames[1], "given_name");
	cr_assert_str_eq(cell(0, 1), "");
	cr_assert_str_eq(cell(0, 2), "lund");
	cr_assert_str_eq(cell(1, 1), "mary ann");
	cr_assert_str_eq(cell(1, 2), "o'neil");
}

Test(lk_csv, febrl_dataset4a)
{
	size_t n;
	char *data = test_slurp(DATA "febrl/dataset4a.csv", &n);
	int rc = lk_csv_parse(data, n, NULL, &t, &err);
	md_free(data);
	cr_assert_eq(rc, 0, "%zu: %s", err.line, err.message);
	cr_assert_eq(t.ncols, 11);
	cr_assert_eq(t.nrows, 5000);
	cr_assert_str_eq(t.colnames[0], "rec_id");
	cr_assert_str_eq(t.colnames[10], "soc_sec_id");
	cr_assert_str_eq(cell(0, 0), "rec-1070-org");
	cr_assert_str_eq(cell(0, 1), "michaela");
	cr_assert_str_eq(cell(0, 4), "stanley street");
	cr_assert_str_eq(cell(0, 6), "winston hills");
	cr_assert_str_eq(cell(0, 7), "4223");
	cr_assert_str_eq(cell(0, 9), "19151111");
	cr_assert_str_eq(cell(0, 10), "5304218");
	cr_assert_str_eq(cell(6, 0), "rec-1985-org");
	cr_assert_str_eq(cell(6, 1), "", "missing given name");
	cr_assert_str_eq(cell(4999, 0), "rec-66-org");
	cr_assert_str_eq(cell(4999, 10), "6375537", "last line has no newline");
}

Test(lk_csv, splink_fake_1000)
{
	size_t n;
	char *data = test_slurp(DATA "splink_datasets/fake_1000.csv", &n);
	int rc = lk_csv_parse(data, n, NULL, &t, &err);
	md_free(data);
	cr_assert_eq(rc, 0, "%zu: %s", err.line, err.message);
	cr_assert_eq(t.ncols, 7);
	cr_assert_eq(t.nrows, 1000);
	cr_assert_eq(lk_table_col(&t, "cluster"), 6);
	cr_assert_str_eq(cell(0, 1), "Robert");
	cr_assert_str_eq(cell(0, 3), "1971-06-24");
	cr_assert_str_eq(cell(0, 4), "", "missing city");
	cr_assert_str_eq(cell(0, 5), "robert255@smith.net");
}

Test(lk_csv, latin1_converted)
{
	/* "José" and "Müller" in Latin-1, "€" as Windows-1252 0x80. */
	cr_assert_eq(parse("name,city\nJos\xE9,M\xFCller \x80\n"), 0, "%s", err.message);
	cr_assert_str_eq(cell(0, 0), "Jos\xC3\xA9");
	cr_assert_str_eq(cell(0, 1), "M\xC3\xBCller \xE2\x82\xAC");
	/* Valid UTF-8 stays as it is. */
	cr_assert_eq(parse("name\nJos\xC3\xA9\n"), 0);
	cr_assert_str_eq(cell(0, 0), "Jos\xC3\xA9");
}

Test(lk_csv, header_rules)
{
	cr_assert_eq(parse("a,b\n"), 0, "header only");
	cr_assert_eq(t.nrows, 0);
	cr_assert_eq(t.ncols, 2);
	cr_assert_not_null(t.cells);
	expect_error("", MD_EINVAL, 1, "empty file");
	expect_error("\n\r\n", MD_EINVAL, 1, "empty file");
	expect_error("\xEF\xBB\xBF", MD_EINVAL, 1, "empty file");
	expect_error("a,,c\n", MD_EINVAL, 1, "column 2 has an empty name");
	expect_error("a, b ,b\n", MD_EINVAL, 1, "duplicate column name \"b\"");
}

Test(lk_csv, ragged_rows)
{
	expect_error("a,b,c\n1,2,3\n1,2\n", MD_EINVAL, 3, "row has 2 fields, the header has 3");
	expect_error("a,b\n1,2\n\n1,2,3,4\n", MD_EINVAL, 4, "row has 4 fields, the header has 2");
}

Test(lk_csv, unterminated_quote)
{
	expect_error("a,b\n1,2\n3,\"open\nmore\nstill\n", MD_EINVAL, 3,
	             "unterminated quoted field starting at line 3");
	expect_error("a,b\n1,\"x\"y\n", MD_EINVAL, 2, "after a closing quote");
}

Test(lk_csv, binary_garbage)
{
	const char bin[] = "a,b\n1,2\nx\0y,z\n";
	int rc = lk_csv_parse(bin, sizeof bin - 1, NULL, &t, &err);
	cr_assert_eq(rc, MD_EINVAL);
	cr_assert_eq(err.line, 3);
	cr_assert(strstr(err.message, "binary"), "%s", err.message);
	expect_error("a,b\n\x01\x02\x03\n", MD_EINVAL, 2, "byte 0x01");
	/* A PNG header: not text. */
	const char png[] = "\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
	rc = lk_csv_parse(png, sizeof png - 1, NULL, &t, &err);
	cr_assert_eq(rc, MD_EINVAL);
	cr_assert_eq(err.line, 2);
}

Test(lk_csv, limits)
{
	/* 10,000 columns: over the default 1,024. */
	struct buf b;
	buf_init(&b, 1 << 20);
	for (int i = 0; i < 10000; i++)
		cr_assert_eq(buf_printf(&b, "%sc%d", i ? "," : "", i), 0);
	cr_assert_eq(buf_puts(&b, "\n"), 0);
	expect_error(b.data, MD_ELIMIT, 1, "the header has 10000 columns, the limit is 1024");
	buf_release(&b);

	struct lk_csv_limits lim = { .max_rows = 2, .max_field_bytes = 4, .max_bytes = 64 };
	const char *s = "a,b\n1,2\n3,4\n5,6\n";
	cr_assert_eq(lk_csv_parse(s, strlen(s), &lim, &t, &err), MD_ELIMIT);
	cr_assert_eq(err.line, 4);
	cr_assert(strstr(err.message, "more than 2 rows"), "%s", err.message);
	s = "a,b\n1,12345\n";
	cr_assert_eq(lk_csv_parse(s, strlen(s), &lim, &t, &err), MD_ELIMIT);
	cr_assert_eq(err.line, 2);
	cr_assert(strstr(err.message, "field of 5 bytes"), "%s", err.message);
	s = "a,b\n1,\"12345\"\n";
	cr_assert_eq(lk_csv_parse(s, strlen(s), &lim, &t, &err), MD_ELIMIT);
	char big[100];
	memset(big, 'x', sizeof big);
	cr_assert_eq(lk_csv_parse(big, sizeof big, &lim, &t, &err), MD_ELIMIT);
	cr_assert(strstr(err.message, "the file has 100 bytes"), "%s", err.message);
}

Test(lk_csv, allocation_failures_do_not_leak)
{
	const char *s = "a,b\n1,\"x\ny\"\n3,4\n";
	int rc = -1;
	for (long k = 0; k < 50 && rc != 0; k++) {
		md_alloc_fail_after(k);
		rc = lk_csv_parse(s, strlen(s), NULL, &t, &err);
		md_alloc_fail_after(-1);
		cr_assert(rc == 0 || rc == MD_ENOMEM, "rc %d", rc);
	}
	cr_assert_eq(rc, 0);
	cr_assert_str_eq(cell(0, 1), "x\ny");
}

Test(lk_table, new_and_set)
{
	cr_assert_eq(lk_table_new(&t, 0, 3), MD_EINVAL);
	cr_assert_eq(lk_table_new(&t, 2, 3), 0);
	cr_assert_str_eq(t.cells[5], "");
	cr_assert_str_eq(t.colnames[1], "");
	cr_assert_eq(lk_table_set(&t, 2, 1, "hello", 3), 0);
	cr_assert_str_eq(t.cells[5], "hel");
	cr_assert_eq(lk_table_set(&t, 3, 0, "x", 1), MD_EINVAL);
	cr_assert_eq(lk_table_set_colname(&t, 1, "name", 4), 0);
	cr_assert_eq(lk_table_col(&t, "name"), 1);
	/* Many strings, some bigger than a block: all survive. */
	char big[100000];
	memset(big, 'q', sizeof big);
	for (int i = 0; i < 1000; i++)
		cr_assert_eq(lk_table_set(&t, (size_t)i % 3, 0, big, i == 500 ? sizeof big : 10),
		             0);
	cr_assert_eq(strlen(t.cells[0]), 10);
	cr_assert_str_eq(t.cells[5], "hel");
}
