-- 0001: workspaces, API keys, credits, jobs, events, blobs, idempotency, webhooks.
-- Times are integer milliseconds since the Unix epoch; ids are UUIDv7 text.

CREATE TABLE workspaces (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  rate_limit BIGINT NOT NULL DEFAULT 600,      -- requests per period
  rate_period_ms BIGINT NOT NULL DEFAULT 60000,
  rate_burst BIGINT NOT NULL DEFAULT 60,
  webhook_secret TEXT NOT NULL,
  webhook_secret_prev TEXT,                      -- still signed with during a rotation
  webhook_secret_prev_until BIGINT,
  created_at BIGINT NOT NULL
);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  key_hash TEXT NOT NULL UNIQUE,                 -- hex SHA-256 of the secret
  prefix TEXT NOT NULL,                          -- first characters, to recognise a key
  permissions BIGINT NOT NULL,                  -- bit set, see platform/auth.h
  created_at BIGINT NOT NULL,
  revoked_at BIGINT
);

CREATE TABLE credit_ledger (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  amount BIGINT NOT NULL,                       -- positive: grant; negative: charge
  reason TEXT NOT NULL,
  job_id TEXT,
  created_at BIGINT NOT NULL
);
-- The exactly-once guarantee for charges: one charge row per job, whatever re-runs.
CREATE UNIQUE INDEX credit_ledger_charge ON credit_ledger(job_id) WHERE reason = 'charge';
CREATE INDEX credit_ledger_ws ON credit_ledger(workspace_id, id);

CREATE TABLE blobs (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  content_type TEXT NOT NULL,
  data BYTEA NOT NULL,
  created_at BIGINT NOT NULL
);

CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  kind TEXT NOT NULL,
  status TEXT NOT NULL,                          -- queued running succeeded failed canceled
  stage TEXT NOT NULL,
  progress DOUBLE PRECISION NOT NULL DEFAULT 0,
  input TEXT NOT NULL,                           -- JSON
  result TEXT,                                   -- JSON, set on success
  error TEXT,                                    -- JSON {code, message}, set on failure
  webhook_url TEXT,
  price BIGINT NOT NULL,
  attempts BIGINT NOT NULL DEFAULT 0,
  max_attempts BIGINT NOT NULL,
  run_after BIGINT NOT NULL,
  lease_token TEXT,
  lease_owner TEXT,
  lease_until BIGINT,
  cancel_requested BIGINT NOT NULL DEFAULT 0,
  created_at BIGINT NOT NULL,
  started_at BIGINT,
  finished_at BIGINT,
  updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_runnable ON jobs(status, run_after);
CREATE INDEX jobs_ws ON jobs(workspace_id, id);

CREATE TABLE job_events (
  id BIGSERIAL PRIMARY KEY,
  job_id TEXT NOT NULL,
  type TEXT NOT NULL,                            -- stage, progress, succeeded, failed, canceled
  data TEXT NOT NULL,                            -- JSON
  created_at BIGINT NOT NULL
);
CREATE INDEX job_events_job ON job_events(job_id, id);

CREATE TABLE idempotency_keys (
  workspace_id TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  resource_id TEXT,                              -- NULL while the first request is in flight
  created_at BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, key)
);

CREATE TABLE webhook_deliveries (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL,
  job_id TEXT NOT NULL,
  event_type TEXT NOT NULL,
  url TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,                          -- pending delivering succeeded failed gone
  attempts BIGINT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  lease_until BIGINT,
  last_status BIGINT,
  last_error TEXT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
CREATE INDEX webhook_deliveries_job ON webhook_deliveries(workspace_id, job_id);

CREATE TABLE webhook_attempts (
  id BIGSERIAL PRIMARY KEY,
  delivery_id TEXT NOT NULL,
  attempt BIGINT NOT NULL,
  at BIGINT NOT NULL,
  http_status BIGINT,
  outcome TEXT NOT NULL,
  error TEXT,
  duration_ms BIGINT NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);

-- Rate limits shared by every node: one GCRA theoretical arrival time per key, in
-- microseconds of the database clock.
CREATE TABLE rate_limits (
  key_id TEXT PRIMARY KEY,
  tat BIGINT NOT NULL
);
