/* test_file.c: see test_file.h. */
#include "test_file.h"

#include <criterion/criterion.h>
#include <stdio.h>

#include "base/buf.h"
#include "base/common.h"

char *test_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s (run from the repository root)", path);
	struct buf b;
	buf_init(&b, 256u << 20);
	char tmp[65536];
	size_t n;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		cr_assert_eq(buf_append(&b, tmp, n), 0, "%s: too large or out of memory", path);
	cr_assert_not(ferror(f), "cannot read %s", path);
	fclose(f);
	if (len)
		*len = b.len;
	char *data = buf_take(&b);
	cr_assert_not_null(data);
	return data;
}
