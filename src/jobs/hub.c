#include "jobs/hub.h"

#include <pthread.h>

#include "base/common.h"
#include "base/timeutil.h"

struct hub_sub {
	char job_id[MD_UUID_LEN];
	void (*cb)(void *ctx);
	void *ctx;
	struct hub_sub *prev, *next;
};

struct hub {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t seq;
	struct hub_sub *subs;
};

struct hub *hub_new(void)
{
	struct hub *h = md_calloc(1, sizeof *h);
	if (!h)
		return NULL;
	pthread_mutex_init(&h->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&h->cond, &attr);
	pthread_condattr_destroy(&attr);
	return h;
}

void hub_free(struct hub *h)
{
	if (!h)
		return;
	while (h->subs) {
		struct hub_sub *s = h->subs;
		h->subs = s->next;
		md_free(s);
	}
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	md_free(h);
}

void hub_notify(struct hub *h, const char *job_id)
{
	pthread_mutex_lock(&h->lock);
	h->seq++;
	pthread_cond_broadcast(&h->cond);
	for (struct hub_sub *s = h->subs; s; s = s->next)
		if (!strcmp(s->job_id, job_id))
			s->cb(s->ctx);
	pthread_mutex_unlock(&h->lock);
}

void hub_store_listener(void *hub, const char *job_id)
{
	hub_notify(hub, job_id);
}

void hub_wait(struct hub *h, uint64_t *seen, int64_t timeout_ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (timeout_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_mutex_lock(&h->lock);
	while (h->seq == *seen) {
		if (pthread_cond_timedwait(&h->cond, &h->lock, &ts))
			break;
	}
	*seen = h->seq;
	pthread_mutex_unlock(&h->lock);
}

void hub_broadcast(struct hub *h)
{
	pthread_mutex_lock(&h->lock);
	h->seq++;
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

struct hub_sub *hub_subscribe(struct hub *h, const char *job_id, void (*cb)(void *ctx), void *ctx)
{
	struct hub_sub *s = md_calloc(1, sizeof *s);
	if (!s)
		return NULL;
	snprintf(s->job_id, sizeof s->job_id, "%s", job_id);
	s->cb = cb;
	s->ctx = ctx;
	pthread_mutex_lock(&h->lock);
	s->next = h->subs;
	if (h->subs)
		h->subs->prev = s;
	h->subs = s;
	pthread_mutex_unlock(&h->lock);
	return s;
}

void hub_unsubscribe(struct hub *h, struct hub_sub *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&h->lock);
	if (s->prev)
		s->prev->next = s->next;
	else
		h->subs = s->next;
	if (s->next)
		s->next->prev = s->prev;
	pthread_mutex_unlock(&h->lock);
	md_free(s);
}

void hub_poke_all(struct hub *h)
{
	pthread_mutex_lock(&h->lock);
	for (struct hub_sub *s = h->subs; s; s = s->next)
		s->cb(s->ctx);
	pthread_mutex_unlock(&h->lock);
}
