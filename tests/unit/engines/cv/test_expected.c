/*
 * The engine against what a careful human reads off the ten shared CVs
 * (tests/data/cv_expected/<pdf>.json). The engine runs on the `pdftotext -layout` text beside
 * each PDF (pages split at form feeds), so these facts do not depend on the PDF reader.
 *
 * Fields per CV: name, email, positions (title and organisation compared loosely: case,
 * punctuation, one containing the other, or 85% similar; dates exactly), total years (within
 * 0.1), degree levels (ISCED), languages (name, level when given), top skills (found through
 * the taxonomy of data/skills.tsv, so named by its preferred labels). Every
 * mismatch is logged with both values; the test asserts that at least 8 of the 10 CVs have
 * every field right and that every CV has at least 5 of its 7 fields right. Mismatches are
 * logged at info level ("MISMATCH ..."): Criterion exits non-zero on any warning.
 */
#include <criterion/criterion.h>
#include <criterion/logging.h>

#include "base/common.h"
#include "base/timeutil.h"

#include <jansson.h>
#include <math.h>
#include <strings.h>

#include "engines/cv/cv.h"
#include "engines/cv/tagger.h"

#define PDFS "../shared/data/cv/pdfs/"
#define EXPECTED "tests/data/cv_expected/"
#define N_FIELDS 7

static const char *const cvs[] = {
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

/* Lower-case ASCII letters and digits, and every non-ASCII byte: "Co-Founder & CTO" -> "cofoundercto". */
static void squash(const char *s, char *out, size_t cap)
{
	size_t o = 0;
	for (; s && *s && o + 1 < cap; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 'A' && c <= 'Z')
			out[o++] = (char)(c + 32);
		else if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80)
			out[o++] = (char)c;
	}
	out[o] = '\0';
}

static size_t levenshtein(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = calloc(lb + 1, sizeof *row);
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t prev = row[0];
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t cur = row[j];
			size_t sub = prev + (a[i - 1] != b[j - 1]);
			row[j] = MD_MIN(MD_MIN(row[j] + 1, row[j - 1] + 1), sub);
			prev = cur;
		}
	}
	size_t d = row[lb];
	free(row);
	return d;
}

/* Same text up to case and punctuation, one inside the other, or 85% alike. */
static bool loosely_equal(const char *want, const char *got)
{
	char a[256], b[256];
	squash(want, a, sizeof a);
	squash(got, b, sizeof b);
	if (!a[0] || !b[0])
		return !a[0] && !b[0];
	if (strstr(a, b) || strstr(b, a))
		return MD_MIN(strlen(a), strlen(b)) >= 3;
	size_t m = MD_MAX(strlen(a), strlen(b));
	return 1.0 - (double)levenshtein(a, b) / (double)m >= 0.85;
}

static const char *or_empty(const json_t *v)
{
	return json_is_string(v) ? json_string_value(v) : "";
}

static char *read_all(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	size_t cap = 1 << 20;
	char *data = malloc(cap);
	*n = fread(data, 1, cap - 1, f);
	data[*n] = '\0';
	fclose(f);
	return data;
}

static char *read_all_big(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s (run from the repository root)", path);
	fseek(f, 0, SEEK_END);
	long size = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *data = malloc((size_t)size + 1);
	*n = fread(data, 1, (size_t)size, f);
	data[*n] = '\0';
	fclose(f);
	return data;
}

struct check {
	const char *cv;
	int right, total;
};

static void field(struct check *c, bool ok, const char *what, const char *want, const char *got)
{
	c->total++;
	c->right += ok;
	if (!ok)
		cr_log_info("MISMATCH %s: %s: want \"%s\", got \"%s\"", c->cv, what, want, got);
}

static bool check_positions(struct check *c, const json_t *want, const struct cv_result *r)
{
	bool ok = json_array_size(want) == r->n_positions;
	if (!ok)
		cr_log_info("MISMATCH %s: positions: want %zu, got %zu", c->cv,
		            json_array_size(want), r->n_positions);
	for (size_t i = 0; i < json_array_size(want) && i < r->n_positions; i++) {
		const json_t *w = json_array_get(want, i);
		const struct cv_position *p = &r->positions[i];
		char s[16], e[16];
		cv_date_point_format(p->start, s, sizeof s);
		cv_date_point_format(p->end, e, sizeof e);
		const char *kind = p->kind == CV_POS_WORK ? "work" : "volunteer";
		struct {
			const char *what, *want, *got;
			bool ok;
		} f[] = {
			{ "title", or_empty(json_object_get(w, "title")), p->title, false },
			{ "organisation", or_empty(json_object_get(w, "organisation")),
			  p->organisation, false },
			{ "start", or_empty(json_object_get(w, "start")), s, false },
			{ "end", or_empty(json_object_get(w, "end")), p->current ? "" : e, false },
			{ "kind", or_empty(json_object_get(w, "kind")), kind, false },
		};
		f[0].ok = loosely_equal(f[0].want, f[0].got);
		f[1].ok = loosely_equal(f[1].want, f[1].got);
		f[2].ok = strcmp(f[2].want, f[2].got) == 0;
		f[3].ok = !json_object_get(w, "end") || strcmp(f[3].want, f[3].got) == 0;
		f[4].ok = strcmp(f[4].want, f[4].got) == 0;
		bool cur_ok = json_is_true(json_object_get(w, "current")) == p->current;
		for (size_t k = 0; k < ARRAY_SIZE(f); k++)
			if (!f[k].ok) {
				cr_log_info("MISMATCH %s: position %zu %s: want \"%s\", got \"%s\"",
				            c->cv, i, f[k].what, f[k].want, f[k].got);
				ok = false;
			}
		if (!cur_ok) {
			cr_log_info("MISMATCH %s: position %zu current: want %d, got %d", c->cv, i,
			            !p->current, p->current);
			ok = false;
		}
	}
	c->total++;
	c->right += ok;
	return ok;
}

static int cmp_int_desc(const void *a, const void *b)
{
	return *(const int *)b - *(const int *)a;
}

static void check_degrees(struct check *c, const json_t *want, const struct cv_result *r)
{
	int got[32];
	size_t n = MD_MIN(r->n_degrees, ARRAY_SIZE(got));
	for (size_t i = 0; i < n; i++)
		got[i] = r->degrees[i].isced;
	qsort(got, n, sizeof *got, cmp_int_desc);
	char ws[128] = "", gs[128] = "";
	bool ok = json_array_size(want) == n;
	for (size_t i = 0; i < json_array_size(want); i++) {
		int w = (int)json_integer_value(json_array_get(want, i));
		snprintf(ws + strlen(ws), sizeof ws - strlen(ws), "%d ", w);
		ok = ok && got[i] == w;
	}
	for (size_t i = 0; i < n; i++)
		snprintf(gs + strlen(gs), sizeof gs - strlen(gs), "%d ", got[i]);
	field(c, ok, "degree levels", ws, gs);
}

static void check_languages(struct check *c, const json_t *want, const struct cv_result *r)
{
	char gs[256] = "";
	for (size_t i = 0; i < r->n_languages; i++)
		snprintf(gs + strlen(gs), sizeof gs - strlen(gs), "%s/%s ", r->languages[i].name,
		         cv_lang_level_name(r->languages[i].level));
	bool ok = json_array_size(want) == r->n_languages;
	char ws[256] = "";
	for (size_t i = 0; i < json_array_size(want); i++) {
		const json_t *w = json_array_get(want, i);
		const char *name = or_empty(json_object_get(w, "name"));
		const char *lv = or_empty(json_object_get(w, "level"));
		snprintf(ws + strlen(ws), sizeof ws - strlen(ws), "%s/%s ", name, lv[0] ? lv : "*");
		bool found = false;
		for (size_t k = 0; k < r->n_languages; k++)
			if (strcmp(r->languages[k].name, name) == 0)
				found = !lv[0] ||
				        strcmp(cv_lang_level_name(r->languages[k].level), lv) == 0;
		ok = ok && found;
	}
	field(c, ok, "languages", ws, gs);
}

static void check_skills(struct check *c, const json_t *want, const struct cv_result *r)
{
	char missing[256] = "";
	for (size_t i = 0; i < json_array_size(want); i++) {
		const char *s = or_empty(json_array_get(want, i));
		bool found = false;
		for (size_t k = 0; k < r->n_skills && !found; k++)
			found = strcasecmp(r->skills[k].name, s) == 0;
		if (!found)
			snprintf(missing + strlen(missing), sizeof missing - strlen(missing), "%s ",
			         s);
	}
	field(c, missing[0] == '\0', "top skills", "all found", missing);
}

/* The taxonomy of data/skills.tsv (the tests run from the repository root), loaded once. */
static const struct cv_taxonomy *taxonomy(void)
{
	static struct cv_taxonomy t;
	static bool loaded;
	if (loaded)
		return &t;
	size_t n;
	char *tsv = read_all_big("data/skills.tsv", &n);
	char err[200] = "";
	int rc = cv_taxonomy_load(&t, tsv, n, err, sizeof err);
	free(tsv);
	cr_assert_eq(rc, 0, "data/skills.tsv: %s %s", md_strerror(rc), err);
	/* With the phrase tagger, as the server loads them (src/api/taxonomy_loader.c). */
	static struct cv_tagger tg;
	char *w = read_all_big("data/skills_tagger.tsv", &n);
	rc = cv_tagger_load(&tg, w, n, err, sizeof err);
	free(w);
	cr_assert_eq(rc, 0, "data/skills_tagger.tsv: %s %s", md_strerror(rc), err);
	t.tagger = &tg;
	loaded = true;
	return &t;
}

/* Runs the engine on one CV and returns how many of its fields are right. */
static struct check run_cv(const char *name)
{
	char path[256];
	snprintf(path, sizeof path, EXPECTED "%s.json", name);
	json_error_t jerr;
	json_t *exp = json_load_file(path, 0, &jerr);
	cr_assert_not_null(exp, "%s: %s", path, jerr.text);
	snprintf(path, sizeof path, PDFS "%s.txt", name);
	size_t n;
	char *text = read_all(path, &n);
	const char *pages[32];
	size_t np = 0;
	for (char *p = text; np < ARRAY_SIZE(pages);) {
		pages[np++] = p;
		char *ff = strchr(p, '\f');
		if (!ff)
			break;
		*ff = '\0';
		p = ff + 1;
	}
	if (np > 1 && strspn(pages[np - 1], " \n\r\t") == strlen(pages[np - 1]))
		np--;
	int64_t as_of;
	cr_assert_eq(md_parse_date(or_empty(json_object_get(exp, "as_of")), &as_of), 0);
	struct cv_requirements q;
	cv_requirements_init(&q);
	struct cv_input in = { pages, np, NULL, &q, as_of, NULL, NULL, taxonomy() };
	struct cv_result r;
	cr_assert_eq(cv_match(&in, &r), 0, "%s: cv_match failed", name);

	struct check c = { name, 0, 0 };
	const char *wn = or_empty(json_object_get(exp, "name"));
	field(&c, loosely_equal(wn, r.contact.name) && (wn[0] != 0) == (r.contact.name[0] != 0),
	      "name", wn, r.contact.name);
	const char *we = or_empty(json_object_get(exp, "email"));
	field(&c, strcasecmp(we, r.contact.email) == 0, "email", we, r.contact.email);
	check_positions(&c, json_object_get(exp, "positions"), &r);
	double wy = json_number_value(json_object_get(exp, "total_years"));
	char wys[32], gys[32];
	snprintf(wys, sizeof wys, "%.2f", wy);
	snprintf(gys, sizeof gys, "%.2f", r.experience_years);
	field(&c, fabs(wy - r.experience_years) <= 0.1, "total years", wys, gys);
	check_degrees(&c, json_object_get(exp, "degree_levels"), &r);
	check_languages(&c, json_object_get(exp, "languages"), &r);
	check_skills(&c, json_object_get(exp, "top_skills"), &r);

	cv_result_release(&r);
	cv_requirements_release(&q);
	json_decref(exp);
	free(text);
	return c;
}

Test(cv_expected, ten_shared_cvs)
{
	int all_right = 0;
	for (size_t i = 0; i < ARRAY_SIZE(cvs); i++) {
		struct check c = run_cv(cvs[i]);
		cr_assert_eq(c.total, N_FIELDS);
		all_right += c.right == c.total;
		cr_log_info("%s: %d/%d fields right", cvs[i], c.right, c.total);
		cr_expect_geq(c.right, 5, "%s: only %d of %d fields right", cvs[i], c.right,
		              c.total);
	}
	cr_log_info("CVs with every field right: %d of %zu", all_right, ARRAY_SIZE(cvs));
	cr_assert_geq(all_right, 10, "only %d of %zu CVs fully right", all_right, ARRAY_SIZE(cvs));
}
