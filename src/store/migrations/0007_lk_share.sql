-- 0007: a linkage run's work shared between nodes. The run opens a pass (lk_shares: how many
-- units, and the plan helpers need to compute one); any node claims units under a lease
-- (lk_share_units: owner and lease_until, NULL while nobody holds the unit); a helper stores
-- its result over the units it claimed as one part, in pieces of at most 1 MiB
-- (lk_share_parts, seq in byte order) so a 200 MB part never travels as one value, and the
-- same transaction marks those units done. Owners are job ids, not node names. Everything of
-- a run is deleted when it closes its passes, or by the sweep once its job has ended.
CREATE TABLE lk_shares (
  run_id TEXT NOT NULL,                          -- the linkage job's id
  pass INTEGER NOT NULL,                         -- 0 blocking plan, 1 model
  nunits INTEGER NOT NULL,
  plan BLOB NOT NULL,                            -- opaque to the store
  opened_at INTEGER NOT NULL,
  PRIMARY KEY (run_id, pass)
);

CREATE TABLE lk_share_units (
  run_id TEXT NOT NULL,
  pass INTEGER NOT NULL,
  unit INTEGER NOT NULL,                         -- 0 .. nunits - 1
  owner TEXT,                                    -- the claiming job's id, NULL when free
  lease_until INTEGER,
  done INTEGER NOT NULL DEFAULT 0,               -- 1 once a submitted part covers it
  PRIMARY KEY (run_id, pass, unit)
) WITHOUT ROWID;
-- A claim walks the primary key from the pass's first unit, past the done ones. PostgreSQL
-- keeps a partial index of the units not done for that; SQLite's planner prefers the primary
-- key anyway, and one writer with a few hundred units per pass does not need it.

-- A rowid table, unlike lk_share_units: SQLite stores rows of 1 MiB better outside a
-- WITHOUT ROWID b-tree.
CREATE TABLE lk_share_parts (
  run_id TEXT NOT NULL,
  pass INTEGER NOT NULL,
  owner TEXT NOT NULL,
  seq INTEGER NOT NULL,                          -- 0, 1, 2 ... in byte order
  data BLOB NOT NULL,
  PRIMARY KEY (run_id, pass, owner, seq)
);

-- A run's helper jobs are useless on the run's own node: a worker pool whose owner (node
-- name) equals not_on skips them. NULL: any node.
ALTER TABLE jobs ADD COLUMN not_on TEXT;
