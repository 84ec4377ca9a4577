/*
 * The skills taxonomy (src/engines/cv/taxonomy.c) against the real data/skills.tsv: aliases,
 * boundaries, ambiguous names, exclusions, hierarchy credit, rarity and JD extraction. Run from
 * the repository root; the JD tests also read ../shared/data/cv/jd/.
 */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/cv/taxonomy.h"

#include "test_file.h"

static struct cv_taxonomy tax;
static bool loaded;

static void setup(void)
{
	if (loaded)
		return;
	size_t len;
	char *tsv = test_slurp("data/skills.tsv", &len);
	cr_assert(tsv, "data/skills.tsv not readable (run from the repository root)");
	char err[200];
	int rc = cv_taxonomy_load(&tax, tsv, len, err, sizeof(err));
	md_free(tsv);
	cr_assert_eq(rc, 0, "load: %s %s", md_strerror(rc), err);
	loaded = true;
}

static void teardown(void)
{
	/* Kept loaded for the whole process: criterion runs each test in a fresh fork. */
}

struct hits {
	int skill[256];
	size_t off[256];
	bool ctx[256];
	int n;
};

static int collect(void *ctx, const struct cv_skill_hit *h)
{
	struct hits *x = ctx;
	if (x->n < 256) {
		x->skill[x->n] = h->skill;
		x->off[x->n] = h->offset;
		x->ctx[x->n] = h->needs_context;
		x->n++;
	}
	return 0;
}

static struct hits find(const char *text, bool skills_context)
{
	struct hits h = { .n = 0 };
	int rc = cv_taxonomy_find(&tax, text, strlen(text), skills_context, collect, &h);
	cr_assert_eq(rc, 0);
	return h;
}

static int named(const char *name)
{
	int i = cv_taxonomy_lookup(&tax, name);
	cr_assert_geq(i, 0, "no skill named %s", name);
	return i;
}

static bool found(const char *text, bool ctx, const char *name)
{
	int want = named(name);
	struct hits h = find(text, ctx);
	for (int i = 0; i < h.n; i++)
		if (h.skill[i] == want)
			return true;
	return false;
}

TestSuite(cv_taxonomy, .init = setup, .fini = teardown);

Test(cv_taxonomy, size_and_sources)
{
	cr_assert_gt(tax.nskills, 20000, "only %d skills", tax.nskills);
	cr_assert_str_eq(tax.skills[named("Docker")].type, "onet");
	cr_assert_str_eq(tax.skills[named("Kubernetes")].type, "onet");
	cr_assert_str_eq(tax.skills[named("AWS")].type, "onet");
	cr_assert_str_eq(tax.skills[named("manage staff")].type, "esco");
	cr_assert_str_eq(tax.skills[named("golang")].type, "linguist");
	cr_assert(tax.skills[named("Docker")].hot);
	cr_assert_eq(cv_taxonomy_by_id(&tax, "onet:docker"), named("Docker"));
	cr_assert_eq(cv_taxonomy_by_id(&tax, "nope"), -1);
}

Test(cv_taxonomy, aliases)
{
	int pg = named("PostgreSQL");
	cr_assert_eq(named("postgres"), pg);
	cr_assert_eq(named("psql"), pg);
	cr_assert_eq(named("  POSTGRES "), pg);
	cr_assert_eq(named("golang"), named("Go"));
	cr_assert_str_eq(tax.skills[named("golang")].label, "Go");
	cr_assert_str_eq(tax.skills[named("cpp")].label, "C++");
	cr_assert_eq(named("React.js"), named("React"));
	cr_assert_eq(named("ReactJS"), named("React"));
	cr_assert_eq(named("k8s"), named("Kubernetes"));
	cr_assert_eq(named("Amazon Web Services"), named("AWS"));
	cr_assert_neq(named("Java"), named("JavaScript"));
	cr_assert_eq(cv_taxonomy_lookup(&tax, "no such skill at all"), -1);
	cr_assert_eq(cv_taxonomy_lookup(&tax, ""), -1);
}

Test(cv_taxonomy, exclusions_applied)
{
	int js = named("JavaScript");
	cr_assert_neq(cv_taxonomy_lookup(&tax, "Mocha"), js, "Mocha must not name JavaScript");
	cr_assert_neq(cv_taxonomy_lookup(&tax, "node"), js);
	cr_assert_not(found("Unit tests with Mocha and Chai", false, "JavaScript"));
	cr_assert_eq(cv_taxonomy_lookup(&tax, "ML"), named("machine learning"));
	/* Linguist names that are initials or English words (data/skills_exclude.tsv). */
	cr_assert_lt(cv_taxonomy_lookup(&tax, "B"), 0);
	cr_assert_lt(cv_taxonomy_lookup(&tax, "M"), 0);
	cr_assert_lt(cv_taxonomy_lookup(&tax, "Fluent"), 0);
	cr_assert_neq(cv_taxonomy_lookup(&tax, "make"), named("Makefile"));
	cr_assert_neq(cv_taxonomy_lookup(&tax, "console"), named("ShellSession"));
	cr_assert_not(found("Skills: fluent in English, make reports", true, "Makefile"));
	/* ESCO altLabels that name something else in a CV. */
	cr_assert_neq(cv_taxonomy_lookup(&tax, "GPS"), named("geographic information systems"));
	cr_assert_neq(cv_taxonomy_lookup(&tax, "Ericsson"),
	              named("procurement of ICT network equipment"));
	cr_assert_neq(cv_taxonomy_lookup(&tax, "POS"), named("blockchain consensus mechanisms"));
	cr_assert_neq(cv_taxonomy_lookup(&tax, "ICT"), named("hardware testing methods"));
}

Test(cv_taxonomy, initials_are_not_languages)
{
	/* A publication list: a known product ("Sage") no longer spreads to the initials. */
	const char *t = "Sage, M., Fitch, D., & Quinn, A. (2013). Use of social media. "
	                "Reed, B.G., & Tolman, R. (2008). XML and ePortfolios.";
	cr_assert_not(found(t, false, "D"));
	cr_assert_not(found(t, false, "R"));
	cr_assert_not(found("Skills\nC.S. graduate, R. Studio\n", false, "R"));
	cr_assert(found("Languages: Java, Python, C.\nTools: Git", false, "C"),
	          "a period at the end of the line ends the list");
	cr_assert(found("Languages: Java, C, R", false, "R"));
}

Test(cv_taxonomy, matching_in_text)
{
	const char *t = "Built services with Node.js, ReactJS and PostgreSQL (psql) on AWS; "
	                "containerised with Docker and Kubernetes. Used C/C++ and C# with .NET.";
	cr_assert(found(t, false, "Node.js"));
	cr_assert(found(t, false, "React"));
	cr_assert(found(t, false, "PostgreSQL"));
	cr_assert(found(t, false, "AWS"));
	cr_assert(found(t, false, "Docker"));
	cr_assert(found(t, false, "Kubernetes"));
	cr_assert(found(t, false, "C++"));
	cr_assert(found(t, false, "C#"));
	cr_assert(found(t, false, ".NET"));
	cr_assert(found(t, false, "C"), "C next to C++ in a list");
	cr_assert_not(found(t, false, "JavaScript"), "node.js is not js");
}

Test(cv_taxonomy, java_is_not_javascript)
{
	cr_assert_not(found("Senior JavaScript developer", false, "Java"));
	cr_assert(found("Senior JavaScript developer", false, "JavaScript"));
	cr_assert(found("Java, JavaScript", false, "Java"));
	cr_assert_not(found("Objective-C developer", false, "C"));
	cr_assert_not(found("Skills: R&D, C-level reporting", false, "C"));
	cr_assert_not(found("Skills: R&D, C-level reporting", false, "R"));
}

Test(cv_taxonomy, multi_word_and_stemming)
{
	cr_assert(
	    found("Excellent knowledge of Relational Databases.", false, "relational databases"));
	cr_assert(found("I enjoy managing staff in busy teams", false, "manage staff"));
	cr_assert(found("React\nNative apps", false, "React Native"));
	cr_assert_not(found("React Native apps", false, "React"), "leftmost-longest");
	cr_assert(found("Google Cloud Platform", false, "GCP"));
}

Test(cv_taxonomy, ambiguous_names_need_context)
{
	cr_assert_not(found("We will go to the office and rust never sleeps.", false, "Go"));
	cr_assert_not(found("Let's Go to the meeting.", false, "Go"));
	cr_assert(found("Languages: Go, Rust", false, "Go"));
	cr_assert(found("Skills\nGo\nRust\n", false, "Rust"));
	cr_assert(found("Built the API in Python, Go and Rust.", false, "Go"));
	cr_assert(found("Built the API in Python, Go and Rust.", false, "Rust"));
	cr_assert(found("Go", true, "Go"));
	cr_assert_not(found("go", true, "Go"), "lower-case go is the verb");
	cr_assert_not(found("Reports in Excel format help me excel.", false, "Excel"));
	cr_assert(found("Tools: Excel, Word, PowerPoint", false, "Excel"));
	struct hits h = find("Languages: Go", false);
	cr_assert_eq(h.n, 1);
	cr_assert(h.ctx[0]);
	cr_assert_eq(h.off[0], 11);
}

Test(cv_taxonomy, hierarchy_credit)
{
	int pg = named("PostgreSQL"), rdb = named("relational databases");
	int d = -1;
	cr_assert(cv_taxonomy_is_under(&tax, pg, rdb, &d));
	cr_assert_eq(d, 1);
	cr_assert_float_eq(cv_taxonomy_credit(&tax, rdb, pg), 0.8, 1e-9);
	cr_assert_float_eq(cv_taxonomy_credit(&tax, pg, pg), 1.0, 1e-9);
	cr_assert_float_eq(cv_taxonomy_credit(&tax, pg, rdb), 0.0, 1e-9);
	int fw = named("JavaScript frameworks"), react = named("React"), ng = named("Angular");
	cr_assert_float_eq(cv_taxonomy_credit(&tax, fw, react), 0.8, 1e-9);
	cr_assert_float_eq(cv_taxonomy_credit(&tax, ng, react), 0.5, 1e-9);
	cr_assert(cv_taxonomy_is_under(&tax, react, named("JavaScript"), &d));
	cr_assert_eq(d, 2);
	cr_assert_float_eq(cv_taxonomy_credit(&tax, named("Docker"), named("manage staff")), 0.0,
	                   1e-9);
	cr_assert_not(cv_taxonomy_is_under(&tax, -1, pg, NULL));
	/* Named methods are skills of their own: Kanban does not meet Scrum in full. */
	int scrum = named("Scrum"), kanban = named("Kanban");
	cr_assert_neq(scrum, kanban);
	cr_assert_eq(cv_taxonomy_lookup(&tax, "scrum"), scrum);
	cr_assert_lt(cv_taxonomy_credit(&tax, scrum, kanban), 1.0);
	cr_assert_float_eq(
	    cv_taxonomy_credit(&tax, named("ICT project management methodologies"), scrum), 0.8,
	    1e-9);
	cr_assert_eq(cv_taxonomy_lookup(&tax, "J2EE"), named("Java EE"));
	cr_assert_eq(cv_taxonomy_lookup(&tax, "Active Directory"),
	             named("Microsoft Active Directory"));
	cr_assert_eq(cv_taxonomy_lookup(&tax, "agile"), named("Agile development"));
}

Test(cv_taxonomy, rarity)
{
	double generic = cv_taxonomy_rarity(&tax, named("computer programming"));
	double specific = cv_taxonomy_rarity(&tax, named("Elixir"));
	cr_assert(generic >= 0.5 && generic <= 2.0);
	cr_assert(specific >= 0.5 && specific <= 2.0);
	cr_assert_gt(specific, generic, "Elixir %g vs computer programming %g", specific, generic);
	cr_assert_float_eq(cv_taxonomy_rarity(&tax, -5), 1.0, 1e-9);
}

struct reqs {
	int skill[256];
	enum cv_req_kind kind[256];
	size_t offset[256], len[256];
	int n;
};

static int collect_req(void *ctx, const struct cv_skill_requirement *r)
{
	struct reqs *x = ctx;
	if (x->n < 256) {
		x->skill[x->n] = r->skill;
		x->kind[x->n] = r->kind;
		x->offset[x->n] = r->offset;
		x->len[x->n] = r->len;
		x->n++;
	}
	return 0;
}

static int kind_of(const struct reqs *r, const char *name)
{
	int s = named(name);
	for (int i = 0; i < r->n; i++)
		if (r->skill[i] == s)
			return (int)r->kind[i];
	return 0;
}

/* The kind of the phrase requirement (skill -1) that reads exactly phrase, or 0. */
static int phrase_kind(const struct reqs *r, const char *text, const char *phrase)
{
	for (int i = 0; i < r->n; i++)
		if (r->skill[i] < 0 && r->len[i] == strlen(phrase) &&
		    memcmp(text + r->offset[i], phrase, r->len[i]) == 0)
			return (int)r->kind[i];
	return 0;
}

static int n_phrases(const struct reqs *r)
{
	int n = 0;
	for (int i = 0; i < r->n; i++)
		n += r->skill[i] < 0;
	return n;
}

static struct reqs extract(const char *text, size_t len)
{
	struct reqs r = { .n = 0 };
	cr_assert_eq(cv_taxonomy_extract_requirements(&tax, text, len, collect_req, &r), 0);
	return r;
}

Test(cv_taxonomy, jd_cues)
{
	const char *jd = "Requirements\n"
	                 "- You have strong experience with PostgreSQL.\n"
	                 "- Kubernetes is required.\n"
	                 "- Experience with Terraform is a plus.\n"
	                 "Nice to have\n"
	                 "- GraphQL\n"
	                 "- Docker, ideally in production; Kafka is a must.\n"
	                 "Benefits\n"
	                 "- Free Python lessons\n";
	struct reqs r = extract(jd, strlen(jd));
	cr_assert_eq(kind_of(&r, "PostgreSQL"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "Kubernetes"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "Terraform"), CV_REQ_NICE);
	cr_assert_eq(kind_of(&r, "GraphQL"), CV_REQ_NICE);
	cr_assert_eq(kind_of(&r, "Docker"), CV_REQ_NICE);
	cr_assert_eq(kind_of(&r, "Apache Kafka"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "Python"), 0, "benefits are not requirements");
}

Test(cv_taxonomy, jd_leaves_out_common_learned_words)
{
	const char *jd = "Requirements\n"
	                 "- Strong development and testing skills in Core Java and EJB.\n";
	struct reqs r = extract(jd, strlen(jd));
	cr_assert_eq(kind_of(&r, "Core Java"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "EJB"), CV_REQ_MUST);
	int dev = named("development");
	cr_assert_str_eq(tax.skills[dev].category, CV_TAXONOMY_LEARNED_COMMON);
	cr_assert_eq(kind_of(&r, "development"), 0, "a common word is not a requirement by itself");
	cr_assert(found("Skills: development, testing, Core Java", false, "development"),
	          "in a CV's skills list it is a skill");
}

Test(cv_taxonomy, jd_asks_for_names_cvs_use_in_prose)
{
	/* "customer service" and "electrical engineering" are flagged ambiguous because CVs use
	 * them in prose; a job description asks for them. A one-word name next to them in a
	 * list ("Physics") is accepted through the list. */
	const char *jd = "Proven customer service orientation. A degree in Electrical Engineering "
	                 "or Physics. Experience with Go is a plus.";
	cr_assert(!found(jd, false, "customer service"), "CV prose needs a skills context");
	struct reqs r = extract(jd, strlen(jd));
	cr_assert_eq(kind_of(&r, "customer service"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "electrical engineering"), CV_REQ_MUST);
	cr_assert_neq(kind_of(&r, "physics"), 0, "in a list with an accepted name");
	cr_assert_eq(kind_of(&r, "Go"), CV_REQ_NICE, "the noun phrase after a cue is a context");
	const char *prose = "Go to our website. Excel in a fast team.";
	r = extract(prose, strlen(prose));
	cr_assert_eq(kind_of(&r, "Go"), 0, "a one-word ambiguous name still needs a context");
	cr_assert_eq(kind_of(&r, "Microsoft Excel"), 0);
}

Test(cv_taxonomy, soft_skills_as_traits)
{
	/* Job ads ask for traits; ESCO names the skills as verbs (build_skills.py SOFT_TRAITS). */
	const char *jd = "You are a proactive team player with attention to detail and "
	                 "commercial awareness, willing to learn.";
	struct reqs r = extract(jd, strlen(jd));
	cr_assert_eq(kind_of(&r, "show initiative"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "team player"), CV_REQ_MUST);
	cr_assert_eq(named("team player"), named("teamwork"), "one skill, work in teams");
	cr_assert_str_eq(tax.skills[named("teamwork")].label, "work in teams");
	cr_assert_eq(kind_of(&r, "attend to detail"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "apply business acumen"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "willing to learn"), CV_REQ_MUST);
	cr_assert(found("Skills: Teamwork, attention to detail", false, "attend to detail"));
}

Test(cv_taxonomy, jd_in_french_german_spanish)
{
	const char *fr = "Profil recherché\n"
	                 "- Maîtrise de Python.\n"
	                 "- Expérience en gestion de projets agiles pour nos clients.\n"
	                 "- Une connaissance de Kubernetes serait un plus.\n"
	                 "Avantages\n"
	                 "- Cours de Docker offerts.\n";
	struct reqs r = extract(fr, strlen(fr));
	cr_assert_eq(kind_of(&r, "Python"), CV_REQ_MUST);
	cr_assert_eq(phrase_kind(&r, fr, "gestion de projets agiles"), CV_REQ_MUST);
	cr_assert_eq(phrase_kind(&r, fr, "pour nos clients"), 0, "English verbs only in English");
	cr_assert_eq(kind_of(&r, "Kubernetes"), CV_REQ_NICE, "serait un plus");
	cr_assert_eq(kind_of(&r, "Docker"), 0, "Avantages is not a requirement section");

	const char *de = "Ihr Profil\n"
	                 "- Fundierte Kenntnisse in Java.\n"
	                 "- Erfahrung mit Kubernetes ist wünschenswert.\n"
	                 "Wir bieten\n"
	                 "- Python-Schulungen\n";
	r = extract(de, strlen(de));
	cr_assert_eq(kind_of(&r, "Java"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "Kubernetes"), CV_REQ_NICE);
	cr_assert_eq(kind_of(&r, "Python"), 0);

	const char *es = "Requisitos\n"
	                 "- Experiencia en desarrollo de aplicaciones web.\n"
	                 "- Se valorará el conocimiento de Docker.\n";
	r = extract(es, strlen(es));
	cr_assert_eq(phrase_kind(&r, es, "desarrollo de aplicaciones web"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "Docker"), CV_REQ_NICE);
}

Test(cv_taxonomy, jd_phrases_in_the_jobs_words)
{
	const char *jd = "Requirements\n"
	                 "- Proven ability to influence cross functional teams and suppliers.\n"
	                 "- Experience of billing and invoicing reconciliation is a plus.\n"
	                 "- Experience with PostgreSQL.\n"
	                 "- Developing and maintaining cash flow forecasts; training.\n"
	                 "- developing and maintaining cash flow forecasts\n"
	                 "Benefits\n"
	                 "- Enjoy managing your own pension plan.\n";
	struct reqs r = extract(jd, strlen(jd));
	cr_assert_eq(phrase_kind(&r, jd, "influence cross functional teams and suppliers"),
	             CV_REQ_MUST);
	cr_assert_eq(phrase_kind(&r, jd, "billing and invoicing reconciliation"), CV_REQ_NICE);
	cr_assert_eq(phrase_kind(&r, jd, "Developing and maintaining cash flow forecasts"),
	             CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "PostgreSQL"), CV_REQ_MUST, "a named skill is the requirement");
	cr_assert_eq(phrase_kind(&r, jd, "PostgreSQL"), 0);
	cr_assert_eq(phrase_kind(&r, jd, "training"), 0, "a verb alone says too little");
	cr_assert_eq(phrase_kind(&r, jd, "managing your own pension plan"), 0, "benefits");
	cr_assert_eq(n_phrases(&r), 3, "the repeated phrase counts once");
}

Test(cv_taxonomy, jd_real_java_developer)
{
	size_t len;
	char *jd =
	    test_slurp("../shared/data/cv/jd/resume-matcher_job_desc_java_developer.txt", &len);
	cr_assert(jd);
	struct reqs r = extract(jd, len);
	/* Read off the page: all in "Requirements" or the intro, no nice-to-have cue anywhere. */
	cr_assert_eq(kind_of(&r, "Java"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "SQL"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "relational databases"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "Hibernate"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "Java EE"), CV_REQ_MUST);
	for (int i = 0; i < r.n; i++)
		cr_assert_neq(r.kind[i], CV_REQ_NICE, "%.*s", (int)r.len[i], jd + r.offset[i]);
	/* The duties in the job's own words come after the skills, in text order. */
	cr_assert_eq(phrase_kind(&r, jd, "Conducting software analysis"), CV_REQ_MUST);
	cr_assert_eq(phrase_kind(&r, jd, "Ensuring designs comply with specifications"),
	             CV_REQ_MUST);
	cr_assert_eq(phrase_kind(&r, jd, "works on mission-critical applications"), 0,
	             "a verb after \"that\" describes the team");
	cr_assert_leq(n_phrases(&r), CV_JD_PHRASES_MAX);
	for (int i = 1; i < r.n; i++)
		cr_assert(r.skill[i - 1] >= 0 || r.skill[i] < 0, "skills first, then phrases");
	md_free(jd);
}

Test(cv_taxonomy, jd_real_front_end)
{
	size_t len;
	char *jd =
	    test_slurp("../shared/data/cv/jd/resume-matcher_job_desc_front_end_engineer.txt", &len);
	cr_assert(jd);
	struct reqs r = extract(jd, len);
	cr_assert_eq(kind_of(&r, "React"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "Vue.js"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "jQuery"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "Git"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "HTML"), CV_REQ_MUST);
	cr_assert_eq(kind_of(&r, "JavaScript frameworks"), CV_REQ_MUST);
	md_free(jd);
}

/*
 * data/skills_learned.tsv (scripts/learn_skills.py, dotin's training split): names the training
 * CVs use in prose ("plan", "history") match only in a skills context; gold phrases no name
 * covered ("EJB", "Core Java") are rows of their own; soft skills stay skills.
 */
Test(cv_taxonomy, learned_prose_and_vocabulary)
{
	cr_assert_not(found("I made a plan to study the history of the region.", false, "plan"));
	cr_assert_not(found("I made a plan to study the history of the region.", false, "history"));
	int ejb = named("EJB");
	cr_assert_eq(strncmp(tax.skills[ejb].id, "learned:", 8), 0, "%s", tax.skills[ejb].id);
	cr_assert(found("Developed the portal with EJB on WebLogic.", false, "EJB"));
	cr_assert(found("Good communication skills and teamwork", false, "communication skills"),
	          "a soft skill is not a prose word: a job may require it");
}

Test(cv_taxonomy, capital_acronyms_need_capitals)
{
	const char *t = "SKILLS\nC++ (Less than 1 year), DATABASES (Less than 1 year), python";
	cr_assert_not(found(t, false, "LESS"), "\"Less than 1 year\" is not the CSS language");
	cr_assert(found("Skills: LESS, Sass, CSS", false, "LESS"));
	cr_assert_not(found("Skills: less, Sass, CSS", false, "LESS"));
}

Test(cv_taxonomy, load_errors)
{
	struct cv_taxonomy t;
	char err[200];
	const char *bad = "id\tlabel\ttype\tcategory\thot\taliases\tbroader\tneeds_context\nx\ty\n";
	cr_assert_eq(cv_taxonomy_load(&t, bad, strlen(bad), err, sizeof(err)), MD_EINVAL);
	cr_assert(strstr(err, "line 2"), "%s", err);
	const char *dup = "id\tlabel\ttype\tcategory\thot\taliases\tbroader\tneeds_context\n"
	                  "a\tA\tx\t\t0\t\t\t\na\tB\tx\t\t0\t\t\t\n";
	cr_assert_eq(cv_taxonomy_load(&t, dup, strlen(dup), err, sizeof(err)), MD_EINVAL);
	cr_assert_eq(cv_taxonomy_load(&t, "", 0, err, sizeof(err)), MD_EINVAL);
	const char *ok = "# c\nid\tlabel\ttype\tcategory\thot\taliases\tbroader\tneeds_context\n"
	                 "a\tAlpha Beta\tx\t\t1\tab|a b c\tb|zz\t\nb\tBeta\tx\t\t0\t\t\tBeta\n";
	cr_assert_eq(cv_taxonomy_load(&t, ok, strlen(ok), err, sizeof(err)), 0, "%s", err);
	cr_assert_eq(t.nskills, 2);
	cr_assert_eq(cv_taxonomy_lookup(&t, "alpha betas"), 0);
	cr_assert_eq(cv_taxonomy_lookup(&t, "A B C"), 0);
	cr_assert(cv_taxonomy_is_under(&t, 0, 1, NULL));
	cv_taxonomy_release(&t);
	cv_taxonomy_release(&t);
}

Test(cv_taxonomy, allocation_failures)
{
	const char *ok = "id\tlabel\ttype\tcategory\thot\taliases\tbroader\tneeds_context\n"
	                 "a\tAlpha Beta\tx\t\t1\tab|a b c\tb\t\nb\tBeta\tx\t\t0\t\t\tBeta\n";
	for (long n = 0; n < 40; n++) {
		struct cv_taxonomy t;
		md_alloc_fail_after(n);
		int rc = cv_taxonomy_load(&t, ok, strlen(ok), NULL, 0);
		md_alloc_fail_after(-1);
		cr_assert(rc == 0 || rc == MD_ENOMEM, "rc %d at %ld", rc, n);
		cv_taxonomy_release(&t);
	}
}
