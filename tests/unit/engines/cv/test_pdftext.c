/*
 * Extraction of the real CVs in ../shared/data/cv/pdfs/ (src/engines/cv/pdftext.c), checked
 * against the traps listed in ../shared/data/README.md and the pdftotext -layout output that
 * sits beside each PDF.
 */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/cv/pdftext.h"

#include "test_file.h"

#define PDFS "../shared/data/cv/pdfs/"

static void extract(const char *name, struct cv_pages *pages)
{
	char path[256], err[256];
	snprintf(path, sizeof path, PDFS "%s.pdf", name);
	size_t n;
	char *data = test_slurp(path, &n);
	cv_pages_init(pages);
	int rc = cv_pdf_extract(data, n, 20, 1 << 20, pages, err, sizeof err);
	md_free(data);
	cr_assert_eq(rc, 0, "%s: %s", name, err);
	cr_assert_gt(pages->n, 0);
}

/* True when one line of text holds both a and b. */
static bool same_line(const char *text, const char *a, const char *b)
{
	for (const char *p = text; p && *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = md_strndup(p, len);
		bool both = strstr(line, a) && strstr(line, b);
		md_free(line);
		if (both)
			return true;
		p = nl ? nl + 1 : NULL;
	}
	return false;
}

static bool has_warning(const struct cv_pages *p, const char *needle)
{
	for (size_t i = 0; i < p->nwarnings; i++)
		if (strstr(p->warnings[i], needle))
			return true;
	return false;
}

Test(cv_pdftext, deedy_columns_do_not_interleave)
{
	/* pdftotext -layout puts the left and the right column on one line... */
	size_t n;
	char *txt = test_slurp(PDFS "04_deedy_two-column.txt", &n);
	cr_assert(same_line(txt, "MENG IN COMPUTER SCIENCE", "Jan 2015 - Present"));
	cr_assert(same_line(txt, "Magna Cum Laude", "Stylus and Require"));
	md_free(txt);
	/* ...we must not. */
	struct cv_pages p;
	extract("04_deedy_two-column", &p);
	const char *t = p.text[0];
	cr_assert_not(same_line(t, "MENG IN COMPUTER SCIENCE", "Jan 2015 - Present"), "%s", t);
	cr_assert_not(same_line(t, "Magna Cum Laude", "Stylus and Require"), "%s", t);
	cr_assert_not_null(strstr(t, "FACEBOOK | SOFTWARE ENGINEER\nJan 2015 - Present | New York"),
	                   "%s", t);
	/* The header first, the left column before the right one. */
	cr_assert_lt(strstr(t, "Debarghya Das") - t, strstr(t, "EDUCATION") - t);
	cr_assert_lt(strstr(t, "Major GPA") - t, strstr(t, "EXPERIENCE") - t);
	cv_pages_release(&p);
}

Test(cv_pdftext, altacv_sidebar_apart_no_macros)
{
	struct cv_pages p;
	extract("05_altacv_two-column_sample", &p);
	for (size_t i = 0; i < p.n; i++)
		cr_assert_null(strstr(p.text[i], "\\fa"), "page %zu:\n%s", i + 1, p.text[i]);
	const char *t = p.text[0];
	cr_assert_not(same_line(t, "Job Title 1", "MY LIFE PHILOSOPHY"), "%s", t);
	cr_assert_not(same_line(t, "Job description", "Fantastic Achievement"), "%s", t);
	const char *projects = strstr(t, "PROJECTS"), *philo = strstr(t, "MY LIFE PHILOSOPHY");
	cr_assert(projects && philo && projects < philo, "main column then sidebar:\n%s", t);
	cr_assert_not_null(strstr(t, "Fantastic Achievement"), "%s", t);
	cv_pages_release(&p);
}

Test(cv_pdftext, word_mac_tabs_become_spaces)
{
	struct cv_pages p;
	extract("09_openresume_laverne_word-mac", &p);
	const char *t = p.text[0];
	cr_assert_null(strchr(t, '\t'), "%s", t);
	cr_assert_null(strstr(t, "\xC2\xAD"), "%s", t);
	cr_assert_not_null(strstr(t, "To obtain an on-campus position"), "%s", t);
	cr_assert_not_null(strstr(t, "Fall 2013 \xE2\x80\x93 Spring 2014"), "%s", t);
	cv_pages_release(&p);
}

Test(cv_pdftext, react_pdf_ligatures)
{
	struct cv_pages p;
	extract("10_openresume_react-pdf", &p);
	cr_assert_not_null(strstr(p.text[0], "Discovered and fixed 5 bugs"), "%s", p.text[0]);
	cr_assert_null(strstr(p.text[0], "\xEF\xAC\x81"), "%s", p.text[0]); /* U+FB01 */
	cv_pages_release(&p);
}

Test(cv_pdftext, chromium_two_columns_and_hyphen)
{
	size_t n;
	char *txt = test_slurp(PDFS "12_resume-matcher_two-column_chromium.txt", &n);
	cr_assert(same_line(txt, "5+ years of proven expertise", "UC Berkeley"));
	md_free(txt);
	struct cv_pages p;
	extract("12_resume-matcher_two-column_chromium", &p);
	const char *t = p.text[0];
	cr_assert_not(same_line(t, "5+ years of proven expertise", "UC Berkeley"), "%s", t);
	cr_assert_not(same_line(t, "real-time fraud detection", "Database Optimization"), "%s", t);
	/* "cloud-" ends a line in the PDF: a compound, so the hyphen stays. */
	cr_assert_not_null(strstr(t, "and cloud-native infrastructure"), "%s", t);
	cr_assert_not_null(strstr(t, "Senior Software Engineer Jan 2023 - Present\nStripe"), "%s",
	                   t);
	cr_assert_not_null(strstr(t, "SKILLS\nGo Python Node.js TypeScript"), "%s", t);
	cv_pages_release(&p);
}

Test(cv_pdftext, icon_header_and_lost_ligatures)
{
	struct cv_pages p;
	extract("15_no-producer_icon-header", &p);
	const char *t = p.text[0];
	cr_assert_not_null(strstr(t, "Complexity, Software Construction Lab"), "%s", t);
	cr_assert_not_null(strstr(t, "C/C++ \xE2\x80\xA2 Swift \xE2\x80\xA2 LaTex"), "%s", t);
	cr_assert_null(strstr(t, "So ware"), "%s", t);
	cr_assert(has_warning(&p, "page 1: part of the page has symbols but no extractable text"));
	cr_assert(has_warning(&p, "lost ligature"));
	cv_pages_release(&p);
}

Test(cv_pdftext, every_cv_extracts)
{
	static const char *const names[] = {
		"04_deedy_two-column",
		"05_altacv_two-column_sample",
		"06_billryan_resume_zh-CN",
		"07_typst-moderncv_cv_fr",
		"08_rendercv_engineeringresumes",
		"09_openresume_laverne_word-mac",
		"10_openresume_react-pdf",
		"11_resume-matcher_barry-allen_moderncv",
		"12_resume-matcher_two-column_chromium",
		"15_no-producer_icon-header",
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		struct cv_pages p;
		extract(names[i], &p);
		for (size_t k = 0; k < p.n; k++)
			cr_assert_null(strchr(p.text[k], '\t'), "%s", names[i]);
		cv_pages_release(&p);
	}
	/* A date column on the left stays on the line of its job (typst-moderncv). */
	struct cv_pages p;
	extract("07_typst-moderncv_cv_fr", &p);
	cr_assert_not_null(strstr(p.text[0], "Sept. 2022\xE2\x80\x94 Stagiaire en recherche en IA"),
	                   "%s", p.text[0]);
	cv_pages_release(&p);
}
