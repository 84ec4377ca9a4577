/*
 * test_linkage_upload.c: the batch-wise check of a streamed upload (src/api/linkage_upload.c)
 * must agree with the reader on the whole file: same verdict, same error line and message,
 * same columns and row count, whatever the pieces the bytes arrive in and wherever the batch
 * cuts fall. Batches and the record cap are lowered so small inputs cross many cuts.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "api/linkage_upload.h"
#include "base/common.h"
#include "engines/linkage/table.h"

#include "test_file.h"

struct verdict {
	int rc;
	size_t line, rows, ncols;
	char message[160];
	char first_col[64];
};

static void whole(const char *d, size_t n, struct verdict *v)
{
	struct lk_table t;
	lk_table_init(&t);
	struct lk_csv_error e = { 0 };
	memset(v, 0, sizeof *v);
	v->rc = lk_csv_parse(d, n, NULL, &t, &e);
	v->line = e.line;
	snprintf(v->message, sizeof v->message, "%s", e.message);
	if (!v->rc) {
		v->rows = t.nrows;
		v->ncols = t.ncols;
		snprintf(v->first_col, sizeof v->first_col, "%s", t.colnames[0]);
	}
	lk_table_release(&t);
}

static void streamed(const char *d, size_t n, size_t batch, uint32_t seed, struct verdict *v)
{
	struct lk_upload_check u;
	lk_upload_init(&u);
	u.batch = batch;
	u.max_record = 4096;
	memset(v, 0, sizeof *v);
	size_t off = 0;
	int rc = 0;
	while (off < n && !rc) {
		seed = seed * 1103515245u + 12345u;
		size_t k = MD_MIN(n - off, (size_t)(seed >> 16) % 97 + 1);
		rc = lk_upload_feed(&u, d + off, k);
		off += k;
	}
	if (!rc)
		rc = lk_upload_finish(&u);
	v->rc = rc;
	v->line = lk_upload_error(&u)->line;
	snprintf(v->message, sizeof v->message, "%s", lk_upload_error(&u)->message);
	if (!rc) {
		v->rows = u.rows;
		v->ncols = u.ncols;
		snprintf(v->first_col, sizeof v->first_col, "%s", u.colnames[0]);
	}
	lk_upload_release(&u);
}

static void agree(const char *label, const char *d, size_t n)
{
	struct verdict w, s;
	whole(d, n, &w);
	size_t batches[] = { 1, 7, 64, 1000, (size_t)1 << 30 };
	for (size_t b = 0; b < ARRAY_SIZE(batches); b++) {
		for (uint32_t seed = 1; seed <= 3; seed++) {
			streamed(d, n, batches[b], seed, &s);
			cr_assert_eq(s.rc, w.rc, "%s (batch %zu): rc %d, whole file %d (%s)", label,
			             batches[b], s.rc, w.rc, s.message);
			cr_assert_eq(s.line, w.line,
			             "%s (batch %zu): line %zu, whole file %zu (%s)", label,
			             batches[b], s.line, w.line, w.message);
			cr_assert_str_eq(s.message, w.message, "%s", label);
			cr_assert_eq(s.rows, w.rows, "%s (batch %zu): rows %zu vs %zu", label,
			             batches[b], s.rows, w.rows);
			cr_assert_eq(s.ncols, w.ncols, "%s", label);
			cr_assert_str_eq(s.first_col, w.first_col, "%s", label);
		}
	}
}

#define AGREE(label, lit) agree(label, lit, sizeof(lit) - 1)

Test(linkage_upload, agrees_with_the_reader_on_valid_files)
{
	AGREE("plain", "a,b\n1,2\n3,4\n5,6\n");
	AGREE("no final newline", "a,b\n1,2\n3,4");
	AGREE("crlf", "a,b\r\n1,2\r\n3,4\r\n");
	AGREE("bare cr", "a,b\r1,2\r3,4\r5,6");
	AGREE("bom and blank lines", "\xEF\xBB\xBF\n\na,b\n\n1,2\n\n\n3,4\n\n");
	AGREE("quoted newlines",
	      "name,note\n\"x\",\"line1\nline2\"\n\"y\",\"a\r\nb\"\nz,\"\"\"q\"\"\n\"\n");
	AGREE("stray quotes in unquoted fields", "h,w\n5\"6,tall\n7,\"x\"\n8\"a\"b,c\n9,d\n");
	AGREE("febrl spaces",
	      "rec_id, given_name, surname\nrec-1, ann, smith\nrec-2, bob, jones\n");
	AGREE("semicolons", "a;b;c\n1;2;3\n\"x;y\";2;3\n");
	AGREE("tabs", "a\tb\n 1 \t 2 \n3\t4\n");
	AGREE("header only", "a,b,c\n");
	AGREE("header only, no newline", "a,b,c");
	AGREE("quoted header with newline", "\"a\nb\",c\n1,2\n3,4\n");
	AGREE("latin-1", "name,city\nJos\xe9,K\xf6ln\nA,B\n");
}

Test(linkage_upload, agrees_with_the_reader_on_bad_files)
{
	AGREE("empty", "");
	AGREE("only blank lines", "\n\r\n\n");
	AGREE("ragged late row", "a,b\n1,2\n3,4\n5,6\n7,8\n9\n11,12\n");
	AGREE("ragged after quoted newlines", "a,b\n\"x\ny\",2\n3,4\n\"p\nq\nr\",5,6\n");
	AGREE("unterminated quote", "a,b\n1,2\n3,4\n5,\"6\n7,8\n9,10\n");
	AGREE("text after closing quote", "a,b\n1,2\n\"3\"x,4\n");
	AGREE("binary", "a,b\n1,2\n3,4\n5,\x01\n");
	AGREE("nul", "a,b\n1,2\n3,\0\n");
	AGREE("duplicate header", "a,a\n1,2\n");
	AGREE("empty header name", "a,,c\n1,2,3\n");
	AGREE("crlf ragged", "a,b\r\n1,2\r\n3\r\n");
	AGREE("bare cr ragged", "a,b\r1,2\r3\r");
}

Test(linkage_upload, agrees_on_real_files_and_names_the_line_of_the_whole_file)
{
	const char *files[] = { "../shared/data/linkage/febrl/dataset4a.csv",
		                "../shared/data/linkage/splink_datasets/fake_1000.csv" };
	for (size_t i = 0; i < ARRAY_SIZE(files); i++) {
		size_t n;
		char *d = test_slurp(files[i], &n);
		agree(files[i], d, n);
		/* Break one row far into the file: a missing delimiter on line 2500 or so. */
		size_t lines = 0, at = 0;
		for (size_t k = 0; k < n && lines < 700; k++)
			if (d[k] == '\n') {
				lines++;
				at = k + 1;
			}
		char *comma = memchr(d + at, ',', n - at);
		cr_assert_not_null(comma);
		*comma = ' ';
		struct verdict w;
		whole(d, n, &w);
		cr_assert_eq(w.line, 701, "the reader names line %zu", w.line);
		agree(files[i], d, n);
		md_free(d);
	}
}

Test(linkage_upload, a_record_longer_than_the_cap_is_refused)
{
	struct lk_upload_check u;
	lk_upload_init(&u);
	u.max_record = 1000;
	const char *head = "a,b\n1,2\n";
	cr_assert_eq(lk_upload_feed(&u, head, strlen(head)), 0);
	char big[3000];
	memset(big, 'x', sizeof big);
	big[0] = '"'; /* an unterminated quote: the reader's own message */
	int rc = lk_upload_feed(&u, big, sizeof big);
	cr_assert_eq(rc, MD_EINVAL);
	cr_assert_eq(lk_upload_error(&u)->line, 3);
	cr_assert(strstr(lk_upload_error(&u)->message, "unterminated") != NULL, "%s",
	          lk_upload_error(&u)->message);
	lk_upload_release(&u);
}
