#!/usr/bin/env python3
"""What the dotin-resume-ner labels allow a dictionary to reach, as a yardstick for the skill
targets of bench/cv_eval.py (precision >= 0.75, recall >= 0.85). No engine is run.

Usage: bench/cv_eval_bounds.py TEST_ZIP TRAIN_ZIP

Same gold sets and the same matching rule as bench/cv_eval.py ("Tech Tools" + "Job Specific
Skills", normalised token sequences, equal or one inside the other), printed for the test split:
  - the test split's own gold phrases as a dictionary, found wherever they occur in each CV
    (an oracle that knows every test label but not where the annotators chose to mark it: its
    precision measures how consistently a phrase is labelled once it is in the text);
  - the training split's gold phrases as a dictionary (what memorising the training labels
    reaches on unseen CVs, context aside);
  - how many test gold phrases equal, contain or are contained in a training phrase (the rest
    must be found by generalisation alone).
"""
import html
import os
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from cv_eval import LABEL, TAG, inside, match, norm  # noqa: E402  one definition of the rule

TYPES = ("Tech Tools", "Job Specific Skills")


def read(zpath):
    """[(normalised text, set of normalised gold phrases)] per CV of the zip."""
    cvs = []
    with zipfile.ZipFile(zpath) as z:
        for name in sorted(n for n in z.namelist() if n.endswith(".xml") and "__MACOSX" not in n):
            xml = z.read(name).decode("utf-8", errors="replace")
            body = xml.split("<cv>", 1)[-1].rsplit("</cv>", 1)[0]
            gold = {norm(html.unescape(TAG.sub("", t))) for typ, t in LABEL.findall(body)
                    if typ in TYPES}
            cvs.append((norm(html.unescape(TAG.sub("", body))), {g for g in gold if g}))
    return cvs


def score(cvs, dictionary):
    tp_p = n_p = tp_g = n_g = 0
    for text, gold in cvs:
        pred = {d for d in dictionary if inside(d, text)}
        tp_p += sum(any(match(p, g) for g in gold) for p in pred)
        n_p += len(pred)
        tp_g += sum(any(match(g, p) for p in pred) for g in gold)
        n_g += len(gold)
    return tp_p / max(1, n_p), tp_g / max(1, n_g), n_p


def main():
    test, train = read(sys.argv[1]), read(sys.argv[2])
    own = set().union(*(g for _, g in test))
    learned = set().union(*(g for _, g in train))
    n_gold = sum(len(g) for _, g in test)
    print(f"test: {len(test)} CVs, {n_gold} gold skills ({len(own)} distinct); "
          f"training: {len(train)} CVs, {len(learned)} distinct gold phrases")
    p, r, n = score(test, own)
    print(f"oracle, the test split's own phrases: P {p:.3f} R {r:.3f} ({n} predicted)")
    p, r, n = score(test, learned)
    print(f"the training split's phrases:         P {p:.3f} R {r:.3f} ({n} predicted)")
    covered = sum(1 for _, g in test for x in g if any(match(x, t) for t in learned))
    print(f"test gold skills related to a training phrase: {covered}/{n_gold} "
          f"({covered / n_gold:.3f}); recall 0.85 needs {int(0.85 * n_gold + 0.999)}")


if __name__ == "__main__":
    main()
