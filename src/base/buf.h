/*
 * buf.h: a growable byte buffer with a hard cap, and a (ptr, len) slice for parsing.
 *
 * Invariants: b->data is NUL-terminated whenever b->data != NULL (the terminator is not counted
 * in b->len), b->len <= b->cap_limit, and appending past cap_limit fails with MD_ELIMIT leaving
 * the buffer unchanged. Every buffer that request input can grow is a struct buf with a limit.
 */
#ifndef MATCHD_BASE_BUF_H
#define MATCHD_BASE_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "base/err.h"

struct slice {
	const char *ptr;
	size_t len;
};

#define SLICE_LIT(s) ((struct slice){ (s), sizeof(s) - 1 })

struct buf {
	char *data;
	size_t len;
	size_t alloc;
	size_t cap_limit; /* hard upper bound on len */
};

/* Initialises an empty buffer that may grow up to limit bytes. Allocates nothing. */
void buf_init(struct buf *b, size_t limit);
/* Frees the storage and leaves the buffer empty and reusable. */
void buf_release(struct buf *b);
/* Empties the buffer, keeping its storage. */
void buf_reset(struct buf *b);
/* Hands the NUL-terminated data to the caller (who md_free()s it); the buffer becomes empty. */
char *buf_take(struct buf *b);

MD_WUR int buf_append(struct buf *b, const void *p, size_t n);
MD_WUR int buf_puts(struct buf *b, const char *s);
MD_WUR int buf_putc(struct buf *b, char c);
MD_WUR int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
MD_WUR int buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* Appends s as a JSON string literal, quotes included. */
MD_WUR int buf_put_json_string(struct buf *b, const char *s, size_t n);

/* Slice helpers. */
struct slice slice_from(const char *s);
bool slice_eq(struct slice a, const char *s);
bool slice_ieq(struct slice a, const char *s);
struct slice slice_trim(struct slice s);
/* Copies the slice into dst (size cap, NUL-terminated); returns MD_ELIMIT if it does not fit. */
MD_WUR int slice_copy(struct slice s, char *dst, size_t cap);

/* Formats into a fixed array, failing (MD_ELIMIT) rather than truncating silently. */
MD_WUR int md_snprintf(char *dst, size_t cap, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
