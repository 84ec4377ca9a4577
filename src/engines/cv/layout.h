/*
 * layout.h: reading order of one PDF page rebuilt from per-character boxes. Pure: glyph boxes
 * in, UTF-8 text out; no I/O, no globals, no poppler (pdftext.c feeds it).
 *
 * What cv_layout_page() does, in order:
 *   - drops white space glyphs (a space, a tab or a no-break space only hints at a word break:
 *     the Word/Quartz "tab as space" trap), soft hyphens, duplicated glyphs (fake bold drawn
 *     twice), private-use icon glyphs and emoji (counted in info->icons);
 *   - groups glyphs into rows (vertical centres within half a glyph height), splits each row
 *     into segments at gaps wider than 1.5 font sizes, and segments into words at gaps wider
 *     than a quarter of the font size (or where the PDF put a space);
 *   - looks for a vertical gutter: an x range of at least 0.8 font sizes that at most a tenth of
 *     the rows cross, with text on both sides in at least a fifth of the rows each. A narrow
 *     side (under a quarter of the text width) whose lines mostly sit on the same baseline as
 *     a line of the other side is a label column (dates left of each job) and is NOT split, so
 *     a date stays on the line of its job;
 *   - emits the page top to bottom in bands: rows crossing the gutter (a header) as they are,
 *     and between them the LEFT column, then the RIGHT column (so a main column on the left is
 *     followed by its sidebar; a sidebar on the left comes before the main column). Each column
 *     is laid out again the same way (up to three levels), so three columns also work;
 *   - joins the lines of a column into paragraphs: a line continues the previous one when the
 *     previous one reaches the column's right edge, the vertical gap is a normal line gap and
 *     neither is a heading (bold, larger, or short and in capitals) nor a list item (bullet);
 *     otherwise a '\n', and an empty line for a wide vertical gap or between columns;
 *   - a word hyphenated at the end of a line ("develop-" + "ment") is joined with U+00AD (soft
 *     hyphen) where the hyphen was: "develop\u00ADment". The caller decides with a word list
 *     whether it is one word or a real compound (cv_repair_hyphens in repair.h); text_normalize
 *     alone would drop the marker and join;
 *   - drops literal LaTeX macros that leaked into the text ("\faTrophy");
 *   - measures how readable the text layer is (struct cv_layout_info).
 *
 * Coordinates are PDF points with the origin at the top left and y growing downwards (as
 * poppler_page_get_text_layout gives them). Boxes with non-finite or absurd coordinates are
 * ignored, so any input is safe.
 */
#ifndef MATCHD_ENGINES_CV_LAYOUT_H
#define MATCHD_ENGINES_CV_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

struct cv_glyph {
	uint32_t cp;           /* Unicode code point (0xFFFD when the PDF gave none) */
	double x0, y0, x1, y1; /* box, top-left origin */
	double size;           /* font size in points; <= 0: use the box height */
	bool bold;
};

/* Why a page or a part of it could not be read; CV_UNREADABLE_NONE when all is well. */
enum cv_unreadable {
	CV_UNREADABLE_NONE = 0,
	CV_UNREADABLE_EMPTY,   /* no text layer at all (a scan, or text drawn as shapes) */
	CV_UNREADABLE_GARBAGE, /* many replacement or odd code points: fonts without ToUnicode */
	CV_UNREADABLE_REGION,  /* a row of separators or icons with no words between them */
};

struct cv_layout_info {
	size_t glyphs;               /* glyphs kept (not white space, not dropped) */
	size_t icons;                /* private-use icon glyphs and emoji dropped */
	size_t garbage;              /* U+FFFD, control and unassigned-looking code points */
	size_t macros;               /* literal LaTeX macros dropped */
	size_t columns;              /* text columns found on the page (1 when none was split) */
	size_t hyphens;              /* end-of-line hyphenations marked with U+00AD */
	size_t regions;              /* rows of separators without words (unreadable regions) */
	double region_y0, region_y1; /* vertical extent of the first such region */
	enum cv_unreadable reason;   /* the worst problem found */
};

/*
 * Appends the text of one page, in reading order, to out (lines end with '\n', an empty line
 * between columns and blocks; no trailing newline) and fills *info. page_w and page_h are the
 * page size in points (today only documentary: every threshold is relative to the text).
 * Returns 0, MD_EINVAL when out or info is NULL or g is NULL with n > 0, MD_ENOMEM, or
 * MD_ELIMIT when out's cap is reached (out then holds what fitted).
 */
MD_WUR int cv_layout_page(const struct cv_glyph *g, size_t n, double page_w, double page_h,
                          struct buf *out, struct cv_layout_info *info);

/* A short English sentence for a reason ("no text layer", ...); "" for CV_UNREADABLE_NONE. */
const char *cv_unreadable_str(enum cv_unreadable r);

#endif
