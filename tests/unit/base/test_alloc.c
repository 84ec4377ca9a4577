/*
 * test_alloc.c: the allocation wrapper's fault injection, and a torture loop that fails every
 * allocation of a buffer-building sequence in turn (curl's torture mode in miniature). Built
 * with SANITIZE=address the loop also proves that no failure path leaks.
 */
#include <criterion/criterion.h>

#include "base/common.h"

static void disable(void)
{
	md_alloc_fail_after(-1);
}

TestSuite(alloc, .fini = disable);

Test(alloc, nth_allocation_fails)
{
	for (long n = 0; n < 5; n++) {
		md_alloc_fail_after(n);
		void *ok[5] = { 0 };
		for (long i = 0; i < n; i++) {
			ok[i] = md_malloc(16);
			cr_assert_not_null(ok[i], "fail_after(%ld): allocation %ld failed early", n,
			                   i + 1);
		}
		void *p = md_malloc(16);
		cr_assert_null(p, "fail_after(%ld): allocation %ld should fail", n, n + 1);
		md_alloc_fail_after(-1);
		for (long i = 0; i < n; i++)
			md_free(ok[i]);
	}
}

Test(alloc, every_wrapper_honours_the_injection)
{
	md_alloc_fail_after(0);
	cr_assert_null(md_malloc(1));
	md_alloc_fail_after(0);
	cr_assert_null(md_calloc(2, 8));
	md_alloc_fail_after(0);
	cr_assert_null(md_strdup("abc"));
	md_alloc_fail_after(0);
	cr_assert_null(md_strndup("abc", 2));

	md_alloc_fail_after(-1);
	char *p = md_strdup("keep");
	cr_assert_not_null(p);
	md_alloc_fail_after(0);
	char *q = md_realloc(p, 4096);
	cr_assert_null(q, "realloc should fail");
	md_alloc_fail_after(-1);
	cr_assert_str_eq(p, "keep", "a failed realloc keeps the old block: got %s", p);
	md_free(p);
}

Test(alloc, disabled_injection_allocates_normally)
{
	md_alloc_fail_after(-1);
	for (int i = 0; i < 1000; i++) {
		void *p = md_malloc((size_t)i);
		cr_assert_not_null(p, "allocation %d", i);
		md_free(p);
	}
	void *z = md_calloc(0, 0);
	cr_assert_not_null(z, "zero-size calloc returns a freeable block");
	md_free(z);
	char *d = md_strndup("abcdef", 3);
	cr_assert_str_eq(d, "abc");
	md_free(d);
}

/*
 * One step of the sequence: appends piece i, returning the rc and writing what it would
 * append into want (so the caller can track the expected content).
 */
static int step(struct buf *b, int i, char *want, size_t cap)
{
	switch (i % 3) {
	case 0:
		snprintf(want, cap, "[%d:%s]", i, "printf");
		return buf_printf(b, "[%d:%s]", i, "printf");
	case 1: {
		/* Big enough to force a reallocation now and then. */
		size_t n = 40 + (size_t)i * 7;
		if (n >= cap)
			n = cap - 1;
		memset(want, 'a' + i % 26, n);
		want[n] = '\0';
		return buf_append(b, want, n);
	}
	default: snprintf(want, cap, "%c", 'A' + i % 26); return buf_putc(b, want[0]);
	}
}

Test(alloc, torture_buf_sequence)
{
	enum { STEPS = 40 };
	bool completed = false;
	for (long k = 0; k < 1000 && !completed; k++) {
		struct buf b, expect;
		buf_init(&b, 1 << 20);
		buf_init(&expect, 1 << 20);
		int failures = 0;
		md_alloc_fail_after(k);
		for (int i = 0; i < STEPS; i++) {
			char want[512];
			int rc = step(&b, i, want, sizeof want);
			cr_assert(rc == 0 || rc == MD_ENOMEM, "k=%ld step %d: rc %d", k, i, rc);
			if (rc == 0) {
				md_alloc_fail_after(-1);
				cr_assert_eq(buf_puts(&expect, want), 0);
				md_alloc_fail_after(k); /* keeps failing from here on: fine */
			} else {
				failures++;
			}
			/* The invariants hold after every step, failed or not. */
			cr_assert_eq(b.len, expect.len, "k=%ld step %d: len %zu want %zu", k, i,
			             b.len, expect.len);
			if (b.data) {
				cr_assert_lt(b.len, b.alloc, "k=%ld step %d: len %zu alloc %zu", k,
				             i, b.len, b.alloc);
				cr_assert_eq(b.data[b.len], '\0', "k=%ld step %d: no NUL", k, i);
				cr_assert(memcmp(b.data, expect.data, b.len) == 0,
				          "k=%ld step %d: content differs", k, i);
			} else {
				cr_assert_eq(b.len, 0, "k=%ld step %d: no storage but len %zu", k,
				             i, b.len);
			}
		}
		md_alloc_fail_after(-1);
		completed = failures == 0;
		/* The buffer is still usable once memory is back. */
		cr_assert_eq(buf_puts(&b, "!"), 0, "k=%ld: buffer unusable after failures", k);
		cr_assert_eq(b.data[b.len - 1], '!');
		buf_release(&b);
		buf_release(&expect);
	}
	cr_assert(completed, "the sequence never completed without a failure");
}

Test(alloc, torture_buf_take)
{
	/* take of an empty buffer allocates "": under failure it returns NULL, never crashes. */
	struct buf b;
	buf_init(&b, 64);
	md_alloc_fail_after(0);
	char *s = buf_take(&b);
	md_alloc_fail_after(-1);
	cr_assert_null(s, "take of an empty buffer cannot allocate under injection");
	cr_assert_null(b.data);
	cr_assert_eq(b.len, 0);
}

Test(alloc, grow_doubles_and_keeps_the_array_on_failure)
{
	md_alloc_fail_after(-1);
	int *v = NULL;
	size_t cap = 0;
	cr_assert_eq(md_grow(&v, &cap, sizeof *v, 4), 0);
	cr_assert_eq(cap, 4);
	for (int i = 0; i < 4; i++)
		v[i] = i;
	cr_assert_eq(md_grow(&v, &cap, sizeof *v, 4), 0);
	cr_assert_eq(cap, 8, "doubled");
	cr_assert_eq(v[3], 3, "contents kept");
	md_alloc_fail_after(0);
	int *before = v;
	cr_assert_eq(md_grow(&v, &cap, sizeof *v, 4), MD_ENOMEM);
	md_alloc_fail_after(-1);
	cr_assert(v == before && cap == 8, "left as it was");
	size_t huge = SIZE_MAX / 2 + 1;
	cr_assert_eq(md_grow(&v, &huge, sizeof *v, 4), MD_ENOMEM, "overflow refused");
	md_free(v);
}
