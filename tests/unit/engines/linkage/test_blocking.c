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
