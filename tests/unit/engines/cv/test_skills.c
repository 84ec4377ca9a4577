/* Skill aliases and word boundaries (src/engines/cv/skills.c). */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/cv/cv.h"
#include "engines/cv/skills.h"
#include "engines/cv/taxonomy.h"

#include "test_file.h"

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

/*
 * Skills lists through the whole engine (src/engines/cv/cv.c, with data/skills.tsv): short items
 * of a skills list are skills even when the taxonomy does not know them; prose is not a list.
 */

static bool found_skill(const struct cv_result *r, const char *name, const char **as_written)
{
	for (size_t i = 0; i < r->n_skills; i++)
		if (strcmp(r->skills[i].name, name) == 0) {
			if (as_written)
				*as_written = r->skills[i].as_written;
			return true;
		}
	return false;
}

Test(cv_skills, list_items_and_mentions)
{
	static struct cv_taxonomy t;
	char *tsv = test_slurp("data/skills.tsv", NULL);
	char err[200] = "";
	cr_assert_eq(cv_taxonomy_load(&t, tsv, strlen(tsv), err, sizeof err), 0, "%s", err);
	md_free(tsv);
	const char *page = "Jane Doe\n"
	                   "Summary\n"
	                   "I like to read, to travel, and to cook for friends.\n"
	                   "Technical Skills: Java, Ryze, FeedBlitz (Less than 1 year), Flickr\n"
	                   "Tools: MS Office, UML\n"
	                   "Skills\n"
	                   "Perl (Less than\n"
	                   "1 year), Ning, Delicious Library\n"
	                   "English, French, Haskell\n";
	struct cv_requirements q;
	cv_requirements_init(&q);
	struct cv_input in = {
		.pages = &page, .n_pages = 1, .req = &q, .as_of = 20454, .taxonomy = &t
	};
	struct cv_result r, r2;
	cr_assert_eq(cv_match(&in, &r), 0);
	cr_assert(found_skill(&r, "Ryze", NULL));
	cr_assert(found_skill(&r, "FeedBlitz", NULL), "the parenthesis is not part of the item");
	cr_assert(found_skill(&r, "Flickr", NULL));
	cr_assert(found_skill(&r, "Java", NULL));
	cr_assert_not(found_skill(&r, "to travel", NULL), "prose is not a skills list");
	cr_assert(found_skill(&r, "Ning", NULL), "an item of a Skills section");
	cr_assert(found_skill(&r, "Delicious Library", NULL));
	cr_assert(found_skill(&r, "Haskell", NULL));
	cr_assert_not(found_skill(&r, "English", NULL), "languages are the languages section's");
	cr_assert_not(found_skill(&r, "French", NULL));
	for (size_t i = 0; i < r.n_skills; i++)
		cr_assert_null(strchr(r.skills[i].name, ')'), "%s", r.skills[i].name);
	const char *w = NULL;
	cr_assert(found_skill(&r, "unified modelling language", &w));
	cr_assert_str_eq(w, "UML", "the mention as written");
	/* Determinism: the same input gives the same skills in the same order. */
	cr_assert_eq(cv_match(&in, &r2), 0);
	cr_assert_eq(r.n_skills, r2.n_skills);
	for (size_t i = 0; i < r.n_skills; i++)
		cr_assert_str_eq(r.skills[i].name, r2.skills[i].name);
	cv_result_release(&r);
	cv_result_release(&r2);
	cv_requirements_release(&q);
	cv_taxonomy_release(&t);
}
