/*
 * hub.h: in-process wake-ups. The store calls hub_notify() after every commit that touched a
 * job; the hub wakes idle workers (a job may have become runnable) and every subscriber of that
 * job (SSE streams waiting for events). With SQLite every node is one process, so a condition
 * variable and a subscriber list are all it takes; PostgreSQL will feed the same hub from
 * LISTEN/NOTIFY.
 *
 * Subscriber callbacks run on the notifying thread with the hub lock held: they must be short
 * and must not call back into the hub.
 */
#ifndef MATCHD_JOBS_HUB_H
#define MATCHD_JOBS_HUB_H

#include <stdbool.h>
#include <stdint.h>

#include "base/uuid.h"

struct hub;
struct hub_sub;

struct hub *hub_new(void);
void hub_free(struct hub *h);

/* Tells the hub that job_id changed (new event, new state or newly runnable). */
void hub_notify(struct hub *h, const char *job_id);
/* The store listener signature, for store_set_listener(st, hub_store_listener, hub). */
void hub_store_listener(void *hub, const char *job_id);

/* Waits until a notification newer than *seen arrives or timeout_ms passes; updates *seen. */
void hub_wait(struct hub *h, uint64_t *seen, int64_t timeout_ms);
/* Wakes every waiter (shutdown). */
void hub_broadcast(struct hub *h);

/* Calls cb(ctx) whenever job_id is notified, until hub_unsubscribe. */
struct hub_sub *hub_subscribe(struct hub *h, const char *job_id, void (*cb)(void *ctx), void *ctx);
void hub_unsubscribe(struct hub *h, struct hub_sub *s);
/* Calls every subscriber's callback once (heartbeats, shutdown). */
void hub_poke_all(struct hub *h);

#endif
