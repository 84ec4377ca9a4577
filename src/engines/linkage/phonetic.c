/* phonetic.c: Double Metaphone and NYSIIS (see phonetic.h). */
#include "engines/linkage/phonetic.h"

#include <stdarg.h>
#include <utf8proc.h>

#include "base/common.h"
#include "text/normalize.h"

#define FOLD_MAX 255 /* names longer than this are cut: the keys only look at the start */
#define C_CEDILLA '\x01'
#define N_TILDE '\x02'

/*
 * Folds UTF-8 s[0..n) into upper-case ASCII letters in out (cap FOLD_MAX + 1); other
 * characters become sep, or are dropped when sep is 0. Returns the length.
 */
static size_t fold(const char *s, size_t n, char *out, char sep)
{
	size_t k = 0;
	for (size_t i = 0; i < n && k < FOLD_MAX;) {
		int32_t cp;
		i += text_decode(s + i, n - i, &cp);
		char c = 0;
		if (cp >= 'a' && cp <= 'z') {
			c = (char)(cp - 32);
		} else if (cp >= 'A' && cp <= 'Z') {
			c = (char)cp;
		} else if (cp == 0xC7 || cp == 0xE7) {
			c = C_CEDILLA;
		} else if (cp == 0xD1 || cp == 0xF1) {
			c = N_TILDE;
		} else if (cp == 0xDF) {
			out[k++] = 'S';
			c = 'S';
		} else if (cp >= 0x80) {
			utf8proc_int32_t d[8];
			utf8proc_ssize_t m =
			    utf8proc_decompose_char(cp, d, 8, UTF8PROC_DECOMPOSE, NULL);
			if (m > 0 && d[0] >= 'a' && d[0] <= 'z')
				c = (char)(d[0] - 32);
			else if (m > 0 && d[0] >= 'A' && d[0] <= 'Z')
				c = (char)d[0];
		}
		if (!c)
			c = sep;
		if (c && k < FOLD_MAX)
			out[k++] = c;
	}
	out[k] = '\0';
	return k;
}

/* ---- Double Metaphone ---- */

struct dm {
	const char *s;
	int len, last;
	bool slavo_germanic;
	char p[LK_METAPHONE_MAX + 1], a[LK_METAPHONE_MAX + 1];
	int pn, an;
};

/* The character at i: '\0' before the start, ' ' past the end (the original pads). */
static char at(const struct dm *d, int i)
{
	if (i < 0)
		return '\0';
	return i >= d->len ? ' ' : d->s[i];
}

/* True when the n characters at start equal one of the NULL-terminated alternatives. */
static bool string_at(const struct dm *d, int start, int n, ...)
{
	if (start < 0)
		return false;
	va_list ap;
	va_start(ap, n);
	bool found = false;
	const char *alt;
	while (!found && (alt = va_arg(ap, const char *))) {
		int i = 0;
		while (i < n && at(d, start + i) == alt[i])
			i++;
		found = i == n;
	}
	va_end(ap);
	return found;
}

static bool is_vowel(const struct dm *d, int i)
{
	char c = at(d, i);
	return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U' || c == 'Y';
}

static void add2(struct dm *d, const char *main, const char *alt)
{
	for (; *main && d->pn < LK_METAPHONE_MAX; main++)
		d->p[d->pn++] = *main;
	for (; *alt && d->an < LK_METAPHONE_MAX; alt++)
		d->a[d->an++] = *alt;
}

static void add(struct dm *d, const char *both)
{
	add2(d, both, both);
}

static bool van_von_sch(const struct dm *d)
{
	return string_at(d, 0, 4, "VAN ", "VON ", NULL) || string_at(d, 0, 3, "SCH", NULL);
}

static int dm_c_ch(struct dm *d, int cur)
{
	if (cur > 0 && string_at(d, cur, 4, "CHAE", NULL)) {
		add2(d, "K", "X");
		return cur + 2;
	}
	if (cur == 0 &&
	    (string_at(d, cur + 1, 5, "HARAC", "HARIS", NULL) ||
	     string_at(d, cur + 1, 3, "HOR", "HYM", "HIA", "HEM", NULL)) &&
	    !string_at(d, 0, 5, "CHORE", NULL)) {
		add(d, "K");
		return cur + 2;
	}
	if (van_von_sch(d) || string_at(d, cur - 2, 6, "ORCHES", "ARCHIT", "ORCHID", NULL) ||
	    string_at(d, cur + 2, 1, "T", "S", NULL) ||
	    ((string_at(d, cur - 1, 1, "A", "O", "U", "E", NULL) || cur == 0) &&
	     string_at(d, cur + 2, 1, "L", "R", "N", "M", "B", "H", "F", "V", "W", " ", NULL))) {
		add(d, "K");
	} else if (cur > 0) {
		if (string_at(d, 0, 2, "MC", NULL))
			add(d, "K");
		else
			add2(d, "X", "K");
	} else {
		add(d, "X");
	}
	return cur + 2;
}

static int dm_c(struct dm *d, int cur)
{
	if (cur > 1 && !is_vowel(d, cur - 2) && string_at(d, cur - 1, 3, "ACH", NULL) &&
	    at(d, cur + 2) != 'I' &&
	    (at(d, cur + 2) != 'E' || string_at(d, cur - 2, 6, "BACHER", "MACHER", NULL))) {
		add(d, "K");
		return cur + 2;
	}
	if (cur == 0 && string_at(d, cur, 6, "CAESAR", NULL)) {
		add(d, "S");
		return cur + 2;
	}
	if (string_at(d, cur, 4, "CHIA", NULL)) {
		add(d, "K");
		return cur + 2;
	}
	if (string_at(d, cur, 2, "CH", NULL))
		return dm_c_ch(d, cur);
	if (string_at(d, cur, 2, "CZ", NULL) && !string_at(d, cur - 2, 4, "WICZ", NULL)) {
		add2(d, "S", "X");
		return cur + 2;
	}
	if (string_at(d, cur + 1, 3, "CIA", NULL)) {
		add(d, "X");
		return cur + 3;
	}
	if (string_at(d, cur, 2, "CC", NULL) && !(cur == 1 && at(d, 0) == 'M')) {
		if (string_at(d, cur + 2, 1, "I", "E", "H", NULL) &&
		    !string_at(d, cur + 2, 2, "HU", NULL)) {
			if ((cur == 1 && at(d, cur - 1) == 'A') ||
			    string_at(d, cur - 1, 5, "UCCEE", "UCCES", NULL))
				add(d, "KS");
			else
				add(d, "X");
			return cur + 3;
		}
		add(d, "K");
		return cur + 2;
	}
	if (string_at(d, cur, 2, "CK", "CG", "CQ", NULL)) {
		add(d, "K");
		return cur + 2;
	}
	if (string_at(d, cur, 2, "CI", "CE", "CY", NULL)) {
		if (string_at(d, cur, 3, "CIO", "CIE", "CIA", NULL))
			add2(d, "S", "X");
		else
			add(d, "S");
		return cur + 2;
	}
	add(d, "K");
	if (string_at(d, cur + 1, 2, " C", " Q", " G", NULL))
		return cur + 3;
	if (string_at(d, cur + 1, 1, "C", "K", "Q", NULL) &&
	    !string_at(d, cur + 1, 2, "CE", "CI", NULL))
		return cur + 2;
	return cur + 1;
}

static int dm_gh(struct dm *d, int cur)
{
	if (cur > 0 && !is_vowel(d, cur - 1)) {
		add(d, "K");
		return cur + 2;
	}
	if (cur == 0) {
		add(d, at(d, cur + 2) == 'I' ? "J" : "K");
		return cur + 2;
	}
	if ((cur > 1 && string_at(d, cur - 2, 1, "B", "H", "D", NULL)) ||
	    (cur > 2 && string_at(d, cur - 3, 1, "B", "H", "D", NULL)) ||
	    (cur > 3 && string_at(d, cur - 4, 1, "B", "H", NULL)))
		return cur + 2;
	if (cur > 2 && at(d, cur - 1) == 'U' &&
	    string_at(d, cur - 3, 1, "C", "G", "L", "R", "T", NULL))
		add(d, "F");
	else if (cur > 0 && at(d, cur - 1) != 'I')
		add(d, "K");
	return cur + 2;
}

static int dm_g(struct dm *d, int cur)
{
	if (at(d, cur + 1) == 'H')
		return dm_gh(d, cur);
	if (at(d, cur + 1) == 'N') {
		if (cur == 1 && is_vowel(d, 0) && !d->slavo_germanic)
			add2(d, "KN", "N");
		else if (!string_at(d, cur + 2, 2, "EY", NULL) && at(d, cur + 1) != 'Y' &&
		         !d->slavo_germanic)
			add2(d, "N", "KN");
		else
			add(d, "KN");
		return cur + 2;
	}
	if (string_at(d, cur + 1, 2, "LI", NULL) && !d->slavo_germanic) {
		add2(d, "KL", "L");
		return cur + 2;
	}
	if (cur == 0 &&
	    (at(d, cur + 1) == 'Y' || string_at(d, cur + 1, 2, "ES", "EP", "EB", "EL", "EY", "IB",
	                                        "IL", "IN", "IE", "EI", "ER", NULL))) {
		add2(d, "K", "J");
		return cur + 2;
	}
	if ((string_at(d, cur + 1, 2, "ER", NULL) || at(d, cur + 1) == 'Y') &&
	    !string_at(d, 0, 6, "DANGER", "RANGER", "MANGER", NULL) &&
	    !string_at(d, cur - 1, 1, "E", "I", NULL) &&
	    !string_at(d, cur - 1, 3, "RGY", "OGY", NULL)) {
		add2(d, "K", "J");
		return cur + 2;
	}
	if (string_at(d, cur + 1, 1, "E", "I", "Y", NULL) ||
	    string_at(d, cur - 1, 4, "AGGI", "OGGI", NULL)) {
		if (van_von_sch(d) || string_at(d, cur + 1, 2, "ET", NULL))
			add(d, "K");
		else if (string_at(d, cur + 1, 4, "IER ", NULL))
			add(d, "J");
		else
			add2(d, "J", "K");
		return cur + 2;
	}
	add(d, "K");
	return at(d, cur + 1) == 'G' ? cur + 2 : cur + 1;
}

static int dm_j(struct dm *d, int cur)
{
	if (string_at(d, cur, 4, "JOSE", NULL) || string_at(d, 0, 4, "SAN ", NULL)) {
		if ((cur == 0 && at(d, cur + 4) == ' ') || string_at(d, 0, 4, "SAN ", NULL))
			add(d, "H");
		else
			add2(d, "J", "H");
		return cur + 1;
	}
	if (cur == 0 && !string_at(d, cur, 4, "JOSE", NULL))
		add2(d, "J", "A");
	else if (is_vowel(d, cur - 1) && !d->slavo_germanic &&
	         (at(d, cur + 1) == 'A' || at(d, cur + 1) == 'O'))
		add2(d, "J", "H");
	else if (cur == d->last)
		add2(d, "J", "");
	else if (!string_at(d, cur + 1, 1, "L", "T", "K", "S", "N", "M", "B", "Z", NULL) &&
	         !string_at(d, cur - 1, 1, "S", "K", "L", NULL))
		add(d, "J");
	return at(d, cur + 1) == 'J' ? cur + 2 : cur + 1;
}

static int dm_l(struct dm *d, int cur)
{
	if (at(d, cur + 1) == 'L') {
		if ((cur == d->len - 3 && string_at(d, cur - 1, 4, "ILLO", "ILLA", "ALLE", NULL)) ||
		    ((string_at(d, d->last - 1, 2, "AS", "OS", NULL) ||
		      string_at(d, d->last, 1, "A", "O", NULL)) &&
		     string_at(d, cur - 1, 4, "ALLE", NULL))) {
			add2(d, "L", "");
			return cur + 2;
		}
		add(d, "L");
		return cur + 2;
	}
	add(d, "L");
	return cur + 1;
}

static int dm_s_sc(struct dm *d, int cur)
{
	if (at(d, cur + 2) == 'H') {
		if (string_at(d, cur + 3, 2, "OO", "ER", "EN", "UY", "ED", "EM", NULL)) {
			if (string_at(d, cur + 3, 2, "ER", "EN", NULL))
				add2(d, "X", "SK");
			else
				add(d, "SK");
			return cur + 3;
		}
		if (cur == 0 && !is_vowel(d, 3) && at(d, 3) != 'W')
			add2(d, "X", "S");
		else
			add(d, "X");
		return cur + 3;
	}
	if (string_at(d, cur + 2, 1, "I", "E", "Y", NULL)) {
		add(d, "S");
		return cur + 3;
	}
	add(d, "SK");
	return cur + 3;
}

static int dm_s(struct dm *d, int cur)
{
	if (string_at(d, cur - 1, 3, "ISL", "YSL", NULL))
		return cur + 1;
	if (cur == 0 && string_at(d, cur, 5, "SUGAR", NULL)) {
		add2(d, "X", "S");
		return cur + 1;
	}
	if (string_at(d, cur, 2, "SH", NULL)) {
		if (string_at(d, cur + 1, 4, "HEIM", "HOEK", "HOLM", "HOLZ", NULL))
			add(d, "S");
		else
			add(d, "X");
		return cur + 2;
	}
	if (string_at(d, cur, 3, "SIO", "SIA", NULL) || string_at(d, cur, 4, "SIAN", NULL)) {
		if (!d->slavo_germanic)
			add2(d, "S", "X");
		else
			add(d, "S");
		return cur + 3;
	}
	if ((cur == 0 && string_at(d, cur + 1, 1, "M", "N", "L", "W", NULL)) ||
	    string_at(d, cur + 1, 1, "Z", NULL)) {
		add2(d, "S", "X");
		return string_at(d, cur + 1, 1, "Z", NULL) ? cur + 2 : cur + 1;
	}
	if (string_at(d, cur, 2, "SC", NULL))
		return dm_s_sc(d, cur);
	if (cur == d->last && string_at(d, cur - 2, 2, "AI", "OI", NULL))
		add2(d, "", "S");
	else
		add(d, "S");
	return string_at(d, cur + 1, 1, "S", "Z", NULL) ? cur + 2 : cur + 1;
}

static int dm_t(struct dm *d, int cur)
{
	if (string_at(d, cur, 4, "TION", NULL)) {
		add(d, "X");
		return cur + 3;
	}
	if (string_at(d, cur, 3, "TIA", "TCH", NULL)) {
		add(d, "X");
		return cur + 3;
	}
	if (string_at(d, cur, 2, "TH", NULL) || string_at(d, cur, 3, "TTH", NULL)) {
		if (string_at(d, cur + 2, 2, "OM", "AM", NULL) || van_von_sch(d))
			add(d, "T");
		else
			add2(d, "0", "T");
		return cur + 2;
	}
	add(d, "T");
	return string_at(d, cur + 1, 1, "T", "D", NULL) ? cur + 2 : cur + 1;
}

static int dm_w(struct dm *d, int cur)
{
	if (string_at(d, cur, 2, "WR", NULL)) {
		add(d, "R");
		return cur + 2;
	}
	if (cur == 0 && (is_vowel(d, cur + 1) || string_at(d, cur, 2, "WH", NULL))) {
		if (is_vowel(d, cur + 1))
			add2(d, "A", "F");
		else
			add(d, "A");
	}
	if ((cur == d->last && is_vowel(d, cur - 1)) ||
	    string_at(d, cur - 1, 5, "EWSKI", "EWSKY", "OWSKI", "OWSKY", NULL) ||
	    string_at(d, 0, 3, "SCH", NULL)) {
		add2(d, "", "F");
		return cur + 1;
	}
	if (string_at(d, cur, 4, "WICZ", "WITZ", NULL)) {
		add2(d, "TS", "FX");
		return cur + 4;
	}
	return cur + 1;
}

/* Letters whose rule is "this code, and skip a doubled letter". */
static int dm_simple(struct dm *d, int cur, const char *code, char twin)
{
	add(d, code);
	return at(d, cur + 1) == twin ? cur + 2 : cur + 1;
}

static int dm_step(struct dm *d, int cur)
{
	char c = at(d, cur);
	switch (c) {
	case 'A':
	case 'E':
	case 'I':
	case 'O':
	case 'U':
	case 'Y':
		if (cur == 0)
			add(d, "A");
		return cur + 1;
	case 'B': return dm_simple(d, cur, "P", 'B');
	case C_CEDILLA: add(d, "S"); return cur + 1;
	case 'C': return dm_c(d, cur);
	case 'D':
		if (string_at(d, cur, 2, "DG", NULL)) {
			if (string_at(d, cur + 2, 1, "I", "E", "Y", NULL)) {
				add(d, "J");
				return cur + 3;
			}
			add(d, "TK");
			return cur + 2;
		}
		if (string_at(d, cur, 2, "DT", "DD", NULL)) {
			add(d, "T");
			return cur + 2;
		}
		add(d, "T");
		return cur + 1;
	case 'F': return dm_simple(d, cur, "F", 'F');
	case 'G': return dm_g(d, cur);
	case 'H':
		if ((cur == 0 || is_vowel(d, cur - 1)) && is_vowel(d, cur + 1)) {
			add(d, "H");
			return cur + 2;
		}
		return cur + 1;
	case 'J': return dm_j(d, cur);
	case 'K': return dm_simple(d, cur, "K", 'K');
	case 'L': return dm_l(d, cur);
	case 'M':
		add(d, "M");
		if ((string_at(d, cur - 1, 3, "UMB", NULL) &&
		     (cur + 1 == d->last || string_at(d, cur + 2, 2, "ER", NULL))) ||
		    at(d, cur + 1) == 'M')
			return cur + 2;
		return cur + 1;
	case 'N': return dm_simple(d, cur, "N", 'N');
	case N_TILDE: add(d, "N"); return cur + 1;
	case 'P':
		if (at(d, cur + 1) == 'H') {
			add(d, "F");
			return cur + 2;
		}
		add(d, "P");
		return string_at(d, cur + 1, 1, "P", "B", NULL) ? cur + 2 : cur + 1;
	case 'Q': return dm_simple(d, cur, "K", 'Q');
	case 'R':
		if (cur == d->last && !d->slavo_germanic && string_at(d, cur - 2, 2, "IE", NULL) &&
		    !string_at(d, cur - 4, 2, "ME", "MA", NULL))
			add2(d, "", "R");
		else
			add(d, "R");
		return at(d, cur + 1) == 'R' ? cur + 2 : cur + 1;
	case 'S': return dm_s(d, cur);
	case 'T': return dm_t(d, cur);
	case 'V': return dm_simple(d, cur, "F", 'V');
	case 'W': return dm_w(d, cur);
	case 'X':
		if (!(cur == d->last && (string_at(d, cur - 3, 3, "IAU", "EAU", NULL) ||
		                         string_at(d, cur - 2, 2, "AU", "OU", NULL))))
			add(d, "KS");
		return string_at(d, cur + 1, 1, "C", "X", NULL) ? cur + 2 : cur + 1;
	case 'Z':
		if (at(d, cur + 1) == 'H') {
			add(d, "J");
			return cur + 2;
		}
		if (string_at(d, cur + 1, 2, "ZO", "ZI", "ZA", NULL) ||
		    (d->slavo_germanic && cur > 0 && at(d, cur - 1) != 'T'))
			add2(d, "S", "TS");
		else
			add(d, "S");
		return at(d, cur + 1) == 'Z' ? cur + 2 : cur + 1;
	default: return cur + 1;
	}
}

int lk_double_metaphone(const char *s, size_t n, char *primary, size_t pcap, char *alt, size_t acap)
{
	if (pcap <= LK_METAPHONE_MAX || acap <= LK_METAPHONE_MAX)
		return MD_ELIMIT;
	char buf[FOLD_MAX + 1];
	struct dm d = { .s = buf };
	d.len = (int)fold(s, n, buf, ' ');
	d.last = d.len - 1;
	d.slavo_germanic = strchr(buf, 'W') || strchr(buf, 'K') || strstr(buf, "CZ");
	int cur = 0;
	if (string_at(&d, 0, 2, "GN", "KN", "PN", "WR", "PS", NULL))
		cur = 1;
	if (at(&d, 0) == 'X') {
		add(&d, "S");
		cur = 1;
	}
	while (cur < d.len && (d.pn < LK_METAPHONE_MAX || d.an < LK_METAPHONE_MAX))
		cur = dm_step(&d, cur);
	memcpy(primary, d.p, (size_t)d.pn);
	primary[d.pn] = '\0';
	memcpy(alt, d.a, (size_t)d.an);
	alt[d.an] = '\0';
	return 0;
}

/* ---- NYSIIS ---- */

static bool ny_vowel(char c)
{
	return c == 'A' || c == 'E' || c == 'I' || c == 'O' || c == 'U';
}

static bool ends_with(const char *s, size_t n, const char *suf)
{
	size_t k = strlen(suf);
	return n >= k && memcmp(s + n - k, suf, k) == 0;
}

/* Steps 1 and 2: the prefix and suffix rewrites, in place; returns the new length. */
static size_t ny_affixes(char *s, size_t n)
{
	if (n >= 3 && memcmp(s, "MAC", 3) == 0) {
		s[1] = 'C';
	} else if (n >= 2 && memcmp(s, "KN", 2) == 0) {
		memmove(s, s + 1, n);
		n--;
	} else if (n >= 1 && s[0] == 'K') {
		s[0] = 'C';
	} else if (n >= 2 && (memcmp(s, "PH", 2) == 0 || memcmp(s, "PF", 2) == 0)) {
		s[0] = s[1] = 'F';
	} else if (n >= 3 && memcmp(s, "SCH", 3) == 0) {
		s[1] = s[2] = 'S';
	}
	if (ends_with(s, n, "IE") || ends_with(s, n, "EE")) {
		s[n - 2] = 'Y';
		s[--n] = '\0';
	} else if (ends_with(s, n, "DT") || ends_with(s, n, "RT") || ends_with(s, n, "RD") ||
	           ends_with(s, n, "NT") || ends_with(s, n, "ND")) {
		s[n - 2] = 'D';
		s[--n] = '\0';
	}
	return n;
}

int lk_nysiis(const char *in, size_t len, char *out, size_t cap)
{
	char s[FOLD_MAX + 2], key[2 * FOLD_MAX + 2];
	size_t n = fold(in, len, s, 0), k = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == C_CEDILLA || s[i] == N_TILDE)
			s[i] = s[i] == C_CEDILLA ? 'C' : 'N';
	n = ny_affixes(s, n);
	if (n > 0)
		key[k++] = s[0];
	for (size_t i = 1; i < n; i++) {
		char ch[3] = { s[i], 0, 0 };
		char prev = s[i - 1], next = i + 1 < n ? s[i + 1] : '\0';
		if (s[i] == 'E' && next == 'V') {
			ch[0] = 'A', ch[1] = 'F', i++;
		} else if (ny_vowel(s[i])) {
			ch[0] = 'A';
		} else if (s[i] == 'Q') {
			ch[0] = 'G';
		} else if (s[i] == 'Z') {
			ch[0] = 'S';
		} else if (s[i] == 'M') {
			ch[0] = 'N';
		} else if (s[i] == 'K') {
			ch[0] = next == 'N' ? 'N' : 'C';
		} else if (s[i] == 'S' && next == 'C' && i + 2 < n && s[i + 2] == 'H') {
			ch[0] = ch[1] = 'S', i += 2;
		} else if (s[i] == 'P' && next == 'H') {
			ch[0] = 'F', i++;
		} else if (s[i] == 'H' && (!ny_vowel(prev) || !ny_vowel(next))) {
			ch[0] = ny_vowel(prev) ? 'A' : prev;
		} else if (s[i] == 'W' && ny_vowel(prev)) {
			ch[0] = prev;
		}
		size_t cl = strlen(ch);
		if (ch[cl - 1] != key[k - 1])
			for (size_t j = 0; j < cl; j++)
				key[k++] = ch[j];
	}
	if (k > 1 && key[k - 1] == 'S')
		k--;
	if (k >= 2 && key[k - 2] == 'A' && key[k - 1] == 'Y')
		key[k - 2] = 'Y', k--;
	if (k > 1 && key[k - 1] == 'A')
		k--;
	if (k + 1 > cap)
		return MD_ELIMIT;
	memcpy(out, key, k);
	out[k] = '\0';
	return 0;
}
