#include "engines/cv/pdftext.h"

#include "base/common.h"

#include <poppler.h>

#include "text/normalize.h"

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
	for (int i = 0; i < n && !rc; i++) {
		if ((size_t)i >= max_pages) {
			out->truncated = true;
			break;
		}
		PopplerPage *page = poppler_document_get_page(doc, i);
		char *text = page ? poppler_page_get_text(page) : NULL;
		size_t tl = text ? strlen(text) : 0;
		if (tl > max_text_bytes - total) {
			tl = text_utf8_floor(text, max_text_bytes - total);
			out->truncated = true;
		}
		rc = cv_pages_add(out, text ? text : "", tl);
		total += tl;
		g_free(text);
		if (page)
			g_object_unref(page);
		if (out->truncated)
			break;
	}
	g_object_unref(doc);
	if (rc)
		set_err(err, errcap, "out of memory", NULL);
	return rc;
}
