/* fuzz_csv.c: the CSV reader on arbitrary bytes, with small limits; checks the table shape. */
#include <stddef.h>
#include <stdint.h>

#include "base/common.h"
#include "engines/linkage/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lk_csv_limits lim = {
		.max_bytes = 1 << 16, .max_rows = 200, .max_cols = 16, .max_field_bytes = 256
	};
	struct lk_table t;
	struct lk_csv_error err;
	lk_table_init(&t);
	int rc = lk_csv_parse((const char *)data, size, &lim, &t, &err);
	if (rc == 0) {
		if (t.ncols == 0 || t.ncols > 16 || t.nrows > 200 || !t.cells || !t.colnames)
			__builtin_trap();
		for (size_t c = 0; c < t.ncols; c++)
			if (!t.colnames[c][0])
				__builtin_trap();
		for (size_t i = 0; i < t.ncols * t.nrows; i++)
			if (strlen(t.cells[i]) > 256)
				__builtin_trap();
	} else if (rc != MD_EINVAL && rc != MD_ELIMIT && rc != MD_ENOMEM) {
		__builtin_trap();
	} else if (!memchr(err.message, '\0', sizeof err.message) || !err.message[0]) {
		__builtin_trap();
	}
	lk_table_release(&t);
	return 0;
}
