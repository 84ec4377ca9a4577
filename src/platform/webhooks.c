#include "platform/webhooks.h"

#include <pthread.h>
#include <stdatomic.h>

#include "base/common.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "platform/webhook_send.h"
#include "platform/webhook_sign.h"

#define MAX_THREADS 8
#define DELIVERY_LEASE_MS 60000

struct webhooks {
	struct store *st;
	struct hub *hub;
	struct webhooks_opts o;
	char ca_file[1024];
	atomic_bool stopping;
	int n;
	pthread_t threads[MAX_THREADS];
};

/* The secrets to sign with: the current one, and the previous one during a rotation. */
static size_t secrets_of(const struct store_workspace *ws, int64_t now, const char *out[2])
{
	size_t n = 0;
	out[n++] = ws->webhook_secret;
	if (ws->webhook_secret_prev[0] && ws->webhook_secret_prev_until > now)
		out[n++] = ws->webhook_secret_prev;
	return n;
}

static void attempt(struct webhooks *w, struct store_delivery *d)
{
	int64_t now = md_now_ms();
	struct store_workspace ws;
	struct webhook_response resp = { 0 };
	struct store_attempt a = { .attempt = d->attempts, .at = now };
	char sig[WEBHOOK_SIG_LEN * 2 + 8];
	const char *secrets[2];
	int rc = store_workspace_get(w->st, d->workspace_id, false, &ws);
	if (!rc)
		rc = webhook_signature_header(secrets, secrets_of(&ws, now, secrets), d->id,
		                              now / 1000, d->payload, strlen(d->payload), sig,
		                              sizeof sig);
	if (!rc) {
		struct webhook_request req = {
			.url = d->url,
			.body = d->payload,
			.body_len = strlen(d->payload),
			.msg_id = d->id,
			.timestamp_s = now / 1000,
			.signature = sig,
			.allow_private = w->o.allow_private,
			.ca_file = w->ca_file[0] ? w->ca_file : NULL,
		};
		rc = webhook_send(&req, &resp);
	}
	if (rc) {
		resp.outcome = WEBHOOK_CONNECT_ERROR;
		snprintf(resp.error, sizeof resp.error, "delivery not attempted: %s",
		         md_strerror(rc));
	}
	a.http_status = (int)resp.status;
	a.outcome = webhook_outcome_name(resp.outcome);
	a.error = resp.error[0] ? resp.error : NULL;
	a.duration_ms = resp.duration_ms;

	const char *next = "pending";
	int64_t next_at = 0;
	if (resp.outcome == WEBHOOK_SUCCESS) {
		next = "succeeded";
	} else if (resp.outcome == WEBHOOK_GONE) {
		next = "gone";
	} else {
		uint32_t rnd = 0;
		(void)md_random_bytes(&rnd, sizeof rnd);
		int64_t delay = webhook_next_attempt_delay_ms(d->attempts, rnd);
		if (delay < 0) {
			next = "failed";
		} else {
			int64_t scaled = (int64_t)((double)delay * w->o.retry_scale);
			next_at = md_now_ms() + (scaled > 0 ? scaled : 1);
		}
	}
	int src = store_delivery_record(w->st, d->id, &a, next, next_at);
	md_logf(resp.outcome == WEBHOOK_SUCCESS ? MD_LOG_INFO : MD_LOG_WARN,
	        "webhook %s attempt %d to job %s: %s %ld%s%s", d->id, d->attempts, d->job_id,
	        a.outcome, resp.status, src ? " (not recorded)" : "", a.error ? "" : "");
}

static void *deliver_main(void *arg)
{
	struct webhooks *w = arg;
	uint64_t seen = 0;
	while (!atomic_load(&w->stopping)) {
		struct store_delivery d;
		int rc = store_delivery_claim(w->st, md_now_ms(), DELIVERY_LEASE_MS, &d);
		if (rc == 0) {
			attempt(w, &d);
			store_delivery_release(&d);
			continue;
		}
		/* Retries come due without a notification, so poll at least every 250 ms. */
		hub_wait(w->hub, &seen, 250);
	}
	return NULL;
}

int webhooks_start(struct store *st, struct hub *hub, const struct webhooks_opts *o,
                   struct webhooks **out)
{
	webhook_global_init();
	struct webhooks *w = md_calloc(1, sizeof *w);
	if (!w)
		return MD_ENOMEM;
	w->st = st;
	w->hub = hub;
	w->o = *o;
	if (w->o.retry_scale <= 0)
		w->o.retry_scale = 1;
	if (o->ca_file)
		snprintf(w->ca_file, sizeof w->ca_file, "%s", o->ca_file);
	w->n = o->threads > 0 ? MD_MIN(o->threads, MAX_THREADS) : 2;
	for (int i = 0; i < w->n; i++) {
		if (pthread_create(&w->threads[i], NULL, deliver_main, w)) {
			w->n = i;
			webhooks_stop(w);
			return MD_EIO;
		}
	}
	*out = w;
	return 0;
}

void webhooks_stop(struct webhooks *w)
{
	if (!w)
		return;
	atomic_store(&w->stopping, true);
	hub_broadcast(w->hub);
	for (int i = 0; i < w->n; i++)
		pthread_join(w->threads[i], NULL);
	md_free(w);
}
