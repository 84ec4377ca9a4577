/* compare.c: string comparators and comparison levels (see compare.h). */
#include "engines/linkage/compare.h"

#include <math.h>
#include <utf8proc.h>

#include "base/common.h"
#include "engines/linkage/phonetic.h"
#include "engines/linkage/table.h"
#include "text/normalize.h"

#define STACK_CPS 128

/* A decoded string: code points on the stack when short, on the heap when long. */
struct cps {
	const uint32_t *v;
	size_t n;
	uint32_t *heap; /* freed by cps_release; NULL when v is on the stack or borrowed */
	uint32_t stack[STACK_CPS];
};

/* Decodes s[0..n) into dst (room for n code points); returns the count. */
static size_t decode_into(uint32_t *dst, const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n;) {
		unsigned char b = (unsigned char)s[i];
		if (b < 0x80) {
			dst[k++] = b;
			i++;
			continue;
		}
		int32_t cp;
		i += text_decode(s + i, n - i, &cp);
		dst[k++] = cp < 0 ? 0xFFFD : (uint32_t)cp;
	}
	return k;
}

/* Room for n code points in c: its stack when they fit, else the heap. */
static uint32_t *cps_room(struct cps *c, size_t n)
{
	c->heap = NULL;
	c->n = 0;
	if (n <= STACK_CPS) {
		c->v = c->stack;
		return c->stack;
	}
	c->heap = md_malloc(n * sizeof(uint32_t));
	c->v = c->heap;
	return c->heap;
}

static bool cps_decode(struct cps *c, const char *s, size_t n)
{
	uint32_t *dst = cps_room(c, n);
	if (!dst)
		return false;
	c->n = decode_into(dst, s, n);
	return true;
}

static void cps_release(struct cps *c)
{
	md_free(c->heap);
	c->heap = NULL;
}

/* Scratch memory: on the stack when small. */
struct scratch {
	void *p;
	unsigned char stack[1024];
};

static void *scratch_get(struct scratch *s, size_t n)
{
	s->p = n <= sizeof s->stack ? s->stack : md_malloc(n);
	return s->p;
}

static void scratch_release(struct scratch *s)
{
	if (s->p != s->stack)
		md_free(s->p);
}

/* ---- Jaro, Jaro-Winkler ---- */

/* Jaro from m matching characters with t half-transpositions; every kernel ends here. */
static double jaro_of(size_t m, size_t t, size_t an, size_t bn)
{
	double md = (double)m;
	return (md / (double)an + md / (double)bn + (md - (double)t / 2.0) / md) / 3.0;
}

static double jaro_cps(const uint32_t *a, size_t an, const uint32_t *b, size_t bn)
{
	if (an == 0 && bn == 0)
		return 1.0;
	if (an == 0 || bn == 0)
		return 0.0;
	size_t window = MD_MAX(an, bn) / 2;
	window = window ? window - 1 : 0;
	struct scratch sc;
	unsigned char *af = scratch_get(&sc, an + bn);
	if (!af)
		return 0.0;
	unsigned char *bf = af + an;
	memset(af, 0, an + bn);
	size_t m = 0;
	for (size_t i = 0; i < an; i++) {
		size_t lo = i > window ? i - window : 0, hi = MD_MIN(i + window + 1, bn);
		for (size_t j = lo; j < hi; j++) {
			if (!bf[j] && a[i] == b[j]) {
				af[i] = bf[j] = 1;
				m++;
				break;
			}
		}
	}
	double r = 0.0;
	if (m) {
		size_t t = 0, k = 0;
		for (size_t i = 0; i < an; i++) {
			if (!af[i])
				continue;
			while (!bf[k])
				k++;
			if (a[i] != b[k])
				t++;
			k++;
		}
		r = jaro_of(m, t, an, bn);
	}
	scratch_release(&sc);
	return r;
}

double lk_jaro(const char *a, size_t an, const char *b, size_t bn)
{
	struct cps ca, cb;
	double r = 0.0;
	if (cps_decode(&ca, a, an) && cps_decode(&cb, b, bn)) {
		r = jaro_cps(ca.v, ca.n, cb.v, cb.n);
		cps_release(&cb);
	}
	cps_release(&ca);
	return r;
}

/* Winkler's prefix bonus on the Jaro similarity r of a and b (code points). */
static double winkler_cps(double r, const uint32_t *a, size_t an, const uint32_t *b, size_t bn)
{
	if (r > 0.7) {
		size_t l = 0, lmax = MD_MIN(MD_MIN(an, bn), 4);
		while (l < lmax && a[l] == b[l])
			l++;
		r += (double)l * 0.1 * (1.0 - r);
	}
	return r;
}

double lk_jaro_winkler(const char *a, size_t an, const char *b, size_t bn)
{
	struct cps ca, cb;
	double r = 0.0;
	if (cps_decode(&ca, a, an) && cps_decode(&cb, b, bn)) {
		r = winkler_cps(jaro_cps(ca.v, ca.n, cb.v, cb.n), ca.v, ca.n, cb.v, cb.n);
		cps_release(&cb);
	}
	cps_release(&ca);
	return r;
}

/*
 * The match masks of the bit-parallel kernels: bit k of pm[c] says s[k] == c. Only the
 * entries the two strings use are cleared, since a full memset would cost more than a short
 * comparison.
 */
static void match_masks(uint64_t pm[128], const unsigned char *other, size_t on,
                        const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < on; i++)
		pm[other[i]] = 0;
	for (size_t k = 0; k < n; k++)
		pm[s[k]] = 0;
	for (size_t k = 0; k < n; k++)
		pm[s[k]] |= 1ull << k;
}

/*
 * Jaro of two ASCII strings of at most 64 characters, bit-parallel: bit j of pm[c] says
 * b[j] == c, so the first free b position in a's window that matches is the lowest bit of
 * pm[a[i]] & window & ~taken, the one the scalar loop of jaro_cps finds first. The same
 * matches in the same order give the same transpositions and, through jaro_of, the same
 * double.
 */
static double jaro_ascii64(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
	if (an == 0 && bn == 0)
		return 1.0;
	if (an == 0 || bn == 0)
		return 0.0;
	uint64_t pm[128];
	match_masks(pm, a, an, b, bn);
	size_t window = MD_MAX(an, bn) / 2;
	window = window ? window - 1 : 0;
	uint64_t aflag = 0, bflag = 0;
	size_t m = 0;
	for (size_t i = 0; i < an; i++) {
		size_t lo = i > window ? i - window : 0, hi = MD_MIN(i + window + 1, bn);
		if (lo >= hi)
			break; /* lo only grows and hi stays at bn from here on */
		uint64_t win = (hi == 64 ? ~0ull : (1ull << hi) - 1) & ~((1ull << lo) - 1);
		uint64_t cand = pm[a[i]] & win & ~bflag;
		if (cand) {
			bflag |= cand & (0 - cand);
			aflag |= 1ull << i;
			m++;
		}
	}
	if (!m)
		return 0.0;
	size_t t = 0;
	while (aflag) {
		t += a[__builtin_ctzll(aflag)] != b[__builtin_ctzll(bflag)];
		aflag &= aflag - 1;
		bflag &= bflag - 1;
	}
	return jaro_of(m, t, an, bn);
}

static double jaro_winkler_ascii64(const unsigned char *a, size_t an, const unsigned char *b,
                                   size_t bn)
{
	double r = jaro_ascii64(a, an, b, bn);
	if (r > 0.7) {
		size_t l = 0, lmax = MD_MIN(MD_MIN(an, bn), 4);
		while (l < lmax && a[l] == b[l])
			l++;
		r += (double)l * 0.1 * (1.0 - r);
	}
	return r;
}

/* ---- bounded optimal string alignment ---- */

static int osa_cps(const uint32_t *a, size_t an, const uint32_t *b, size_t bn, int max)
{
	size_t diff = an > bn ? an - bn : bn - an;
	if (diff > (size_t)max)
		return max + 1;
	if (an == 0 || bn == 0)
		return (int)MD_MAX(an, bn);
	int big = max + 1;
	size_t w = bn + 1;
	struct scratch sc;
	int *rows = scratch_get(&sc, 3 * w * sizeof(int));
	if (!rows)
		return big;
	int *pp = rows, *p = rows + w, *c = rows + 2 * w;
	for (size_t j = 0; j < w; j++)
		p[j] = j <= (size_t)max ? (int)j : big;
	size_t band = (size_t)max;
	int result = big;
	for (size_t i = 1; i <= an; i++) {
		size_t lo = i > band ? i - band : 1, hi = MD_MIN(bn, i + band);
		c[lo - 1] = lo == 1 ? (int)MD_MIN(i, (size_t)big) : big;
		int rowmin = c[lo - 1];
		for (size_t j = lo; j <= hi; j++) {
			int cost = a[i - 1] != b[j - 1];
			int v = p[j - 1] + cost;
			if (p[j] + 1 < v)
				v = p[j] + 1;
			if (c[j - 1] + 1 < v)
				v = c[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    pp[j - 2] + 1 < v)
				v = pp[j - 2] + 1;
			if (v > big)
				v = big;
			c[j] = v;
			if (v < rowmin)
				rowmin = v;
		}
		if (hi + 1 <= bn)
			c[hi + 1] = big;
		if (rowmin > max)
			goto out; /* rows never get cheaper: the distance exceeds max */
		int *t = pp;
		pp = p;
		p = c;
		c = t;
	}
	result = p[bn] > max ? big : p[bn];
out:
	scratch_release(&sc);
	return result;
}

/*
 * The OSA distance of two non-empty ASCII strings, a at most 64 characters, bit-parallel
 * (Hyyrö, "A bit-vector algorithm for computing Levenshtein and Damerau edit distances",
 * 2003): a column of the matrix is kept as two bit vectors of its +1 and -1 vertical steps,
 * and a transposition is a match of a[i] with b[j - 1] right after one of a[i - 1] with b[j].
 * Unbounded: the caller caps it as osa_cps would.
 */
static int osa_ascii64(const unsigned char *a, size_t an, const unsigned char *b, size_t bn)
{
	uint64_t pm[128];
	match_masks(pm, b, bn, a, an);
	uint64_t vp = ~0ull, vn = 0, d0 = 0, pm_prev = 0, last = 1ull << (an - 1);
	int d = (int)an;
	for (size_t j = 0; j < bn; j++) {
		uint64_t pmj = pm[b[j]];
		uint64_t tr = ((~d0 & pmj) << 1) & pm_prev;
		d0 = ((((pmj & vp) + vp) ^ vp) | pmj | vn) | tr;
		uint64_t hp = vn | ~(d0 | vp), hn = d0 & vp;
		d += (hp & last) != 0;
		d -= (hn & last) != 0;
		hp = (hp << 1) | 1;
		hn <<= 1;
		vp = hn | ~(d0 | hp);
		vn = hp & d0;
		pm_prev = pmj;
	}
	return d;
}

int lk_osa_distance(const char *a, size_t an, const char *b, size_t bn, int max)
{
	struct cps ca, cb;
	if (max < 0 || (size_t)max > an + bn)
		max = (int)MD_MIN(an + bn, (size_t)INT32_MAX - 1);
	int r = max + 1;
	if (cps_decode(&ca, a, an) && cps_decode(&cb, b, bn)) {
		r = osa_cps(ca.v, ca.n, cb.v, cb.n, max);
		cps_release(&cb);
	}
	cps_release(&ca);
	return r;
}

/* ---- token set ratio ---- */

struct token {
	const uint32_t *v;
	size_t n;
};

struct tokens {
	uint32_t *cp; /* all code points, lower-cased */
	struct token *t;
	size_t n;
};

static int token_cmp(const void *x, const void *y)
{
	const struct token *a = x, *b = y;
	size_t n = MD_MIN(a->n, b->n);
	for (size_t i = 0; i < n; i++)
		if (a->v[i] != b->v[i])
			return a->v[i] < b->v[i] ? -1 : 1;
	return a->n < b->n ? -1 : a->n > b->n;
}

/* Splits s into sorted, distinct, lower-cased words. */
static bool tokenize(const char *s, size_t n, struct tokens *out)
{
	out->cp = md_malloc((n + 1) * sizeof(uint32_t));
	out->t = md_malloc((n / 2 + 1) * sizeof(struct token));
	out->n = 0;
	if (!out->cp || !out->t)
		return false;
	struct slice rest = { s, n }, word;
	size_t k = 0;
	while (text_next_word(&rest, &word)) {
		struct token *t = &out->t[out->n++];
		t->v = out->cp + k;
		for (size_t i = 0; i < word.len;) {
			int32_t cp;
			i += text_decode(word.ptr + i, word.len - i, &cp);
			out->cp[k++] = (uint32_t)utf8proc_tolower(cp);
		}
		t->n = (size_t)(out->cp + k - t->v);
	}
	md_qsort(out->t, out->n, sizeof(struct token), token_cmp);
	size_t u = 0;
	for (size_t i = 0; i < out->n; i++)
		if (u == 0 || token_cmp(&out->t[u - 1], &out->t[i]) != 0)
			out->t[u++] = out->t[i];
	out->n = u;
	return true;
}

static void tokens_release(struct tokens *t)
{
	md_free(t->cp);
	md_free(t->t);
}

/* Appends the words, space-separated, to dst (after a space when dst is not empty). */
static size_t join(uint32_t *dst, size_t k, struct token *const *w, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (k)
			dst[k++] = ' ';
		memcpy(dst + k, w[i]->v, w[i]->n * sizeof(uint32_t));
		k += w[i]->n;
	}
	return k;
}

/* The Levenshtein ratio of python-Levenshtein: 2 * LCS / (an + bn); 0 if either is empty. */
static double lcs_ratio(const uint32_t *a, size_t an, const uint32_t *b, size_t bn)
{
	if (an == 0 || bn == 0)
		return 0.0;
	struct scratch sc;
	size_t *row = scratch_get(&sc, (bn + 1) * sizeof(size_t));
	if (!row)
		return 0.0;
	memset(row, 0, (bn + 1) * sizeof(size_t));
	for (size_t i = 1; i <= an; i++) {
		size_t diag = 0;
		for (size_t j = 1; j <= bn; j++) {
			size_t up = row[j];
			row[j] = a[i - 1] == b[j - 1] ? diag + 1 : MD_MAX(up, row[j - 1]);
			diag = up;
		}
	}
	double r = 2.0 * (double)row[bn] / (double)(an + bn);
	scratch_release(&sc);
	return r;
}

static double token_set_score(struct tokens *ta, struct tokens *tb, uint32_t *buf, size_t cap)
{
	size_t nmax = ta->n + tb->n;
	struct token **sect = md_malloc((nmax + 1) * 3 * sizeof(struct token *));
	if (!sect)
		return 0.0;
	struct token **d1 = sect + nmax + 1, **d2 = d1 + nmax + 1;
	size_t ns = 0, n1 = 0, n2 = 0, i = 0, j = 0;
	while (i < ta->n || j < tb->n) {
		int c = i == ta->n ? 1 : j == tb->n ? -1 : token_cmp(&ta->t[i], &tb->t[j]);
		if (c == 0) {
			sect[ns++] = &ta->t[i++];
			j++;
		} else if (c < 0) {
			d1[n1++] = &ta->t[i++];
		} else {
			d2[n2++] = &tb->t[j++];
		}
	}
	/* buf holds t0, t1 and t2 one after the other; each fits in cap / 3. */
	uint32_t *t0 = buf, *t1 = buf + cap / 3, *t2 = buf + 2 * (cap / 3);
	size_t l0 = join(t0, 0, sect, ns);
	memcpy(t1, t0, l0 * sizeof(uint32_t));
	memcpy(t2, t0, l0 * sizeof(uint32_t));
	size_t l1 = join(t1, l0, d1, n1), l2 = join(t2, l0, d2, n2);
	double r = lcs_ratio(t0, l0, t1, l1);
	r = MD_MAX(r, lcs_ratio(t0, l0, t2, l2));
	r = MD_MAX(r, lcs_ratio(t1, l1, t2, l2));
	md_free(sect);
	return r;
}

double lk_token_set_ratio(const char *a, size_t an, const char *b, size_t bn)
{
	struct tokens ta = { 0 }, tb = { 0 };
	double r = 0.0;
	if (tokenize(a, an, &ta) && tokenize(b, bn, &tb) && ta.n && tb.n) {
		/* Each joined string has at most an + bn code points plus separators. */
		size_t cap = 3 * (an + bn + ta.n + tb.n + 1);
		uint32_t *buf = md_malloc(cap * sizeof(uint32_t));
		if (buf)
			r = token_set_score(&ta, &tb, buf, cap);
		md_free(buf);
	}
	tokens_release(&ta);
	tokens_release(&tb);
	return r;
}

/* ---- q-gram TF-IDF cosine ---- */

#define QGRAM_PAD 0x110000u /* not a code point: the boundary mark */

static uint64_t gram_hash(const uint32_t *g, int q)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (int i = 0; i < q; i++) {
		h ^= g[i];
		h *= 0x100000001b3ull;
	}
	h ^= h >> 31;
	return h ? h : 1;
}

static int u64_cmp(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

/* The sorted q-gram hashes of s (padded); *out is a heap array of *n entries. */
static bool grams(const char *s, size_t n, int q, uint64_t **out, size_t *count)
{
	struct cps c;
	*out = NULL;
	*count = 0;
	if (!cps_decode(&c, s, n))
		return false;
	size_t len = c.n + 2 * (size_t)(q - 1), ng = len - (size_t)q + 1;
	uint32_t *pad = md_malloc(len * sizeof(uint32_t));
	uint64_t *h = md_malloc(ng * sizeof(uint64_t));
	bool ok = pad && h;
	if (ok) {
		for (size_t i = 0; i < len; i++)
			pad[i] = i < (size_t)(q - 1) || i >= (size_t)(q - 1) + c.n
			             ? QGRAM_PAD
			             : c.v[i - (size_t)(q - 1)];
		for (size_t i = 0; i < ng; i++)
			h[i] = gram_hash(pad + i, q);
		md_qsort(h, ng, sizeof(uint64_t), u64_cmp);
		*out = h;
		*count = ng;
	} else {
		md_free(h);
	}
	md_free(pad);
	cps_release(&c);
	return ok;
}

static size_t slot_of(const struct lk_qgram_index *ix, uint64_t key)
{
	size_t mask = ix->nslots - 1, i = (size_t)(key * 0x9E3779B97F4A7C15ull) & mask;
	while (ix->keys[i] && ix->keys[i] != key)
		i = (i + 1) & mask;
	return i;
}

static int ix_grow(struct lk_qgram_index *ix)
{
	struct lk_qgram_index old = *ix;
	size_t n = old.nslots ? old.nslots * 2 : 1024;
	ix->keys = md_calloc(n, sizeof(uint64_t));
	ix->df = md_calloc(n, sizeof(uint32_t));
	if (!ix->keys || !ix->df) {
		md_free(ix->keys);
		md_free(ix->df);
		*ix = old;
		return MD_ENOMEM;
	}
	ix->nslots = n;
	for (size_t i = 0; i < old.nslots; i++) {
		if (!old.keys[i])
			continue;
		size_t s = slot_of(ix, old.keys[i]);
		ix->keys[s] = old.keys[i];
		ix->df[s] = old.df[i];
	}
	md_free(old.keys);
	md_free(old.df);
	return 0;
}

static int ix_add_doc(struct lk_qgram_index *ix, const char *s)
{
	uint64_t *h;
	size_t n;
	if (!grams(s, strlen(s), ix->q, &h, &n))
		return MD_ENOMEM;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i > 0 && h[i] == h[i - 1])
			continue; /* document frequency: once per row */
		if ((ix->count + 1) * 2 > ix->nslots && (rc = ix_grow(ix)))
			break;
		size_t slot = slot_of(ix, h[i]);
		if (!ix->keys[slot]) {
			ix->keys[slot] = h[i];
			ix->count++;
		}
		ix->df[slot]++;
	}
	md_free(h);
	return rc;
}

int lk_qgram_index_build(struct lk_qgram_index *ix, const struct lk_table *t, int col, int q)
{
	memset(ix, 0, sizeof *ix);
	if (q < 1 || q > 8 || col < 0 || (size_t)col >= t->ncols)
		return MD_EINVAL;
	ix->q = q;
	int rc = ix_grow(ix);
	for (size_t r = 0; r < t->nrows && rc == 0; r++)
		rc = ix_add_doc(ix, t->cells[r * t->ncols + (size_t)col]);
	ix->ndocs = t->nrows;
	if (rc)
		lk_qgram_index_release(ix);
	return rc;
}

void lk_qgram_index_release(struct lk_qgram_index *ix)
{
	md_free(ix->keys);
	md_free(ix->df);
	memset(ix, 0, sizeof *ix);
}

static double idf(const struct lk_qgram_index *ix, uint64_t h)
{
	if (!ix)
		return 1.0;
	size_t s = slot_of(ix, h);
	double df = ix->keys[s] ? (double)ix->df[s] : 0.0;
	return log((1.0 + (double)ix->ndocs) / (1.0 + df)) + 1.0;
}

/* Sum over distinct grams of (tf * idf)^2, and of the products with the other side. */
static double cosine_sorted(const struct lk_qgram_index *ix, const uint64_t *a, size_t an,
                            const uint64_t *b, size_t bn)
{
	double dot = 0, na = 0, nb = 0;
	size_t i = 0, j = 0;
	while (i < an || j < bn) {
		uint64_t h = i == an ? b[j] : j == bn ? a[i] : MD_MIN(a[i], b[j]);
		double ta = 0, tb = 0;
		while (i < an && a[i] == h)
			ta++, i++;
		while (j < bn && b[j] == h)
			tb++, j++;
		double w = idf(ix, h);
		ta *= w;
		tb *= w;
		dot += ta * tb;
		na += ta * ta;
		nb += tb * tb;
	}
	return na > 0 && nb > 0 ? dot / sqrt(na * nb) : 0.0;
}

double lk_qgram_cosine(const struct lk_qgram_index *ix, const char *a, size_t an, const char *b,
                       size_t bn)
{
	if (an == 0 || bn == 0)
		return an == bn ? 1.0 : 0.0;
	int q = ix ? ix->q : 3;
	uint64_t *ga, *gb;
	size_t na, nb;
	double r = 0.0;
	if (grams(a, an, q, &ga, &na)) {
		if (grams(b, bn, q, &gb, &nb)) {
			r = cosine_sorted(ix, ga, na, gb, nb);
			md_free(gb);
		}
		md_free(ga);
	}
	return r > 1.0 ? 1.0 : r;
}

/* ---- numbers and dates ---- */

static bool parse_number(const char *s, double *v)
{
	while (*s == ' ')
		s++;
	if (!*s || !((*s >= '0' && *s <= '9') || *s == '-' || *s == '+' || *s == '.'))
		return false;
	char *end;
	*v = strtod(s, &end);
	if (end == s || !isfinite(*v))
		return false;
	while (*end == ' ')
		end++;
	return *end == '\0';
}

double lk_numeric_reldiff(const char *a, const char *b, bool *ok)
{
	double x, y;
	*ok = parse_number(a, &x) && parse_number(b, &y);
	if (!*ok)
		return 1.0;
	double m = MD_MAX(fabs(x), fabs(y));
	return m == 0.0 ? 0.0 : fabs(x - y) / m;
}

struct ymd {
	int y, m, d;
};

/* Reads exactly n digits. */
static bool digits(const char *s, int n, int *v)
{
	*v = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/* Reads 1 or 2 digits followed by sep; advances *s. */
static bool small_num(const char **s, char sep, int *v)
{
	const char *p = *s;
	int n = 0;
	while (n < 2 && p[n] >= '0' && p[n] <= '9')
		n++;
	if (n == 0 || p[n] != sep)
		return false;
	digits(p, n, v);
	*s = p + n + 1;
	return true;
}

/* Parses the fields of a date without checking the calendar. */
static bool parse_ymd(const char *s, struct ymd *out)
{
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	while (n > 0 && s[n - 1] == ' ')
		n--;
	if (n == 8 && digits(s, 4, &out->y) && digits(s + 4, 2, &out->m) &&
	    digits(s + 6, 2, &out->d))
		return true;
	if (n == 10 && s[4] == '-' && s[7] == '-' && digits(s, 4, &out->y) &&
	    digits(s + 5, 2, &out->m) && digits(s + 8, 2, &out->d))
		return true;
	const char *p = s;
	return n >= 8 && n <= 10 && small_num(&p, '/', &out->d) && small_num(&p, '/', &out->m) &&
	       (size_t)(p - s) + 4 == n && digits(p, 4, &out->y);
}

static bool valid_ymd(const struct ymd *d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (d->m < 1 || d->m > 12 || d->d < 1)
		return false;
	bool leap = (d->y % 4 == 0 && d->y % 100 != 0) || d->y % 400 == 0;
	return d->d <= mdays[d->m - 1] + (d->m == 2 && leap);
}

/* Days since 1970-01-01 (Howard Hinnant's days_from_civil). */
static long days_from_civil(const struct ymd *d)
{
	long y = d->y - (d->m <= 2);
	long era = (y >= 0 ? y : y - 399) / 400;
	long yoe = y - era * 400;
	long mp = (d->m + 9) % 12;
	long doy = (153 * mp + 2) / 5 + d->d - 1;
	long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int lk_date_diff_days(const char *a, const char *b, bool *swapped_dm, bool *ok)
{
	struct ymd x, y;
	bool parsed = parse_ymd(a, &x) && parse_ymd(b, &y);
	if (swapped_dm)
		*swapped_dm = parsed && x.y == y.y && x.d == y.m && x.m == y.d && x.d != x.m;
	*ok = parsed && valid_ymd(&x) && valid_ymd(&y);
	if (!*ok)
		return -1;
	long diff = days_from_civil(&x) - days_from_civil(&y);
	return (int)(diff < 0 ? -diff : diff);
}

/* ---- levels ---- */

/* Whether f has the prefix level: only string comparators have it. */
static int prefix_level(const struct lk_field *f)
{
	return f->prefix_level && (f->cmp == LK_CMP_JARO_WINKLER || f->cmp == LK_CMP_LEVENSHTEIN ||
	                           f->cmp == LK_CMP_TOKEN_SET || f->cmp == LK_CMP_QGRAM_COSINE);
}

/* The number of threshold levels (between exact and else, without the prefix level). */
static int nthr(const struct lk_field *f)
{
	int k = f->nthresholds, max = LK_MAX_LEVELS - 2 - prefix_level(f);
	return k < 0 ? 0 : k > max ? max : k;
}

int lk_field_nlevels(const struct lk_field *f)
{
	return nthr(f) + 2 + prefix_level(f);
}

static int level_sim(const struct lk_field *f, double s)
{
	int n = nthr(f);
	for (int k = 0; k < n; k++)
		if (s >= f->thresholds[k])
			return n - k;
	return 0;
}

static int level_dist(const struct lk_field *f, double d)
{
	int n = nthr(f);
	for (int k = 0; k < n; k++)
		if (d <= f->thresholds[k])
			return n - k;
	return 0;
}

static size_t count_cps(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		k += ((unsigned char)s[i] & 0xC0) != 0x80;
	return k;
}

/*
 * Whether two different values share a prefix of at least LK_PREFIX_MIN code points that
 * covers at least two thirds of the shorter one: one side cut to a width, or both cut after
 * the same leading words ("filippino l bgc" / "filippino l mon").
 */
static bool shares_prefix(const char *a, const char *b)
{
	size_t an = strlen(a), bn = strlen(b), n = 0;
	while (n < an && n < bn && a[n] == b[n])
		n++;
	while (n > 0 && ((unsigned char)a[n] & 0xC0) == 0x80 && n < an)
		n--; /* do not split a code point */
	size_t common = count_cps(a, n), shorter = count_cps(an <= bn ? a : b, MD_MIN(an, bn));
	return common >= LK_PREFIX_MIN && 3 * common >= 2 * shorter;
}

/* The bound of a levenshtein field's distance: its largest threshold. */
static int osa_bound(const struct lk_field *f)
{
	int nl = nthr(f) + 2;
	double tmax = 0;
	for (int k = 0; k < nl - 2; k++)
		tmax = MD_MAX(tmax, f->thresholds[k]);
	return (int)MD_MIN(tmax, 1e6);
}

static int level_osa(const struct lk_field *f, const char *a, const char *b)
{
	if (nthr(f) == 0)
		return 0;
	int d = lk_osa_distance(a, strlen(a), b, strlen(b), osa_bound(f));
	return level_dist(f, d);
}

static int level_date(const struct lk_field *f, const char *a, const char *b)
{
	bool swapped, ok;
	int nl = lk_field_nlevels(f);
	int d = lk_date_diff_days(a, b, &swapped, &ok);
	if (ok && d == 0)
		return nl - 1; /* the same day written differently */
	int lvl = ok ? level_dist(f, d) : 0;
	if (swapped && nl > 2 && lvl < nl - 2)
		lvl = nl - 2;
	return lvl;
}

static int level_phonetic(const struct lk_field *f, const char *a, const char *b)
{
	char pa[8], aa[8], pb[8], ab[8];
	int nl = lk_field_nlevels(f);
	if (lk_double_metaphone(a, strlen(a), pa, sizeof pa, aa, sizeof aa) ||
	    lk_double_metaphone(b, strlen(b), pb, sizeof pb, ab, sizeof ab))
		return 0;
	if (!pa[0] && !pb[0])
		return 0; /* no letters: nothing to agree on */
	if (strcmp(pa, pb) == 0)
		return nl - 1;
	if ((aa[0] && strcmp(aa, pb) == 0) || (ab[0] && strcmp(pa, ab) == 0) ||
	    (aa[0] && strcmp(aa, ab) == 0))
		return nl - 2;
	return 0;
}

int lk_compare_level(const struct lk_field *f, const char *a, const char *b,
                     const struct lk_qgram_index *ix)
{
	if (!a || !b || !*a || !*b)
		return -1;
	int nl = lk_field_nlevels(f);
	if (strcmp(a, b) == 0)
		return nl - 1;
	if (prefix_level(f) && shares_prefix(a, b))
		return nl - 2;
	nl -= prefix_level(f); /* the levels below */
	bool ok;
	switch (f->cmp) {
	case LK_CMP_JARO_WINKLER: return level_sim(f, lk_jaro_winkler(a, strlen(a), b, strlen(b)));
	case LK_CMP_LEVENSHTEIN: return level_osa(f, a, b);
	case LK_CMP_TOKEN_SET: return level_sim(f, lk_token_set_ratio(a, strlen(a), b, strlen(b)));
	case LK_CMP_QGRAM_COSINE:
		return level_sim(f, lk_qgram_cosine(ix, a, strlen(a), b, strlen(b)));
	case LK_CMP_NUMERIC: {
		double d = lk_numeric_reldiff(a, b, &ok);
		return !ok ? 0 : d == 0.0 ? nl - 1 : level_dist(f, d);
	}
	case LK_CMP_DATE: return level_date(f, a, b);
	case LK_CMP_PHONETIC: return level_phonetic(f, a, b);
	case LK_CMP_EXACT:
	default: return 0;
	}
}

/* ---- prepared columns ---- */

void lk_prep_init(struct lk_prep *p)
{
	memset(p, 0, sizeof *p);
}

void lk_prep_release(struct lk_prep *p)
{
	md_free(p->cells);
	md_free(p->pool);
	lk_prep_init(p);
}

static bool is_ascii(const char *s, size_t n)
{
	unsigned char any = 0;
	for (size_t k = 0; k < n; k++)
		any |= (unsigned char)s[k];
	return any < 0x80;
}

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/*
 * An ASCII character's bucket in a cell's character set: letters of either case 1..26, the
 * other characters below 64 (space, digits, punctuation) 27..30 by their low bits, the rest
 * 0 or 27..30. Any mapping keeps the Jaro-Winkler bound an upper bound; this one keeps the
 * letters apart.
 */
static inline unsigned fold31(unsigned char c)
{
	unsigned x = c & 31;
	return c < 64 ? 27u + (c & 3u) : x == 31 ? 0u : x;
}

/* The pool bytes a value takes: itself, its NUL, and its code points when not ASCII. */
static size_t pool_need(size_t used, size_t n, bool ascii)
{
	used += n + 1;
	return ascii ? used : align4(used) + (n + 1) * sizeof(uint32_t);
}

int lk_prep_build(struct lk_prep *p, const struct lk_table *t, const int *cols, size_t ncols)
{
	lk_prep_init(p);
	if (ncols == 0)
		return MD_EINVAL;
	for (size_t k = 0; k < ncols; k++)
		if (cols[k] < 0 || (size_t)cols[k] >= t->ncols)
			return MD_EINVAL;
	/* Sizes first, so the pool is one allocation and its pointers never move. */
	size_t used = 0;
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t k = 0; k < ncols; k++) {
			const char *s = t->cells[r * t->ncols + (size_t)cols[k]];
			size_t n = strlen(s);
			if (n >= UINT32_MAX || n > (SIZE_MAX - used) / 8)
				return MD_ELIMIT;
			used = pool_need(used, n, is_ascii(s, n));
		}
	}
	if (t->nrows > SIZE_MAX / sizeof(struct lk_pcell) / ncols)
		return MD_ELIMIT;
	p->cells = md_malloc((t->nrows ? t->nrows * ncols : 1) * sizeof(*p->cells));
	p->pool = md_malloc(used ? used : 1);
	if (!p->cells || !p->pool) {
		lk_prep_release(p);
		return MD_ENOMEM;
	}
	p->nrows = t->nrows;
	p->ncols = ncols;
	size_t at = 0;
	for (size_t r = 0; r < t->nrows; r++) {
		for (size_t k = 0; k < ncols; k++) {
			const char *s = t->cells[r * t->ncols + (size_t)cols[k]];
			size_t n = strlen(s);
			bool ascii = is_ascii(s, n);
			size_t end = pool_need(at, n, ascii);
			struct lk_pcell *c = &p->cells[r * ncols + k];
			memcpy(p->pool + at, s, n + 1);
			*c = (struct lk_pcell){ p->pool + at, (uint32_t)n, 0 };
			if (ascii) {
				for (size_t k = 0; k < n; k++)
					c->aux |= 1u << fold31((unsigned char)s[k]);
			} else {
				uint32_t *v = (uint32_t *)(void *)(p->pool + align4(at + n + 1));
				c->aux = LK_PCELL_WIDE | (uint32_t)decode_into(v, s, n);
			}
			at = end;
		}
	}
	return 0;
}

/* The code points of a prepared cell: borrowed when decoded, widened into c when ASCII. */
static bool pcell_cps(const struct lk_pcell *p, struct cps *c)
{
	if (p->aux & LK_PCELL_WIDE) {
		c->heap = NULL;
		/* The pool is malloc-aligned, so pool offsets aligned to 4 are addresses so too. */
		uintptr_t at = ((uintptr_t)(p->s + p->n + 1) + 3) & ~(uintptr_t)3;
		c->v = (const uint32_t *)at;
		c->n = p->aux & ~LK_PCELL_WIDE;
		return true;
	}
	uint32_t *dst = cps_room(c, p->n);
	if (!dst)
		return false;
	for (size_t k = 0; k < p->n; k++)
		dst[k] = (unsigned char)p->s[k];
	c->n = p->n;
	return true;
}

double lk_pcell_jaro_winkler(const struct lk_pcell *a, const struct lk_pcell *b)
{
	if (!((a->aux | b->aux) & LK_PCELL_WIDE) && a->n <= 64 && b->n <= 64)
		return jaro_winkler_ascii64((const unsigned char *)a->s, a->n,
		                            (const unsigned char *)b->s, b->n);
	struct cps ca, cb;
	double r = 0.0;
	if (pcell_cps(a, &ca) && pcell_cps(b, &cb)) {
		r = winkler_cps(jaro_cps(ca.v, ca.n, cb.v, cb.n), ca.v, ca.n, cb.v, cb.n);
		cps_release(&cb);
	}
	cps_release(&ca);
	return r;
}

int lk_pcell_osa_distance(const struct lk_pcell *a, const struct lk_pcell *b, int max)
{
	/* The bound is clamped by byte lengths, exactly as lk_osa_distance() does. */
	size_t an = a->n, bn = b->n;
	if (max < 0 || (size_t)max > an + bn)
		max = (int)MD_MIN(an + bn, (size_t)INT32_MAX - 1);
	/* ASCII lengths are code point counts: osa_cps's first two answers, then Hyyrö's. */
	if (!((a->aux | b->aux) & LK_PCELL_WIDE)) {
		if ((an > bn ? an - bn : bn - an) > (size_t)max)
			return max + 1;
		if (an == 0 || bn == 0)
			return (int)MD_MAX(an, bn);
		if (an <= 64) {
			int d = osa_ascii64((const unsigned char *)a->s, an,
			                    (const unsigned char *)b->s, bn);
			return d > max ? max + 1 : d;
		}
	}
	struct cps ca, cb;
	int r = max + 1;
	if (pcell_cps(a, &ca) && pcell_cps(b, &cb)) {
		r = osa_cps(ca.v, ca.n, cb.v, cb.n, max);
		cps_release(&cb);
	}
	cps_release(&ca);
	return r;
}

/*
 * An upper bound of the Jaro-Winkler similarity of two ASCII cells, cheaper than the
 * similarity: a character of a can only match one that occurs in b, so the matches are at
 * most the characters of either cell whose bucket is in the other's set (fold31); no
 * transposition and the largest prefix bonus.
 */
static double jaro_winkler_bound_ascii(const struct lk_pcell *a, const struct lk_pcell *b)
{
	/* Each bucket only one side has stands for at least one character that cannot match. */
	uint32_t ca = a->n - (uint32_t)__builtin_popcount(a->aux & ~b->aux),
	         cb = b->n - (uint32_t)__builtin_popcount(b->aux & ~a->aux);
	size_t m = MD_MIN(ca, cb);
	if (m == 0)
		return 0.0;
	double r = jaro_of(m, 0, a->n, b->n);
	return r > 0.7 ? r + 0.4 * (1.0 - r) : r;
}

/*
 * The level of a Jaro-Winkler field. Most blocked pairs disagree: when even the bound is
 * below the lowest threshold (by a margin far above rounding) the level is 0 whatever the
 * similarity, which is then not computed.
 */
static int level_jw_pcell(const struct lk_field *f, const struct lk_pcell *a,
                          const struct lk_pcell *b)
{
	int n = nthr(f);
	if (n > 0 && !((a->aux | b->aux) & LK_PCELL_WIDE)) {
		double tmin = f->thresholds[0];
		for (int k = 1; k < n; k++)
			tmin = MD_MIN(tmin, f->thresholds[k]);
		double ub = jaro_winkler_bound_ascii(a, b);
		if (ub < tmin - 1e-9)
			return 0;
	}
	return level_sim(f, lk_pcell_jaro_winkler(a, b));
}

/* Equal cells; short ones compared inline, as a libc call costs more than most values. */
static inline bool same_bytes(const struct lk_pcell *a, const struct lk_pcell *b)
{
	if (a->n != b->n || a->s[0] != b->s[0])
		return false;
	if (a->n > 16)
		return memcmp(a->s, b->s, a->n) == 0;
	for (uint32_t k = 1; k < a->n; k++)
		if (a->s[k] != b->s[k])
			return false;
	return true;
}

int lk_pcell_level(const struct lk_field *f, const struct lk_pcell *a, const struct lk_pcell *b,
                   const struct lk_qgram_index *ix)
{
	if (!a->n || !b->n)
		return -1;
	int nl = lk_field_nlevels(f);
	if (same_bytes(a, b))
		return nl - 1;
	if (prefix_level(f))
		return lk_compare_level(f, a->s, b->s, ix); /* the shared-prefix level first */
	switch (f->cmp) {
	case LK_CMP_EXACT: return 0;
	case LK_CMP_JARO_WINKLER: return level_jw_pcell(f, a, b);
	case LK_CMP_LEVENSHTEIN:
		return nthr(f) == 0 ? 0 : level_dist(f, lk_pcell_osa_distance(a, b, osa_bound(f)));
	default: return lk_compare_level(f, a->s, b->s, ix);
	}
}
