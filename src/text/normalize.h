/*
 * normalize.h: Unicode clean-up of extracted text, case-folding for matching, and a word
 * tokeniser, on top of utf8proc.
 *
 * text_normalize() output invariants: valid UTF-8 (invalid input bytes become U+FFFD), NFKC
 * (so ligatures such as U+FB01 become "fi"), no soft hyphens, no control characters other than
 * '\n', no private-use code points, every run of other white space collapsed to one ' ', no
 * spaces at the start or end of a line, and at most one empty line in a row. Line breaks
 * (\n, \r\n, \r, U+2028, U+2029) are kept as '\n' so callers can still work line by line.
 * text_casefold() gives the same plus Unicode case folding; it never adds or removes a '\n', so
 * line i of the folded text corresponds to line i of the normalised text.
 */
#ifndef MATCHD_TEXT_NORMALIZE_H
#define MATCHD_TEXT_NORMALIZE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"

/* Appends the normalised form of s[0..len) to out; returns 0, MD_ENOMEM or MD_ELIMIT. */
MD_WUR int text_normalize(const char *s, size_t len, struct buf *out);

/* Like text_normalize(), then Unicode case folding ("Straße" -> "strasse"). */
MD_WUR int text_casefold(const char *s, size_t len, struct buf *out);

/*
 * Finds the next word in *rest: a maximal run of Unicode letters, digits and marks. Sets *word
 * to it, advances *rest past it and returns true; returns false when no word is left. Invalid
 * UTF-8 bytes separate words.
 */
bool text_next_word(struct slice *rest, struct slice *word);

/* True when the code point is a letter, a digit or a combining mark. */
bool text_is_word_cp(int32_t cp);

/*
 * Decodes one code point at s[0..len) (len > 0) into *cp and returns its byte length (>= 1);
 * an invalid sequence gives *cp = -1 and length 1.
 */
size_t text_decode(const char *s, size_t len, int32_t *cp);

/* Largest n' <= n such that s[0..n') does not end inside a UTF-8 sequence. */
size_t text_utf8_floor(const char *s, size_t n);

#endif
