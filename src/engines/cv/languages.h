/*
 * languages.h: the spoken languages of a CV with CEFR levels, and its certifications.
 *
 * A language name (English, French, German, Spanish and Chinese names of about 20 languages)
 * counts on a line of a languages section, on a line labelled "Language(s):", "Langues :",
 * "Sprachen:", "Idiomas:", "语言:", or next to a level word ("Fluent in Spanish", "Espagnol
 * (B2)"); "speak English" in prose does not. Levels: CEFR codes, native/mother tongue/
 * langue maternelle/Muttersprache/母语 (native), fluent/courant/fließend/熟练/流利 (C1),
 * professional working (B2), intermediate (B1), basic/basique/notions (A2), and a rating out
 * of 5 on the same line (5 -> C2, 4 -> C1, 3 -> B2, 2 -> B1, 1 -> A2).
 *
 * Certifications: the lines of a certifications section, and anywhere the well-known names
 * (AWS Certified ..., PMP, CISSP, CCNA, CKA, TOEFL, IELTS, ...).
 */
#ifndef MATCHD_ENGINES_CV_LANGUAGES_H
#define MATCHD_ENGINES_CV_LANGUAGES_H

#include <stddef.h>

#include "engines/cv/requirements.h"
#include "engines/cv/sections.h"

struct cv_language {
	char name[32]; /* English name: "French" */
	enum cv_lang_level level;
	size_t line;
};

struct cv_certification {
	char name[128];
	size_t line;
};

/* Fills out[0..cap) with the languages of lines[0..n), each once, in text order. */
size_t cv_languages_extract(const struct cv_line *lines, size_t n, struct cv_language *out,
                            size_t cap);

/* Fills out[0..cap) with the certifications, each once, in text order. */
size_t cv_certifications_extract(const struct cv_line *lines, size_t n,
                                 struct cv_certification *out, size_t cap);

#endif
