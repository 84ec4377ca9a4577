/*
 * test_ratelimit.c: the in-process per-key limiter: keys are independent, a burst is allowed
 * then refused, and the fixed table recycles slots so new keys are never locked out.
 */
#include <criterion/criterion.h>

#include "base/common.h"
#include "platform/ratelimit.h"

#define T0 1700000000000LL

static const struct gcra_policy P5 = { .limit = 5, .period_ms = 1000, .burst = 5 };

static int burst_of(struct ratelimit *rl, const char *key, int64_t now, int max)
{
	int n = 0;
	struct gcra_result r;
	while (n < max && ratelimit_allow(rl, key, &P5, now, &r))
		n++;
	return n;
}

Test(ratelimit, burst_then_refusal)
{
	struct ratelimit *rl = ratelimit_new();
	cr_assert_not_null(rl);
	struct gcra_result r;
	for (int i = 0; i < 5; i++) {
		cr_assert(ratelimit_allow(rl, "key-a", &P5, T0, &r), "request %d refused", i);
		cr_assert_eq(r.remaining, 4 - i, "request %d: remaining %lld", i,
		             (long long)r.remaining);
	}
	cr_assert_not(ratelimit_allow(rl, "key-a", &P5, T0, &r), "6th request allowed");
	cr_assert_eq(r.retry_after_ms, 200, "retry after %lld", (long long)r.retry_after_ms);
	cr_assert_not(ratelimit_allow(rl, "key-a", &P5, T0 + 199, &r));
	cr_assert(ratelimit_allow(rl, "key-a", &P5, T0 + 200, &r), "allowed again after 200 ms");
	ratelimit_free(rl);
}

Test(ratelimit, keys_are_independent)
{
	struct ratelimit *rl = ratelimit_new();
	int a = burst_of(rl, "018bcfe5-687b-7000-8000-00000000000a", T0, 100);
	cr_assert_eq(a, 5, "key a: %d allowed", a);
	int b = burst_of(rl, "018bcfe5-687b-7000-8000-00000000000b", T0, 100);
	cr_assert_eq(b, 5, "key b after a is exhausted: %d allowed", b);
	int a2 = burst_of(rl, "018bcfe5-687b-7000-8000-00000000000a", T0, 100);
	cr_assert_eq(a2, 0, "key a stays exhausted: %d allowed", a2);
	ratelimit_free(rl);
}

Test(ratelimit, long_key_ids_are_limited_too)
{
	/* Nothing in the header limits the key length; a long key (an IPv6 text, a hash) must
	 * be limited like any other, not get a fresh bucket on every request. */
	struct ratelimit *rl = ratelimit_new();
	const char *k = "ip:2001:0db8:85a3:0000:0000:8a2e:0370:7334:443";
	int n = burst_of(rl, k, T0, 100);
	ratelimit_free(rl);
	cr_assert_eq(n, 5, "long key: %d allowed want 5", n);
}

Test(ratelimit, recycling_with_more_keys_than_slots)
{
	struct ratelimit *rl = ratelimit_new();
	struct gcra_result r;
	char key[40];
	/* 6000 keys over 4096 slots, each touched at a later time. */
	for (int i = 0; i < 6000; i++) {
		snprintf(key, sizeof key, "key-%06d", i);
		cr_assert(ratelimit_allow(rl, key, &P5, T0 + i, &r), "first request of %s refused",
		          key);
	}
	/* A brand-new key still gets its whole burst. */
	int n = burst_of(rl, "newcomer", T0 + 6000, 100);
	cr_assert_eq(n, 5, "new key: %d allowed want 5", n);
	/* And the most recent keys kept their state: their second request is their second. */
	cr_assert(ratelimit_allow(rl, "key-005999", &P5, T0 + 6000, &r));
	cr_assert_eq(r.remaining, 3, "recent key lost its state: remaining %lld",
	             (long long)r.remaining);
	/* A key that exhausts itself stays limited even while other keys churn the table. */
	cr_assert_eq(burst_of(rl, "busy", T0 + 6001, 100), 5);
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof key, "churn-%06d", i);
		(void)ratelimit_allow(rl, key, &P5, T0 + 6001, &r);
		if (i % 500 == 0)
			cr_assert_not(ratelimit_allow(rl, "busy", &P5, T0 + 6001, &r),
			              "busy key allowed again after %d other keys", i);
	}
	ratelimit_free(rl);
}
