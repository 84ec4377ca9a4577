#!/usr/bin/env bash
# bench/idle_memory.sh [BIN]: resident memory of `matchd serve` (workers included) on a fresh
# SQLite database after IDLE_S (default 3) seconds idle: VmRSS of /proc/PID/status, in MB.
# Target: <= 30 MB.
set -euo pipefail
BIN=$(realpath "${1:-build/matchd}")
. "$(dirname "$0")/lib.bash"
IDLE_S=${IDLE_S:-3}

need_pkg curl curl
TMP=$(mktemp -d /tmp/matchd-bench-mem.XXXXXX)
cleanup() { stop_pid "${MATCHD_PID:-}"; rm -rf "$TMP"; }
trap cleanup EXIT

start_matchd "$BIN" "$TMP"
sleep "$IDLE_S"
KB=$(awk '/^VmRSS:/ {print $2}' "/proc/$MATCHD_PID/status")
HWM=$(awk '/^VmHWM:/ {print $2}' "/proc/$MATCHD_PID/status")
THREADS=$(awk '/^Threads:/ {print $2}' "/proc/$MATCHD_PID/status")
echo "threads=$THREADS"
echo "idle_rss_mb=$(awk -v k="$KB" 'BEGIN {printf "%.1f", k / 1024}')"
echo "peak_rss_mb=$(awk -v k="$HWM" 'BEGIN {printf "%.1f", k / 1024}')"
awk -v k="$KB" 'BEGIN {print "target_30_mb=" (k / 1024 <= 30 ? "met" : "MISSED")}'
