#!/usr/bin/env python3
"""learn_skills.py: derives data/skills_learned.tsv from the TRAINING split of dotin-resume-ner
(../shared/data/cv/datasets/dotin-resume-ner/545_cvs_train_v2.zip, 310 labelled CVs). It never
reads the test split (set_aside_test_v2_50cvs.zip), which bench/cv_eval.sh reports on.

    scripts/learn_skills.py [--train ZIP] [--skills data/skills.tsv] [--out data/skills_learned.tsv]

Then rebuild the taxonomy: scripts/build_skills.py merges the file into data/skills.tsv. Python 3
standard library only; deterministic (same input, same bytes).

Gold skills are the labels "Tech Tools" and "Job Specific Skills" (as in bench/cv_eval.py). A
phrase "occurs" in a CV when its token key (the key of taxonomy.c: case-folded tokens, multi-token
names lightly stemmed) is a run of the CV's tokens; an occurrence is "labelled" when the phrase
equals, contains or lies inside one of that CV's gold skills. Two kinds of line come out:

  prose   a name of the taxonomy (label or alias) that occurs in at least PROSE_MIN_OCC training
          CVs and is labelled in fewer than PROSE_MAX_RATE of them ("communication", "plan",
          "history", "English": words a CV uses in prose far more often than as a skill). The
          taxonomy keeps the name, but flags it needs_context: it is then reported only in a
          skills section, after a "Skills:" label or in a list next to another skill.
  vocab   a gold skill phrase of at most VOCAB_MAX_TOKENS tokens, labelled in at least
          VOCAB_MIN_DF training CV(s) and in at least VOCAB_MIN_RATE of the CVs where it occurs,
          that no taxonomy name covers ("SAP", "J2EE", "web development"). It becomes a taxonomy
          row learned:<slug>, labelled with its most common written form.

The thresholds were chosen by 5-fold cross-validation on the training split alone.
"""
import argparse
import html
import os
import re
import sys
import zipfile
from collections import Counter, defaultdict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from build_skills import key, stem, tokens  # noqa: E402  (the same normalisation)

SKILL_TYPES = ("Tech Tools", "Job Specific Skills")
PROSE_MIN_OCC = 2
PROSE_MAX_RATE = 0.3
VOCAB_MAX_TOKENS = 4
VOCAB_MIN_DF = 1
VOCAB_MIN_RATE = 0.35
THRESHOLDS = ("PROSE_MIN_OCC", "PROSE_MAX_RATE", "VOCAB_MAX_TOKENS", "VOCAB_MIN_DF",
              "VOCAB_MIN_RATE")
MAX_N = 6  # longest taxonomy name considered for the prose list, in tokens

LABEL = re.compile(r'<label type="([^"]*)">(.*?)</label>', re.S)
TAG = re.compile(r"<[^>]+>")


def read_cvs(path, leave_out=frozenset()):
    cvs = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(n for n in z.namelist()
                           if n.endswith(".xml") and "__MACOSX" not in n
                           and os.path.basename(n) not in leave_out):
            xml = z.read(name).decode("utf-8", errors="replace")
            body = xml.split("<cv>", 1)[-1].rsplit("</cv>", 1)[0]
            labels = [(t, html.unescape(TAG.sub("", x)).strip()) for t, x in LABEL.findall(body)]
            gold = [x for t, x in labels if t in SKILL_TYPES and tokens(x)]
            soft = [x for t, x in labels if t == "Soft Skills" and tokens(x)]
            cvs.append((html.unescape(TAG.sub("", body)), gold, soft))
    return cvs


def ktoks(s):
    """Stemmed tokens: one comparable form for phrases of any length."""
    return tuple(stem(t) for t in tokens(s))


def inside(a, b):
    n = len(a)
    return n > 0 and any(b[i:i + n] == a for i in range(len(b) - n + 1))


def related(a, b):
    return a == b or inside(a, b) or inside(b, a)


def grams(toks, max_n):
    out = set()
    for n in range(1, max_n + 1):
        for i in range(len(toks) - n + 1):
            out.add(toks[i:i + n])
    return out


def taxonomy_names(path):
    """Stemmed-token form -> (name as written, label) of every non-learned name."""
    names = {}
    with open(path, encoding="utf-8") as f:
        header = True
        for line in f:
            if line.startswith("#"):
                continue
            if header:
                header = False
                continue
            col = line.rstrip("\n").split("\t")
            if col[0].startswith("learned:"):
                continue
            # Names already flagged needs_context are kept, so that a second run (on the
            # skills.tsv this file went into) gives the same bytes.
            group = col[0].startswith(("esco-group:", "onet-cat:"))
            for nm in [col[1]] + [a for a in col[5].split("|") if a]:
                kt = ktoks(nm)
                if group and len(kt) == 1:
                    continue  # taxonomy.c never matches one-word group names ("programming")
                if kt and len(kt) <= MAX_N:
                    names.setdefault(kt, (nm, col[1]))
    return names


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    root = os.path.dirname(here)
    ap = argparse.ArgumentParser()
    ap.add_argument("--train", default=os.path.join(
        root, "..", "shared", "data", "cv", "datasets", "dotin-resume-ner",
        "545_cvs_train_v2.zip"))
    ap.add_argument("--skills", default=os.path.join(root, "data", "skills.tsv"))
    ap.add_argument("--out", default=os.path.join(root, "data", "skills_learned.tsv"))
    ap.add_argument("--exclude-cvs", default="",
                    help="CV file names of the zip to leave out (cross-validation folds)")
    ap.add_argument("--params", default="",
                    help="threshold overrides, e.g. VOCAB_MIN_RATE=0.5,VOCAB_MIN_DF=1")
    args = ap.parse_args()
    for kv in filter(None, args.params.split(",")):
        k, v = kv.split("=")
        if k not in THRESHOLDS:
            sys.exit(f"unknown threshold {k}")
        globals()[k] = type(globals()[k])(v)
    if "set_aside_test" in os.path.basename(args.train):
        sys.exit("learn_skills.py: refusing the test split")
    cvs = read_cvs(args.train, set(filter(None, args.exclude_cvs.split(","))))
    docs = [(grams(ktoks(text), MAX_N), [ktoks(g) for g in gold], [ktoks(g) for g in soft])
            for text, gold, soft in cvs]

    def rate(kt, soft=False):
        occ = lab = 0
        for gr, gold, sl in docs:
            if kt in gr:
                occ += 1
                lab += any(related(kt, g) for g in (sl if soft else gold))
        return occ, lab

    lines = []
    # Prose names of the taxonomy.
    names = taxonomy_names(args.skills)
    occ_n = Counter()
    for gr, _gold, _soft in docs:
        for g in gr:
            if g in names:
                occ_n[g] += 1
    for kt in sorted(k for k, v in occ_n.items() if v >= PROSE_MIN_OCC):
        occ, lab = rate(kt)
        # A soft skill ("communication", "customer service") is a skill all the same, one the
        # annotators filed under "Soft Skills": a job description may require it, so it is not
        # a prose word.
        if lab < PROSE_MAX_RATE * occ and rate(kt, soft=True)[1] < PROSE_MAX_RATE * occ:
            nm, label = names[kt]
            lines.append(("prose", nm, label, occ, lab))
    # Vocabulary from the gold labels.
    df = Counter()
    forms = defaultdict(Counter)
    for (gr, gold, _soft), (_text, raw, _raw_soft) in zip(docs, cvs):
        for kt in set(gold):
            df[kt] += 1
        for g in raw:
            forms[ktoks(g)][re.sub(r"\s+", " ", g)] += 1
    for kt in sorted(k for k, v in df.items() if v >= VOCAB_MIN_DF and len(k) <= VOCAB_MAX_TOKENS):
        if kt in names:
            continue
        occ, lab = rate(kt)
        if occ and lab >= VOCAB_MIN_RATE * occ:
            form = sorted(forms[kt].items(), key=lambda x: (-x[1], x[0]))[0][0]
            if not key(form):
                continue
            lines.append(("vocab", form, "", occ, lab))
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write("# skills_learned.tsv: generated by scripts/learn_skills.py from the TRAINING split of\n"
                "# dotin-resume-ner (545_cvs_train_v2.zip, CC0); do not edit by hand. Merged into\n"
                "# skills.tsv by scripts/build_skills.py. occ = training CVs where the phrase occurs,\n"
                "# labelled = those where it is (part of) a gold skill. See the script's docstring.\n")
        f.write(f"# thresholds: prose occ >= {PROSE_MIN_OCC} and labelled < {PROSE_MAX_RATE} occ; "
                f"vocab df >= {VOCAB_MIN_DF}, <= {VOCAB_MAX_TOKENS} tokens, "
                f"labelled >= {VOCAB_MIN_RATE} occ\n")
        f.write("kind\tname\tskill\tocc\tlabelled\n")
        for kind, nm, label, occ, lab in lines:
            f.write(f"{kind}\t{nm}\t{label}\t{occ}\t{lab}\n")
    os.replace(tmp, args.out)
    print(f"{args.out}: {sum(x[0] == 'prose' for x in lines)} prose names, "
          f"{sum(x[0] == 'vocab' for x in lines)} vocabulary phrases", file=sys.stderr)


if __name__ == "__main__":
    main()
