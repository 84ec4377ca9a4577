/*
 * pdftext.h: text of a PDF, page by page, with poppler-glib, and with Tesseract (ocr.h) for
 * the pages that have no text layer. Runs in whatever process calls it: the server never calls
 * it directly but through jobs/sandbox.h, which runs it in a separate, resource-limited
 * process (matchd __extract-pdf). Tests call it in-process.
 */
#ifndef MATCHD_ENGINES_CV_PDFTEXT_H
#define MATCHD_ENGINES_CV_PDFTEXT_H

#include <stddef.h>

#include "base/err.h"
#include "engines/cv/cv.h"

/*
 * How pages without a text layer (scans) are read. OCR runs only on pages whose text layer is
 * empty, with Tesseract (ocr.h), at most ocr_max_pages of them per document so that a long
 * scanned document ends within the sandbox's CPU and wall-clock limits (a page takes about a
 * second, see bench/README.md); the pages beyond are reported in the warnings, not read.
 */
struct cv_pdf_options {
	const char
	    *ocr_langs;       /* Tesseract languages, "eng+fra"; NULL or "": CV_OCR_DEFAULT_LANGS */
	size_t ocr_max_pages; /* 0: no OCR; capped at CV_MAX_OCR_PAGES */
};

#define CV_PDF_OCR_MAX_PAGES 8 /* the default ocr_max_pages */

/* OCR on with the default languages and CV_PDF_OCR_MAX_PAGES. */
void cv_pdf_options_default(struct cv_pdf_options *o);

/*
 * Extracts the text of the first max_pages pages of pdf[0..len) into out (initialised by the
 * caller with cv_pages_init; release with cv_pages_release). Text beyond max_text_bytes in
 * total is cut (at a UTF-8 boundary) and so are pages beyond max_pages: out->truncated says
 * so. Returns 0; MD_EINVAL with a message in err (e.g. "the PDF is encrypted", "the PDF is
 * damaged: <poppler's reason>") when poppler cannot open it; MD_ENOMEM.
 */
MD_WUR int cv_pdf_extract(const void *pdf, size_t len, size_t max_pages, size_t max_text_bytes,
                          struct cv_pages *out, char *err, size_t errcap);

/*
 * The same with options (NULL: the defaults). A page with no text layer, one whose text layer is
 * garbage (CV_UNREADABLE_GARBAGE: fonts without a Unicode mapping), or one with fewer than 40
 * characters of text over images that cover at least half of it (a scan stamped "Scanned with
 * ..."), is rendered and read by OCR; its number joins out->ocr_pages and a warning says so
 * ("page 1: no text layer, read by OCR (eng)", "page 1: a scanned image with 17 characters of
 * text, read by OCR (eng)", "page 1: a text layer of unreadable characters, read by OCR
 * (eng)"). When Tesseract cannot start (languages not installed) the page stays empty and
 * the warning gives the reason; extraction itself still succeeds.
 */
MD_WUR int cv_pdf_extract_opts(const void *pdf, size_t len, size_t max_pages, size_t max_text_bytes,
                               const struct cv_pdf_options *opt, struct cv_pages *out, char *err,
                               size_t errcap);

#endif
