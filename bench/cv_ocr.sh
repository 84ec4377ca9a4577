#!/usr/bin/env bash
# OCR of scanned CVs (src/engines/cv/ocr.c) and the extraction child's memory.
#   1. Each shared CV's first page is turned into a scan (tests/api/scanned_pdf.py: pdftoppm at
#      DPI, the bitmap as the only content of a new PDF) and extracted RUNS times by
#      `matchd __extract-pdf` with the server's default limits (RLIMIT_AS 512 MiB, CPU 20 s):
#      median wall ms, median CPU ms (user + sys), peak RSS, and whether the name and the email
#      of tests/data/cv_expected/ came through OCR. Then once more under a 256 MiB RLIMIT_AS.
#   2. The text PDFs themselves: peak RSS of the child, and whether each extracts under 256 MiB.
# Usage: bench/cv_ocr.sh [matchd-binary] ; RUNS=3 DPI=200 LANGS=eng by default.
set -euo pipefail
BIN=${1:-build/matchd}
cd "$(dirname "$0")/.."
RUNS=${RUNS:-3}
DPI=${DPI:-200}
PDFS=${PDFS:-../shared/data/cv/pdfs}
OUT=${OUT:-build/bench/ocr}
export MATCHD_OCR_LANGS=${LANGS:-eng}
command -v pdftoppm >/dev/null || { echo "pdftoppm (poppler-utils) is needed" >&2; exit 1; }
[ -x "$BIN" ] || make -s "$BIN" >/dev/null
mkdir -p "$OUT"
median() { sort -g | awk '{v[NR]=$1} END {print (NR%2) ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2}'; }
# run PDF MEM_BYTES -> "wall_ms cpu_ms rss_kb exit" ; the text goes to $OUT/last.txt. stdout is a
# pipe as in the server (the child runs with RLIMIT_FSIZE 0: it may not write regular files).
run() {
	/usr/bin/time -f "%e %U %S %M %x" -o "$OUT/time" "$BIN" __extract-pdf --mem "$2" <"$1" 2>/dev/null |
		cat >"$OUT/last.txt" || true
	read -r wall user sys rss code <"$OUT/time"
	awk -v w="$wall" -v u="$user" -v s="$sys" -v r="$rss" -v c="$code" \
		'BEGIN {printf "%.0f %.0f %d %d\n", w * 1000, (u + s) * 1000, r, c}'
}
echo "uptime: $(uptime)"
echo "== 1. scanned first pages, OCR with $MATCHD_OCR_LANGS, scan at $DPI dpi, median of $RUNS"
printf '%-40s %8s %8s %8s %6s %6s %8s\n' pdf wall_ms cpu_ms rss_MiB name email 256MiB
for pdf in "$PDFS"/*.pdf; do
	base=$(basename "$pdf" .pdf)
	scan="$OUT/$base.scan.pdf"
	/usr/bin/python3 tests/api/scanned_pdf.py "$pdf" "$scan" 1 "$DPI"
	walls=() cpus=() rss=0
	for _ in $(seq "$RUNS"); do
		read -r w c r code < <(run "$scan" $((512 << 20)))
		[ "$code" = 0 ] || { echo "$base: extraction failed (exit $code)" >&2; exit 1; }
		walls+=("$w") cpus+=("$c")
		[ "$r" -gt "$rss" ] && rss=$r
	done
	grep -q "MDOCR 1 1$" "$OUT/last.txt" || { echo "$base: page 1 was not OCR'd" >&2; exit 1; }
	exp="tests/data/cv_expected/$base.json"
	name=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["name"] or "")' "$exp")
	email=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["email"] or "")' "$exp")
	hn=no he=no
	[ -n "$name" ] || hn=-
	[ -n "$email" ] || he=-
	[ -n "$name" ] && grep -qiF "$name" "$OUT/last.txt" && hn=yes
	[ -n "$email" ] && grep -qiF "$email" "$OUT/last.txt" && he=yes
	read -r _ _ _ code256 < <(run "$scan" $((256 << 20)))
	printf '%-40s %8s %8s %8.1f %6s %6s %8s\n' "$base" \
		"$(printf '%s\n' "${walls[@]}" | median)" "$(printf '%s\n' "${cpus[@]}" | median)" \
		"$(awk -v r="$rss" 'BEGIN {print r / 1024}')" "$hn" "$he" "$([ "$code256" = 0 ] && echo ok || echo FAIL)"
done
echo "== 2. the text PDFs: the child's peak RSS, and a run under a 256 MiB RLIMIT_AS"
printf '%-40s %8s %8s\n' pdf rss_MiB 256MiB
for pdf in "$PDFS"/*.pdf; do
	read -r _ _ r _ < <(run "$pdf" $((512 << 20)))
	read -r _ _ _ code256 < <(run "$pdf" $((256 << 20)))
	printf '%-40s %8.1f %8s\n' "$(basename "$pdf" .pdf)" "$(awk -v r="$r" 'BEGIN {print r / 1024}')" \
		"$([ "$code256" = 0 ] && echo ok || echo FAIL)"
done
echo "uptime: $(uptime)"
