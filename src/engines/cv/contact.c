#include "engines/cv/contact.h"

#include "base/common.h"

#include <strings.h>

#define HEADER_LINES 12 /* lines looked at for a name, a phone and a location */

static void copy_out(char *dst, size_t cap, const char *s, size_t n)
{
	if (n >= cap) {
		/* Cut at a UTF-8 boundary; s[n] is inside the source here. */
		n = cap - 1;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	}
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* ---- email ---- */

static bool email_char(char c)
{
	return is_alnum(c) || c == '.' || c == '_' || c == '-' || c == '+' || c == '%';
}

static bool find_email(const char *s, size_t n, size_t *st, size_t *en)
{
	for (size_t i = 1; i + 1 < n; i++) {
		if (s[i] != '@')
			continue;
		size_t a = i, b = i + 1;
		while (a > 0 && email_char(s[a - 1]))
			a--;
		while (b < n && email_char(s[b]))
			b++;
		while (b > i + 1 && s[b - 1] == '.')
			b--;
		const char *dot = memchr(s + i + 1, '.', b - i - 1);
		if (a < i && dot && dot + 1 < s + b) {
			*st = a;
			*en = b;
			return true;
		}
	}
	return false;
}

/* ---- phone ---- */

static bool phone_sep(const char *s, size_t n, size_t i, size_t *adv)
{
	unsigned char c = (unsigned char)s[i];
	if (c == ' ' || c == '.' || c == '-' || c == '(' || c == ')' || c == '/') {
		*adv = 1;
		return true;
	}
	/* U+2010 hyphen, U+2011, U+2012, U+2013 dashes. */
	if (c == 0xE2 && i + 2 < n && (unsigned char)s[i + 1] == 0x80 &&
	    (unsigned char)s[i + 2] >= 0x90 && (unsigned char)s[i + 2] <= 0x93) {
		*adv = 3;
		return true;
	}
	return false;
}

struct phone {
	char raw[48];
	char digits[20];
	size_t nd;
	bool plus;
	size_t cc_digits; /* digits of the country code when written "(+86)" or "+33" */
	bool masked;
};

/* A phone number at s[i..): digits and separators, 9..15 digits. */
static bool read_phone(const char *s, size_t n, size_t i, struct phone *p, size_t *end)
{
	memset(p, 0, sizeof *p);
	size_t j = i;
	if (j < n && s[j] == '(' && j + 1 < n && s[j + 1] == '+')
		j++;
	if (j < n && s[j] == '+') {
		p->plus = true;
		j++;
	} else if (j + 1 < n && s[j] == '0' && s[j + 1] == '0' && j + 2 < n && s[j + 2] != '0') {
		p->plus = true;
		j += 2;
	}
	size_t last = j, group = 0, first_group = 0;
	bool first_done = false;
	while (j < n) {
		size_t adv;
		if (is_digit(s[j])) {
			if (p->nd >= 15)
				return false;
			p->digits[p->nd++] = s[j];
			group++;
			j++;
			last = j;
		} else if (phone_sep(s, n, j, &adv)) {
			if (!first_done && group) {
				first_group = group;
				first_done = true;
			}
			group = 0;
			j += adv;
			if (adv == 1 && s[j - 1] == ' ' && j < n && s[j] == ' ')
				break;
		} else {
			break;
		}
	}
	if (p->nd < 9 || (j < n && is_alnum(s[j]) && s[j] != 'x'))
		return false;
	p->cc_digits = p->plus ? (first_done ? first_group : 0) : 0;
	size_t rl = last - i;
	if (j < n && s[j] == 'x') { /* a masked number, "131-221-87xxx" */
		while (last < n && s[last] == 'x')
			last++;
		rl = last - i;
		p->masked = true;
	}
	if (i > 0 && s[i - 1] == '(' && !p->plus)
		i--, rl++;
	copy_out(p->raw, sizeof p->raw, s + i, rl);
	*end = last;
	return true;
}

static bool nanp_shape(const char *digits, size_t nd)
{
	const char *d = nd == 11 && digits[0] == '1' ? digits + 1 : digits;
	size_t n = nd == 11 && digits[0] == '1' ? 10 : nd;
	return n == 10 && d[0] >= '2' && d[3] >= '2';
}

static void phone_e164(const struct phone *p, char *out, size_t cap)
{
	out[0] = '\0';
	if (p->masked)
		return;
	if (p->plus) {
		char d[20];
		size_t k = 0;
		for (size_t i = 0; i < p->nd; i++) {
			/* "+33 (0)6 ...": the trunk 0 after the country code is not dialled. */
			if (p->cc_digits && i == p->cc_digits && p->digits[i] == '0')
				continue;
			d[k++] = p->digits[i];
		}
		d[k] = '\0';
		if (k >= 8 && k <= 15)
			snprintf(out, cap, "+%s", d);
		return;
	}
	if (nanp_shape(p->digits, p->nd)) {
		const char *d = p->nd == 11 ? p->digits + 1 : p->digits;
		snprintf(out, cap, "+1%.10s", d);
	}
}

static bool looks_like_date_run(const char *raw)
{
	/* "2013 - 2022", "2019.03 - 2021.05": two 4-digit years starting with 19 or 20. */
	int years = 0;
	for (const char *p = raw; *p; p++)
		if ((p == raw || !is_digit(p[-1])) && (p[0] == '1' || p[0] == '2') &&
		    (p[1] == '9' || p[1] == '0') && is_digit(p[2]) && is_digit(p[3]) &&
		    !is_digit(p[4]))
			years++;
	return years >= 2;
}

static bool find_phone(const char *s, size_t n, struct phone *p)
{
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(s[i]) && s[i] != '+' && s[i] != '(')
			continue;
		if (i > 0 &&
		    (is_alnum(s[i - 1]) || s[i - 1] == '/' || s[i - 1] == '.' || s[i - 1] == '-'))
			continue;
		size_t end;
		if (read_phone(s, n, i, p, &end) && !looks_like_date_run(p->raw))
			return true;
		while (i + 1 < n && (is_digit(s[i + 1]) || s[i + 1] == '+'))
			i++;
	}
	return false;
}

/* ---- name ---- */

/* True when w[0..n) starts with a capital (ASCII or Latin-1). */
static bool is_upper_start(const char *w, size_t n)
{
	unsigned char c = n ? (unsigned char)w[0] : 0;
	if (c >= 'A' && c <= 'Z')
		return true;
	return c == 0xC3 && n > 1 && (unsigned char)w[1] >= 0x80 && (unsigned char)w[1] <= 0x9E;
}

static size_t cjk_chars(const char *s, size_t n, bool *only)
{
	size_t k = 0;
	*only = true;
	for (size_t i = 0; i < n;) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0xE4 && c <= 0xE9 && i + 2 < n) {
			k++;
			i += 3;
		} else {
			if (c != ' ')
				*only = false;
			i++;
		}
	}
	return k;
}

static bool bad_name_word(const char *w, size_t n)
{
	/* Words of headings and job titles: the first capitalised line of a plain-text CV is
	 * often "Professional Profile" or "Medical Assistant", not the name. Not positions.c's
	 * job words: several of those are surnames or first names ("Dean", "Driver", "Fellow"). */
	static const char *const bad[] = {
		"resume",       "résumé",      "curriculum",     "vitae",       "cv",
		"page",         "updated",     "university",     "street",      "profile",
		"professional", "personal",    "details",        "summary",     "objective",
		"career",       "highlights",  "experience",     "education",   "skills",
		"contact",      "information", "title",          "applicant",   "certified",
		"seeking",      "student",     "manager",        "engineer",    "developer",
		"consultant",   "assistant",   "representative", "leader",      "analyst",
		"specialist",   "director",    "officer",        "executive",   "teacher",
		"nurse",        "accountant",  "administrator",  "coordinator", "supervisor",
		"intern",       "associate",   "senior",         "junior",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (strlen(bad[i]) == n && strncasecmp(w, bad[i], n) == 0)
			return true;
	return false;
}

/*
 * True when s[0..n) is a short run of credentials after a name: capitals, periods, commas and
 * spaces ("P.H.R.", "MBA, CPA"), or "PhD".
 */
static bool credentials(const char *s, size_t n)
{
	while (n && s[0] == ' ')
		s++, n--;
	while (n && s[n - 1] == ' ')
		n--;
	if (n == 0 || n > 16)
		return false;
	if ((n == 3 && strncmp(s, "PhD", 3) == 0) || (n == 4 && strncmp(s, "Ph.D", 4) == 0) ||
	    (n == 5 && strncmp(s, "Ph.D.", 5) == 0))
		return true;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'A' && s[i] <= 'Z') || s[i] == '.' || s[i] == ',' || s[i] == ' '))
			return false;
	return true;
}

/* The name on line s[0..n), written into out; false when the line is not a name. */
static bool name_from_line(const char *s, size_t n, char *out, size_t cap)
{
	while (n && s[0] == ' ')
		s++, n--;
	bool only;
	size_t nc = cjk_chars(s, n, &only);
	if (only && nc >= 2 && nc <= 4) {
		copy_out(out, cap, s, n);
		return true;
	}
	/* The name may share its line with contact details: "Barry Allen I (123) 456-7890". */
	for (size_t i = 0; i < n; i++) {
		if (s[i] == ',' && credentials(s + i + 1, n - i - 1)) {
			n = i; /* "Hettie Langosh, P.H.R." */
			break;
		}
		if (s[i] == ',' || s[i] == ':' || s[i] == '/')
			return false;
		if (is_digit(s[i]) || s[i] == '@' || s[i] == '|' || s[i] == '(' || s[i] == '+') {
			n = i;
			break;
		}
	}
	while (n && s[n - 1] == ' ')
		n--;
	/* Leading capitalised words; stop at the first word that is not one. */
	size_t i = 0, words = 0, end = 0, last_len = 0;
	while (i < n) {
		size_t st = i;
		while (i < n && s[i] != ' ')
			i++;
		size_t wl = i - st;
		if (!is_upper_start(s + st, wl) || bad_name_word(s + st, wl))
			break;
		for (size_t k = st; k < i; k++)
			if (!(is_alnum(s[k]) || s[k] == '-' || s[k] == '.' || s[k] == '\'' ||
			      (unsigned char)s[k] >= 0x80))
				return false;
		words++;
		end = i;
		last_len = wl;
		while (i < n && s[i] == ' ')
			i++;
	}
	if (words >= 3 && last_len == 1) { /* "Barry Allen I": an icon read as a letter */
		words--;
		end -= 2;
		while (end > 0 && s[end - 1] == ' ')
			end--;
	}
	if (words < 2 || words > 5)
		return false;
	/* The rest of the line, if any, must not be prose: one handle at most. */
	if (end < n) {
		size_t rest_words = 1;
		for (size_t k = end + 1; k < n; k++)
			rest_words += s[k] == ' ' && s[k - 1] != ' ';
		if (rest_words > 1)
			return false;
	}
	copy_out(out, cap, s, end);
	/* "JOHN DOE" -> "John Doe". */
	bool caps = true;
	for (char *p = out; *p; p++)
		if (*p >= 'a' && *p <= 'z')
			caps = false;
	if (caps)
		for (char *p = out; *p; p++)
			if (*p >= 'A' && *p <= 'Z' && p > out && p[-1] != ' ' && p[-1] != '-')
				*p = (char)(*p + 32);
	return true;
}

/* ---- location ---- */

static const char *const us_states[] = {
	"AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL",
	"IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT",
	"NE", "NV", "NH", "NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI",
	"SC", "SD", "TN", "TX", "UT", "VT", "VA", "WA", "WV", "WI", "WY", "DC",
};

static const char *const countries[] = {
	"USA",         "UK",      "United States", "United Kingdom", "France",    "Germany",
	"Deutschland", "Spain",   "España",        "Switzerland",    "Suisse",    "Italy",
	"India",       "China",   "Canada",        "Australia",      "Japan",     "Netherlands",
	"Belgium",     "Türkiye", "Turkey",        "Brazil",         "Mexico",    "Ireland",
	"Sweden",      "Poland",  "Portugal",      "Austria",        "Singapore",
};

/* True when s[i..) starts a region word ("CA", "France") ending at a non-letter. */
static bool region_at(const char *s, size_t n, size_t i, size_t *end)
{
	for (size_t k = 0; k < ARRAY_SIZE(us_states) + ARRAY_SIZE(countries); k++) {
		const char *w =
		    k < ARRAY_SIZE(us_states) ? us_states[k] : countries[k - ARRAY_SIZE(us_states)];
		size_t wl = strlen(w);
		if (wl <= n - i && memcmp(s + i, w, wl) == 0 &&
		    (i + wl == n || !is_alnum(s[i + wl]))) {
			*end = i + wl;
			return true;
		}
	}
	return false;
}

/* "San Francisco, CA" (and ", USA" after it) on a line; capitalised words before the comma. */
static bool find_city_region(const char *s, size_t n, char *out, size_t cap)
{
	for (size_t i = 0; i + 2 < n; i++) {
		if (s[i] != ',' || s[i + 1] != ' ')
			continue;
		size_t end;
		if (!region_at(s, n, i + 2, &end))
			continue;
		/* Walk back over capitalised words to the previous separator. */
		size_t a = i;
		while (a > 0) {
			size_t w = a;
			while (w > 0 && s[w - 1] == ' ')
				w--;
			size_t ws = w;
			while (ws > 0 && s[ws - 1] != ' ' && s[ws - 1] != ',' && s[ws - 1] != '|')
				ws--;
			if (ws == w || !is_upper_start(s + ws, w - ws))
				break;
			a = ws;
		}
		if (a == i)
			continue;
		size_t e2;
		if (end + 2 < n && s[end] == ',' && s[end + 1] == ' ' &&
		    region_at(s, n, end + 2, &e2))
			end = e2;
		copy_out(out, cap, s + a, end - a);
		return true;
	}
	return false;
}

/* ---- links ---- */

static bool url_char(char c)
{
	return c && (is_alnum(c) || strchr("-._~/%?#=&+@:", c) != NULL);
}

static void take_url(const char *s, size_t n, size_t st, char *out, size_t cap)
{
	size_t e = st;
	while (e < n && url_char(s[e]))
		e++;
	while (e > st && (s[e - 1] == '.' || s[e - 1] == '/'))
		e--;
	copy_out(out, cap, s + st, e - st);
}

/* Start of the web address that holds position i (skips back over the scheme). */
static size_t url_start(const char *s, size_t i)
{
	while (i > 0 && (url_char(s[i - 1]) || s[i - 1] == ':'))
		i--;
	return i;
}

static const char *strip_scheme(const char *u)
{
	if (strncasecmp(u, "https://", 8) == 0)
		return u + 8;
	if (strncasecmp(u, "http://", 7) == 0)
		return u + 7;
	return u;
}

static size_t path_segments(const char *after_host)
{
	size_t k = 0;
	for (const char *p = after_host; *p; p++)
		if (*p == '/' && p[1])
			k++;
	return k;
}

static bool find_ci(const char *s, size_t n, const char *w, size_t from, size_t *at)
{
	size_t wl = strlen(w);
	for (size_t i = from; i + wl <= n; i++)
		if (strncasecmp(s + i, w, wl) == 0) {
			*at = i;
			return true;
		}
	return false;
}

/* "LinkedIn:// handle", "Github: handle", "github.com/handle". */
static void profile_links(const char *s, size_t n, const char *host, const char *label,
                          const char *prefix, char *out, size_t cap)
{
	size_t at;
	if (find_ci(s, n, host, 0, &at)) {
		char u[160];
		take_url(s, n, url_start(s, at), u, sizeof u);
		const char *h = strip_scheme(u);
		if (strncasecmp(h, "www.", 4) == 0)
			h += 4;
		/* A profile has one path segment (github.com/user); a repository has two. */
		const char *slash = strchr(h, '/');
		const char *old = strchr(out, '/');
		size_t segs = slash ? path_segments(slash) : 0;
		if (!out[0] || (old && path_segments(old) > 1 && segs == 1))
			copy_out(out, cap, h, strlen(h));
		return;
	}
	if (out[0] || !find_ci(s, n, label, 0, &at) || (at > 0 && is_alnum(s[at - 1])))
		return;
	size_t j = at + strlen(label);
	if (j >= n || s[j] != ':')
		return;
	while (j < n && (s[j] == ':' || s[j] == '/' || s[j] == ' ' || s[j] == '@'))
		j++;
	size_t e = j;
	while (e < n && (is_alnum(s[e]) || s[e] == '-' || s[e] == '_'))
		e++;
	if (e > j) {
		char h[128];
		copy_out(h, sizeof h, s + j, e - j);
		snprintf(out, cap, "%s%s", prefix, h);
	}
}

static bool tld_ok(const char *u, size_t n)
{
	static const char *const tlds[] = { ".com", ".me", ".io", ".org", ".net", ".dev", ".co",
		                            ".fr",  ".de", ".ch", ".uk",  ".app", ".info" };
	const char *slash = memchr(u, '/', n);
	size_t hl = slash ? (size_t)(slash - u) : n;
	for (size_t k = 0; k < ARRAY_SIZE(tlds); k++) {
		size_t tl = strlen(tlds[k]);
		if (hl > tl && strncasecmp(u + hl - tl, tlds[k], tl) == 0)
			return true;
	}
	return false;
}

static void find_website(const char *s, size_t n, char *out, size_t cap)
{
	for (size_t i = 0; i < n && !out[0]; i++) {
		if (!(i == 0 || s[i - 1] == ' ' || s[i - 1] == '|' || s[i - 1] == ','))
			continue;
		size_t e = i;
		while (e < n && (url_char(s[e]) || s[e] == ':'))
			e++;
		char u[160];
		copy_out(u, sizeof u, s + i, e - i);
		if (strchr(u, '@') || !strchr(u, '.'))
			continue;
		const char *h = strip_scheme(u);
		if (strncasecmp(h, "www.", 4) == 0)
			h += 4;
		if (strcasestr(h, "linkedin.com") || strcasestr(h, "github.com") ||
		    strcasestr(h, "orcid.org") || strcasestr(h, "x.com") ||
		    strcasestr(h, "twitter.com") || strcasestr(h, "gitlab.com") ||
		    strcasestr(h, "fb.co"))
			continue;
		size_t hl = strlen(h);
		while (hl && (h[hl - 1] == '.' || h[hl - 1] == '/'))
			hl--;
		if (!tld_ok(h, hl) || !is_alnum(h[0]))
			continue;
		copy_out(out, cap, h, hl);
	}
}

/* ---- entry point ---- */

void cv_contact_extract(const struct cv_line *lines, size_t n, struct cv_contact *out)
{
	memset(out, 0, sizeof *out);
	size_t header_end = 0; /* lines before the first heading on page 1, at most HEADER_LINES */
	while (header_end < n && lines[header_end].page == 1 && !lines[header_end].heading &&
	       header_end < HEADER_LINES)
		header_end++;
	for (size_t i = 0; i < header_end && !out->name[0]; i++)
		name_from_line(lines[i].text, lines[i].len, out->name, sizeof out->name);
	for (size_t i = 0; i < n; i++) {
		const struct cv_line *l = &lines[i];
		bool header = i < header_end || l->section == CV_SEC_CONTACT;
		if (l->section == CV_SEC_OTHER && !header)
			continue; /* referees' addresses are not the candidate's */
		size_t st, en;
		if (!out->email[0] && find_email(l->text, l->len, &st, &en))
			copy_out(out->email, sizeof out->email, l->text + st, en - st);
		struct phone p;
		if (!out->phone[0] && (header || i < HEADER_LINES * 2) &&
		    find_phone(l->text, l->len, &p)) {
			copy_out(out->phone, sizeof out->phone, p.raw, strlen(p.raw));
			phone_e164(&p, out->phone_e164, sizeof out->phone_e164);
		}
		if (header && !out->location[0]) {
			size_t at;
			if (find_ci(l->text, l->len, "location:", 0, &at)) {
				size_t j = at + 9;
				while (j < l->len && l->text[j] == ' ')
					j++;
				size_t e = j;
				while (e < l->len &&
				       !(l->text[e] == ' ' && e + 1 < l->len &&
				         l->text[e + 1] != ' ' && l->text[e - 1] != ','))
					e++;
				copy_out(out->location, sizeof out->location, l->text + j, e - j);
			} else {
				find_city_region(l->text, l->len, out->location,
				                 sizeof out->location);
			}
		}
		profile_links(l->text, l->len, "linkedin.com", "linkedin", "linkedin.com/in/",
		              out->linkedin, sizeof out->linkedin);
		profile_links(l->text, l->len, "github.com", "github", "github.com/", out->github,
		              sizeof out->github);
		if (header || l->section == CV_SEC_OTHER)
			find_website(l->text, l->len, out->website, sizeof out->website);
	}
}
