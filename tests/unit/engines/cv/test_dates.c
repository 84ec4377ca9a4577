/* Date ranges and their union (src/engines/cv/dates.c). */
#include <criterion/criterion.h>

#include "base/common.h"
#include "base/timeutil.h"
#include "engines/cv/dates.h"

static int64_t day(const char *s)
{
	int64_t d;
	cr_assert_eq(md_parse_date(s, &d), 0);
	return d;
}

/* Months covered by the single range found in s, or -1 when the count is not 1. */
static int months(const char *s, const char *as_of)
{
	struct cv_date_range r[4];
	size_t n = cv_dates_find(s, strlen(s), day(as_of), r, 4);
	if (n != 1)
		return -1;
	return r[0].r.end - r[0].r.start;
}

#define M(s, want)                                                                                 \
	do {                                                                                       \
		int got = months((s), "2024-06-15");                                               \
		cr_assert_eq(got, (want), "%s: got %d months, want %d", (s), got, (want));         \
	} while (0)

Test(cv_dates, english_months)
{
	M("Aug 2012 \xE2\x80\x93 Dec 2013", 17);
	M("June 2022 \xE2\x80\x93 Sept. 2022", 4);
	M("Jan. 2020 - now", 54);
	M("Oct 2016 \xE2\x80\x93 Present", 93);
	M("june 2023 \xE2\x80\x93 present", 13);
	M("Sept 2019 - Expected Jun 2023", 46);
	M("from January 2020 to March 2020", 3);
}

Test(cv_dates, numeric_and_years)
{
	M("2018 \xE2\x80\x93 2022", 48);
	M("2021\xE2\x80\x94"
	  "2022",
	  12);
	M("03/2019 - 05/2021", 27);
	M("2019-03 \xE2\x80\x93 2021-05", 27);
	M("2022 - 2022", 12);
}

Test(cv_dates, seasons_french_chinese)
{
	M("Fall 2013 \xE2\x80\x93 Spring 2014", 7);
	M("d\xC3\xA9"
	  "c. 2023\xE2\x80\x94 aujourd\xE2\x80\x99hui",
	  7);
	M("f\xC3\xA9vr. 2020 - juin 2020", 5);
	M("2013 \xE2\x80\x93 \xE8\x87\xB3\xE4\xBB\x8A", 132); /* 至今 */
	M("2015 \xE5\xB9\xB4 3 \xE6\x9C\x88 \xE2\x80\x93 2015 \xE5\xB9\xB4 5 \xE6\x9C\x88", 3);
}

Test(cv_dates, broken_across_lines)
{
	M("June 2022 \xE2\x80\x93\nPresent", 25);
	M("june 2022 \xE2\x80\x93 software engineer, google\npresent developing", 25);
}

Test(cv_dates, not_ranges)
{
	M("Last updated in Mar 2026", -1);
	M("Summer 2022", -1);
	M("call 123-456-7890", -1);
	M("2030 - 2032", -1);         /* starts after as_of */
	M("Dec 2013 - Aug 2012", -1); /* backwards */
	M("1900 - 1910", -1);
}

Test(cv_dates, clamp_and_since)
{
	M("Jan 2024 \xE2\x80\x93 Dec 2026", 6);
	M("since 2020", 48);
}

Test(cv_dates, several_and_union)
{
	const char *s = "2012 - 2014, 2013 - 2015\nMar 2016 - Feb 2017";
	struct cv_date_range r[8];
	size_t n = cv_dates_find(s, strlen(s), day("2024-06-15"), r, 8);
	cr_assert_eq(n, 3);
	struct cv_month_range v[3] = { r[0].r, r[1].r, r[2].r };
	double y = cv_ranges_years(v, 3);
	cr_assert_float_eq(y, 4.0, 1e-9, "union %f", y); /* 2012.5-2015.5 + 12 months */
	cr_assert_eq(cv_ranges_merge(v, 3), 2);
}

Test(cv_dates, cap_and_empty)
{
	struct cv_date_range r[1];
	const char *s = "2012 - 2013 2014 - 2015";
	cr_assert_eq(cv_dates_find(s, strlen(s), day("2024-06-15"), r, 1), 1);
	cr_assert_eq(cv_dates_find("", 0, 0, r, 1), 0);
	cr_assert_float_eq(cv_ranges_years(NULL, 0), 0.0, 1e-9);
}

/* Template placeholders: the range exists (a position is dated) but counts no months. */
Test(cv_dates, placeholders_count_nothing)
{
	M("month 20xx \xE2\x80\x93 ongoing", 0);
	M("Month 20XX - Present", 0);
	M("Jan 20XX - Dec 20XX", 0);
	M("YYYY - YYYY", 0);
	M("20XXL - 2020", -1);
	struct cv_date_range r[2];
	const char *s = "month 20xx \xE2\x80\x93 ongoing";
	cr_assert_eq(cv_dates_find(s, strlen(s), day("2024-06-15"), r, 2), 1);
	cr_assert(r[0].open);
	cr_assert_eq(r[0].from.year, 0);
}

Test(cv_dates, date_words_without_a_year)
{
	static const char *const yes[] = { "June",
		                           "Sept.",
		                           "dec",
		                           "d\xC3\xA9"
		                           "c",
		                           "Summer",
		                           "Present",
		                           "heute",
		                           "Oktober" };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		cr_assert(cv_dates_is_date_word(yes[i], strlen(yes[i])), "%s", yes[i]);
	static const char *const no[] = { "Junes", "Decker", "Acme", "2020", "" };
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		cr_assert_not(cv_dates_is_date_word(no[i], strlen(no[i])), "%s", no[i]);
}
