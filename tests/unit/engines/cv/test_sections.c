/* Section headings and two-column text (src/engines/cv/sections.c). */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/cv/sections.h"

static void heading(const char *line, enum cv_section_kind want)
{
	enum cv_section_kind k = CV_SEC_NONE;
	bool h = cv_section_detect(line, strlen(line), &k);
	cr_assert(h, "\"%s\": not a heading, want %s", line, cv_section_name(want));
	cr_assert_eq(k, want, "\"%s\": got %s, want %s", line, cv_section_name(k),
	             cv_section_name(want));
}

static void not_heading(const char *line)
{
	enum cv_section_kind k;
	cr_assert_not(cv_section_detect(line, strlen(line), &k), "\"%s\" taken for %s", line,
	              cv_section_name(k));
}

Test(cv_sections, multilingual_vocabulary)
{
	heading("EXPERIENCE", CV_SEC_EXPERIENCE);
	heading("Work Experience:", CV_SEC_EXPERIENCE);
	heading("Expériences professionnelles", CV_SEC_EXPERIENCE);
	heading("EXPÉRIENCE", CV_SEC_EXPERIENCE);
	heading("Berufserfahrung", CV_SEC_EXPERIENCE);
	heading("Experiencia laboral", CV_SEC_EXPERIENCE);
	heading("实习/项目经历", CV_SEC_EXPERIENCE);
	heading("教育背景", CV_SEC_EDUCATION);
	heading("Formación académica", CV_SEC_EDUCATION);
	heading("Ausbildung", CV_SEC_EDUCATION);
	heading("Compétences techniques", CV_SEC_SKILLS);
	heading("IT 技能", CV_SEC_SKILLS);
	heading("Langues", CV_SEC_LANGUAGES);
	heading("Idiomas", CV_SEC_LANGUAGES);
	heading("Sprachkenntnisse", CV_SEC_LANGUAGES);
	heading("Certifications", CV_SEC_CERTIFICATIONS);
	heading("Projets", CV_SEC_PROJECTS);
	heading("Publications", CV_SEC_PUBLICATIONS);
	heading("HONORS/AWARDS", CV_SEC_AWARDS);
	heading("获奖情况", CV_SEC_AWARDS);
	heading("Summary", CV_SEC_SUMMARY);
	heading("ON CAMPUS INVOLVEMENT", CV_SEC_VOLUNTEER);
	heading("Activities & Volunteer Experience", CV_SEC_VOLUNTEER);
	heading("Projects )", CV_SEC_PROJECTS);
}

Test(cv_sections, not_headings)
{
	not_heading("Volunteer Swim Coach");
	not_heading("Volunteer");
	not_heading("skills.");
	not_heading("Software Engineer, Acme 2019 - 2021");
	not_heading("Programming Languages: Python, C");
	not_heading("E 个人项目");
	not_heading("CORNELL UNIVERSITY");
}

Test(cv_sections, two_columns_become_one_after_the_other)
{
	static const char *const rows[][2] = {
		{ "EXPERIENCE", "SKILLS" },
		{ "Engineer, Acme  Jan 2020 - Present", "Python Go" },
		{ "Built things.", "Docker" },
		{ "", "LANGUAGES" },
		{ "Analyst, Beta   2018 - 2019", "French (B2)" },
		{ "", "German" },
		{ "", "Spanish" },
	};
	char t[1024];
	size_t o = (size_t)snprintf(t, sizeof t, "            Jane Roe\n");
	for (size_t i = 0; i < ARRAY_SIZE(rows); i++)
		o += (size_t)snprintf(t + o, sizeof t - o, "%-37s%s\n", rows[i][0], rows[i][1]);
	struct buf b;
	buf_init(&b, 1 << 16);
	cr_assert_eq(cv_text_columns(t, strlen(t), &b), 0);
	const char *exp = strstr(b.data, "EXPERIENCE");
	const char *ana = strstr(b.data, "Analyst");
	const char *sk = strstr(b.data, "SKILLS");
	const char *ger = strstr(b.data, "German");
	cr_assert(exp && ana && sk && ger, "%s", b.data);
	cr_assert(exp < ana && ana < sk && sk < ger, "left column first:\n%s", b.data);
	cr_assert_not_null(strstr(b.data, "Engineer, Acme  Jan 2020 - Present\n"), "%s", b.data);
	buf_release(&b);
}

Test(cv_sections, date_column_is_not_a_text_column)
{
	const char *t = "Engineer, Acme                    Jan 2020 - Present\n"
	                "Analyst, Beta                     Jun 2018 - Dec 2019\n"
	                "Intern, Gamma                     May 2017 - Aug 2017\n"
	                "Intern, Delta                     May 2016 - Aug 2016\n"
	                "                                  Last updated Mar 2024\n";
	struct buf b;
	buf_init(&b, 1 << 16);
	cr_assert_eq(cv_text_columns(t, strlen(t), &b), 0);
	cr_assert_str_eq(b.data, t);
	buf_release(&b);
}
