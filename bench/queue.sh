#!/usr/bin/env bash
# bench/queue.sh [BIN]: store-level queue throughput, SQLite and PostgreSQL side by side in one
# run. Compiles bench/queue_bench.c against the libmatchd.a beside BIN (default build/matchd)
# into build/queue_bench, then, for each thread count in THREADS (default "2 8"), submits JOBS
# (default 5000) jobs with store_job_submit and claims + completes them with store_job_claim +
# store_job_succeed (with a credit charge, as a real success has). SQLite runs on a temporary
# file, PostgreSQL on a private cluster started and removed here (scripts/pg-test-cluster.sh;
# fsync off like the test cluster, so the figure is the store's CPU and round trips, not the
# disk). MATCHD_PG_POOL (default 8) is the pool size of the PostgreSQL store.
# Target: >= 5,000 claim+complete jobs/s on PostgreSQL with 2 cores (best thread count).
# PROFILE=1 also loads pg_stat_statements and prints, per statement, calls, mean time and
# buffers per call, and the transactions/round trips per job.
set -euo pipefail
BIN=${1:-build/matchd}
. "$(dirname "$0")/lib.bash"
cd "$BENCH_ROOT"
BUILD=$(dirname "$BIN")
JOBS=${JOBS:-5000} THREADS=${THREADS:-"2 8"} PROFILE=${PROFILE:-0}
THREAD_LIST=$(tr ' ' ',' <<<"$THREADS")

need_pkg cc build-essential
need_pkg pkg-config pkg-config
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_pkg /usr/lib/postgresql/none postgresql
need_pkg psql postgresql-client

[ -f "$BUILD/libmatchd.a" ] || make --no-print-directory "$BUILD/libmatchd.a" >/dev/null
PKGS=$(make -s --no-print-directory --eval='print-pkgs: ; @echo $(PKGS)' print-pkgs) # the Makefile's list
# shellcheck disable=SC2046
cc -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Isrc -I"$BUILD/gen" \
	$(pkg-config --cflags $PKGS) bench/queue_bench.c "$BUILD/libmatchd.a" \
	$(pkg-config --libs $PKGS) -lpthread -lm -o "$BUILD/queue_bench"

TMP=$(mktemp -d /tmp/matchd-bench-queue.XXXXXX)
chmod 755 "$TMP" # the cluster runs as the postgres user
PG_UP=
cleanup() { [ -z "$PG_UP" ] || scripts/pg-test-cluster.sh stop "$TMP/pg"; rm -rf "$TMP"; }
trap cleanup EXIT

# A private cluster on a free port (retried: another suite may grab the port first).
for _ in 1 2 3; do
	if PG_URL=$(scripts/pg-test-cluster.sh start "$TMP/pg" "$(free_port)" 2>/dev/null); then
		PG_UP=1; break
	fi
	scripts/pg-test-cluster.sh stop "$TMP/pg"
done
[ -n "$PG_UP" ] || { echo "cannot start PostgreSQL" >&2; exit 1; }
if [ "$PROFILE" = 1 ]; then
	printf "shared_preload_libraries = 'pg_stat_statements'\npg_stat_statements.track = all\n" \
		>>"$TMP/pg/data/postgresql.conf"
	scripts/pg-test-cluster.sh restart "$TMP/pg"
	psql -q "$PG_URL" -c 'CREATE EXTENSION pg_stat_statements'
fi

echo "jobs=$JOBS threads=$THREAD_LIST cores=$(nproc) pg_pool=${MATCHD_PG_POOL:-8}"
"$BUILD/queue_bench" "sqlite:$TMP/queue.db" --jobs "$JOBS" --threads "$THREAD_LIST" \
	>"$TMP/sqlite.out" 2>"$TMP/sqlite.err" || { cat "$TMP/sqlite.out" "$TMP/sqlite.err" >&2; exit 1; }
[ "$PROFILE" = 1 ] && psql -q "$PG_URL" -c 'SELECT pg_stat_statements_reset()' >/dev/null
"$BUILD/queue_bench" "$PG_URL" --jobs "$JOBS" --threads "$THREAD_LIST" \
	>"$TMP/pg.out" 2>"$TMP/pg.err" || { cat "$TMP/pg.out" "$TMP/pg.err" >&2; exit 1; }

val() { sed -n "s/^$2=//p" "$TMP/$1.out"; }
printf '%-9s %-8s %14s %22s\n' backend threads "submit jobs/s" "claim+complete jobs/s"
for t in $THREADS; do
	for b in sqlite pg; do
		name=$b; [ $b = pg ] && name=postgres
		printf '%-9s %-8s %14s %22s\n' $name "$t" "$(val $b "submit_t${t}_jobs_per_s")" \
			"$(val $b "claim_complete_t${t}_jobs_per_s")"
	done
done
for t in $THREADS; do
	echo "sqlite claim+complete ($t threads): $(val sqlite "claim_complete_t${t}_jobs_per_s") jobs/s"
	echo "postgres claim+complete ($t threads): $(val pg "claim_complete_t${t}_jobs_per_s") jobs/s"
done
sed 's/^/sqlite_/' <(grep '=' "$TMP/sqlite.out" | grep -v '^backend=')
sed 's/^/postgres_/' <(grep '=' "$TMP/pg.out" | grep -v '^backend=')

if [ "$PROFILE" = 1 ]; then
	echo "-- pg_stat_statements over the PostgreSQL run ($JOBS jobs per thread count):"
	psql -P pager=off "$PG_URL" -c "SELECT calls, round(mean_exec_time::numeric, 3) AS mean_ms,
		round(total_exec_time::numeric) AS total_ms,
		round(shared_blks_hit::numeric / greatest(calls, 1)) AS blks_per_call,
		left(regexp_replace(query, '\s+', ' ', 'g'), 90) AS query
		FROM pg_stat_statements WHERE query !~* 'pg_stat_statements'
		ORDER BY total_exec_time DESC LIMIT 15"
	n_runs=$(wc -w <<<"$THREADS")
	psql -At "$PG_URL" -c "SELECT 'round_trips_per_job=' || round(sum(calls)::numeric / ($JOBS * $n_runs), 1)
		FROM pg_stat_statements WHERE query !~* 'pg_stat_statements|schema_migrations|advisory|workspaces|count|avg'"
	psql -At "$PG_URL" -c "SELECT 'transactions_per_job=' || round(calls::numeric / ($JOBS * $n_runs), 1)
		FROM pg_stat_statements WHERE query = 'BEGIN'"
fi

BEST=0
for t in $THREADS; do
	v=$(val pg "claim_complete_t${t}_jobs_per_s"); [ "${v:-0}" -gt "$BEST" ] && BEST=$v
done
echo "postgres_best_claim_complete_jobs_per_s=$BEST"
[ "$BEST" -ge 5000 ] && echo "target_pg_5000_jobs_per_s=met" || echo "target_pg_5000_jobs_per_s=MISSED"
