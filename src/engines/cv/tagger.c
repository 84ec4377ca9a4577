#include "engines/cv/tagger.h"

#include "base/common.h"

#include <stdio.h>

#include "text/normalize.h"

#define TOKEN_WORD_MAX 40 /* bytes of a token kept for its features */
#define SHAPE_MAX 12
#define TRACE_MAX 8192

struct cv_tg_entry {
	uint64_t hash; /* 0: an empty slot */
	int32_t w[CV_TAG_COUNT];
};

struct cv_tg_cluster {
	uint64_t hash; /* the word's; 0: an empty slot */
	char bits[CV_TAGGER_CLUSTER_BITS + 1];
};

struct token {
	size_t start, end; /* bytes in the line */
	bool word;
	char lw[TOKEN_WORD_MAX + 1]; /* ASCII lower case */
	char shape[SHAPE_MAX + 1];   /* "Xx", "X", "x.x", "d" */
	char tx;                     /* 'B', 'I' or 'O': taxonomy coverage */
	int tx_len;                  /* tokens of the covering taxonomy name */
	int seg_len, seg_pos;        /* the list item: its word count, the token's place */
	bool after_colon, before_colon;
	const char *cl; /* the word's cluster path, or NULL (no cluster or no clusters loaded) */
};

/* Per-call scratch: the tokens of one line and the feature strings of one token. */
struct work {
	struct token *tok;
	size_t ntok, cap;
	char trace[TRACE_MAX];
	size_t trace_len;
	int64_t score[CV_TAG_COUNT];
	const struct cv_tagger *t;
};

static uint64_t fnv1a(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)s[i];
		h *= 1099511628211ull;
	}
	return h ? h : 1;
}

/*
 * Open addressing, shared by the feature and the cluster tables: every slot begins with its
 * uint64_t hash (0: empty), and a table always keeps empty slots (cap >= 2 x entries). Returns
 * the index of h's slot, or of the empty slot where h would go.
 */
static size_t probe(const void *slots, size_t stride, size_t cap, uint64_t h)
{
	const unsigned char *b = slots;
	for (size_t i = (size_t)h & (cap - 1);; i = (i + 1) & (cap - 1)) {
		uint64_t at;
		memcpy(&at, b + i * stride, sizeof at);
		if (at == h || at == 0)
			return i;
	}
}

static const struct cv_tg_entry *lookup(const struct cv_tagger *t, uint64_t h)
{
	if (!t->cap)
		return NULL;
	const struct cv_tg_entry *e = &t->slots[probe(t->slots, sizeof *e, t->cap, h)];
	return e->hash ? e : NULL;
}

/* ---- loading ---- */

static int fail(char *err, size_t cap, size_t line, const char *what)
{
	if (err && cap)
		snprintf(err, cap, "line %zu: %s", line, what);
	return MD_EINVAL;
}

/* A decimal integer in [-2^31, 2^31) filling s[0..n) exactly. */
static bool parse_i32(const char *s, size_t n, int32_t *out)
{
	size_t i = 0;
	bool neg = n > 0 && s[0] == '-';
	i += neg;
	if (i == n || n - i > 10)
		return false;
	int64_t v = 0;
	for (; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (s[i] - '0');
	}
	v = neg ? -v : v;
	if (v < INT32_MIN || v > INT32_MAX)
		return false;
	*out = (int32_t)v;
	return true;
}

/* Splits s[0..n) at tabs into at most max fields; returns the number of fields. */
static size_t split_tabs(const char *s, size_t n, const char **f, size_t *fl, size_t max)
{
	size_t k = 0, start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '\t')
			continue;
		if (k == max)
			return max + 1;
		f[k] = s + start;
		fl[k++] = i - start;
		start = i + 1;
	}
	return k;
}

static bool feature_ok(const char *s, size_t n)
{
	if (n == 0 || n > CV_TAGGER_FEATURE_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ')
			return false;
	return true;
}

static int insert(struct cv_tagger *t, uint64_t h, const int32_t *w)
{
	struct cv_tg_entry *e = &t->slots[probe(t->slots, sizeof *e, t->cap, h)];
	if (e->hash)
		return MD_EINVAL;
	e->hash = h;
	memcpy(e->w, w, sizeof e->w);
	t->nfeatures++;
	return 0;
}

static const struct cv_tg_cluster *cluster_lookup(const struct cv_tagger *t, uint64_t h)
{
	if (!t->ccap)
		return NULL;
	const struct cv_tg_cluster *c = &t->clusters[probe(t->clusters, sizeof *c, t->ccap, h)];
	return c->hash ? c : NULL;
}

/* A "cluster<TAB><word><TAB><bits>" line's word and bits (f[1], f[2]). */
static int parse_cluster(struct cv_tagger *t, const char **f, const size_t *fl, size_t lineno,
                         char *err, size_t errcap)
{
	/* Longer words are cut to TOKEN_WORD_MAX bytes before lookup, so they could never match. */
	if (!feature_ok(f[1], fl[1]) || fl[1] > TOKEN_WORD_MAX)
		return fail(err, errcap, lineno, "bad cluster word");
	if (fl[2] == 0 || fl[2] > CV_TAGGER_CLUSTER_BITS)
		return fail(err, errcap, lineno, "bad cluster bits");
	for (size_t i = 0; i < fl[2]; i++)
		if (f[2][i] != '0' && f[2][i] != '1')
			return fail(err, errcap, lineno, "bad cluster bits");
	uint64_t h = fnv1a(f[1], fl[1]);
	struct cv_tg_cluster *c = &t->clusters[probe(t->clusters, sizeof *c, t->ccap, h)];
	if (c->hash)
		return fail(err, errcap, lineno, "duplicate cluster word");
	c->hash = h;
	memcpy(c->bits, f[2], fl[2]);
	c->bits[fl[2]] = '\0';
	t->nclusters++;
	return 0;
}

static int parse_line(struct cv_tagger *t, const char *s, size_t n, size_t lineno, char *err,
                      size_t errcap)
{
	const char *f[5];
	size_t fl[5];
	size_t k = split_tabs(s, n, f, fl, 4);
	if (fl[0] == 7 && memcmp(f[0], "cluster", 7) == 0) {
		/* The loader sized the cluster table by these lines: none may become a feature. */
		if (k != 3)
			return fail(err, errcap, lineno, "expected cluster, word and bits");
		return parse_cluster(t, f, fl, lineno, err, errcap);
	}
	if (k == 3 && fl[0] == 5 && memcmp(f[0], "param", 5) == 0) {
		int32_t v;
		if (!parse_i32(f[2], fl[2], &v))
			return fail(err, errcap, lineno, "bad param value");
		if (fl[1] == 9 && memcmp(f[1], "threshold", 9) == 0)
			t->threshold = v;
		else if (fl[1] == 6 && memcmp(f[1], "filter", 6) == 0 && v >= 0 && v <= 2)
			t->filter = v;
		else if (fl[1] == 6 && memcmp(f[1], "decode", 6) == 0 && v >= 0 && v <= 1)
			t->decode = v;
		else
			return fail(err, errcap, lineno, "unknown param or value");
		return 0;
	}
	if (k != 4)
		return fail(err, errcap, lineno, "expected feature and three weights");
	if (!feature_ok(f[0], fl[0]))
		return fail(err, errcap, lineno, "bad feature name");
	int32_t w[CV_TAG_COUNT];
	for (int c = 0; c < CV_TAG_COUNT; c++)
		if (!parse_i32(f[c + 1], fl[c + 1], &w[c]))
			return fail(err, errcap, lineno, "bad weight");
	if (insert(t, fnv1a(f[0], fl[0]), w))
		return fail(err, errcap, lineno, "duplicate feature");
	return 0;
}

int cv_tagger_load(struct cv_tagger *t, const char *text, size_t len, char *err, size_t errcap)
{
	static const char magic[] = "matchd-skill-tagger\t1";
	memset(t, 0, sizeof *t);
	if (err && errcap)
		err[0] = '\0';
	if (len > CV_TAGGER_MAX_BYTES)
		return MD_ELIMIT;
	/* Lines bound the features and the clusters, so both tables are sized before any
	 * parsing; a line that starts with "cluster\t" may hold a cluster. */
	size_t lines = 1, clusters = 0;
	for (size_t i = 0; i < len; i++) {
		if (text[i] != '\n')
			continue;
		lines++;
		clusters += len - i - 1 >= 8 && memcmp(text + i + 1, "cluster\t", 8) == 0;
	}
	clusters += len >= 8 && memcmp(text, "cluster\t", 8) == 0;
	if (lines - clusters > CV_TAGGER_MAX_FEATURES + 64 || clusters > CV_TAGGER_MAX_CLUSTERS)
		return MD_ELIMIT;
	int rc = MD_ENOMEM;
	t->cap = 16;
	while (t->cap < (lines - clusters) * 2)
		t->cap *= 2;
	t->slots = md_calloc(t->cap, sizeof *t->slots);
	if (!t->slots)
		goto out;
	t->ccap = 16;
	while (t->ccap < clusters * 2)
		t->ccap *= 2;
	t->clusters = md_calloc(t->ccap, sizeof *t->clusters);
	if (!t->clusters)
		goto out;
	rc = 0;
	bool header = false;
	size_t lineno = 0;
	for (size_t pos = 0; pos < len;) {
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - text) : len;
		const char *s = text + pos;
		size_t n = end - pos;
		lineno++;
		pos = end + 1;
		if (n && s[0] == '#')
			continue;
		if (!header) {
			if (n != sizeof magic - 1 || memcmp(s, magic, n) != 0) {
				rc = fail(err, errcap, lineno, "not a matchd-skill-tagger 1 file");
				goto out;
			}
			header = true;
			continue;
		}
		if (n == 0)
			continue;
		if ((rc = parse_line(t, s, n, lineno, err, errcap)))
			goto out;
	}
	if (!header)
		rc = fail(err, errcap, lineno, "empty file");
out:
	if (rc)
		cv_tagger_release(t);
	return rc;
}

void cv_tagger_release(struct cv_tagger *t)
{
	md_free(t->slots);
	md_free(t->clusters);
	memset(t, 0, sizeof *t);
}

bool cv_tagger_loaded(const struct cv_tagger *t)
{
	return t && t->nfeatures > 0;
}

/* ---- tokens ---- */

static bool word_at(const char *s, size_t n, size_t i, size_t *cl)
{
	int32_t cp;
	*cl = text_decode(s + i, n - i, &cp);
	return cp >= 0 && text_is_word_cp(cp);
}

/* The end of the word starting at s[i] (a word code point or a ".net"-style dot). */
static size_t word_end(const char *s, size_t n, size_t i)
{
	size_t cl;
	if (s[i] == '.')
		i++;
	while (i < n) {
		if (word_at(s, n, i, &cl)) {
			i += cl;
			continue;
		}
		/* An inner dot joins two words: "node.js", "asp.net", "2.0". */
		if (s[i] == '.' && i + 1 < n && word_at(s, n, i + 1, &cl)) {
			i++;
			continue;
		}
		break;
	}
	if (i + 1 < n && s[i] == '+' && s[i + 1] == '+')
		i += 2;
	else if (i < n && s[i] == '#')
		i++;
	return i;
}

static void set_lower_shape(struct token *k, const char *s)
{
	size_t n = MD_MIN(k->end - k->start, (size_t)TOKEN_WORD_MAX);
	n = text_utf8_floor(s + k->start, n);
	size_t sl = 0;
	char last = 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[k->start + i];
		char cls;
		if (c >= 'A' && c <= 'Z') {
			k->lw[i] = (char)(c - 'A' + 'a');
			cls = 'X';
		} else {
			k->lw[i] = c;
			if (c >= 'a' && c <= 'z')
				cls = 'x';
			else if (c >= '0' && c <= '9')
				cls = 'd';
			else if ((unsigned char)c >= 0x80)
				cls = ((unsigned char)c & 0xC0) == 0x80 ? 0 : 'u';
			else
				cls = c;
		}
		if (cls && cls != last && sl < SHAPE_MAX)
			k->shape[sl++] = cls;
		if (cls)
			last = cls;
	}
	k->lw[n] = '\0';
	k->shape[sl] = '\0';
}

static bool is_sep(const struct token *k, const char *s)
{
	if (k->word)
		return false;
	char c = s[k->start];
	size_t n = k->end - k->start;
	/* Bullets and other non-ASCII symbols separate list items as commas do. */
	return (n == 1 && (c == ',' || c == ';' || c == '|' || c == ':')) || n > 1;
}

static int tokenize(struct work *w, const char *s, size_t n)
{
	w->ntok = 0;
	for (size_t i = 0; i < n && w->ntok < CV_TAGGER_MAX_LINE_TOKENS;) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v') {
			i++;
			continue;
		}
		if (w->ntok == w->cap && md_grow(&w->tok, &w->cap, sizeof *w->tok, 256))
			return MD_ENOMEM;
		struct token *k = &w->tok[w->ntok++];
		memset(k, 0, sizeof *k);
		k->start = i;
		size_t cl;
		bool lead_dot = c == '.' && i + 1 < n && word_at(s, n, i + 1, &cl) &&
		                (i == 0 || s[i - 1] == ' ');
		if (lead_dot || word_at(s, n, i, &cl)) {
			k->word = true;
			k->end = word_end(s, n, i);
		} else {
			k->end = i + cl;
		}
		k->tx = 'O';
		set_lower_shape(k, s);
		i = k->end;
	}
	return 0;
}

/* List items (runs between separators), colon sides and taxonomy coverage of a line. */
static void annotate(struct work *w, const char *s, const struct cv_tag_span *sp, size_t nsp)
{
	size_t colon = w->ntok;
	for (size_t i = 0; i < w->ntok; i++)
		if (!w->tok[i].word && s[w->tok[i].start] == ':' && w->tok[i].start < 40) {
			colon = i;
			break;
		}
	for (size_t i = 0; i < w->ntok;) {
		size_t j = i;
		int words = 0;
		while (j < w->ntok && !is_sep(&w->tok[j], s))
			words += w->tok[j++].word;
		int pos = 0;
		for (size_t k = i; k < j; k++) {
			w->tok[k].seg_len = words;
			w->tok[k].seg_pos = w->tok[k].word ? ++pos : pos;
		}
		i = j + 1;
	}
	for (size_t i = 0; i < w->ntok; i++) {
		struct token *k = &w->tok[i];
		k->after_colon = colon < w->ntok && i > colon;
		k->before_colon = colon < w->ntok && i < colon;
		if (w->t->nclusters && k->word) {
			const struct cv_tg_cluster *c =
			    cluster_lookup(w->t, fnv1a(k->lw, strlen(k->lw)));
			k->cl = c ? c->bits : NULL;
		}
	}
	/* Both the spans and the tokens are in text order: one pass over each. */
	size_t i = 0;
	for (size_t k = 0; k < nsp; k++) {
		while (i < w->ntok && w->tok[i].start < sp[k].off)
			i++;
		size_t j = i;
		while (j < w->ntok && w->tok[j].start < sp[k].off + sp[k].len)
			j++;
		for (size_t m = i; m < j; m++) {
			w->tok[m].tx = m == i ? 'B' : 'I';
			w->tok[m].tx_len = (int)MD_MIN(j - i, (size_t)99);
		}
	}
}

/* ---- features ---- */

/* Adds feature "name=a" or "name=a|b" to the scores (and to the trace). */
static void feat(struct work *w, const char *name, const char *a, const char *b)
{
	/* Built by hand rather than with snprintf: this runs about 40 times per token. */
	char f[CV_TAGGER_FEATURE_MAX * 2 + 3];
	size_t len = 0;
	const char *parts[4] = { name, "=", a, b ? "|" : NULL };
	for (int k = 0; k < 5; k++) {
		const char *p = k < 4 ? parts[k] : b;
		if (!p)
			continue;
		size_t pl = strlen(p);
		if (len + pl > CV_TAGGER_FEATURE_MAX)
			pl = CV_TAGGER_FEATURE_MAX - len;
		memcpy(f + len, p, pl);
		len += pl;
	}
	len = text_utf8_floor(f, len);
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)f[i] <= ' ')
			f[i] = '_';
	const struct cv_tg_entry *e = lookup(w->t, fnv1a(f, len));
	if (e)
		for (int c = 0; c < CV_TAG_COUNT; c++)
			w->score[c] += e->w[c];
	if (w->t->trace && w->trace_len + len + 2 < TRACE_MAX) {
		if (w->trace_len)
			w->trace[w->trace_len++] = ' ';
		memcpy(w->trace + w->trace_len, f, len);
		w->trace_len += len;
		w->trace[w->trace_len] = '\0';
	}
}

static const char *bucket(int v, const int *edges, size_t n, char *out)
{
	size_t b = 0;
	while (b < n && v >= edges[b])
		b++;
	snprintf(out, 4, "%zu", b);
	return out;
}

struct line_info {
	char sec[8];
	char ntok[4], ncomma[4], caps[4];
	bool bullet, heading;
};

static void line_info(const struct work *w, const struct cv_tag_line *l, struct line_info *li)
{
	static const int tok_edges[] = { 2, 4, 8, 16, 32 };
	static const int comma_edges[] = { 1, 2, 4 };
	static const int cap_edges[] = { 1, 50, 100 };
	int commas = 0, words = 0, caps = 0;
	for (size_t i = 0; i < w->ntok; i++) {
		const struct token *k = &w->tok[i];
		if (!k->word) {
			char c = l->text[k->start];
			commas += c == ',' || c == ';' || c == '|';
			continue;
		}
		words++;
		caps += k->shape[0] == 'X';
	}
	snprintf(li->sec, sizeof li->sec, "%d", l->section);
	bucket((int)w->ntok, tok_edges, ARRAY_SIZE(tok_edges), li->ntok);
	bucket(commas, comma_edges, ARRAY_SIZE(comma_edges), li->ncomma);
	bucket(words ? caps * 100 / words : 0, cap_edges, ARRAY_SIZE(cap_edges), li->caps);
	li->bullet = w->ntok > 1 && !w->tok[0].word;
	li->heading = l->heading;
}

static const char *word_or(const struct work *w, long i)
{
	if (i < 0)
		return "^";
	if ((size_t)i >= w->ntok)
		return "$";
	return w->tok[i].lw;
}

/* The first n bits of a cluster path (the whole path when shorter) into out[n + 1]. */
static const char *prefix(const char *bits, size_t n, char *out)
{
	size_t l = strlen(bits);
	l = MD_MIN(l, n);
	memcpy(out, bits, l);
	out[l] = '\0';
	return out;
}

/* A neighbour's cluster feature value: its first 8 bits, "?" for a word with no cluster, "p"
 * for punctuation, "^" or "$" past the line's ends. */
static const char *neighbour_cluster(const struct work *w, long i, char *out)
{
	if (i < 0)
		return "^";
	if ((size_t)i >= w->ntok)
		return "$";
	const struct token *k = &w->tok[i];
	if (!k->word)
		return "p";
	return k->cl ? prefix(k->cl, 8, out) : "?";
}

/*
 * Word-cluster features (only when the weight file holds clusters, so that a file without
 * them scores exactly as before): they let a word the training CVs never labelled borrow the
 * weights of the words it keeps company with in unlabelled text.
 */
static void cluster_features(struct work *w, size_t i)
{
	const struct token *k = &w->tok[i];
	char b[CV_TAGGER_CLUSTER_BITS + 1];
	if (k->word && k->cl) {
		feat(w, "c4", prefix(k->cl, 4, b), NULL);
		feat(w, "c8", prefix(k->cl, 8, b), NULL);
		feat(w, "c12", prefix(k->cl, 12, b), NULL);
	} else if (k->word) {
		feat(w, "c", "?", NULL);
	}
	feat(w, "c-1", neighbour_cluster(w, (long)i - 1, b), NULL);
	feat(w, "c+1", neighbour_cluster(w, (long)i + 1, b), NULL);
}

static void static_features(struct work *w, const struct line_info *li, size_t i)
{
	static const int seg_edges[] = { 2, 3, 4, 6, 9 };
	const struct token *k = &w->tok[i];
	long j = (long)i;
	char b[4], tx[2] = { k->tx, 0 };
	feat(w, "b", "", NULL);
	feat(w, "w", k->lw, NULL);
	feat(w, "s", k->shape, NULL);
	char pre[8], suf[8];
	size_t n = strlen(k->lw);
	size_t pn = text_utf8_floor(k->lw, MD_MIN(n, (size_t)3));
	memcpy(pre, k->lw, pn);
	pre[pn] = '\0';
	size_t so = n > 3 ? n - 3 : 0;
	while (so > 0 && ((unsigned char)k->lw[so] & 0xC0) == 0x80)
		so--;
	snprintf(suf, sizeof suf, "%s", k->lw + so);
	feat(w, "p", pre, NULL);
	feat(w, "x", suf, NULL);
	feat(w, "w-1", word_or(w, j - 1), NULL);
	feat(w, "w-2", word_or(w, j - 2), NULL);
	feat(w, "w+1", word_or(w, j + 1), NULL);
	feat(w, "w+2", word_or(w, j + 2), NULL);
	feat(w, "w-1w", word_or(w, j - 1), k->lw);
	feat(w, "ww+1", k->lw, word_or(w, j + 1));
	feat(w, "s-1", j > 0 ? w->tok[j - 1].shape : "^", NULL);
	feat(w, "s+1", (size_t)j + 1 < w->ntok ? w->tok[j + 1].shape : "$", NULL);
	feat(w, "sec", li->sec, NULL);
	feat(w, "secw", li->sec, k->lw);
	if (li->heading)
		feat(w, "head", "", NULL);
	feat(w, "ltok", li->ntok, NULL);
	feat(w, "lcom", li->ncomma, NULL);
	feat(w, "lcap", li->caps, NULL);
	if (li->bullet)
		feat(w, "bul", "", NULL);
	if (i == 0)
		feat(w, "first", "", NULL);
	if (i + 1 == w->ntok)
		feat(w, "last", "", NULL);
	bucket(k->seg_len, seg_edges, ARRAY_SIZE(seg_edges), b);
	char pos[4];
	snprintf(pos, sizeof pos, "%d", MD_MIN(k->seg_pos, 4));
	feat(w, "seg", b, NULL);
	feat(w, "segp", b, pos);
	if (k->after_colon)
		feat(w, "acol", "", NULL);
	if (k->before_colon)
		feat(w, "bcol", "", NULL);
	feat(w, "tx", tx, NULL);
	if (k->tx != 'O') {
		char tl[4];
		snprintf(tl, sizeof tl, "%d", MD_MIN(k->tx_len, 5));
		feat(w, "txl", tx, tl);
		feat(w, "txsec", tx, li->sec);
	}
	char t1[2] = { j > 0 ? w->tok[j - 1].tx : '^', 0 };
	char t2[2] = { (size_t)j + 1 < w->ntok ? w->tok[j + 1].tx : '$', 0 };
	feat(w, "tx-1", t1, NULL);
	feat(w, "tx+1", t2, NULL);
	if (w->t->nclusters)
		cluster_features(w, i);
}

static const char tag_name[] = "OBI";

static void dynamic_features(struct work *w, const struct token *k, char p1, char p2)
{
	char a[2] = { p1, 0 }, b[2] = { p2, 0 };
	feat(w, "t", a, NULL);
	feat(w, "tt", b, a);
	feat(w, "tw", a, k->lw);
	feat(w, "ts", a, k->shape);
}

/* The tag of the token whose scores are in w->score, given the tag before it. */
static enum cv_tag decide(const struct work *w, enum cv_tag prev)
{
	enum cv_tag best = CV_TAG_B;
	if (prev != CV_TAG_O && w->score[CV_TAG_I] > w->score[CV_TAG_B])
		best = CV_TAG_I;
	return w->score[best] - w->score[CV_TAG_O] > w->t->threshold ? best : CV_TAG_O;
}

/* History tags of the dynamic features: S (before the line), O, B, I. */
static const char hist_name[] = "SOBI";
#define NHIST 4

/*
 * The best tag sequence under the same scores as decide(): the dynamic features of a token
 * depend on the two tags before it, so the states are tag pairs. B and I pay the threshold, so
 * a token is only tagged when that beats O by more than it, as in the greedy decoder.
 */
static int viterbi(struct work *w, const struct line_info *li, enum cv_tag *out)
{
	size_t n = w->ntok;
	uint8_t *back = md_malloc(n * NHIST * NHIST);
	if (!back)
		return MD_ENOMEM;
	int64_t v[NHIST][NHIST], nv[NHIST][NHIST];
	bool ok[NHIST][NHIST], nok[NHIST][NHIST];
	memset(ok, 0, sizeof ok);
	v[0][0] = 0;
	ok[0][0] = true; /* (S, S) */
	for (size_t i = 0; i < n; i++) {
		memset(w->score, 0, sizeof w->score);
		static_features(w, li, i);
		int64_t base[CV_TAG_COUNT];
		memcpy(base, w->score, sizeof base);
		memset(nok, 0, sizeof nok);
		for (int a = 0; a < NHIST; a++)
			for (int b = 0; b < NHIST; b++) {
				if (!ok[a][b])
					continue;
				memcpy(w->score, base, sizeof base);
				dynamic_features(w, &w->tok[i], hist_name[b], hist_name[a]);
				for (int tg = 0; tg < CV_TAG_COUNT; tg++) {
					if (tg == CV_TAG_I && (b == 0 || b == 1))
						continue; /* I follows B or I only */
					int64_t sc = v[a][b] + w->score[tg] -
					             (tg == CV_TAG_O ? 0 : w->t->threshold);
					int c = tg + 1;
					if (!nok[b][c] || sc > nv[b][c]) {
						nv[b][c] = sc;
						nok[b][c] = true;
						back[(i * NHIST + (size_t)b) * NHIST + (size_t)c] =
						    (uint8_t)a;
					}
				}
			}
		memcpy(v, nv, sizeof v);
		memcpy(ok, nok, sizeof ok);
	}
	int ba = -1, bb = -1;
	for (int a = 0; a < NHIST; a++)
		for (int b = 1; b < NHIST; b++)
			if (ok[a][b] && (ba < 0 || v[a][b] > v[ba][bb])) {
				ba = a;
				bb = b;
			}
	for (size_t i = n; i-- > 0;) {
		out[i] = (enum cv_tag)(bb - 1);
		int a = back[(i * NHIST + (size_t)ba) * NHIST + (size_t)bb];
		bb = ba;
		ba = a;
	}
	md_free(back);
	return 0;
}

static int tag_line(struct work *w, const struct cv_tag_line *l, size_t line,
                    const struct cv_tag_span *sp, size_t nsp,
                    int (*on_phrase)(void *ctx, size_t line, size_t off, size_t len), void *ctx)
{
	int rc = tokenize(w, l->text, l->len);
	if (rc || !w->ntok)
		return rc;
	annotate(w, l->text, sp, nsp);
	struct line_info li;
	line_info(w, l, &li);
	enum cv_tag *tags = NULL;
	if (w->t->decode == 1 && !w->t->trace) {
		tags = md_malloc(w->ntok * sizeof *tags);
		if (!tags)
			return MD_ENOMEM;
		if ((rc = viterbi(w, &li, tags))) {
			md_free(tags);
			return rc;
		}
	}
	enum cv_tag prev = CV_TAG_O;
	char p1 = 'S', p2 = 'S';
	size_t ph_start = 0, ph_end = 0;
	bool open = false;
	for (size_t i = 0; i < w->ntok && !rc; i++) {
		enum cv_tag tg;
		if (tags) {
			tg = tags[i];
		} else {
			memset(w->score, 0, sizeof w->score);
			w->trace_len = 0;
			w->trace[0] = '\0';
			static_features(w, &li, i);
			if (w->t->trace)
				w->t->trace(w->t->trace_ctx, line, w->tok[i].start,
				            l->text + w->tok[i].start,
				            w->tok[i].end - w->tok[i].start, w->trace);
			dynamic_features(w, &w->tok[i], p1, p2);
			tg = decide(w, prev);
		}
		if (open && tg != CV_TAG_I) {
			rc = on_phrase(ctx, line, ph_start, ph_end - ph_start);
			open = false;
		}
		if (tg == CV_TAG_B) {
			open = true;
			ph_start = w->tok[i].start;
		}
		if (tg != CV_TAG_O)
			ph_end = w->tok[i].end;
		p2 = p1;
		p1 = tag_name[tg];
		prev = tg;
	}
	md_free(tags);
	if (rc)
		return rc;
	return open ? on_phrase(ctx, line, ph_start, ph_end - ph_start) : 0;
}

int cv_tagger_tag(const struct cv_tagger *t, const struct cv_tag_line *lines, size_t n,
                  const struct cv_tag_span *spans, size_t nspans,
                  int (*on_phrase)(void *ctx, size_t line, size_t off, size_t len), void *ctx)
{
	if (!cv_tagger_loaded(t) && !t->trace)
		return 0;
	struct work *w = md_calloc(1, sizeof *w);
	if (!w)
		return MD_ENOMEM;
	w->t = t;
	int rc = 0;
	size_t s = 0;
	for (size_t i = 0; i < n && !rc; i++) {
		/* The spans are sorted: those of line i start at s. */
		while (s < nspans && spans[s].line < i)
			s++;
		size_t e = s;
		while (e < nspans && spans[e].line == i)
			e++;
		rc = tag_line(w, &lines[i], i, spans + s, e - s, on_phrase, ctx);
	}
	md_free(w->tok);
	md_free(w);
	return rc;
}
