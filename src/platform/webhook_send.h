/*
 * webhook_send.h: one webhook delivery attempt over https with libcurl, and the retry schedule.
 *
 * An attempt POSTs the JSON body with the Standard Webhooks headers and reports what happened;
 * it never retries, never follows a redirect (a 3xx is a failed attempt) and never connects to a
 * non-public address (the SSRF guard of platform/ssrf.h checks the address libcurl is about to
 * connect to). Only the first WEBHOOK_BODY_MAX bytes of the response are read. Proxies from the
 * environment are ignored: a proxy would make the guard check the proxy, not the receiver.
 *
 * The caller owns scheduling, persistence and randomness; this module keeps no state besides
 * the once-only libcurl initialisation.
 */
#ifndef MATCHD_PLATFORM_WEBHOOK_SEND_H
#define MATCHD_PLATFORM_WEBHOOK_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"
#include "platform/ssrf.h"

#define WEBHOOK_BODY_MAX 4096
#define WEBHOOK_ERROR_MAX 256
#define WEBHOOK_TIMEOUT_MS 15000
#define WEBHOOK_CONNECT_TIMEOUT_MS 5000
#define WEBHOOK_USER_AGENT "matchd-webhooks/1"
#define WEBHOOK_MAX_ATTEMPTS 7 /* the first delivery and six retries */

enum webhook_outcome {
	WEBHOOK_SUCCESS = 0,             /* 2xx */
	WEBHOOK_GONE,                    /* 410: the receiver asks us to stop retrying */
	WEBHOOK_HTTP_ERROR,              /* any other status outside 2xx and 3xx */
	WEBHOOK_REDIRECT,                /* 3xx, not followed */
	WEBHOOK_TIMEOUT,                 /* the total or connect timeout passed */
	WEBHOOK_CONNECT_ERROR,           /* no name, no route, refused, reset, bad protocol */
	WEBHOOK_TLS_ERROR,               /* handshake or certificate verification failed */
	WEBHOOK_REFUSED_PRIVATE_ADDRESS, /* the SSRF guard refused every address */
};

struct webhook_request {
	const char *url;  /* https only */
	const char *body; /* the JSON payload, body_len bytes */
	size_t body_len;
	const char *msg_id;      /* webhook-id header */
	int64_t timestamp_s;     /* webhook-timestamp header */
	const char *signature;   /* webhook-signature header, from webhook_signature_header() */
	long timeout_ms;         /* 0: WEBHOOK_TIMEOUT_MS */
	long connect_timeout_ms; /* 0: WEBHOOK_CONNECT_TIMEOUT_MS */
	bool allow_private;      /* local test receivers only */
	const char *ca_file;     /* NULL: the system trust store */
	/*
	 * NULL: libcurl resolves the name itself. Otherwise the name is resolved with this and
	 * libcurl is pinned to the answer (CURLOPT_RESOLVE), which lets tests play a rebinding
	 * resolver. The guard checks the connect address either way.
	 */
	const struct ssrf_resolver *resolver;
};

struct webhook_response {
	long status; /* the HTTP status, 0 when none was received */
	enum webhook_outcome outcome;
	int64_t duration_ms;
	char body[WEBHOOK_BODY_MAX + 1]; /* NUL-terminated, body_len bytes */
	size_t body_len;
	bool body_truncated;           /* the receiver sent more than WEBHOOK_BODY_MAX bytes */
	char error[WEBHOOK_ERROR_MAX]; /* empty on success */
};

/* Initialises libcurl once per process (thread-safe); call before starting worker threads. */
void webhook_global_init(void);

/*
 * Makes one delivery attempt. Returns 0 when resp describes the attempt (whatever its
 * outcome), MD_EINVAL for a request missing a field or carrying CR/LF in a header value, or
 * MD_ENOMEM. Blocks for at most about timeout_ms.
 */
MD_WUR int webhook_send(const struct webhook_request *req, struct webhook_response *resp);

/* A static name for an outcome: "success", "gone", "http_error", ... */
const char *webhook_outcome_name(enum webhook_outcome o);

/* True when the outcome ends the delivery: success or 410 Gone. */
bool webhook_outcome_final(enum webhook_outcome o);

/*
 * The wait before the next attempt after attempt number `attempt` (1 = the first delivery)
 * failed: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h for attempts 1..6, each scaled by a factor in
 * [0.8, 1.2] drawn from random (uniform 32-bit input from the caller). Returns -1 from attempt
 * 7 on (give up) and for attempt < 1.
 */
int64_t webhook_next_attempt_delay_ms(int attempt, uint32_t random);

#endif
