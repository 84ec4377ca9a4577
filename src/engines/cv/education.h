/*
 * education.h: degrees on the ISCED 2011 ladder (0 early childhood .. 3 upper secondary ..
 * 5 short-cycle tertiary, 6 bachelor, 7 master, 8 doctorate), read from a CV's lines.
 *
 * Degree names mapped: PhD, Ph.D., DPhil, doctorate, Ed.D., Doktor, doctorat, doctorado,
 * 博士 -> 8; Master, MSc, M.Sc., MS, MA, MEng, M.E., MBA, M.Tech, MCA, M.Com, PGDM,
 * postgraduate diploma, M.Ed., MPhil, LLM, Mastère, Diplom, Magister, Máster, 硕士, 研究生 -> 7;
 * Bachelor, BSc, B.Sc., BS, B.S., BA, B.Eng., B.E., BE, B.Tech, BCA, B.Com, BBA, B.Ed., LLB,
 * Licence, Grado, Licenciatura, 学士, 本科 -> 6; associate, BTS, DUT, HND, 专科, 大专 -> 5;
 * diploma -> 4; high school (and its diploma), HSC, baccalauréat, Abitur, A-levels,
 * bachillerato, 高中 -> 3. Short ambiguous forms (BS, MS, BA, MA, BE) count only in capitals on
 * lines of an education section. "Scrum Master" is a role, not a degree; "Diploma" and
 * "Diplomacy" are not a German Diplom. The degree as written is the whole name found ("High
 * School", "Master of Science").
 *
 * An entry is a line naming a degree in the education section (or anywhere when the CV has
 * no education section): the degree as written, the field after it ("in X", "of X", ", X"),
 * the institution (a part naming a university, college, school, institute, 大学, 学院 on the
 * line or the line above), and the year (the end of a date range, a lone date) on the
 * entry's lines; in_progress when the range is open or the end is "expected".
 */
#ifndef MATCHD_ENGINES_CV_EDUCATION_H
#define MATCHD_ENGINES_CV_EDUCATION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engines/cv/positions.h"
#include "engines/cv/requirements.h"
#include "engines/cv/sections.h"

struct cv_degree {
	char degree[64];
	int isced; /* 0..8 */
	char field[128];
	char institution[128];
	int32_t year; /* graduation (or expected) year; 0 when unknown */
	bool in_progress;
	size_t line;
};

enum cv_edu_comparison { CV_EDU_DOES_NOT_MEET, CV_EDU_MEETS, CV_EDU_EXCEEDS };

/*
 * The ISCED level of the highest degree named in line[0..len) (normalised text), or -1;
 * *at receives the offset of its name. in_edu_section allows the short forms.
 */
int cv_degree_level(const char *line, size_t len, bool in_edu_section, size_t *at);

/* Fills out[0..cap) with the degrees of lines[0..n), in text order; returns how many. */
size_t cv_education_extract(const struct cv_line *lines, size_t n,
                            const struct cv_dated_range *ranges, size_t n_ranges,
                            struct cv_degree *out, size_t cap);

int cv_isced_from_level(enum cv_edu_level l);
enum cv_edu_level cv_level_from_isced(int isced);
/* "bachelor", "master", "doctorate", "upper_secondary", ... for an ISCED level. */
const char *cv_isced_name(int isced);

/* Compares the best ISCED level of a CV with the one required. */
enum cv_edu_comparison cv_education_compare(int have, int want);
const char *cv_edu_comparison_name(enum cv_edu_comparison c);

#endif
