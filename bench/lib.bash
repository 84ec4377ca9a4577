# bench/lib.bash (not *.sh, so `make bench` does not run it): helpers the benchmarks share (sourced, not run): package installation, a free
# port, a throw-away matchd on SQLite with a workspace and a key, and clean-up on exit.

BENCH_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CV_DIR=${CV_DIR:-$BENCH_ROOT/../shared/data/cv}

# need_pkg CMD PKG: installs Debian package PKG when CMD is missing.
need_pkg() {
	command -v "$1" >/dev/null 2>&1 && return 0
	local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
	echo "installing $2" >&2
	$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		$sudo apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}

# need_py MODULE PKG: installs Debian package PKG when /usr/bin/python3 cannot import MODULE.
need_py() {
	/usr/bin/python3 -c "import $1" 2>/dev/null && return 0
	local sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
	echo "installing $2" >&2
	$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		$sudo apt-get install -y -qq --no-install-recommends "$2" >/dev/null
}

free_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# bench_key BIN DB NAME PERMISSIONS: creates workspace NAME in DB with credits and a rate limit
# that never bite a benchmark, and prints a new API key for it.
bench_key() {
	local bin=$1 db=$2 name=$3 perms=$4
	"$bin" workspaces create "$name" --credits 1000000 --rate-limit 100000000 \
		--rate-period-ms 1000 --rate-burst 100000000 --db "$db" >/dev/null
	"$bin" keys create --workspace "$name" --permissions "$perms" --db "$db" | tail -1
}

# start_matchd BIN DIR: starts matchd serve on a fresh SQLite db in DIR with a workspace "bench"
# whose rate limit never bites; sets MATCHD_PID, MATCHD_URL, MATCHD_KEY, MATCHD_DB.
start_matchd() {
	local bin=$1 dir=$2 port
	MATCHD_DB="sqlite:$dir/matchd.db"
	MATCHD_KEY=$(bench_key "$bin" "$MATCHD_DB" bench all)
	port=$(free_port)
	MATCHD_URL="http://127.0.0.1:$port"
	"$bin" serve --db "$MATCHD_DB" --listen "127.0.0.1:$port" >"$dir/matchd.log" 2>&1 &
	MATCHD_PID=$!
	for _ in $(seq 200); do
		curl -fs "$MATCHD_URL/healthz" >/dev/null 2>&1 && return 0
		kill -0 "$MATCHD_PID" 2>/dev/null || break
		sleep 0.05
	done
	echo "matchd did not start:" >&2; tail -20 "$dir/matchd.log" >&2
	return 1
}

# stop_pid PID: SIGTERM, then SIGKILL after 10 s.
stop_pid() {
	local pid=$1
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
	kill "$pid" 2>/dev/null
	for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
	kill -9 "$pid" 2>/dev/null
}

# The one-page CV the throughput bench shares: the test suite's CV when pdfinfo confirms one
# page, else the first one-page PDF of the data set.
one_page_cv() {
	need_pkg pdfinfo poppler-utils
	local f pages
	for f in "$CV_DIR/pdfs/11_resume-matcher_barry-allen_moderncv.pdf" "$CV_DIR"/pdfs/*.pdf; do
		pages=$(pdfinfo "$f" 2>/dev/null | awk '/^Pages:/ {print $2}')
		if [ "$pages" = 1 ]; then echo "$f"; return 0; fi
	done
	return 1
}
