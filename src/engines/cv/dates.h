/*
 * dates.h: finds date ranges such as "Aug 2012 – Dec 2013", "Oct 2016 – Present",
 * "03/2019 - 05/2021", "2019-03 – 2021-05", "Fall 2013 – Spring 2014", "Déc. 2023— Aujourd’hui",
 * "2013 – 至今" or "2015 年 3 月 – 2015 年 5 月" in CV text, and measures their union.
 *
 * Months are counted as year * 12 + (month - 1); a range is half-open [start, end) in months.
 * Conventions (documented because they decide "years of experience"):
 *   - a month is inclusive at both ends: "Aug 2012 – Dec 2013" is 17 months;
 *   - a year without a month means mid-year (July), so "2018 – 2022" is 4 years, and a range
 *     whose two ends are the same bare year ("2022 – 2022") counts as the whole year;
 *   - seasons: spring = March, summer = June, fall/autumn = September, winter = December;
 *   - "present", "current", "now", "today", "aujourd'hui", "heute", "至今"… and "since X" end at
 *     as_of, inclusive of as_of's month; every end is clamped to as_of, and a range that starts
 *     after as_of, ends before it starts, starts before 1950 or lasts over 60 years is dropped;
 *   - a lone date ("Last updated in Mar 2026", "Summer 2022") is never a range;
 *   - a template placeholder for either date ("Month 20XX – Ongoing", "2012 – YYYY") dates a
 *     position whose length is unknown: an empty range [as_of, as_of) that counts no months.
 * The parser is ASCII-case-insensitive; non-ASCII month names (févr, déc, août, märz) are matched
 * in their lower-case form, so callers pass case-folded text. White space, including line
 * breaks, is allowed around the dash, since PDF extraction often breaks "June 2022 –\nPresent".
 */
#ifndef MATCHD_ENGINES_CV_DATES_H
#define MATCHD_ENGINES_CV_DATES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cv_month_range {
	int32_t start; /* first month, inclusive */
	int32_t end;   /* month after the last, exclusive */
};

/* One date as written, with its precision: month is -1 when only the year is given. */
struct cv_date_point {
	int32_t year;  /* 0: none (an open end) */
	int32_t month; /* 0..11, or -1 for a bare year */
	bool season;   /* written as a season ("Fall 2013"); month is the season's first month */
};

struct cv_date_range {
	struct cv_month_range r;
	size_t offset; /* byte offset of the range's first character in the text */
	size_t len;    /* bytes from the first character to the end of the second date */
	bool open;     /* ended with "present" or similar */
	bool expected; /* the end was announced ("Expected Jun 2023"): a plan, not a fact */
	struct cv_date_point from, to; /* to.year == 0 when open */
	size_t from_end;               /* offset just past the first date and the dash after it */
	size_t to_off;                 /* offset of the second date (or the "present" word) */
};

/* A lone date found by cv_dates_find_points(). */
struct cv_date_at {
	struct cv_date_point d;
	size_t offset, len;
};

/* The month index (year * 12 + month - 1) of a day counted from 1970-01-01. */
int32_t cv_month_from_days(int64_t days);

/*
 * Scans text[0..len) for date ranges, resolving open ends against as_of (days since the
 * epoch). Stores the first cap ranges found in out, in text order, and returns how many it
 * stored. Never reads past len; text need not be NUL-terminated.
 */
size_t cv_dates_find(const char *text, size_t len, int64_t as_of, struct cv_date_range *out,
                     size_t cap);

/*
 * True when w[0..n) is one word of a date without its year: a month name or abbreviation in
 * any of the languages above ("June", "Sept.", "déc"), a season ("Summer") or an open end
 * ("Present", "heute"). ASCII-case-insensitive, like the parser.
 */
bool cv_dates_is_date_word(const char *w, size_t n);

/*
 * True when text[0..len) holds at least one date ("Summer 2022", "03/2019", "2022"), whether
 * or not it is part of a range. The engine uses it to notice a new dated entry.
 */
bool cv_dates_has_date(const char *text, size_t len);

/*
 * Scans text[0..len) for single dates ("Summer 2022", "May 2021", "2019-03", "2020") and
 * stores the first cap of them, in text order, with their spans; returns how many it stored.
 * Dates inside ranges are reported too: callers that want lone dates skip those.
 */
size_t cv_dates_find_points(const char *text, size_t len, struct cv_date_at *out, size_t cap);

/*
 * The months a lone date stands for: a month is one month, a season three, a year twelve.
 * Returns false when the span starts after as_of (days since the epoch); clamps its end.
 */
bool cv_date_point_span(struct cv_date_point d, int64_t as_of, struct cv_month_range *r);

/* Sorts r and merges overlapping or touching ranges in place; returns the new count. */
size_t cv_ranges_merge(struct cv_month_range *r, size_t n);

/* The length of the union of r[0..n) in years (months / 12); r is left unchanged. */
double cv_ranges_years(const struct cv_month_range *r, size_t n);

#endif
