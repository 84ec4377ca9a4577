/*
 * The skill phrase tagger (src/engines/cv/tagger.c): the weight file parser (the real
 * data/skills_tagger.tsv and malformed files), greedy and Viterbi decoding with hand-made
 * weights, the features it computes, and the real weights on a small made-up CV. Run from the
 * repository root.
 */
#include <criterion/criterion.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/common.h"
#include "engines/cv/cv.h"
#include "engines/cv/sections.h"
#include "engines/cv/tagger.h"

#include "test_file.h"

static int load_str(struct cv_tagger *t, const char *s, char *err, size_t cap)
{
	return cv_tagger_load(t, s, strlen(s), err, cap);
}

struct phrases {
	char text[16][64];
	size_t line[16];
	int n;
	const struct cv_tag_line *lines;
};

static int on_phrase(void *ctx, size_t line, size_t off, size_t len)
{
	struct phrases *p = ctx;
	if (p->n < 16) {
		snprintf(p->text[p->n], sizeof p->text[0], "%.*s", (int)len,
		         p->lines[line].text + off);
		p->line[p->n++] = line;
	}
	return 0;
}

static void tag(const struct cv_tagger *t, const struct cv_tag_line *lines, size_t n,
                const struct cv_tag_span *sp, size_t nsp, struct phrases *p)
{
	memset(p, 0, sizeof *p);
	p->lines = lines;
	int rc = cv_tagger_tag(t, lines, n, sp, nsp, on_phrase, p);
	cr_assert_eq(rc, 0, "tag: %s", md_strerror(rc));
}

/* O wins by default; "terraform" starts a phrase, "cloud" starts one and "formation" after a B
 * continues it. */
static const char small[] = "matchd-skill-tagger\t1\n"
                            "# a comment\n"
                            "param\tthreshold\t0\n"
                            "b=\t1000\t0\t0\n"
                            "w=terraform\t0\t5000\t0\n"
                            "w=cloud\t0\t3000\t0\n"
                            "tw=B|formation\t0\t0\t6000\n";

Test(tagger, loads_and_decodes_hand_made_weights)
{
	struct cv_tagger t;
	char err[128];
	cr_assert_eq(load_str(&t, small, err, sizeof err), 0, "%s", err);
	cr_assert_eq(t.nfeatures, 4);
	cr_assert(cv_tagger_loaded(&t));
	struct cv_tag_line lines[] = {
		{ "Jane Doe, engineer", 18, CV_SEC_NONE, false },
		{ "Skills: Terraform, cloud formation, Go", 38, CV_SEC_SKILLS, false },
	};
	struct phrases p;
	tag(&t, lines, 2, NULL, 0, &p);
	cr_assert_eq(p.n, 2, "phrases: %d", p.n);
	cr_assert_str_eq(p.text[0], "Terraform");
	cr_assert_str_eq(p.text[1], "cloud formation");
	cr_assert_eq(p.line[0], 1);
	cv_tagger_release(&t);
	cr_assert_not(cv_tagger_loaded(&t));
	cv_tagger_release(&t); /* twice is safe */
}

Test(tagger, threshold_trades_precision_for_recall)
{
	struct cv_tagger t;
	cr_assert_eq(load_str(&t, small, NULL, 0), 0);
	struct cv_tag_line lines[] = { { "Terraform and cloud", 19, CV_SEC_SKILLS, false } };
	struct phrases p;
	t.threshold = 3500; /* B must beat O by more than 3500: "terraform" (5000 - 1000) only */
	tag(&t, lines, 1, NULL, 0, &p);
	cr_assert_eq(p.n, 1);
	cr_assert_str_eq(p.text[0], "Terraform");
	t.threshold = -2000; /* "and" (0 - 1000) now passes too and joins nothing: it is a B */
	tag(&t, lines, 1, NULL, 0, &p);
	cr_assert_eq(p.n, 3, "phrases: %d", p.n);
	cv_tagger_release(&t);
}

/* "big" alone loses to O, but "big" as B lets "data" be an I worth far more. */
static const char lookahead[] = "matchd-skill-tagger\t1\n"
                                "param\tthreshold\t0\n"
                                "b=\t1000\t0\t0\n"
                                "w=big\t0\t900\t0\n"
                                "tw=B|data\t0\t0\t6000\n";

Test(tagger, viterbi_sees_what_greedy_cannot)
{
	struct cv_tagger t;
	char err[128];
	cr_assert_eq(load_str(&t, lookahead, err, sizeof err), 0, "%s", err);
	cr_assert_eq(t.decode, 0, "greedy by default");
	struct cv_tag_line lines[] = { { "big data and big", 16, CV_SEC_SKILLS, false } };
	struct phrases p;
	tag(&t, lines, 1, NULL, 0, &p);
	cr_assert_eq(p.n, 0, "greedy: \"big\" loses to O, then \"data\" cannot be I");
	t.decode = 1;
	tag(&t, lines, 1, NULL, 0, &p);
	cr_assert_eq(p.n, 1, "phrases: %d", p.n);
	cr_assert_str_eq(p.text[0], "big data", "the last \"big\" gains nothing as B");
	t.threshold = 6000; /* B and I now pay more than the pair is worth */
	tag(&t, lines, 1, NULL, 0, &p);
	cr_assert_eq(p.n, 0);
	cv_tagger_release(&t);
	const char bad[] = "matchd-skill-tagger\t1\nparam\tdecode\t2\n";
	cr_assert_eq(load_str(&t, bad, err, sizeof err), MD_EINVAL);
}

static char trace_buf[8192];

static void trace(void *ctx, size_t line, size_t off, const char *token, size_t len,
                  const char *features)
{
	(void)line;
	(void)off;
	if (len == 6 && memcmp(token, "Docker", 6) == 0)
		snprintf(trace_buf, sizeof trace_buf, "%s", features);
	(*(int *)ctx)++;
}

Test(tagger, trace_shows_the_features)
{
	struct cv_tagger t = { 0 };
	int count = 0;
	t.trace = trace;
	t.trace_ctx = &count;
	struct cv_tag_line lines[] = { { "Tools: Docker, node.js, C++", 27, CV_SEC_SKILLS,
		                         false } };
	struct cv_tag_span sp[] = { { 0, 7, 6 } };
	struct phrases p;
	tag(&t, lines, 1, sp, 1, &p);
	cr_assert_eq(p.n, 0, "an empty tagger tags nothing");
	/* Tools : Docker , node.js , C++ */
	cr_assert_eq(count, 7, "tokens: %d", count);
	cr_assert(strstr(trace_buf, "w=docker "), "%s", trace_buf);
	cr_assert(strstr(trace_buf, "s=Xx "), "%s", trace_buf);
	cr_assert(strstr(trace_buf, "w+1=, "), "%s", trace_buf);
	cr_assert(strstr(trace_buf, "w+2=node.js "), "%s", trace_buf);
	cr_assert(strstr(trace_buf, "w-2=tools "), "%s", trace_buf);
	cr_assert(strstr(trace_buf, "sec=5 "), "%s", trace_buf);
	cr_assert(strstr(trace_buf, "acol= "), "%s", trace_buf);
	cr_assert(strstr(trace_buf, "tx=B "), "%s", trace_buf);
}

Test(tagger, malformed_files_are_refused)
{
	static const char *const bad[] = {
		"",
		"# only a comment\n",
		"matchd-skill-tagger\t2\nb=\t1\t2\t3\n",
		"b=\t1\t2\t3\nmatchd-skill-tagger\t1\n",
		"matchd-skill-tagger\t1\nb=\t1\t2\n",
		"matchd-skill-tagger\t1\nb=\t1\t2\t3\t4\n",
		"matchd-skill-tagger\t1\nb=\t1\tx\t3\n",
		"matchd-skill-tagger\t1\nb=\t1\t\t3\n",
		"matchd-skill-tagger\t1\nb=\t1\t2\t99999999999\n",
		"matchd-skill-tagger\t1\nb=\t1\t2\t2147483648\n",
		"matchd-skill-tagger\t1\nb=\t1\t2\t-\n",
		"matchd-skill-tagger\t1\nb=\t1\t2\t3\nb=\t4\t5\t6\n",
		"matchd-skill-tagger\t1\na b\t1\t2\t3\n",
		"matchd-skill-tagger\t1\n\t1\t2\t3\n",
		"matchd-skill-tagger\t1\nparam\tepochs\t3\n",
		"matchd-skill-tagger\t1\nparam\tthreshold\tlow\n",
		"matchd-skill-tagger\t1\nparam\tfilter\t3\n",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct cv_tagger t;
		char err[128] = "";
		int rc = load_str(&t, bad[i], err, sizeof err);
		cr_assert_eq(rc, MD_EINVAL, "case %zu: %s", i, md_strerror(rc));
		cr_assert(err[0], "case %zu: no message", i);
		cr_assert_eq(t.slots, NULL);
		cr_assert_not(cv_tagger_loaded(&t));
	}
	struct cv_tagger t;
	cr_assert_eq(
	    load_str(&t, "matchd-skill-tagger\t1\nb=\t-2147483648\t0\t2147483647\n", NULL, 0), 0);
	cv_tagger_release(&t);
	cr_assert_eq(cv_tagger_load(&t, small, CV_TAGGER_MAX_BYTES + 1, NULL, 0), MD_ELIMIT);
}

/* "rust" has no weight of its own; its cluster (shared with "golang") is worth a B. */
static const char clustered[] = "matchd-skill-tagger\t1\n"
                                "param\tthreshold\t0\n"
                                "cluster\tgolang\t0110\n"
                                "cluster\trust\t01101\n"
                                "cluster\tpython\t011010110011\n"
                                "cluster\tand\t1\n"
                                "b=\t1000\t0\t0\n"
                                "c4=0110\t0\t4000\t0\n";

Test(tagger, a_cluster_feature_tags_an_unseen_word)
{
	struct cv_tagger t;
	char err[128];
	cr_assert_eq(load_str(&t, clustered, err, sizeof err), 0, "%s", err);
	cr_assert_eq(t.nclusters, 4);
	cr_assert_eq(t.nfeatures, 2);
	struct cv_tag_line lines[] = { { "Rust and Java", 13, CV_SEC_SKILLS, false } };
	struct phrases p;
	tag(&t, lines, 1, NULL, 0, &p);
	cr_assert_eq(p.n, 1, "phrases: %d", p.n);
	cr_assert_str_eq(p.text[0], "Rust", "java has no cluster, \"and\" another one");
	cv_tagger_release(&t);
	cr_assert_eq(t.clusters, NULL);
	/* The same weights without the cluster lines: nothing singles "rust" out. */
	const char plain[] = "matchd-skill-tagger\t1\nb=\t1000\t0\t0\nc4=0110\t0\t4000\t0\n";
	cr_assert_eq(load_str(&t, plain, err, sizeof err), 0, "%s", err);
	tag(&t, lines, 1, NULL, 0, &p);
	cr_assert_eq(p.n, 0, "phrases: %d", p.n);
	cv_tagger_release(&t);
}

Test(tagger, cluster_features_are_traced_only_with_clusters)
{
	struct cv_tagger t;
	char err[128];
	int count = 0;
	struct cv_tag_line lines[] = { { "Skills: Python, Docker", 22, CV_SEC_SKILLS, false } };
	struct phrases p;
	cr_assert_eq(load_str(&t, clustered, err, sizeof err), 0, "%s", err);
	t.trace = trace;
	t.trace_ctx = &count;
	trace_buf[0] = '\0';
	tag(&t, lines, 1, NULL, 0, &p);
	/* Docker has no cluster; before it "," and after it the line's end; two before it, the
	 * 12-bit path of "python" (prefixes cut at 4, 8 and 12 bits; c-1 is the comma). */
	cr_assert(strstr(trace_buf, " c=? c-1=p c+1=$"), "%s", trace_buf);
	cv_tagger_release(&t);
	cr_assert_eq(load_str(&t, small, err, sizeof err), 0, "%s", err);
	t.trace = trace;
	t.trace_ctx = &count;
	trace_buf[0] = '\0';
	tag(&t, lines, 1, NULL, 0, &p);
	cr_assert(trace_buf[0] && !strstr(trace_buf, " c"), "%s", trace_buf);
	cv_tagger_release(&t);
}

static char python_trace[8192];

static void trace_python(void *ctx, size_t line, size_t off, const char *token, size_t len,
                         const char *features)
{
	(void)ctx;
	(void)line;
	(void)off;
	if (len == 6 && memcmp(token, "Python", 6) == 0)
		snprintf(python_trace, sizeof python_trace, "%s", features);
}

Test(tagger, cluster_prefixes_of_a_word_and_its_neighbours)
{
	struct cv_tagger t;
	char err[128];
	cr_assert_eq(load_str(&t, clustered, err, sizeof err), 0, "%s", err);
	t.trace = trace_python;
	struct cv_tag_line lines[] = { { "rust Python and", 15, CV_SEC_SKILLS, false } };
	struct phrases p;
	tag(&t, lines, 1, NULL, 0, &p);
	cr_assert(strstr(python_trace, " c4=0110 c8=01101011 c12=011010110011 c-1=01101 c+1=1"),
	          "%s", python_trace);
	cv_tagger_release(&t);
}

Test(tagger, malformed_cluster_lines_are_refused_with_their_line)
{
	static const struct {
		const char *text, *err;
	} bad[] = {
		{ "matchd-skill-tagger\t1\ncluster\tgo\n", "line 2: expected cluster" },
		{ "matchd-skill-tagger\t1\ncluster\tgo\t01\t1\n", "line 2: expected cluster" },
		{ "matchd-skill-tagger\t1\n#\ncluster\tgo\t012\n", "line 3: bad cluster bits" },
		{ "matchd-skill-tagger\t1\ncluster\tgo\t\n", "line 2: bad cluster bits" },
		{ "matchd-skill-tagger\t1\ncluster\tgo\t01010101010101010\n",
		  "line 2: bad cluster bits" },
		{ "matchd-skill-tagger\t1\ncluster\t\t01\n", "line 2: bad cluster word" },
		{ "matchd-skill-tagger\t1\ncluster\tg o\t01\n", "line 2: bad cluster word" },
		{ "matchd-skill-tagger\t1\n"
		  "cluster\tabcdefghijabcdefghijabcdefghijabcdefghijx\t01\n",
		  "line 2: bad cluster word" },
		{ "matchd-skill-tagger\t1\ncluster\tgo\t01\nb=\t1\t2\t3\ncluster\tgo\t1\n",
		  "line 4: duplicate cluster word" },
		{ "cluster\tgo\t01\n", "line 1: not a matchd-skill-tagger 1 file" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct cv_tagger t;
		char err[128] = "";
		int rc = load_str(&t, bad[i].text, err, sizeof err);
		cr_assert_eq(rc, MD_EINVAL, "case %zu: %s", i, md_strerror(rc));
		cr_assert(strstr(err, bad[i].err), "case %zu: %s", i, err);
		cr_assert_eq(t.clusters, NULL);
		cr_assert_eq(t.nclusters, 0);
	}
	/* 40 bytes is the longest word the tagger keeps, and 16 bits the longest path. */
	struct cv_tagger t;
	char err[128] = "";
	cr_assert_eq(
	    load_str(&t,
	             "matchd-skill-tagger\t1\n"
	             "cluster\tabcdefghijabcdefghijabcdefghijabcdefghij\t0101010101010101\n",
	             err, sizeof err),
	    0, "%s", err);
	cr_assert_eq(t.nclusters, 1);
	cr_assert_not(cv_tagger_loaded(&t), "clusters alone are no weights");
	cv_tagger_release(&t);
}

Test(tagger, a_long_line_and_odd_bytes_do_not_crash)
{
	struct cv_tagger t;
	cr_assert_eq(load_str(&t, small, NULL, 0), 0);
	size_t n = 300000;
	char *s = md_malloc(n);
	for (size_t i = 0; i < n; i++)
		s[i] = "terraform \xff\xe2\x80\xa2,:.+#"[i % 19];
	struct cv_tag_line lines[] = { { s, n, CV_SEC_SKILLS, true } };
	struct cv_tag_span sp[] = { { 0, 0, n }, { 0, 5, 3 } };
	struct phrases p;
	tag(&t, lines, 1, sp, 2, &p);
	cr_assert_eq(p.n, 16, "the callback saw phrases");
	md_free(s);
	cv_tagger_release(&t);
}

Test(tagger, real_weights_tag_a_made_up_cv)
{
	size_t len;
	char *text = test_slurp("data/skills_tagger.tsv", &len);
	cr_assert(text, "data/skills_tagger.tsv not readable (run from the repository root)");
	struct cv_tagger t;
	char err[128];
	int rc = cv_tagger_load(&t, text, len, err, sizeof err);
	md_free(text);
	cr_assert_eq(rc, 0, "%s %s", md_strerror(rc), err);
	cr_assert_gt(t.nfeatures, 1000);
	struct cv_tag_line lines[] = {
		{ "John Smith", 10, CV_SEC_NONE, false },
		{ "TECHNICAL SKILLS", 16, CV_SEC_SKILLS, true },
		{ "Languages: Java, Python, JavaScript", 35, CV_SEC_SKILLS, false },
		{ "Tools: Eclipse, Jenkins, Maven", 30, CV_SEC_SKILLS, false },
	};
	struct phrases p;
	tag(&t, lines, 4, NULL, 0, &p);
	bool java = false, eclipse = false;
	for (int i = 0; i < p.n; i++) {
		cr_assert_neq(p.line[i], 0, "the name is no skill: %s", p.text[i]);
		java |= strcmp(p.text[i], "Java") == 0;
		eclipse |= strcmp(p.text[i], "Eclipse") == 0;
	}
	cr_assert(java && eclipse, "phrases: %d, first %s", p.n, p.n ? p.text[0] : "");
	cv_tagger_release(&t);
}

/* Through cv_match: a tiny taxonomy with hand-made weights attached, as the server attaches
 * the real ones. */
static const char tiny_tsv[] = "id\tlabel\ttype\tcategory\thot\taliases\tbroader\tneeds_context\n"
                               "onet:docker\tDocker\tonet\tcontainers\t0\t\t\t\n"
                               "esco:pm\tproject management\tesco\tskills\t0\t\t\t\n";
static const char tiny_weights[] = "matchd-skill-tagger\t1\n"
                                   "param\tthreshold\t0\n"
                                   "param\tfilter\t1\n"
                                   "b=\t1000\t0\t0\n"
                                   "w=tune\t0\t5000\t0\n"
                                   "tw=B|up\t0\t0\t6000\n"
                                   "tw=I|procedures\t0\t0\t6000\n"
                                   "w=docker\t0\t5000\t0\n";

static const struct cv_skill_found *skill_named(const struct cv_result *r, const char *name)
{
	for (size_t i = 0; i < r->n_skills; i++)
		if (strcmp(r->skills[i].name, name) == 0)
			return &r->skills[i];
	return NULL;
}

Test(tagger, phrases_join_skills_found)
{
	struct cv_taxonomy tax;
	struct cv_tagger tg;
	char err[128];
	cr_assert_eq(cv_taxonomy_load(&tax, tiny_tsv, strlen(tiny_tsv), err, sizeof err), 0, "%s",
	             err);
	cr_assert_eq(load_str(&tg, tiny_weights, err, sizeof err), 0, "%s", err);
	cr_assert_eq(tg.filter, 1);
	const char *page = "Jane Doe\n"
	                   "EXPERIENCE\n"
	                   "Engineer, Acme, 2019 - 2021\n"
	                   "Did project management and tune up procedures with Docker.\n";
	struct cv_requirements q;
	cv_requirements_init(&q);
	struct cv_input in = {
		.pages = &page, .n_pages = 1, .req = &q, .as_of = 20454, .taxonomy = &tax
	};
	struct cv_result r;
	cr_assert_eq(cv_match(&in, &r), 0);
	cr_assert(skill_named(&r, "project management"), "without the tagger every hit is listed");
	cr_assert_null(skill_named(&r, "tune up procedures"));
	cv_result_release(&r);

	tax.tagger = &tg;
	cr_assert_eq(cv_match(&in, &r), 0);
	const struct cv_skill_found *f = skill_named(&r, "tune up procedures");
	cr_assert(f, "the tagged phrase is a skill");
	cr_assert_str_eq(f->id, "", "no taxonomy id");
	cr_assert_str_eq(f->as_written, "tune up procedures");
	f = skill_named(&r, "Docker");
	cr_assert(f, "a tagged taxonomy name stays that skill");
	cr_assert_str_eq(f->id, "onet:docker");
	cr_assert_null(skill_named(&r, "project management"),
	               "the filter drops a prose hit the tagger does not tag");
	cv_result_release(&r);

	tg.filter = 2; /* ESCO skills only: still voted on */
	cr_assert_eq(cv_match(&in, &r), 0);
	cr_assert_null(skill_named(&r, "project management"));
	cr_assert(skill_named(&r, "Docker"));
	cv_result_release(&r);

	tg.filter = 0;
	cr_assert_eq(cv_match(&in, &r), 0);
	cr_assert(skill_named(&r, "project management"));
	cv_result_release(&r);
	cv_requirements_release(&q);
	cv_tagger_release(&tg);
	cv_taxonomy_release(&tax);
}
