/*
 * sql.c (postgres): the PostgreSQL text of every statement, by the ids of store/sql.h.
 * Where the dialects differ: claims take rows with FOR UPDATE SKIP LOCKED so nodes never wait
 * on each other, aggregates are cast back to integers, and rate limits and wake-ups (NOTIFY)
 * exist only here because only here are they shared between nodes.
 */
#include "store/sql.h"

/* Column order of every statement that returns a job: see job_from_row() in sqlite.c. */
#define JOB_COLS                                                                                   \
	"id, workspace_id, kind, status, stage, progress, attempts, max_attempts, price, "         \
	"cancel_requested, created_at, started_at, finished_at, updated_at, run_after, "           \
	"lease_token, input, result, error, webhook_url"

#define DELIVERY_COLS                                                                              \
	"id, workspace_id, job_id, event_type, status, attempts, next_attempt_at, last_status, "   \
	"created_at, updated_at, url, payload, last_error"

#define WS_COLS                                                                                    \
	"id, name, rate_limit, rate_period_ms, rate_burst, webhook_secret, webhook_secret_prev, "  \
	"webhook_secret_prev_until"

static const char *const texts[SQL_COUNT] = {
	[SQL_WS_INSERT] = "INSERT INTO workspaces(id, name, webhook_secret, created_at) "
	                  "VALUES ($1, $2, $3, $4)",
	[SQL_WS_BY_ID] = "SELECT " WS_COLS " FROM workspaces WHERE id = $1",
	[SQL_WS_BY_NAME] = "SELECT " WS_COLS " FROM workspaces WHERE name = $1",
	[SQL_WS_SET_RATE] = "UPDATE workspaces SET rate_limit = $2, rate_period_ms = $3, "
	                    "rate_burst = $4 WHERE id = $1",
	[SQL_WS_ROTATE] = "UPDATE workspaces SET webhook_secret_prev = webhook_secret, "
	                  "webhook_secret_prev_until = $3, webhook_secret = $2 WHERE id = $1",
	[SQL_KEY_INSERT] = "INSERT INTO api_keys(id, workspace_id, key_hash, prefix, permissions, "
	                   "created_at) VALUES ($1, $2, $3, $4, $5, $6)",
	[SQL_KEY_FIND] = "SELECT k.id, k.workspace_id, w.name, k.prefix, k.permissions, "
	                 "k.created_at, coalesce(k.revoked_at, 0), w.rate_limit, w.rate_period_ms, "
	                 "w.rate_burst FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id "
	                 "WHERE k.key_hash = $1 AND k.revoked_at IS NULL",
	[SQL_KEY_LIST] = "SELECT k.id, k.workspace_id, w.name, k.prefix, k.permissions, "
	                 "k.created_at, coalesce(k.revoked_at, 0), w.rate_limit, w.rate_period_ms, "
	                 "w.rate_burst FROM api_keys k JOIN workspaces w ON w.id = k.workspace_id "
	                 "ORDER BY k.id",
	[SQL_KEY_REVOKE] = "UPDATE api_keys SET revoked_at = $2 "
	                   "WHERE id = $1 AND revoked_at IS NULL",
	[SQL_LEDGER_INSERT] = "INSERT INTO credit_ledger(id, workspace_id, amount, reason, job_id, "
	                      "created_at) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
	[SQL_BALANCE] =
	    "SELECT coalesce(sum(amount), 0)::bigint FROM credit_ledger WHERE workspace_id = $1",
	[SQL_LEDGER_LIST] = "SELECT id, amount, reason, coalesce(job_id, ''), created_at "
	                    "FROM credit_ledger WHERE workspace_id = $1 AND ($2 = '' OR id < $2) "
	                    "ORDER BY id DESC LIMIT $3",
	[SQL_IDEM_GET] = "SELECT fingerprint, coalesce(resource_id, ''), created_at "
	                 "FROM idempotency_keys WHERE workspace_id = $1 AND key = $2",
	[SQL_IDEM_DELETE] = "DELETE FROM idempotency_keys WHERE workspace_id = $1 AND key = $2",
	[SQL_IDEM_INSERT] = "INSERT INTO idempotency_keys(workspace_id, key, fingerprint, "
	                    "created_at) VALUES ($1, $2, $3, $4)",
	[SQL_IDEM_COMPLETE] = "UPDATE idempotency_keys SET resource_id = $3 "
	                      "WHERE workspace_id = $1 AND key = $2",
	[SQL_IDEM_SWEEP] = "DELETE FROM idempotency_keys WHERE created_at < $1",
	[SQL_BLOB_INSERT] = "INSERT INTO blobs(id, workspace_id, content_type, data, created_at) "
	                    "VALUES ($1, $2, $3, $4, $5)",
	[SQL_BLOB_GET] = "SELECT data FROM blobs WHERE id = $1 AND workspace_id = $2",
	[SQL_JOB_INSERT] = "INSERT INTO jobs(id, workspace_id, kind, status, stage, input, "
	                   "webhook_url, price, max_attempts, run_after, created_at, updated_at, "
	                   "not_on) VALUES ($1, $2, $3, 'queued', 'queued', $4, $5, $6, $7, "
	                   "$8, $8, $8, $9)",
	[SQL_JOB_GET] = "SELECT " JOB_COLS " FROM jobs WHERE id = $1 AND workspace_id = $2",
	[SQL_JOB_GET_ANY] = "SELECT " JOB_COLS " FROM jobs WHERE id = $1",
	/* Internal jobs (kind "_...", a run's helpers) are never listed; left(), not LIKE, because
	 * "_" is LIKE's one-character wildcard. */
	[SQL_JOB_LIST] =
	    "SELECT " JOB_COLS " FROM jobs WHERE workspace_id = $1 AND left(kind, 1) <> '_' "
	    "AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR kind = $3) "
	    "AND ($4::text IS NULL OR id < $4) ORDER BY id DESC LIMIT $5",
	/* A job whose lease expired after its last attempt: the worker died every time. */
	[SQL_JOB_EXHAUSTED] = "UPDATE jobs SET status = 'failed', stage = 'failed', error = $2, "
	                      "finished_at = $1, updated_at = $1, lease_token = NULL, "
	                      "lease_until = NULL WHERE id = (SELECT id FROM jobs "
	                      "WHERE status = 'running' AND lease_until < $1 "
	                      "AND attempts >= max_attempts LIMIT 1 FOR UPDATE SKIP LOCKED) "
	                      "RETURNING id, kind",
	/*
	 * One statement, one round trip: take the job, append its "running" event (the same
	 * text state_event() writes) and announce it. It commits on its own.
	 */
	[SQL_JOB_CLAIM] =
	    "WITH c AS (UPDATE jobs SET status = 'running', stage = 'started', lease_token = $1, "
	    "lease_owner = $2, lease_until = $3, attempts = attempts + 1, "
	    "started_at = coalesce(started_at, $4), updated_at = $4 "
	    "WHERE id = (SELECT id FROM jobs WHERE status = 'queued' "
	    "AND run_after <= $4 AND (not_on IS NULL OR not_on <> $2) "
	    "ORDER BY run_after, id LIMIT 1 FOR UPDATE SKIP LOCKED) "
	    "RETURNING " JOB_COLS "), "
	    "e AS (INSERT INTO job_events(job_id, type, data, created_at) "
	    "SELECT id, 'running', format('{\"jobId\":\"%s\",\"status\":\"running\",\"stage\":"
	    "\"%s\",\"progress\":%s}', id, stage, to_char(progress, 'FM0.000')), $4 FROM c), "
	    "n AS (SELECT pg_notify('matchd_jobs', id) FROM c) "
	    "SELECT c.*, (SELECT count(*) FROM n) FROM c",
	/* A job whose worker stopped renewing its lease goes back to the queue, at its old place. */
	[SQL_JOB_RESCUE] =
	    "UPDATE jobs SET status = 'queued', stage = 'requeued', lease_token = NULL, "
	    "lease_owner = NULL, lease_until = NULL, updated_at = $1 "
	    "WHERE id = (SELECT id FROM jobs WHERE status = 'running' "
	    "AND lease_until < $1 AND attempts < max_attempts LIMIT 1 FOR UPDATE SKIP LOCKED) "
	    "RETURNING id",
	[SQL_JOB_PROGRESS] = "UPDATE jobs SET lease_until = $3, stage = coalesce($4, stage), "
	                     "progress = coalesce($5, progress), updated_at = $6 "
	                     "WHERE id = $1 AND lease_token = $2 AND status = 'running' "
	                     "RETURNING cancel_requested",
	[SQL_JOB_LEASE_CHECK] = "SELECT 1 FROM jobs WHERE id = $1 AND lease_token = $2 "
	                        "AND status = 'running'",
	/*
	 * Success in one statement: the state, the terminal event (the text state_event()
	 * writes), the charge (once per job: the partial unique index) and the NOTIFY. The
	 * webhook delivery, whose payload is built in C, follows in the same transaction.
	 */
	[SQL_JOB_SUCCEED] =
	    "WITH c AS (UPDATE jobs SET status = 'succeeded', stage = 'succeeded', "
	    "progress = 1, result = $3, finished_at = $4, updated_at = $4, "
	    "lease_token = NULL, lease_until = NULL WHERE id = $1 "
	    "AND lease_token = $2 AND status = 'running' "
	    "RETURNING id, workspace_id, kind, price, webhook_url), "
	    "e AS (INSERT INTO job_events(job_id, type, data, created_at) SELECT id, 'succeeded', "
	    "format('{\"jobId\":\"%s\",\"status\":\"succeeded\",\"stage\":\"succeeded\","
	    "\"progress\":1.000}', id), $4 FROM c), "
	    "l AS (INSERT INTO credit_ledger(id, workspace_id, amount, reason, job_id, created_at) "
	    "SELECT $5, workspace_id, -price, 'charge', id, $4 FROM c WHERE price > 0 "
	    "ON CONFLICT DO NOTHING), "
	    "n AS (SELECT pg_notify('matchd_jobs', id) FROM c) "
	    "SELECT workspace_id, kind, price, webhook_url, (SELECT count(*) FROM n) FROM c",
	[SQL_JOB_CHARGE] = "INSERT INTO credit_ledger(id, workspace_id, amount, reason, job_id, "
	                   "created_at) VALUES ($1, $2, $3, 'charge', $4, $5) "
	                   "ON CONFLICT DO NOTHING",
	[SQL_JOB_RETRY] = "UPDATE jobs SET status = 'queued', stage = 'retrying', run_after = $3, "
	                  "error = $4, lease_token = NULL, lease_until = NULL, updated_at = $5 "
	                  "WHERE id = $1 AND lease_token = $2 AND status = 'running'",
	[SQL_JOB_FAIL] = "UPDATE jobs SET status = 'failed', stage = 'failed', error = $3, "
	                 "finished_at = $4, updated_at = $4, lease_token = NULL, "
	                 "lease_until = NULL WHERE id = $1 AND lease_token = $2 "
	                 "AND status = 'running' RETURNING workspace_id, kind, webhook_url",
	[SQL_JOB_FINISH_CANCELED] = "UPDATE jobs SET status = 'canceled', stage = 'canceled', "
	                            "finished_at = $3, updated_at = $3, lease_token = NULL, "
	                            "lease_until = NULL WHERE id = $1 AND lease_token = $2 "
	                            "AND status = 'running' RETURNING workspace_id, kind, "
	                            "webhook_url",
	[SQL_JOB_CANCEL_QUEUED] = "UPDATE jobs SET status = 'canceled', stage = 'canceled', "
	                          "finished_at = $3, updated_at = $3 WHERE id = $1 "
	                          "AND workspace_id = $2 AND status = 'queued' "
	                          "RETURNING workspace_id, kind, webhook_url",
	[SQL_JOB_CANCEL_RUNNING] = "UPDATE jobs SET cancel_requested = 1, updated_at = $3 "
	                           "WHERE id = $1 AND workspace_id = $2 AND status = 'running'",
	[SQL_JOB_STATUS] = "SELECT status FROM jobs WHERE id = $1 AND workspace_id = $2",
	[SQL_JOB_UNLEASE] = "UPDATE jobs SET status = 'queued', attempts = attempts - 1, "
	                    "lease_token = NULL, lease_until = NULL, run_after = $3, "
	                    "updated_at = $3 WHERE id = $1 AND lease_token = $2 "
	                    "AND status = 'running'",
	[SQL_JOB_COUNTS] = "SELECT status, count(*) FROM jobs GROUP BY status",
	[SQL_JOB_AVG_RUN] =
	    "SELECT coalesce(avg(finished_at - started_at), 0)::double precision FROM (SELECT "
	    "finished_at, started_at FROM jobs WHERE status = 'succeeded' "
	    "AND left(kind, 1) <> '_' ORDER BY id DESC LIMIT 50) AS recent",
	/* Internal jobs (a run's helpers, kind "_...") wait for other nodes: they are no queue. */
	[SQL_JOB_POSITION] = "SELECT count(*) FROM jobs WHERE status = 'queued' AND "
	                     "left(kind, 1) <> '_' AND "
	                     "(run_after, id) < (SELECT run_after, id FROM jobs WHERE id = $1)",
	[SQL_EVENT_INSERT] = "INSERT INTO job_events(job_id, type, data, created_at) "
	                     "VALUES ($1, $2, $3, $4)",
	[SQL_EVENT_LIST] = "SELECT id, type, data, created_at FROM job_events "
	                   "WHERE job_id = $1 AND id > $2 ORDER BY id LIMIT $3",
	[SQL_DELIVERY_INSERT] =
	    "INSERT INTO webhook_deliveries(id, workspace_id, job_id, "
	    "event_type, url, payload, status, next_attempt_at, created_at, "
	    "updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $7, $7)",
	[SQL_DELIVERY_CLAIM] = "UPDATE webhook_deliveries SET status = 'delivering', "
	                       "lease_until = $2, attempts = attempts + 1, updated_at = $1 "
	                       "WHERE id = (SELECT id FROM webhook_deliveries "
	                       "WHERE (status = 'pending' AND next_attempt_at <= $1) "
	                       "OR (status = 'delivering' AND lease_until < $1) "
	                       "ORDER BY next_attempt_at LIMIT 1 FOR UPDATE SKIP LOCKED) "
	                       "RETURNING " DELIVERY_COLS,
	/*
	 * The attempt number is the fencing token: a node whose delivery lease expired and was
	 * claimed again (attempts + 1) can no longer record its late outcome.
	 */
	[SQL_DELIVERY_RECORD] = "UPDATE webhook_deliveries SET status = $2, next_attempt_at = $3, "
	                        "last_status = $4, last_error = $5, lease_until = NULL, "
	                        "updated_at = $6 WHERE id = $1 AND attempts = $7 "
	                        "AND status = 'delivering'",
	[SQL_ATTEMPT_INSERT] = "INSERT INTO webhook_attempts(delivery_id, attempt, at, "
	                       "http_status, outcome, error, duration_ms) "
	                       "VALUES ($1, $2, $3, $4, $5, $6, $7)",
	[SQL_DELIVERY_LIST] = "SELECT " DELIVERY_COLS " FROM webhook_deliveries "
	                      "WHERE workspace_id = $1 AND ($2::text IS NULL OR job_id = $2) "
	                      "ORDER BY id DESC LIMIT 100",
	[SQL_ATTEMPT_LIST] = "SELECT attempt, at, coalesce(http_status, 0), outcome, error, "
	                     "duration_ms FROM webhook_attempts WHERE delivery_id = $1 ORDER BY id",
	[SQL_DELIVERY_REDELIVER] = "UPDATE webhook_deliveries SET status = 'pending', "
	                           "next_attempt_at = $3, lease_until = NULL, updated_at = $3 "
	                           "WHERE id = $1 AND workspace_id = $2",
	/* GCRA on the database clock (microseconds): one atomic upsert decides. */
	[SQL_RATE_TAKE] =
	    "WITH clk AS (SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint "
	    "AS us) INSERT INTO rate_limits AS r (key_id, tat) "
	    "VALUES ($1, (SELECT us FROM clk) + $2) ON CONFLICT (key_id) DO UPDATE "
	    "SET tat = greatest(r.tat, (SELECT us FROM clk)) + $2 "
	    "WHERE greatest(r.tat, (SELECT us FROM clk)) + $2 - $3 <= "
	    "(SELECT us FROM clk) RETURNING r.tat, (SELECT us FROM clk)",
	[SQL_RATE_GET] = "SELECT tat, (extract(epoch FROM clock_timestamp()) * 1000000)::bigint "
	                 "FROM rate_limits WHERE key_id = $1",
	[SQL_NOTIFY] = "SELECT pg_notify('matchd_jobs', $1)",
	[SQL_DELIVERY_COUNTS] = "SELECT status, count(*) FROM webhook_deliveries GROUP BY status",
};

const char *pg_sql_text(enum sql_id id)
{
	return texts[id];
}
