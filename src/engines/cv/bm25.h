/*
 * bm25.h: Okapi BM25 similarity between a job description (the query) and a CV (the
 * document), with the shared terms that carried it.
 *
 * Both texts are case-folded already. Terms are the words of text/normalize.h's tokeniser,
 * without English, French, German and Spanish stop words, one-letter words and numbers,
 * compared by their Snowball English stem (text/stem.h: "managed" meets "managing"); a term is
 * shown as the job description first writes it.
 * The collection is the paragraphs (split at empty lines) of both texts: it gives each term's
 * document frequency, hence idf = ln(1 + (N - df + 0.5) / (df + 0.5)), and the average
 * paragraph length is not used: the CV is scored as one document of length dl against
 * avgdl = (CV length + JD length) / 2, with k1 = 1.2 and b = 0.75. Each distinct JD term
 * counts once. The normalised score divides by the score of a CV holding every JD term
 * exactly once at the average length, and is capped at 1: 1 means "covers the job's terms".
 */
#ifndef MATCHD_ENGINES_CV_BM25_H
#define MATCHD_ENGINES_CV_BM25_H

#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

#define CV_BM25_TERMS 10

struct cv_bm25_term {
	char term[48];
	double contribution; /* share of the normalised score */
};

struct cv_bm25_result {
	double score;                             /* 0..1 */
	double raw;                               /* the plain BM25 sum */
	struct cv_bm25_term terms[CV_BM25_TERMS]; /* largest contributions first */
	size_t n_terms;
	size_t query_terms; /* distinct JD terms */
};

/* Scores cv[0..cv_len) against jd[0..jd_len). Returns 0 or MD_ENOMEM. */
MD_WUR int cv_bm25(const char *cv, size_t cv_len, const char *jd, size_t jd_len,
                   struct cv_bm25_result *out);

/* True for a stop word (folded). */
bool cv_bm25_stopword(const char *w, size_t n);

#endif
