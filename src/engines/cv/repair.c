#include "engines/cv/repair.h"

#include "base/common.h"

#include "text/normalize.h"

static const char *const builtin_words[] = {
#include "engines/cv/words.inc"
};

static const char *const ligatures[] = { "fi", "fl", "ff", "ffi", "ffl", "ft", "ti", "tt" };

#define WORD_MAX 64

const char *const *cv_words_builtin(size_t *n)
{
	*n = ARRAY_SIZE(builtin_words);
	return builtin_words;
}

static bool ascii_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool ascii_upper(char c)
{
	return c >= 'A' && c <= 'Z';
}

/* A byte that belongs to a word: an ASCII letter or digit, or any non-ASCII byte. */
static bool word_byte(char c)
{
	return ascii_letter(c) || (c >= '0' && c <= '9') || (unsigned char)c >= 0x80;
}

bool cv_words_has(const char *const *words, size_t nwords, const char *word, size_t len)
{
	char key[WORD_MAX];
	if (!len || len >= sizeof key)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!ascii_letter(word[i]))
			return false;
		key[i] = (char)(word[i] | 0x20);
	}
	key[len] = '\0';
	size_t lo = 0, hi = nwords;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(words[mid], key);
		if (c == 0)
			return true;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* Which single ligature makes a + lig + b a listed word: its index, or -1 (none or several). */
static int find_ligature(const char *const *words, size_t nwords, const char *a, size_t al,
                         const char *b, size_t bl)
{
	char w[WORD_MAX];
	int found = -1;
	for (size_t k = 0; k < ARRAY_SIZE(ligatures); k++) {
		size_t ll = strlen(ligatures[k]);
		if (al + ll + bl >= sizeof w)
			continue;
		memcpy(w, a, al);
		memcpy(w + al, ligatures[k], ll);
		memcpy(w + al + ll, b, bl);
		if (cv_words_has(words, nwords, w, al + ll + bl)) {
			if (found >= 0)
				return -1;
			found = (int)k;
		}
	}
	return found;
}

static int put_ligature(struct buf *o, int k, bool upper)
{
	const char *l = ligatures[k];
	int rc = 0;
	for (; *l && !rc; l++)
		rc = buf_putc(o, upper ? (char)(*l & ~0x20) : *l);
	return rc;
}

static bool all_letters(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!ascii_letter(s[i]))
			return false;
	return n > 0;
}

/*
 * Ends a rewrite of text into o: when it succeeded and changed something, o takes text's place;
 * otherwise text stays as it was. Returns rc.
 */
static int finish(struct buf *text, struct buf *o, int rc, bool changed)
{
	if (!rc && changed) {
		struct buf t = *text;
		*text = *o;
		text->cap_limit = t.cap_limit;
		*o = t;
	}
	buf_release(o);
	return rc;
}

int cv_repair_ligature_gaps(struct buf *text, const char *const *words, size_t nwords,
                            int *repaired)
{
	if (!text->data || !text->len)
		return 0;
	struct buf o;
	buf_init(&o, text->cap_limit);
	const char *s = text->data;
	size_t n = text->len, i = 0;
	int rc = 0, count = 0;
	while (i < n && !rc) {
		if (!word_byte(s[i]) || (i > 0 && word_byte(s[i - 1]))) {
			rc = buf_putc(&o, s[i++]);
			continue;
		}
		size_t a = i, ae = i;
		while (ae < n && word_byte(s[ae]))
			ae++;
		size_t al = ae - a;
		/* "A B": one space, then a word that ends the run. */
		if (all_letters(s + a, al) && ae + 1 < n && s[ae] == ' ' &&
		    ascii_letter(s[ae + 1])) {
			size_t b = ae + 1, be = b;
			while (be < n && word_byte(s[be]))
				be++;
			int k = -1;
			if (all_letters(s + b, be - b) && al + (be - b) >= 3)
				k = find_ligature(words, nwords, s + a, al, s + b, be - b);
			if (k >= 0) {
				rc = buf_append(&o, s + a, al);
				if (!rc)
					rc = put_ligature(
					    &o, k, ascii_upper(s[ae - 1]) && ascii_upper(s[b]));
				if (!rc)
					rc = buf_append(&o, s + b, be - b);
				count++;
				i = be;
				continue;
			}
		}
		/* "Swi" at the end of a word that no letter follows. */
		if (al >= 3 && all_letters(s + a, al) && !cv_words_has(words, nwords, s + a, al)) {
			int k = find_ligature(words, nwords, s + a, al, "", 0);
			if (k >= 0) {
				rc = buf_append(&o, s + a, al);
				if (!rc)
					rc = put_ligature(&o, k,
					                  ascii_upper(s[ae - 1]) &&
					                      ascii_upper(s[a]) && al > 1 &&
					                      ascii_upper(s[a + 1]));
				count++;
				i = ae;
				continue;
			}
		}
		rc = buf_append(&o, s + a, al);
		i = ae;
	}
	if (!rc && repaired)
		*repaired += count;
	return finish(text, &o, rc, count > 0);
}

int cv_repair_hyphens(struct buf *text, const char *const *words, size_t nwords, int *joined)
{
	if (!text->data || !text->len)
		return 0;
	struct buf o;
	buf_init(&o, text->cap_limit);
	const char *s = text->data;
	size_t n = text->len, i = 0;
	int rc = 0, count = 0;
	bool marks = false;
	char w[WORD_MAX];
	while (i < n && !rc) {
		if (!(i + 1 < n && (unsigned char)s[i] == 0xC2 &&
		      (unsigned char)s[i + 1] == 0xAD)) {
			rc = buf_putc(&o, s[i++]);
			continue;
		}
		/* The first half is what o ends with; the second half follows the marker. */
		size_t a = o.len;
		while (a > 0 && word_byte(o.data[a - 1]) && o.len - a < WORD_MAX)
			a--;
		size_t b = i + 2, be = b;
		while (be < n && word_byte(s[be]) && be - b < WORD_MAX)
			be++;
		size_t al = o.len - a, bl = be - b;
		bool join;
		if (al + bl < sizeof w) {
			memcpy(w, o.data + a, al);
			memcpy(w + al, s + b, bl);
			join = cv_words_has(words, nwords, w, al + bl) ||
			       !cv_words_has(words, nwords, o.data + a, al);
		} else {
			join = true;
		}
		if (join)
			count++;
		else
			rc = buf_putc(&o, '-');
		marks = true;
		i += 2;
	}
	if (!rc && joined)
		*joined += count;
	return finish(text, &o, rc, marks);
}

int cv_repair_line_hyphens(struct buf *text, const char *const *words, size_t nwords, int *joined)
{
	if (!text->data || !text->len)
		return 0;
	/* Marks each break as cv_layout_page() would, then lets cv_repair_hyphens decide. */
	struct buf o;
	buf_init(&o, text->cap_limit);
	const char *s = text->data;
	size_t n = text->len;
	int rc = 0, marks = 0;
	for (size_t i = 0; i < n && !rc;) {
		size_t j = i + 2;
		while (j < n && j - i < 40 && (s[j] == ' ' || s[j] == '\t'))
			j++;
		if (s[i] == '-' && i + 1 < n && s[i + 1] == '\n' && i > 0 && word_byte(s[i - 1]) &&
		    j < n && s[j] >= 'a' && s[j] <= 'z') {
			rc = buf_append(&o, "\xC2\xAD", 2);
			marks++;
			i = j;
			continue;
		}
		rc = buf_putc(&o, s[i++]);
	}
	rc = finish(text, &o, rc, marks > 0);
	return rc ? rc : cv_repair_hyphens(text, words, nwords, joined);
}

/* ---- flattened plain-text exports ---- */

static size_t space_run(const char *s, size_t n, size_t i)
{
	size_t j = i;
	while (j < n && s[j] == ' ')
		j++;
	return j - i;
}

static bool flattened(const char *s, size_t n)
{
	if (n < CV_FLAT_LINE_MIN)
		return false;
	size_t runs = 0;
	for (size_t i = 0; i < n && runs < CV_FLAT_RUNS_MIN; i++) {
		size_t r = space_run(s, n, i);
		runs += r >= 2;
		i += r;
	}
	return runs >= CV_FLAT_RUNS_MIN;
}

/*
 * Decodes the run of "\xHH" escapes at s[i..n) into out when the bytes spell valid UTF-8 and
 * returns how many input bytes it took, or 0 (nothing written) when they do not.
 */
static size_t put_escapes(const char *s, size_t n, size_t i, struct buf *out, int *rc)
{
	char bytes[64];
	size_t nb = 0, j = i;
	while (nb < sizeof bytes && j + 3 < n && s[j] == '\\' && s[j + 1] == 'x' &&
	       md_hex_digit(s[j + 2]) >= 0 && md_hex_digit(s[j + 3]) >= 0) {
		bytes[nb++] = (char)(md_hex_digit(s[j + 2]) * 16 + md_hex_digit(s[j + 3]));
		j += 4;
	}
	if (nb == 0)
		return 0;
	nb = text_utf8_floor(bytes, nb);
	for (size_t k = 0; k < nb;) {
		int32_t cp;
		size_t l = text_decode(bytes + k, nb - k, &cp);
		if (cp < 0x20)
			return 0; /* invalid, or a control character */
		k += l;
	}
	if (nb == 0)
		return 0;
	*rc = buf_append(out, bytes, nb);
	return nb * 4;
}

static int unflatten_line(const char *s, size_t n, struct buf *o)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\r'))
		n--;
	while (n && s[0] == ' ')
		s++, n--;
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		s++, n -= 2;
	int rc = 0;
	for (size_t i = 0; i < n && !rc;) {
		size_t r = space_run(s, n, i);
		if (r >= 2) {
			rc = buf_append(o, "\n\n", r >= 4 ? 2 : 1);
			i += r;
			continue;
		}
		if (s[i] == '"' && i + 1 < n && s[i + 1] == '"') {
			rc = buf_putc(o, '"');
			i += 2;
			continue;
		}
		size_t took = s[i] == '\\' ? put_escapes(s, n, i, o, &rc) : 0;
		if (took) {
			i += took;
			continue;
		}
		rc = buf_putc(o, s[i++]);
	}
	return rc;
}

bool cv_text_flattened(const char *s, size_t n)
{
	for (size_t pos = 0; pos < n;) {
		const char *nl = memchr(s + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - s) : n;
		if (flattened(s + pos, end - pos))
			return true;
		pos = end + 1;
	}
	return false;
}

int cv_repair_flat_text(struct buf *text, int *restored)
{
	if (!text->data || !cv_text_flattened(text->data, text->len))
		return 0;
	struct buf o;
	buf_init(&o, text->cap_limit);
	const char *s = text->data;
	size_t n = text->len;
	int rc = 0, count = 0;
	for (size_t pos = 0; pos < n && !rc;) {
		const char *nl = memchr(s + pos, '\n', n - pos);
		size_t end = nl ? (size_t)(nl - s) : n;
		if (flattened(s + pos, end - pos)) {
			rc = unflatten_line(s + pos, end - pos, &o);
			count++;
		} else {
			rc = buf_append(&o, s + pos, end - pos);
		}
		if (!rc && nl)
			rc = buf_putc(&o, '\n');
		pos = end + 1;
	}
	if (!rc && restored)
		*restored += count;
	return finish(text, &o, rc, count > 0);
}
