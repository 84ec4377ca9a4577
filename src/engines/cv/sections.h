/*
 * sections.h: the structure of a CV page: its lines, which of them are section headings, and
 * which section every line falls in.
 *
 * A heading is a short line (at most 6 words, 60 bytes, no digits, no '@') that either equals
 * a name in the vocabulary (English, French, German, Spanish, Chinese: "Work Experience",
 * "Expériences professionnelles", "Berufserfahrung", "Experiencia laboral", "工作经历", ...)
 * or is written in capitals or title case and holds one of the vocabulary's key words
 * ("ON CAMPUS INVOLVEMENT", "Selected Honors"). Decorations around it are ignored: bullets,
 * icons, a trailing ':' or ')'. Chinese headings must equal a vocabulary entry, optionally
 * joined by '/' ("实习/项目经历"); the first part decides.
 *
 * cv_text_columns() undoes the side-by-side columns of `pdftotext -layout`-style text: when
 * several lines share a gutter (a run of 3+ spaces ending at the same column) and several
 * lines hold text only right of it, the page is rewritten as the full-width header, then the
 * left column, then the right one. Text without such a gutter is copied unchanged.
 */
#ifndef MATCHD_ENGINES_CV_SECTIONS_H
#define MATCHD_ENGINES_CV_SECTIONS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"

enum cv_section_kind {
	CV_SEC_NONE = 0, /* before the first heading */
	CV_SEC_CONTACT,
	CV_SEC_SUMMARY,
	CV_SEC_EXPERIENCE,
	CV_SEC_EDUCATION,
	CV_SEC_SKILLS,
	CV_SEC_LANGUAGES,
	CV_SEC_CERTIFICATIONS,
	CV_SEC_PROJECTS,
	CV_SEC_PUBLICATIONS,
	CV_SEC_AWARDS,
	CV_SEC_VOLUNTEER, /* volunteering, activities, involvement: dated roles, not jobs */
	CV_SEC_OTHER,
	CV_SEC_COUNT,
};

/* One line of a page as the engine's extractors see it. */
struct cv_line {
	const char *text; /* normalised (text/normalize.h), not NUL-terminated */
	size_t len;
	const char *fold; /* the same line case-folded */
	size_t fold_len;
	size_t off; /* byte offset of text in its page's normalised text */
	int page;   /* 1-based */
	enum cv_section_kind section;
	bool heading;
};

/* "experience", "education", ...; "none" for CV_SEC_NONE. */
const char *cv_section_name(enum cv_section_kind k);

/* True when line[0..len) (normalised text) is a heading; *out receives its kind. */
bool cv_section_detect(const char *line, size_t len, enum cv_section_kind *out);

/* Marks headings and gives every line the section of the last heading above it. */
void cv_sections_assign(struct cv_line *lines, size_t n);

/*
 * Appends text[0..len) to out with two side-by-side columns put one after the other (see
 * above). Returns 0, MD_ENOMEM or MD_ELIMIT.
 */
MD_WUR int cv_text_columns(const char *text, size_t len, struct buf *out);

/* True when the line starts with a list bullet (•, ●, ▪, -, *, ...) after spaces. */
bool cv_line_is_bullet(const char *s, size_t len);

#endif
