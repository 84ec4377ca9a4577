/*
 * gcra.h: rate limiting with the generic cell rate algorithm, a token bucket kept as one number.
 *
 * A policy allows `limit` requests per `period_ms`, at most `burst` of them back to back. Each
 * request costs one emission interval T = period / limit; the state of a key is its theoretical
 * arrival time (TAT): the moment the key's bucket would be empty again. A request at `now` is
 * allowed when max(TAT, now) + T - burst * T <= now, and then TAT moves to max(TAT, now) + T.
 *
 * The TAT is kept in MICROseconds since the epoch (0 for a fresh key) so that intervals that do
 * not divide a millisecond (1000 requests per second, 3 per second) stay exact enough; T is
 * rounded up to a whole microsecond, so rounding never lets more than `limit` through. Time is
 * passed in, in milliseconds; the module reads no clock and keeps no state: the caller stores
 * the TAT (in process, or in the store with one atomic UPDATE).
 *
 * Headers follow the IETF httpapi ratelimit-headers draft:
 *   RateLimit-Policy: "default";q=<limit>;w=<period in s>
 *   RateLimit: "default";r=<remaining>;t=<seconds until the bucket is full again>
 *   Retry-After: <retry_after_s>            (on 429 only)
 */
#ifndef MATCHD_PLATFORM_GCRA_H
#define MATCHD_PLATFORM_GCRA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/err.h"

#define GCRA_LIMIT_MAX 1000000000LL
#define GCRA_PERIOD_MAX_MS (366LL * 24 * 3600 * 1000)

struct gcra_policy {
	int64_t limit;     /* requests per period, 1..GCRA_LIMIT_MAX */
	int64_t period_ms; /* 1..GCRA_PERIOD_MAX_MS */
	int64_t burst;     /* requests allowed back to back, 1..GCRA_LIMIT_MAX; 0 means limit */
};

struct gcra_result {
	int64_t remaining;      /* requests still allowed right now */
	int64_t retry_after_ms; /* when refused: wait this long; 0 when allowed */
	int64_t retry_after_s;  /* the same in whole seconds, rounded up, for Retry-After */
	int64_t reset_ms;       /* until the bucket is full again */
};

/* True when every field of p is within its range. */
bool gcra_policy_valid(const struct gcra_policy *p);

/*
 * Decides one request of the key whose state is *tat_us at now_ms. Returns true and advances
 * *tat_us when allowed; returns false leaving *tat_us unchanged when refused. r (may be NULL)
 * is filled either way. An invalid policy, a negative now_ms or an absurd TAT refuse with r
 * zeroed (failing closed).
 */
bool gcra_allow(const struct gcra_policy *p, int64_t *tat_us, int64_t now_ms,
                struct gcra_result *r);

/*
 * Writes the RateLimit-Policy and RateLimit header values (no names, no CRLF) into policy and
 * ratelimit. Returns 0, MD_EINVAL for an invalid policy or MD_ELIMIT for a short buffer.
 */
MD_WUR int gcra_format_headers(const struct gcra_policy *p, const struct gcra_result *r,
                               char *policy, size_t policy_cap, char *ratelimit,
                               size_t ratelimit_cap);

#endif
