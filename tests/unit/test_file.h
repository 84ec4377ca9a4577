/*
 * test_file.h: the test data files the unit tests read (paths relative to the repository root,
 * where the suite runs). One reader instead of a copy in every suite.
 */
#ifndef MATCHD_TESTS_UNIT_TEST_FILE_H
#define MATCHD_TESTS_UNIT_TEST_FILE_H

#include <stddef.h>

/*
 * The whole file at path, NUL-terminated, in md_malloc memory (md_free it); *len (when len is
 * not NULL) receives its length. A file that cannot be read fails the test.
 */
char *test_slurp(const char *path, size_t *len);

#endif
