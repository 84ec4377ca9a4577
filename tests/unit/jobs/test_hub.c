/*
 * test_hub.c: wake-ups of waiting workers (notify, broadcast, timeout) and per-job subscribers.
 */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdatomic.h>

#include "base/common.h"
#include "base/timeutil.h"
#include "jobs/hub.h"

static const char JOB_A[] = "018bcfe5-687b-7000-8000-00000000000a";
static const char JOB_B[] = "018bcfe5-687b-7000-8000-00000000000b";

struct waiter {
	struct hub *h;
	uint64_t seen;
	int64_t timeout_ms;
	int64_t waited_ms;
	atomic_bool started;
};

static void *wait_main(void *arg)
{
	struct waiter *w = arg;
	atomic_store(&w->started, true);
	int64_t t0 = md_mono_ms();
	hub_wait(w->h, &w->seen, w->timeout_ms);
	w->waited_ms = md_mono_ms() - t0;
	return NULL;
}

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Starts a waiter that is, after this returns, inside hub_wait (or about to be). */
static void start_waiter(struct waiter *w, pthread_t *t)
{
	cr_assert_eq(pthread_create(t, NULL, wait_main, w), 0);
	while (!atomic_load(&w->started))
		sleep_ms(1);
	sleep_ms(50);
}

Test(hub, notify_wakes_a_waiter)
{
	struct hub *h = hub_new();
	cr_assert_not_null(h);
	struct waiter w = { .h = h, .timeout_ms = 10000 };
	hub_wait(h, &w.seen, 0); /* catch up with the current sequence */
	uint64_t before = w.seen;
	pthread_t t;
	start_waiter(&w, &t);
	int64_t t0 = md_mono_ms();
	hub_notify(h, JOB_A);
	pthread_join(t, NULL);
	int64_t after_notify = md_mono_ms() - t0;
	cr_assert_lt(after_notify, 2000, "the waiter woke %lld ms after notify",
	             (long long)after_notify);
	cr_assert_gt(w.seen, before, "seen did not move: %llu", (unsigned long long)w.seen);
	hub_free(h);
}

Test(hub, broadcast_wakes_a_waiter)
{
	struct hub *h = hub_new();
	struct waiter w = { .h = h, .timeout_ms = 10000 };
	hub_wait(h, &w.seen, 0);
	pthread_t t;
	start_waiter(&w, &t);
	hub_broadcast(h);
	pthread_join(t, NULL);
	cr_assert_lt(w.waited_ms, 2000, "waited %lld ms", (long long)w.waited_ms);
	hub_free(h);
}

Test(hub, wait_times_out)
{
	struct hub *h = hub_new();
	uint64_t seen = 0;
	hub_wait(h, &seen, 0);
	uint64_t before = seen;
	int64_t t0 = md_mono_ms();
	hub_wait(h, &seen, 150);
	int64_t waited = md_mono_ms() - t0;
	cr_assert_geq(waited, 140, "returned after %lld ms, want about 150", (long long)waited);
	cr_assert_lt(waited, 1500, "returned after %lld ms, want about 150", (long long)waited);
	cr_assert_eq(seen, before, "seen moved without a notification");
	/* A timeout over a second exercises the nanosecond carry. */
	t0 = md_mono_ms();
	hub_wait(h, &seen, 1200);
	waited = md_mono_ms() - t0;
	cr_assert_geq(waited, 1190, "returned after %lld ms, want about 1200", (long long)waited);
	cr_assert_lt(waited, 3000, "returned after %lld ms", (long long)waited);
	hub_free(h);
}

Test(hub, notification_before_wait_is_not_lost)
{
	struct hub *h = hub_new();
	uint64_t seen = 0;
	hub_wait(h, &seen, 0);
	hub_notify(h, JOB_A);
	int64_t t0 = md_mono_ms();
	hub_wait(h, &seen, 5000);
	int64_t waited = md_mono_ms() - t0;
	cr_assert_lt(waited, 100, "an earlier notification should return at once: %lld ms",
	             (long long)waited);
	hub_free(h);
}

struct counter {
	atomic_int n;
};

static void count_cb(void *ctx)
{
	struct counter *c = ctx;
	atomic_fetch_add(&c->n, 1);
}

Test(hub, subscribers_hear_their_job_only)
{
	struct hub *h = hub_new();
	struct counter a1 = { 0 }, a2 = { 0 }, b = { 0 };
	struct hub_sub *sa1 = hub_subscribe(h, JOB_A, count_cb, &a1);
	struct hub_sub *sa2 = hub_subscribe(h, JOB_A, count_cb, &a2);
	struct hub_sub *sb = hub_subscribe(h, JOB_B, count_cb, &b);
	cr_assert(sa1 && sa2 && sb);

	hub_notify(h, JOB_A);
	cr_assert_eq(atomic_load(&a1.n), 1, "a1 %d", atomic_load(&a1.n));
	cr_assert_eq(atomic_load(&a2.n), 1, "a2 %d", atomic_load(&a2.n));
	cr_assert_eq(atomic_load(&b.n), 0, "b heard job A: %d", atomic_load(&b.n));

	hub_store_listener(h, JOB_B);
	cr_assert_eq(atomic_load(&b.n), 1, "b %d", atomic_load(&b.n));
	cr_assert_eq(atomic_load(&a1.n), 1, "a1 heard job B: %d", atomic_load(&a1.n));

	hub_notify(h, "018bcfe5-687b-7000-8000-00000000000c");
	cr_assert_eq(atomic_load(&a1.n) + atomic_load(&a2.n) + atomic_load(&b.n), 3,
	             "an unrelated job woke a subscriber");

	hub_poke_all(h);
	cr_assert_eq(atomic_load(&a1.n), 2);
	cr_assert_eq(atomic_load(&a2.n), 2);
	cr_assert_eq(atomic_load(&b.n), 2);

	hub_unsubscribe(h, sa1);
	hub_unsubscribe(h, sb);
	hub_unsubscribe(h, NULL);
	hub_notify(h, JOB_A);
	hub_notify(h, JOB_B);
	cr_assert_eq(atomic_load(&a1.n), 2, "unsubscribed a1 still called: %d", atomic_load(&a1.n));
	cr_assert_eq(atomic_load(&b.n), 2, "unsubscribed b still called: %d", atomic_load(&b.n));
	cr_assert_eq(atomic_load(&a2.n), 3, "a2 %d", atomic_load(&a2.n));
	hub_unsubscribe(h, sa2);
	hub_poke_all(h);
	cr_assert_eq(atomic_load(&a2.n), 3);
	hub_free(h);
}

Test(hub, unsubscribe_middle_head_tail_keeps_the_list)
{
	struct hub *h = hub_new();
	enum { N = 5 };
	struct counter c[N];
	struct hub_sub *s[N];
	for (int i = 0; i < N; i++) {
		atomic_init(&c[i].n, 0);
		s[i] = hub_subscribe(h, JOB_A, count_cb, &c[i]);
	}
	/* Newest is the head of the list: remove the middle, the head and the tail. */
	hub_unsubscribe(h, s[2]);
	hub_unsubscribe(h, s[4]);
	hub_unsubscribe(h, s[0]);
	hub_notify(h, JOB_A);
	static const int want[N] = { 0, 1, 0, 1, 0 };
	for (int i = 0; i < N; i++)
		cr_assert_eq(atomic_load(&c[i].n), want[i], "sub %d: %d calls want %d", i,
		             atomic_load(&c[i].n), want[i]);
	/* hub_free releases the subscriptions still registered (ASan checks the leak). */
	hub_free(h);
}

static struct hub *g_hub;

static void *notifier_main(void *arg)
{
	for (int i = 0; i < 1000; i++)
		hub_notify(g_hub, (i & 1) ? JOB_A : JOB_B);
	return arg;
}

Test(hub, concurrent_notify_and_subscribe)
{
	g_hub = hub_new();
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, notifier_main, NULL), 0);
	struct counter c = { 0 };
	for (int i = 0; i < 200; i++) {
		struct hub_sub *s = hub_subscribe(g_hub, JOB_A, count_cb, &c);
		hub_unsubscribe(g_hub, s);
	}
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	hub_free(g_hub);
}
