#!/usr/bin/env bash
# bench/cv_throughput.sh [BIN]: N (default 300) submissions of one shared 1-page CV from a
# concurrent client (bench/cv_client.py, CONCURRENCY threads, default 16), each followed over
# SSE from submit to succeeded. Prints jobs/s and p50/p99 latency. Target: >= 100 jobs/s on
# 2 cores. The server runs with its defaults (workers = cores).
set -euo pipefail
BIN=$(realpath "${1:-build/matchd}")
. "$(dirname "$0")/lib.bash"
N=${N:-300} CONCURRENCY=${CONCURRENCY:-16}

need_pkg curl curl
need_py requests python3-requests

TMP=$(mktemp -d /tmp/matchd-bench-cv.XXXXXX)
cleanup() { stop_pid "${MATCHD_PID:-}"; rm -rf "$TMP"; }
trap cleanup EXIT

start_matchd "$BIN" "$TMP"
CV=$(one_page_cv)
JD="$CV_DIR/jd/resume-matcher_job_desc_java_developer.txt"
echo "cv=$(basename "$CV") ($(stat -c %s "$CV") bytes, 1 page)"
echo "n=$N concurrency=$CONCURRENCY cores=$(nproc)"
# One warm-up job so the first measured one does not pay for page-cache misses.
/usr/bin/python3 "$(dirname "$0")/cv_client.py" "$MATCHD_URL" "$MATCHD_KEY" "$CV" "$JD" 1 1 >/dev/null
OUT=$(/usr/bin/python3 "$(dirname "$0")/cv_client.py" "$MATCHD_URL" "$MATCHD_KEY" "$CV" "$JD" "$N" "$CONCURRENCY")
echo "$OUT"
JPS=$(sed -n 's/^jobs_per_s=//p' <<<"$OUT")
/usr/bin/python3 -c "print('target_100_jobs_per_s=' + ('met' if $JPS >= 100 else 'MISSED'))"
