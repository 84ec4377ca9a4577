/*
 * common.h: what every matchd source file includes first: the error codes, the allocation
 * wrapper, buffers and slices, and the banned-function guard.
 */
#ifndef MATCHD_BASE_COMMON_H
#define MATCHD_BASE_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/alloc.h"
#include "base/buf.h"
#include "base/err.h"

/* qsort for arrays that may be empty and NULL, which qsort itself must not be given. */
static inline void md_qsort(void *base, size_t n, size_t size,
                            int (*cmp)(const void *, const void *))
{
	if (n > 1)
		qsort(base, n, size, cmp);
}

/* The value of hexadecimal digit c (either case), or -1. */
static inline int md_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MD_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MD_MAX(a, b) ((a) > (b) ? (a) : (b))

#include "base/banned.h"

#endif
