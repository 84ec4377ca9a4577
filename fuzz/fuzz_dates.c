/* fuzz_dates.c: the date-range parser and the union on arbitrary bytes. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/common.h"
#include "engines/cv/dates.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cv_date_range r[64];
	struct cv_month_range m[64];
	/* 2024-06-15; the text is not NUL-terminated on purpose. */
	size_t n = cv_dates_find((const char *)data, size, 19889, r, 64);
	for (size_t i = 0; i < n; i++) {
		/* A template placeholder ("20XX", "YYYY") dates a position without months: an
		 * empty range at as_of (dates.h). Any other range is not empty. */
		bool placeholder = r[i].from.year == 0 || (!r[i].open && r[i].to.year == 0);
		if (r[i].r.end < r[i].r.start || (r[i].r.end == r[i].r.start && !placeholder) ||
		    r[i].offset + r[i].len > size)
			__builtin_trap();
		m[i] = r[i].r;
	}
	double y = cv_ranges_years(m, n);
	if (y < 0 || y > 200)
		__builtin_trap();
	(void)cv_dates_has_date((const char *)data, size);
	return 0;
}
