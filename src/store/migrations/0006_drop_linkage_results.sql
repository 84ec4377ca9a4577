-- 0006: the per-row results as rendered JSON (0003's linkage_results) are gone: since 0004
-- every run stores compact rows in linkage_rows, rendered at read time. Runs that finished
-- before 0004 answer 409 conflict on their results and are run again.
DROP TABLE IF EXISTS linkage_results;
