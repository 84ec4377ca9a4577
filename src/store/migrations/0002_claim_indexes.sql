-- 0002: claims read only queued jobs, in order, from a partial index; expired leases are
-- found by a separate, periodic rescue through their own partial index. One OR-ed query for
-- both made every claim scan the whole queue.
CREATE INDEX jobs_queued ON jobs(run_after, id) WHERE status = 'queued';
CREATE INDEX jobs_running_lease ON jobs(lease_until) WHERE status = 'running';
