/*
 * The engine with the skills taxonomy of data/skills.tsv (struct cv_input.taxonomy): skills
 * through the hierarchy with partial credit, the result shape of that credit in JSON, rare
 * skills weighing more, unknown names matched literally, and skill requirements taken from a
 * real job description (../shared/data/cv/jd/) matched against a real CV. Run from the
 * repository root.
 */
#include <criterion/criterion.h>

#include "base/common.h"
#include "base/timeutil.h"

#include <jansson.h>

#include "api/cv_json.h"
#include "engines/cv/cv.h"

#include "test_file.h"

#define PDFS "../shared/data/cv/pdfs/"
#define JDS "../shared/data/cv/jd/"

static const struct cv_taxonomy *taxonomy(void)
{
	static struct cv_taxonomy t;
	static bool loaded;
	if (!loaded) {
		char *tsv = test_slurp("data/skills.tsv", NULL);
		char err[200] = "";
		int rc = cv_taxonomy_load(&t, tsv, strlen(tsv), err, sizeof err);
		md_free(tsv);
		cr_assert_eq(rc, 0, "data/skills.tsv: %s %s", md_strerror(rc), err);
		loaded = true;
	}
	return &t;
}

static int64_t day(const char *s)
{
	int64_t d;
	cr_assert_eq(md_parse_date(s, &d), 0);
	return d;
}

static const struct cv_req_result *req(const struct cv_result *r, const char *id)
{
	for (size_t i = 0; i < r->n_reqs; i++)
		if (strcmp(r->reqs[i].id, id) == 0)
			return &r->reqs[i];
	cr_assert_fail("no requirement %s", id);
	return NULL;
}

static void match(const char *page, const char *jd, const struct cv_requirements *q,
                  struct cv_result *r)
{
	struct cv_input in = { .pages = &page,
		               .n_pages = 1,
		               .job_description = jd,
		               .req = q,
		               .as_of = day("2025-01-01"),
		               .taxonomy = taxonomy() };
	cr_assert_eq(cv_match(&in, r), 0);
}

static const char *const cv_text = "Jane Doe\n"
                                   "Experience\n"
                                   "Backend Engineer, Acme, Jan 2019 - Dec 2023\n"
                                   "Built billing services on PostgreSQL and Kubernetes.\n"
                                   "Skills\n"
                                   "Go, Rust, Haskell, Docker\n";

Test(cv_engine_taxonomy, hierarchy_credit_in_result)
{
	struct cv_requirements q;
	cv_requirements_init(&q);
	cr_assert_eq(cv_requirements_add_skill(&q, true, "relational databases", 0), 0);
	cr_assert_eq(cv_requirements_add_skill(&q, true, "PostgreSQL", 3), 0);
	cr_assert_eq(cv_requirements_add_skill(&q, true, "MySQL", 0), 0);
	cr_assert_eq(cv_requirements_add_skill(&q, false, "Go", 0), 0);
	cr_assert_eq(cv_requirements_add_skill(&q, false, "billing services", 0), 0);
	struct cv_result r;
	match(cv_text, NULL, &q, &r);
	cr_assert_str_eq(r.taxonomy, "esco-onet-linguist");
	cr_assert_str_eq(r.requirements_source, "requirements");

	const struct cv_req_result *rel = req(&r, "/skills/must_have/0");
	cr_assert_eq(rel->verdict, CV_PARTIALLY_MET, "verdict %s", cv_verdict_name(rel->verdict));
	cr_assert_float_eq(rel->score, 0.8, 1e-9, "score %f", rel->score);
	cr_assert(rel->related);
	cr_assert_str_eq(rel->matched, "PostgreSQL");
	cr_assert_geq(rel->n_evidence, 1);
	cr_assert_not_null(strstr(rel->evidence[0].text, "PostgreSQL"), "%s",
	                   rel->evidence[0].text);
	cr_assert_not_null(strstr(rel->change, "PostgreSQL"), "%s", rel->change);

	const struct cv_req_result *pg = req(&r, "/skills/must_have/1");
	cr_assert_eq(pg->verdict, CV_MET, "5 years of PostgreSQL: %s",
	             cv_verdict_name(pg->verdict));
	cr_assert(!pg->related);
	/* MySQL is a sibling of PostgreSQL, but a specific requirement wants the skill itself. */
	const struct cv_req_result *my = req(&r, "/skills/must_have/2");
	cr_assert_lt(my->score, 1.0);
	cr_assert_eq(req(&r, "/skills/nice_to_have/0")->verdict, CV_MET); /* in the Skills list */
	/* A name the taxonomy does not know is matched literally, as without a taxonomy. */
	cr_assert_eq(req(&r, "/skills/nice_to_have/1")->verdict, CV_MET);

	json_t *o = cv_result_to_json(&r);
	cr_assert_not_null(o);
	cr_assert_str_eq(json_string_value(json_object_get(o, "taxonomy")), "esco-onet-linguist");
	json_t *jr = json_array_get(json_object_get(o, "requirements"), 0);
	cr_assert_str_eq(json_string_value(json_object_get(jr, "verdict")), "partially_met");
	cr_assert_str_eq(json_string_value(json_object_get(jr, "matched_by")), "PostgreSQL");
	cr_assert_str_eq(json_string_value(json_object_get(jr, "match")), "related");
	cr_assert_geq(json_array_size(json_object_get(jr, "evidence")), 1);
	json_t *sf = json_object_get(o, "skills_found");
	bool has_id = false;
	for (size_t i = 0; i < json_array_size(sf); i++)
		has_id |= json_string_value(json_object_get(json_array_get(sf, i), "id")) &&
		          strcmp(json_string_value(json_object_get(json_array_get(sf, i), "id")),
		                 "onet:kubernetes") == 0;
	cr_assert(has_id, "Kubernetes found with its taxonomy id");
	json_decref(o);
	cv_result_release(&r);
	cv_requirements_release(&q);
}

Test(cv_engine_taxonomy, rare_skills_weigh_more)
{
	const struct cv_taxonomy *t = taxonomy();
	int hs = cv_taxonomy_lookup(t, "Haskell"), js = cv_taxonomy_lookup(t, "JavaScript");
	cr_assert_geq(hs, 0);
	cr_assert_geq(js, 0);
	cr_assert_gt(cv_taxonomy_rarity(t, hs), cv_taxonomy_rarity(t, js));

	struct cv_requirements q;
	cv_requirements_init(&q);
	cr_assert_eq(cv_requirements_add_skill(&q, true, "Haskell", 0), 0);
	cr_assert_eq(cv_requirements_add_skill(&q, true, "JavaScript", 0), 0);
	struct cv_result r;
	match(cv_text, NULL, &q, &r);
	const struct cv_req_result *h = req(&r, "/skills/must_have/0");
	const struct cv_req_result *j = req(&r, "/skills/must_have/1");
	cr_assert_gt(h->weight, j->weight, "Haskell %f, JavaScript %f", h->weight, j->weight);
	cr_assert_eq(h->verdict, CV_MET);
	cr_assert_eq(j->verdict, CV_NOT_MET);
	/* The rare skill met outweighs the common one missed: above a plain half. */
	cr_assert_gt(r.categories[CV_CAT_SKILLS].score, 0.5, "skills %f",
	             r.categories[CV_CAT_SKILLS].score);
	cv_result_release(&r);
	cv_requirements_release(&q);
}

Test(cv_engine_taxonomy, requirements_from_a_real_job_description)
{
	char *jd = test_slurp(JDS "resume-matcher_job_desc_front_end_engineer.txt", NULL);
	char *cv = test_slurp(PDFS "11_resume-matcher_barry-allen_moderncv.txt", NULL);
	char *ff = strchr(cv, '\f');
	if (ff)
		*ff = '\0';
	struct cv_requirements q;
	cv_requirements_init(&q);
	struct cv_result r;
	match(cv, jd, &q, &r);
	cr_assert_str_eq(r.requirements_source, "job_description");
	size_t n_skills = 0, met = 0, n_phrases = 0, phrases_met = 0;
	bool react = false, html = false, frameworks = false, cs = false;
	for (size_t i = 0; i < r.n_reqs; i++) {
		const struct cv_req_result *x = &r.reqs[i];
		if (x->category != CV_CAT_SKILLS)
			continue;
		cr_assert(strncmp(x->id, "/job_description/", 17) == 0, "%s", x->id);
		if (x->words) {
			/* A phrase of the job description, judged by the words a CV line shares. */
			n_phrases++;
			phrases_met += x->verdict != CV_NOT_MET;
			cr_assert(x->verdict == CV_NOT_MET || (x->matched[0] && x->n_evidence),
			          "%s", x->name);
			cr_assert(x->verdict == CV_MET || strstr(x->change, x->name), "%s: %s",
			          x->name, x->change);
			frameworks |=
			    strcmp(x->name, "modern JavaScript frameworks and libraries") == 0 &&
			    x->verdict == CV_MET;
			continue;
		}
		n_skills++;
		met += x->verdict == CV_MET;
		if (strcmp(x->matched, "React") == 0 && x->verdict == CV_MET) {
			react = true;
			cr_assert_geq(x->n_evidence, 1);
		}
		html |= strcmp(x->name, "HTML") == 0 && x->verdict == CV_MET;
		/* "Degree in Computer Science": the CV's degree says it, though CVs mostly use
		 * the name in passing (the matcher wants a context for it). */
		cs |= strcmp(x->name, "computer science") == 0 && x->verdict == CV_MET &&
		      x->n_evidence && strstr(x->evidence[0].text, "B.Tech, Computer Science");
	}
	cr_assert(cs, "computer science met by the degree");
	cr_assert_geq(n_skills, 5, "%zu skills from the JD", n_skills);
	cr_assert(react, "React asked by the JD and met by the CV");
	cr_assert(html, "HTML asked by the JD and met by the CV");
	cr_assert_geq(met * 2, n_skills, "%zu of %zu met", met, n_skills);
	cr_assert_geq(n_phrases, 5, "%zu phrases from the JD", n_phrases);
	cr_assert_leq(n_phrases, CV_JD_PHRASES_MAX);
	cr_assert_geq(phrases_met * 3, n_phrases, "%zu of %zu phrases met", phrases_met, n_phrases);
	/* The CV names JavaScript and React, Angular and Vue.js: the taxonomy proves the words. */
	cr_assert(frameworks, "\"modern JavaScript frameworks and libraries\" met");
	cr_assert(r.categories[CV_CAT_SKILLS].present);
	cv_result_release(&r);

	/* The same CV without a taxonomy: no skill requirements, nothing extracted. */
	const char *page = cv;
	struct cv_input in = { .pages = &page,
		               .n_pages = 1,
		               .job_description = jd,
		               .req = &q,
		               .as_of = day("2025-01-01") };
	cr_assert_eq(cv_match(&in, &r), 0);
	cr_assert_str_eq(r.requirements_source, "none");
	cr_assert_str_eq(r.taxonomy, "builtin");
	cr_assert(!r.categories[CV_CAT_SKILLS].present);
	cv_result_release(&r);
	cv_requirements_release(&q);
	md_free(cv);
	md_free(jd);
}

Test(cv_engine_taxonomy, deterministic)
{
	char *jd = test_slurp(JDS "resume-matcher_job_desc_java_developer.txt", NULL);
	char *cv = test_slurp(PDFS "12_resume-matcher_two-column_chromium.txt", NULL);
	struct cv_requirements q;
	cv_requirements_init(&q);
	struct cv_result a, b;
	match(cv, jd, &q, &a);
	match(cv, jd, &q, &b);
	json_t *ja = cv_result_to_json(&a), *jb = cv_result_to_json(&b);
	char *sa = json_dumps(ja, JSON_COMPACT), *sb = json_dumps(jb, JSON_COMPACT);
	cr_assert_str_eq(sa, sb);
	free(sa);
	free(sb);
	json_decref(ja);
	json_decref(jb);
	cv_result_release(&a);
	cv_result_release(&b);
	cv_requirements_release(&q);
	md_free(cv);
	md_free(jd);
}

Test(cv_engine_taxonomy, phrases_judged_by_the_words_a_line_shares)
{
	const char *page = "Jane Doe\n"
	                   "Experience\n"
	                   "Purchasing Lead, Acme, Jan 2019 - Dec 2023\n"
	                   "Influenced cross-functional teams and key suppliers on pricing.\n"
	                   "Wrote reusable code for the ordering system.\n";
	const char *jd = "Responsibilities\n"
	                 "- Influence cross functional teams and suppliers.\n"
	                 "- Build reusable code and libraries.\n"
	                 "- Negotiate freight contracts with carriers.\n";
	struct cv_requirements q;
	cv_requirements_init(&q);
	struct cv_result r;
	match(page, jd, &q, &r);
	cr_assert_str_eq(r.requirements_source, "job_description");
	const struct cv_req_result *a = NULL, *b = NULL, *c = NULL;
	for (size_t i = 0; i < r.n_reqs; i++) {
		const struct cv_req_result *x = &r.reqs[i];
		if (!x->words)
			continue;
		if (strcmp(x->name, "influence cross functional teams and suppliers") == 0)
			a = x;
		else if (strcmp(x->name, "build reusable code and libraries") == 0)
			b = x;
		else if (strcmp(x->name, "negotiate freight contracts with carriers") == 0)
			c = x;
	}
	cr_assert(a && b && c, "three phrases from the job description");
	cr_assert_eq(a->verdict, CV_MET, "all five words on one line");
	cr_assert_eq(a->n_evidence, 1);
	cr_assert(strstr(a->evidence[0].text, "Influenced cross-functional"), "%s",
	          a->evidence[0].text);
	cr_assert(strstr(a->matched, "suppliers"), "%s", a->matched);
	cr_assert_eq(a->change[0], '\0');
	cr_assert_eq(b->verdict, CV_PARTIALLY_MET, "reusable code, not libraries or building");
	cr_assert_float_eq(b->score, 0.5, 1e-9);
	cr_assert(strstr(b->change, "librar") && strstr(b->change, b->name), "%s", b->change);
	cr_assert_eq(c->verdict, CV_NOT_MET);
	cr_assert_eq(c->n_evidence, 0);
	cr_assert(strstr(c->change, c->name), "%s", c->change);
	cr_assert_lt(a->weight, 1.0, "a phrase weighs less than a named skill");
	cr_assert_lt(c->gain, 10.0);
	cv_result_release(&r);
	cv_requirements_release(&q);
}

Test(cv_engine_taxonomy, jd_skills_read_as_the_job_wrote_them)
{
	const char *page = "Jane Doe\n"
	                   "Experience\n"
	                   "Backend Engineer, Acme, Jan 2019 - Dec 2023\n"
	                   "Built billing services on PostgreSQL and Kubernetes.\n"
	                   "Skills\n"
	                   "Teamwork, AWS, Docker\n";
	const char *jd = "Requirements\n"
	                 "- A team player with experience of AWS and Docker.\n"
	                 "- Commercial awareness is a plus.\n";
	struct cv_requirements q;
	cv_requirements_init(&q);
	struct cv_result r;
	match(page, jd, &q, &r);
	const struct cv_req_result *team = NULL, *aws = NULL, *docker = NULL, *acumen = NULL;
	for (size_t i = 0; i < r.n_reqs; i++) {
		const struct cv_req_result *x = &r.reqs[i];
		if (strcmp(x->name, "team player") == 0)
			team = x;
		else if (strcmp(x->name, "AWS") == 0)
			aws = x;
		else if (strcmp(x->name, "Docker") == 0)
			docker = x;
		else if (strcmp(x->name, "commercial awareness") == 0)
			acumen = x;
	}
	cr_assert(team && aws && docker && acumen, "the job's own words name the requirements");
	cr_assert_eq(team->verdict, CV_MET, "Teamwork is the same skill, work in teams");
	cr_assert_str_eq(team->matched, "work in teams");
	cr_assert_str_eq(team->requirement, "team player (must have)");
	cr_assert_eq(aws->verdict, CV_MET);
	cr_assert_eq(acumen->verdict, CV_NOT_MET);
	cr_assert(strstr(acumen->change, "commercial awareness"), "%s", acumen->change);
	cv_result_release(&r);
	cv_requirements_release(&q);
}

Test(cv_engine_taxonomy, jd_line_hyphens_are_repaired)
{
	/* The real Java JD, as pdftotext wrote it, breaks "Transaction man-\n agement": its half
	 * "man" is the Roff alias, and was once a requirement. */
	char *jd = test_slurp(JDS "resume-matcher_job_desc_java_developer.txt", NULL);
	cr_assert(strstr(jd, "Transaction man-\n"), "the JD still breaks the word");
	struct cv_requirements q;
	cv_requirements_init(&q);
	struct cv_result r;
	match(cv_text, jd, &q, &r);
	cr_assert_gt(r.n_reqs, 5);
	for (size_t i = 0; i < r.n_reqs; i++)
		cr_assert(strcmp(r.reqs[i].name, "man") && strcmp(r.reqs[i].name, "Roff"), "%s",
		          r.reqs[i].name);
	cv_result_release(&r);
	cv_requirements_release(&q);
	md_free(jd);
}
