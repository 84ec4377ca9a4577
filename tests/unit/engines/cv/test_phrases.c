/* Skill phrases of a job description (src/engines/cv/phrases.c). */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/cv/phrases.h"

#define MAXP 32

struct found {
	char text[MAXP][128];
	bool verb[MAXP];
	size_t start[MAXP];
	size_t n;
	const char *src;
};

static int collect(void *ctx, const struct cv_phrase *p)
{
	struct found *f = ctx;
	if (f->n < MAXP) {
		snprintf(f->text[f->n], sizeof f->text[0], "%.*s", (int)p->len, f->src + p->start);
		f->verb[f->n] = p->verb;
		f->start[f->n] = p->start;
		f->n++;
	}
	return 0;
}

static struct found find(const char *s)
{
	struct found f = { .n = 0, .src = s };
	cr_assert_eq(cv_phrases_find(s, strlen(s), collect, &f), 0);
	return f;
}

static bool has(const struct found *f, const char *phrase)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->text[i], phrase) == 0)
			return true;
	return false;
}

static void dump(const struct found *f)
{
	for (size_t i = 0; i < f->n; i++)
		cr_log_info("phrase %zu: [%s]", i, f->text[i]);
}

Test(cv_phrases, verb_forms)
{
	cr_assert(cv_phrases_is_verb("manage", 6));
	cr_assert(cv_phrases_is_verb("Managing", 8));
	cr_assert(cv_phrases_is_verb("ensures", 7));
	cr_assert(cv_phrases_is_verb("planning", 8), "doubled consonant");
	cr_assert(cv_phrases_is_verb("supplies", 8) == cv_phrases_is_verb("supply", 6));
	cr_assert_not(cv_phrases_is_verb("kitchen", 7));
	cr_assert_not(cv_phrases_is_verb("apply", 5), "job-ad boilerplate is left out");
	cr_assert_not(cv_phrases_is_verb("join", 4));
	cr_assert_not(cv_phrases_is_verb("m", 1));
	cr_assert_not(cv_phrases_is_verb("", 0));
	char longw[100];
	memset(longw, 'a', sizeof longw);
	cr_assert_not(cv_phrases_is_verb(longw, sizeof longw));
	cr_assert_not(cv_phrases_is_verb("manage\xff", 7));
}

Test(cv_phrases, terms_name_something)
{
	const char *s = "Good COMMUNICATION Skills and experience in a team, in Köln, Kubernetes";
	struct slice rest = { s, strlen(s) }, w;
	const char *want[] = { "Good", "COMMUNICATION", "team", "Köln", "Kubernetes" };
	size_t n = 0;
	while (cv_phrases_next_term(&rest, &w)) {
		cr_assert_lt(n, ARRAY_SIZE(want), "extra term %.*s", (int)w.len, w.ptr);
		cr_assert(w.len == strlen(want[n]) && memcmp(w.ptr, want[n], w.len) == 0,
		          "term %zu: %.*s", n, (int)w.len, w.ptr);
		n++;
	}
	cr_assert_eq(n, ARRAY_SIZE(want), "stop words, short and framing words are no terms");
}

Test(cv_phrases, verb_phrases_and_their_ends)
{
	struct found f = find("Your key responsibilities will include managing all aspects of the "
	                      "kitchen during service; taking responsibility of the kitchen, and "
	                      "ensuring high levels of food quality which matter to us.");
	dump(&f);
	cr_assert(has(&f, "managing all aspects of the kitchen"), "ends at a clause word");
	cr_assert(has(&f, "taking responsibility of the kitchen"), "ends at punctuation");
	cr_assert(has(&f, "ensuring high levels of food quality"), "ends before \"which\"");
	for (size_t i = 0; i < f.n; i++)
		cr_assert(f.verb[i]);
	for (size_t i = 1; i < f.n; i++)
		cr_assert_gt(f.start[i], f.start[i - 1], "text order");
}

Test(cv_phrases, coordination_and_to)
{
	struct found f = find("Accepting assigned projects and work with other divisions to ensure "
	                      "their delivery. Developing and maintaining cash flow forecasts.");
	dump(&f);
	cr_assert(has(&f, "Accepting assigned projects"),
	          "a second verb after \"and\" starts anew");
	cr_assert(has(&f, "work with other divisions"), "a verb after \"to\" starts anew");
	cr_assert(has(&f, "ensure their delivery"));
	cr_assert(has(&f, "Developing and maintaining cash flow forecasts"), "a shared object");
}

Test(cv_phrases, not_verbs)
{
	struct found f = find("The design of our TRAINING courses. Technical Test Analyst wanted. "
	                      "A team that works on critical systems.");
	dump(&f);
	cr_assert_eq(f.n, 0, "after a determiner, all capitals, a title, after \"that\"");
}

Test(cv_phrases, cues_and_skill_heads)
{
	struct found f = find("Previous experience in accounting is essential. Excellent "
	                      "communication skills and knowledge of the EYFS framework. 5 years "
	                      "experience. Solid retail banking experience essential");
	dump(&f);
	cr_assert(has(&f, "accounting"));
	cr_assert(has(&f, "communication skills"), "praise words are not part of it");
	cr_assert(has(&f, "EYFS framework"), "determiners are skipped");
	cr_assert(has(&f, "retail banking experience"));
	cr_assert_not(has(&f, "years experience"), "a duration is no skill");
	for (size_t i = 0; i < f.n; i++)
		cr_assert_not(f.verb[i], "%s", f.text[i]);
}

Test(cv_phrases, a_head_that_is_also_a_cue)
{
	/* "experience within" is a cue; the words before "experience" still ask for a skill. */
	struct found f = find("at least 2years management experience within the health and "
	                      "fitness industry");
	dump(&f);
	cr_assert(has(&f, "management experience"));
	cr_assert(has(&f, "health and fitness industry"));
}

Test(cv_phrases, lines_and_limits)
{
	struct found f = find("- Develop new features\n- Build reusable code\nand libraries for "
	                      "future use\nSupport the team");
	dump(&f);
	cr_assert(has(&f, "Develop new features"), "a line break ends a phrase");
	cr_assert(has(&f, "Build reusable code\nand libraries for future use"),
	          "a wrapped line goes on in lower case");
	cr_assert(has(&f, "Support the team"));
	f = find("manage a b c d e f g h i j k l m n o p");
	cr_assert_eq(f.n, 1);
	cr_assert_str_eq(f.text[0], "manage a b c d e f g h i", "at most ten words");
	f = find("manage the");
	cr_assert_str_eq(f.text[0], "manage", "trailing function words trimmed");
	f = find("deploy node.js apps.");
	cr_assert_str_eq(f.text[0], "deploy node.js apps", "a full stop inside a word stays");
	f = find("");
	cr_assert_eq(f.n, 0);
}

static int stop_at_two(void *ctx, const struct cv_phrase *p)
{
	(void)p;
	return ++*(int *)ctx == 2 ? 7 : 0;
}

Test(cv_phrases, callback_stops_the_scan)
{
	const char *s = "manage staff. ensure quality. write reports.";
	int calls = 0;
	cr_assert_eq(cv_phrases_find(s, strlen(s), stop_at_two, &calls), 7);
	cr_assert_eq(calls, 2);
}
