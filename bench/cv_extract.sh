#!/usr/bin/env bash
# CV text extraction (src/engines/cv/pdftext.c: poppler glyph boxes -> layout -> repairs)
# against `pdftotext -layout` on the ten shared CVs. Both run as a fresh process per
# extraction (poppler start-up included on both sides), RUNS times each; the figure per PDF is
# the median wall time, and the last line the median of the per-PDF ratios (target <= 1.5).
# Builds a small driver (inline below) against build/libmatchd.a.
# Usage: bench/cv_extract.sh [matchd-binary, ignored] ; RUNS=7 by default.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${RUNS:-7}
PDFS=${PDFS:-../shared/data/cv/pdfs}
LIB=${LIB:-build/libmatchd.a}
OUT=${OUT:-build/bench}
command -v pdftotext >/dev/null || { echo "pdftotext (poppler-utils) is needed" >&2; exit 1; }
[ -n "${LIB_PREBUILT:-}" ] || make -s "$LIB" >/dev/null
PKGS=$(make -s --no-print-directory --eval='print-pkgs: ; @echo $(PKGS)' print-pkgs) # the Makefile's list
mkdir -p "$OUT"
cat > "$OUT/cv_extract.c" <<'C'
#include "base/common.h"
#include "engines/cv/pdftext.h"
int main(int argc, char **argv)
{
	FILE *f = argc > 1 ? fopen(argv[1], "rb") : NULL;
	if (!f)
		return 2;
	static char data[16 << 20];
	size_t n = fread(data, 1, sizeof data, f);
	fclose(f);
	struct cv_pages p;
	cv_pages_init(&p);
	char err[256];
	int rc = cv_pdf_extract(data, n, 50, 4 << 20, &p, err, sizeof err);
	size_t bytes = 0;
	for (size_t i = 0; i < p.n; i++)
		bytes += strlen(p.text[i]);
	cv_pages_release(&p);
	return rc || !bytes;
}
C
cc -std=c17 -D_GNU_SOURCE -O2 -Isrc -Ibuild/gen $(pkg-config --cflags poppler-glib) \
  -o "$OUT/cv_extract" "$OUT/cv_extract.c" "$LIB" $(pkg-config --libs $PKGS) -lstemmer -lpthread -lm

now() { date +%s%N; }
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
time_ms() { # command... -> median wall time in ms over RUNS
	local i t0 t1
	for ((i = 0; i < RUNS; i++)); do
		t0=$(now); "$@" >/dev/null 2>&1 || true; t1=$(now)
		echo "scale=3; ($t1 - $t0) / 1000000" | bc
	done | median
}
printf '%-42s %9s %9s %6s\n' pdf ours_ms pdftotext ratio
ratios=()
for pdf in "$PDFS"/*.pdf; do
	ours=$(time_ms "$OUT/cv_extract" "$pdf")
	ref=$(time_ms pdftotext -layout "$pdf" /dev/null)
	r=$(echo "scale=3; $ours / $ref" | bc)
	ratios+=("$r")
	printf '%-42s %9.1f %9.1f %6.2f\n' "$(basename "$pdf" .pdf)" "$ours" "$ref" "$r"
done
printf '%s\n' "${ratios[@]}" | median | awk '{printf "median ratio %.2f (target <= 1.5)\n", $1}'
