/*
 * ratelimit.h: per-key rate limiting with GCRA, state kept in process (SQLite nodes are one
 * process). A fixed-size open-addressing table maps key ids to their theoretical arrival time;
 * when it is full the oldest-touched entry is recycled, which can only make a limit more
 * lenient for a key unseen for a long time, never stricter.
 */
#ifndef MATCHD_PLATFORM_RATELIMIT_H
#define MATCHD_PLATFORM_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>

#include "platform/gcra.h"

struct ratelimit;

struct ratelimit *ratelimit_new(void);
void ratelimit_free(struct ratelimit *rl);
/* Decides one request of key_id under policy p at now_ms. */
bool ratelimit_allow(struct ratelimit *rl, const char *key_id, const struct gcra_policy *p,
                     int64_t now_ms, struct gcra_result *r);

#endif
