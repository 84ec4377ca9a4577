#include "engines/cv/pdftext.h"

#include "base/common.h"

#include <poppler.h>

#include "engines/cv/layout.h"
#include "engines/cv/repair.h"
#include "text/normalize.h"

#define PAGE_TEXT_MAX ((size_t)8 << 20) /* bytes of one page's text while it is rebuilt */

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

/*
 * Rebuilds one page: layout, hyphenation, Unicode clean-up, lost ligatures. Leaves the text in
 * *text (a buffer the caller released).
 */
static int page_text(PopplerPage *page, int pageno, struct buf *text, struct cv_pages *out)
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

int cv_pdf_extract(const void *pdf, size_t len, size_t max_pages, size_t max_text_bytes,
                   struct cv_pages *out, char *err, size_t errcap)
{
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
			rc = page_text(page, i + 1, &text, out);
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
	g_object_unref(doc);
	if (rc)
		set_err(err, errcap, "out of memory", NULL);
	return rc;
}
