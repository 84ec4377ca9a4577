/*
 * test_uuid.c: UUIDv7 layout (timestamp, version and variant bits), ordering, and the validity
 * checker.
 */
#include <criterion/criterion.h>

#include "base/common.h"
#include "base/timeutil.h"
#include "base/uuid.h"

static unsigned hexval(char c)
{
	return (unsigned)(c <= '9' ? c - '0' : c - 'a' + 10);
}

/* The 48-bit millisecond timestamp of the first 12 hex digits. */
static int64_t uuid_ms(const char *u)
{
	int64_t v = 0;
	for (int i = 0; i < 13; i++) {
		if (u[i] == '-')
			continue;
		v = v * 16 + hexval(u[i]);
	}
	return v;
}

Test(uuid, v7_format_version_variant)
{
	for (int i = 0; i < 200; i++) {
		char u[MD_UUID_LEN];
		int rc = md_uuid7(md_now_ms(), u);
		cr_assert_eq(rc, 0, "got %d", rc);
		cr_assert_eq(strlen(u), 36, "got %zu: %s", strlen(u), u);
		cr_assert(md_uuid_valid(u), "%s", u);
		for (int k = 0; k < 36; k++) {
			if (k == 8 || k == 13 || k == 18 || k == 23)
				cr_assert_eq(u[k], '-', "%s: position %d", u, k);
			else
				cr_assert((u[k] >= '0' && u[k] <= '9') ||
				              (u[k] >= 'a' && u[k] <= 'f'),
				          "%s: lower-case hex expected at %d", u, k);
		}
		cr_assert_eq(u[14], '7', "version nibble: got %c in %s", u[14], u);
		cr_assert(strchr("89ab", u[19]) != NULL, "variant nibble: got %c in %s", u[19], u);
	}
}

Test(uuid, v7_encodes_the_timestamp)
{
	static const int64_t times[] = { 0, 1, 1700000000123LL, 0xffffffffffffLL };
	for (size_t i = 0; i < ARRAY_SIZE(times); i++) {
		char u[MD_UUID_LEN];
		cr_assert_eq(md_uuid7(times[i], u), 0);
		int64_t got = uuid_ms(u);
		cr_assert_eq(got, times[i], "%s: got %lld want %lld", u, (long long)got,
		             (long long)times[i]);
	}
	char u[MD_UUID_LEN];
	cr_assert_eq(md_uuid7(1700000000123LL, u), 0);
	cr_assert(strncmp(u, "018bcfe5-687b-7", 15) == 0, "got %s", u);
}

Test(uuid, v7_orders_by_time)
{
	char prev[MD_UUID_LEN];
	cr_assert_eq(md_uuid7(1000, prev), 0);
	for (int64_t t = 1001; t < 1500; t++) {
		char u[MD_UUID_LEN];
		cr_assert_eq(md_uuid7(t, u), 0);
		cr_assert_gt(strcmp(u, prev), 0, "t=%lld: %s not after %s", (long long)t, u, prev);
		memcpy(prev, u, sizeof prev);
	}
}

Test(uuid, v7_within_one_millisecond_still_increases)
{
	/*
	 * The store orders ledger entries, jobs and cursors by id ("newest first", "claim the
	 * oldest"), so ids made in the same millisecond must still sort in creation order
	 * (RFC 9562 section 6.2, monotonic counter or random increment).
	 */
	char prev[MD_UUID_LEN];
	cr_assert_eq(md_uuid7(1700000000000LL, prev), 0);
	for (int i = 0; i < 100; i++) {
		char u[MD_UUID_LEN];
		cr_assert_eq(md_uuid7(1700000000000LL, u), 0);
		cr_assert_gt(strcmp(u, prev), 0, "id %d of the same ms: %s not after %s", i, u,
		             prev);
		memcpy(prev, u, sizeof prev);
	}
}

Test(uuid, v7_ids_are_unique)
{
	enum { N = 2000 };
	static char ids[N][MD_UUID_LEN];
	for (int i = 0; i < N; i++)
		cr_assert_eq(md_uuid7(42, ids[i]), 0);
	for (int i = 0; i < N; i++)
		for (int k = i + 1; k < N; k++)
			cr_assert_neq(strcmp(ids[i], ids[k]), 0, "duplicate %s", ids[i]);
}

Test(uuid, validity_table)
{
	static const struct {
		const char *s;
		bool ok;
	} cases[] = {
		{ "018bcfe5-687b-7abc-8def-0123456789ab", true },
		{ "018BCFE5-687B-7ABC-8DEF-0123456789AB", true },
		{ "00000000-0000-0000-0000-000000000000", true },
		{ "", false },
		{ "018bcfe5-687b-7abc-8def-0123456789a", false },   /* 35 chars */
		{ "018bcfe5-687b-7abc-8def-0123456789abc", false }, /* 37 chars */
		{ "018bcfe5-687b-7abc-8def-0123456789ag", false },  /* not hex */
		{ "018bcfe5_687b-7abc-8def-0123456789ab", false },  /* wrong separator */
		{ "018bcfe5687b-7abc-8def-0123456789ab-", false },  /* dash moved */
		{ "{18bcfe5-687b-7abc-8def-0123456789ab", false },
		{ "018bcfe5-687b-7abc-8def-0123456789a\n", false },
		{ " 018bcfe5-687b-7abc-8def-0123456789a", false },
		{ "018bcfe5-687b-7abc-8def-0123456789ab ", false },
		{ "018bcfe50687b07abc08def00123456789ab", false },
		{ "---------------------------------------", false },
		{ "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", false },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		bool got = md_uuid_valid(cases[i].s);
		cr_assert_eq(got, cases[i].ok, "\"%s\": got %d want %d", cases[i].s, got,
		             cases[i].ok);
	}
}

Test(uuid, validity_of_short_string_reads_no_further)
{
	/* A short string inside an exactly-sized heap block: ASan catches a read past it. */
	char *s = md_strdup("018bcfe5-687b");
	cr_assert_not(md_uuid_valid(s));
	md_free(s);
}

Test(uuid, random_bytes_fill)
{
	unsigned char a[64] = { 0 }, b[64] = { 0 };
	cr_assert_eq(md_random_bytes(a, sizeof a), 0);
	cr_assert_eq(md_random_bytes(b, sizeof b), 0);
	cr_assert_neq(memcmp(a, b, sizeof a), 0, "two draws of 64 random bytes are equal");
	cr_assert_eq(md_random_bytes(a, 0), 0);
}
