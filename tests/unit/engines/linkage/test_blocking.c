/* Blocking (src/engines/linkage/blocking.c): the union of the rules, each pair once. */
#include <criterion/criterion.h>

#include "base/common.h"
#include "engines/linkage/blocking.h"

static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

#define NR 3

/* Random keys from a small alphabet, some missing (0). */
static void fill_keys(uint64_t *k, size_t n, uint64_t *seed, unsigned alphabet)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v = (unsigned)(rng_next(seed) % (alphabet + 1));
		k[i] = v == 0 ? 0 : 1000 + v;
	}
}

static void check_union(size_t n_in, size_t n_ref, bool dedupe, uint64_t chunk)
{
	uint64_t seed = 42 + n_in + dedupe;
	uint64_t *ki[NR], *kr[NR];
	static const unsigned alpha[NR] = { 7, 13, 3 };
	for (int r = 0; r < NR; r++) {
		ki[r] = md_malloc(n_in * sizeof(uint64_t));
		kr[r] = md_malloc(n_ref * sizeof(uint64_t));
		fill_keys(ki[r], n_in, &seed, alpha[r]);
		fill_keys(kr[r], n_ref, &seed, alpha[r]);
	}
	struct lk_blocker b;
	char err[200];
	cr_assert_eq(lk_blocker_init(&b, (const uint64_t *const *)ki, (const uint64_t *const *)kr,
	                             NR, n_in, n_ref, dedupe, UINT64_MAX, chunk, err, sizeof(err)),
	             0);
	size_t nr = dedupe ? n_in : n_ref;
	unsigned char *seen = md_calloc(n_in * nr, 1);
	size_t total = 0;
	for (size_t c = 0; c < b.nchunks; c++) {
		struct lk_cand *out = md_malloc((b.chunk_pairs[c] + 1) * sizeof(*out));
		size_t n = lk_blocker_chunk(&b, c, out);
		cr_assert_leq(n, b.chunk_pairs[c]);
		for (size_t k = 0; k < n; k++) {
			uint32_t i = out[k].in, j = out[k].ref;
			if (dedupe)
				cr_assert_lt(i, j, "dedupe pair (%u, %u) not ordered", i, j);
			cr_assert_eq(seen[i * nr + j], 0, "pair (%u, %u) emitted twice", i, j);
			seen[i * nr + j] = 1;
			uint32_t mask = 0;
			const uint64_t *const *rk =
			    dedupe ? (const uint64_t *const *)ki : (const uint64_t *const *)kr;
			for (int r = 0; r < NR; r++)
				if (ki[r][i] && ki[r][i] == rk[r][j])
					mask |= 1u << r;
			cr_assert_eq(out[k].rules, mask, "rules of (%u, %u): got %x want %x", i, j,
			             out[k].rules, mask);
		}
		total += n;
		md_free(out);
	}
	/* Every pair some rule joins was emitted. */
	size_t want = 0;
	for (size_t i = 0; i < n_in; i++) {
		for (size_t j = dedupe ? i + 1 : 0; j < nr; j++) {
			bool any = false;
			for (int r = 0; r < NR; r++) {
				uint64_t a = ki[r][i], bb = dedupe ? ki[r][j] : kr[r][j];
				any |= a && a == bb;
			}
			want += any;
			cr_assert_eq(seen[i * nr + j], any, "pair (%zu, %zu): emitted %d, want %d",
			             i, j, seen[i * nr + j], any);
		}
	}
	cr_assert_eq(total, want, "got %zu pairs, want %zu", total, want);
	md_free(seen);
	lk_blocker_release(&b);
	for (int r = 0; r < NR; r++) {
		md_free(ki[r]);
		md_free(kr[r]);
	}
}

Test(lk_model, blocking_link_union_each_pair_once)
{
	check_union(200, 150, false, 64);
	check_union(50, 60, false, 1);
	check_union(300, 300, false, 1u << 20);
}

Test(lk_model, blocking_dedupe_union_each_pair_once)
{
	check_union(250, 0, true, 50);
	check_union(40, 0, true, 1);
}

Test(lk_model, blocking_pair_count_and_limit)
{
	uint64_t a[] = { 5, 5, 0, 7, 9 }, b[] = { 5, 7, 7, 0, 5, 5 };
	cr_assert_eq(lk_key_pair_count(a, 5, b, 6, false), 2 * 3 + 1 * 2);
	cr_assert_eq(lk_key_pair_count(b, 6, NULL, 0, true), 3 + 1);
	const uint64_t *ki[1] = { a }, *kr[1] = { b };
	struct lk_blocker bl;
	char err[200] = "";
	cr_assert_eq(lk_blocker_init(&bl, ki, kr, 1, 5, 6, false, 7, 16, err, sizeof(err)),
	             MD_ELIMIT);
	cr_assert(strstr(err, "8 candidate pairs"), "message: %s", err);
}

/* ---- derived keys ---- */

#include "engines/linkage/smart.h"
#include "engines/linkage/table.h"

static void derive_is(const char *s, int kind, const char *want)
{
	char buf[LK_KEY_DERIVED_MAX];
	size_t n = lk_key_derive(s, kind, buf);
	cr_assert_eq(n, strlen(want), "%s (%s): length %zu, want \"%s\"", s,
	             lk_key_kind_name((enum lk_key_kind)kind), n, want);
	cr_assert(memcmp(buf, want, n) == 0, "%s (%s): got \"%.*s\", want \"%s\"", s,
	          lk_key_kind_name((enum lk_key_kind)kind), (int)n, buf, want);
}

Test(lk_model, blocking_derived_keys)
{
	derive_is("MATTHIAS C paym", LK_KEY_FIRST_TOKEN, "MATTHIAS");
	derive_is("  solo ", LK_KEY_FIRST_TOKEN, "solo");
	derive_is("MATTHIAS C payment BGC", LK_KEY_FIRST2_TOKENS, "MATTHIAS C");
	derive_is("MATTHIAS   C", LK_KEY_FIRST2_TOKENS, "MATTHIAS C");
	derive_is("one", LK_KEY_FIRST2_TOKENS, "one");
	derive_is("jöhnson", LK_KEY_PREFIX4, "jöhn");
	derive_is("ab", LK_KEY_PREFIX4, "ab");
	derive_is("36.36", LK_KEY_NUMBER_ROUNDED, "36");
	derive_is("-0036.9", LK_KEY_NUMBER_ROUNDED, "-36");
	derive_is("-.5", LK_KEY_NUMBER_ROUNDED, "0");
	derive_is("$1200", LK_KEY_NUMBER_ROUNDED, "1200");
	derive_is("n/a", LK_KEY_NUMBER_ROUNDED, "");
	derive_is("2022-03-28", LK_KEY_YEAR_MONTH, "202203");
	derive_is("2022/3/1", LK_KEY_YEAR_MONTH, "202203");
	derive_is("20220328", LK_KEY_YEAR_MONTH, "202203");
	derive_is("28/03/2022", LK_KEY_YEAR_MONTH, "");
	/* The month from the 16th to the 15th. */
	derive_is("2022-03-31", LK_KEY_YEAR_MONTH_MID, "202203");
	derive_is("2022-04-01", LK_KEY_YEAR_MONTH_MID, "202203");
	derive_is("2022-04-15", LK_KEY_YEAR_MONTH_MID, "202203");
	derive_is("2022-04-16", LK_KEY_YEAR_MONTH_MID, "202204");
	derive_is("20220105", LK_KEY_YEAR_MONTH_MID, "202112");
	derive_is("2022/1/5", LK_KEY_YEAR_MONTH_MID, "202112");
	derive_is("2022-03", LK_KEY_YEAR_MONTH_MID, "202202");
	derive_is("n/a", LK_KEY_YEAR_MONTH_MID, "");
	derive_is("   ", LK_KEY_FIRST_TOKEN, "");

	enum lk_key_kind k;
	for (int i = 0; i < LK_KEY_COUNT; i++) {
		cr_assert(lk_key_kind_parse(lk_key_kind_name((enum lk_key_kind)i), &k));
		cr_assert_eq((int)k, i);
	}
	cr_assert_not(lk_key_kind_parse("soundex", &k));
}

static void table_of(struct lk_table *t, const char *const *cells, size_t ncols, size_t nrows)
{
	lk_table_init(t);
	cr_assert_eq(lk_table_new(t, ncols, nrows), 0);
	for (size_t r = 0; r < nrows; r++)
		for (size_t c = 0; c < ncols; c++)
			cr_assert_eq(lk_table_set(t, r, c, cells[r * ncols + c],
			                          strlen(cells[r * ncols + c])),
			             0);
}

Test(lk_model, blocking_first_token_blocks_truncated_memo)
{
	static const char *const a_cells[] = {
		"MATTHIAS C paym", "36.36", "M CORVINUS dona", "1.00", "", "5.00"
	};
	static const char *const b_cells[] = {
		"MATTHIAS C payment BGC", "36.40", "K ADA x", "1.00", "MATTHIAS", "36.00"
	};
	struct lk_table a, b;
	table_of(&a, a_cells, 2, 3);
	table_of(&b, b_cells, 2, 3);
	int col0 = 0, cols[2] = { 0, 1 };
	/* all-exact kinds hash like lk_row_key; derived keys differ from exact ones */
	unsigned char exact[2] = { 0, 0 },
	              ft_num[2] = { LK_KEY_FIRST_TOKEN, LK_KEY_NUMBER_ROUNDED };
	for (size_t r = 0; r < 3; r++)
		cr_assert_eq(lk_row_key_kind(&a, r, cols, exact, 2), lk_row_key(&a, r, cols, 2));
	cr_assert_neq(lk_row_key(&a, 0, &col0, 1), lk_row_key(&b, 0, &col0, 1));
	unsigned char ft = LK_KEY_FIRST_TOKEN;
	cr_assert_eq(lk_row_key_kind(&a, 0, &col0, &ft, 1), lk_row_key_kind(&b, 0, &col0, &ft, 1));
	cr_assert_neq(lk_row_key_kind(&a, 0, &col0, &ft, 1), lk_row_key(&a, 0, &col0, 1));
	cr_assert_eq(lk_row_key_kind(&a, 2, &col0, &ft, 1), 0, "missing value, no key");

	/* the blocker joins exactly the pairs whose derived keys agree */
	uint64_t ki[2][3], kr[2][3];
	lk_rule_keys_kind(&a, &col0, &ft, 1, ki[0]);
	lk_rule_keys_kind(&b, &col0, &ft, 1, kr[0]);
	lk_rule_keys_kind(&a, cols, ft_num, 2, ki[1]);
	lk_rule_keys_kind(&b, cols, ft_num, 2, kr[1]);
	const uint64_t *pi[2] = { ki[0], ki[1] }, *pr[2] = { kr[0], kr[1] };
	struct lk_blocker bl;
	char err[200];
	cr_assert_eq(lk_blocker_init(&bl, pi, pr, 2, 3, 3, false, 100, 16, err, sizeof(err)), 0);
	struct lk_cand got[16];
	size_t n = 0;
	for (size_t c = 0; c < bl.nchunks; c++)
		n += lk_blocker_chunk(&bl, c, got + n);
	/* a0 ~ b0 (MATTHIAS; 36 on both), a0 ~ b2 (MATTHIAS; 36.00 too) */
	cr_assert_eq(n, 2);
	cr_assert_eq(got[0].in, 0);
	cr_assert_eq(got[0].ref, 0);
	cr_assert_eq(got[0].rules, 3u);
	cr_assert_eq(got[1].in, 0);
	cr_assert_eq(got[1].ref, 2);
	cr_assert_eq(got[1].rules, 3u);
	lk_blocker_release(&bl);
	lk_table_release(&a);
	lk_table_release(&b);
}

/* Exact keys never agree: memos truncated, amounts off by cents, dates a day later. */
static void drifting_tables(struct lk_table *a, struct lk_table *b, size_t n)
{
	lk_table_init(a);
	lk_table_init(b);
	cr_assert_eq(lk_table_new(a, 3, n), 0);
	cr_assert_eq(lk_table_new(b, 3, n), 0);
	char s[64];
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(s, sizeof(s), "P%zu Q%zu paym", i / 2, i);
		cr_assert_eq(lk_table_set(a, i, 0, s, (size_t)len), 0);
		len = snprintf(s, sizeof(s), "P%zu Q%zu payment BGC", i / 2, i);
		cr_assert_eq(lk_table_set(b, i, 0, s, (size_t)len), 0);
		len = snprintf(s, sizeof(s), "%zu.50", 10 + i);
		cr_assert_eq(lk_table_set(a, i, 1, s, (size_t)len), 0);
		len = snprintf(s, sizeof(s), "%zu.49", 10 + i);
		cr_assert_eq(lk_table_set(b, i, 1, s, (size_t)len), 0);
		len = snprintf(s, sizeof(s), "2021-%02zu-%02zu", 1 + i % 12, 1 + i % 20);
		cr_assert_eq(lk_table_set(a, i, 2, s, (size_t)len), 0);
		len = snprintf(s, sizeof(s), "2021-%02zu-%02zu", 1 + i % 12, 2 + i % 20);
		cr_assert_eq(lk_table_set(b, i, 2, s, (size_t)len), 0);
	}
}

Test(lk_model, smart_picks_derived_rule_when_exact_keys_never_agree)
{
	struct lk_table a, b;
	size_t n = 600;
	drifting_tables(&a, &b, n);
	int cols[3] = { 0, 1, 2 };
	struct lk_smart_rule out[LK_MAX_RULES];
	size_t nout = 9;
	double recall = -1;
	cr_assert_eq(lk_smart_rules(&a, &b, cols, cols, 3, false, 50 * n, out, &nout, &recall), 0);
	cr_assert_eq(nout, 0, "no exact key agrees anywhere");

	cr_assert_eq(
	    lk_smart_rules_derived(&a, &b, cols, cols, 3, false, 50 * n, out, &nout, &recall), 0);
	cr_assert_geq(nout, 1);
	cr_assert_gt(recall, 0.9, "recall %f", recall);
	bool derived = false;
	for (size_t k = 0; k < nout; k++) {
		cr_assert_leq(out[k].pairs, 50 * n);
		for (size_t c = 0; c < 3; c++) {
			if (!((out[k].cols >> c) & 1))
				cr_assert_eq(out[k].kinds[c], 0);
			else
				derived |= out[k].kinds[c] != LK_KEY_EXACT;
		}
	}
	cr_assert(derived);
	/* the chosen rule's derived keys really join the rows with their partners */
	const struct lk_smart_rule *r = &out[0];
	int rc_[LK_MAX_RULE_COLS];
	unsigned char kinds[LK_MAX_RULE_COLS];
	int nc = 0;
	for (int c = 0; c < 3; c++)
		if ((r->cols >> c) & 1) {
			rc_[nc] = c;
			kinds[nc++] = r->kinds[c];
		}
	for (size_t i = 0; i < n; i++) {
		uint64_t x = lk_row_key_kind(&a, i, rc_, kinds, nc);
		cr_assert_neq(x, 0);
		cr_assert_eq(x, lk_row_key_kind(&b, i, rc_, kinds, nc), "row %zu", i);
	}
	/* deterministic */
	struct lk_smart_rule again[LK_MAX_RULES];
	size_t n2 = 0;
	double rec2 = 0;
	cr_assert_eq(
	    lk_smart_rules_derived(&a, &b, cols, cols, 3, false, 50 * n, again, &n2, &rec2), 0);
	cr_assert_eq(n2, nout);
	cr_assert(memcmp(again, out, nout * sizeof(*out)) == 0);
	cr_assert_eq(rec2, recall);
	lk_table_release(&a);
	lk_table_release(&b);
}

Test(lk_model, smart_derived_equals_plain_without_derived_keys)
{
	/* single-token codes: no derived key applies, so the choice is lk_smart_rules' */
	struct lk_table a;
	size_t n = 200;
	lk_table_init(&a);
	cr_assert_eq(lk_table_new(&a, 2, n), 0);
	char s[32];
	for (size_t i = 0; i < n; i++) {
		int len = snprintf(s, sizeof(s), "k%zu", i / 3);
		cr_assert_eq(lk_table_set(&a, i, 0, s, (size_t)len), 0);
		len = snprintf(s, sizeof(s), "z%zu", i % 7);
		cr_assert_eq(lk_table_set(&a, i, 1, s, (size_t)len), 0);
	}
	int cols[2] = { 0, 1 };
	struct lk_smart_rule x[LK_MAX_RULES], y[LK_MAX_RULES];
	size_t nx = 0, ny = 0;
	double rx = 0, ry = 0;
	cr_assert_eq(lk_smart_rules(&a, NULL, cols, cols, 2, true, 5000, x, &nx, &rx), 0);
	cr_assert_eq(lk_smart_rules_derived(&a, NULL, cols, cols, 2, true, 5000, y, &ny, &ry), 0);
	cr_assert_eq(nx, ny);
	cr_assert_geq(nx, 1);
	cr_assert(memcmp(x, y, nx * sizeof(*x)) == 0);
	cr_assert_eq(rx, ry);
	lk_table_release(&a);
}
