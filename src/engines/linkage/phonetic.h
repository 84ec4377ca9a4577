/*
 * phonetic.h: phonetic keys for names: Double Metaphone (Lawrence Philips, C/C++ Users
 * Journal, June 2000; keys of at most 4 characters as in the original) and NYSIIS (New York
 * State Identification and Intelligence System, untruncated as jellyfish computes it).
 *
 * Input is UTF-8; letters are folded to ASCII first (accents dropped, 'ç' and 'ñ' kept for the
 * rules that know them), other characters are ignored by NYSIIS and treated as word breaks
 * by Double Metaphone ("San Jacinto").
 */
#ifndef MATCHD_ENGINES_LINKAGE_PHONETIC_H
#define MATCHD_ENGINES_LINKAGE_PHONETIC_H

#include <stddef.h>

#include "base/err.h"

#define LK_METAPHONE_MAX 4

/*
 * Writes the primary and alternate Double Metaphone keys of s[0..n), NUL-terminated (the
 * alternate equals the primary when the name has no second reading). pcap and acap must be
 * > LK_METAPHONE_MAX. Returns 0, or MD_ELIMIT when a capacity is too small.
 */
MD_WUR int lk_double_metaphone(const char *s, size_t n, char *primary, size_t pcap, char *alt,
                               size_t acap);

/* Writes the NYSIIS key of s[0..n) NUL-terminated. Returns 0, or MD_ELIMIT if it does not fit. */
MD_WUR int lk_nysiis(const char *s, size_t n, char *out, size_t cap);

#endif
