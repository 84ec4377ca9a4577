#!/usr/bin/env bash
# bench/lk_compare.sh [BIN]: speed of the linkage kernels (no server). Compiles
# bench/lk_compare_bench.c against the libmatchd.a beside BIN (default build/matchd) and runs
# it on FEBRL4 given names: Jaro-Winkler and bounded OSA (max 2) pairs per second on one core,
# token-set pairs per second, and CSV parsing MB/s on a ~64 MB FEBRL-shaped buffer.
# Targets: >= 2,000,000 compared pairs/s per core for Jaro-Winkler (issue 6), CSV >= 200 MB/s.
# PAIRS (default 20000000) sets the number of compared pairs.
set -euo pipefail
BIN=${1:-build/matchd}
. "$(dirname "$0")/lib.bash"
cd "$BENCH_ROOT"
BUILD=$(dirname "$BIN")
PAIRS=${PAIRS:-20000000}
DATA=${DATA:-../shared/data/linkage}

need_pkg cc build-essential
need_pkg pkg-config pkg-config
[ -f "$BUILD/libmatchd.a" ] || make --no-print-directory "$BUILD/libmatchd.a" >/dev/null
PKGS=$(make -s --no-print-directory --eval='print-pkgs: ; @echo $(PKGS)' print-pkgs) # the Makefile's list
# shellcheck disable=SC2046
cc -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Isrc -I"$BUILD/gen" \
	$(pkg-config --cflags $PKGS) bench/lk_compare_bench.c "$BUILD/libmatchd.a" \
	$(pkg-config --libs $PKGS) -lpthread -lm -o "$BUILD/lk_compare_bench"

OUT=$("$BUILD/lk_compare_bench" "$DATA" --pairs "$PAIRS")
echo "$OUT"
val() { sed -n "s/^$1=//p" <<<"$OUT"; }
[ "$(val jaro_winkler_pairs_per_s)" -ge 2000000 ] && echo "target_jw_2m_pairs_per_s=met" \
	|| echo "target_jw_2m_pairs_per_s=MISSED"
[ "$(val csv_mb_per_s)" -ge 200 ] && echo "target_csv_200_mb_per_s=met" \
	|| echo "target_csv_200_mb_per_s=MISSED"
