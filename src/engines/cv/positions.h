/*
 * positions.h: the jobs (and volunteer roles) of a CV, with title, organisation, location and
 * dates kept at the precision they were written in; total and stated years of experience.
 *
 * A position is a date range (dates.h) on a line of an experience-like section, or of a CV
 * without section headings, or a lone date ("Summer 2022") on a short entry line of such a
 * section. Ranges in education, projects, publications, awards and other sections are not
 * positions, nor ranges on a line naming a degree, nor personal projects ("个人项目",
 * "personal project") inside an experience section.
 *
 * Title, organisation and location: the text of the date line without its dates, split at
 * '|', '•', ',', and spaced dashes. The part with a job word ("Engineer", "Intern",
 * "Développeur", "实习"...) is the title, the first other part the organisation, the parts after
 * both the location; parts such as "40 hours per week" are dropped. A part with an
 * organisation word ("Ltd", "Inc", "University", "Solutions") and no job word is never taken
 * for a title. When the date line holds only a place (or nothing), the entry's two lines
 * above give title and organisation, a blank line between them allowed when the nearer one
 * names no job; with no job word at all the upper line is the title (Indeed's export:
 * "Senior Consultant", "", "Oracle -  Bangalore, Karnataka -", "", "November 2016 to
 * December 2017"). When one of them is still missing, the next short non-bullet line gives
 * it ("Stripe • San Francisco"). Labelled fields around the dates win over all of that
 * ("Designation: ...", "Organization: ...", "Duration: May 2010 - till date").
 *
 * Years: the union of work positions' month intervals (volunteer roles excluded, overlaps once);
 * a lone date counts a month, a season three months, a year twelve.
 */
#ifndef MATCHD_ENGINES_CV_POSITIONS_H
#define MATCHD_ENGINES_CV_POSITIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engines/cv/dates.h"
#include "engines/cv/sections.h"

enum cv_position_kind { CV_POS_WORK, CV_POS_VOLUNTEER };

struct cv_position {
	char title[128];
	char organisation[128];
	char location[96];
	struct cv_date_point start, end; /* end.year == 0 when current */
	bool current;
	struct cv_month_range r; /* resolved against as_of */
	enum cv_position_kind kind;
	size_t line;      /* the date line, an index into the lines given */
	size_t last_line; /* the entry's last line (its description) */
	int range;        /* index into the ranges given, or -1 for a lone date */
};

/* A date range found by cv_dates_find() on a page, and the line it starts on. */
struct cv_dated_range {
	struct cv_date_range d; /* offsets are in the page's normalised text */
	size_t line;
};

/*
 * Finds the positions among ranges[0..n_ranges) (in text order) and the lone dates of the
 * lines, stores at most cap of them in out in text order and returns how many.
 */
size_t cv_positions_extract(const struct cv_line *lines, size_t n,
                            const struct cv_dated_range *ranges, size_t n_ranges, int64_t as_of,
                            struct cv_position *out, size_t cap);

/* Years of the union of the work positions in p[0..n). */
double cv_positions_years(const struct cv_position *p, size_t n);

/*
 * Years of experience the CV states in words ("8+ years of experience", "plus de 5 ans
 * d'expérience", "5 Jahre Erfahrung", "5 年工作经验"): the largest such number, and the line.
 * Returns false when there is none.
 */
bool cv_stated_years(const struct cv_line *lines, size_t n, double *years, size_t *line);

/* "2023-06", "2023", or "" for a date without a year; out needs 8 bytes. */
void cv_date_point_format(struct cv_date_point d, char *out, size_t cap);

#endif
