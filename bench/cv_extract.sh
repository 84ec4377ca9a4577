#!/usr/bin/env bash
# CV text extraction (src/engines/cv/pdftext.c: poppler glyph boxes -> layout -> repairs)
# against `pdftotext -layout` on the ten shared CVs, RUNS times each; the figure per PDF is the
# median wall time. Two ways of running ours:
#   sandbox  as the server does (the issue's "extraction inside the sandbox"): bench/
#            cv_sandbox_bench.c calls sandbox_extract_pdf through a warm fork server of the
#            matchd binary: a fork, the limits, the extraction, the pipes back;
#   fresh    a fresh process linking the library (inline driver below): poppler, GLib and
#            cairo's dynamic loading and start-up on every PDF, which the server never pays.
# pdftotext is a fresh process each time (its own start-up included). The last lines give the
# median of the per-PDF ratios for each (target: sandbox <= 1.5).
# Usage: bench/cv_extract.sh [matchd-binary, default build/matchd] ; RUNS=7 by default.
set -euo pipefail
BIN=${1:-build/matchd}
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
cc -std=c17 -D_GNU_SOURCE -O2 -Isrc -Ibuild/gen $(pkg-config --cflags $PKGS) \
  -o "$OUT/cv_sandbox_bench" bench/cv_sandbox_bench.c "$LIB" $(pkg-config --libs $PKGS) \
  -lstemmer -lpthread -lm
[ -x "$BIN" ] || make -s "$BIN" >/dev/null
declare -A sandbox
while IFS=$'\t' read -r f ms; do sandbox[$f]=$ms; done < <("$OUT/cv_sandbox_bench" "$BIN" "$RUNS" "$PDFS"/*.pdf)
printf '%-42s %8s %8s %9s %7s %7s\n' pdf sandbox fresh pdftotext ratio fresh_r
ratios=()
fresh_ratios=()
for pdf in "$PDFS"/*.pdf; do
	fresh=$(time_ms "$OUT/cv_extract" "$pdf")
	ref=$(time_ms pdftotext -layout "$pdf" /dev/null)
	ours=${sandbox[$pdf]}
	r=$(echo "scale=3; $ours / $ref" | bc)
	fr=$(echo "scale=3; $fresh / $ref" | bc)
	ratios+=("$r")
	fresh_ratios+=("$fr")
	printf '%-42s %8.1f %8.1f %9.1f %7.2f %7.2f\n' "$(basename "$pdf" .pdf)" "$ours" "$fresh" "$ref" "$r" "$fr"
done
printf '%s\n' "${fresh_ratios[@]}" | median | awk '{printf "median ratio, fresh process %.2f\n", $1}'
printf '%s\n' "${ratios[@]}" | median | awk '{printf "median ratio %.2f (sandbox, as the server extracts; target <= 1.5)\n", $1}'
