#!/usr/bin/env bash
# bench/http.sh [BIN]: requests/s and p99 latency of authenticated GET /v1/jobs/:id (matchd on
# SQLite) next to nginx (1 worker) serving a static file with the same bytes, both with
# `wrk -t2 -c64 -d15s --latency`. Targets: matchd/nginx ratio >= 0.3, matchd p99 <= 5 ms.
# Tunables: DURATION (15s), CONNS (64), THREADS (2).
set -euo pipefail
BIN=$(realpath "${1:-build/matchd}")
. "$(dirname "$0")/lib.bash"
DURATION=${DURATION:-15s} CONNS=${CONNS:-64} THREADS=${THREADS:-2}

need_pkg wrk wrk
need_pkg nginx nginx-light
need_pkg curl curl

TMP=$(mktemp -d /tmp/matchd-bench-http.XXXXXX)
NGINX_PID=
cleanup() {
	stop_pid "${MATCHD_PID:-}"
	[ -n "$NGINX_PID" ] && stop_pid "$NGINX_PID"
	rm -rf "$TMP"
}
trap cleanup EXIT

start_matchd "$BIN" "$TMP"
CV=$(one_page_cv)
JD="$CV_DIR/jd/resume-matcher_job_desc_java_developer.txt"
ID=$(curl -fsS -H "Authorization: Bearer $MATCHD_KEY" \
	-F "cv_file=@$CV;type=application/pdf" -F "job_description=<$JD" \
	"$MATCHD_URL/api/v1/cvdeepmatch/submit" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
# Benchmark the job at rest (succeeded): the common case of a client polling a finished job.
for _ in $(seq 200); do
	curl -fsS -H "Authorization: Bearer $MATCHD_KEY" "$MATCHD_URL/v1/jobs/$ID" | grep -q '"status":"succeeded"' && break
	sleep 0.05
done
curl -fsS -H "Authorization: Bearer $MATCHD_KEY" "$MATCHD_URL/v1/jobs/$ID" >"$TMP/job.json"

# nginx: one worker, static file with the same bytes and type, no access log (matchd's own
# log line per request is the only logging difference; it is part of what we measure).
NPORT=$(free_port)
mkdir -p "$TMP/www/v1/jobs" "$TMP/nginx"
chmod 755 "$TMP" && chmod -R a+rX "$TMP/www" # nginx workers run as nobody when started by root
cp "$TMP/job.json" "$TMP/www/v1/jobs/$ID"
cat >"$TMP/nginx.conf" <<CONF
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $TMP/nginx; proxy_temp_path $TMP/nginx;
	fastcgi_temp_path $TMP/nginx; uwsgi_temp_path $TMP/nginx; scgi_temp_path $TMP/nginx;
	keepalive_requests 1000000;
	server {
		listen 127.0.0.1:$NPORT;
		root $TMP/www;
		default_type application/json;
	}
}
CONF
nginx -c "$TMP/nginx.conf" -p "$TMP/nginx" 2>"$TMP/nginx/stderr" &
NGINX_PID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$NPORT/v1/jobs/$ID" >/dev/null 2>&1 && break; sleep 0.05; done
cmp -s <(curl -fsS "http://127.0.0.1:$NPORT/v1/jobs/$ID") "$TMP/job.json" || { echo "nginx does not serve the same bytes" >&2; exit 1; }

cat >"$TMP/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $MATCHD_KEY"
LUA

# run_wrk NAME URL [ARGS]: runs wrk, keeps its report, prints "rps p99_ms non2xx".
run_wrk() {
	local name=$1 url=$2; shift 2
	wrk -t"$THREADS" -c"$CONNS" -d"$DURATION" --latency "$@" "$url" >"$TMP/$name.wrk"
	/usr/bin/python3 - "$TMP/$name.wrk" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
m = re.search(r"99%\s+([\d.]+)(us|ms|s)\b", t)
p99 = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", t)
errs = re.search(r"Socket errors:.*", t)
print("%.0f %.3f %s %s" % (rps, p99, bad.group(1) if bad else 0, "errors" if errs else "ok"))
PY
}

read -r M_RPS M_P99 M_BAD M_ERR < <(run_wrk matchd "$MATCHD_URL/v1/jobs/$ID" -s "$TMP/auth.lua")
read -r N_RPS N_P99 N_BAD N_ERR < <(run_wrk nginx "http://127.0.0.1:$NPORT/v1/jobs/$ID")

echo "response_bytes=$(stat -c %s "$TMP/job.json")"
echo "matchd_rps=$M_RPS"
echo "matchd_p99_ms=$M_P99"
echo "matchd_non2xx=$M_BAD"
echo "nginx_rps=$N_RPS"
echo "nginx_p99_ms=$N_P99"
RATIO=$(/usr/bin/python3 -c "print('%.3f' % ($M_RPS / $N_RPS))")
echo "ratio=$RATIO"
/usr/bin/python3 -c "
ok_r = $RATIO >= 0.3; ok_p = $M_P99 <= 5.0
print('target_ratio_0.3=' + ('met' if ok_r else 'MISSED'))
print('target_p99_5ms=' + ('met' if ok_p else 'MISSED'))"
[ "$M_BAD" = 0 ] || { echo "matchd answered $M_BAD non-2xx responses; see $TMP/matchd.wrk" >&2; }
