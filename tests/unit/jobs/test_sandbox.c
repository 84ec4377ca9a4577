/*
 * The PDF sandbox (src/jobs/sandbox.c) against the real matchd binary: a hostile PDF must
 * cost a child process, never this one. Needs build/matchd (or $MATCHD_BIN); skipped without.
 */
#include <criterion/criterion.h>

#include "base/common.h"
#include "base/timeutil.h"

#include <unistd.h>

#include "engines/cv/pdftext.h"
#include "jobs/sandbox.h"

static const char *matchd_bin(void)
{
	const char *b = getenv("MATCHD_BIN");
	if (!b || !*b)
		b = "build/matchd";
	if (access(b, X_OK) != 0)
		cr_skip_test("no matchd binary at %s (build it or set MATCHD_BIN)", b);
	return b;
}

/*
 * A 3 KB "billion laughs" PDF: the page draws form X0, which draws X1 ten times, ... down to
 * X8, which shows text ten times: 10^9 text operations for poppler to lay out.
 */
static void make_bomb(struct buf *out)
{
	enum { DEPTH = 9, FAN = 10, NOBJ = 6 + DEPTH };
	struct buf body[NOBJ];
	for (int i = 0; i < NOBJ; i++)
		buf_init(&body[i], 1 << 16);
	cr_assert_eq(buf_puts(&body[1], "<< /Type /Catalog /Pages 2 0 R >>"), 0);
	cr_assert_eq(buf_puts(&body[2], "<< /Type /Pages /Kids [3 0 R] /Count 1 >>"), 0);
	cr_assert_eq(buf_puts(&body[3], "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
	                                "/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> "
	                                "/XObject << /X0 6 0 R >> >> >>"),
	             0);
	cr_assert_eq(buf_puts(&body[4], "<< /Length 6 >>\nstream\n/X0 Do\nendstream"), 0);
	cr_assert_eq(buf_puts(&body[5], "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"),
	             0);
	for (int k = 0; k < DEPTH; k++) {
		struct buf s;
		buf_init(&s, 1 << 16);
		for (int f = 0; f < FAN; f++)
			cr_assert_eq(
			    k < DEPTH - 1
			        ? buf_printf(&s, "/X%d Do\n", k + 1)
			        : buf_puts(&s, "BT /F1 12 Tf 10 10 Td (Hello world) Tj ET\n"),
			    0);
		cr_assert_eq(buf_puts(&body[6 + k],
		                      "<< /Type /XObject /Subtype /Form /BBox "
		                      "[0 0 612 792] /Resources << /Font << /F1 5 0 R >>"),
		             0);
		if (k < DEPTH - 1)
			cr_assert_eq(
			    buf_printf(&body[6 + k], " /XObject << /X%d %d 0 R >>", k + 1, 7 + k),
			    0);
		cr_assert_eq(buf_printf(&body[6 + k], " >> /Length %zu >>\nstream\n%s\nendstream",
		                        s.len, s.data),
		             0);
		buf_release(&s);
	}
	size_t off[NOBJ];
	cr_assert_eq(buf_puts(out, "%PDF-1.4\n"), 0);
	for (int i = 1; i < NOBJ; i++) {
		off[i] = out->len;
		cr_assert_eq(buf_printf(out, "%d 0 obj\n%s\nendobj\n", i, body[i].data), 0);
	}
	size_t xref = out->len;
	cr_assert_eq(buf_printf(out, "xref\n0 %d\n0000000000 65535 f \n", NOBJ), 0);
	for (int i = 1; i < NOBJ; i++)
		cr_assert_eq(buf_printf(out, "%010zu 00000 n \n", off[i]), 0);
	cr_assert_eq(buf_printf(out,
	                        "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n",
	                        NOBJ, xref),
	             0);
	for (int i = 0; i < NOBJ; i++)
		buf_release(&body[i]);
}

static void read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "%s", path);
	char chunk[65536];
	size_t n;
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		cr_assert_eq(buf_append(b, chunk, n), 0);
	fclose(f);
}

Test(cv_sandbox, real_pdf_same_as_in_process)
{
	const char *bin = matchd_bin();
	struct buf pdf;
	buf_init(&pdf, 8 << 20);
	read_file("../shared/data/cv/pdfs/11_resume-matcher_barry-allen_moderncv.pdf", &pdf);
	struct cv_pages a, b;
	cv_pages_init(&a);
	cv_pages_init(&b);
	char err[512];
	int rc = sandbox_extract_pdf(bin, pdf.data, pdf.len, NULL, &a, err, sizeof err);
	cr_assert_eq(rc, 0, "sandbox: %d %s", rc, err);
	cr_assert_eq(cv_pdf_extract(pdf.data, pdf.len, 200, 4 << 20, &b, err, sizeof err), 0);
	cr_assert_eq(a.n, b.n);
	for (size_t i = 0; i < a.n; i++)
		cr_assert_str_eq(a.text[i], b.text[i]);
	cr_assert_not_null(strstr(a.text[0], "Barry Allen"));
	cv_pages_release(&a);
	cv_pages_release(&b);
	buf_release(&pdf);
}

Test(cv_sandbox, damaged_pdf)
{
	const char *bin = matchd_bin();
	const char junk[] = "%PDF-1.4\nthis is not a PDF at all\n";
	struct cv_pages p;
	cv_pages_init(&p);
	char err[512];
	int rc = sandbox_extract_pdf(bin, junk, sizeof junk - 1, NULL, &p, err, sizeof err);
	cr_assert_eq(rc, MD_EINVAL, "rc %d: %s", rc, err);
	cr_assert_eq(strncmp(err, "the PDF is damaged or encrypted: ", 33), 0, "%s", err);
	cr_assert_eq(p.n, 0);
}

Test(cv_sandbox, cpu_limit_kills_bomb_quickly)
{
	const char *bin = matchd_bin();
	struct buf pdf;
	buf_init(&pdf, 1 << 20);
	make_bomb(&pdf);
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	lim.cpu_seconds = 1;
	lim.wall_seconds = 20;
	struct cv_pages p;
	cv_pages_init(&p);
	char err[512];
	int64_t t0 = md_mono_ms();
	int rc = sandbox_extract_pdf(bin, pdf.data, pdf.len, &lim, &p, err, sizeof err);
	int64_t ms = md_mono_ms() - t0;
	cr_assert_eq(rc, MD_ELIMIT, "rc %d: %s", rc, err);
	cr_assert_str_eq(err, "PDF text extraction exceeded the CPU time limit (1 s)");
	cr_assert_lt(ms, 5000, "took %lld ms", (long long)ms);
	buf_release(&pdf);
}

Test(cv_sandbox, wall_clock_deadline)
{
	const char *bin = matchd_bin();
	struct buf pdf;
	buf_init(&pdf, 1 << 20);
	make_bomb(&pdf);
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	lim.cpu_seconds = 60;
	lim.wall_seconds = 1;
	struct cv_pages p;
	cv_pages_init(&p);
	char err[512];
	int64_t t0 = md_mono_ms();
	int rc = sandbox_extract_pdf(bin, pdf.data, pdf.len, &lim, &p, err, sizeof err);
	int64_t ms = md_mono_ms() - t0;
	cr_assert_eq(rc, MD_ETIMEOUT, "rc %d: %s", rc, err);
	cr_assert_str_eq(err, "PDF text extraction timed out after 1 s");
	cr_assert_lt(ms, 3000, "took %lld ms", (long long)ms);
	buf_release(&pdf);
}

Test(cv_sandbox, memory_limit)
{
	const char *bin = matchd_bin();
#if defined(__SANITIZE_ADDRESS__)
	cr_skip_test("sanitizer builds run the child without RLIMIT_AS");
#endif
	struct buf pdf;
	buf_init(&pdf, 1 << 20);
	make_bomb(&pdf);
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	lim.mem_bytes = 16 << 20;
	lim.cpu_seconds = 5;
	lim.wall_seconds = 10;
	struct cv_pages p;
	cv_pages_init(&p);
	char err[512];
	int64_t t0 = md_mono_ms();
	int rc = sandbox_extract_pdf(bin, pdf.data, pdf.len, &lim, &p, err, sizeof err);
	cr_assert_eq(rc, MD_ELIMIT, "rc %d: %s", rc, err);
	cr_assert_str_eq(err, "PDF text extraction exceeded the memory limit (16 MiB)");
	cr_assert_lt(md_mono_ms() - t0, 3000);
	buf_release(&pdf);
}

Test(cv_sandbox, text_cap_truncates)
{
	const char *bin = matchd_bin();
	struct buf pdf;
	buf_init(&pdf, 8 << 20);
	read_file("../shared/data/cv/pdfs/10_openresume_react-pdf.pdf", &pdf);
	struct sandbox_limits lim;
	sandbox_limits_default(&lim);
	lim.max_output = 100;
	struct cv_pages p;
	cv_pages_init(&p);
	char err[512];
	int rc = sandbox_extract_pdf(bin, pdf.data, pdf.len, &lim, &p, err, sizeof err);
	cr_assert_eq(rc, 0, "rc %d: %s", rc, err);
	cr_assert(p.truncated);
	cr_assert_eq(p.n, 1);
	cr_assert_leq(strlen(p.text[0]), 100);
	cv_pages_release(&p);
	buf_release(&pdf);
}

Test(cv_sandbox, missing_binary)
{
	struct cv_pages p;
	cv_pages_init(&p);
	char err[512];
	int rc = sandbox_extract_pdf("/nonexistent/matchd", "%PDF-", 5, NULL, &p, err, sizeof err);
	cr_assert_eq(rc, MD_EIO, "rc %d: %s", rc, err);
	cr_assert_not_null(strstr(err, "cannot start"), "%s", err);
}
