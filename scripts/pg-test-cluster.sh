#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the test suites: initialised in a temporary folder as
# the unprivileged `postgres` user (initdb refuses root), listening on a private port on
# 127.0.0.1 only, with trust authentication. Usage:
#   scripts/pg-test-cluster.sh start DIR PORT   prints the URL of the cluster's server
#   scripts/pg-test-cluster.sh stop DIR
#   scripts/pg-test-cluster.sh restart DIR      (for the database-restart tests)
set -euo pipefail
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bindir" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
cmd=$1 dir=$2
as_pg() {
	if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}
case "$cmd" in
start)
	port=$3
	mkdir -p "$dir"
	[ "$(id -u)" = 0 ] && chown postgres: "$dir"
	as_pg "$bindir/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1
	cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
shared_buffers = 64MB
CONF
	as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null
	echo "postgres://postgres@127.0.0.1:$port/postgres"
	;;
stop)
	as_pg "$bindir/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
	rm -rf "$dir"
	;;
restart)
	as_pg "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 restart -l "$dir/server.log" >/dev/null
	;;
*)
	echo "usage: $0 start DIR PORT | stop DIR | restart DIR" >&2
	exit 2
	;;
esac
