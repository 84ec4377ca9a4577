/*
 * pdftext.h: text of a PDF, page by page, with poppler-glib. Runs in whatever process calls
 * it: the server never calls it directly but through jobs/sandbox.h, which runs it in a
 * separate, resource-limited process (matchd __extract-pdf). Tests call it in-process.
 */
#ifndef MATCHD_ENGINES_CV_PDFTEXT_H
#define MATCHD_ENGINES_CV_PDFTEXT_H

#include <stddef.h>

#include "base/err.h"
#include "engines/cv/cv.h"

/*
 * Extracts the text of the first max_pages pages of pdf[0..len) into out (initialised by the
 * caller with cv_pages_init; release with cv_pages_release). Text beyond max_text_bytes in
 * total is cut (at a UTF-8 boundary) and so are pages beyond max_pages: out->truncated says
 * so. Returns 0; MD_EINVAL with a message in err (e.g. "the PDF is encrypted", "the PDF is
 * damaged: <poppler's reason>") when poppler cannot open it; MD_ENOMEM.
 */
MD_WUR int cv_pdf_extract(const void *pdf, size_t len, size_t max_pages, size_t max_text_bytes,
                          struct cv_pages *out, char *err, size_t errcap);

#endif
