/*
 * test_webhook_sign.c: Standard Webhooks signatures: the published test vector, secret
 * rotation, and a verifier that rejects tampering and stale timestamps.
 */
#include "platform/webhook_sign.h"

#include "base/common.h"

#include <criterion/criterion.h>

/* The test vector published by the Standard Webhooks specification. */
#define SW_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define SW_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define SW_TS 1614265330
#define SW_BODY "{\"test\": 2432232314}"
#define SW_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="

Test(webhook_sign, standard_vector)
{
	char sig[WEBHOOK_SIG_LEN];
	cr_assert_eq(
	    webhook_sign(SW_SECRET, SW_ID, SW_TS, SW_BODY, strlen(SW_BODY), sig, sizeof sig), 0);
	cr_assert_str_eq(sig, SW_SIG);
	/* The prefix is optional. */
	cr_assert_eq(
	    webhook_sign(SW_SECRET + 6, SW_ID, SW_TS, SW_BODY, strlen(SW_BODY), sig, sizeof sig),
	    0);
	cr_assert_str_eq(sig, SW_SIG);
	cr_assert(webhook_verify(SW_SECRET, SW_ID, "1614265330", SW_SIG, SW_BODY, strlen(SW_BODY),
	                         SW_TS + 10, WEBHOOK_DEFAULT_TOLERANCE_S));
}

Test(webhook_sign, bad_inputs)
{
	char sig[WEBHOOK_SIG_LEN];
	cr_assert_eq(webhook_sign("whsec_", SW_ID, SW_TS, "", 0, sig, sizeof sig), MD_EINVAL);
	cr_assert_eq(webhook_sign("whsec_!!!!", SW_ID, SW_TS, "", 0, sig, sizeof sig), MD_EINVAL);
	cr_assert_eq(webhook_sign("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS", SW_ID, SW_TS, "", 0, sig,
	                          sizeof sig),
	             MD_EINVAL, "length not a multiple of 4");
	cr_assert_eq(webhook_sign("whsec_AAAA", SW_ID, SW_TS, "", 0, sig, sizeof sig), MD_EINVAL,
	             "a 3-byte key is too short");
	cr_assert_eq(webhook_sign(NULL, SW_ID, SW_TS, "", 0, sig, sizeof sig), MD_EINVAL);
	cr_assert_eq(webhook_sign(SW_SECRET, "", SW_TS, "", 0, sig, sizeof sig), MD_EINVAL);
	cr_assert_eq(webhook_sign(SW_SECRET, SW_ID, SW_TS, "", 0, sig, 10), MD_ELIMIT);
	cr_assert_not(webhook_secret_valid("whsec_A=AA"));
	cr_assert(webhook_secret_valid(SW_SECRET));
}

Test(webhook_sign, new_secret_round_trips)
{
	char a[WEBHOOK_SECRET_LEN], b[WEBHOOK_SECRET_LEN];
	cr_assert_eq(webhook_secret_new(a, sizeof a), 0);
	cr_assert_eq(webhook_secret_new(b, sizeof b), 0);
	cr_assert_eq(strncmp(a, "whsec_", 6), 0, "%s", a);
	cr_assert_eq(strlen(a), 6 + 44, "%s", a);
	cr_assert_str_neq(a, b);
	cr_assert(webhook_secret_valid(a));
	char small[20];
	cr_assert_eq(webhook_secret_new(small, sizeof small), MD_ELIMIT);

	static const char body[] = "{\"id\":\"j1\"}";
	char sig[WEBHOOK_SIG_LEN];
	cr_assert_eq(webhook_sign(a, "msg_1", 1700000000, body, strlen(body), sig, sizeof sig), 0);
	cr_assert_eq(strlen(sig), 3 + 44);
	cr_assert(
	    webhook_verify(a, "msg_1", "1700000000", sig, body, strlen(body), 1700000000, 300));
	cr_assert_not(
	    webhook_verify(b, "msg_1", "1700000000", sig, body, strlen(body), 1700000000, 300));
}

Test(webhook_sign, rotation_header_has_both_signatures)
{
	char old_secret[WEBHOOK_SECRET_LEN];
	cr_assert_eq(webhook_secret_new(old_secret, sizeof old_secret), 0);
	const char *secrets[] = { SW_SECRET, old_secret };
	char header[2 * WEBHOOK_SIG_LEN];
	cr_assert_eq(webhook_signature_header(secrets, 2, SW_ID, SW_TS, SW_BODY, strlen(SW_BODY),
	                                      header, sizeof header),
	             0);
	char old_sig[WEBHOOK_SIG_LEN];
	cr_assert_eq(webhook_sign(old_secret, SW_ID, SW_TS, SW_BODY, strlen(SW_BODY), old_sig,
	                          sizeof old_sig),
	             0);
	char want[2 * WEBHOOK_SIG_LEN];
	cr_assert_eq(md_snprintf(want, sizeof want, "%s %s", SW_SIG, old_sig), 0);
	cr_assert_str_eq(header, want);

	/* A receiver holding either secret accepts; one holding another secret does not. */
	for (size_t i = 0; i < 2; i++)
		cr_assert(webhook_verify(secrets[i], SW_ID, "1614265330", header, SW_BODY,
		                         strlen(SW_BODY), SW_TS, 300),
		          "secret %zu", i);
	char other[WEBHOOK_SECRET_LEN];
	cr_assert_eq(webhook_secret_new(other, sizeof other), 0);
	cr_assert_not(webhook_verify(other, SW_ID, "1614265330", header, SW_BODY, strlen(SW_BODY),
	                             SW_TS, 300));

	/* One secret gives one signature; limits are enforced. */
	cr_assert_eq(webhook_signature_header(secrets, 1, SW_ID, SW_TS, SW_BODY, strlen(SW_BODY),
	                                      header, sizeof header),
	             0);
	cr_assert_str_eq(header, SW_SIG);
	cr_assert_eq(
	    webhook_signature_header(secrets, 0, SW_ID, SW_TS, "", 0, header, sizeof header),
	    MD_EINVAL);
	cr_assert_eq(webhook_signature_header(secrets, 2, SW_ID, SW_TS, "", 0, header, 60),
	             MD_ELIMIT);
}

Test(webhook_sign, verify_rejects_tampering)
{
	size_t n = strlen(SW_BODY);
	const char *ts = "1614265330";
	cr_assert_not(
	    webhook_verify(SW_SECRET, SW_ID, ts, SW_SIG, "{\"test\": 2432232315}", n, SW_TS, 300),
	    "body changed");
	cr_assert_not(webhook_verify(SW_SECRET, SW_ID, ts, SW_SIG, SW_BODY, n - 1, SW_TS, 300),
	              "body truncated");
	cr_assert_not(webhook_verify(SW_SECRET, "msg_other", ts, SW_SIG, SW_BODY, n, SW_TS, 300),
	              "id changed");
	cr_assert_not(
	    webhook_verify(SW_SECRET, SW_ID, "1614265331", SW_SIG, SW_BODY, n, SW_TS, 300),
	    "timestamp changed");
	cr_assert_not(webhook_verify(SW_SECRET, SW_ID, ts,
	                             "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OF=", SW_BODY, n,
	                             SW_TS, 300),
	              "signature changed");
	cr_assert_not(webhook_verify(SW_SECRET, SW_ID, ts,
	                             "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", SW_BODY, n,
	                             SW_TS, 300),
	              "another version");
	cr_assert_not(webhook_verify(SW_SECRET, SW_ID, ts, "", SW_BODY, n, SW_TS, 300));
	cr_assert_not(webhook_verify(SW_SECRET, SW_ID, ts, SW_SIG "x", SW_BODY, n, SW_TS, 300));
	cr_assert(webhook_verify(SW_SECRET, SW_ID, ts, "v1,bogus " SW_SIG, SW_BODY, n, SW_TS, 300),
	          "any matching entry is enough");
}

Test(webhook_sign, verify_rejects_stale_and_future_timestamps)
{
	size_t n = strlen(SW_BODY);
	const char *ts = "1614265330";
	cr_assert(webhook_verify(SW_SECRET, SW_ID, ts, SW_SIG, SW_BODY, n, SW_TS + 300, 300));
	cr_assert(webhook_verify(SW_SECRET, SW_ID, ts, SW_SIG, SW_BODY, n, SW_TS - 300, 300));
	cr_assert_not(webhook_verify(SW_SECRET, SW_ID, ts, SW_SIG, SW_BODY, n, SW_TS + 301, 300),
	              "too old");
	cr_assert_not(webhook_verify(SW_SECRET, SW_ID, ts, SW_SIG, SW_BODY, n, SW_TS - 301, 300),
	              "too far in the future");
	cr_assert_not(webhook_verify(SW_SECRET, SW_ID, "", SW_SIG, SW_BODY, n, SW_TS, 300));
	cr_assert_not(
	    webhook_verify(SW_SECRET, SW_ID, "-1614265330", SW_SIG, SW_BODY, n, SW_TS, 300));
	cr_assert_not(
	    webhook_verify(SW_SECRET, SW_ID, "1614265330 ", SW_SIG, SW_BODY, n, SW_TS, 300));
	cr_assert_not(webhook_verify(SW_SECRET, SW_ID, "99999999999999999999999", SW_SIG, SW_BODY,
	                             n, SW_TS, 300));
}
