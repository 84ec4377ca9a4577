/*
 * linkage_share.c: a linkage run's work shared between nodes (see linkage_share.h).
 */
#include "api/linkage_share.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "base/common.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "store/store.h"

/* How long a claimer waits before it asks again for units held elsewhere, or for a plan. */
#define WAIT_UNITS_MS 20
#define WAIT_PLAN_MS 25
/* The lease of the run's own units: as good as forever (ten years). */
#define RUN_LEASE_MS ((int64_t)10 * 365 * 24 * 3600 * 1000)

void lks_opts_defaults(struct lks_opts *o)
{
	*o = (struct lks_opts){
		.enabled = true,
		/* Below about 7 s of comparing on one core, loading the tables elsewhere costs more. */
		.min_pairs = 20000000,
		.helpers = 3,
		.unit_pairs = 1 << 20,
		.lease_ms = 30000,
		/* Loading a table of 100,000 rows takes about a second: worth overlapping from there. */
		.early_rows = 100000,
	};
}

void lks_opts_clamp(struct lks_opts *o)
{
	o->helpers = MD_MIN(o->helpers, LKS_MAX_HELPERS);
	o->unit_pairs = MD_MAX(o->unit_pairs, 1);
	o->lease_ms = MD_MAX(o->lease_ms, 100);
}

/* ---- the run's side ---- */

static void submit_helpers(struct lks *s)
{
	char input[128];
	snprintf(input, sizeof input, "{\"run_id\":\"%s\"}", s->run_id);
	for (int k = 0; k < s->o.helpers && s->nhelpers < LKS_MAX_HELPERS; k++) {
		struct store_job_new jn = { .workspace_id = s->ws_id,
			                    .kind = LKS_KIND,
			                    .input_json = input,
			                    .price = 0,
			                    .max_attempts = 1,
			                    .not_on = s->o.node_name };
		char blob[MD_UUID_LEN];
		int rc =
		    store_job_submit(s->st, &jn, md_now_ms(), s->helper_ids[s->nhelpers], blob);
		if (rc) {
			/* The run does not need them: it computes whatever nobody takes. */
			md_logf(MD_LOG_WARN, "linkage run %s: helper not queued: %s", s->run_id,
			        md_strerror(rc));
			break;
		}
		s->nhelpers++;
	}
}

void lks_early(struct lks *s)
{
	if (s->o.enabled && s->nhelpers == 0)
		submit_helpers(s);
}

static int sh_open(void *ctx, int pass, size_t nunits, const void *plan, size_t len, uint64_t pairs)
{
	struct lks *s = ctx;
	if (pass == 0 && (pairs < (uint64_t)s->o.min_pairs || nunits < 2))
		return 0; /* helpers submitted early are canceled by lks_release */
	int rc =
	    store_lk_share_open(s->st, s->run_id, pass, (int64_t)nunits, plan, len, md_now_ms());
	if (rc) {
		/* Alone is always correct: helpers waiting for this pass are canceled at the end. */
		md_logf(MD_LOG_WARN,
		        "linkage run %s runs pass %d alone: the share could not open: %s",
		        s->run_id, pass, md_strerror(rc));
		return 0;
	}
	s->opened = true;
	if (pass == 0) {
		md_logf(MD_LOG_INFO, "linkage run %s: sharing %zu units (%llu pairs)", s->run_id,
		        nunits, (unsigned long long)pairs);
		if (s->nhelpers == 0)
			submit_helpers(s);
	}
	return 1;
}

static int sh_claim(void *ctx, int pass, size_t *unit)
{
	struct lks *s = ctx;
	int64_t u = 0, others = 0;
	/*
	 * The run's own units are never taken over: it keeps (never submits) what it computes,
	 * so a helper computing one of them again would count its pairs twice. If the run dies,
	 * its job is tried again and opens the share afresh.
	 */
	int64_t lease = s->is_run ? RUN_LEASE_MS : s->o.lease_ms;
	int rc =
	    store_lk_share_claim(s->st, s->run_id, pass, s->owner, md_now_ms(), lease, &u, &others);
	if (rc == 0) {
		*unit = (size_t)u;
		s->units_claimed++;
		return LK_SHARE_GOT;
	}
	if (rc != MD_ENOTFOUND)
		return rc;
	if (others == 0)
		return LK_SHARE_NONE;
	if (s->is_run)
		md_sleep_ms(WAIT_UNITS_MS);
	return LK_SHARE_WAIT;
}

struct parts_ctx {
	int (*merge)(void *mctx, const void *part, size_t len);
	void *mctx;
	int n;
};

static int each_part(void *ctx, const char *owner, const void *part, size_t len)
{
	struct parts_ctx *p = ctx;
	(void)owner;
	p->n++;
	return p->merge(p->mctx, part, len);
}

static int sh_parts(void *ctx, int pass, int (*merge)(void *mctx, const void *part, size_t len),
                    void *mctx)
{
	struct lks *s = ctx;
	struct parts_ctx p = { merge, mctx, 0 };
	int rc = store_lk_share_parts(s->st, s->run_id, pass, each_part, &p);
	md_logf(MD_LOG_INFO, "linkage run %s: pass %d merged %d helper part(s) (rc %d)", s->run_id,
	        pass, p.n, rc);
	return rc;
}

/* ---- the helper's side ---- */

/* Whether the run has ended (or vanished): a helper then stops waiting for it. */
static bool run_ended(struct lks *s)
{
	struct store_job j;
	int rc = store_job_get(s->st, NULL, s->run_id, &j);
	if (rc == MD_ENOTFOUND)
		return true;
	if (rc)
		return false;
	bool ended = store_job_is_terminal(&j);
	store_job_release(&j);
	return ended;
}

static int sh_plan(void *ctx, int pass, const void **plan, size_t *len)
{
	struct lks *s = ctx;
	for (;;) {
		md_free(s->plan);
		s->plan = NULL;
		int rc = store_lk_share_plan(s->st, s->run_id, pass, &s->plan, &s->plan_len);
		if (rc == 0) {
			*plan = s->plan;
			*len = s->plan_len;
			return 0;
		}
		if (rc != MD_ENOTFOUND && rc != MD_EUNAVAIL)
			return rc;
		/*
		 * Not open yet: the run is still loading (helpers of a large run start with it) or
		 * between its passes. A run that ends, or decides to run alone, cancels its
		 * helpers, which the progress call below reports.
		 */
		if (run_ended(s))
			return 1;
		if ((rc = job_run_progress(s->job, "waiting", 0.5)))
			return rc;
		md_sleep_ms(WAIT_PLAN_MS);
	}
}

static int sh_submit(void *ctx, int pass, size_t nclaimed, const void *part, size_t len)
{
	struct lks *s = ctx;
	int rc =
	    store_lk_share_submit(s->st, s->run_id, pass, s->owner, (int64_t)nclaimed, part, len);
	md_logf(rc ? MD_LOG_WARN : MD_LOG_INFO,
	        "linkage helper %s: pass %d of run %s, %zu unit(s), %zu bytes: %s", s->owner, pass,
	        s->run_id, nclaimed, len, rc ? md_strerror(rc) : "submitted");
	return rc;
}

/* ---- lifecycle ---- */

void lks_init(struct lks *s, struct job_run *job, const struct lks_opts *o, bool is_run,
              const char *run_id, const char *ws_id)
{
	memset(s, 0, sizeof(*s));
	s->job = job;
	s->st = job_run_store(job);
	s->o = *o;
	s->is_run = is_run;
	snprintf(s->run_id, sizeof s->run_id, "%s", run_id);
	snprintf(s->ws_id, sizeof s->ws_id, "%s", ws_id);
	snprintf(s->owner, sizeof s->owner, "%s", job_run_job(job)->id);
	s->sh = (struct lk_share){ .ctx = s,
		                   .unit_pairs = (uint64_t)o->unit_pairs,
		                   .open = sh_open,
		                   .claim = sh_claim,
		                   .parts = sh_parts,
		                   .plan = sh_plan,
		                   .submit = sh_submit };
}

void lks_release(struct lks *s)
{
	md_free(s->plan);
	s->plan = NULL;
	if (!s->is_run) {
		/*
		 * A helper that stops without submitting (canceled, its node shutting down, an
		 * error) gives its units back at once instead of making the run wait out their
		 * lease. After a submit nothing of its is unfinished: this changes nothing.
		 */
		for (int pass = 0; pass < 2 && s->run_id[0]; pass++)
			if (store_lk_share_release(s->st, s->run_id, pass, s->owner))
				md_logf(MD_LOG_WARN,
				        "linkage helper %s: units of pass %d not given back",
				        s->owner, pass);
		return;
	}
	int rc = s->opened ? store_lk_share_close(s->st, s->run_id) : 0;
	if (rc)
		md_logf(MD_LOG_WARN, "linkage run %s: share not closed (swept later): %s",
		        s->run_id, md_strerror(rc));
	for (int k = 0; k < s->nhelpers; k++) {
		bool now_terminal = false;
		/* A helper that already ended answers MD_ECONFLICT: nothing to cancel. */
		rc =
		    store_job_cancel(s->st, s->ws_id, s->helper_ids[k], md_now_ms(), &now_terminal);
		if (rc && rc != MD_ECONFLICT)
			md_logf(MD_LOG_WARN, "linkage run %s: helper %s not canceled: %s",
			        s->run_id, s->helper_ids[k], md_strerror(rc));
	}
	s->nhelpers = 0;
	s->opened = false;
}
