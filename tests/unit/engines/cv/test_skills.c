/* Skill aliases and word boundaries (src/engines/cv/skills.c). */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/cv/skills.h"

static bool has(const char *text, const char *alias)
{
	size_t s, e;
	return cv_skill_find_next(text, strlen(text), 0, alias, &s, &e);
}

Test(cv_skills, java_is_not_javascript)
{
	cr_assert_not(has("javascript developer", "java"));
	cr_assert(has("java, javascript", "java"));
	cr_assert(has("javascript (es6+)", "javascript"));
}

Test(cv_skills, c_family)
{
	cr_assert(has("C, C++ and C#", "C"));
	cr_assert_not(has("C++ and C#", "C"));
	cr_assert_not(has("Objective-C", "C"));
	cr_assert_not(has("C-level executives", "C"));
	cr_assert_not(has("R&D", "R"));
	cr_assert(has("c/c++", "c++"));
	cr_assert(has("c#, .net", "c#"));
	cr_assert(has("experience with .net and c#", ".net"));
	cr_assert_not(has("c++", "c"));
}

Test(cv_skills, dotted_names)
{
	cr_assert(has("vue.js, node.js", "node.js"));
	cr_assert_not(has("node.js", "js"));
	cr_assert(has("node.js", "node"));
	cr_assert(has("react.js developer", "react"));
}

Test(cv_skills, multiword_across_lines)
{
	cr_assert(has("google cloud\nplatform, firebase", "google cloud platform"));
	cr_assert_not(has("googlecloud", "google cloud"));
}

Test(cv_skills, lookup_aliases)
{
	cr_assert_str_eq(cv_skill_lookup("postgres")->name, "PostgreSQL");
	cr_assert_str_eq(cv_skill_lookup("PSQL")->name, "PostgreSQL");
	cr_assert_str_eq(cv_skill_lookup("k8s")->name, "Kubernetes");
	cr_assert_str_eq(cv_skill_lookup("golang")->name, "Go");
	cr_assert_str_eq(cv_skill_lookup("Go")->name, "Go");
	cr_assert_str_eq(cv_skill_lookup("JS")->name, "JavaScript");
	cr_assert_null(cv_skill_lookup("Underwater basket weaving"));
	size_t n;
	cv_skill_table(&n);
	cr_assert_geq(n, 60);
}
