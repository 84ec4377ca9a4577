#!/usr/bin/env bash
# bench/cv_nodes.sh [BIN]: the CV family end to end through the API on PostgreSQL with separate
# node roles: one API node (`matchd serve --no-workers`) and first 1, then 2 worker nodes
# (`matchd worker --workers WORKERS`, default 2), all on one private PostgreSQL cluster
# (scripts/pg-test-cluster.sh). For each configuration, N (default 200) submissions of the
# shared 1-page CV from bench/cv_client.py (CONCURRENCY threads, default 16), each followed
# over SSE on the API node until succeeded, so every event crosses nodes through
# LISTEN/NOTIFY. Prints jobs/s and latency per configuration. On one machine the worker nodes
# share its cores: the second node shows the cost of the split, not a scale-out.
set -euo pipefail
BIN=$(realpath "${1:-build/matchd}")
. "$(dirname "$0")/lib.bash"
cd "$BENCH_ROOT"
N=${N:-200} CONCURRENCY=${CONCURRENCY:-16} WORKERS=${WORKERS:-2}

need_pkg curl curl
need_py requests python3-requests
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need_pkg /usr/lib/postgresql/none postgresql

TMP=$(mktemp -d /tmp/matchd-bench-nodes.XXXXXX)
chmod 755 "$TMP" # the cluster runs as the postgres user
PG_UP= PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	[ -z "$PG_UP" ] || scripts/pg-test-cluster.sh stop "$TMP/pg"
	rm -rf "$TMP"
}
trap cleanup EXIT

for _ in 1 2 3; do
	if DB=$(scripts/pg-test-cluster.sh start "$TMP/pg" "$(free_port)" 2>/dev/null); then
		PG_UP=1; break
	fi
	scripts/pg-test-cluster.sh stop "$TMP/pg"
done
[ -n "$PG_UP" ] || { echo "cannot start PostgreSQL" >&2; exit 1; }

KEY=$(bench_key "$BIN" "$DB" bench all 2>/dev/null)

PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
"$BIN" serve --no-workers --db "$DB" --listen "127.0.0.1:$PORT" >"$TMP/api.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 200); do curl -fs "$URL/readyz" >/dev/null 2>&1 && break; sleep 0.05; done
curl -fs "$URL/readyz" >/dev/null || { echo "API node did not start" >&2; tail "$TMP/api.log" >&2; exit 1; }

# start_worker I: a worker node; waits for its start-up line.
start_worker() {
	"$BIN" worker --workers "$WORKERS" --db "$DB" >"$TMP/worker$1.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 200); do
		grep -q 'worker node' "$TMP/worker$1.log" && return 0
		sleep 0.05
	done
	echo "worker node $1 did not start" >&2; tail "$TMP/worker$1.log" >&2; exit 1
}

CV=$(one_page_cv)
JD="$CV_DIR/jd/resume-matcher_job_desc_java_developer.txt"
echo "cv=$(basename "$CV") ($(stat -c %s "$CV") bytes, 1 page)"
echo "n=$N concurrency=$CONCURRENCY workers_per_node=$WORKERS cores=$(nproc) backend=postgres"

for nodes in 1 2; do
	start_worker "$nodes"
	# One warm-up job so the first measured one does not pay for page-cache misses.
	/usr/bin/python3 bench/cv_client.py "$URL" "$KEY" "$CV" "$JD" 1 1 >/dev/null
	OUT=$(/usr/bin/python3 bench/cv_client.py "$URL" "$KEY" "$CV" "$JD" "$N" "$CONCURRENCY")
	echo "-- 1 API node + $nodes worker node(s) x $WORKERS workers"
	sed "s/^/nodes${nodes}_/" <<<"$OUT"
	echo "postgres, $nodes worker node(s): $(sed -n 's/^jobs_per_s=//p' <<<"$OUT") jobs/s"
done
# Which node ran the jobs (lease_owner is host:pid of the worker node): the work is shared.
need_pkg psql postgresql-client
psql -At "$DB" -c "SELECT 'jobs_by_node ' || lease_owner || '=' || count(*) FROM jobs
	WHERE status = 'succeeded' GROUP BY lease_owner ORDER BY lease_owner" 2>/dev/null || true
