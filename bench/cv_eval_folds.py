#!/usr/bin/env python3
"""K-fold cross-validation of scripts/learn_skills.py on the TRAINING split of dotin-resume-ner:
how its thresholds were chosen without looking at the test split.

Usage: bench/cv_eval_folds.py DRIVER [PARAMS...]   (DRIVER: build/cv_eval_driver, built by
bench/cv_eval.sh; each PARAMS is a learn_skills.py --params string, "" for the defaults,
optionally followed by " build:" and build_skills.py options, e.g. " build:--common-context")

For each fold (CV i goes to fold i % 5 of the sorted file names) the vocabulary and the prose
list are learned from the other folds, the taxonomy is rebuilt with them into a scratch
directory, and the held-out fold is scored by bench/cv_eval.py. Prints micro-averaged skills
precision and recall (by name and as written) over the whole training split, per PARAMS.
"""
import json
import os
import subprocess
import sys
import tempfile
import zipfile

K = 5
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = os.path.join(ROOT, "..", "shared", "data", "cv", "datasets", "dotin-resume-ner",
                     "545_cvs_train_v2.zip")
PY = sys.executable


def main():
    driver = sys.argv[1]
    params = sys.argv[2:] or [""]
    with zipfile.ZipFile(TRAIN) as z:
        names = sorted(n for n in z.namelist() if n.endswith(".xml") and "__MACOSX" not in n)
        data = {n: z.read(n) for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        for p in params:
            tot = {}
            for f in range(K):
                held = [n for i, n in enumerate(names) if i % K == f]
                fz = os.path.join(tmp, f"fold{f}.zip")
                with zipfile.ZipFile(fz, "w") as out:
                    for n in held:
                        out.writestr(n, data[n])
                learned = os.path.join(tmp, "learned.tsv")
                learn_p, _, build_p = p.partition(" build:")
                skills = os.path.join(tmp, "skills.tsv")
                subprocess.run([PY, os.path.join(ROOT, "scripts", "learn_skills.py"),
                                "--exclude-cvs", ",".join(os.path.basename(n) for n in held),
                                "--params", learn_p, "--out", learned], check=True,
                               capture_output=True)
                subprocess.run([PY, os.path.join(ROOT, "scripts", "build_skills.py"),
                                "--learned", learned, "--out", skills] + build_p.split(),
                               check=True, capture_output=True)
                out = subprocess.run([PY, os.path.join(ROOT, "bench", "cv_eval.py"), driver, fz,
                                      skills], check=True, capture_output=True, text=True).stdout
                rep = json.loads(out)
                for field in ("skills", "skills_as_written"):
                    t = tot.setdefault(field, [0, 0, 0, 0])
                    r = rep[field]
                    for i, k in enumerate(("right", "predicted", "found", "gold")):
                        t[i] += r[k]
            line = [f"params {p or '(defaults)'}:"]
            for field, (rp, np_, fg, ng) in tot.items():
                line.append(f"{field} P {rp / max(1, np_):.3f} R {fg / max(1, ng):.3f}")
            print("  ".join(line), flush=True)


if __name__ == "__main__":
    main()
