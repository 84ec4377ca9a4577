/*
 * test_gcra.c: GCRA rate limiting: bursts, the steady rate, exact retry-after values and the
 * header text.
 */
#include "platform/gcra.h"

#include "base/common.h"

#include <criterion/criterion.h>

#define T0 1700000000000LL /* an arbitrary "now" in ms */

Test(gcra, burst_then_refuse)
{
	struct gcra_policy p = { .limit = 5, .period_ms = 1000, .burst = 5 };
	int64_t tat = 0;
	struct gcra_result r;
	for (int i = 0; i < 5; i++) {
		cr_assert(gcra_allow(&p, &tat, T0, &r), "request %d", i);
		cr_assert_eq(r.remaining, 4 - i, "request %d: remaining %ld", i, (long)r.remaining);
		cr_assert_eq(r.retry_after_ms, 0);
		cr_assert_eq(r.reset_ms, 200 * (i + 1), "request %d: reset %ld", i,
		             (long)r.reset_ms);
	}
	int64_t before = tat;
	cr_assert_not(gcra_allow(&p, &tat, T0, &r));
	cr_assert_eq(tat, before, "a refusal leaves the state alone");
	cr_assert_eq(r.remaining, 0);
	cr_assert_eq(r.retry_after_ms, 200, "got %ld", (long)r.retry_after_ms);
	cr_assert_eq(r.retry_after_s, 1);
	cr_assert_eq(r.reset_ms, 1000);
}

Test(gcra, retry_after_counts_down_exactly)
{
	struct gcra_policy p = { .limit = 5, .period_ms = 1000, .burst = 5 };
	int64_t tat = 0;
	struct gcra_result r;
	for (int i = 0; i < 5; i++)
		cr_assert(gcra_allow(&p, &tat, T0, &r));
	cr_assert_not(gcra_allow(&p, &tat, T0 + 150, &r));
	cr_assert_eq(r.retry_after_ms, 50);
	cr_assert_not(gcra_allow(&p, &tat, T0 + 199, &r));
	cr_assert_eq(r.retry_after_ms, 1);
	cr_assert(gcra_allow(&p, &tat, T0 + 200, &r), "allowed exactly at retry time");
	cr_assert_eq(r.remaining, 0);
	cr_assert_not(gcra_allow(&p, &tat, T0 + 200, &r));
	cr_assert_eq(r.retry_after_ms, 200);
}

Test(gcra, steady_rate_never_refused)
{
	/* 10 per second, burst 1: one request every 100 ms always passes, 99 ms never twice. */
	struct gcra_policy p = { .limit = 10, .period_ms = 1000, .burst = 1 };
	int64_t tat = 0;
	struct gcra_result r;
	for (int i = 0; i < 1000; i++) {
		cr_assert(gcra_allow(&p, &tat, T0 + 100LL * i, &r), "request %d", i);
		cr_assert_eq(r.remaining, 0);
	}
	int64_t now = T0 + 1000000;
	cr_assert(gcra_allow(&p, &tat, now, &r));
	cr_assert_not(gcra_allow(&p, &tat, now + 99, &r));
	cr_assert_eq(r.retry_after_ms, 1);
}

Test(gcra, long_run_matches_limit)
{
	/* Over 60 s of hammering every millisecond, a 100/min limit with burst 10 lets through
	 * the burst plus one request per 600 ms. */
	struct gcra_policy p = { .limit = 100, .period_ms = 60000, .burst = 10 };
	int64_t tat = 0;
	int allowed = 0;
	for (int64_t t = 0; t < 60000; t++)
		allowed += gcra_allow(&p, &tat, T0 + t, NULL);
	cr_assert_eq(allowed, 10 + 99, "allowed %d", allowed);
}

Test(gcra, fractional_interval_is_not_exceeded)
{
	/* 3 per second: T = 333334 us. In one second, burst 1, exactly 3 pass. */
	struct gcra_policy p = { .limit = 3, .period_ms = 1000, .burst = 1 };
	int64_t tat = 0;
	int allowed = 0;
	for (int64_t t = 0; t < 1000; t++)
		allowed += gcra_allow(&p, &tat, T0 + t, NULL);
	cr_assert_eq(allowed, 3);
	/* 1000 per second with burst 1: one per millisecond. */
	struct gcra_policy fast = { .limit = 1000, .period_ms = 1000, .burst = 1 };
	tat = 0;
	allowed = 0;
	for (int64_t t = 0; t < 1000; t++)
		allowed +=
		    gcra_allow(&fast, &tat, T0 + t, NULL) + gcra_allow(&fast, &tat, T0 + t, NULL);
	cr_assert_eq(allowed, 1000);
}

Test(gcra, recovers_after_idle_and_burst_defaults_to_limit)
{
	struct gcra_policy p = { .limit = 60, .period_ms = 60000, .burst = 0 };
	int64_t tat = 0;
	struct gcra_result r;
	for (int i = 0; i < 60; i++)
		cr_assert(gcra_allow(&p, &tat, T0, &r));
	cr_assert_not(gcra_allow(&p, &tat, T0, &r));
	cr_assert_eq(r.retry_after_ms, 1000);
	cr_assert_eq(r.reset_ms, 60000);
	/* After a full idle period the whole burst is back. */
	cr_assert(gcra_allow(&p, &tat, T0 + 60000, &r));
	cr_assert_eq(r.remaining, 59);
	cr_assert(gcra_allow(&p, &tat, T0 + 3600000, &r));
	cr_assert_eq(r.remaining, 59, "idle time does not bank extra capacity");
}

Test(gcra, invalid_policy_fails_closed)
{
	int64_t tat = 0;
	struct gcra_result r;
	struct gcra_policy bad[] = {
		{ 0, 1000, 1 },
		{ 10, 0, 1 },
		{ 10, 1000, -1 },
		{ GCRA_LIMIT_MAX + 1, 1000, 1 },
		{ 10, GCRA_PERIOD_MAX_MS + 1, 1 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		cr_assert_not(gcra_policy_valid(&bad[i]), "policy %zu", i);
		cr_assert_not(gcra_allow(&bad[i], &tat, T0, &r), "policy %zu", i);
	}
	struct gcra_policy ok = { 10, 1000, 5 };
	cr_assert_not(gcra_allow(&ok, &tat, -1, &r), "negative time");
	tat = INT64_MAX;
	cr_assert_not(gcra_allow(&ok, &tat, T0, &r), "corrupt state");
	/* Huge but valid numbers do not overflow. */
	struct gcra_policy big = { GCRA_LIMIT_MAX, GCRA_PERIOD_MAX_MS, GCRA_LIMIT_MAX };
	tat = 0;
	cr_assert(gcra_allow(&big, &tat, T0, &r));
}

Test(gcra, headers_text)
{
	struct gcra_policy p = { .limit = 100, .period_ms = 60000, .burst = 10 };
	int64_t tat = 0;
	struct gcra_result r;
	cr_assert(gcra_allow(&p, &tat, T0, &r));
	char policy[64], rl[64];
	cr_assert_eq(gcra_format_headers(&p, &r, policy, sizeof policy, rl, sizeof rl), 0);
	cr_assert_str_eq(policy, "\"default\";q=100;w=60");
	cr_assert_str_eq(rl, "\"default\";r=9;t=1"); /* 600 ms to full, rounded up */

	for (int i = 0; i < 9; i++)
		cr_assert(gcra_allow(&p, &tat, T0, &r));
	cr_assert_not(gcra_allow(&p, &tat, T0, &r));
	cr_assert_eq(r.retry_after_ms, 600);
	cr_assert_eq(r.retry_after_s, 1);
	cr_assert_eq(gcra_format_headers(&p, &r, policy, sizeof policy, rl, sizeof rl), 0);
	cr_assert_str_eq(rl, "\"default\";r=0;t=6");

	struct gcra_policy hourly = { .limit = 1, .period_ms = 3600000, .burst = 1 };
	tat = 0;
	cr_assert(gcra_allow(&hourly, &tat, T0, &r));
	cr_assert_not(gcra_allow(&hourly, &tat, T0 + 1000, &r));
	cr_assert_eq(r.retry_after_ms, 3599000);
	cr_assert_eq(r.retry_after_s, 3599);
	cr_assert_eq(gcra_format_headers(&hourly, &r, policy, sizeof policy, rl, sizeof rl), 0);
	cr_assert_str_eq(policy, "\"default\";q=1;w=3600");
	cr_assert_str_eq(rl, "\"default\";r=0;t=3599");

	cr_assert_eq(gcra_format_headers(&p, &r, policy, 5, rl, sizeof rl), MD_ELIMIT);
	struct gcra_policy bad = { 0, 0, 0 };
	cr_assert_eq(gcra_format_headers(&bad, &r, policy, sizeof policy, rl, sizeof rl),
	             MD_EINVAL);
}
