#include "engines/cv/education.h"

#include "base/common.h"

#include <strings.h>

#include "text/normalize.h"

struct degree_name {
	const char *w;
	int isced;
	bool short_form; /* only in an education section */
	bool prefix_ok;  /* may be followed by letters ("Diplom-Informatiker") */
};

static const struct degree_name names[] = {
	{ "phd", 8, false, false },
	{ "ph.d", 8, false, false },
	{ "ph. d", 8, false, false },
	{ "dphil", 8, false, false },
	{ "doctorate", 8, false, false },
	{ "doctor of", 8, false, false },
	{ "ed.d", 8, false, false },
	{ "doctorat", 8, false, false },
	{ "doktor", 8, false, false },
	{ "doctorado", 8, false, false },
	{ "博士", 8, false, true },
	{ "master", 7, false, false },
	{ "masters", 7, false, false },
	{ "master's", 7, false, false },
	{ "msc", 7, false, false },
	{ "m.sc", 7, false, false },
	{ "m.s.", 7, false, false },
	{ "ms", 7, true, false },
	{ "m.a.", 7, false, false },
	{ "ma", 7, true, false },
	{ "meng", 7, false, false },
	{ "m.eng", 7, false, false },
	{ "mba", 7, false, false },
	{ "m.tech", 7, false, false },
	{ "mtech", 7, false, false },
	{ "m.e.", 7, false, false },
	{ "m.com", 7, false, false },
	{ "mca", 7, false, false },
	{ "pgdm", 7, false, false },
	{ "post graduate diploma", 7, false, false },
	{ "postgraduate diploma", 7, false, false },
	{ "m.ed", 7, false, false },
	{ "m.phil", 7, false, false },
	{ "mphil", 7, false, false },
	{ "llm", 7, false, false },
	{ "mastère", 7, false, false },
	{ "diplom", 7, false, true },
	{ "magister", 7, false, false },
	{ "máster", 7, false, false },
	{ "硕士", 7, false, true },
	{ "研究生", 7, false, true },
	{ "bachelor", 6, false, false },
	{ "bachelors", 6, false, false },
	{ "bachelor's", 6, false, false },
	{ "bsc", 6, false, false },
	{ "b.sc", 6, false, false },
	{ "b.s.", 6, false, false },
	{ "bs", 6, true, false },
	{ "b.a.", 6, false, false },
	{ "ba", 6, true, false },
	{ "b.eng", 6, false, false },
	{ "beng", 6, false, false },
	{ "b.tech", 6, false, false },
	{ "btech", 6, false, false },
	{ "b.e.", 6, false, false },
	{ "b.e", 6, false, false },
	{ "be", 6, true, false },
	{ "b-tech", 6, false, false },
	{ "b.com", 6, false, false },
	{ "bcom", 6, false, false },
	{ "bca", 6, false, false },
	{ "bba", 6, false, false },
	{ "b.b.a", 6, false, false },
	{ "b.ed", 6, false, false },
	{ "b.s.ed", 6, false, false },
	{ "llb", 6, false, false },
	{ "licence", 6, false, false },
	{ "grado", 6, false, false },
	{ "licenciatura", 6, false, false },
	{ "学士", 6, false, true },
	{ "本科", 6, false, true },
	{ "associate degree", 5, false, false },
	{ "associate of", 5, false, false },
	{ "associate's", 5, false, false },
	{ "bts", 5, false, false },
	{ "dut", 5, false, false },
	{ "hnd", 5, false, false },
	{ "专科", 5, false, true },
	{ "大专", 5, false, true },
	{ "high school", 3, false, false },
	{ "secondary school", 3, false, false },
	{ "hsc", 3, false, false },
	{ "diploma", 4, false, false },
	{ "baccalauréat", 3, false, false },
	{ "abitur", 3, false, false },
	{ "a-levels", 3, false, false },
	{ "bachillerato", 3, false, false },
	{ "高中", 3, false, true },
};

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* Case-insensitive whole-word search of w in s[0..n) from 'from'. */
static bool find_word(const char *s, size_t n, const char *w, bool prefix_ok, size_t from,
                      size_t *at)
{
	size_t wl = strlen(w);
	bool cjk = (unsigned char)w[0] >= 0x80 && (unsigned char)w[0] != 0xC3;
	for (size_t i = from; i + wl <= n; i++) {
		if (strncasecmp(s + i, w, wl) != 0)
			continue;
		if (cjk) {
			*at = i;
			return true;
		}
		bool before = i == 0 || !(is_alpha(s[i - 1]) || s[i - 1] == '.');
		/* "Diplom-Informatiker" but not "Diploma", "Diplomacy" or "Diplomat". */
		bool after = i + wl == n ||
		             (prefix_ok && !(s[i + wl] == 'a' || s[i + wl] == 'A')) ||
		             !(is_alpha(s[i + wl]) || (unsigned char)s[i + wl] >= 0x80 ||
		               (w[wl - 1] != '.' && s[i + wl] == '.' && i + wl + 1 < n &&
		                is_alpha(s[i + wl + 1])));
		if (before && after) {
			*at = i;
			return true;
		}
	}
	return false;
}

/* cv_degree_level(), and *wlen the length of the name found. */
static int degree_at(const char *line, size_t len, bool in_edu, size_t *at, size_t *wlen)
{
	int best = -1;
	for (size_t k = 0; k < ARRAY_SIZE(names); k++) {
		size_t a;
		if (names[k].isced <= best || (names[k].short_form && !in_edu) ||
		    !find_word(line, len, names[k].w, names[k].prefix_ok, 0, &a))
			continue;
		if (names[k].isced == 7 && a >= 6 && strncasecmp(line + a - 6, "scrum ", 6) == 0)
			continue;
		/* A "High School Diploma" is the school's level, which its own name carries. */
		if (names[k].isced == 4 && a >= 7 && strncasecmp(line + a - 7, "school ", 7) == 0)
			continue;
		/* "Projet de Master", "Project of Bachelor": a project, not a degree. */
		if ((a >= 3 && strncasecmp(line + a - 3, "de ", 3) == 0) ||
		    (a >= 3 && strncasecmp(line + a - 3, "of ", 3) == 0) ||
		    (a >= 4 && strncasecmp(line + a - 4, "sur ", 4) == 0))
			continue;
		/* "BS"/"MS" in capitals only: "ms" in running text is not a degree. */
		if (names[k].short_form &&
		    !(line[a] >= 'A' && line[a] <= 'Z' && line[a + 1] >= 'A' && line[a + 1] <= 'Z'))
			continue;
		best = names[k].isced;
		*at = a;
		*wlen = strlen(names[k].w);
	}
	return best;
}

int cv_degree_level(const char *line, size_t len, bool in_edu, size_t *at)
{
	size_t wlen;
	return degree_at(line, len, in_edu, at, &wlen);
}

static const char *const inst_words[] = {
	"university", "université", "universität", "universidad", "college",       "school",
	"institute",  "école",      "hochschule",  "lycée",       "polytechnique", "epfl",
	"eth",        "ucl",        "mit",         "大学",        "学院"
};

static bool has_inst(const char *s, size_t n)
{
	size_t at;
	for (size_t k = 0; k < ARRAY_SIZE(inst_words); k++)
		if (find_word(s, n, inst_words[k], (unsigned char)inst_words[k][0] >= 0xE0, 0, &at))
			return true;
	return false;
}

static void copy_trim(char *dst, size_t cap, const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == ',' || *s == '|' || *s == '-' || *s == ':'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == ',' || s[n - 1] == '|' || s[n - 1] == '-' ||
	             s[n - 1] == '(' || s[n - 1] == ':'))
		n--;
	if (n >= cap)
		n = text_utf8_floor(s, cap - 1);
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* The end of a field or institution: a separator, a date, "GPA". */
static size_t field_end(const char *s, size_t n, size_t i)
{
	struct cv_date_at pts[4];
	size_t np = cv_dates_find_points(s + i, n - i, pts, 4);
	if (np)
		n = i + pts[0].offset;
	for (size_t k = i; k < n; k++) {
		if (s[k] == ',' || s[k] == '|' || s[k] == '(' || s[k] == ';')
			return k;
		if (k + 2 < n && s[k] == ' ' &&
		    (s[k + 1] == '-' || (unsigned char)s[k + 1] == 0xE2) && k + 1 < n)
			return k;
		if (k + 3 < n && strncasecmp(s + k, " gpa", 4) == 0)
			return k;
		if (k + 4 <= n && s[k] >= '0' && s[k] <= '9' && (k == 0 || s[k - 1] == ' '))
			return k;
	}
	return n;
}

/* The degree's name as written, the field after it. */
static void degree_and_field(const char *s, size_t n, size_t at, size_t wlen, struct cv_degree *d)
{
	size_t e = at + wlen; /* the whole name: "High School", not "High" */
	while (e < n && s[e] != ' ' && s[e] != ',')
		e++;
	static const char *const ofs[] = { " of science",
		                           " of arts",
		                           " of engineering",
		                           " of technology",
		                           " of business administration",
		                           " of commerce",
		                           " of education",
		                           " of fine arts",
		                           " of laws",
		                           " of philosophy",
		                           " of computer applications",
		                           " ès sciences",
		                           " en sciences" };
	for (size_t k = 0; k < ARRAY_SIZE(ofs); k++) {
		size_t l = strlen(ofs[k]);
		if (l <= n - e && strncasecmp(s + e, ofs[k], l) == 0) {
			e += l;
			break;
		}
	}
	copy_trim(d->degree, sizeof d->degree, s + at, e - at);
	size_t f = e;
	while (f < n && (s[f] == ' ' || s[f] == ','))
		f++;
	static const char *const joins[] = { "in ", "of ", "en ", "de ", "in:", "im " };
	for (size_t k = 0; k < ARRAY_SIZE(joins); k++)
		if (strlen(joins[k]) <= n - f &&
		    strncasecmp(s + f, joins[k], strlen(joins[k])) == 0)
			f += strlen(joins[k]);
	size_t fe = field_end(s, n, f);
	char tmp[128];
	copy_trim(tmp, sizeof tmp, s + f, fe - f);
	if (!has_inst(tmp, strlen(tmp)))
		snprintf(d->field, sizeof d->field, "%s", tmp);
}

/* The first comma-separated part of s[0..n) naming an institution. */
static bool institution_in(const char *s, size_t n, char *out, size_t cap)
{
	size_t st = 0;
	for (size_t i = 0; i <= n; i++) {
		bool sep = i == n || s[i] == ',' || s[i] == '|' ||
		           (i + 2 < n && s[i] == ' ' && (unsigned char)s[i + 1] == 0xE2);
		if (!sep)
			continue;
		if (has_inst(s + st, i - st)) {
			size_t e = st + field_end(s + st, i - st, 0);
			copy_trim(out, cap, s + st, (e > st ? e : i) - st);
			return out[0] != '\0';
		}
		st = i + 1;
	}
	return false;
}

/*
 * The last line of the degree's entry at line i: up to two more lines with text (the
 * institution, the dates), across blank lines, not past a heading or another degree.
 */
static size_t entry_last(const struct cv_line *lines, size_t n, size_t i)
{
	size_t last = i, texts = 0;
	for (size_t j = i + 1; j < n && j <= i + 4 && texts < 2 && !lines[j].heading; j++) {
		if (lines[j].len == 0)
			continue;
		size_t at, wlen;
		if (degree_at(lines[j].text, lines[j].len, true, &at, &wlen) >= 0)
			break;
		last = j;
		texts++;
	}
	return last;
}

/*
 * The institution on the degree's line i, else on the line above, else on a line of its entry
 * below (last: entry_last(); "B.E in Computer Science", "", "Adithya Institute of Technology -
 * Tamil Nadu").
 */
static void institution_near(const struct cv_line *lines, size_t i, size_t last,
                             struct cv_degree *d)
{
	const struct cv_line *l = &lines[i];
	if (institution_in(l->text, l->len, d->institution, sizeof d->institution))
		return;
	if (i > 0 && lines[i - 1].section == l->section &&
	    institution_in(lines[i - 1].text, lines[i - 1].len, d->institution,
	                   sizeof d->institution))
		return;
	for (size_t j = i + 1; j <= last; j++)
		if (institution_in(lines[j].text, lines[j].len, d->institution,
		                   sizeof d->institution))
			return;
}

/* Sets the year from a range or a date point on line j; true when it did. */
static bool year_on(const struct cv_line *lines, size_t j, const struct cv_dated_range *ranges,
                    size_t n_ranges, struct cv_degree *d)
{
	for (size_t r = 0; r < n_ranges; r++)
		if (ranges[r].line == j) {
			d->year = ranges[r].d.open ? 0 : ranges[r].d.to.year;
			d->in_progress = ranges[r].d.open || ranges[r].d.expected;
			return true;
		}
	struct cv_date_at pts[4];
	size_t k = cv_dates_find_points(lines[j].text, lines[j].len, pts, 4);
	if (k)
		d->year = pts[k - 1].d.year;
	return k > 0;
}

/* The year of the degree on line i: its own line's, else its entry's below (to last), else the
 * line above's ("2010 - 2014", "BSc Mathematics"). */
static void year_of(const struct cv_line *lines, size_t i, size_t last,
                    const struct cv_dated_range *ranges, size_t n_ranges, struct cv_degree *d)
{
	for (size_t j = i; j <= last; j++)
		if (year_on(lines, j, ranges, n_ranges, d))
			return;
	if (i > 0)
		year_on(lines, i - 1, ranges, n_ranges, d);
}

size_t cv_education_extract(const struct cv_line *lines, size_t n,
                            const struct cv_dated_range *ranges, size_t n_ranges,
                            struct cv_degree *out, size_t cap)
{
	bool has_section = false;
	for (size_t i = 0; i < n; i++)
		has_section |= lines[i].heading && lines[i].section == CV_SEC_EDUCATION;
	size_t nd = 0;
	for (size_t i = 0; i < n && nd < cap; i++) {
		const struct cv_line *l = &lines[i];
		bool in_edu = l->section == CV_SEC_EDUCATION;
		if ((has_section && !in_edu) || l->heading)
			continue;
		size_t at, wlen;
		int lv = degree_at(l->text, l->len, in_edu, &at, &wlen);
		if (lv < 0)
			continue;
		struct cv_degree *d = &out[nd++];
		memset(d, 0, sizeof *d);
		d->isced = lv;
		d->line = i;
		degree_and_field(l->text, l->len, at, wlen, d);
		size_t last = entry_last(lines, n, i);
		institution_near(lines, i, last, d);
		year_of(lines, i, last, ranges, n_ranges, d);
		for (size_t j = i; j <= last; j++) {
			size_t a;
			if (find_word(lines[j].text, lines[j].len, "在读", false, 0, &a) ||
			    find_word(lines[j].text, lines[j].len, "预计", false, 0, &a) ||
			    find_word(lines[j].text, lines[j].len, "expected", false, 0, &a))
				d->in_progress = true;
		}
	}
	return nd;
}

int cv_isced_from_level(enum cv_edu_level l)
{
	static const int map[] = { -1, 3, 5, 6, 7, 8 };
	return (unsigned)l < ARRAY_SIZE(map) ? map[l] : -1;
}

enum cv_edu_level cv_level_from_isced(int isced)
{
	if (isced >= 8)
		return CV_EDU_DOCTORATE;
	if (isced == 7)
		return CV_EDU_MASTER;
	if (isced == 6)
		return CV_EDU_BACHELOR;
	if (isced >= 4)
		return CV_EDU_ASSOCIATE;
	if (isced == 3)
		return CV_EDU_HIGH_SCHOOL;
	return CV_EDU_NONE;
}

const char *cv_isced_name(int isced)
{
	static const char *const n[] = { "early_childhood", "primary",
		                         "lower_secondary", "upper_secondary",
		                         "post_secondary",  "short_cycle_tertiary",
		                         "bachelor",        "master",
		                         "doctorate" };
	return isced >= 0 && (size_t)isced < ARRAY_SIZE(n) ? n[isced] : "none";
}

enum cv_edu_comparison cv_education_compare(int have, int want)
{
	if (have < want)
		return CV_EDU_DOES_NOT_MEET;
	return have == want ? CV_EDU_MEETS : CV_EDU_EXCEEDS;
}

const char *cv_edu_comparison_name(enum cv_edu_comparison c)
{
	static const char *const n[] = { "does_not_meet", "meets", "exceeds" };
	return (unsigned)c < ARRAY_SIZE(n) ? n[c] : "does_not_meet";
}
