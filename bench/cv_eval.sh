#!/usr/bin/env bash
# bench/cv_eval.sh [BIN]: accuracy of the CV engine on the 50 labelled test CVs of
# ../shared/data/cv/datasets/dotin-resume-ner/ (set_aside_test_v2_50cvs.zip): precision and
# recall of skills ("Tech Tools" + "Job Specific Skills"), designations, companies and degrees,
# with the taxonomy of data/skills.tsv and, for comparison, with the built-in skill table.
# Compiles bench/cv_eval_driver.c against the libmatchd.a beside BIN (default build/matchd);
# the scoring is bench/cv_eval.py. Targets: skills recall >= 0.85, precision >= 0.75.
set -euo pipefail
BIN=${1:-build/matchd}
cd "$(dirname "$0")/.."
BUILD=$(dirname "$BIN")
ZIP=${ZIP:-../shared/data/cv/datasets/dotin-resume-ner/set_aside_test_v2_50cvs.zip}
PKGS=$(make -s --no-print-directory --eval='print-pkgs: ; @echo $(PKGS)' print-pkgs) # the Makefile's list
[ -f "$BUILD/libmatchd.a" ] || make --no-print-directory "$BUILD/libmatchd.a" >/dev/null
# shellcheck disable=SC2046
cc -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -Isrc -I"$BUILD/gen" \
	$(pkg-config --cflags $PKGS) bench/cv_eval_driver.c "$BUILD/libmatchd.a" \
	$(pkg-config --libs $PKGS) -lstemmer -lpthread -lm -o "$BUILD/cv_eval_driver"
echo "== taxonomy (data/skills.tsv)"
/usr/bin/python3 bench/cv_eval.py "$BUILD/cv_eval_driver" "$ZIP" data/skills.tsv
echo "== built-in skill table"
/usr/bin/python3 bench/cv_eval.py "$BUILD/cv_eval_driver" "$ZIP"
