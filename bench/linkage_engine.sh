#!/usr/bin/env bash
# The linkage engine offline: FEBRL4 link and FEBRL3 (and FEBRL2) dedupe with smart=true,
# scored against the labels. Builds bench/linkage_engine.c against build/libmatchd.a.
# Usage: bench/linkage_engine.sh [matchd-binary, ignored] ; THREADS=1 by default; REPEAT=N
# prints the best times of N identical runs (default 1).
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-1}
REPEAT=${REPEAT:-1}
DATA=${DATA:-../shared/data/linkage/febrl}
make -s build/libmatchd.a >/dev/null
PKGS=$(make -s --no-print-directory --eval='print-pkgs: ; @echo $(PKGS)' print-pkgs) # the Makefile's list
mkdir -p build/bench
cc -std=c17 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Isrc -Ibuild/gen \
  -o build/bench/linkage_engine bench/linkage_engine.c build/libmatchd.a \
  $(pkg-config --libs $PKGS) -lpthread -lm
for d in febrl4 febrl3 febrl2; do
  echo "== $d"
  build/bench/linkage_engine "$d" "$THREADS" "$DATA" "$REPEAT"
done
