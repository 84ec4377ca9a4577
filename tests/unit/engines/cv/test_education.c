/* Degrees on the ISCED ladder (src/engines/cv/education.c). */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/cv/education.h"

static int level(const char *s, bool in_edu)
{
	size_t at;
	return cv_degree_level(s, strlen(s), in_edu, &at);
}

Test(cv_education, degree_names)
{
	cr_assert_eq(level("PhD in Computer Science", false), 8);
	cr_assert_eq(level("Ph.D. in Your Discipline", false), 8);
	cr_assert_eq(level("MSc Data Science", false), 7);
	cr_assert_eq(level("MENG IN COMPUTER SCIENCE", false), 7);
	cr_assert_eq(level("Diplom-Informatiker", false), 7);
	cr_assert_eq(level("Master Data Science, EPFL", false), 7);
	cr_assert_eq(level("\xE7\xA1\x95\xE5\xA3\xAB", false), 7); /* 硕士 */
	cr_assert_eq(level("B.Eng. Mechanical", false), 6);
	cr_assert_eq(level("B.Tech, Computer Science", false), 6);
	cr_assert_eq(level("Licence de math\xC3\xA9matiques", false), 6);
	cr_assert_eq(level("\xE5\xAD\xA6\xE5\xA3\xAB \xE9\x80\x9A\xE4\xBF\xA1", false),
	             6); /* 学士 */
	cr_assert_eq(level("BS IN COMPUTER SCIENCE", true), 6);
	cr_assert_eq(level("BS IN COMPUTER SCIENCE", false), -1, "short forms need a section");
	cr_assert_eq(level("Baccalaur\xC3\xA9"
	                   "at S",
	                   false),
	             3);
	cr_assert_eq(level("Certified Scrum Master", false), -1);
	cr_assert_eq(level("Projet de Master sur les IAs", false), -1);
	/* The degrees of Indian CVs (dotin-resume-ner's Indeed exports). */
	cr_assert_eq(level("B.E in Computer Science Engineering", false), 6);
	cr_assert_eq(level("MCA in Computer application", false), 7);
	cr_assert_eq(level("PGDM in Marketing", false), 7);
	cr_assert_eq(level("B.Com", false), 6);
	cr_assert_eq(level("BE IN MECHANICAL", true), 6);
	cr_assert_eq(level("We will be there", true), -1, "'be' in lower case is a verb");
	/* A diploma is post-secondary unless it is the school's; Diplomacy is no Diplom. */
	cr_assert_eq(level("Diploma in Electrical Engineering", false), 4);
	cr_assert_eq(level("High School Diploma, Springfield High", false), 3);
	cr_assert_eq(level("Diplomacy and Global Affairs", false), -1);
	cr_assert_eq(level("Ed.D. Educational Finance and Policy", false), 8);
}

Test(cv_education, comparison)
{
	int bachelor = cv_isced_from_level(CV_EDU_BACHELOR);
	cr_assert_eq(bachelor, 6);
	cr_assert_eq(cv_education_compare(7, bachelor), CV_EDU_EXCEEDS);
	cr_assert_eq(cv_education_compare(6, bachelor), CV_EDU_MEETS);
	cr_assert_eq(cv_education_compare(5, bachelor), CV_EDU_DOES_NOT_MEET);
	cr_assert_str_eq(cv_edu_comparison_name(CV_EDU_EXCEEDS), "exceeds");
	cr_assert_eq(cv_level_from_isced(8), CV_EDU_DOCTORATE);
}

/* The lines of text (split at '\n', sections assigned) into l[0..cap); returns how many. */
static size_t split_lines(char *t, struct cv_line *l, size_t cap)
{
	size_t n = 0;
	char *p = t;
	while (p && *p && n < cap) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		l[n++] = (struct cv_line){ .text = p,
			                   .len = len,
			                   .fold = p,
			                   .fold_len = len,
			                   .off = (size_t)(p - t),
			                   .page = 1 };
		p = nl ? nl + 1 : NULL;
	}
	cv_sections_assign(l, n);
	return n;
}

Test(cv_education, entries)
{
	char t[] =
	    "Education\n"
	    "Princeton University, PhD in Computer Science \xE2\x80\x93 Princeton, NJ Sept 2018 "
	    "\xE2\x80\x93 May 2023\n"
	    "Bachelor of Arts, Business Administration\n";
	struct cv_line l[8];
	size_t n = split_lines(t, l, 8);
	struct cv_degree d[4];
	size_t nd = cv_education_extract(l, n, NULL, 0, d, 4);
	cr_assert_eq(nd, 2);
	cr_assert_eq(d[0].isced, 8);
	cr_assert_str_eq(d[0].field, "Computer Science");
	cr_assert_str_eq(d[0].institution, "Princeton University");
	cr_assert_eq(d[0].year, 2023);
	cr_assert_str_eq(d[1].degree, "Bachelor of Arts");
	cr_assert_str_eq(d[1].field, "Business Administration");
}

Test(cv_education, a_name_of_several_words_is_kept_whole)
{
	char t[] = "EDUCATION\nBhagabati Nodal High School\n";
	struct cv_line l[4];
	size_t n = split_lines(t, l, 4);
	struct cv_degree d[2];
	cr_assert_eq(cv_education_extract(l, n, NULL, 0, d, 2), 1);
	cr_assert_str_eq(d[0].degree, "High School", "not \"High\"");
	cr_assert_eq(d[0].isced, 3);
	cr_assert_str_eq(d[0].institution, "Bhagabati Nodal High School");
}

/* Indeed's export: degree, blank, institution, blank, dates. */
Test(cv_education, institution_and_dates_below_across_blank_lines)
{
	char t[] = "EDUCATION\n\nB.E in Computer Science Engineering\n\nAdithya Institute of "
	           "Technology -  Tamil Nadu\n\nSeptember 2008 to June 2012\n\nSKILLS\n";
	struct cv_line l[16];
	size_t n = split_lines(t, l, 16);
	struct cv_date_range r[4];
	size_t nr = cv_dates_find(t, strlen(t), 20000, r, 4);
	cr_assert_eq(nr, 1);
	struct cv_dated_range dr = { .d = r[0], .line = 6 };
	struct cv_degree d[2];
	cr_assert_eq(cv_education_extract(l, n, &dr, 1, d, 2), 1);
	cr_assert_str_eq(d[0].degree, "B.E");
	cr_assert_str_eq(d[0].field, "Computer Science Engineering");
	cr_assert_str_eq(d[0].institution, "Adithya Institute of Technology");
	cr_assert_eq(d[0].year, 2012);
}
