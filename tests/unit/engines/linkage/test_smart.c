/*
 * Smart-run level refinement (src/engines/linkage/smart.c) and the prefix level it turns on
 * (lk_compare_level in compare.c).
 */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/linkage/compare.h"
#include "engines/linkage/smart.h"

Test(lk_smart, text_fields_get_the_prefix_level)
{
	struct lk_field f = { .cmp = LK_CMP_TOKEN_SET,
		              .thresholds = { 0.9, 0.7 },
		              .nthresholds = 2 };
	lk_smart_refine_levels(&f);
	cr_assert(f.prefix_level);
	cr_assert_eq(lk_field_nlevels(&f), 5);
	/* Names and dates keep their levels. */
	struct lk_field jw = { .cmp = LK_CMP_JARO_WINKLER,
		               .thresholds = { 0.92, 0.8 },
		               .nthresholds = 2 };
	lk_smart_refine_levels(&jw);
	cr_assert(!jw.prefix_level);
	cr_assert_eq(lk_field_nlevels(&jw), 4);
}

Test(lk_smart, prefix_level_between_exact_and_thresholds)
{
	struct lk_field f = { .cmp = LK_CMP_TOKEN_SET,
		              .thresholds = { 0.9, 0.7 },
		              .nthresholds = 2,
		              .prefix_level = true };
	/* 5 levels: else 0, >= 0.7 1, >= 0.9 2, shared prefix 3, exact 4 */
	cr_assert_eq(lk_compare_level(&f, "matthias c paym", "matthias c paym", NULL), 4);
	cr_assert_eq(lk_compare_level(&f, "matthias c paym", "matthias c payment bgc", NULL), 3);
	/* Both cut after the same leading words: 12 of 15 code points shared. */
	cr_assert_eq(lk_compare_level(&f, "filippino l bgc", "filippino l mon", NULL), 3);
	/* Too short a prefix ("m c " is 4 code points) falls through to the token set. */
	cr_assert_lt(lk_compare_level(&f, "m c bgc", "m c payment", NULL), 3);
	/* Multi-byte code points are counted as one: "zoë ab" is 6 code points, 7 bytes. */
	cr_assert_eq(lk_compare_level(&f, "zoë abcdef", "zoë abcxyz", NULL), 3);
	cr_assert_lt(lk_compare_level(&f, "zoë ab", "zoé ab x", NULL), 3);
	/* A token-set level is one lower than without the prefix level. */
	cr_assert_eq(lk_compare_level(&f, "payment bgc", "bgc payment", NULL), 2);
	cr_assert_eq(lk_compare_level(&f, "alpha beta", "gamma delta", NULL), 0);
	/* Without the flag the same pair is a token-set level. */
	f.prefix_level = false;
	cr_assert_lt(lk_compare_level(&f, "matthias c paym", "matthias c payment bgc", NULL), 3);
}

Test(lk_smart, prefix_level_ignored_for_non_string_comparators)
{
	struct lk_field f = {
		.cmp = LK_CMP_DATE, .thresholds = { 1, 4 }, .nthresholds = 2, .prefix_level = true
	};
	cr_assert_eq(lk_field_nlevels(&f), 4);
	cr_assert_eq(lk_compare_level(&f, "2022-03-28", "2022-03-29", NULL), 2);
	cr_assert_eq(lk_compare_level(&f, "2022-03-28", "2022-03-21", NULL), 0);
}

Test(lk_smart, numeric_default_levels_refined)
{
	struct lk_field f = { .cmp = LK_CMP_NUMERIC,
		              .thresholds = { 0.01, 0.1 },
		              .nthresholds = 2 };
	lk_smart_refine_levels(&f);
	cr_assert_eq(f.nthresholds, 4);
	cr_assert_eq(lk_compare_level(&f, "100", "100", NULL), 5);
	cr_assert_eq(lk_compare_level(&f, "100", "99.5", NULL), 4);
	cr_assert_eq(lk_compare_level(&f, "100", "98", NULL), 3);
	cr_assert_eq(lk_compare_level(&f, "100", "96", NULL), 2);
	cr_assert_eq(lk_compare_level(&f, "100", "93", NULL), 1);
	cr_assert_eq(lk_compare_level(&f, "100", "80", NULL), 0);
	/* Levels a user chose are kept. */
	struct lk_field g = { .cmp = LK_CMP_NUMERIC, .thresholds = { 0.2 }, .nthresholds = 1 };
	lk_smart_refine_levels(&g);
	cr_assert_eq(g.nthresholds, 1);
}
