/*
 * Smart-run level refinement (src/engines/linkage/smart.c) and the prefix level it turns on
 * (lk_compare_level in compare.c).
 */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/linkage/blocking.h"
#include "engines/linkage/compare.h"
#include "engines/linkage/smart.h"
#include "engines/linkage/table.h"

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

/* Transfers booked a day later, a third of them across a month's end. */
static void transfer_tables(struct lk_table *a, struct lk_table *b, size_t n)
{
	lk_table_init(a);
	lk_table_init(b);
	cr_assert_eq(lk_table_new(a, 2, n), 0);
	cr_assert_eq(lk_table_new(b, 2, n), 0);
	char s[64];
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(s, sizeof(s), "p%zu", i % 10);
		cr_assert_eq(lk_table_set(a, i, 0, s, (size_t)len), 0);
		cr_assert_eq(lk_table_set(b, i, 0, s, (size_t)len), 0);
		static const size_t m30[] = { 4, 6, 9, 11 };
		size_t m = i % 3 ? 1 + i % 11 : m30[i % 4];
		len = i % 3 ? snprintf(s, sizeof(s), "2021-%02zu-%02zu", m, 1 + i % 20)
		            : snprintf(s, sizeof(s), "2021-%02zu-30", m);
		cr_assert_eq(lk_table_set(a, i, 1, s, (size_t)len), 0);
		len = i % 3 ? snprintf(s, sizeof(s), "2021-%02zu-%02zu", m, 2 + i % 20)
		            : snprintf(s, sizeof(s), "2021-%02zu-01", m + 1);
		cr_assert_eq(lk_table_set(b, i, 1, s, (size_t)len), 0);
	}
}

/* Whether rule r joins every row i of a with row i of b. */
static size_t joined(const struct lk_smart_rule *r, const struct lk_table *a,
                     const struct lk_table *b, size_t n)
{
	int cols[2] = { 0, 1 };
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		uint64_t x = lk_row_key_kind(a, i, cols, r->kinds, 2);
		k += x && x == lk_row_key_kind(b, i, cols, r->kinds, 2);
	}
	return k;
}

Test(lk_smart, month_rules_get_a_mid_month_companion)
{
	struct lk_table a, b;
	size_t n = 900;
	transfer_tables(&a, &b, n);
	int cols[2] = { 0, 1 };
	struct lk_smart_rule rules[LK_MAX_RULES] = {
		{ .cols = 3, .kinds = { LK_KEY_EXACT, LK_KEY_YEAR_MONTH } },
		{ .cols = 1, .kinds = { LK_KEY_EXACT } },
	};
	int kc[2] = { 0, 1 };
	uint64_t ki[900], kr[900];
	lk_rule_keys_kind(&a, kc, rules[0].kinds, 2, ki);
	lk_rule_keys_kind(&b, kc, rules[0].kinds, 2, kr);
	rules[0].pairs = lk_key_pair_count(ki, n, kr, n, false);
	size_t nr = 1;
	/* The month rule misses the month-end third. */
	cr_assert_eq(joined(&rules[0], &a, &b, n), n - n / 3);
	cr_assert_eq(lk_smart_mid_month_rules(&a, &b, cols, cols, 2, false, 50 * n, rules, &nr), 0);
	cr_assert_eq(nr, 2);
	cr_assert_eq(rules[1].cols, 3);
	cr_assert_eq(rules[1].kinds[0], LK_KEY_EXACT);
	cr_assert_eq(rules[1].kinds[1], LK_KEY_YEAR_MONTH_MID);
	cr_assert_gt(rules[1].pairs, 0);
	cr_assert_leq(rules[0].pairs + rules[1].pairs, 50 * n);
	/* Together they join every pair. */
	size_t both = 0;
	for (size_t i = 0; i < n; i++) {
		bool any = false;
		for (size_t k = 0; k < 2; k++) {
			uint64_t x = lk_row_key_kind(&a, i, cols, rules[k].kinds, 2);
			any |= x && x == lk_row_key_kind(&b, i, cols, rules[k].kinds, 2);
		}
		both += any;
	}
	cr_assert_eq(both, n);
	/* No budget left: no companion; rules without a month key get none. */
	nr = 1;
	cr_assert_eq(
	    lk_smart_mid_month_rules(&a, &b, cols, cols, 2, false, rules[0].pairs, rules, &nr), 0);
	cr_assert_eq(nr, 1);
	struct lk_smart_rule plain[LK_MAX_RULES] = { { .cols = 1, .pairs = 10 } };
	nr = 1;
	cr_assert_eq(lk_smart_mid_month_rules(&a, &b, cols, cols, 2, false, 50 * n, plain, &nr), 0);
	cr_assert_eq(nr, 1);
	lk_table_release(&a);
	lk_table_release(&b);
}

Test(lk_smart, derived_name_columns_are_dependent)
{
	/* full name, first + surname, first name, surname, city, occupation */
	struct lk_table t;
	lk_table_init(&t);
	size_t n = 200;
	cr_assert_eq(lk_table_new(&t, 6, n), 0);
	char s[96];
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(s, sizeof s, "f%zu m%zu, s%zu of x", i % 37, i % 5, i % 41);
		cr_assert_eq(lk_table_set(&t, i, 0, s, (size_t)len), 0);
		len = snprintf(s, sizeof s, "f%zu s%zu", i % 37, i % 41);
		cr_assert_eq(lk_table_set(&t, i, 1, s, (size_t)len), 0);
		len = snprintf(s, sizeof s, "f%zu", i % 37);
		cr_assert_eq(lk_table_set(&t, i, 2, s, (size_t)len), 0);
		len = snprintf(s, sizeof s, "s%zu", i % 41);
		cr_assert_eq(lk_table_set(&t, i, 3, s, (size_t)len), 0);
		/* a city that happens to be a surname in a few rows only */
		len = i % 20 ? snprintf(s, sizeof s, "c%zu", i % 13)
		             : snprintf(s, sizeof s, "s%zu", i % 41);
		cr_assert_eq(lk_table_set(&t, i, 4, s, (size_t)len), 0);
		/* the same words in another column both ways: the first is kept */
		len = snprintf(s, sizeof s, "o%zu", i % 7);
		cr_assert_eq(lk_table_set(&t, i, 5, s, (size_t)len), 0);
	}
	int cols[7] = { 0, 1, 2, 3, 4, 5, 2 };
	bool dep[7], comp[7];
	lk_smart_dependent_fields(&t, cols, 6, dep, comp);
	cr_assert(!dep[0], "the full name contains the others");
	cr_assert(dep[1] && dep[2] && dep[3]);
	cr_assert(!dep[4] && !dep[5]);
	/* The full name and first + surname are made of parts; the parts and the rest not. */
	cr_assert(comp[0] && comp[1]);
	cr_assert(!comp[2] && !comp[3] && !comp[4] && !comp[5]);
	/* Two fields on one column are both kept. */
	lk_smart_dependent_fields(&t, cols + 2, 5, dep, comp);
	cr_assert(!dep[0] && !dep[4]);
	cr_assert(!comp[0] && !comp[4]);
	lk_table_release(&t);
}
