/*
 * test_timeutil.c: RFC 3339 timestamps of known instants, and the YYYY-MM-DD date parser.
 */
#include <criterion/criterion.h>

#include "base/common.h"
#include "base/timeutil.h"

Test(timeutil, format_known_instants)
{
	static const struct {
		int64_t ms;
		const char *want;
	} cases[] = {
		{ 0, "1970-01-01T00:00:00.000Z" },
		{ 1, "1970-01-01T00:00:00.001Z" },
		{ 999, "1970-01-01T00:00:00.999Z" },
		{ 1000, "1970-01-01T00:00:01.000Z" },
		{ 1727877600000LL, "2024-10-02T14:00:00.000Z" },
		{ 1727877600042LL, "2024-10-02T14:00:00.042Z" },
		{ 1709164800000LL, "2024-02-29T00:00:00.000Z" }, /* leap day */
		{ 1709164800000LL - 1, "2024-02-28T23:59:59.999Z" },
		{ 951868799000LL + 123, "2000-02-29T23:59:59.123Z" }, /* 400-year leap day */
		{ 946684799000LL + 999, "1999-12-31T23:59:59.999Z" },
		{ 4107542400000LL, "2100-03-01T00:00:00.000Z" }, /* 2100 is not leap */
		{ 2147483648000LL, "2038-01-19T03:14:08.000Z" }, /* past 32-bit time_t */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char out[MD_TS_LEN];
		md_format_ts(cases[i].ms, out);
		cr_assert_str_eq(out, cases[i].want, "%lld: got %s want %s", (long long)cases[i].ms,
		                 out, cases[i].want);
	}
}

Test(timeutil, format_before_the_epoch)
{
	/* -1 ms is the last millisecond of 1969, not ".65535" of 1970 nor of 23:59:59 minus
	 * one second plus a negative fraction. */
	char out[MD_TS_LEN];
	md_format_ts(-1000, out);
	cr_assert_str_eq(out, "1969-12-31T23:59:59.000Z", "got %s", out);
	md_format_ts(-1, out);
	cr_assert_str_eq(out, "1969-12-31T23:59:59.999Z", "got %s", out);
}

Test(timeutil, now_and_mono_move_forward)
{
	int64_t a = md_now_ms(), m = md_mono_ms();
	cr_assert_gt(a, 1600000000000LL, "wall clock %lld is before 2020", (long long)a);
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	int64_t b = md_now_ms(), n = md_mono_ms();
	cr_assert_geq(n - m, 19, "monotonic moved %lld ms", (long long)(n - m));
	cr_assert_geq(b, a, "wall clock went back: %lld -> %lld", (long long)a, (long long)b);
}

Test(timeutil, parse_date_table)
{
	static const struct {
		const char *s;
		int rc;
		int64_t days;
	} cases[] = {
		{ "1970-01-01", 0, 0 },
		{ "1969-12-31", 0, -1 },
		{ "2024-02-29", 0, 19782 },
		{ "2023-02-28", 0, 19416 },
		{ "2000-02-29", 0, 11016 },
		{ "1900-01-01", 0, -25567 },
		{ "1900-03-01", 0, -25508 },
		{ "2200-12-31", 0, 84370 },
		{ "2024-12-31", 0, 20088 },
		{ "2023-02-29", MD_EINVAL, 0 }, /* not a leap year */
		{ "1900-02-29", MD_EINVAL, 0 }, /* century, not leap */
		{ "2100-02-29", MD_EINVAL, 0 },
		{ "2024-02-30", MD_EINVAL, 0 },
		{ "2024-04-31", MD_EINVAL, 0 },
		{ "2024-13-01", MD_EINVAL, 0 }, /* 13th month */
		{ "2024-00-10", MD_EINVAL, 0 },
		{ "2024-01-00", MD_EINVAL, 0 },
		{ "2024-01-32", MD_EINVAL, 0 },
		{ "1899-12-31", MD_EINVAL, 0 },
		{ "2201-01-01", MD_EINVAL, 0 },
		{ "2024-01-01x", MD_EINVAL, 0 }, /* trailing junk */
		{ "2024-01-01 ", MD_EINVAL, 0 },
		{ "2024-01-01T00:00:00Z", MD_EINVAL, 0 },
		{ "2024-1-01", MD_EINVAL, 0 },
		{ "2024-01-1", MD_EINVAL, 0 },
		{ "24-01-01", MD_EINVAL, 0 },
		{ "2024/01/01", MD_EINVAL, 0 },
		{ "", MD_EINVAL, 0 },
		{ "abcd-ef-gh", MD_EINVAL, 0 },
		/* Ten characters that sscanf's %u would accept: signs and blanks. */
		{ "2024-+1-01", MD_EINVAL, 0 },
		{ "2024- 1-01", MD_EINVAL, 0 },
		{ "2024-01- 1", MD_EINVAL, 0 },
		{ "2024-01-+1", MD_EINVAL, 0 },
		{ " 2024-1-01", MD_EINVAL, 0 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		int64_t days = 12345678;
		int rc = md_parse_date(cases[i].s, &days);
		cr_expect_eq(rc, cases[i].rc, "\"%s\": rc %d want %d", cases[i].s, rc, cases[i].rc);
		if (!rc && !cases[i].rc)
			cr_expect_eq(days, cases[i].days, "\"%s\": days %lld want %lld", cases[i].s,
			             (long long)days, (long long)cases[i].days);
	}
}

Test(timeutil, parse_date_every_day_of_2024_round_trips)
{
	/* Every day parsed equals the day formatted from its midnight. */
	for (int64_t d = 19723; d < 19723 + 366; d++) {
		char ts[MD_TS_LEN];
		md_format_ts(d * 86400000LL, ts);
		ts[10] = '\0';
		int64_t got = -1;
		int rc = md_parse_date(ts, &got);
		cr_assert_eq(rc, 0, "%s: rc %d", ts, rc);
		cr_assert_eq(got, d, "%s: got %lld want %lld", ts, (long long)got, (long long)d);
	}
}
