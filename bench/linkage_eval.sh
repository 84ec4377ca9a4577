#!/usr/bin/env bash
# bench/linkage_eval.sh [BIN] [DATASET ...]: accuracy of smart-run through the API on the classic
# linkage benchmarks (FEBRL4, FEBRL3, FEBRL2, splink fake_1000, historical_figures_50k,
# transactions), scored against the ground truth the server never sees (bench/linkage_eval.py).
# Starts its own matchd serve on a fresh SQLite db (workspace "eval", rate limit that never bites,
# key with permission linkage). Knobs: STRATEGY (override people/auto), WORKERS, KEEP=1 (keep
# the temporary directory; EVAL_DUMP=DIR writes each run's model and results).
set -euo pipefail
. "$(dirname "$0")/lib.bash"
BIN=${1:-$BENCH_ROOT/build/matchd}
shift || true
need_py requests python3-requests
need_pkg curl curl

DIR=$(mktemp -d /tmp/matchd-lkeval.XXXXXX)
PID=
cleanup() { stop_pid "$PID"; [ -n "${KEEP:-}" ] || rm -rf "$DIR"; }
trap cleanup EXIT
cp "$BIN" "$DIR/matchd"     # other builds may replace build/matchd while we run
DB="sqlite:$DIR/matchd.db"
KEY=$(bench_key "$DIR/matchd" "$DB" eval linkage)
PORT=$(free_port)
URL="http://127.0.0.1:$PORT"
"$DIR/matchd" serve --db "$DB" --listen "127.0.0.1:$PORT" ${WORKERS:+--workers "$WORKERS"} \
	>"$DIR/matchd.log" 2>&1 &
PID=$!
for _ in $(seq 200); do
	curl -fs "$URL/healthz" >/dev/null 2>&1 && break
	kill -0 "$PID" 2>/dev/null || { tail -20 "$DIR/matchd.log" >&2; exit 1; }
	sleep 0.05
done
echo "cores=$(nproc) load=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)"
/usr/bin/python3 "$BENCH_ROOT/bench/linkage_eval.py" "$URL" "$KEY" "$@"
echo "server_vmhwm_kb=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)"
