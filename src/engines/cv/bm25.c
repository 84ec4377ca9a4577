#include "engines/cv/bm25.h"

#include "base/common.h"

#include <math.h>

#include "text/normalize.h"
#include "text/stem.h"

#define K1 1.2
#define B 0.75
#define MAX_TOKENS 200000

static const char *const stopwords[] = {
	"a",      "about", "above", "after",  "all",   "also",    "am",   "an",    "and",   "any",
	"are",    "as",    "at",    "be",     "been",  "being",   "both", "but",   "by",    "can",
	"could",  "did",   "do",    "does",   "each",  "etc",     "for",  "from",  "had",   "has",
	"have",   "he",    "her",   "his",    "how",   "i",       "if",   "in",    "into",  "is",
	"it",     "its",   "just",  "like",   "may",   "me",      "more", "most",  "my",    "no",
	"not",    "of",    "on",    "or",     "other", "our",     "out",  "over",  "per",   "she",
	"should", "so",    "some",  "such",   "than",  "that",    "the",  "their", "them",  "then",
	"there",  "these", "they",  "this",   "those", "through", "to",   "under", "up",    "us",
	"using",  "very",  "was",   "we",     "were",  "what",    "when", "where", "which", "while",
	"who",    "will",  "with",  "within", "would", "you",     "your", "au",    "aux",   "avec",
	"ce",     "ces",   "dans",  "de",     "des",   "du",      "elle", "en",    "et",    "il",
	"je",     "la",    "le",    "les",    "leur",  "lui",     "ma",   "mais",  "mes",   "nous",
	"ou",     "par",   "pas",   "pour",   "qui",   "que",     "sa",   "se",    "ses",   "son",
	"sur",    "un",    "une",   "vous",   "der",   "die",     "das",  "und",   "mit",   "für",
	"von",    "zu",    "ist",   "el",     "los",   "las",     "y",    "con",   "para",  "por",
	"del",    "al",    "su",    "sus",
};

bool cv_bm25_stopword(const char *w, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(stopwords); i++)
		if (strlen(stopwords[i]) == n && memcmp(stopwords[i], w, n) == 0)
			return true;
	return false;
}

struct tok {
	struct slice key; /* the stem: what is compared */
	struct slice w;   /* the word as written: what is shown */
	unsigned para;    /* collection-wide paragraph number */
	unsigned pos;     /* order of appearance, for a stable sort */
	bool jd;
};

/* Where the stems live: each token's key points into it. */
struct stems {
	struct text_stemmer *st;
	char *v;
	size_t len, cap;
};

static int cmp_slice(struct slice x, struct slice y)
{
	int c = memcmp(x.ptr, y.ptr, MD_MIN(x.len, y.len));
	if (c)
		return c;
	return x.len < y.len ? -1 : x.len > y.len ? 1 : 0;
}

static int cmp_tok(const void *a, const void *b)
{
	const struct tok *x = a, *y = b;
	int c = cmp_slice(x->key, y->key);
	if (c)
		return c;
	return x->pos < y->pos ? -1 : x->pos > y->pos ? 1 : 0;
}

/* The token's key: its stem, in the arena (the word itself if the arena is full). */
static struct slice stem_of(struct stems *sm, struct slice w)
{
	char b[TEXT_STEM_MAX + 1];
	size_t k = text_stem(sm->st, w.ptr, w.len, b);
	if (sm->len + k > sm->cap)
		return w;
	memcpy(sm->v + sm->len, b, k);
	struct slice key = { sm->v + sm->len, k };
	sm->len += k;
	return key;
}

static void tokenize(const char *s, size_t len, bool jd, unsigned *para, struct tok *t, size_t *n,
                     struct stems *sm)
{
	struct slice rest = { s, len }, w;
	const char *last = s;
	while (*n < MAX_TOKENS && text_next_word(&rest, &w)) {
		/* An empty line between the previous word and this one starts a paragraph. */
		for (const char *p = last; p + 1 < w.ptr; p++)
			if (p[0] == '\n' && p[1] == '\n') {
				(*para)++;
				break;
			}
		last = w.ptr + w.len;
		bool digits = true;
		for (size_t k = 0; k < w.len && digits; k++)
			digits = w.ptr[k] >= '0' && w.ptr[k] <= '9';
		if (w.len < 2 || digits || cv_bm25_stopword(w.ptr, w.len))
			continue;
		t[*n] = (struct tok){ stem_of(sm, w), w, *para, (unsigned)*n, jd };
		(*n)++;
	}
	(*para)++;
}

static int cmp_term(const void *a, const void *b)
{
	const struct cv_bm25_term *x = a, *y = b;
	if (x->contribution != y->contribution)
		return x->contribution > y->contribution ? -1 : 1;
	return strcmp(x->term, y->term);
}

static void keep_top(struct cv_bm25_result *out, struct slice w, double c)
{
	struct cv_bm25_term t = { .contribution = c };
	size_t n = MD_MIN(w.len, sizeof t.term - 1);
	n = text_utf8_floor(w.ptr, n);
	memcpy(t.term, w.ptr, n);
	t.term[n] = '\0';
	if (out->n_terms < CV_BM25_TERMS) {
		out->terms[out->n_terms++] = t;
	} else if (cmp_term(&t, &out->terms[CV_BM25_TERMS - 1]) < 0) {
		out->terms[CV_BM25_TERMS - 1] = t;
	} else {
		return;
	}
	md_qsort(out->terms, out->n_terms, sizeof *out->terms, cmp_term);
}

int cv_bm25(const char *cv, size_t cv_len, const char *jd, size_t jd_len,
            struct cv_bm25_result *out)
{
	memset(out, 0, sizeof *out);
	/* A stem is never longer than its word: the two texts' length bounds all of them. */
	struct stems sm = { text_stemmer_new(), NULL, 0, cv_len + jd_len };
	struct tok *t = md_malloc(MAX_TOKENS * sizeof *t);
	sm.v = md_malloc(sm.cap ? sm.cap : 1);
	if (!t || !sm.st || !sm.v) {
		md_free(t);
		md_free(sm.v);
		text_stemmer_free(sm.st);
		return MD_ENOMEM;
	}
	size_t n = 0;
	unsigned para = 0;
	tokenize(cv, cv_len, false, &para, t, &n, &sm);
	size_t cv_tokens = n;
	tokenize(jd, jd_len, true, &para, t, &n, &sm);
	size_t jd_tokens = n - cv_tokens;
	md_qsort(t, n, sizeof *t, cmp_tok);
	double N = para, dl = (double)cv_tokens;
	double avgdl = ((double)cv_tokens + (double)jd_tokens) / 2.0;
	double score = 0, ideal = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i, tf = 0, df = 0, shown = 0;
		bool in_jd = false;
		unsigned last_para = (unsigned)-1;
		/* Tokens of one stem come in order of appearance, so paragraphs never go back. */
		while (j < n && cmp_slice(t[j].key, t[i].key) == 0) {
			tf += !t[j].jd;
			if (t[j].jd && !in_jd)
				shown = j; /* the job's own wording of the term */
			in_jd |= t[j].jd;
			if (t[j].para != last_para)
				df++;
			last_para = t[j].para;
			j++;
		}
		if (in_jd) {
			double idf = log(1.0 + (N - (double)df + 0.5) / ((double)df + 0.5));
			double norm = K1 * (1.0 - B + B * (avgdl > 0 ? dl / avgdl : 1.0));
			double c = tf ? idf * (double)tf * (K1 + 1.0) / ((double)tf + norm) : 0;
			score += c;
			ideal +=
			    idf; /* one occurrence at the average length: idf * (k1+1)/(1+k1) */
			out->query_terms++;
			if (c > 0)
				keep_top(out, t[shown].w, c);
		}
		i = j;
	}
	out->raw = score;
	out->score = ideal > 0 ? MD_MIN(1.0, score / ideal) : 0;
	for (size_t k = 0; k < out->n_terms; k++)
		out->terms[k].contribution = ideal > 0 ? out->terms[k].contribution / ideal : 0;
	md_free(t);
	md_free(sm.v);
	text_stemmer_free(sm.st);
	return 0;
}
