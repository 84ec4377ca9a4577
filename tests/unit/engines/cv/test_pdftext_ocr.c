/*
 * OCR of pages without a text layer (src/engines/cv/ocr.c through cv_pdf_extract_opts). The
 * scanned PDFs are made here: a page of a shared CV is rendered by poppler into a cairo bitmap
 * and painted, as the only content, onto a page of cairo's PDF surface, so the result has no
 * text layer at all and the facts to recover are known from the original.
 */
#include <criterion/criterion.h>

#include <cairo-pdf.h>
#include <cairo.h>
#include <poppler.h>
#include <sys/resource.h>

#include "base/common.h"
#include "engines/cv/ocr.h"
#include "engines/cv/pdftext.h"

#define RENDERCV "../shared/data/cv/pdfs/08_rendercv_engineeringresumes.pdf"
#define BILLRYAN_ZH "../shared/data/cv/pdfs/06_billryan_resume_zh-CN.pdf"

/* As the extraction child does (src/cli/extract.c): one OpenMP thread for Tesseract. */
static void one_omp_thread(void)
{
	setenv("OMP_THREAD_LIMIT", "1", 0);
}

TestSuite(cv_ocr, .init = one_omp_thread);

static cairo_status_t to_buf(void *closure, const unsigned char *data, unsigned int len)
{
	return buf_append(closure, data, len) ? CAIRO_STATUS_WRITE_ERROR : CAIRO_STATUS_SUCCESS;
}

/*
 * Page 1 of path rendered at dpi (or left blank), repeated on npages image-only pages; with
 * stamp, that text is drawn in a corner of each page as a real text layer.
 */
/* Page 1 of path rendered at dpi on white (or left blank); *w, *h get its size in points. */
static cairo_surface_t *render_page1(const char *path, double dpi, bool blank, double *w, double *h)
{
	GError *e = NULL;
	char *abs = realpath(path, NULL);
	cr_assert_not_null(abs, "%s", path);
	char *uri = g_filename_to_uri(abs, NULL, &e);
	free(abs);
	cr_assert_not_null(uri, "%s", e ? e->message : path);
	PopplerDocument *doc = poppler_document_new_from_file(uri, NULL, &e);
	cr_assert_not_null(doc, "%s", e ? e->message : path);
	PopplerPage *page = poppler_document_get_page(doc, 0);
	poppler_page_get_size(page, w, h);
	int pw = (int)(*w * dpi / 72), ph = (int)(*h * dpi / 72);
	cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_RGB24, pw, ph);
	cairo_t *cr = cairo_create(img);
	cairo_set_source_rgb(cr, 1, 1, 1);
	cairo_paint(cr);
	cairo_scale(cr, dpi / 72, dpi / 72);
	if (!blank)
		poppler_page_render_for_printing(page, cr);
	cairo_destroy(cr);
	cairo_surface_flush(img);
	g_object_unref(page);
	g_object_unref(doc);
	g_free(uri);
	return img;
}

static void stamped_pdf(const char *path, double dpi, bool blank, int npages, const char *stamp,
                        struct buf *out)
{
	bool image = dpi > 0; /* dpi 0: no image at all, only the stamp */
	dpi = image ? dpi : 72;
	double w, h;
	cairo_surface_t *img = render_page1(path, dpi, blank, &w, &h);
	buf_init(out, (size_t)64 << 20);
	cairo_surface_t *pdf = cairo_pdf_surface_create_for_stream(to_buf, out, w, h);
	cairo_t *cr = cairo_create(pdf);
	for (int i = 0; i < npages; i++) {
		cairo_save(cr);
		cairo_scale(cr, 72 / dpi, 72 / dpi);
		cairo_set_source_surface(cr, img, 0, 0);
		if (image)
			cairo_paint(cr);
		cairo_restore(cr);
		if (stamp) {
			cairo_set_source_rgb(cr, 0.5, 0.5, 0.5);
			cairo_set_font_size(cr, 7);
			cairo_move_to(cr, 20, h - 10);
			cairo_show_text(cr, stamp);
		}
		cairo_show_page(cr);
	}
	cairo_destroy(cr);
	cairo_surface_finish(pdf);
	cr_assert_eq(cairo_surface_status(pdf), CAIRO_STATUS_SUCCESS);
	cairo_surface_destroy(pdf);
	cairo_surface_destroy(img);
	cr_assert_gt(out->len, 1000);
}

static void scanned_pdf(const char *path, double dpi, bool blank, int npages, struct buf *out)
{
	stamped_pdf(path, dpi, blank, npages, NULL, out);
}

static void extract(const struct buf *pdf, const struct cv_pdf_options *o, struct cv_pages *p)
{
	char err[256];
	cv_pages_init(p);
	int rc = cv_pdf_extract_opts(pdf->data, pdf->len, 20, 1 << 20, o, p, err, sizeof err);
	cr_assert_eq(rc, 0, "%s", err);
}

static bool has_warning(const struct cv_pages *p, const char *needle)
{
	for (size_t i = 0; i < p->nwarnings; i++)
		if (strstr(p->warnings[i], needle))
			return true;
	return false;
}

Test(cv_ocr, scanned_page_is_read_with_its_layout, .timeout = 120)
{
	struct buf pdf;
	scanned_pdf(RENDERCV, 200, false, 1, &pdf);
	struct cv_pages p;
	extract(&pdf, NULL, &p);
	cr_assert_eq(p.n, 1);
	cr_assert_eq(p.nocr_pages, 1);
	cr_assert_eq(p.ocr_pages[0], 1);
	cr_assert(has_warning(&p, "page 1: no text layer, read by OCR (eng)"), "%s", p.warnings[0]);
	const char *t = p.text[0];
	/* The name, the contact line, the headings, a position with its dates on one line. */
	cr_assert_not_null(strstr(t, "John Doe\n"), "%s", t);
	cr_assert_not_null(strstr(t, "john.doe@email.com"), "%s", t);
	cr_assert_not_null(strstr(t, "\nEducation\n"), "%s", t);
	cr_assert_not_null(strstr(t, "\nExperience\n"), "%s", t);
	cr_assert_not_null(strstr(t, "Nexus AI"), "%s", t);
	cr_assert_not_null(strstr(t, "June 2023"), "%s", t);
	/* Round list bullets that Tesseract reads as "e" or "©" come back as bullets. */
	cr_assert_not_null(strstr(t, "\n\u2022 Advisor: Prof. Sanjeev Arora"), "%s", t);
	cv_pages_release(&p);
	buf_release(&pdf);
}

Test(cv_ocr, scan_with_a_text_stamp_is_read_too, .timeout = 120)
{
	struct buf pdf;
	stamped_pdf(RENDERCV, 150, false, 1, "Scanned with AppScan", &pdf);
	struct cv_pages p;
	extract(&pdf, NULL, &p);
	cr_assert_eq(p.nocr_pages, 1);
	cr_assert(has_warning(&p, "page 1: a scanned image with 18 characters of text, read by "
	                          "OCR (eng)"),
	          "%s", p.warnings[0]);
	cr_assert_not_null(strstr(p.text[0], "john.doe@email.com"), "%s", p.text[0]);
	cv_pages_release(&p);
	buf_release(&pdf);
	/* The same stamp alone on a page (no image) is a short text page, not a scan. */
	stamped_pdf(RENDERCV, 0, true, 1, "Scanned with AppScan", &pdf);
	extract(&pdf, NULL, &p);
	cr_assert_eq(p.nocr_pages, 0);
	cr_assert_str_eq(p.text[0], "Scanned with AppScan");
	cr_assert_not(has_warning(&p, "OCR"));
	cv_pages_release(&p);
	buf_release(&pdf);
}

Test(cv_ocr, chinese_scan_keeps_phrases_whole, .timeout = 120)
{
	struct buf pdf;
	scanned_pdf(BILLRYAN_ZH, 200, false, 1, &pdf);
	struct cv_pdf_options o = { "eng+chi_sim", 1 };
	struct cv_pages p;
	extract(&pdf, &o, &p);
	cr_assert_eq(p.nocr_pages, 1);
	cr_assert(has_warning(&p, "read by OCR (eng+chi_sim)"), "%s", p.warnings[0]);
	const char *t = p.text[0];
	/* Tesseract cuts Chinese into one- and two-character words: no spaces between them. */
	cr_assert_not_null(strstr(t, "上海交通大学"), "%s", t);
	cr_assert_not_null(strstr(t, "后端开发"), "%s", t);
	cr_assert_not_null(strstr(t, "xxx@yuanbin.me"), "%s", t);
	cr_assert_not_null(strstr(t, "至今"), "%s", t);
	cv_pages_release(&p);
	buf_release(&pdf);
}

Test(cv_ocr, page_budget_and_off_switch, .timeout = 120)
{
	struct buf pdf;
	scanned_pdf(RENDERCV, 150, false, 2, &pdf);
	struct cv_pdf_options o = { "eng", 1 };
	struct cv_pages p;
	extract(&pdf, &o, &p);
	cr_assert_eq(p.n, 2);
	cr_assert_eq(p.nocr_pages, 1);
	cr_assert_eq(p.ocr_pages[0], 1);
	cr_assert_not_null(strstr(p.text[0], "john.doe@email.com"), "%s", p.text[0]);
	cr_assert_str_empty(p.text[1]);
	cr_assert(has_warning(&p, "page 2: no text layer, not read by OCR (at most 1 pages are)"));
	cv_pages_release(&p);
	/* Off: the page is reported empty as it was before OCR existed. */
	o.ocr_max_pages = 0;
	extract(&pdf, &o, &p);
	cr_assert_eq(p.nocr_pages, 0);
	cr_assert_str_empty(p.text[0]);
	cr_assert(has_warning(&p, "page 1: no text layer"), "%s", p.warnings[0]);
	cr_assert_not(has_warning(&p, "OCR"));
	cv_pages_release(&p);
	buf_release(&pdf);
}

Test(cv_ocr, no_page_starts_when_the_cpu_limit_is_near, .timeout = 60)
{
	struct buf pdf;
	scanned_pdf(RENDERCV, 100, false, 1, &pdf);
	/* This test runs in its own process: a soft CPU limit of about two seconds from now. */
	struct rusage ru;
	cr_assert_eq(getrusage(RUSAGE_SELF, &ru), 0);
	struct rlimit rl;
	cr_assert_eq(getrlimit(RLIMIT_CPU, &rl), 0);
	rl.rlim_cur = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 2;
	cr_assert_eq(setrlimit(RLIMIT_CPU, &rl), 0);
	struct cv_pages p;
	extract(&pdf, NULL, &p);
	cr_assert_eq(p.nocr_pages, 0);
	cr_assert(has_warning(&p, "page 1: no text layer, not read by OCR (the CPU time limit is "
	                          "near)"),
	          "%s", p.warnings[0]);
	cv_pages_release(&p);
	buf_release(&pdf);
}

Test(cv_ocr, blank_scan_and_missing_languages, .timeout = 60)
{
	struct buf pdf;
	scanned_pdf(RENDERCV, 100, true, 1, &pdf);
	struct cv_pages p;
	extract(&pdf, NULL, &p);
	cr_assert_eq(p.nocr_pages, 1);
	cr_assert_str_empty(p.text[0]);
	cr_assert(has_warning(&p, "read by OCR (eng): no text recognised"), "%s", p.warnings[0]);
	cv_pages_release(&p);
	struct cv_pdf_options o = { "zzz", 4 };
	extract(&pdf, &o, &p);
	cr_assert_eq(p.nocr_pages, 0);
	cr_assert(has_warning(&p, "page 1: no text layer, OCR unavailable: Tesseract cannot load "
	                          "the OCR languages \"zzz\""),
	          "%s", p.warnings[0]);
	cv_pages_release(&p);
	buf_release(&pdf);
}

Test(cv_ocr, language_lists)
{
	cr_assert(cv_ocr_langs_valid("eng"));
	cr_assert(cv_ocr_langs_valid("eng+fra+deu+spa+chi_sim"));
	cr_assert_not(cv_ocr_langs_valid(""));
	cr_assert_not(cv_ocr_langs_valid(NULL));
	cr_assert_not(cv_ocr_langs_valid("en"));
	cr_assert_not(cv_ocr_langs_valid("eng+"));
	cr_assert_not(cv_ocr_langs_valid("+eng"));
	cr_assert_not(cv_ocr_langs_valid("eng fra"));
	cr_assert_not(cv_ocr_langs_valid("../../etc/passwd"));
	cr_assert_not(cv_ocr_langs_valid("eng+eng+eng+eng+eng+eng+eng+eng+eng"));
	struct cv_ocr *o;
	char err[160];
	cr_assert_eq(cv_ocr_new("eng/../x", &o, err, sizeof err), MD_EINVAL);
	cr_assert_null(o);
	cr_assert_not_null(strstr(err, "invalid OCR language list"), "%s", err);
}

/*
 * Page 1 of path as a gray image at dpi, under an invisible text layer whose glyphs map to
 * unassigned code points and U+FFFD, the way a PDF with fonts lacking a Unicode mapping reads;
 * with words, one line of plain text too. Written by hand: cairo always maps its glyphs to
 * Unicode.
 */
static void garbage_layer_pdf(const char *path, double dpi, const char *words, struct buf *out)
{
	double w, h;
	cairo_surface_t *img = render_page1(path, dpi, false, &w, &h);
	int pw = cairo_image_surface_get_width(img), ph = cairo_image_surface_get_height(img);

	struct buf content, gray;
	buf_init(&content, 1 << 20);
	buf_init(&gray, (size_t)pw * ph + 1);
	const unsigned char *px = cairo_image_surface_get_data(img);
	int stride = cairo_image_surface_get_stride(img);
	for (int y = 0; y < ph; y++)
		for (int x = 0; x < pw; x++)
			cr_assert_eq(buf_putc(&gray, (char)px[y * stride + x * 4 + 1]), 0);
	cr_assert_eq(
	    buf_printf(&content, "q %.2f 0 0 %.2f 0 0 cm /Im1 Do Q BT /F1 9 Tf 3 Tr ", w, h), 0);
	for (int line = 0; line < 40; line++)
		cr_assert_eq(buf_printf(&content,
		                        "1 0 0 1 40 %d Tm <0102030405060708090a0b0c0d0e0f> Tj ",
		                        (int)h - 60 - line * 16),
		             0);
	if (words)
		cr_assert_eq(buf_printf(&content, "1 0 0 1 40 30 Tm (%s) Tj ", words), 0);
	cr_assert_eq(buf_puts(&content, "ET"), 0);

	buf_init(out, (size_t)pw * ph + (2 << 20));
	size_t off[6];
	int rc = buf_puts(out, "%PDF-1.4\n");
	off[0] = out->len;
	rc |= buf_puts(out, "1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n");
	off[1] = out->len;
	rc |= buf_puts(out, "2 0 obj\n<< /Type /Pages /Kids [3 0 R] /Count 1 >>\nendobj\n");
	off[2] = out->len;
	rc |= buf_printf(
	    out,
	    "3 0 obj\n<< /Type /Page /Parent 2 0 R /MediaBox [0 0 %.2f %.2f] /Contents 4 0 R "
	    "/Resources << /Font << /F1 5 0 R >> /XObject << /Im1 6 0 R >> >> >>\nendobj\n",
	    w, h);
	off[3] = out->len;
	rc |= buf_printf(out, "4 0 obj\n<< /Length %zu >>\nstream\n", content.len);
	rc |= buf_append(out, content.data, content.len);
	rc |= buf_puts(out, "\nendstream\nendobj\n");
	off[4] = out->len;
	/* Codes 1-15 draw glyphs named after unassigned code points and U+FFFD, with widths (a
	 * glyph of no width is dropped as an overprint). Other codes keep Helvetica's names. */
	rc |=
	    buf_puts(out, "5 0 obj\n<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica "
	                  "/FirstChar 1 /LastChar 15 /Widths [500 500 500 500 500 500 500 500 500 "
	                  "500 500 500 500 500 500] /Encoding << /Type /Encoding /Differences [1 "
	                  "/uni0378 /uni0379 /uni0380 /uni0381 /uni0382 /uni0383 /uni038B /uni038D "
	                  "/uni03A2 /uniFFFD /uni0378 /uni0379 /uni0380 /uni0381 /uni0382] >> >>\n"
	                  "endobj\n");
	off[5] = out->len;
	rc |= buf_printf(
	    out,
	    "6 0 obj\n<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace "
	    "/DeviceGray /BitsPerComponent 8 /Length %zu >>\nstream\n",
	    pw, ph, gray.len);
	rc |= buf_append(out, gray.data, gray.len);
	rc |= buf_puts(out, "\nendstream\nendobj\n");
	size_t xref = out->len;
	rc |= buf_puts(out, "xref\n0 7\n0000000000 65535 f \n");
	for (int i = 0; i < 6; i++)
		rc |= buf_printf(out, "%010zu 00000 n \n", off[i]);
	rc |=
	    buf_printf(out, "trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n%zu\n%%%%EOF\n", xref);
	cr_assert_eq(rc, 0);
	buf_release(&gray);
	buf_release(&content);
	cairo_surface_destroy(img);
}

Test(cv_ocr, garbage_text_layer_is_read_by_ocr, .timeout = 120)
{
	/* Some words map to Unicode, most do not: the page is garbage, and OCR reads it. */
	struct buf pdf;
	garbage_layer_pdf(RENDERCV, 200, "Curriculum Vitae", &pdf);
	struct cv_pages p;
	struct cv_pdf_options off = { .ocr_max_pages = 0 };
	extract(&pdf, &off, &p);
	cr_assert_eq(p.nocr_pages, 0);
	cr_assert(has_warning(&p, "page 1: text layer is garbage"), "%s",
	          p.nwarnings ? p.warnings[0] : "no warning");
	cr_assert_null(strstr(p.text[0], "John Doe"), "the layer itself says nothing");
	cv_pages_release(&p);
	extract(&pdf, NULL, &p);
	cr_assert_eq(p.nocr_pages, 1);
	cr_assert(
	    has_warning(&p, "page 1: a text layer of unreadable characters, read by OCR (eng)"),
	    "%s", p.nwarnings ? p.warnings[0] : "no warning");
	cr_assert_not_null(strstr(p.text[0], "John Doe\n"), "%s", p.text[0]);
	cr_assert_not_null(strstr(p.text[0], "\nExperience\n"), "%s", p.text[0]);
	cv_pages_release(&p);
	buf_release(&pdf);

	/* No word maps at all: still a garbage layer, not "no text layer". */
	garbage_layer_pdf(RENDERCV, 200, NULL, &pdf);
	extract(&pdf, &off, &p);
	cr_assert(has_warning(&p, "page 1: text layer is garbage"), "%s",
	          p.nwarnings ? p.warnings[0] : "no warning");
	cv_pages_release(&p);
	buf_release(&pdf);
}
