#!/usr/bin/env python3
"""K-fold cross-validation of scripts/learn_skills.py on the TRAINING split of dotin-resume-ner:
how its thresholds were chosen without looking at the test split.

Usage: bench/cv_eval_folds.py DRIVER [PARAMS...]   (DRIVER: build/cv_eval_driver, built by
bench/cv_eval.sh; each PARAMS is a learn_skills.py --params string, "" for the defaults,
optionally followed by " build:" and build_skills.py options, e.g. " build:--common-context")

       bench/cv_eval_folds.py DRIVER --tagger EPOCHS THRESHOLDS [TRAIN_OPTS]
   (the skill phrase tagger: in each fold scripts/train_tagger.py trains on the other folds,
   with the epochs listed in EPOCHS ("4,8"), and the held-out fold is scored with each
   decision threshold of THRESHOLDS ("0,-1000,-1000f": a final f also sets the param filter to 1,
   a final g to 2, a last v the param decode to 1 (Viterbi), see src/engines/cv/tagger.h); TRAIN_OPTS, one string, go to
   train_tagger.py, e.g. "--jackknife 0", or "--clusters build/word_clusters.tsv" for the word-
   cluster features (scripts/build_word_clusters.py; each fold's weights then carry the cluster
   lines, which the threshold copies keep). Prints one line per epochs and threshold.)

For each fold (CV i goes to fold i % 5 of the sorted file names) the vocabulary and the prose
list are learned from the other folds, the taxonomy is rebuilt with them into a scratch
directory, and the held-out fold is scored by bench/cv_eval.py. Prints micro-averaged skills
precision and recall (by name and as written) over the whole training split, per PARAMS, and
each fold's skills F1 with their standard deviation (the folds are the same for every setting,
so two settings are best compared fold by fold).
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile
import zipfile

K = 5
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAIN = os.path.join(ROOT, "..", "shared", "data", "cv", "datasets", "dotin-resume-ner",
                     "545_cvs_train_v2.zip")
PY = sys.executable
FIELDS = ("skills", "skills_as_written")


def set_threshold(src, dst, thr):
    """Copies the weights with threshold thr ("-20000"; a final "f" also sets filter 1, "g" 2)."""
    with open(src, encoding="utf-8") as f:
        lines = f.read().split("\n")
    decode = "1" if thr.endswith("v") else "0"
    thr = thr.rstrip("v")
    filt = "1" if thr.endswith("f") else "2" if thr.endswith("g") else "0"
    thr = thr.rstrip("fg")
    lines = [f"param\tthreshold\t{thr}\nparam\tfilter\t{filt}\nparam\tdecode\t{decode}"
             if ln.startswith("param\tthreshold\t") else ln
             for ln in lines
             if not ln.startswith("param\tfilter\t") and not ln.startswith("param\tdecode\t")]
    with open(dst, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))


def fold_setup(f, names, data, tmp, learn_params="", build_opts=()):
    """Writes held-out fold f to a zip and builds a taxonomy whose learned vocabulary comes from
    the other folds. Returns (fold zip, skills.tsv, the held-out CVs' names joined by commas)."""
    held = [n for i, n in enumerate(names) if i % K == f]
    fz = os.path.join(tmp, f"fold{f}.zip")
    with zipfile.ZipFile(fz, "w") as out:
        for n in held:
            out.writestr(n, data[n])
    learned = os.path.join(tmp, "learned.tsv")
    skills = os.path.join(tmp, "skills.tsv")
    ex = ",".join(os.path.basename(n) for n in held)
    subprocess.run([PY, os.path.join(ROOT, "scripts", "learn_skills.py"), "--exclude-cvs", ex,
                    "--params", learn_params, "--out", learned], check=True, capture_output=True)
    subprocess.run([PY, os.path.join(ROOT, "scripts", "build_skills.py"), "--learned", learned,
                    "--out", skills] + list(build_opts), check=True, capture_output=True)
    return fz, skills, ex


def score(driver, fz, skills, tagger, tot, key):
    """Scores the fold with bench/cv_eval.py and adds its counts to tot[(key, field)]."""
    out = subprocess.run([PY, os.path.join(ROOT, "bench", "cv_eval.py"), driver, fz, skills] +
                         ([tagger] if tagger else []), check=True, capture_output=True,
                         text=True).stdout
    rep = json.loads(out)
    for field in FIELDS:
        t = tot.setdefault((key, field), [0, 0, 0, 0])
        for i, k in enumerate(("right", "predicted", "found", "gold")):
            t[i] += rep[field][k]
    # Each fold's skills F1, so that a difference can be weighed against the folds' spread.
    sk = rep["skills"]
    p, r = sk["right"] / max(1, sk["predicted"]), sk["found"] / max(1, sk["gold"])
    tot.setdefault((key, "folds"), []).append(2 * p * r / (p + r) if p + r else 0.0)


def pr_line(title, tot, key):
    parts = [title]
    for field in FIELDS:
        rp, np_, fg, ng = tot[(key, field)]
        parts.append(f"{field} P {rp / max(1, np_):.3f} R {fg / max(1, ng):.3f}")
    f1 = tot.get((key, "folds"), [])
    if len(f1) > 1:
        parts.append("skills F1 per fold " + " ".join(f"{x:.3f}" for x in f1) +
                     f" (sd {statistics.stdev(f1):.3f})")
    return "  ".join(parts)


def tagger_folds(driver, epochs, thresholds, opts, names, data, tmp):
    tot = {}
    for f in range(K):
        fz, skills, ex = fold_setup(f, names, data, tmp)
        tg = os.path.join(tmp, "tagger.tsv")
        subprocess.run([PY, os.path.join(ROOT, "scripts", "train_tagger.py"), "--driver", driver,
                        "--skills", skills, "--exclude-cvs", ex, "--epochs", epochs, "--per-epoch",
                        "--out", tg] + opts.split(), check=True, capture_output=True)
        for e in epochs.split(","):
            for thr in thresholds.split(","):
                tt = os.path.join(tmp, "t.tsv")
                set_threshold(f"{tg}.e{e}", tt, thr)
                score(driver, fz, skills, tt, tot, (e, thr))
        print(f"fold {f + 1}/{K} done", file=sys.stderr, flush=True)
    for e in epochs.split(","):
        for thr in thresholds.split(","):
            print(pr_line(f"tagger epochs {e} threshold {thr}:", tot, (e, thr)), flush=True)


def main():
    driver = sys.argv[1]
    params = sys.argv[2:] or [""]
    with zipfile.ZipFile(TRAIN) as z:
        names = sorted(n for n in z.namelist() if n.endswith(".xml") and "__MACOSX" not in n)
        data = {n: z.read(n) for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        if params[0] == "--tagger":
            tagger_folds(driver, params[1], params[2], params[3] if len(params) > 3 else "",
                         names, data, tmp)
            return
        for p in params:
            tot = {}
            learn_p, _, build_p = p.partition(" build:")
            for f in range(K):
                fz, skills, _ex = fold_setup(f, names, data, tmp, learn_p, build_p.split())
                score(driver, fz, skills, None, tot, p)
            print(pr_line(f"params {p or '(defaults)'}:", tot, p), flush=True)


if __name__ == "__main__":
    main()
