#!/usr/bin/env bash
# bench/cv_speed.sh [BIN]: the speed targets of the CV engine, in one run.
#   1. extraction inside the sandbox vs `pdftotext -layout` on the ten shared PDFs, median
#      ratio (target <= 1.5): bench/cv_extract.sh, which already does exactly this;
#   2. the engine alone (cv_match with the taxonomy, no requirements, the shared JD) on the
#      `pdftotext -layout` text of each shared CV: median of RUNS runs per CV;
#   3. the whole pipeline for a 1-2 page CV through the API (extraction in the sandbox, the
#      engine, the store): p50 latency (target <= 40 ms) and CVs/s with the server's default
#      workers on this machine (target >= 60/s): bench/cv_throughput.sh.
set -euo pipefail
BIN=${1:-build/matchd}
cd "$(dirname "$0")/.."
BUILD=$(dirname "$BIN")
RUNS=${RUNS:-21}
PDFS=${PDFS:-../shared/data/cv/pdfs}
JD=${JD:-../shared/data/cv/jd/resume-matcher_job_desc_java_developer.txt}
PKGS=$(make -s --no-print-directory --eval='print-pkgs: ; @echo $(PKGS)' print-pkgs) # the Makefile's list
[ -f "$BUILD/libmatchd.a" ] || make --no-print-directory "$BUILD/libmatchd.a" >/dev/null
echo "== 1. extraction: sandbox vs pdftotext -layout"
bench/cv_extract.sh "$BIN"
# The skill tagger as the server loads it (beside the taxonomy); TAGGER= none measures without.
TAGGER=${TAGGER-data/skills_tagger.tsv}
TAGGER_ARGS=()
[ "$TAGGER" != none ] && [ -f "$TAGGER" ] && TAGGER_ARGS=(-g "$TAGGER")
echo "== 2. engine alone (taxonomy and tagger ${TAGGER_ARGS[*]:-none} loaded once), median of $RUNS runs per CV"
# shellcheck disable=SC2046
cc -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -Isrc -I"$BUILD/gen" \
	$(pkg-config --cflags $PKGS) bench/cv_eval_driver.c "$BUILD/libmatchd.a" \
	$(pkg-config --libs $PKGS) -lstemmer -lpthread -lm -o "$BUILD/cv_eval_driver"
"$BUILD/cv_eval_driver" -t data/skills.tsv "${TAGGER_ARGS[@]}" -j "$JD" -r "$RUNS" "$PDFS"/*.txt |
	/usr/bin/python3 -c '
import json, os, statistics, sys
ms = []
for line in sys.stdin:
    o = json.loads(line)
    ms.append(o["ms"])
    print("%-45s %6.2f ms" % (os.path.basename(o["file"]), o["ms"]))
print("engine median over the CVs: %.2f ms, max %.2f ms" % (statistics.median(ms), max(ms)))'
echo "== 3. through the API"
bench/cv_throughput.sh "$BIN"
