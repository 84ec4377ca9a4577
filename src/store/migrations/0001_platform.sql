-- 0001: workspaces, API keys, credits, jobs, events, blobs, idempotency, webhooks.
-- Times are integer milliseconds since the Unix epoch; ids are UUIDv7 text.

CREATE TABLE workspaces (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  rate_limit INTEGER NOT NULL DEFAULT 600,      -- requests per period
  rate_period_ms INTEGER NOT NULL DEFAULT 60000,
  rate_burst INTEGER NOT NULL DEFAULT 60,
  webhook_secret TEXT NOT NULL,
  webhook_secret_prev TEXT,                      -- still signed with during a rotation
  webhook_secret_prev_until INTEGER,
  created_at INTEGER NOT NULL
);

CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  key_hash TEXT NOT NULL UNIQUE,                 -- hex SHA-256 of the secret
  prefix TEXT NOT NULL,                          -- first characters, to recognise a key
  permissions INTEGER NOT NULL,                  -- bit set, see platform/auth.h
  created_at INTEGER NOT NULL,
  revoked_at INTEGER
);

CREATE TABLE credit_ledger (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  amount INTEGER NOT NULL,                       -- positive: grant; negative: charge
  reason TEXT NOT NULL,
  job_id TEXT,
  created_at INTEGER NOT NULL
);
-- The exactly-once guarantee for charges: one charge row per job, whatever re-runs.
CREATE UNIQUE INDEX credit_ledger_charge ON credit_ledger(job_id) WHERE reason = 'charge';
CREATE INDEX credit_ledger_ws ON credit_ledger(workspace_id, id);

CREATE TABLE blobs (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  content_type TEXT NOT NULL,
  data BLOB NOT NULL,
  created_at INTEGER NOT NULL
);

CREATE TABLE jobs (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  kind TEXT NOT NULL,
  status TEXT NOT NULL,                          -- queued running succeeded failed canceled
  stage TEXT NOT NULL,
  progress REAL NOT NULL DEFAULT 0,
  input TEXT NOT NULL,                           -- JSON
  result TEXT,                                   -- JSON, set on success
  error TEXT,                                    -- JSON {code, message}, set on failure
  webhook_url TEXT,
  price INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_after INTEGER NOT NULL,
  lease_token TEXT,
  lease_owner TEXT,
  lease_until INTEGER,
  cancel_requested INTEGER NOT NULL DEFAULT 0,
  created_at INTEGER NOT NULL,
  started_at INTEGER,
  finished_at INTEGER,
  updated_at INTEGER NOT NULL
);
CREATE INDEX jobs_runnable ON jobs(status, run_after);
CREATE INDEX jobs_ws ON jobs(workspace_id, id);

CREATE TABLE job_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  job_id TEXT NOT NULL,
  type TEXT NOT NULL,                            -- stage, progress, succeeded, failed, canceled
  data TEXT NOT NULL,                            -- JSON
  created_at INTEGER NOT NULL
);
CREATE INDEX job_events_job ON job_events(job_id, id);

CREATE TABLE idempotency_keys (
  workspace_id TEXT NOT NULL,
  key TEXT NOT NULL,
  fingerprint TEXT NOT NULL,
  resource_id TEXT,                              -- NULL while the first request is in flight
  created_at INTEGER NOT NULL,
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
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until INTEGER,
  last_status INTEGER,
  last_error TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries(status, next_attempt_at);
CREATE INDEX webhook_deliveries_job ON webhook_deliveries(workspace_id, job_id);

CREATE TABLE webhook_attempts (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  delivery_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  at INTEGER NOT NULL,
  http_status INTEGER,
  outcome TEXT NOT NULL,
  error TEXT,
  duration_ms INTEGER NOT NULL
);
CREATE INDEX webhook_attempts_delivery ON webhook_attempts(delivery_id, id);
