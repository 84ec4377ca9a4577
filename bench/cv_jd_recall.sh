#!/usr/bin/env bash
# JD skill recall on green2022-jd-skill-ner (336 job-description sentences, BIO tags): a gold
# Skill span counts as recalled when a hit overlaps it. Each sentence goes on its own through
# bench/cv_eval_driver -L: the taxonomy matcher, the job-description phrase finder
# (src/engines/cv/phrases.c), the skill phrase tagger (data/skills_tagger.tsv), and the
# requirements the engine would judge (cv_taxonomy_extract_requirements: a skill requirement
# counts at every mention of its skill, a phrase at its span). Recall is printed per source and
# for their unions, with the share of hits that overlap a gold Skill span (a loose precision:
# the corpus tags long free-text skills, so product names it leaves untagged count against it).
# Nothing was trained on this corpus; the phrase rules were written reading sentences 0-119
# ("dev", printed apart from the rest). Target: recall >= 0.7.
# Usage: bench/cv_jd_recall.sh [BIN (default build/matchd)]
#   TAGGER=path  another weight file (TAGGER= none: the taxonomy alone)
set -euo pipefail
BIN=${1:-build/matchd}
cd "$(dirname "$0")/.."
BUILD=$(dirname "$BIN")
DATA=${DATA:-../shared/data/cv/datasets/green2022-jd-skill-ner/testset.txt}
TAGGER=${TAGGER-data/skills_tagger.tsv}
PKGS=$(make -s --no-print-directory --eval='print-pkgs: ; @echo $(PKGS)' print-pkgs)
[ -f "$BUILD/libmatchd.a" ] || make --no-print-directory "$BUILD/libmatchd.a" >/dev/null
# shellcheck disable=SC2046
cc -O2 -std=c17 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-unused-parameter -Isrc -I"$BUILD/gen" \
	$(pkg-config --cflags $PKGS) bench/cv_eval_driver.c "$BUILD/libmatchd.a" \
	$(pkg-config --libs $PKGS) -lstemmer -lpthread -lm -o "$BUILD/cv_eval_driver"
mkdir -p build/bench
/usr/bin/python3 - "$DATA" "$BUILD/cv_eval_driver" "$TAGGER" <<'PY'
import subprocess, sys
data, driver, tagger = sys.argv[1:4]
sys.path.insert(0, "scripts")
from train_tagger import read_conll  # one CoNLL reader: (text, character spans) per sentence
text, gold = [], []
for si, (s, spans) in enumerate(read_conll(data)):
    # The driver reports byte offsets.
    gold += [(si, len(s[:a].encode()), len(s[:b].encode())) for a, b in spans]
    text.append(s)
open("build/bench/green_sentences.txt", "w", encoding="utf-8").write("\n".join(text) + "\n")
cmd = [driver, "-t", "data/skills.tsv", "-L"] + (["-g", tagger] if tagger != "none" else [])
out = subprocess.run(cmd + ["build/bench/green_sentences.txt"], check=True, capture_output=True,
                     text=True).stdout
hits = {"taxonomy": {}, "phrase": {}, "requirement": {}, "tagger": {}}
for l in out.splitlines():
    a, b, c, src = l.split("\t")
    hits[src].setdefault(int(a), []).append((int(b), int(b) + int(c)))
def union(*srcs):
    return {k: [h for s in srcs for h in hits[s].get(k, [])] for s in srcs for k in hits[s]}
hits["matcher+phrases"] = union("taxonomy", "phrase")
hits["all"] = union("taxonomy", "phrase", "tagger")
# Sentences 0..119 were read while the phrase rules were written (the development part); the
# rest were not looked at before the rules were fixed (held out).
DEV = 120
print(f"sentences {len(text)}  gold skill spans {len(gold)}  tagger {tagger}")
def report(name, h, keep):
    g = [x for x in gold if keep(x[0])]
    rec = sum(1 for si, a, b in g if any(x < b and a < y for x, y in h.get(si, [])))
    allh = [(si, x, y) for si, v in h.items() if keep(si) for x, y in v]
    inside = sum(1 for si, x, y in allh if any(x < b and a < y for s2, a, b in gold if s2 == si))
    print(f"{name:18s} JD skill recall {rec / max(1, len(g)):.3f} ({rec}/{len(g)})  hits "
          f"{len(allh)}, inside a gold skill span {inside / max(1, len(allh)):.3f}")
for src in ("taxonomy", "phrase", "tagger", "matcher+phrases", "all", "requirement"):
    report(src, hits[src], lambda si: True)
report("requirement, dev", hits["requirement"], lambda si: si < DEV)
report("requirement, held", hits["requirement"], lambda si: si >= DEV)
PY
