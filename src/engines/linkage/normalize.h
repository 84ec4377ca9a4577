/*
 * normalize.h: the value normalisers of the linkage engine (enum lk_norm in linkage.h).
 *
 * Each bit is one step, applied in bit order:
 *   nfkc_casefold        NFKC + Unicode case folding ("Straße" -> "strasse", "ﬁ" -> "fi")
 *   trim                 white space (ASCII and Unicode Zs) removed at both ends
 *   collapse_whitespace  every run of white space becomes one ' '
 *   strip_punctuation    code points of the Unicode P* categories removed ("o'neil" -> "oneil")
 *   digits_only          everything but 0-9 removed ("(02) 9876-5432" -> "0298765432")
 *   strip_diacritics     NFD, combining marks (Mn) dropped, recomposed ("José" -> "Jose")
 * Invalid UTF-8 bytes become U+FFFD first, so the output is always valid UTF-8.
 */
#ifndef MATCHD_ENGINES_LINKAGE_NORMALIZE_H
#define MATCHD_ENGINES_LINKAGE_NORMALIZE_H

#include <stddef.h>

#include "base/buf.h"
#include "engines/linkage/linkage.h"

/* Appends the normalised in[0..n) to out. Returns 0, MD_ENOMEM or MD_ELIMIT (out's cap). */
MD_WUR int lk_normalize(const char *in, size_t n, unsigned flags, struct buf *out);

/*
 * Normalises every cell of column col in place; the new strings go into the table's arena
 * (table.h). Returns 0, MD_EINVAL for a bad column, MD_ENOMEM, or MD_ELIMIT for a value whose
 * normal form exceeds 1 MiB. On error some cells may already be normalised.
 */
MD_WUR int lk_normalize_table_col(struct lk_table *t, int col, unsigned flags);

#endif
