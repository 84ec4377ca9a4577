/*
 * phrases.h: the skill phrases of a job description, in the job's own words. Pure.
 *
 * A job ad asks for duties and abilities that no taxonomy name covers ("influence cross
 * functional teams and suppliers", "experience of billing reconciliation"). ESCO names a skill
 * verb first ("manage staff"), and so do job ads, so a phrase here is one of:
 *   - a verb phrase: a word whose lemma is one of the verbs ESCO's skill labels start with
 *     (verbs.inc, built by scripts/build_skill_verbs.py), in its base, -s or -ing form, not
 *     after a determiner, not all capitals, not a capitalised word after another (a title:
 *     "Test Analyst"). It runs to the next punctuation, line break, clause word ("which",
 *     "while", "through" ...) or the next verb after "to", "and" or "or" (unless the two verbs
 *     share the object: "developing and maintaining forecasts"), at most 10 words;
 *   - a noun phrase after an experience cue ("experience in", "knowledge of", "proficient
 *     with" ...; also French, German and Spanish ones: "maîtrise de", "Kenntnisse in",
 *     "experiencia en"), past determiners and praise words ("excellent"), at most 6 words;
 *   - the one to three words before "skills", "skill", "abilities" or "experience" ("care
 *     experience"), past praise words, not across "and", "of" or a duration ("5 years").
 * Verb phrases are looked for only when the text reads as English (more English function
 * words than French, German or Spanish ones): the verbs are English words, and some are
 * function words elsewhere ("pour"). Trailing function words ("of the") are trimmed. Tokens are runs of bytes between white space
 * and the punctuation , ; : ( ) / ! ? [ ] " | and a full stop not inside a word ("node.js").
 * Phrases come in text order of their first word; the same input always gives the same output.
 */
#ifndef MATCHD_ENGINES_CV_PHRASES_H
#define MATCHD_ENGINES_CV_PHRASES_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/err.h"

/* The longest text cv_phrases_find reads; the rest of a longer one is ignored. */
#define CV_PHRASES_TEXT_MAX (1u << 20)

struct cv_phrase {
	size_t start, len; /* bytes of the text */
	bool verb;         /* a verb phrase, else a noun phrase */
};

/*
 * Calls cb for each phrase of text[0..len) in order; a non-zero return from cb stops the scan
 * and is returned. Returns 0, MD_ENOMEM, or cb's code.
 */
MD_WUR int cv_phrases_find(const char *text, size_t len,
                           int (*cb)(void *ctx, const struct cv_phrase *p), void *ctx);

/* True when word[0..len) is, by its form, one of the skill verbs ("managing", "ensures"). */
bool cv_phrases_is_verb(const char *word, size_t len);

/*
 * The next term of text in *rest (text/normalize.h's words): a word of three bytes or more
 * that is neither a stop word nor a word that frames a skill without naming one
 * ("experience", "skills", "knowledge", "ability"), in any case: "good communication skills"
 * asks for communication. Sets *w, advances *rest, returns false when none is left.
 */
bool cv_phrases_next_term(struct slice *rest, struct slice *w);

#endif
