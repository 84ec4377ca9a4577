-- 0003: record linkage (seed 002): uploaded tables, matching configs, per-row run results.
-- A run is a job of kind 'linkage'; its results are written guarded by the job's lease token
-- and replaced as a whole by a re-run, so exactly one attempt's rows are ever kept.

CREATE TABLE linkage_datasets (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  name TEXT NOT NULL,
  blob_id TEXT NOT NULL,                         -- the raw CSV, in blobs
  columns TEXT NOT NULL,                         -- JSON array of the header names
  row_count BIGINT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX linkage_datasets_ws ON linkage_datasets(workspace_id, id);

CREATE TABLE linkage_configs (
  id TEXT PRIMARY KEY,
  workspace_id TEXT NOT NULL REFERENCES workspaces(id),
  body TEXT NOT NULL,                            -- JSON, validated by the API
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX linkage_configs_ws ON linkage_configs(workspace_id, id);

CREATE TABLE linkage_results (
  run_id TEXT NOT NULL,                          -- the job id
  workspace_id TEXT NOT NULL,
  row_index BIGINT NOT NULL,
  status TEXT NOT NULL,                          -- matched unmatched review
  confidence DOUBLE PRECISION NOT NULL,
  data TEXT NOT NULL,                            -- JSON of the row's result
  PRIMARY KEY (run_id, row_index)
);
