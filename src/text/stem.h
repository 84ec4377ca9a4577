/*
 * stem.h: English word stems from Snowball's Porter2 stemmer (libstemmer), for comparing the
 * words of two texts: "managing", "managed" and "management" all give "manag", "studies" and
 * "study" give "studi".
 *
 * Stemming conflates a job title with its activity ("manager", "management"), so it is safe
 * for similarity and word overlap, never for naming a skill (the taxonomy keeps its own light,
 * inflection-only stemmer). Only words of four to 48 lowercase ASCII letters are stemmed:
 * shorter ones are acronyms and product names ("aws", "ios"), anything else (digits, other
 * scripts, case) is returned as it is. A stemmer is not thread-safe: one per thread or call.
 */
#ifndef MATCHD_TEXT_STEM_H
#define MATCHD_TEXT_STEM_H

#include <stddef.h>

#include "base/err.h"

#define TEXT_STEM_MAX 48 /* longest word stemmed; out needs TEXT_STEM_MAX + 1 bytes */

struct text_stemmer;

/* A new English stemmer, or NULL when memory is short. */
struct text_stemmer *text_stemmer_new(void);

/* Frees it; NULL is fine. */
void text_stemmer_free(struct text_stemmer *s);

/*
 * Writes the stem of the folded word w[0..n) to out[TEXT_STEM_MAX + 1] (NUL-terminated) and
 * returns its length; a word that is not stemmed is copied, cut at TEXT_STEM_MAX bytes on a
 * UTF-8 boundary.
 */
size_t text_stem(struct text_stemmer *s, const char *w, size_t n, char *out);

#endif
