/*
 * test_webhook_send.c: one delivery attempt against a local https receiver (wh_server.h), and
 * the retry schedule. The receiver is on 127.0.0.1, so these tests set allow_private, except
 * the one that checks the guard refuses it.
 */
#include "platform/webhook_send.h"

#include "base/common.h"
#include "platform/webhook_sign.h"
#include "unit/platform/wh_server.h"

#include <criterion/criterion.h>

static const char body[] = "{\"type\":\"job.succeeded\",\"id\":\"j1\"}";

static void start(struct wh_server *s)
{
	int ret = wh_server_start(s);
	if (ret == 1)
		cr_skip_test("openssl or python3 is missing");
	cr_assert_eq(ret, 0, "could not start the https receiver");
}

/* Sends body to path on the receiver; resp is heap-allocated (4 KiB of body inside). */
static struct webhook_response *send_to(const struct wh_server *s, const char *path,
                                        bool allow_private, long timeout_ms, const char *ca_file)
{
	char url[128];
	cr_assert_eq(md_snprintf(url, sizeof url, "https://127.0.0.1:%d%s", s->port, path), 0);
	struct webhook_request req = {
		.url = url,
		.body = body,
		.body_len = sizeof body - 1,
		.msg_id = "msg_2Kx",
		.timestamp_s = 1700000000,
		.signature = "v1,c2lnbmF0dXJl",
		.timeout_ms = timeout_ms,
		.allow_private = allow_private,
		.ca_file = ca_file,
	};
	struct webhook_response *resp = md_malloc(sizeof *resp);
	cr_assert_not_null(resp);
	cr_assert_eq(webhook_send(&req, resp), 0);
	return resp;
}

#define EXPECT_OUTCOME(resp, want)                                                                 \
	cr_assert_eq((resp)->outcome, (want), "outcome %s (HTTP %ld): %s, want %s",                \
	             webhook_outcome_name((resp)->outcome), (resp)->status, (resp)->error,         \
	             webhook_outcome_name(want))

Test(webhook_send, success_on_200_with_headers)
{
	struct wh_server s;
	start(&s);
	struct webhook_response *r = send_to(&s, "/echo", true, 0, s.ca_file);
	EXPECT_OUTCOME(r, WEBHOOK_SUCCESS);
	cr_assert_eq(r->status, 200);
	cr_assert_str_eq(r->error, "");
	cr_assert_str_eq(r->body, "id=msg_2Kx|ts=1700000000|sig=v1,c2lnbmF0dXJl|"
	                          "ua=matchd-webhooks/1|ct=application/json|"
	                          "body={\"type\":\"job.succeeded\",\"id\":\"j1\"}");
	cr_assert_geq(r->duration_ms, 0);
	cr_assert(webhook_outcome_final(r->outcome));
	md_free(r);
	wh_server_stop(&s);
}

Test(webhook_send, http_error_on_500)
{
	struct wh_server s;
	start(&s);
	struct webhook_response *r = send_to(&s, "/status/500", true, 0, s.ca_file);
	EXPECT_OUTCOME(r, WEBHOOK_HTTP_ERROR);
	cr_assert_eq(r->status, 500);
	cr_assert_not(webhook_outcome_final(r->outcome));
	md_free(r);
	wh_server_stop(&s);
}

Test(webhook_send, gone_on_410)
{
	struct wh_server s;
	start(&s);
	struct webhook_response *r = send_to(&s, "/status/410", true, 0, s.ca_file);
	EXPECT_OUTCOME(r, WEBHOOK_GONE);
	cr_assert_eq(r->status, 410);
	cr_assert(webhook_outcome_final(r->outcome));
	md_free(r);
	wh_server_stop(&s);
}

Test(webhook_send, redirect_not_followed)
{
	struct wh_server s;
	start(&s);
	/* The Location points at /status/200: following it would have been a success. */
	struct webhook_response *r = send_to(&s, "/status/302", true, 0, s.ca_file);
	EXPECT_OUTCOME(r, WEBHOOK_REDIRECT);
	cr_assert_eq(r->status, 302);
	md_free(r);
	wh_server_stop(&s);
}

Test(webhook_send, timeout)
{
	struct wh_server s;
	start(&s);
	struct webhook_response *r = send_to(&s, "/sleep", true, 500, s.ca_file);
	EXPECT_OUTCOME(r, WEBHOOK_TIMEOUT);
	cr_assert_eq(r->status, 0);
	cr_assert_lt(r->duration_ms, 3000, "took %ld ms", (long)r->duration_ms);
	md_free(r);
	wh_server_stop(&s);
}

Test(webhook_send, body_read_stops_at_4k)
{
	struct wh_server s;
	start(&s);
	struct webhook_response *r = send_to(&s, "/big", true, 0, s.ca_file);
	EXPECT_OUTCOME(r, WEBHOOK_SUCCESS);
	cr_assert_eq(r->status, 200);
	cr_assert_eq(r->body_len, WEBHOOK_BODY_MAX);
	cr_assert(r->body_truncated);
	cr_assert_eq(strlen(r->body), WEBHOOK_BODY_MAX);
	md_free(r);
	wh_server_stop(&s);
}

Test(webhook_send, refused_private_address)
{
	struct wh_server s;
	start(&s);
	struct webhook_response *r = send_to(&s, "/status/200", false, 0, s.ca_file);
	EXPECT_OUTCOME(r, WEBHOOK_REFUSED_PRIVATE_ADDRESS);
	cr_assert_eq(r->status, 0);
	cr_assert(strstr(r->error, "loopback"), "%s", r->error);
	md_free(r);
	wh_server_stop(&s);
}

Test(webhook_send, tls_error_without_the_test_ca)
{
	struct wh_server s;
	start(&s);
	struct webhook_response *r = send_to(&s, "/status/200", true, 0, NULL);
	EXPECT_OUTCOME(r, WEBHOOK_TLS_ERROR);
	cr_assert_eq(r->status, 0);
	md_free(r);
	wh_server_stop(&s);
}

Test(webhook_send, connect_error_on_closed_port)
{
	char url[64];
	cr_assert_eq(md_snprintf(url, sizeof url, "https://127.0.0.1:%d/", wh_closed_port()), 0);
	struct webhook_request req = {
		.url = url, .msg_id = "m", .signature = "v1,x", .allow_private = true
	};
	struct webhook_response *r = md_malloc(sizeof *r);
	cr_assert_not_null(r);
	cr_assert_eq(webhook_send(&req, r), 0);
	EXPECT_OUTCOME(r, WEBHOOK_CONNECT_ERROR);
	md_free(r);
}

Test(webhook_send, plain_http_is_not_attempted)
{
	struct webhook_request req = { .url = "http://127.0.0.1:1/",
		                       .msg_id = "m",
		                       .signature = "v1,x",
		                       .allow_private = true };
	struct webhook_response *r = md_malloc(sizeof *r);
	cr_assert_not_null(r);
	cr_assert_eq(webhook_send(&req, r), 0);
	EXPECT_OUTCOME(r, WEBHOOK_CONNECT_ERROR);
	cr_assert(strstr(r->error, "http") || strstr(r->error, "rotocol"), "%s", r->error);
	md_free(r);
}

Test(webhook_send, rejects_bad_requests)
{
	struct webhook_response *r = md_malloc(sizeof *r);
	cr_assert_not_null(r);
	struct webhook_request req = { .url = "https://a.test/",
		                       .msg_id = "m\r\nX-Evil: 1",
		                       .signature = "v1,x" };
	cr_assert_eq(webhook_send(&req, r), MD_EINVAL);
	req.msg_id = "m";
	req.signature = NULL;
	cr_assert_eq(webhook_send(&req, r), MD_EINVAL);
	req.signature = "v1,x";
	req.url = NULL;
	cr_assert_eq(webhook_send(&req, r), MD_EINVAL);
	md_free(r);
}

Test(webhook_send, retry_schedule)
{
	static const int64_t base[] = { 5000, 300000, 1800000, 7200000, 18000000, 36000000 };
	for (int a = 1; a <= 6; a++) {
		int64_t b = base[a - 1];
		cr_assert_eq(webhook_next_attempt_delay_ms(a, 0), b - b / 5, "attempt %d low", a);
		cr_assert_eq(webhook_next_attempt_delay_ms(a, UINT32_MAX), b + b / 5,
		             "attempt %d high", a);
		int64_t mid = webhook_next_attempt_delay_ms(a, 0x80000000u);
		cr_assert(mid >= b - b / 1000 && mid <= b + b / 1000, "attempt %d mid %ld", a,
		          (long)mid);
		for (uint32_t x = 1; x < 4000000000u; x += 123456789u) {
			int64_t d = webhook_next_attempt_delay_ms(a, x);
			cr_assert(d >= b - b / 5 && d <= b + b / 5, "attempt %d r %u: %ld", a, x,
			          (long)d);
		}
	}
	cr_assert_eq(webhook_next_attempt_delay_ms(7, 42), -1);
	cr_assert_eq(webhook_next_attempt_delay_ms(0, 42), -1);
	cr_assert_eq(webhook_next_attempt_delay_ms(-3, 42), -1);
	cr_assert_str_eq(webhook_outcome_name(WEBHOOK_REFUSED_PRIVATE_ADDRESS),
	                 "refused_private_address");
}

Test(webhook_send, signed_delivery_verifies_at_the_receiver)
{
	/* The signing and sending halves fit: what the receiver sees verifies. */
	struct wh_server s;
	start(&s);
	char secret[WEBHOOK_SECRET_LEN], sig[2 * WEBHOOK_SIG_LEN], url[96];
	cr_assert_eq(webhook_secret_new(secret, sizeof secret), 0);
	const char *secrets[] = { secret };
	cr_assert_eq(webhook_signature_header(secrets, 1, "msg_v", 1700000000, body,
	                                      sizeof body - 1, sig, sizeof sig),
	             0);
	cr_assert_eq(md_snprintf(url, sizeof url, "https://localhost:%d/echo", s.port), 0);
	struct webhook_request req = { .url = url,
		                       .body = body,
		                       .body_len = sizeof body - 1,
		                       .msg_id = "msg_v",
		                       .timestamp_s = 1700000000,
		                       .signature = sig,
		                       .allow_private = true,
		                       .ca_file = s.ca_file };
	struct webhook_response *r = md_malloc(sizeof *r);
	cr_assert_not_null(r);
	cr_assert_eq(webhook_send(&req, r), 0);
	EXPECT_OUTCOME(r, WEBHOOK_SUCCESS);
	char *got_sig = strstr(r->body, "|sig=");
	char *got_ua = strstr(r->body, "|ua=");
	cr_assert(got_sig && got_ua);
	*got_ua = '\0';
	cr_assert(webhook_verify(secret, "msg_v", "1700000000", got_sig + 5, body, sizeof body - 1,
	                         1700000000, 300));
	md_free(r);
	wh_server_stop(&s);
}
