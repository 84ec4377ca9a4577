#!/usr/bin/env bash
# bench/linkage_share.sh [BIN]: a record-matching run shared between two nodes on one
# PostgreSQL database (issue 6: "on PostgreSQL any node's workers can take a run's chunks").
# A generated N x N people linkage (bench/gen_people.c, N=SIZE, default 300000) runs twice on
# fresh databases: once on one node alone, once with a second node whose workers take the run's
# helper job. Each node is pinned to its own core (taskset) and runs the engine on one thread
# (MATCHD_LINKAGE_THREADS=1), so the second node adds a core the way a second machine would.
# Then a compare-heavy run (bench/linkage_share_run.py: FEBRL4 blocked on state, ~5 M pairs).
# Prints for both setups: run seconds, pairs compared, F1 or a digest of the results, and the
# units the helper computed; then the speed-ups. Knobs: SIZE, SEED (42), UNIT_PAIRS (MATCHD_LINKAGE_SHARE_UNIT_PAIRS, default the
# server's), RUN_TIMEOUT (600).
set -euo pipefail
. "$(dirname "$0")/lib.bash"
BIN=${1:-$BENCH_ROOT/build/matchd}
SIZE=${SIZE:-300000}
SEED=${SEED:-42}
export RUN_TIMEOUT=${RUN_TIMEOUT:-600}
need_py requests python3-requests
need_pkg curl curl
need_pkg taskset util-linux

DIR=$(mktemp -d /tmp/matchd-lkshare.XXXXXX)
PIDS=()
PGDIR=$DIR-pg # the postgres user cannot enter $DIR (mode 700)
cleanup() {
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	"$BENCH_ROOT/scripts/pg-test-cluster.sh" stop "$PGDIR" >/dev/null 2>&1 || true
	rm -rf "$DIR"
}
trap cleanup EXIT
cp "$BIN" "$DIR/matchd"
PGURL=$("$BENCH_ROOT/scripts/pg-test-cluster.sh" start "$PGDIR" "$(free_port)")
cc -std=c17 -D_GNU_SOURCE -O2 -Wall -Wextra -o "$DIR/gen_people" "$BENCH_ROOT/bench/gen_people.c"
"$DIR/gen_people" "$SIZE" "$SEED" "$DIR/people"
echo "cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /) size=${SIZE}x${SIZE}"

export MATCHD_LINKAGE_THREADS=1 MATCHD_LINKAGE_SHARE_HELPERS=1 MATCHD_LOG_LEVEL=info
[ -n "${UNIT_PAIRS:-}" ] && export MATCHD_LINKAGE_SHARE_UNIT_PAIRS=$UNIT_PAIRS

# one_run NAME SHARE: a fresh database, node a on core 0 (API + 1 worker), and with SHARE=on
# node b on core 1 (1 worker); runs the people linkage; prints its line and the helper units.
one_run() {
	local name=$1 share=$2 db port url key
	psql "$PGURL" -qc "CREATE DATABASE $name" >/dev/null
	db="${PGURL%/*}/$name"
	key=$(bench_key "$DIR/matchd" "$db" eval linkage)
	port=$(free_port)
	url="http://127.0.0.1:$port"
	local mode=auto; [ "$share" = on ] || mode=off
	MATCHD_LINKAGE_SHARE=$mode MATCHD_LINKAGE_SHARE_MIN_PAIRS=0 taskset -c 0 \
		"$DIR/matchd" serve --db "$db" --listen "127.0.0.1:$port" --workers 1 \
		>"$DIR/$name-a.log" 2>&1 &
	PIDS+=($!)
	for _ in $(seq 200); do curl -fs "$url/healthz" >/dev/null 2>&1 && break; sleep 0.05; done
	if [ "$share" = on ]; then
		MATCHD_LINKAGE_SHARE=auto MATCHD_LINKAGE_SHARE_MIN_PAIRS=0 taskset -c 1 \
			"$DIR/matchd" worker --db "$db" --workers 1 >"$DIR/$name-b.log" 2>&1 &
		PIDS+=($!)
	fi
	/usr/bin/python3 "$BENCH_ROOT/bench/linkage_eval.py" "$url" "$key" --people "$DIR/people" |
		tail -1 | sed "s/^/${name}: /"
	/usr/bin/python3 "$BENCH_ROOT/bench/linkage_share_run.py" "$url" "$key" | sed "s/^/${name}: /"
	echo "${name}_helper_units=$(psql "$db" -XAtqc "SELECT coalesce(string_agg(result, ' '), 'none') FROM jobs WHERE kind = '_linkage_help'")"
	grep -o 'pass [01] merged [0-9]* helper part' "$DIR/$name-a.log" | sed "s/^/${name}: /" || true
	# The timeline of the run and its helper (VERBOSE=1).
	[ -n "${VERBOSE:-}" ] && grep -h '"linkage \|"job \|claimed\|succeeded' "$DIR/$name"-*.log |
		grep -v '"request"' | sed 's/^{"ts":"[^T]*T\([^"]*\)".*"msg":"\([^"]*\)".*/\1 \2/' |
		sort | sed "s/^/${name}: /" >&2
	true
	for p in "${PIDS[@]}"; do stop_pid "$p"; done
	PIDS=()
}

one_run alone off | tee "$DIR/alone.out"
one_run shared on | tee "$DIR/shared.out"
for what in people febrl4_coarse; do
	a=$(grep "^alone: $what" "$DIR/alone.out" | sed -n 's/.* run_s=\([0-9.]*\).*/\1/p')
	b=$(grep "^shared: $what" "$DIR/shared.out" | sed -n 's/.* run_s=\([0-9.]*\).*/\1/p')
	echo "${what}_run_s_alone=$a ${what}_run_s_shared=$b speedup=$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }')"
done
da=$(sed -n 's/^alone: febrl4_coarse.*digest=//p' "$DIR/alone.out")
db=$(sed -n 's/^shared: febrl4_coarse.*digest=//p' "$DIR/shared.out")
echo "febrl4_coarse_same_results=$([ "$da" = "$db" ] && echo yes || echo NO)"
