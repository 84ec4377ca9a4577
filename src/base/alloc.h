/*
 * alloc.h: the one allocation wrapper. Every heap allocation of matchd goes through md_malloc
 * and friends so a test can make the Nth allocation fail (md_alloc_fail_after) and check that
 * the caller reports MD_ENOMEM and leaks nothing. The wrappers never abort: callers handle NULL.
 */
#ifndef MATCHD_BASE_ALLOC_H
#define MATCHD_BASE_ALLOC_H

#include <stddef.h>

#include "base/err.h"

void *md_malloc(size_t n);
void *md_calloc(size_t count, size_t size);
void *md_realloc(void *p, size_t n);
void md_free(void *p);

/*
 * Doubles the capacity of the array *pv (a T **, elem = sizeof(T); first: the capacity of an
 * empty one) and *cap with it. On MD_ENOMEM (also when the size would overflow) both are left
 * as they were. The grow step of every push: if (n == cap && md_grow(&v, &cap, sizeof *v, 64)).
 */
MD_WUR int md_grow(void *pv, size_t *cap, size_t elem, size_t first);
/* Returns a heap copy of s (NUL-terminated), or NULL. */
char *md_strdup(const char *s);
/* Returns a NUL-terminated heap copy of the first n bytes of s, or NULL. */
char *md_strndup(const char *s, size_t n);

/*
 * Makes the allocation after the next n succeed-calls fail, process-wide; n < 0 disables the
 * injection. For tests only: it is a global counter on purpose.
 */
void md_alloc_fail_after(long n);

#endif
