/*
 * bench/queue_bench.c: store-level queue throughput, no HTTP. Compiled and run by
 * bench/queue.sh against build/libmatchd.a; runs alone as
 *
 *   build/queue_bench URL [--jobs N] [--threads LIST] [--price P]
 *
 * URL is a store URL (sqlite:PATH or postgres://...). For each thread count T in LIST (default
 * "2,8"), N jobs (default 5000) are submitted by T threads (store_job_submit), then T threads
 * claim and complete them (store_job_claim + store_job_succeed, with a credit charge of P,
 * default 1, as a real success has) until the queue is empty. Prints name=value lines:
 *   submit_tT_jobs_per_s, claim_complete_tT_jobs_per_s, and per-operation mean latencies.
 * Exit status 1 when a job was lost or an operation failed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/timeutil.h"
#include "store/store.h"

static struct store *st;
static char ws_id[MD_UUID_LEN];
static int64_t price = 1;
static atomic_long next_job, done_jobs, errors;
static atomic_llong ns_claim, ns_succeed, ns_submit;
static long jobs_per_phase;

static int64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void *submitter(void *arg)
{
	(void)arg;
	for (;;) {
		long i = atomic_fetch_add(&next_job, 1);
		if (i >= jobs_per_phase)
			return NULL;
		struct store_job_new jn = { .workspace_id = ws_id,
			                    .kind = "bench",
			                    .input_json = "{\"n\":1}",
			                    .price = price,
			                    .max_attempts = 3 };
		char id[MD_UUID_LEN], blob[MD_UUID_LEN];
		int64_t t0 = mono_ns();
		int rc = store_job_submit(st, &jn, md_now_ms(), id, blob);
		atomic_fetch_add(&ns_submit, mono_ns() - t0);
		if (rc) {
			fprintf(stderr, "submit: %s\n", md_strerror(rc));
			atomic_fetch_add(&errors, 1);
		}
	}
}

static void *worker(void *arg)
{
	char owner[64];
	snprintf(owner, sizeof owner, "bench-%ld", (long)(intptr_t)arg);
	int misses = 0;
	for (;;) {
		struct store_job j;
		int64_t t0 = mono_ns();
		int rc = store_job_claim(st, owner, md_now_ms(), 30000, &j);
		int64_t t1 = mono_ns();
		atomic_fetch_add(&ns_claim, t1 - t0);
		if (rc == MD_ENOTFOUND) {
			/* Empty: done once every job is accounted for (another thread may hold the rest). */
			if (atomic_load(&done_jobs) + atomic_load(&errors) >= jobs_per_phase ||
			    ++misses > 1000)
				return NULL;
			continue;
		}
		if (rc) {
			fprintf(stderr, "claim: %s\n", md_strerror(rc));
			atomic_fetch_add(&errors, 1);
			return NULL;
		}
		misses = 0;
		rc = store_job_succeed(st, j.id, j.lease_token, md_now_ms(), "{\"ok\":true}");
		atomic_fetch_add(&ns_succeed, mono_ns() - t1);
		store_job_release(&j);
		if (rc) {
			fprintf(stderr, "succeed: %s\n", md_strerror(rc));
			atomic_fetch_add(&errors, 1);
		} else {
			atomic_fetch_add(&done_jobs, 1);
		}
	}
}

static double run_phase(int threads, void *(*fn)(void *))
{
	pthread_t *t = calloc((size_t)threads, sizeof *t);
	if (!t)
		exit(1);
	int64_t t0 = mono_ns();
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, fn, (void *)(intptr_t)i)) {
			fprintf(stderr, "pthread_create failed\n");
			exit(1);
		}
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	free(t);
	return (double)(mono_ns() - t0) / 1e9;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: %s URL [--jobs N] [--threads 2,8] [--price P]\n", argv[0]);
		return 2;
	}
	const char *url = argv[1], *threads_list = "2,8";
	jobs_per_phase = 5000;
	for (int i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--jobs"))
			jobs_per_phase = strtol(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--threads"))
			threads_list = argv[i + 1];
		else if (!strcmp(argv[i], "--price"))
			price = strtoll(argv[i + 1], NULL, 10);
		else {
			fprintf(stderr, "unknown option %s\n", argv[i]);
			return 2;
		}
	}
	if (jobs_per_phase <= 0)
		return 2;

	char err[512] = "";
	int rc = store_open(url, &st, err, sizeof err);
	if (rc) {
		fprintf(stderr, "store_open %s: %s\n", url, err[0] ? err : md_strerror(rc));
		return 1;
	}
	struct store_workspace ws;
	char name[64];
	snprintf(name, sizeof name, "queue-bench-%lld", (long long)md_now_ms());
	rc = store_workspace_create(st, name, 1000000000, "whsec_YmVuY2hiZW5jaGJlbmNoYmVuY2g=", &ws);
	if (rc) {
		fprintf(stderr, "workspace: %s\n", md_strerror(rc));
		return 1;
	}
	memcpy(ws_id, ws.id, sizeof ws_id);
	printf("backend=%s jobs=%ld\n", store_backend_name(st), jobs_per_phase);

	int failed = 0;
	char list[64];
	snprintf(list, sizeof list, "%s", threads_list);
	for (char *save = NULL, *tok = strtok_r(list, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int threads = atoi(tok);
		if (threads < 1 || threads > 256)
			continue;
		atomic_store(&next_job, 0);
		atomic_store(&done_jobs, 0);
		atomic_store(&errors, 0);
		atomic_store(&ns_claim, 0);
		atomic_store(&ns_succeed, 0);
		atomic_store(&ns_submit, 0);
		double ts = run_phase(threads, submitter);
		long submit_errors = atomic_load(&errors);
		atomic_store(&errors, 0);
		double tc = run_phase(threads, worker);
		long done = atomic_load(&done_jobs), errs = atomic_load(&errors);
		printf("submit_t%d_jobs_per_s=%.0f\n", threads, (double)jobs_per_phase / ts);
		printf("claim_complete_t%d_jobs_per_s=%.0f\n", threads, (double)done / tc);
		printf("submit_t%d_mean_us=%.0f\n", threads,
		       (double)atomic_load(&ns_submit) / 1e3 / (double)jobs_per_phase);
		printf("claim_t%d_mean_us=%.0f\n", threads,
		       (double)atomic_load(&ns_claim) / 1e3 / (double)(done ? done : 1));
		printf("succeed_t%d_mean_us=%.0f\n", threads,
		       (double)atomic_load(&ns_succeed) / 1e3 / (double)(done ? done : 1));
		if (submit_errors || errs || done != jobs_per_phase) {
			printf("lost_t%d=%ld (submit errors %ld, claim/complete errors %ld)\n", threads,
			       jobs_per_phase - done, submit_errors, errs);
			failed = 1;
		}
		fflush(stdout);
	}
	struct store_queue_stats qs;
	if (!store_queue_stats(st, &qs))
		printf("queued_left=%lld running_left=%lld\n", (long long)qs.queued,
		       (long long)qs.running);
	store_free(st);
	return failed;
}
