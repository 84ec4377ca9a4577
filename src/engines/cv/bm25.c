#include "engines/cv/bm25.h"

#include "base/common.h"

#include <math.h>

#include "text/normalize.h"

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
	struct slice w;
	unsigned para; /* collection-wide paragraph number */
	bool jd;
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
	int c = cmp_slice(x->w, y->w);
	if (c)
		return c;
	return x->para < y->para ? -1 : x->para > y->para ? 1 : 0;
}

static void tokenize(const char *s, size_t len, bool jd, unsigned *para, struct tok *t, size_t *n)
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
		t[(*n)++] = (struct tok){ w, *para, jd };
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
	struct tok *t = md_malloc(MAX_TOKENS * sizeof *t);
	if (!t)
		return MD_ENOMEM;
	size_t n = 0;
	unsigned para = 0;
	tokenize(cv, cv_len, false, &para, t, &n);
	size_t cv_tokens = n;
	tokenize(jd, jd_len, true, &para, t, &n);
	size_t jd_tokens = n - cv_tokens;
	md_qsort(t, n, sizeof *t, cmp_tok);
	double N = para, dl = (double)cv_tokens;
	double avgdl = ((double)cv_tokens + (double)jd_tokens) / 2.0;
	double score = 0, ideal = 0;
	for (size_t i = 0; i < n;) {
		size_t j = i, tf = 0, df = 0;
		bool in_jd = false;
		unsigned last_para = (unsigned)-1;
		while (j < n && cmp_slice(t[j].w, t[i].w) == 0) {
			tf += !t[j].jd;
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
				keep_top(out, t[i].w, c);
		}
		i = j;
	}
	out->raw = score;
	out->score = ideal > 0 ? MD_MIN(1.0, score / ideal) : 0;
	for (size_t k = 0; k < out->n_terms; k++)
		out->terms[k].contribution = ideal > 0 ? out->terms[k].contribution / ideal : 0;
	md_free(t);
	return 0;
}
