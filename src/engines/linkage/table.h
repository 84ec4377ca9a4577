/*
 * table.h: building struct lk_table (linkage.h) and the arena its strings live in.
 *
 * Every string of a table (column names and cells) lives in the table's arena: a list of big
 * blocks that lk_table_release() frees at once, so building a table costs a few mallocs, not
 * one per cell. The colnames and cells arrays are separate heap arrays, also freed by
 * lk_table_release(). Tables are built with lk_table_new() + lk_table_set() or by
 * lk_csv_parse(); never put strings allocated elsewhere into one. A table is not thread-safe
 * while it is being built; once built, any number of threads may read it.
 */
#ifndef MATCHD_ENGINES_LINKAGE_TABLE_H
#define MATCHD_ENGINES_LINKAGE_TABLE_H

#include <stddef.h>

#include "engines/linkage/linkage.h"

/*
 * Releases t, then makes it an ncols x nrows table whose column names and cells are all "".
 * Returns 0, MD_EINVAL when ncols is 0, or MD_ENOMEM (t is then empty).
 */
MD_WUR int lk_table_new(struct lk_table *t, size_t ncols, size_t nrows);

/*
 * Sets cell (row, col) to a NUL-terminated copy of s[0..n) in the table's arena (the old
 * string stays in the arena until release). Returns 0, MD_EINVAL when (row, col) is out of
 * range, or MD_ENOMEM.
 */
MD_WUR int lk_table_set(struct lk_table *t, size_t row, size_t col, const char *s, size_t n);

/* Like lk_table_set() for the name of column col. */
MD_WUR int lk_table_set_colname(struct lk_table *t, size_t col, const char *s, size_t n);

/*
 * Returns n bytes of storage in t's arena, aligned for char only, valid until
 * lk_table_release(t); NULL when out of memory. For the CSV reader and the normalisers.
 */
char *lk_table_alloc(struct lk_table *t, size_t n);

/* Returns a NUL-terminated copy of s[0..n) in t's arena, or NULL when out of memory. */
char *lk_table_strndup(struct lk_table *t, const char *s, size_t n);

#endif
