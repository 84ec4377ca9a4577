/*
 * uuid.h: UUIDv7 identifiers (RFC 9562): 48 bits of Unix milliseconds then random bits, so ids
 * sort by creation time (good index locality, a natural cursor order) and cannot be guessed.
 */
#ifndef MATCHD_BASE_UUID_H
#define MATCHD_BASE_UUID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MD_UUID_LEN 37 /* 36 characters plus NUL */

/* Writes a new UUIDv7 for the time ms into out; returns 0 or MD_EIO if no randomness. */
int md_uuid7(int64_t ms, char out[MD_UUID_LEN]);
/* True when s is a canonical lower- or upper-case 8-4-4-4-12 hex UUID. */
bool md_uuid_valid(const char *s);
/* Fills buf with n cryptographically random bytes; returns 0 or MD_EIO. */
int md_random_bytes(void *buf, size_t n);

#endif
