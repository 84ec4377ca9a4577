/* Reading order from glyph boxes (src/engines/cv/layout.c) and word repairs (repair.c). */
#include <criterion/criterion.h>
#include <math.h>

#include "base/common.h"
#include "engines/cv/layout.h"
#include "engines/cv/repair.h"

struct glyphs {
	struct cv_glyph g[4096];
	size_t n;
};

/* Lays s out from (x, baseline y) in a fixed-pitch font: half the size per character. */
static double put(struct glyphs *v, const char *s, double x, double y, double size, bool bold)
{
	for (; *s; s++) {
		cr_assert_lt(v->n, ARRAY_SIZE(v->g));
		double w = size / 2;
		v->g[v->n++] =
		    (struct cv_glyph){ (unsigned char)*s, x, y - size, x + w, y, size, bold };
		x += w;
	}
	return x;
}

static void put_cp(struct glyphs *v, uint32_t cp, double x, double y, double size)
{
	v->g[v->n++] = (struct cv_glyph){ cp, x, y - size, x + size / 2, y, size, false };
}

static char *layout(const struct glyphs *v, struct cv_layout_info *info)
{
	struct buf b;
	buf_init(&b, 1 << 20);
	int rc = cv_layout_page(v->g, v->n, 612, 792, &b, info);
	cr_assert_eq(rc, 0, "cv_layout_page: %d", rc);
	return b.data ? buf_take(&b) : md_strndup("", 0);
}

/* Index of the line of text holding needle, or -1. */
static int line_of(const char *text, const char *needle)
{
	const char *p = strstr(text, needle);
	if (!p)
		return -1;
	int line = 0;
	for (const char *q = text; q < p; q++)
		line += *q == '\n';
	return line;
}

Test(cv_layout, two_columns_do_not_interleave)
{
	static struct glyphs v;
	v.n = 0;
	for (int i = 0; i < 12; i++) {
		char l[64], r[64];
		snprintf(l, sizeof l, "Left item %02d and some words", i);
		snprintf(r, sizeof r, "Right entry %02d and some more words", i);
		put(&v, l, 50, 100 + 14 * i, 10, false);
		put(&v, r, 330, 100 + 14 * i, 10, false);
	}
	struct cv_layout_info info;
	char *t = layout(&v, &info);
	cr_assert_eq(info.columns, 2, "columns %zu\n%s", info.columns, t);
	/* Columns of the same height on the same baselines: both wide enough to be columns. */
	int last_left = line_of(t, "Left item 11"), first_right = line_of(t, "Right entry 00");
	cr_assert(last_left >= 0 && first_right > last_left, "left %d right %d\n%s", last_left,
	          first_right, t);
	for (int i = 0; i < 12; i++) {
		char l[64], r[64];
		snprintf(l, sizeof l, "Left item %02d", i);
		snprintf(r, sizeof r, "Right entry %02d", i);
		cr_assert_neq(line_of(t, l), line_of(t, r), "merged: %s\n%s", l, t);
	}
	md_free(t);
}

Test(cv_layout, header_then_main_then_sidebar)
{
	static struct glyphs v;
	v.n = 0;
	put(&v, "JANE DOE SENIOR DATA ENGINEER AT SOMEWHERE", 150, 60, 14, true);
	put(&v, "EXPERIENCE", 50, 100, 11, true);
	for (int i = 0; i < 10; i++) {
		char l[80];
		snprintf(l, sizeof l, "Built pipelines and shipped features number %02d", i);
		put(&v, l, 50, 116 + 13 * i, 10, false);
	}
	/* Sidebar: other baselines, narrower, on the right. */
	put(&v, "SKILLS", 420, 105, 11, true);
	for (int i = 0; i < 8; i++) {
		char l[40];
		snprintf(l, sizeof l, "Skill %d", i);
		put(&v, l, 420, 122 + 15 * i, 10, false);
	}
	struct cv_layout_info info;
	char *t = layout(&v, &info);
	cr_assert_eq(info.columns, 2, "%s", t);
	int head = line_of(t, "JANE DOE"), exp = line_of(t, "EXPERIENCE"),
	    last = line_of(t, "number 09"), skills = line_of(t, "SKILLS"),
	    s7 = line_of(t, "Skill 7");
	cr_assert(head == 0 && exp > head && last > exp && skills > last && s7 > skills, "%s", t);
	cr_assert_null(strstr(t, "number 00 Skill"), "%s", t);
	md_free(t);
}

Test(cv_layout, label_column_stays_on_its_row)
{
	static struct glyphs v;
	v.n = 0;
	for (int i = 0; i < 6; i++) {
		char d[32], j[80];
		snprintf(d, sizeof d, "%d - %d", 2010 + i, 2011 + i);
		snprintf(j, sizeof j, "Engineer at Company %d, Paris, working on things", i);
		put(&v, d, 40, 100 + 40 * i, 10, false);
		put(&v, j, 120, 100 + 40 * i, 10, false);
		put(&v, "Description of the work that was done there", 120, 113 + 40 * i, 10,
		    false);
	}
	struct cv_layout_info info;
	char *t = layout(&v, &info);
	cr_assert_eq(info.columns, 1, "%s", t);
	cr_assert_not_null(strstr(t, "2012 - 2013 Engineer at Company 2"), "%s", t);
	md_free(t);
}

Test(cv_layout, paragraphs_hyphenation_headings_items)
{
	static struct glyphs v;
	v.n = 0;
	put(&v, "SUMMARY", 50, 100, 12, true);
	put(&v, "We build tools for the cloud and for develop-", 50, 116, 10, false);
	put(&v, "ment teams that are cloud-native, and the cloud-", 50, 129, 10, false);
	put(&v, "native stack is what we know and love so much.", 50, 142, 10, false);
	put(&v, "EXPERIENCE", 50, 170, 12, true);
	put(&v, "- Led a team", 50, 186, 10, false);
	put(&v, "- Shipped it", 50, 199, 10, false);
	struct cv_layout_info info;
	char *t = layout(&v, &info);
	cr_assert_eq(info.hyphens, 2, "hyphens %zu\n%s", info.hyphens, t);
	cr_assert_not_null(strstr(t, "SUMMARY\nWe build"), "%s", t);
	cr_assert_not_null(strstr(t, "develop\xC2\xADment teams"), "%s", t);
	cr_assert_not_null(strstr(t, "love so much.\n"), "%s", t);
	cr_assert_not_null(strstr(t, "EXPERIENCE\n- Led a team\n- Shipped it"), "%s", t);

	struct buf b;
	buf_init(&b, 1 << 20);
	cr_assert_eq(buf_puts(&b, t), 0);
	size_t nw;
	const char *const *w = cv_words_builtin(&nw);
	int joined = 0;
	cr_assert_eq(cv_repair_hyphens(&b, w, nw, &joined), 0);
	cr_assert_not_null(strstr(b.data, "development teams"), "%s", b.data);
	cr_assert_not_null(strstr(b.data, "the cloud-native stack"), "%s", b.data);
	cr_assert_eq(joined, 1);
	buf_release(&b);
	md_free(t);
}

Test(cv_layout, line_hyphens_of_plain_text)
{
	/* A job description pasted from a PDF: its line breaks carry the hyphens themselves. */
	struct buf b;
	buf_init(&b, 1 << 16);
	cr_assert_eq(buf_puts(&b, "Memory Management, Transaction man-\n     agement, the cloud-\n"
	                          "native stack; Java-\nEE and re-\n"),
	             0);
	size_t nw;
	const char *const *w = cv_words_builtin(&nw);
	int joined = 0;
	cr_assert_eq(cv_repair_line_hyphens(&b, w, nw, &joined), 0);
	cr_assert_str_eq(b.data, "Memory Management, Transaction management, the cloud-native "
	                         "stack; Java-\nEE and re-\n");
	cr_assert_eq(joined, 1);
	buf_release(&b);
}

Test(cv_layout, icons_macros_and_tabs)
{
	static struct glyphs v;
	v.n = 0;
	double x = put(&v, "\\faTrophy", 50, 100, 10, false);
	x = put(&v, " : Best", 50 + (x - 50), 100, 10, false);
	put_cp(&v, 0xF0E0, x + 5, 100, 10); /* Font Awesome envelope */
	put_cp(&v, 0x1F4DE, x + 15, 100, 10);
	put(&v, "a@b.c", x + 25, 100, 10, false);
	/* Word/Quartz: tab, CR and no-break space between words. */
	x = put(&v, "To", 50, 120, 10, false);
	v.g[v.n++] = (struct cv_glyph){ '\t', x, 110, x + 0.5, 120, 10, false };
	v.g[v.n++] = (struct cv_glyph){ '\r', x + 0.5, 110, x + 1, 120, 10, false };
	v.g[v.n++] = (struct cv_glyph){ 0xA0, x + 1, 110, x + 1.5, 120, 10, false };
	put(&v, "obtain", x + 1.5, 120, 10, false);
	struct cv_layout_info info;
	char *t = layout(&v, &info);
	cr_assert_null(strstr(t, "faTrophy"), "%s", t);
	cr_assert_eq(info.macros, 1);
	cr_assert_eq(info.icons, 2);
	cr_assert_null(strstr(t, "\xEF\x83\xA0"), "%s", t);
	cr_assert_not_null(strstr(t, "To obtain"), "%s", t);
	cr_assert_null(strchr(t, '\t'), "%s", t);
	md_free(t);
}

Test(cv_layout, unreadable_pages_and_regions)
{
	static struct glyphs v;
	struct cv_layout_info info;
	v.n = 0;
	char *t = layout(&v, &info);
	cr_assert_eq(info.reason, CV_UNREADABLE_EMPTY);
	cr_assert_str_eq(t, "");
	md_free(t);

	for (int i = 0; i < 40; i++)
		put_cp(&v, i % 2 ? 0xFFFD : 0x01, 50 + 6 * i, 100, 10);
	put(&v, "ok", 50, 130, 10, false);
	t = layout(&v, &info);
	cr_assert_eq(info.reason, CV_UNREADABLE_GARBAGE, "reason %d", info.reason);
	md_free(t);

	v.n = 0;
	for (int i = 0; i < 4; i++)
		put_cp(&v, 0x2022, 150 + 60 * i, 70, 10);
	put(&v, "Education", 50, 100, 12, true);
	put(&v, "University of Somewhere", 50, 115, 10, false);
	t = layout(&v, &info);
	cr_assert_eq(info.reason, CV_UNREADABLE_REGION, "reason %d", info.reason);
	cr_assert_eq(info.regions, 1);
	cr_assert_str_neq(cv_unreadable_str(info.reason), "");
	md_free(t);
}

Test(cv_layout, hostile_boxes)
{
	struct cv_glyph g[6] = {
		{ 'a', NAN, 0, 1, 1, 10, false },    { 'b', 1e300, 0, 1, 1, 10, false },
		{ 'c', 5, 5, 1, 1, -3, false },      { 'd', 0, 0, 0, 0, 0, false },
		{ 0x110000, 1, 1, 2, 2, 1e9, true }, { 0xD800, 3, 1, 4, 2, INFINITY, false },
	};
	struct buf b;
	buf_init(&b, 1 << 16);
	struct cv_layout_info info;
	int rc = cv_layout_page(g, 6, 0, 0, &b, &info);
	cr_assert_eq(rc, 0, "rc %d", rc);
	cr_assert_eq(cv_layout_page(NULL, 1, 0, 0, &b, &info), MD_EINVAL);
	buf_release(&b);
}

Test(cv_repair, lost_ligatures)
{
	size_t nw;
	const char *const *w = cv_words_builtin(&nw);
	struct buf b;
	buf_init(&b, 1 << 16);
	cr_assert_eq(buf_puts(&b, "So ware Engineer. Objec ve: a er the o ce. Swi \xE2\x80\xA2 C. "
	                          "So we are. SO WARE. R\xC3\xA9sum\xC3\xA9 ok."),
	             0);
	int n = 0;
	cr_assert_eq(cv_repair_ligature_gaps(&b, w, nw, &n), 0);
	cr_assert_str_eq(b.data,
	                 "Software Engineer. Objective: after the office. Swift \xE2\x80\xA2 C. "
	                 "So we are. SOFTWARE. R\xC3\xA9sum\xC3\xA9 ok.");
	cr_assert_eq(n, 6, "repaired %d", n);
	buf_release(&b);
	cr_assert(cv_words_has(w, nw, "SOFTWARE", 8));
	cr_assert_not(cv_words_has(w, nw, "sofware", 7));
}

/* A plain-text export that lost its line breaks (dotin-resume-ner's Kaggle CVs). */
Test(cv_repair, flattened_text_gets_its_lines_back)
{
	struct buf b;
	buf_init(&b, 1 << 16);
	cr_assert_eq(buf_puts(&b, "Heading line\n\"Jane Doe  jane@example.com  "
	                          "\\xe2\\x80\\xa2 Senior Analyst    EXPERIENCE  2010-2014  "
	                          "Acme Ltd.  Analyst    SKILLS  Excel, SQL, \"\"Tableau\"\"  "
	                          "a \\x01 control and a broken \\xe2\\x80 escape stay  "),
	             0);
	/* Pad the line past CV_FLAT_LINE_MIN with words and single spaces. */
	for (int i = 0; i < CV_FLAT_LINE_MIN / 8; i++)
		cr_assert_eq(buf_puts(&b, "filler. "), 0);
	cr_assert_eq(buf_puts(&b, "end\"\nnext line  with  a  gap\n"), 0);
	int restored = 0;
	cr_assert_eq(cv_repair_flat_text(&b, &restored), 0);
	cr_assert_eq(restored, 1);
	const char *want = "Heading line\nJane Doe\njane@example.com\n\xE2\x80\xA2 Senior "
	                   "Analyst\n\nEXPERIENCE\n2010-2014\nAcme Ltd.\nAnalyst\n\nSKILLS\nExcel, "
	                   "SQL, \"Tableau\"\na \\x01 control and a broken \\xe2\\x80 escape stay\n"
	                   "filler. ";
	cr_assert(strncmp(b.data, want, strlen(want)) == 0, "got: %.300s", b.data);
	cr_assert(strstr(b.data, "filler. end\nnext line  with  a  gap\n") != NULL,
	          "a short line keeps its spaces: %s", b.data + b.len - 40);

	/* Lines of a laid-out page are never that long: nothing changes. */
	buf_reset(&b);
	cr_assert_eq(buf_puts(&b, "Java  Python  C++\nExperience    2020 - 2022\n"), 0);
	restored = 0;
	cr_assert_eq(cv_repair_flat_text(&b, &restored), 0);
	cr_assert_eq(restored, 0);
	cr_assert_str_eq(b.data, "Java  Python  C++\nExperience    2020 - 2022\n");
	buf_release(&b);
}
