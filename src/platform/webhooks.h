/*
 * webhooks.h: the delivery loop. Deliveries are rows written by the store in the same
 * transaction as a job's terminal state; this loop claims due rows with a lease (so one
 * process attempts each), signs them with the workspace's secret(s) (Standard Webhooks), sends
 * one attempt through webhook_send (SSRF guard at connect time, no redirects, 15 s), logs
 * the attempt and schedules the next one: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h with jitter, then
 * gives up. A 2xx ends it; a 410 stops it for good.
 */
#ifndef MATCHD_PLATFORM_WEBHOOKS_H
#define MATCHD_PLATFORM_WEBHOOKS_H

#include <stdbool.h>
#include <stdint.h>

#include "jobs/hub.h"
#include "store/store.h"

struct webhooks_opts {
	bool allow_private;  /* test receivers on loopback only */
	const char *ca_file; /* NULL: system trust store */
	double retry_scale;  /* multiplies the retry schedule (tests use a small value) */
	int threads;         /* concurrent deliveries, default 2 */
};

struct webhooks;

int webhooks_start(struct store *st, struct hub *hub, const struct webhooks_opts *o,
                   struct webhooks **out);
void webhooks_stop(struct webhooks *w);

#endif
