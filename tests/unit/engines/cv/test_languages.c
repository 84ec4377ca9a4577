/* Languages with CEFR levels and certifications (src/engines/cv/languages.c). */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/cv/languages.h"

static size_t split(char *text, struct cv_line *lines, size_t cap)
{
	size_t n = 0;
	char *p = text;
	while (p && n < cap) {
		char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		lines[n++] = (struct cv_line){ .text = p,
			                       .len = len,
			                       .fold = p,
			                       .fold_len = len,
			                       .off = (size_t)(p - text),
			                       .page = 1 };
		p = nl ? nl + 1 : NULL;
	}
	cv_sections_assign(lines, n);
	return n;
}

Test(cv_languages, levels)
{
	char t[] = "Summary\nI speak English at work every day.\n"
	           "Langues\n"
	           "Anglais (langue maternelle), Fran\xC3\xA7"
	           "ais (C1), Espagnol (B2), Japonais (basique).\n"
	           "Skills\nLanguage: Fluent in German\n"
	           "Certifications\nAWS Certified Solutions Architect \xE2\x80\x93 Associate\n";
	struct cv_line l[16];
	size_t n = split(t, l, 16);
	struct cv_language g[8];
	size_t ng = cv_languages_extract(l, n, g, 8);
	cr_assert_eq(ng, 5, "got %zu", ng);
	const char *names[] = { "English", "French", "Spanish", "Japanese", "German" };
	enum cv_lang_level lv[] = { CV_LANG_NATIVE, CV_LANG_C1, CV_LANG_B2, CV_LANG_A2,
		                    CV_LANG_C1 };
	for (size_t i = 0; i < 5; i++) {
		cr_assert_str_eq(g[i].name, names[i]);
		cr_assert_eq(g[i].level, lv[i], "%s: %s", names[i], cv_lang_level_name(g[i].level));
	}
	struct cv_certification c[4];
	size_t nc = cv_certifications_extract(l, n, c, 4);
	cr_assert_eq(nc, 1);
	cr_assert_not_null(strstr(c[0].name, "AWS Certified"), "%s", c[0].name);
}

Test(cv_languages, prose_mention_is_not_a_language)
{
	char t[] = "Projects\nSurveyed households that only speak English.\n";
	struct cv_line l[4];
	size_t n = split(t, l, 4);
	struct cv_language g[4];
	cr_assert_eq(cv_languages_extract(l, n, g, 4), 0);
}
