#!/usr/bin/env bash
# Runs every suite against one build folder and prints, as its last line, "N passed, N failed"
# summed over all suites: Criterion unit tests, the fuzz regression replays, and the pytest
# API tests against the real binary. Usage: scripts/run-tests.sh BUILD_DIR
set -u
build=${1:-build}
cd "$(dirname "$0")/.."
out=$build/test-results
rm -rf "$out"
mkdir -p "$out"
python=/usr/bin/python3
passed=0
failed=0

count_xml() { # file -> "passed failed" from a JUnit-style XML report
	$python - "$1" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
except Exception:
    print("0 1"); sys.exit()
p = f = 0
for tc in root.iter("testcase"):
    bad = any(ch.tag in ("failure", "error") for ch in tc)
    skipped = any(ch.tag == "skipped" for ch in tc)
    if bad: f += 1
    elif not skipped: p += 1
print(p, f)
PY
}

# A private PostgreSQL cluster, so the store and API suites also run on the second backend.
pgdir=""
pg_url=""
if ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && [ -z "${MATCHD_TEST_NO_PG:-}" ]; then
	pgdir=$(mktemp -d /tmp/matchd-pg-XXXXXX)
	pgport=$($python -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	if pg_url=$(scripts/pg-test-cluster.sh start "$pgdir" "$pgport"); then
		trap 'scripts/pg-test-cluster.sh stop "$pgdir"' EXIT
	else
		echo "PostgreSQL test cluster failed to start:"; cat "$pgdir"/*.log 2>/dev/null | tail -20
		failed=$((failed + 1)); pg_url=""
	fi
fi

echo "== unit tests (Criterion)"
# The sandbox suite starts the matchd binary of this build (the sanitized one under SANITIZE=).
MATCHD_BIN="$build/matchd" "$build/tests/unit" --jobs 2 --xml="$out/unit.xml" --short-filename 2>&1 | tail -n 30
read -r p f < <(count_xml "$out/unit.xml")
echo "unit: $p passed, $f failed"
passed=$((passed + p)); failed=$((failed + f))

if [ -n "$pg_url" ]; then
	echo "== store unit tests on PostgreSQL"
	MATCHD_TEST_PG_URL="$pg_url" "$build/tests/unit" --jobs 2 --filter 'store*/*' --xml="$out/unit_pg.xml" --short-filename 2>&1 | tail -n 5
	read -r p f < <(count_xml "$out/unit_pg.xml")
	echo "unit (postgres): $p passed, $f failed"
	passed=$((passed + p)); failed=$((failed + f))
fi

echo "== fuzz regression replays"
for h in "$build"/fuzz/fuzz_*; do
	[ -x "$h" ] || continue
	name=$(basename "$h"); name=${name#fuzz_}
	mkdir -p "fuzz/corpus/$name" "fuzz/regression/$name"
	if "$h" "fuzz/corpus/$name" "fuzz/regression/$name" >"$out/fuzz_$name.log" 2>&1; then
		echo "fuzz $name: $(tail -n 1 "$out/fuzz_$name.log")"
		passed=$((passed + 1))
	else
		echo "fuzz $name: FAILED"; tail -n 20 "$out/fuzz_$name.log"
		failed=$((failed + 1))
	fi
done

echo "== API tests (pytest against $build/matchd)"
MATCHD_BIN="$build/matchd" $python -m pytest -q -p no:cacheprovider --junitxml="$out/api.xml" tests/api 2>&1 | tail -n 40
read -r p f < <(count_xml "$out/api.xml")
echo "api: $p passed, $f failed"
passed=$((passed + p)); failed=$((failed + f))

if [ -n "$pg_url" ]; then
	echo "== API tests on PostgreSQL"
	# MATCHD_TEST_PG_DIR: the cluster folder, for the database-restart tests (test_db_restart.py).
	MATCHD_TEST_PG_URL="$pg_url" MATCHD_TEST_PG_DIR="$pgdir" MATCHD_BIN="$build/matchd" $python -m pytest -q -p no:cacheprovider --junitxml="$out/api_pg.xml" tests/api 2>&1 | tail -n 40
	read -r p f < <(count_xml "$out/api_pg.xml")
	echo "api (postgres): $p passed, $f failed"
	passed=$((passed + p)); failed=$((failed + f))
fi

echo "== generated documentation"
# docs/api.md is generated from the contracts: a contract change without it fails here.
if $python scripts/openapi.py --markdown contracts/v1 | diff -q - docs/api.md >/dev/null; then
	echo "docs/api.md: up to date"; passed=$((passed + 1))
else
	echo "docs/api.md: stale; regenerate: $python scripts/openapi.py --markdown contracts/v1 > docs/api.md"
	failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
