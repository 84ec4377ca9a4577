#!/usr/bin/env bash
# The skills taxonomy: time to load data/skills.tsv and to match each shared CV text
# (../shared/data/cv/pdfs/*.txt, the pdftotext -layout output). Targets: load < 200 ms, match of
# a 2-page CV < 5 ms. Builds bench/cv_taxonomy_bench.c from the few sources it needs, so it runs
# even while other modules are mid-edit.
# Usage: bench/cv_taxonomy.sh [matchd-binary, ignored]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/cv}
mkdir -p build/bench
cc -std=c17 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Isrc \
  -o build/bench/cv_taxonomy_bench bench/cv_taxonomy_bench.c src/engines/cv/taxonomy.c \
  src/text/normalize.c src/base/buf.c src/base/alloc.c src/base/err.c \
  $(pkg-config --libs libutf8proc) -lm
for f in "$DATA"/pdfs/*.txt; do
  echo "== $(basename "$f")"
  build/bench/cv_taxonomy_bench data/skills.tsv "$f"
done
