#include "engines/cv/positions.h"

#include "base/common.h"

#include <strings.h>

#include "text/normalize.h"

#define MAX_PARTS 12
#define PART_MAX 160
#define ENTRY_LINE_MAX 160 /* a longer line is prose, not an entry's title line */

struct part {
	char s[PART_MAX];
	bool title; /* holds a job word */
	bool place; /* a region word: "CA", "UK", "France", "remote" */
	bool org;   /* an organisation word and no job word: "Infosys Limited" */
};

struct parts {
	struct part p[MAX_PARTS];
	size_t n;
};

static bool is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static const char *const job_words[] = {
	"engineer",    "engineers",     "developer",    "programmer",
	"intern",      "internship",    "manager",      "researcher",
	"scientist",   "analyst",       "consultant",   "director",
	"lead",        "head",          "fellow",       "assistant",
	"associate",   "member",        "volunteer",    "coach",
	"founder",     "co-founder",    "cto",          "ceo",
	"cfo",         "coo",           "vp",           "president",
	"officer",     "contributor",   "leader",       "designer",
	"architect",   "administrator", "specialist",   "technician",
	"teacher",     "tutor",         "professor",    "lecturer",
	"postdoc",     "editor",        "writer",       "owner",
	"partner",     "trainee",       "apprentice",   "stagiaire",
	"développeur", "développeuse",  "ingénieur",    "ingénieure",
	"chef",        "responsable",   "fondateur",    "co-fondateur",
	"chercheur",   "entwickler",    "berater",      "leiter",
	"praktikant",  "werkstudent",   "ingeniero",    "desarrollador",
	"gerente",     "becario",       "jefe",         "investigador",
	"supervisor",  "coordinator",   "executive",    "representative",
	"instructor",  "trainer",       "accountant",   "auditor",
	"advisor",     "adviser",       "counselor",    "counsellor",
	"cashier",     "clerk",         "secretary",    "receptionist",
	"nurse",       "therapist",     "attorney",     "lawyer",
	"paralegal",   "agent",         "operator",     "driver",
	"mechanic",    "electrician",   "inspector",    "planner",
	"buyer",       "headteacher",   "principal",    "librarian",
	"journalist",  "reporter",      "photographer", "producer",
	"translator",  "interpreter",   "tester",       "worker",
	"chairman",    "chairperson",   "treasurer",    "dean",
	"estimator",   "foreman",       "trader",       "salesman",
	"controller",  "strategist",    "recruiter",
};

/*
 * Words of organisation names. A part with one of them and no job word is an organisation,
 * never the title a line without a job word falls back to ("Motorola India Pvt Ltd").
 */
static const char *const org_words[] = {
	"ltd",         "limited",   "inc",        "llc",          "llp",        "plc",
	"gmbh",        "ag",        "sa",         "sarl",         "pvt",        "corp",
	"corporation", "company",   "co",         "group",        "bank",       "university",
	"college",     "institute", "school",     "hospital",     "foundation", "association",
	"agency",      "services",  "solutions",  "technologies", "systems",    "consulting",
	"infotech",    "labs",      "department", "ministry",     "council",    "church",
};

static const char *const cjk_job_words[] = { "实习", "经理",   "工程师", "开发",   "总监",
	                                     "主管", "研究员", "助理",   "负责人", "实习生" };

static const char *const place_words[] = {
	"AL",          "AK",    "AZ",    "AR",    "CA",     "CO",      "CT",     "DE",
	"FL",          "GA",    "HI",    "ID",    "IL",     "IN",      "IA",     "KS",
	"KY",          "LA",    "ME",    "MD",    "MA",     "MI",      "MN",     "MS",
	"MO",          "MT",    "NE",    "NV",    "NH",     "NJ",      "NM",     "NY",
	"NC",          "ND",    "OH",    "OK",    "OR",     "PA",      "RI",     "SC",
	"SD",          "TN",    "TX",    "UT",    "VT",     "VA",      "WA",     "WV",
	"WI",          "WY",    "DC",    "USA",   "UK",     "US",      "France", "Germany",
	"Switzerland", "Spain", "India", "China", "Canada", "Türkiye", "Remote", "remote",
	"Hybrid",
};

/* True when word w[0..n) (ASCII-case-insensitive) is in list. */
static bool word_in(const char *w, size_t n, const char *const *list, size_t count)
{
	for (size_t k = 0; k < count; k++)
		if (strlen(list[k]) == n && strncasecmp(w, list[k], n) == 0)
			return true;
	return false;
}

/* True when one of the words of s[0..n) is in list. */
static bool has_word_of(const char *s, size_t n, const char *const *list, size_t count)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && !(is_alpha(s[i]) || (unsigned char)s[i] >= 0x80))
			i++;
		size_t st = i;
		while (i < n && (is_alpha(s[i]) || s[i] == '-' || (unsigned char)s[i] >= 0x80))
			i++;
		if (i > st && word_in(s + st, i - st, list, count))
			return true;
	}
	return false;
}

static bool has_job_word(const char *s, size_t n)
{
	for (size_t k = 0; k < ARRAY_SIZE(cjk_job_words); k++)
		if (memmem(s, n, cjk_job_words[k], strlen(cjk_job_words[k])))
			return true;
	return has_word_of(s, n, job_words, ARRAY_SIZE(job_words));
}

static bool is_place(const char *s)
{
	if (strcasestr(s, "télétravail") || strcasestr(s, "remote"))
		return true;
	return word_in(s, strlen(s), place_words, ARRAY_SIZE(place_words));
}

/* True when s[0..n) ends with the period of "Ltd.", "Inc.", "Co." or "Corp.", which is part of
 * the name. */
static bool abbreviation_end(const char *s, size_t n)
{
	static const char *const abbr[] = { "ltd.", "inc.", "co.", "corp." };
	for (size_t k = 0; k < ARRAY_SIZE(abbr); k++) {
		size_t l = strlen(abbr[k]);
		if (n >= l && strncasecmp(s + n - l, abbr[k], l) == 0 &&
		    (n == l || !is_alpha(s[n - l - 1])))
			return true;
	}
	return false;
}

static void trim_into(char *dst, size_t cap, const char *s, size_t n)
{
	while (n && (s[0] == ' ' || s[0] == '|' || s[0] == ',' || s[0] == ':' || s[0] == '-'))
		s++, n--;
	while (n &&
	       (s[n - 1] == ' ' || s[n - 1] == '|' || s[n - 1] == ',' || s[n - 1] == ':' ||
	        s[n - 1] == '-' || s[n - 1] == '(' || (s[n - 1] == '.' && !abbreviation_end(s, n))))
		n--;
	/* A dash left over from a removed date ("– ", "— "). */
	while (n >= 3 && (unsigned char)s[n - 3] == 0xE2 && (unsigned char)s[n - 2] == 0x80 &&
	       ((unsigned char)s[n - 1] == 0x93 || (unsigned char)s[n - 1] == 0x94)) {
		n -= 3;
		while (n && s[n - 1] == ' ')
			n--;
	}
	while (n >= 3 && (unsigned char)s[0] == 0xE2 && (unsigned char)s[1] == 0x80 &&
	       ((unsigned char)s[2] == 0x93 || (unsigned char)s[2] == 0x94)) {
		s += 3, n -= 3;
		while (n && s[0] == ' ')
			s++, n--;
	}
	if (n >= cap)
		n = text_utf8_floor(s, cap - 1);
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* Length of a separator at s[i..): '|', '•', '·', ',', '，', or a spaced dash. */
static size_t sep_at(const char *s, size_t n, size_t i)
{
	if (s[i] == '|' || s[i] == ',')
		return 1;
	static const char *const seps[] = { "•", "·", "，", " – ", " — ", " - ", "@ " };
	for (size_t k = 0; k < ARRAY_SIZE(seps); k++) {
		size_t l = strlen(seps[k]);
		if (l <= n - i && memcmp(s + i, seps[k], l) == 0)
			return l;
	}
	return 0;
}

/*
 * One word of a date or a duration: a month, season or open end (dates.h: "June", "Oct",
 * "Present"), a link ("to", "since"), a number, a unit ("months"), or both ("13months").
 */
static bool date_word(const char *w, size_t n)
{
	static const char *const links[] = { "to",    "from",     "since",  "till",
		                             "until", "duration", "period", "expected" };
	static const char *const units[] = {
		"month", "months", "mos", "year", "years", "yrs", "yr"
	};
	size_t k = 0;
	while (k < n && (is_digit(w[k]) || w[k] == '.' || w[k] == '+'))
		k++;
	if (k == n)
		return n > 0;
	if (k > 0)
		return word_in(w + k, n - k, units, ARRAY_SIZE(units));
	return cv_dates_is_date_word(w, n) || word_in(w, n, links, ARRAY_SIZE(links)) ||
	       word_in(w, n, units, ARRAY_SIZE(units));
}

/*
 * A part made only of date words and durations ("13months", "1 year 3 months", "January to",
 * "Nov"), left over from a date or beside it: no title, organisation or place.
 */
static bool date_leftover(const char *s)
{
	bool any = false;
	for (const char *p = s; *p;) {
		while (*p == ' ')
			p++;
		const char *st = p;
		while (*p && *p != ' ')
			p++;
		if (p == st)
			break;
		if (!date_word(st, (size_t)(p - st)))
			return false;
		any = true;
	}
	return any;
}

static bool dropped_part(const char *s)
{
	return strcasestr(s, "hours per week") || strcasestr(s, "hrs/week") ||
	       strcasestr(s, "h/week") || strcasestr(s, "per week") || s[0] == '\0' ||
	       date_leftover(s);
}

static void split_parts(const char *s, size_t n, struct parts *out)
{
	size_t st = 0;
	for (size_t i = 0; i <= n && out->n < MAX_PARTS; i++) {
		size_t sl = i < n ? sep_at(s, n, i) : 1;
		if (!sl)
			continue;
		struct part *p = &out->p[out->n];
		trim_into(p->s, sizeof p->s, s + st, i - st);
		if (!dropped_part(p->s)) {
			size_t len = strlen(p->s);
			p->title = has_job_word(p->s, len);
			p->place = is_place(p->s);
			p->org =
			    !p->title && has_word_of(p->s, len, org_words, ARRAY_SIZE(org_words));
			out->n++;
		}
		i += sl - 1;
		st = i + 1;
	}
	/* "Boston, MA": the part before a state's two capitals is its city. */
	size_t first = out->n;
	for (size_t k = first; k-- > 1;) {
		const struct part *state = &out->p[k];
		if (state->place && strlen(state->s) == 2 && state->s[0] >= 'A' &&
		    state->s[0] <= 'Z' && state->s[1] >= 'A' && state->s[1] <= 'Z' &&
		    !out->p[k - 1].title && !out->p[k - 1].org)
			out->p[k - 1].place = true;
	}
}

/* Joins parts[from..] that are not used into out, ", "-separated. */
static void join_rest(const struct parts *ps, size_t from, const bool *used, char *out, size_t cap)
{
	size_t o = strlen(out);
	for (size_t k = from; k < ps->n; k++) {
		if (used[k])
			continue;
		if (ps->p[k].title && k > 0)
			continue;
		int w = snprintf(out + o, cap - o, "%s%s", o ? ", " : "", ps->p[k].s);
		if (w < 0 || (size_t)w >= cap - o)
			break;
		o += (size_t)w;
	}
}

static void set_str(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s);
}

/* ---- which lines may hold a position ---- */

static const char *const degree_words[] = { "bachelor", "master", "degree",  "diploma", "b.sc",
	                                    "m.sc",     "b.s.",   "m.s.",    "phd",     "ph.d",
	                                    "gpa",      "b.tech", "licence", "学士",    "硕士",
	                                    "博士",     "本科" };

static bool contains_ci(const char *s, size_t n, const char *w)
{
	size_t wl = strlen(w);
	for (size_t i = 0; i + wl <= n; i++)
		if (strncasecmp(s + i, w, wl) == 0 &&
		    (i == 0 || !is_alpha(s[i - 1]) || (unsigned char)w[0] >= 0x80))
			return true;
	return false;
}

static bool line_has_degree(const struct cv_line *l)
{
	for (size_t k = 0; k < ARRAY_SIZE(degree_words); k++)
		if (contains_ci(l->text, l->len, degree_words[k]))
			return true;
	return false;
}

static bool personal_project(const struct cv_line *lines, size_t n, size_t i)
{
	static const char *const marks[] = { "个人项目", "personal project", "side project",
		                             "projet personnel", "persönliches projekt" };
	for (size_t j = i; j < n && j <= i + 2; j++) {
		if (j > i && lines[j].heading)
			break;
		for (size_t k = 0; k < ARRAY_SIZE(marks); k++)
			if (contains_ci(lines[j].text, lines[j].len, marks[k]))
				return true;
	}
	return false;
}

static bool has_heading_kind(const struct cv_line *lines, size_t n, enum cv_section_kind k)
{
	for (size_t i = 0; i < n; i++)
		if (lines[i].heading && lines[i].section == k)
			return true;
	return false;
}

/* The kind of position a dated line of section s would be, or false for none. */
static bool section_kind(enum cv_section_kind s, bool any_heading, enum cv_position_kind *k)
{
	*k = CV_POS_WORK;
	if (s == CV_SEC_EXPERIENCE)
		return true;
	if (s == CV_SEC_VOLUNTEER) {
		*k = CV_POS_VOLUNTEER;
		return true;
	}
	return s == CV_SEC_NONE && !any_heading;
}

/* ---- title, organisation, location ---- */

static bool entry_line(const struct cv_line *l)
{
	/* A line starting in lower case continues the text above it. */
	return l->len > 0 && l->len <= ENTRY_LINE_MAX && !l->heading &&
	       !(l->text[0] >= 'a' && l->text[0] <= 'z') && !cv_line_is_bullet(l->text, l->len) &&
	       l->text[l->len - 1] != '.';
}

static bool line_has_date(const struct cv_line *l)
{
	return cv_dates_has_date(l->text, l->len);
}

/* The title in a following line ("Member", "实习 经理: 高富帅" -> "实习 经理"). */
static bool title_from_next(const struct cv_line *lines, size_t n, size_t i, char *out, size_t cap)
{
	if (i + 1 >= n || !entry_line(&lines[i + 1]) || line_has_date(&lines[i + 1]))
		return false;
	const struct cv_line *l = &lines[i + 1];
	size_t e = l->len;
	const char *colon = memchr(l->text, ':', l->len);
	if (colon)
		e = (size_t)(colon - l->text);
	char tmp[PART_MAX];
	trim_into(tmp, sizeof tmp, l->text, e);
	if (!has_job_word(tmp, strlen(tmp)))
		return false;
	set_str(out, cap, tmp);
	return true;
}

static void fill_from_parts(struct cv_position *p, const struct parts *ps, const char *next_title,
                            bool want_loc)
{
	bool used[MAX_PARTS] = { 0 };
	size_t t = ps->n, o = ps->n;
	for (size_t k = 0; k < ps->n && t == ps->n; k++)
		if (ps->p[k].title)
			t = k;
	if (t < ps->n && !p->title[0]) {
		set_str(p->title, sizeof p->title, ps->p[t].s);
		used[t] = true;
	}
	if (t == ps->n && !p->title[0] && next_title[0])
		set_str(p->title, sizeof p->title, next_title);
	for (size_t k = 0; t == ps->n && !p->title[0] && ps->n >= 2 && k < ps->n; k++)
		if (!ps->p[k].org && !ps->p[k].place) {
			set_str(p->title, sizeof p->title, ps->p[k].s);
			used[k] = true;
		}
	for (size_t k = 0; k < ps->n && o == ps->n; k++)
		if (!used[k] && !ps->p[k].title && !ps->p[k].place)
			o = k;
	if (o < ps->n && !p->organisation[0]) {
		set_str(p->organisation, sizeof p->organisation, ps->p[o].s);
		used[o] = true;
	}
	size_t after = 0;
	for (size_t k = 0; k < ps->n; k++)
		if (used[k])
			after = k + 1;
	if (want_loc && !p->location[0])
		join_rest(ps, after, used, p->location, sizeof p->location);
}

/*
 * Title and organisation from the two entry lines above a date line that holds no more than a
 * place. A blank line may separate them: a column's vertical gap, or the blank lines of a
 * plain-text export ("Senior Consultant", "", "Oracle -  Bangalore, Karnataka -", "",
 * "November 2016 to December 2017"). When no part names a job, the upper line is the title
 * and the lower one the organisation, the order such exports use; a location after the
 * organisation is taken too.
 */
static void entry_above(struct cv_position *p, const struct cv_line *lines, size_t i,
                        const char *next_title)
{
	size_t at[2], na = 0, j = i;
	while (na < 2 && j > 0) {
		size_t k = j - 1;
		bool gap = lines[k].len == 0 && k > 0;
		if (gap)
			k--;
		/* Across a gap, a second line is looked for only when the first names no job. */
		if (!entry_line(&lines[k]) || line_has_date(&lines[k]) ||
		    lines[k].page != lines[i].page ||
		    (gap && na == 1 && has_job_word(lines[at[0]].text, lines[at[0]].len)))
			break;
		at[na++] = k;
		j = k;
	}
	struct parts hp = { .n = 0 };
	bool any_title = false;
	size_t upper_parts = 0;
	for (size_t k = na; k-- > 0;) {
		split_parts(lines[at[k]].text, lines[at[k]].len, &hp);
		if (k == na - 1)
			upper_parts = hp.n;
	}
	for (size_t k = 0; k < hp.n; k++)
		any_title |= hp.p[k].title;
	if (na == 2 && !any_title && upper_parts == 1 && hp.n > 1 && !hp.p[0].org)
		hp.p[0].title = true;
	fill_from_parts(p, &hp, next_title, !p->location[0]);
}

/*
 * The value of a "Label: value" line when its label is one of labels[] ("Designation: Digital
 * Advertising Executive"); false when the line is no such field or the value is empty or prose.
 */
static bool field_value(const struct cv_line *l, const char *const *labels, size_t nl, char *out,
                        size_t cap)
{
	/* Past spaces and a bullet ("•", "-", "*"); the labels are ASCII words. */
	size_t a = 0;
	while (a < l->len && (l->text[a] == ' ' || l->text[a] == '-' || l->text[a] == '*' ||
	                      (unsigned char)l->text[a] >= 0x80))
		a++;
	const char *colon = memchr(l->text + a, ':', l->len - a);
	if (!colon)
		return false;
	size_t ll = (size_t)(colon - (l->text + a));
	while (ll && l->text[a + ll - 1] == ' ')
		ll--;
	if (!word_in(l->text + a, ll, labels, nl))
		return false;
	size_t v = (size_t)(colon - l->text) + 1;
	if (l->len - v > PART_MAX / 2)
		return false;
	trim_into(out, cap, l->text + v, l->len - v);
	return out[0] != '\0';
}

/*
 * Labelled fields of the entry around date line i (Indian CVs: "Designation: ...",
 * "Organization: ...", "Duration: May 2010 - till date"), up to three lines either side, not
 * past another dated line or a heading. Returns true when they gave both title and
 * organisation.
 */
static bool labelled_fields(struct cv_position *p, const struct cv_line *lines, size_t n, size_t i)
{
	static const char *const title_labels[] = { "designation",  "title", "job title",
		                                    "position",     "role",  "poste",
		                                    "position held" };
	static const char *const org_labels[] = { "organization", "organisation", "company",
		                                  "employer",     "entreprise",   "firma",
		                                  "company name" };
	size_t lo = i, hi = i;
	while (lo > 0 && i - lo < 3 && !lines[lo - 1].heading && !line_has_date(&lines[lo - 1]))
		lo--;
	while (hi + 1 < n && hi - i < 3 && !lines[hi + 1].heading && !line_has_date(&lines[hi + 1]))
		hi++;
	for (size_t j = lo; j <= hi; j++) {
		if (j == i || lines[j].page != lines[i].page)
			continue;
		if (!p->title[0])
			field_value(&lines[j], title_labels, ARRAY_SIZE(title_labels), p->title,
			            sizeof p->title);
		char org[PART_MAX];
		if (!p->organisation[0] &&
		    field_value(&lines[j], org_labels, ARRAY_SIZE(org_labels), org, sizeof org)) {
			/* "Violet Advertisers, Phoenix, AZ": the organisation, then its place. */
			struct parts op = { .n = 0 };
			split_parts(org, strlen(org), &op);
			bool used[MAX_PARTS] = { true };
			set_str(p->organisation, sizeof p->organisation, op.n ? op.p[0].s : org);
			if (!p->location[0])
				join_rest(&op, 1, used, p->location, sizeof p->location);
		}
	}
	return p->title[0] && p->organisation[0];
}

static void describe(struct cv_position *p, const struct cv_line *lines, size_t n, size_t i,
                     const char *rem, size_t rem_len, bool date_first)
{
	if (labelled_fields(p, lines, n, i))
		return;
	struct parts rp = { .n = 0 };
	split_parts(rem, rem_len, &rp);
	bool any_title = false;
	for (size_t k = 0; k < rp.n; k++)
		any_title |= rp.p[k].title;
	size_t lead = 0;
	while (lead < rem_len && rem[lead] == ' ')
		lead++;
	bool sep_first = lead < rem_len && sep_at(rem, rem_len, lead) > 0;
	bool place_only = rp.n == 0 || (!any_title && (rp.n <= 2 || (date_first && sep_first)) &&
	                                rp.p[rp.n - 1].place);
	char next_title[PART_MAX] = "";
	title_from_next(lines, n, i, next_title, sizeof next_title);
	bool used_prev = false;
	if (place_only) {
		struct parts tail = rp;
		bool none[MAX_PARTS] = { 0 };
		join_rest(&tail, 0, none, p->location, sizeof p->location);
		entry_above(p, lines, i, next_title);
		used_prev = true;
	} else {
		fill_from_parts(p, &rp, next_title, true);
	}
	if (!p->organisation[0] && !used_prev && i > 0 && entry_line(&lines[i - 1]) &&
	    !line_has_date(&lines[i - 1]) && lines[i - 1].page == lines[i].page) {
		struct parts hp = { .n = 0 };
		split_parts(lines[i - 1].text, lines[i - 1].len, &hp);
		if (hp.n && !hp.p[0].title) {
			set_str(p->organisation, sizeof p->organisation, hp.p[0].s);
			used_prev = true;
		}
	}
	if (!p->organisation[0] && i + 1 < n && entry_line(&lines[i + 1]) &&
	    !line_has_date(&lines[i + 1])) {
		struct parts np = { .n = 0 };
		split_parts(lines[i + 1].text, lines[i + 1].len, &np);
		fill_from_parts(p, &np, "", true);
	}
	if (!p->title[0] && next_title[0])
		set_str(p->title, sizeof p->title, next_title);
	/* "COMPANY, INC., City, ST", "2007-Present", "Female-owned small business ...", "Vice
	 * President, Sales": the title after a sentence about the organisation. */
	for (size_t j = i + 1; !p->title[0] && j < n && j <= i + 3 && !lines[j].heading; j++) {
		if (line_has_date(&lines[j]))
			break;
		if (lines[j].len == 0 || !entry_line(&lines[j]))
			continue;
		title_from_next(lines, n, j - 1, p->title, sizeof p->title);
		break;
	}
}

/* ---- extraction ---- */

static void blank(char *buf, size_t len, size_t from, size_t to)
{
	if (to > len)
		to = len;
	for (size_t k = from; k < to; k++)
		buf[k] = ' ';
}

static size_t entry_end(const struct cv_line *lines, size_t n, size_t i)
{
	size_t j = i + 1;
	while (j < n && !lines[j].heading && !(entry_line(&lines[j]) && line_has_date(&lines[j])))
		j++;
	return j - 1;
}

/*
 * Copies line l's text with the spans of its dates blanked into buf (cap >= l->len + 1).
 * Returns true when the line carried a template's "Date:" label.
 */
static bool blank_dates(const struct cv_line *l, const struct cv_dated_range *r, char *buf)
{
	memcpy(buf, l->text, l->len);
	buf[l->len] = '\0';
	struct cv_date_at pts[8];
	size_t np = cv_dates_find_points(l->text, l->len, pts, 8);
	for (size_t k = 0; k < np; k++)
		blank(buf, l->len, pts[k].offset, pts[k].offset + pts[k].len);
	if (r) {
		size_t s = r->d.offset - l->off;
		blank(buf, l->len, s, r->d.from_end - l->off);
		if (r->d.to_off >= l->off && r->d.to_off - l->off < l->len)
			blank(buf, l->len, r->d.to_off - l->off, r->d.offset + r->d.len - l->off);
	}
	/* A label left by templates: "Date:". "Duration:" and "Period:" label the dates of
	 * Indian CVs' entries the same way. */
	char *at = strstr(buf, "Date:");
	if (at)
		memset(at, ' ', strlen("Date:"));
	static const char *const date_labels[] = { "Duration:", "Period:", "Dates:" };
	for (size_t k = 0; k < ARRAY_SIZE(date_labels); k++) {
		char *d = strcasestr(buf, date_labels[k]);
		if (d)
			memset(d, ' ', strlen(date_labels[k]));
	}
	return at != NULL;
}

/*
 * A labelled location on the dated line ("Location: Berlin", altacv's template): the value,
 * up to a column gap or the end of the line, is the location, and both label and value leave
 * buf so that they are not taken for a title or an organisation. A line labelled "Date:" is
 * such a metadata line even when the location's label was an icon the extraction dropped:
 * what is left of it is the location.
 */
static void take_location_label(char *buf, size_t len, bool date_label, struct cv_position *p)
{
	char *at = strstr(buf, "Location:");
	if (!at && !date_label)
		return;
	size_t from = at ? (size_t)(at - buf) : 0;
	size_t v = at ? from + strlen("Location:") : 0;
	while (v < len && buf[v] == ' ')
		v++;
	size_t e = v;
	while (e < len && !(buf[e] == ' ' && e + 2 < len && buf[e + 1] == ' ' && buf[e + 2] == ' '))
		e++;
	if (!p->location[0])
		trim_into(p->location, sizeof p->location, buf + v, e - v);
	blank(buf, len, from, e);
}

static bool lone_date_ok(const struct cv_line *l, const struct cv_date_at *d)
{
	if (d->d.month < 0)
		return false;
	bool letters_before = false, letters_after = false;
	for (size_t k = 0; k < d->offset; k++)
		letters_before |= is_alpha(l->text[k]) || (unsigned char)l->text[k] >= 0x80;
	for (size_t k = d->offset + d->len; k < l->len; k++)
		letters_after |= is_alpha(l->text[k]);
	return !(letters_before && letters_after);
}

/* True when a range that starts above line i ends on it ("Sept. 2022—\nMars 2023"). */
static bool continues_range(const struct cv_line *lines, size_t i,
                            const struct cv_dated_range *ranges, size_t n_ranges)
{
	for (size_t r = 0; r < n_ranges; r++)
		if (ranges[r].line < i && lines[ranges[r].line].page == lines[i].page &&
		    ranges[r].d.offset + ranges[r].d.len > lines[i].off)
			return true;
	return false;
}

static bool add_position(struct cv_position *out, size_t *np, size_t cap,
                         const struct cv_position *p)
{
	if (*np >= cap)
		return false;
	out[(*np)++] = *p;
	return true;
}

size_t cv_positions_extract(const struct cv_line *lines, size_t n,
                            const struct cv_dated_range *ranges, size_t n_ranges, int64_t as_of,
                            struct cv_position *out, size_t cap)
{
	bool any_heading = has_heading_kind(lines, n, CV_SEC_EXPERIENCE) ||
	                   has_heading_kind(lines, n, CV_SEC_EDUCATION) ||
	                   has_heading_kind(lines, n, CV_SEC_VOLUNTEER);
	size_t np = 0, r = 0;
	char *buf = NULL;
	size_t buf_cap = 0;
	for (size_t i = 0; i < n; i++) {
		const struct cv_line *l = &lines[i];
		const struct cv_dated_range *first = NULL;
		size_t r0 = r;
		while (r < n_ranges && ranges[r].line == i) {
			if (!first)
				first = &ranges[r];
			r++;
		}
		enum cv_position_kind kind;
		if (!section_kind(l->section, any_heading, &kind) || l->heading ||
		    line_has_degree(l) || contains_ci(l->text, l->len, "last updated") ||
		    personal_project(lines, n, i))
			continue;
		struct cv_position p;
		memset(&p, 0, sizeof p);
		p.kind = kind;
		p.line = i;
		if (first) {
			p.start = first->d.from;
			p.end = first->d.to;
			p.current = first->d.open;
			p.r = first->d.r;
			p.range = (int)r0;
		} else {
			if (!entry_line(l) || continues_range(lines, i, ranges, n_ranges))
				continue;
			struct cv_date_at pts[4];
			size_t k = cv_dates_find_points(l->text, l->len, pts, 4);
			if (k == 0 || !lone_date_ok(l, &pts[0]) ||
			    !cv_date_point_span(pts[0].d, as_of, &p.r))
				continue;
			p.start = p.end = pts[0].d;
			p.range = -1;
		}
		if (buf_cap < l->len + 1) {
			md_free(buf);
			buf_cap = l->len + 1;
			buf = md_malloc(buf_cap);
			if (!buf)
				return np;
		}
		bool date_label = blank_dates(l, first, buf);
		take_location_label(buf, l->len, date_label, &p);
		size_t lead = 0;
		while (lead < l->len && l->text[lead] == ' ')
			lead++;
		bool date_first = first && first->d.offset - l->off <= lead;
		describe(&p, lines, n, i, buf, l->len, date_first);
		p.last_line = entry_end(lines, n, i);
		if (!add_position(out, &np, cap, &p))
			break;
	}
	md_free(buf);
	return np;
}

double cv_positions_years(const struct cv_position *p, size_t n)
{
	struct cv_month_range *v = md_malloc((n ? n : 1) * sizeof *v);
	if (!v)
		return 0;
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (p[i].kind == CV_POS_WORK)
			v[k++] = p[i].r;
	double y = cv_ranges_years(v, k);
	md_free(v);
	return y;
}

/* ---- stated years ---- */

static const char *const year_words[] = { "years", "year",  "yrs",    "yr",   "ans",
	                                  "an",    "jahre", "jahren", "años", "年" };
static const char *const exp_words[] = { "experience", "expertise",       "expérience",
	                                 "erfahrung",  "berufserfahrung", "experiencia",
	                                 "经验" };

static bool stated_at(const char *s, size_t n, size_t i, double *years)
{
	size_t j = i;
	double v = 0;
	while (j < n && is_digit(s[j]) && j - i < 2)
		v = v * 10 + (s[j++] - '0');
	if (j == i || (j < n && is_digit(s[j])))
		return false;
	if (j < n && s[j] == '+')
		j++;
	while (j < n && s[j] == ' ')
		j++;
	bool yw = false;
	for (size_t k = 0; k < ARRAY_SIZE(year_words) && !yw; k++) {
		size_t wl = strlen(year_words[k]);
		if (wl <= n - j && strncasecmp(s + j, year_words[k], wl) == 0 &&
		    (j + wl == n || !is_alpha(s[j + wl]))) {
			yw = true;
			j += wl;
		}
	}
	if (!yw)
		return false;
	size_t lim = MD_MIN(n, j + 40);
	for (size_t k = 0; k < ARRAY_SIZE(exp_words); k++)
		if (contains_ci(s + j, lim - j, exp_words[k])) {
			*years = v;
			return v > 0 && v <= 60;
		}
	return false;
}

bool cv_stated_years(const struct cv_line *lines, size_t n, double *years, size_t *line)
{
	bool found = false;
	*years = 0;
	for (size_t i = 0; i < n; i++) {
		const struct cv_line *l = &lines[i];
		for (size_t k = 0; k < l->len; k++) {
			if (!is_digit(l->text[k]) || (k > 0 && is_digit(l->text[k - 1])))
				continue;
			double v;
			if (stated_at(l->text, l->len, k, &v) && v > *years) {
				*years = v;
				*line = i;
				found = true;
			}
		}
	}
	return found;
}

void cv_date_point_format(struct cv_date_point d, char *out, size_t cap)
{
	if (d.year <= 0)
		snprintf(out, cap, "%s", "");
	else if (d.month < 0)
		snprintf(out, cap, "%04d", (int)d.year);
	else
		snprintf(out, cap, "%04d-%02d", (int)d.year, (int)d.month + 1);
}
