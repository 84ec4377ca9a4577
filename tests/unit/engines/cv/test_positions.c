/* Positions and years (src/engines/cv/positions.c). */
#include <criterion/criterion.h>

#include "base/common.h"
#include "base/timeutil.h"
#include "engines/cv/positions.h"

struct doc {
	struct cv_line l[64];
	size_t n;
	struct cv_dated_range r[32];
	size_t nr;
	struct cv_position p[32];
	size_t np;
};

static void run(char *text, struct doc *d, const char *as_of)
{
	int64_t day;
	cr_assert_eq(md_parse_date(as_of, &day), 0);
	d->n = 0;
	char *p = text;
	while (p && d->n < 64) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		d->l[d->n++] = (struct cv_line){ .text = p,
			                         .len = len,
			                         .fold = p,
			                         .fold_len = len,
			                         .off = (size_t)(p - text),
			                         .page = 1 };
		p = nl ? nl + 1 : NULL;
	}
	cv_sections_assign(d->l, d->n);
	struct cv_date_range tmp[32];
	d->nr = cv_dates_find(text, strlen(text), day, tmp, 32);
	for (size_t i = 0; i < d->nr; i++) {
		d->r[i].d = tmp[i];
		size_t li = 0;
		while (li + 1 < d->n && d->l[li + 1].off <= tmp[i].offset)
			li++;
		d->r[i].line = li;
	}
	d->np = cv_positions_extract(d->l, d->n, d->r, d->nr, day, d->p, 32);
}

static void expect(const struct cv_position *p, const char *title, const char *org,
                   const char *start, const char *end)
{
	char s[16], e[16];
	cv_date_point_format(p->start, s, sizeof s);
	cv_date_point_format(p->end, e, sizeof e);
	cr_assert_str_eq(p->title, title);
	cr_assert_str_eq(p->organisation, org);
	cr_assert_str_eq(s, start);
	cr_assert_str_eq(e, end);
}

Test(cv_positions, title_org_location_and_precision)
{
	char t[] = "Experience\n"
	           "Co-Founder & CTO, Nexus AI \xE2\x80\x93 San Francisco, CA June 2023 "
	           "\xE2\x80\x93 present\n"
	           "\xE2\x80\xA2 Built things\n"
	           "FACEBOOK | SOFTWARE ENGINEER\n"
	           "Jan 2015 - Dec 2016 | New York, NY\n"
	           "2020\xE2\x80\x94"
	           "2021 Consultant, Zero Emission Group, Lausanne\n"
	           "Senior Software Engineer Jan 2023 - Present\n"
	           "Stripe \xE2\x80\xA2 San Francisco, CA\n"
	           "Education\n"
	           "2010 - 2014 BSc Mathematics, Example University\n"
	           "Projects\nFlashInfer Jan 2023 - present\n";
	struct doc d;
	run(t, &d, "2026-11-01");
	cr_assert_eq(d.np, 4, "got %zu positions", d.np);
	expect(&d.p[0], "Co-Founder & CTO", "Nexus AI", "2023-06", "");
	cr_assert(d.p[0].current);
	cr_assert_str_eq(d.p[0].location, "San Francisco, CA");
	expect(&d.p[1], "SOFTWARE ENGINEER", "FACEBOOK", "2015-01", "2016-12");
	cr_assert_str_eq(d.p[1].location, "New York, NY");
	expect(&d.p[2], "Consultant", "Zero Emission Group", "2020", "2021");
	expect(&d.p[3], "Senior Software Engineer", "Stripe", "2023-01", "");
	cr_assert_str_eq(d.p[3].location, "San Francisco, CA");
}

Test(cv_positions, union_of_work_and_stated_years)
{
	char t[] = "Experience\n"
	           "Jan 2015 - Dec 2019 Backend engineer, Acme\n"
	           "Mar 2018 - Feb 2021 Consultant, Beta\n"
	           "Volunteering\n"
	           "Jan 2000 - Dec 2009 Volunteer, Club\n"
	           "Summary\nEngineer with 8+ years of experience in Go.\n";
	struct doc d;
	run(t, &d, "2024-01-01");
	cr_assert_eq(d.np, 3);
	cr_assert_eq(d.p[2].kind, CV_POS_VOLUNTEER);
	cr_assert_float_eq(cv_positions_years(d.p, d.np), 74.0 / 12, 1e-9);
	double y;
	size_t at;
	cr_assert(cv_stated_years(d.l, d.n, &y, &at));
	cr_assert_float_eq(y, 8.0, 1e-9);
}

Test(cv_positions, lone_season_and_chinese)
{
	char t[] =
	    "WORK EXPERIENCE\n"
	    "DEF Organization\n"
	    "Software Engineer Intern Summer 2022\n"
	    "\xE2\x80\xA2 Did things in 2021 and more\n"
	    "\xE5\xB7\xA5\xE4\xBD\x9C\xE7\xBB\x8F\xE5\x8E\x86\n" /* 工作经历 */
	    "\xE9\xBB\x91\xE7\xA7\x91\xE6\x8A\x80\xE5\x85\xAC\xE5\x8F\xB8 2015 \xE5\xB9\xB4 3 "
	    "\xE6\x9C\x88 \xE2\x80\x93 2015 \xE5\xB9\xB4 5 \xE6\x9C\x88\n"
	    "\xE5\xAE\x9E\xE4\xB9\xA0 \xE7\xBB\x8F\xE7\x90\x86: x\n"; /* 实习 经理 */
	struct doc d;
	run(t, &d, "2026-11-01");
	cr_assert_eq(d.np, 2, "got %zu", d.np);
	expect(&d.p[0], "Software Engineer Intern", "DEF Organization", "2022-06", "2022-06");
	cr_assert_eq(d.p[0].r.end - d.p[0].r.start, 3, "a season is three months");
	char s[16];
	cv_date_point_format(d.p[1].start, s, sizeof s);
	cr_assert_str_eq(s, "2015-03");
	cr_assert_not_null(strstr(d.p[1].title, "\xE5\xAE\x9E\xE4\xB9\xA0"), "%s", d.p[1].title);
}

/* altacv's template: title and company above, "Date: ... Location: ..." on the dated line. */
Test(cv_positions, labelled_date_and_location_lines)
{
	char text[] = "EXPERIENCE\n"
	              "Data Engineer\n"
	              "Acme Corp\n"
	              "Date: Mar 2019 \xE2\x80\x93 Ongoing          Location: Berlin\n"
	              "\xE2\x80\xA2 Built pipelines\n"
	              "Analyst\n"
	              "Initech\n"
	              "Date: Month 20XX \xE2\x80\x93 Ongoing          Location: Location\n"
	              "Intern\n"
	              "Globex\n"
	              "Date: Jan 2015 \xE2\x80\x93 Jun 2015 Munich\n";
	struct doc d;
	run(text, &d, "2024-06-15");
	cr_assert_eq(d.np, 3, "positions: %zu", d.np);
	expect(&d.p[0], "Data Engineer", "Acme Corp", "2019-03", "");
	cr_assert_str_eq(d.p[0].location, "Berlin");
	cr_assert(d.p[0].current);
	expect(&d.p[1], "Analyst", "Initech", "", "");
	cr_assert(d.p[1].current);
	cr_assert_eq(d.p[1].r.end - d.p[1].r.start, 0, "a placeholder start counts no months");
	/* The location's icon label was lost: what follows the dates is still the location. */
	expect(&d.p[2], "Intern", "Globex", "2015-01", "2015-06");
	cr_assert_str_eq(d.p[2].location, "Munich");
	cr_assert_float_eq(cv_positions_years(d.p, d.np), 5.83, 0.01);
}

/* The layout of Indeed's plain-text exports: title, blank, "Company - Place -", blank, dates. */
Test(cv_positions, title_above_organisation_across_blank_lines)
{
	char t[] = "WORK EXPERIENCE\n"
	           "\n"
	           "Senior Consultant\n"
	           "\n"
	           "Oracle -  Bangalore, Karnataka -\n"
	           "\n"
	           "November 2016 to December 2017\n"
	           "\n"
	           "Functional Consultant / WM Lead\n"
	           "\n"
	           "SAP EWM -\n"
	           "\n"
	           "December 2015 to Present\n"
	           "\n"
	           "Staff Consultant\n"
	           "\n"
	           "Motorola India Pvt Ltd -\n"
	           "\n"
	           "January 2014 to October 2016\n";
	struct doc d;
	run(t, &d, "2026-11-01");
	cr_assert_eq(d.np, 3, "got %zu positions", d.np);
	expect(&d.p[0], "Senior Consultant", "Oracle", "2016-11", "2017-12");
	cr_assert_str_eq(d.p[0].location, "Bangalore, Karnataka");
	expect(&d.p[1], "Functional Consultant / WM Lead", "SAP EWM", "2015-12", "");
	cr_assert(d.p[1].current);
	expect(&d.p[2], "Staff Consultant", "Motorola India Pvt Ltd", "2014-01", "2016-10");
}

/* A title next to the dates is enough: the prose above a blank line is not an organisation. */
Test(cv_positions, no_second_line_across_a_gap_when_the_title_is_found)
{
	char t[] = "Experience\n"
	           "\xE2\x80\xA2 Full-stack developer - Wrote code for JS using Backbone,\n"
	           "Stylus and Require and Scala using Play\n"
	           "\n"
	           "GOOGLE | SOFTWARE ENGINEERING INTERN\n"
	           "May 2013 \xE2\x80\x93 Aug 2013 | Mountain View, CA\n";
	struct doc d;
	run(t, &d, "2026-11-01");
	cr_assert_eq(d.np, 1, "got %zu positions", d.np);
	expect(&d.p[0], "SOFTWARE ENGINEERING INTERN", "GOOGLE", "2013-05", "2013-08");
}

/* Labelled fields, as Indian CVs write an entry. */
Test(cv_positions, labelled_designation_organisation_duration)
{
	char t[] = "Work Experience:\n"
	           "Designation: Digital Advertising Executive\n"
	           "Organization: Violet Advertisers, Phoenix, AZ\n"
	           "Duration: May 2010 - till date\n"
	           "Devise advertising and marketing strategies\n"
	           "\xE2\x80\xA2 Designation: Digital Advertising Assistant\n"
	           "Organization: Mayfair Advertisers\n"
	           "Duration: January 2009 - April 2010\n";
	struct doc d;
	run(t, &d, "2026-11-01");
	cr_assert_eq(d.np, 2, "got %zu positions", d.np);
	expect(&d.p[0], "Digital Advertising Executive", "Violet Advertisers", "2010-05", "");
	cr_assert_str_eq(d.p[0].location, "Phoenix, AZ");
	cr_assert(d.p[0].current);
	expect(&d.p[1], "Digital Advertising Assistant", "Mayfair Advertisers", "2009-01",
	       "2010-04");
}

/* A city before a state's two capitals is a place, not the title a line falls back to. */
Test(cv_positions, city_before_a_state_is_a_place)
{
	char t[] = "Experience\n"
	           "Consulting Partners | Boston, MA\n"
	           "Jan 2015 - Dec 2016\n";
	struct doc d;
	run(t, &d, "2026-11-01");
	cr_assert_eq(d.np, 1, "got %zu positions", d.np);
	expect(&d.p[0], "", "Consulting Partners", "2015-01", "2016-12");
}

/* The organisation, the dates, a sentence about the organisation, then the title. */
Test(cv_positions, title_after_a_sentence_about_the_organisation)
{
	char t[] = "PROFESSIONAL EXPERIENCE\n"
	           "LEANDER CORPORATION, Boston, MA\n"
	           "2000 to Present\n"
	           "World leader in analytical instrumentation serving energy industries.\n"
	           "Vice President of International Sales\n"
	           "Oversee 60+ representatives internationally.\n";
	struct doc d;
	run(t, &d, "2026-11-01");
	cr_assert_eq(d.np, 1, "got %zu positions", d.np);
	expect(&d.p[0], "Vice President of International Sales", "LEANDER CORPORATION", "2000", "");
	cr_assert_str_eq(d.p[0].location, "Boston, MA");
}

/* A duration or a lone month name beside the dates is no organisation. */
Test(cv_positions, durations_and_month_words_are_dropped)
{
	char t[] = "Experience\n"
	           "Analyst | 13months | Jan 2015 - Feb 2016\n"
	           "Developer, June, Acme Labs, 2017 - 2018\n"
	           "Tester | 1 year 3 months | Nov to | Mar 2019 - Jun 2020\n";
	struct doc d;
	run(t, &d, "2026-11-01");
	cr_assert_eq(d.np, 3, "got %zu positions", d.np);
	expect(&d.p[0], "Analyst", "", "2015-01", "2016-02");
	expect(&d.p[1], "Developer", "Acme Labs", "2017", "2018");
	expect(&d.p[2], "Tester", "", "2019-03", "2020-06");
}
