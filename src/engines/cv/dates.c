#include "engines/cv/dates.h"

#include "base/common.h"

#define MID_YEAR 6 /* July: where a year without a month is placed */
#define MIN_YEAR 1950
#define MAX_YEAR 2100
#define MAX_MONTHS (60 * 12)

struct date {
	int32_t year;
	int32_t month; /* 0..11, or -1 when only the year is known */
	bool season;
};

struct cursor {
	const char *s;
	size_t len;
	size_t i;
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_alpha_byte(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (unsigned char)c >= 0x80;
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* True when s[i..) starts with word w (ASCII case-insensitive) not followed by a letter. */
static bool match_word(const struct cursor *c, size_t i, const char *w, size_t *end)
{
	size_t n = strlen(w);
	if (n > c->len - i)
		return false;
	for (size_t k = 0; k < n; k++)
		if (lower(c->s[i + k]) != w[k])
			return false;
	size_t e = i + n;
	/* "aujourd'hui" and the CJK words end in non-letters or are whole on their own. */
	if (e < c->len && is_alpha_byte(c->s[e]) && (unsigned char)w[n - 1] < 0x80)
		return false;
	*end = e;
	return true;
}

static size_t skip_ws(const struct cursor *c, size_t i)
{
	while (i < c->len && (c->s[i] == ' ' || c->s[i] == '\n' || c->s[i] == '\t' ||
	                      c->s[i] == '\r' || c->s[i] == ','))
		i++;
	return i;
}

struct name_month {
	const char *name;
	int month;
};

/* Longest names first where one is a prefix of another in the same language. */
static const struct name_month month_names[] = {
	{ "january", 0 },    { "janvier", 0 },   { "januar", 0 },    { "jänner", 0 },
	{ "janv", 0 },       { "jan", 0 },       { "february", 1 },  { "février", 1 },
	{ "fevrier", 1 },    { "februar", 1 },   { "févr", 1 },      { "fevr", 1 },
	{ "feb", 1 },        { "fév", 1 },       { "march", 2 },     { "mars", 2 },
	{ "märz", 2 },       { "maerz", 2 },     { "mar", 2 },       { "april", 3 },
	{ "avril", 3 },      { "apr", 3 },       { "avr", 3 },       { "may", 4 },
	{ "mai", 4 },        { "june", 5 },      { "juin", 5 },      { "juni", 5 },
	{ "jun", 5 },        { "july", 6 },      { "juillet", 6 },   { "juil", 6 },
	{ "juli", 6 },       { "jul", 6 },       { "august", 7 },    { "août", 7 },
	{ "aout", 7 },       { "aug", 7 },       { "september", 8 }, { "septembre", 8 },
	{ "sept", 8 },       { "sep", 8 },       { "october", 9 },   { "octobre", 9 },
	{ "oktober", 9 },    { "oct", 9 },       { "okt", 9 },       { "november", 10 },
	{ "novembre", 10 },  { "nov", 10 },      { "december", 11 }, { "décembre", 11 },
	{ "decembre", 11 },  { "dezember", 11 }, { "déc", 11 },      { "dec", 11 },
	{ "dez", 11 },       { "enero", 0 },     { "ene", 0 },       { "febrero", 1 },
	{ "marzo", 2 },      { "abril", 3 },     { "abr", 3 },       { "mayo", 4 },
	{ "junio", 5 },      { "julio", 6 },     { "agosto", 7 },    { "ago", 7 },
	{ "septiembre", 8 }, { "setiembre", 8 }, { "octubre", 9 },   { "noviembre", 10 },
	{ "diciembre", 11 }, { "dic", 11 },      { "jän", 0 },       { "sept", 8 },
};

static const struct name_month season_names[] = {
	{ "spring", 2 },    { "printemps", 2 }, { "summer", 5 },   { "été", 5 },
	{ "fall", 8 },      { "autumn", 8 },    { "automne", 8 },  { "winter", 11 },
	{ "hiver", 11 },    { "primavera", 2 }, { "verano", 5 },   { "otoño", 8 },
	{ "invierno", 11 }, { "frühling", 2 },  { "frühjahr", 2 }, { "sommer", 5 },
	{ "herbst", 8 },
};

static const char *const present_words[] = {
	"present",    "current",   "currently",   "now",         "today",     "ongoing",
	"to date",    "till date", "aujourd'hui", "aujourd’hui", "ce jour",   "en cours",
	"actuel",     "heute",     "jetzt",       "至今",        "现在",      "今",
	"actualidad", "presente",  "hoy",         "aktuell",     "bis heute", "laufend",
};

/* Reads exactly n digits at i, not followed by another digit. */
static bool read_digits(const struct cursor *c, size_t i, size_t n, int32_t *v, size_t *end)
{
	if (n > c->len - i)
		return false;
	int32_t x = 0;
	for (size_t k = 0; k < n; k++) {
		if (!is_digit(c->s[i + k]))
			return false;
		x = x * 10 + (c->s[i + k] - '0');
	}
	if (i + n < c->len && is_digit(c->s[i + n]))
		return false;
	*v = x;
	*end = i + n;
	return true;
}

static bool read_year(const struct cursor *c, size_t i, int32_t *y, size_t *end)
{
	return read_digits(c, i, 4, y, end) && *y >= MIN_YEAR && *y <= MAX_YEAR;
}

/* "Aug 2012", "Sept. 2022", "Déc. 2023", "Fall 2013". */
static bool parse_named(const struct cursor *c, size_t i, struct date *d, size_t *end)
{
	if (i > 0 && is_alpha_byte(c->s[i - 1]))
		return false;
	const struct name_month *tables[] = { month_names, season_names };
	const size_t sizes[] = { ARRAY_SIZE(month_names), ARRAY_SIZE(season_names) };
	for (size_t t = 0; t < 2; t++) {
		for (size_t k = 0; k < sizes[t]; k++) {
			size_t e;
			if (!match_word(c, i, tables[t][k].name, &e))
				continue;
			if (e < c->len && c->s[e] == '.')
				e++;
			e = skip_ws(c, e);
			if (read_year(c, e, &d->year, end)) {
				d->month = tables[t][k].month;
				d->season = t == 1;
				return true;
			}
		}
	}
	return false;
}

/* "03/2019", "3.2019". */
static bool parse_month_slash_year(const struct cursor *c, size_t i, struct date *d, size_t *end)
{
	if (i > 0 && (is_digit(c->s[i - 1]) || c->s[i - 1] == '/' || c->s[i - 1] == '.'))
		return false;
	for (size_t nd = 1; nd <= 2; nd++) {
		int32_t m;
		size_t e;
		if (!read_digits(c, i, nd, &m, &e))
			continue;
		if (m < 1 || m > 12 || e >= c->len || (c->s[e] != '/' && c->s[e] != '.'))
			continue;
		if (read_year(c, e + 1, &d->year, end)) {
			if (*end < c->len && (c->s[*end] == '/' || c->s[*end] == '.') &&
			    *end + 1 < c->len && is_digit(c->s[*end + 1]))
				return false; /* a full date such as 03/2019/01: not ours */
			d->month = m - 1;
			return true;
		}
	}
	return false;
}

/* "2019-03", "2019/03", "2015 年 3 月", or a bare "2019". */
static bool parse_year_first(const struct cursor *c, size_t i, struct date *d, size_t *end)
{
	if (i > 0 && (is_digit(c->s[i - 1]) || c->s[i - 1] == '/' || c->s[i - 1] == '.'))
		return false;
	size_t e;
	if (!read_year(c, i, &d->year, &e))
		return false;
	if (e + 2 < c->len && (c->s[e] == '-' || c->s[e] == '/' || c->s[e] == '.')) {
		int32_t m;
		size_t e2;
		if (read_digits(c, e + 1, 2, &m, &e2) && m >= 1 && m <= 12 &&
		    !(e2 < c->len && (c->s[e2] == '-' || c->s[e2] == '/') && e2 + 1 < c->len &&
		      is_digit(c->s[e2 + 1]))) {
			d->month = m - 1;
			*end = e2;
			return true;
		}
	}
	size_t j = skip_ws(c, e);
	size_t k;
	if (match_word(c, j, "年", &k)) {
		k = skip_ws(c, k);
		int32_t m;
		size_t e2;
		bool ok = read_digits(c, k, 2, &m, &e2) || read_digits(c, k, 1, &m, &e2);
		if (ok && m >= 1 && m <= 12) {
			size_t e3;
			if (match_word(c, skip_ws(c, e2), "月", &e3)) {
				d->month = m - 1;
				*end = e3;
				return true;
			}
		}
		d->month = -1;
		*end = k;
		return true;
	}
	if (e < c->len && is_alpha_byte(c->s[e]) && (unsigned char)c->s[e] < 0x80)
		return false; /* "2019a", "2020s" */
	d->month = -1;
	*end = e;
	return true;
}

static bool parse_date(const struct cursor *c, size_t i, struct date *d, size_t *end)
{
	d->season = false;
	if (i >= c->len)
		return false;
	if (is_digit(c->s[i]))
		return parse_month_slash_year(c, i, d, end) || parse_year_first(c, i, d, end);
	return parse_named(c, i, d, end);
}

static bool parse_present(const struct cursor *c, size_t i, size_t *end)
{
	if (i >= c->len)
		return false;
	if (i > 0 && is_alpha_byte(c->s[i - 1]) && (unsigned char)c->s[i] < 0x80)
		return false;
	for (size_t k = 0; k < ARRAY_SIZE(present_words); k++)
		if (match_word(c, i, present_words[k], end))
			return true;
	return false;
}

/* The dash between two dates: -, –, —, −, ‐, ‑, ~, "to", "until", "à", "au", "bis". */
static bool parse_separator(const struct cursor *c, size_t i, size_t *end)
{
	static const char *const dashes[] = { "--", "-", "–", "—", "−", "‐", "‑", "~", "→" };
	static const char *const words[] = { "to", "until", "till", "à", "au", "bis", "jusqu'à" };
	for (size_t k = 0; k < ARRAY_SIZE(dashes); k++) {
		size_t n = strlen(dashes[k]);
		if (n <= c->len - i && memcmp(c->s + i, dashes[k], n) == 0) {
			*end = i + n;
			return true;
		}
	}
	for (size_t k = 0; k < ARRAY_SIZE(words); k++)
		if (match_word(c, i, words[k], end))
			return true;
	return false;
}

/*
 * A date column broken by extraction: "June 2022 – Software Engineer, Google\nPresent ...".
 * When the dash is followed by text, the end date may start the next line.
 */
static bool parse_dangling(const struct cursor *c, size_t j, struct date *b, bool *open,
                           size_t *end, size_t *to_off)
{
	size_t k = j;
	while (k < c->len && c->s[k] != '\n' && k - j < 240)
		k++;
	if (k >= c->len || c->s[k] != '\n')
		return false;
	k = skip_ws(c, k);
	*to_off = k;
	if (parse_present(c, k, end)) {
		*open = true;
		return true;
	}
	return parse_date(c, k, b, end);
}

static int32_t month_index(struct date d, bool is_end)
{
	return d.year * 12 + (d.month >= 0 ? d.month : MID_YEAR) + (is_end && d.month >= 0 ? 1 : 0);
}

/* Applies the conventions of the header; false when the range must be dropped. */
static bool resolve(struct date a, struct date b, bool open, int32_t now, struct cv_month_range *r)
{
	if (a.year == 0 || (!open && b.year == 0)) {
		/* A placeholder end: the position exists, its length is unknown. */
		r->start = r->end = now;
		return true;
	}
	r->start = month_index(a, false);
	r->end = open ? now : month_index(b, true);
	if (!open && a.month < 0 && b.month < 0 && a.year == b.year) {
		r->start = a.year * 12;
		r->end = a.year * 12 + 12;
	}
	if (r->end > now)
		r->end = now;
	if (r->start >= now || r->end <= r->start || r->end - r->start > MAX_MONTHS)
		return false;
	return true;
}

/*
 * A template placeholder for a date: "20XX", "19xx", "YYYY", optionally after "Month" or a
 * month name ("Month 20XX – Ongoing" in CV templates nobody filled in). The year is unknown,
 * so the date is stored with year 0 and the range it belongs to counts no months.
 */
static bool parse_placeholder(const struct cursor *c, size_t i, struct date *d, size_t *end)
{
	static const char *const years[] = { "20xx", "19xx", "yyyy", "xxxx" };
	if (i > 0 && (is_alpha_byte(c->s[i - 1]) || is_digit(c->s[i - 1])))
		return false;
	size_t j = i, k;
	if (match_word(c, i, "month", &k))
		j = skip_ws(c, k);
	for (size_t m = 0; m < ARRAY_SIZE(month_names) && j == i; m++)
		if (match_word(c, i, month_names[m].name, &k))
			j = skip_ws(c, k + (k < c->len && c->s[k] == '.'));
	for (size_t y = 0; y < ARRAY_SIZE(years); y++) {
		if (!match_word(c, j, years[y], &k))
			continue;
		if (k < c->len && (is_alpha_byte(c->s[k]) || is_digit(c->s[k])))
			return false;
		*d = (struct date){ 0, -1, false };
		*end = k;
		return true;
	}
	return false;
}

/* Tries a range at position i; on success stores it and sets *end. */
static bool parse_range(const struct cursor *c, size_t i, int32_t now, struct cv_date_range *out,
                        size_t *end)
{
	struct date a, b = { 0, -1, false };
	size_t e, j, from_end = 0, to_off = 0;
	bool since = false, expected = false;
	if ((match_word(c, i, "since", &j) || match_word(c, i, "depuis", &j) ||
	     match_word(c, i, "seit", &j)) &&
	    (i == 0 || !is_alpha_byte(c->s[i - 1]))) {
		j = skip_ws(c, j);
		if (!parse_date(c, j, &a, &e))
			return false;
		since = true;
		from_end = to_off = e;
	} else if (!parse_date(c, i, &a, &e) && !parse_placeholder(c, i, &a, &e)) {
		return false;
	}
	bool open = since;
	if (!since) {
		j = skip_ws(c, e);
		if (j >= c->len || !parse_separator(c, j, &j))
			return false;
		j = skip_ws(c, j);
		from_end = j;
		size_t k;
		if (match_word(c, j, "expected", &k) || match_word(c, j, "prévu", &k) ||
		    match_word(c, j, "anticipated", &k) ||
		    match_word(c, j, "voraussichtlich", &k) || match_word(c, j, "预计", &k)) {
			j = skip_ws(c, k);
			expected = true;
		}
		to_off = j;
		if (parse_present(c, j, &e))
			open = true;
		else if (!parse_date(c, j, &b, &e) && !parse_placeholder(c, j, &b, &e) &&
		         !(a.month >= 0 && parse_dangling(c, j, &b, &open, &e, &to_off)))
			return false;
	}
	out->offset = i;
	out->expected = expected;
	out->from = (struct cv_date_point){ a.year, a.month, a.season };
	out->to = open ? (struct cv_date_point){ 0, -1, false }
	               : (struct cv_date_point){ b.year, b.month, b.season };
	out->from_end = from_end;
	out->to_off = to_off;
	out->len = e - i;
	out->open = open;
	*end = e;
	return resolve(a, b, open, now, &out->r);
}

int32_t cv_month_from_days(int64_t days)
{
	/* Howard Hinnant's civil_from_days. */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t y = yoe + era * 400;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int64_t m = mp < 10 ? mp + 3 : mp - 9;
	if (m <= 2)
		y++;
	if (y < 0)
		y = 0;
	if (y > 100000)
		y = 100000;
	return (int32_t)(y * 12 + (m - 1));
}

size_t cv_dates_find(const char *text, size_t len, int64_t as_of, struct cv_date_range *out,
                     size_t cap)
{
	struct cursor c = { text, len, 0 };
	int32_t now = cv_month_from_days(as_of) + 1; /* as_of's month is included */
	size_t n = 0;
	size_t i = 0;
	while (i < len && n < cap) {
		size_t end;
		if (parse_range(&c, i, now, &out[n], &end)) {
			n++;
			i = end;
			continue;
		}
		/* A failed "2019 – x" must not hide a later start: step one code point. */
		i++;
		while (i < len && ((unsigned char)text[i] & 0xC0) == 0x80)
			i++;
	}
	return n;
}

bool cv_dates_is_date_word(const char *w, size_t n)
{
	if (n > 1 && w[n - 1] == '.')
		n--; /* "Sept." */
	struct cursor c = { w, n, 0 };
	size_t end;
	for (size_t k = 0; k < ARRAY_SIZE(month_names); k++)
		if (match_word(&c, 0, month_names[k].name, &end) && end == n)
			return true;
	for (size_t k = 0; k < ARRAY_SIZE(season_names); k++)
		if (match_word(&c, 0, season_names[k].name, &end) && end == n)
			return true;
	for (size_t k = 0; k < ARRAY_SIZE(present_words); k++)
		if (match_word(&c, 0, present_words[k], &end) && end == n)
			return true;
	return false;
}

bool cv_dates_has_date(const char *text, size_t len)
{
	struct cursor c = { text, len, 0 };
	for (size_t i = 0; i < len; i++) {
		struct date d;
		size_t end;
		if (parse_date(&c, i, &d, &end))
			return true;
	}
	return false;
}

size_t cv_dates_find_points(const char *text, size_t len, struct cv_date_at *out, size_t cap)
{
	struct cursor c = { text, len, 0 };
	size_t n = 0;
	for (size_t i = 0; i < len && n < cap;) {
		struct date d;
		size_t end;
		if (parse_date(&c, i, &d, &end) && end > i) {
			out[n].d = (struct cv_date_point){ d.year, d.month, d.season };
			out[n].offset = i;
			out[n++].len = end - i;
			i = end;
			continue;
		}
		i++;
		while (i < len && ((unsigned char)text[i] & 0xC0) == 0x80)
			i++;
	}
	return n;
}

bool cv_date_point_span(struct cv_date_point d, int64_t as_of, struct cv_month_range *r)
{
	int32_t now = cv_month_from_days(as_of) + 1;
	if (d.year <= 0)
		return false;
	if (d.month < 0) {
		r->start = d.year * 12;
		r->end = r->start + 12;
	} else {
		r->start = d.year * 12 + d.month;
		r->end = r->start + (d.season ? 3 : 1);
	}
	if (r->end > now)
		r->end = now;
	return r->start < now && r->end > r->start;
}

static int cmp_range(const void *a, const void *b)
{
	const struct cv_month_range *x = a, *y = b;
	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	if (x->end != y->end)
		return x->end < y->end ? -1 : 1;
	return 0;
}

size_t cv_ranges_merge(struct cv_month_range *r, size_t n)
{
	if (n == 0)
		return 0;
	md_qsort(r, n, sizeof *r, cmp_range);
	size_t w = 0;
	for (size_t k = 1; k < n; k++) {
		if (r[k].start <= r[w].end) {
			if (r[k].end > r[w].end)
				r[w].end = r[k].end;
		} else {
			r[++w] = r[k];
		}
	}
	return w + 1;
}

double cv_ranges_years(const struct cv_month_range *r, size_t n)
{
	if (n == 0)
		return 0.0;
	struct cv_month_range *tmp = md_malloc(n * sizeof *tmp);
	int64_t months = 0;
	if (tmp) {
		memcpy(tmp, r, n * sizeof *tmp);
		size_t m = cv_ranges_merge(tmp, n);
		for (size_t k = 0; k < m; k++)
			months += tmp[k].end - tmp[k].start;
		md_free(tmp);
	} else {
		/* Out of memory: fall back to a quadratic sweep over calendar months. */
		int32_t lo = r[0].start, hi = r[0].end;
		for (size_t k = 1; k < n; k++) {
			lo = MD_MIN(lo, r[k].start);
			hi = MD_MAX(hi, r[k].end);
		}
		for (int32_t mth = lo; mth < hi; mth++)
			for (size_t k = 0; k < n; k++)
				if (r[k].start <= mth && mth < r[k].end) {
					months++;
					break;
				}
	}
	return (double)months / 12.0;
}
