/*
 * test_worker.c: the worker pool on a temporary SQLite store with a test runner: success,
 * retries up to max_attempts, cancellation seen through job_run_progress, graceful stop handing
 * the job back, and progress that never moves backwards.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdatomic.h>
#include <unistd.h>

#include "base/common.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "jobs/hub.h"
#include "jobs/worker.h"
#include "store/store.h"

static char g_dir[64];
static struct store *g_st;
static struct hub *g_hub;
static struct worker_pool *g_pool;
static struct store_workspace g_ws;

/* What the runners saw, for the assertions. */
static atomic_int g_calls;
static atomic_int g_last_rc;
static atomic_bool g_running;
static atomic_int g_ctx_ok;
static int g_ctx_token;

static void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static void setup(void)
{
	md_log_set_level(MD_LOG_OFF);
	snprintf(g_dir, sizeof g_dir, "/tmp/matchd-worker-XXXXXX");
	cr_assert_not_null(mkdtemp(g_dir));
	char url[128], err[256] = "";
	snprintf(url, sizeof url, "sqlite:%s/t.db", g_dir);
	int rc = store_open(url, &g_st, err, sizeof err);
	cr_assert_eq(rc, 0, "store_open: %d %s", rc, err);
	cr_assert_eq(store_workspace_create(g_st, "ws", 100, "s", &g_ws), 0);
	g_hub = hub_new();
	cr_assert_not_null(g_hub);
	store_set_listener(g_st, hub_store_listener, g_hub);
	atomic_store(&g_calls, 0);
	atomic_store(&g_last_rc, 1);
	atomic_store(&g_running, false);
}

static void teardown(void)
{
	worker_pool_stop(g_pool);
	g_pool = NULL;
	store_free(g_st);
	hub_free(g_hub);
	DIR *d = opendir(g_dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			char p[512];
			snprintf(p, sizeof p, "%s/%s", g_dir, e->d_name);
			if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
				unlink(p);
		}
		closedir(d);
	}
	rmdir(g_dir);
}

TestSuite(worker, .init = setup, .fini = teardown, .timeout = 30);

static void start_pool(int threads)
{
	struct worker_opts o = { .threads = threads,
		                 .lease_ms = 5000,
		                 .poll_ms = 50,
		                 .retry_base_ms = 10,
		                 .node_name = "test-node" };
	int rc = worker_pool_start(g_st, g_hub, &o, &g_pool);
	cr_assert_eq(rc, 0, "worker_pool_start: %d", rc);
	cr_assert_eq(worker_pool_size(g_pool), threads);
}

static void submit_kind(const char *kind, int max_attempts, char id[MD_UUID_LEN])
{
	struct store_job_new jn = { .workspace_id = g_ws.id,
		                    .kind = kind,
		                    .input_json = "{}",
		                    .price = 5,
		                    .max_attempts = max_attempts };
	int rc = store_job_submit(g_st, &jn, md_now_ms(), id, NULL);
	cr_assert_eq(rc, 0, "submit: %d", rc);
}

/* Polls the job until its status is want (or any terminal status when want is NULL). */
static void wait_status(const char *id, const char *want, int timeout_ms, struct store_job *out)
{
	int64_t deadline = md_mono_ms() + timeout_ms;
	for (;;) {
		int rc = store_job_get(g_st, NULL, id, out);
		cr_assert_eq(rc, 0, "get: %d", rc);
		bool done = want ? !strcmp(out->status, want) : store_job_is_terminal(out);
		if (done)
			return;
		if (md_mono_ms() > deadline)
			cr_assert_fail("job %s: status %s after %d ms, want %s", id, out->status,
			               timeout_ms, want ? want : "terminal");
		store_job_release(out);
		sleep_ms(10);
	}
}

static void wait_flag(atomic_bool *f, int timeout_ms)
{
	int64_t deadline = md_mono_ms() + timeout_ms;
	while (!atomic_load(f)) {
		cr_assert_lt(md_mono_ms(), deadline, "the runner did not start");
		sleep_ms(5);
	}
}

/* ---- runners ---- */

static int run_ok(struct job_run *r)
{
	atomic_fetch_add(&g_calls, 1);
	if (job_run_ctx(r) == &g_ctx_token && job_run_store(r) == g_st &&
	    !strcmp(job_run_job(r)->kind, "test_kind") && job_run_job(r)->attempts == 1)
		atomic_store(&g_ctx_ok, 1);
	int rc = job_run_progress(r, "working", 0.5);
	if (rc)
		return rc;
	return job_run_set_result(r, "{\"ok\":true}");
}

static int run_flaky(struct job_run *r)
{
	atomic_fetch_add(&g_calls, 1);
	job_run_set_error(r, "TEMP_DOWN", "the engine is warming up", true);
	return MD_EIO;
}

static int run_broken(struct job_run *r)
{
	atomic_fetch_add(&g_calls, 1);
	job_run_set_error(r, "BAD_INPUT", "cannot read", false);
	return MD_EINVAL;
}

/* Reports progress until told to stop, and returns what stopped it. */
static int run_loop(struct job_run *r)
{
	atomic_fetch_add(&g_calls, 1);
	atomic_store(&g_running, true);
	double f = 0;
	int rc;
	int64_t deadline = md_mono_ms() + 15000;
	while ((rc = job_run_progress(r, "looping", f)) == 0 && md_mono_ms() < deadline) {
		f = f < 0.98 ? f + 0.01 : f;
		sleep_ms(10);
	}
	atomic_store(&g_last_rc, rc);
	return rc ? rc : job_run_set_result(r, "{\"loop\":\"timeout\"}");
}

static int run_wobbly(struct job_run *r)
{
	static const struct {
		const char *stage;
		double f;
	} steps[] = { { "a", 0.2 }, { "b", 0.5 }, { "c", 0.3 },
		      { "d", 0.1 }, { "e", 0.9 }, { "f", 0.6 } };
	for (size_t i = 0; i < ARRAY_SIZE(steps); i++) {
		int rc = job_run_progress(r, steps[i].stage, steps[i].f);
		if (rc)
			return rc;
	}
	return job_run_set_result(r, "{}");
}

/* ---- tests ---- */

Test(worker, success_writes_the_result)
{
	cr_assert_eq(worker_register("test_kind", run_ok, &g_ctx_token), 0);
	start_pool(2);
	char id[MD_UUID_LEN];
	submit_kind("test_kind", 3, id);
	struct store_job j;
	wait_status(id, NULL, 5000, &j);
	cr_assert_str_eq(j.status, "succeeded", "status %s error %s", j.status,
	                 j.error ? j.error : "-");
	cr_assert_str_eq(j.result, "{\"ok\":true}", "result %s", j.result);
	cr_assert_eq(j.attempts, 1, "attempts %d", j.attempts);
	store_job_release(&j);
	cr_assert_eq(atomic_load(&g_calls), 1, "runner called %d times", atomic_load(&g_calls));
	cr_assert_eq(atomic_load(&g_ctx_ok), 1, "the runner saw the wrong ctx, store or job");
	int64_t bal = 0;
	cr_assert_eq(store_credits_balance(g_st, g_ws.id, &bal), 0);
	cr_assert_eq(bal, 95, "charged once: balance %lld want 95", (long long)bal);
}

Test(worker, retryable_error_is_retried_up_to_max_attempts)
{
	cr_assert_eq(worker_register("test_kind", run_flaky, NULL), 0);
	start_pool(1);
	char id[MD_UUID_LEN];
	submit_kind("test_kind", 3, id);
	struct store_job j;
	wait_status(id, NULL, 10000, &j);
	cr_assert_str_eq(j.status, "failed", "status %s", j.status);
	cr_assert_eq(j.attempts, 3, "attempts %d want 3", j.attempts);
	cr_assert_not_null(j.error);
	cr_assert(strstr(j.error, "\"TEMP_DOWN\"") != NULL, "error %s", j.error);
	cr_assert(strstr(j.error, "warming up") != NULL, "error %s", j.error);
	store_job_release(&j);
	cr_assert_eq(atomic_load(&g_calls), 3, "runner called %d times want 3",
	             atomic_load(&g_calls));
	int64_t bal = 0;
	cr_assert_eq(store_credits_balance(g_st, g_ws.id, &bal), 0);
	cr_assert_eq(bal, 100, "a failed job is free: %lld", (long long)bal);
}

Test(worker, permanent_error_fails_at_once)
{
	cr_assert_eq(worker_register("test_kind", run_broken, NULL), 0);
	start_pool(1);
	char id[MD_UUID_LEN];
	submit_kind("test_kind", 3, id);
	struct store_job j;
	wait_status(id, NULL, 5000, &j);
	cr_assert_str_eq(j.status, "failed");
	cr_assert_eq(j.attempts, 1, "attempts %d", j.attempts);
	cr_assert(strstr(j.error, "\"BAD_INPUT\"") != NULL, "error %s", j.error);
	store_job_release(&j);
	cr_assert_eq(atomic_load(&g_calls), 1);
}

Test(worker, unknown_kind_fails)
{
	start_pool(1);
	char id[MD_UUID_LEN];
	submit_kind("no_such_kind", 3, id);
	struct store_job j;
	wait_status(id, NULL, 5000, &j);
	cr_assert_str_eq(j.status, "failed");
	cr_assert(strstr(j.error, "UNKNOWN_KIND") != NULL, "error %s", j.error);
	store_job_release(&j);
}

Test(worker, cancellation_reaches_a_looping_runner)
{
	cr_assert_eq(worker_register("test_kind", run_loop, NULL), 0);
	start_pool(1);
	char id[MD_UUID_LEN];
	submit_kind("test_kind", 3, id);
	wait_flag(&g_running, 5000);
	bool term = true;
	int rc = store_job_cancel(g_st, g_ws.id, id, md_now_ms(), &term);
	cr_assert_eq(rc, 0, "cancel: %d", rc);
	cr_assert_not(term, "the job was running");
	struct store_job j;
	wait_status(id, NULL, 8000, &j);
	cr_assert_str_eq(j.status, "canceled", "status %s", j.status);
	store_job_release(&j);
	cr_assert_eq(atomic_load(&g_last_rc), MD_ECANCELED, "the runner saw %d want %d",
	             atomic_load(&g_last_rc), MD_ECANCELED);
	int64_t bal = 0;
	cr_assert_eq(store_credits_balance(g_st, g_ws.id, &bal), 0);
	cr_assert_eq(bal, 100, "a canceled job is free: %lld", (long long)bal);
}

Test(worker, stop_hands_the_running_job_back)
{
	cr_assert_eq(worker_register("test_kind", run_loop, NULL), 0);
	start_pool(2);
	char id[MD_UUID_LEN];
	submit_kind("test_kind", 3, id);
	wait_flag(&g_running, 5000);
	int64_t t0 = md_mono_ms();
	worker_pool_stop(g_pool);
	g_pool = NULL;
	int64_t took = md_mono_ms() - t0;
	cr_assert_lt(took, 5000, "stop took %lld ms", (long long)took);
	cr_assert_eq(atomic_load(&g_last_rc), MD_ECANCELED, "the runner saw %d want %d",
	             atomic_load(&g_last_rc), MD_ECANCELED);
	struct store_job j;
	cr_assert_eq(store_job_get(g_st, NULL, id, &j), 0);
	cr_assert_str_eq(j.status, "queued", "status %s after stop", j.status);
	cr_assert_eq(j.attempts, 0, "the handed-back run used no attempt: %d", j.attempts);
	cr_assert_str_eq(j.lease_token, "");
	store_job_release(&j);
}

struct progress_seen {
	int n;
	double p[64];
	char type[64][16];
};

static int progress_cb(void *ctx, const struct store_event *e)
{
	struct progress_seen *s = ctx;
	const char *k = strstr(e->data, "\"progress\":");
	if (k && s->n < 64) {
		s->p[s->n] = strtod(k + 11, NULL);
		snprintf(s->type[s->n], 16, "%s", e->type);
		s->n++;
	}
	return 0;
}

Test(worker, progress_events_never_decrease)
{
	cr_assert_eq(worker_register("test_kind", run_wobbly, NULL), 0);
	start_pool(1);
	char id[MD_UUID_LEN];
	submit_kind("test_kind", 3, id);
	struct store_job j;
	wait_status(id, NULL, 5000, &j);
	cr_assert_str_eq(j.status, "succeeded", "status %s", j.status);
	store_job_release(&j);
	struct progress_seen s = { 0 };
	cr_assert_eq(store_events_list(g_st, id, 0, 100, progress_cb, &s), 0);
	int nprogress = 0;
	double last = -1;
	for (int i = 0; i < s.n; i++) {
		if (strcmp(s.type[i], "progress"))
			continue;
		nprogress++;
		cr_assert_geq(s.p[i], last, "progress event %d: %.3f after %.3f", i, s.p[i], last);
		last = s.p[i];
	}
	cr_assert_eq(nprogress, 6, "one progress event per stage: %d", nprogress);
	cr_assert_float_eq(last, 0.9, 1e-9, "last progress %.3f", last);
}

static atomic_int maintenance_calls;

static void count_maintenance(void *ctx)
{
	atomic_fetch_add(&maintenance_calls, 1);
}

Test(worker, maintenance_runs_on_the_pool_timer)
{
	atomic_store(&maintenance_calls, 0);
	struct worker_opts o = { .threads = 1,
		                 .lease_ms = 300, /* the timer runs every lease/3 = 100 ms */
		                 .poll_ms = 50,
		                 .node_name = "test-node",
		                 .maintenance = count_maintenance };
	cr_assert_eq(worker_pool_start(g_st, g_hub, &o, &g_pool), 0);
	struct timespec ts = { 0, 450 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	worker_pool_stop(g_pool);
	g_pool = NULL;
	int n = atomic_load(&maintenance_calls);
	cr_assert(n >= 2 && n <= 6, "maintenance ran %d times in 450 ms at a 100 ms period", n);
}
