/*
 * ocr.h: reads a PDF page that has no text layer (a scanned CV) with Tesseract. Owns the
 * Tesseract engine of one extraction and the rendering of a page to a grayscale bitmap with
 * poppler and cairo. Like pdftext.c it runs in whatever process calls it: in the server that
 * is the sandboxed extraction child (jobs/sandbox.h), under its address-space and CPU limits.
 *
 * The page is rendered at CV_OCR_DPI (lower for pages so large that the bitmap would exceed
 * CV_OCR_MAX_PIXELS), recognised with the languages asked for (Tesseract's "eng+fra" syntax;
 * the trained data comes from Debian's tesseract-ocr-<lang> packages in Tesseract's default
 * path), and every recognised character becomes a struct cv_glyph in PDF points, so the
 * scanned page goes through the same layout code (columns, reading order, headings) as a text
 * page. Tesseract finds no bold, so a glyph's size is its text line's height: a larger line is
 * still seen as a heading. Words Tesseract is not confident about (below CV_OCR_MIN_CONF,
 * typically specks, rules and photos read as letters) are left out.
 *
 * libtesseract is not linked but loaded with dlopen at the first cv_ocr_new of a process (text
 * PDFs, the common case, never pay for loading it and its dozen libraries); the table of its
 * functions is this module's only process-wide state, filled once under pthread_once.
 * Tesseract runs its network with up to ten OpenMP threads, read from OMP_THREAD_LIMIT when
 * libgomp loads: the process that calls this module sets that (src/cli/extract.c sets 1).
 */
#ifndef MATCHD_ENGINES_CV_OCR_H
#define MATCHD_ENGINES_CV_OCR_H

#include <stddef.h>

#include <poppler.h>

#include "base/err.h"
#include "engines/cv/layout.h"

#define CV_OCR_DEFAULT_LANGS "eng"
#define CV_OCR_LANGS_MAX 64                  /* bytes of a language list, "eng+fra+deu+spa" */
#define CV_OCR_DPI 300                       /* Tesseract reads body text best at 300 dpi */
#define CV_OCR_MAX_PIXELS ((size_t)12 << 20) /* an A4 page at 300 dpi is 8.7 Mpixel */
#define CV_OCR_MIN_CONF 30.0f                /* Tesseract's word confidence, 0..100 */

struct cv_ocr;

/*
 * True when langs is a valid language list: one to eight names of 3 to 16 characters
 * (a-z, 0-9, '_'), joined by '+'. It says nothing about whether the data is installed.
 */
bool cv_ocr_langs_valid(const char *langs);

/*
 * Starts Tesseract with langs (NULL or "": CV_OCR_DEFAULT_LANGS). Returns 0 and *out (release
 * it with cv_ocr_free); MD_EINVAL with a sentence in err when the list is invalid or its
 * trained data is not installed; MD_ENOMEM.
 */
MD_WUR int cv_ocr_new(const char *langs, struct cv_ocr **out, char *err, size_t errcap);
void cv_ocr_free(struct cv_ocr *o);

/*
 * The languages o reads ("eng+fra"), and those asked for whose trained data is not installed
 * ("" when none): Tesseract starts with the languages it found, cv_ocr_new fails only when it
 * found none.
 */
const char *cv_ocr_langs(const struct cv_ocr *o);
const char *cv_ocr_missing(const struct cv_ocr *o);

/*
 * Renders page and recognises it. Returns 0 with *g (md_free it) holding *n glyphs in PDF
 * points, top-left origin, a ' ' glyph between two words of a line and a '\n' glyph at the end
 * of each line (the hints poppler gives for a text page); *n may be 0 for a blank page.
 * MD_ENOMEM when the bitmap or the glyphs do not fit in memory, MD_EIO when Tesseract fails.
 */
MD_WUR int cv_ocr_page(struct cv_ocr *o, PopplerPage *page, struct cv_glyph **g, size_t *n);

#endif
