-- 0004: run results in a compact form, written in batches as a run finishes and rendered into
-- the public JSON/CSV only when read (from the run's stored datasets). One row per input row:
-- the filters (cursor, status, min_confidence) are columns; everything else (matched and
-- candidate reference rows, weights, per-field levels) is an opaque record the API encodes.
-- linkage_results (0003) held rows as rendered JSON; 0006 drops it.
CREATE TABLE linkage_rows (
  run_id TEXT NOT NULL,                          -- the job id
  workspace_id TEXT NOT NULL,
  row_index INTEGER NOT NULL,
  status TEXT NOT NULL,                          -- matched unmatched review
  confidence REAL NOT NULL,
  rec BLOB NOT NULL,
  PRIMARY KEY (run_id, row_index)
) WITHOUT ROWID;
