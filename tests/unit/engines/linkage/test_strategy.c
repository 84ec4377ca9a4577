/* Column strategies of smart-runs (src/engines/linkage/strategy.c). */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/linkage/strategy.h"
#include "engines/linkage/table.h"

/* A one-column table holding vals. */
static void column(struct lk_table *t, const char *name, const char *const *vals, size_t n)
{
	lk_table_init(t);
	cr_assert_eq(lk_table_new(t, 1, n), 0);
	cr_assert_eq(lk_table_set_colname(t, 0, name, strlen(name)), 0);
	for (size_t i = 0; i < n; i++)
		cr_assert_eq(lk_table_set(t, i, 0, vals[i], strlen(vals[i])), 0);
}

/* A name hint decides only where the values suit it: digits_only rules need digits. */
Test(lk_strategy, hints_follow_the_values)
{
	const struct lk_strategy *people = lk_strategy_find("people");
	cr_assert_not_null(people);
	static const char *const places[] = { "Springfield", "Ogdenville", "Capital City" };
	static const char *const dates[] = { "1950-03-01", "1961-12-24", "1977-07-07" };
	struct lk_table t;
	struct lk_field f;

	column(&t, "birth_place", places, ARRAY_SIZE(places));
	memset(&f, 0, sizeof f);
	lk_strategy_infer_field(people, "birth_place", &t, 0, &f);
	cr_assert_eq(f.cmp, LK_CMP_JARO_WINKLER, "birth_place: %s", lk_comparator_name(f.cmp));
	cr_assert_eq(f.normalize & LK_NORM_DIGITS_ONLY, 0u);
	lk_table_release(&t);

	column(&t, "birth_date", dates, ARRAY_SIZE(dates));
	memset(&f, 0, sizeof f);
	lk_strategy_infer_field(people, "birth_date", &t, 0, &f);
	cr_assert_eq(f.cmp, LK_CMP_LEVENSHTEIN, "birth_date: %s", lk_comparator_name(f.cmp));
	cr_assert_neq(f.normalize & LK_NORM_DIGITS_ONLY, 0u);
	lk_table_release(&t);

	size_t n;
	const struct lk_strategy *all = lk_strategies(&n);
	cr_assert_geq(n, 5);
	cr_assert_str_eq(all[0].id, "auto");
	cr_assert_null(lk_strategy_find("nope"));
	cr_assert(lk_strategy_skip_column(people, "rec_id"));
	cr_assert_not(lk_strategy_skip_column(people, "surname"));
}
