/*
 * linkage_share.h: a linkage run's work shared between the nodes of a deployment on one
 * PostgreSQL database (issue 6: "any node's workers can take a run's chunks").
 *
 * Owns the engine's share callbacks (struct lk_share) over the store's lk_share tables, for
 * both sides: the run's own job, which opens each pass and submits helper jobs (kind
 * "_linkage_help", never claimed by the run's own node) when the pass is worth sharing, and a
 * helper job, which reads the plans, claims units and submits its parts. Waiting (for a plan,
 * for units held elsewhere) sleeps here, renewing the job's lease and honouring cancellation.
 * The run's job closes the share when it ends, canceling the helpers nobody took.
 */
#ifndef MATCHD_API_LINKAGE_SHARE_H
#define MATCHD_API_LINKAGE_SHARE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/uuid.h"
#include "engines/linkage/linkage.h"
#include "jobs/worker.h"

#define LKS_KIND "_linkage_help"
#define LKS_MAX_HELPERS 16

/* Read once at start-up (app_config_from_env: MATCHD_LINKAGE_SHARE*). */
struct lks_opts {
	bool enabled;          /* MATCHD_LINKAGE_SHARE != off, and the store is shared */
	int64_t min_pairs;     /* a pass with fewer candidate pairs runs alone */
	int64_t helpers;       /* helper jobs submitted per shared run */
	int64_t unit_pairs;    /* pairs per unit */
	int64_t lease_ms;      /* a unit's lease, renewed at each claim */
	int64_t early_rows;    /* from this many input rows, helpers start with the run */
	const char *node_name; /* this node (the run's helpers avoid it) */
};

struct lks {
	struct job_run *job; /* the job this side runs in (progress, cancel, lease) */
	struct store *st;
	struct lks_opts o;
	bool is_run;
	char run_id[MD_UUID_LEN];
	char ws_id[MD_UUID_LEN];
	char owner[MD_UUID_LEN]; /* the job's id: a unit's owner */
	void *plan;              /* the plan last read (helper) */
	size_t plan_len;
	char helper_ids[LKS_MAX_HELPERS][MD_UUID_LEN];
	int nhelpers;
	bool opened; /* the run opened a pass: close it at the end */
	int64_t units_claimed;
	struct lk_share sh;
};

/* The defaults (sharing enabled; the store decides at start-up whether it can be). */
void lks_opts_defaults(struct lks_opts *o);
/* Brings values read from the environment back into range. */
void lks_opts_clamp(struct lks_opts *o);

/* Sets s up for the run's job (is_run) or a helper job of run_id. */
void lks_init(struct lks *s, struct job_run *job, const struct lks_opts *o, bool is_run,
              const char *run_id, const char *ws_id);
/*
 * The run: submits the helpers now, before its tables are loaded, so that other nodes load
 * theirs meanwhile (worth it for a large input; the run cancels them if it then runs alone).
 */
void lks_early(struct lks *s);
/* The run: closes the share (every pass) and cancels its helpers. Frees s's buffers. */
void lks_release(struct lks *s);

#endif
