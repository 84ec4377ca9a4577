#!/usr/bin/env bash
# JD skill recall of the taxonomy matcher on green2022-jd-skill-ner (671 job-description
# sentences, BIO tags): a gold Skill span counts as recalled when a taxonomy hit overlaps it.
# Also prints the share of hits that overlap a gold Skill span (a loose precision: the corpus
# tags long free-text skills, so product names it leaves untagged count against it). Target:
# recall >= 0.7.
# Usage: bench/cv_jd_recall.sh [matchd-binary, ignored]
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${DATA:-../shared/data/cv/datasets/green2022-jd-skill-ner/testset.txt}
mkdir -p build/bench
cc -std=c17 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -Isrc \
  -o build/bench/cv_taxonomy_bench bench/cv_taxonomy_bench.c src/engines/cv/taxonomy.c \
  src/text/normalize.c src/base/buf.c src/base/alloc.c src/base/err.c \
  $(pkg-config --libs libutf8proc) -lm
python3 - "$DATA" <<'PY'
import subprocess, sys
sents, cur = [], []
for line in open(sys.argv[1], encoding="utf-8"):
    parts = line.split()
    if not parts:
        if cur:
            sents.append(cur)
        cur = []
        continue
    cur.append((parts[0], parts[-1] if len(parts) > 1 else "O"))
if cur:
    sents.append(cur)
text, gold = [], []
for si, toks in enumerate(sents):
    s, off, span = "", [], None
    for w, tag in toks:
        if s:
            s += " "
        start = len(s.encode())
        s += w
        end = len(s.encode())
        if tag == "B-Skill" or (tag == "I-Skill" and span is None):
            if span:
                gold.append((si,) + span)
            span = (start, end)
        elif tag == "I-Skill":
            span = (span[0], end)
        else:
            if span:
                gold.append((si,) + span)
            span = None
    if span:
        gold.append((si,) + span)
    text.append(s)
open("build/bench/green_sentences.txt", "w", encoding="utf-8").write("\n".join(text) + "\n")
out = subprocess.run(["build/bench/cv_taxonomy_bench", "data/skills.tsv",
                      "build/bench/green_sentences.txt", "--lines"], check=True,
                     capture_output=True, text=True).stdout
hits = {}
for l in out.splitlines():
    if "\t" not in l:
        continue
    a, b, c = map(int, l.split("\t"))
    hits.setdefault(a, []).append((b, b + c))
rec = sum(1 for si, a, b in gold if any(x < b and a < y for x, y in hits.get(si, [])))
allh = [(si, x, y) for si, v in hits.items() for x, y in v]
inside = sum(1 for si, x, y in allh if any(x < b and a < y for s2, a, b in gold if s2 == si))
print(f"sentences {len(sents)}  gold skill spans {len(gold)}  hits {len(allh)}")
print(f"JD skill recall {rec / max(1, len(gold)):.3f}  ({rec}/{len(gold)})")
print(f"hits inside a gold skill span {inside / max(1, len(allh)):.3f}")
PY
