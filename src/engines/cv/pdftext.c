#include "engines/cv/pdftext.h"

#include "base/common.h"

#include <poppler.h>
#include <sys/resource.h>

#include "engines/cv/layout.h"
#include "engines/cv/ocr.h"
#include "engines/cv/repair.h"
#include "text/normalize.h"

#define PAGE_TEXT_MAX ((size_t)8 << 20) /* bytes of one page's text while it is rebuilt */
#define SCAN_TEXT_MAX 40 /* fewer characters over a page-sized image: a scan, read by OCR */

static void set_err(char *err, size_t cap, const char *prefix, const char *detail)
{
	if (err && cap)
		snprintf(err, cap, "%s%s%s", prefix, detail ? ": " : "", detail ? detail : "");
}

static int open_doc(const void *pdf, size_t len, PopplerDocument **doc, char *err, size_t errcap)
{
	GError *gerr = NULL;
	GBytes *bytes = g_bytes_new(pdf, len); /* a copy: poppler keeps a reference */
	*doc = poppler_document_new_from_bytes(bytes, NULL, &gerr);
	g_bytes_unref(bytes);
	if (*doc)
		return 0;
	if (gerr && gerr->domain == POPPLER_ERROR && gerr->code == POPPLER_ERROR_ENCRYPTED)
		set_err(err, errcap, "the PDF is encrypted", gerr->message);
	else
		set_err(err, errcap, "the PDF is damaged", gerr ? gerr->message : "unknown error");
	if (gerr)
		g_error_free(gerr);
	return MD_EINVAL;
}

static bool bold_font(const char *name)
{
	return name && (strcasestr(name, "bold") || strcasestr(name, "black") ||
	                strcasestr(name, "heavy") || strcasestr(name, "semibold"));
}

/*
 * The page's characters with their boxes: poppler_page_get_text() gives one character per
 * rectangle of poppler_page_get_text_layout() (the spaces and line breaks poppler inserted
 * included, which the layout uses as word-break hints), and the text attributes give font
 * size and name per character range.
 */
static int page_glyphs(PopplerPage *page, struct cv_glyph **out, size_t *n)
{
	*out = NULL;
	*n = 0;
	char *text = poppler_page_get_text(page);
	PopplerRectangle *rects = NULL;
	guint nr = 0;
	if (!text || !poppler_page_get_text_layout(page, &rects, &nr) || !nr) {
		g_free(text);
		g_free(rects);
		return 0;
	}
	struct cv_glyph *g = md_calloc(nr, sizeof *g);
	if (!g) {
		g_free(text);
		g_free(rects);
		return MD_ENOMEM;
	}
	size_t k = 0;
	for (const char *p = text; *p && k < nr; k++) {
		gunichar c = g_utf8_get_char_validated(p, -1);
		if (c == (gunichar)-1 || c == (gunichar)-2) {
			c = 0xFFFD;
			p++;
		} else {
			p = g_utf8_next_char(p);
		}
		g[k] = (struct cv_glyph){ c,           rects[k].x1, rects[k].y1, rects[k].x2,
			                  rects[k].y2, 0,           false };
	}
	GList *attrs = poppler_page_get_text_attributes(page);
	for (GList *l = attrs; l; l = l->next) {
		const PopplerTextAttributes *a = l->data;
		bool bold = bold_font(a->font_name);
		for (gint i = MD_MAX(a->start_index, 0); i <= a->end_index && (size_t)i < k; i++) {
			g[i].size = a->font_size;
			g[i].bold = bold;
		}
	}
	poppler_page_free_text_attributes(attrs);
	g_free(text);
	g_free(rects);
	*out = g;
	*n = k;
	return 0;
}

static void add_warning(struct cv_pages *out, int page, const char *what)
{
	if (out->nwarnings >= CV_MAX_WARNINGS)
		return;
	snprintf(out->warnings[out->nwarnings++], CV_WARNING_MAX, "page %d: %s", page, what);
}

static void page_warnings(struct cv_pages *out, int page, const struct cv_layout_info *info,
                          int ligatures)
{
	char w[CV_WARNING_MAX];
	if (info->reason != CV_UNREADABLE_NONE)
		add_warning(out, page, cv_unreadable_str(info->reason));
	if (info->reason != CV_UNREADABLE_REGION && info->regions)
		add_warning(out, page, cv_unreadable_str(CV_UNREADABLE_REGION));
	if (ligatures > 0) {
		snprintf(w, sizeof w, "%d word%s split by a lost ligature (\"So ware\") repaired",
		         ligatures, ligatures == 1 ? "" : "s");
		add_warning(out, page, w);
	}
}

/* One extraction: the options and the OCR engine, started at the first scanned page. */
struct extraction {
	const struct cv_pdf_options *opt;
	struct cv_ocr *ocr;
	bool ocr_failed; /* Tesseract could not start: ocr_err says why, no second try */
	char ocr_err[CV_WARNING_MAX];
	double ocr_page_s; /* CPU seconds of the slowest page read by OCR so far */
};

static double cpu_seconds(void)
{
	struct rusage ru;
	if (getrusage(RUSAGE_SELF, &ru) != 0)
		return 0;
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

/*
 * True when one more page fits in the process's CPU limit (the sandbox sets RLIMIT_CPU): the
 * CPU used so far plus twice the slowest OCR'd page (one second before the first) stays under
 * 80% of the limit. A scanned CV longer than the limit allows then keeps its first pages and a
 * warning instead of the whole extraction dying of SIGXCPU.
 */
static bool cpu_left_for_page(const struct extraction *x)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_CPU, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
		return true;
	double need = 2 * (x->ocr_page_s > 0 ? x->ocr_page_s : 1.0);
	return cpu_seconds() + need <= 0.8 * (double)rl.rlim_cur;
}

/*
 * Reads a page whose text layer is empty (or a scan with a stamp of text) with OCR and lays the
 * recognised glyphs out into raw
 * (emptied first), replacing *info. Returns 0 (with *reported set when a warning about this
 * page was added: read by OCR, over the OCR page budget, OCR unavailable or failed), or
 * MD_ENOMEM. With OCR off it adds nothing and the caller reports the empty page as before.
 */
static int ocr_page(struct extraction *x, PopplerPage *page, int pageno, double w, double h,
                    struct buf *raw, struct cv_layout_info *info, struct cv_pages *out,
                    bool *reported)
{
	char msg[CV_WARNING_MAX], what[64];
	if (info->reason == CV_UNREADABLE_EMPTY)
		snprintf(what, sizeof what, "no text layer");
	else if (info->reason == CV_UNREADABLE_GARBAGE)
		snprintf(what, sizeof what, "a text layer of unreadable characters");
	else
		snprintf(what, sizeof what, "a scanned image with %zu characters of text",
		         info->glyphs);
	*reported = false;
	size_t budget = MD_MIN(x->opt->ocr_max_pages, (size_t)CV_MAX_OCR_PAGES);
	if (!budget)
		return 0;
	if (out->nocr_pages >= budget || !cpu_left_for_page(x)) {
		if (out->nocr_pages >= budget)
			snprintf(msg, sizeof msg, "%s, not read by OCR (at most %zu pages are)",
			         what, budget);
		else
			snprintf(msg, sizeof msg,
			         "%s, not read by OCR (the CPU time limit is near)", what);
		add_warning(out, pageno, msg);
		*reported = true;
		return 0;
	}
	if (!x->ocr && !x->ocr_failed) {
		int rc = cv_ocr_new(x->opt->ocr_langs, &x->ocr, x->ocr_err, sizeof x->ocr_err);
		if (rc == MD_ENOMEM)
			return rc;
		x->ocr_failed = rc != 0;
	}
	if (x->ocr_failed) {
		snprintf(msg, sizeof msg, "%s, OCR unavailable: %s", what, x->ocr_err);
		add_warning(out, pageno, msg);
		*reported = true;
		return 0;
	}
	struct cv_glyph *g;
	size_t n;
	double t0 = cpu_seconds();
	int rc = cv_ocr_page(x->ocr, page, &g, &n);
	x->ocr_page_s = MD_MAX(x->ocr_page_s, cpu_seconds() - t0);
	if (rc == MD_EIO) {
		snprintf(msg, sizeof msg, "%s, and OCR failed on it", what);
		add_warning(out, pageno, msg);
		*reported = true;
		return 0;
	}
	if (rc)
		return rc;
	buf_reset(raw);
	rc = cv_layout_page(g, n, w, h, raw, info);
	md_free(g);
	if (rc == MD_ELIMIT)
		rc = 0;
	if (rc)
		return rc;
	out->ocr_pages[out->nocr_pages++] = pageno;
	const char *missing = cv_ocr_missing(x->ocr);
	snprintf(msg, sizeof msg, "%s, read by OCR (%s%s%s)%s", what, cv_ocr_langs(x->ocr),
	         *missing ? "; not installed: " : "", missing,
	         info->reason == CV_UNREADABLE_EMPTY ? ": no text recognised" : "");
	add_warning(out, pageno, msg);
	*reported = true;
	return 0;
}

/*
 * The share of the page that images cover (overlaps counted twice, so capped at 1). A page
 * mostly covered by an image with a few words of text is a scan with a scanner app's stamp
 * ("Scanned with ...") or a page number laid over it: OCR reads it like an empty one.
 */
static double image_cover(PopplerPage *page, double w, double h)
{
	if (!(w > 0 && h > 0))
		return 0;
	double area = 0;
	GList *maps = poppler_page_get_image_mapping(page);
	for (GList *l = maps; l; l = l->next) {
		const PopplerImageMapping *m = l->data;
		double x0 = MD_MAX(MD_MIN(m->area.x1, m->area.x2), 0);
		double x1 = MD_MIN(MD_MAX(m->area.x1, m->area.x2), w);
		double y0 = MD_MAX(MD_MIN(m->area.y1, m->area.y2), 0);
		double y1 = MD_MIN(MD_MAX(m->area.y1, m->area.y2), h);
		if (x1 > x0 && y1 > y0)
			area += (x1 - x0) * (y1 - y0);
	}
	poppler_page_free_image_mapping(maps);
	return MD_MIN(area / (w * h), 1.0);
}

/*
 * Rebuilds one page: layout (of the OCR'd glyphs when the text layer is empty), hyphenation,
 * Unicode clean-up, lost ligatures. Leaves the text in *text (a buffer the caller released).
 */
static int page_text(struct extraction *x, PopplerPage *page, int pageno, struct buf *text,
                     struct cv_pages *out)
{
	struct cv_glyph *g;
	size_t n;
	int rc = page_glyphs(page, &g, &n);
	if (rc)
		return rc;
	double w = 0, h = 0;
	poppler_page_get_size(page, &w, &h);
	struct buf raw;
	buf_init(&raw, PAGE_TEXT_MAX);
	struct cv_layout_info info;
	rc = cv_layout_page(g, n, w, h, &raw, &info);
	md_free(g);
	if (rc == MD_ELIMIT)
		rc = 0; /* keep what fitted: the total cap comes later */
	bool reported = false;
	/* A page whose fonts map their glyphs to no Unicode (CV_UNREADABLE_GARBAGE) still shows
	 * the glyphs: OCR reads them off the rendered page like a scan. */
	if (!rc && (info.reason == CV_UNREADABLE_EMPTY || info.reason == CV_UNREADABLE_GARBAGE ||
	            (info.glyphs < SCAN_TEXT_MAX && image_cover(page, w, h) >= 0.5)))
		rc = ocr_page(x, page, pageno, w, h, &raw, &info, out, &reported);
	/* The OCR warning already says the text layer was empty. */
	if (reported)
		info.reason = CV_UNREADABLE_NONE;
	size_t nwords;
	const char *const *words = cv_words_builtin(&nwords);
	int joined = 0, ligatures = 0;
	if (!rc)
		rc = cv_repair_hyphens(&raw, words, nwords, &joined);
	if (!rc && raw.len)
		rc = text_normalize(raw.data, raw.len, text);
	if (!rc)
		rc = cv_repair_ligature_gaps(text, words, nwords, &ligatures);
	buf_release(&raw);
	if (rc == MD_ELIMIT)
		rc = 0;
	if (!rc)
		page_warnings(out, pageno, &info, ligatures);
	return rc;
}

void cv_pdf_options_default(struct cv_pdf_options *o)
{
	*o = (struct cv_pdf_options){ CV_OCR_DEFAULT_LANGS, CV_PDF_OCR_MAX_PAGES };
}

int cv_pdf_extract(const void *pdf, size_t len, size_t max_pages, size_t max_text_bytes,
                   struct cv_pages *out, char *err, size_t errcap)
{
	return cv_pdf_extract_opts(pdf, len, max_pages, max_text_bytes, NULL, out, err, errcap);
}

int cv_pdf_extract_opts(const void *pdf, size_t len, size_t max_pages, size_t max_text_bytes,
                        const struct cv_pdf_options *opt, struct cv_pages *out, char *err,
                        size_t errcap)
{
	struct cv_pdf_options def;
	if (!opt) {
		cv_pdf_options_default(&def);
		opt = &def;
	}
	struct extraction x = { .opt = opt };
	if (err && errcap)
		err[0] = '\0';
	if (!pdf || len < 5 || memcmp(pdf, "%PDF-", 5) != 0) {
		set_err(err, errcap, "the PDF is damaged", "no %PDF- header");
		return MD_EINVAL;
	}
	PopplerDocument *doc;
	int rc = open_doc(pdf, len, &doc, err, errcap);
	if (rc)
		return rc;
	int n = poppler_document_get_n_pages(doc);
	size_t total = 0;
	struct buf text;
	buf_init(&text, PAGE_TEXT_MAX);
	for (int i = 0; i < n && !rc; i++) {
		if ((size_t)i >= max_pages) {
			out->truncated = true;
			break;
		}
		PopplerPage *page = poppler_document_get_page(doc, i);
		buf_reset(&text);
		if (page)
			rc = page_text(&x, page, i + 1, &text, out);
		if (page)
			g_object_unref(page);
		if (rc)
			break;
		size_t tl = text.len;
		if (tl > max_text_bytes - total) {
			tl = text_utf8_floor(text.data, max_text_bytes - total);
			out->truncated = true;
		}
		rc = cv_pages_add(out, text.data ? text.data : "", tl);
		total += tl;
		if (out->truncated)
			break;
	}
	buf_release(&text);
	cv_ocr_free(x.ocr);
	g_object_unref(doc);
	if (rc)
		set_err(err, errcap, "out of memory", NULL);
	return rc;
}
