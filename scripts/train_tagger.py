#!/usr/bin/env python3
"""train_tagger.py: trains the skill phrase tagger of the CV engine (src/engines/cv/tagger.c) on
the TRAINING split of dotin-resume-ner (../shared/data/cv/datasets/dotin-resume-ner/
545_cvs_train_v2.zip, 310 labelled CVs) and writes its weights, data/skills_tagger.tsv. It
never reads the test split (set_aside_test_v2_50cvs.zip), which bench/cv_eval.sh reports on.

    scripts/train_tagger.py [--driver build/cv_eval_driver] [--out data/skills_tagger.tsv]

The driver is bench/cv_eval_driver.c (bench/cv_eval.sh builds it). Python 3 standard library
only; deterministic (a fixed seed: same input, same bytes).

How. The engine computes the features: the driver runs it on each CV's text with -F and prints
every token's static features (tagger.c), so what is learned here is exactly what the engine
sees. The gold labels ("Tech Tools" and "Job Specific Skills", as in bench/cv_eval.py) are
character spans of the text; the engine's tokens are aligned with Python's tokens of the same
text (difflib, for the few CVs whose normalised text differs) and tagged B, I or O. A phrase
never crosses a line: a gold span's first token on a new line is a B.

The model is an averaged perceptron with greedy left-to-right decoding; the features of the two
previous tags ("t=", "tt=", "tw=", "ts=") are added here exactly as tagger.c adds them. The
taxonomy's learned vocabulary (data/skills_learned.tsv) comes from these same training CVs, so
the feature "a taxonomy name covers this token" would look more reliable in training than on a
new CV; --jackknife K (default 5) computes each training CV's features with a taxonomy whose
learned vocabulary was learned without its fold (scripts/learn_skills.py --exclude-cvs, then
scripts/build_skills.py), as a new CV would see it.

--structured trains a structured perceptron instead: each line is decoded with Viterbi over tag
pairs (tagger.c's viterbi(), same features) and the weights move from the predicted sequence's
features to the gold sequence's; the file then says param decode 1.

Hyper-parameters (epochs, threshold) were chosen by 5-fold cross-validation on the training split
alone (bench/cv_eval_folds.py --tagger). --epochs takes a list ("4,8"): the weights after each
are written to OUT.e<N> when more than one is given.

--clusters FILE adds word-cluster features: FILE is any tagger weight file with "cluster" lines
(scripts/build_word_clusters.py writes one from unlabelled text; data/skills_tagger.tsv holds
them once trained so), the driver computes the cluster features with them (-g), and the weights
written carry the same cluster lines, so the engine sees what training saw. Without it the
output is what it was before clusters existed, byte for byte.

--conll FILE (green2022-jd-skill-ner's testset.txt) does something else: a K-fold cross-
validation of a tagger trained on that file's own sentences, printed, no weights written; the
shipped weights never see that file.
"""
import argparse
import difflib
import html
import os
import random
import re
import subprocess
import sys
import tempfile
import zipfile

SKILL_TYPES = ("Tech Tools", "Job Specific Skills")
SCALE = 1000  # weights are written as integers: the averaged weight times SCALE
TAGS = "OBI"
PIECE = re.compile(r'<label type="([^"]*)">|</label>|<[^>]+>|[^<]+|<', re.S)
RAW_TOKEN = re.compile(r"\.?\w+(?:\.\w+)*(?:\+\+|#)?|[^\w\s]")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TRAIN = os.path.join(ROOT, "..", "shared", "data", "cv", "datasets", "dotin-resume-ner",
                     "545_cvs_train_v2.zip")


def read_cv(xml):
    """The CV's text (as bench/cv_eval.py gives it to the engine) and its gold skill spans."""
    body = xml.split("<cv>", 1)[-1].rsplit("</cv>", 1)[0]
    out, spans, stack = [], [], []
    pos = 0
    for m in PIECE.finditer(body):
        s = m.group(0)
        if m.group(1) is not None:
            stack.append((m.group(1), pos))
        elif s == "</label>":
            if stack:
                typ, start = stack.pop()
                if typ in SKILL_TYPES and pos > start:
                    spans.append((start, pos))
        elif s.startswith("<") and len(s) > 1:
            continue
        else:
            t = html.unescape(s)
            out.append(t)
            pos += len(t)
    return "".join(out), sorted(spans)


def raw_tokens(text, spans):
    """Python's tokens of the text with B/I/O from the gold spans."""
    toks = []
    k = 0
    for m in RAW_TOKEN.finditer(text):
        s = m.start()
        while k < len(spans) and spans[k][1] <= s:
            k += 1
        tag = "O"
        if k < len(spans) and spans[k][0] <= s < spans[k][1]:
            tag = "I" if toks and toks[-1][2] == k else "B"
        toks.append((m.group(0).lower(), tag, k if tag != "O" else -1))
    return [(w, t) for w, t, _ in toks]


def read_zip(path, leave_out=frozenset(), only=None):
    if "set_aside_test" in os.path.basename(path):
        sys.exit("train_tagger.py: refusing the test split")
    cvs = []
    with zipfile.ZipFile(path) as z:
        for name in sorted(n for n in z.namelist() if n.endswith(".xml") and "__MACOSX" not in n):
            base = os.path.basename(name)
            if base in leave_out or (only is not None and base not in only):
                continue
            cvs.append((base, read_cv(z.read(name).decode("utf-8", errors="replace"))))
    return cvs


def read_clusters(path):
    """The "cluster" lines of a tagger weight file (with their line ends), in file order."""
    with open(path, encoding="utf-8") as f:
        return [ln for ln in f if ln.startswith("cluster\t")]


def cluster_file(clusters, tmp):
    """A weight file holding only the clusters, for the driver's -g; None without clusters."""
    if not clusters:
        return None
    p = os.path.join(tmp, "clusters.tsv")
    with open(p, "w", encoding="utf-8", newline="\n") as f:
        f.write("matchd-skill-tagger\t1\n")
        f.writelines(clusters)
    return p


def dump_features(driver, skills, cvs, tmp, clusters=None):
    """Runs the engine on the CVs; returns per CV the list of lines, each a list of
    (token text, static features). clusters: cluster lines for the cluster features."""
    paths = []
    for base, (text, _spans) in cvs:
        p = os.path.join(tmp, base[:-4] + ".txt")
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        paths.append(p)
    cf = cluster_file(clusters, tmp)
    out = subprocess.run([driver, "-t", skills, "-F"] + (["-g", cf] if cf else []) + paths,
                         check=True, capture_output=True)
    docs, cur, lines = {}, None, None
    for raw in out.stdout.split(b"\n"):
        if not raw:
            continue
        line = raw.decode("utf-8", errors="replace")
        if line.startswith("F\t"):
            cur = line[2:]
            docs[cur] = lines = {}
            continue
        _t, li, _off, _len, tok, feats = line.split("\t", 5)
        lines.setdefault(int(li), []).append((tok, feats.split(" ")))
    return [[docs[p][k] for k in sorted(docs[p])] for p in paths]


def label(lines, text, spans):
    """Copies the gold tags of Python's tokens onto the engine's tokens (in place: appends)."""
    raw = raw_tokens(text, spans)
    eng = [t for ln in lines for t in ln]
    a = [w for w, _ in raw]
    b = [t[0].lower() for t in eng]
    tags = ["O"] * len(eng)
    if a == b:
        tags = [t for _, t in raw]
    else:
        sm = difflib.SequenceMatcher(None, a, b, autojunk=False)
        for i, j, n in sm.get_matching_blocks():
            for d in range(n):
                tags[j + d] = raw[i + d][1]
    out, k = [], 0
    for ln in lines:
        prev = "O"
        row = []
        for tok, feats in ln:
            t = tags[k]
            k += 1
            if t == "I" and prev == "O":
                t = "B"
            row.append((feats, t))
            prev = t
        out.append(row)
    return out


class Perceptron:
    """Averaged multi-class perceptron over string features (interned to ints)."""

    def __init__(self):
        self.ids = {}
        self.w = []      # per feature id: [wO, wB, wI]
        self.tot = []    # accumulated weights for the average
        self.ts = []     # the step of each weight's last change
        self.step = 0

    def fid(self, f):
        i = self.ids.get(f)
        if i is None:
            i = self.ids[f] = len(self.w)
            self.w.append([0.0, 0.0, 0.0])
            self.tot.append([0.0, 0.0, 0.0])
            self.ts.append([0, 0, 0])
        return i

    def scores(self, fids):
        s0 = s1 = s2 = 0.0
        w = self.w
        for i in fids:
            x = w[i]
            s0 += x[0]
            s1 += x[1]
            s2 += x[2]
        return s0, s1, s2

    def update(self, fids, gold, pred):
        for i in fids:
            w, tot, ts = self.w[i], self.tot[i], self.ts[i]
            for c, d in ((gold, 1.0), (pred, -1.0)):
                tot[c] += (self.step - ts[c]) * w[c]
                ts[c] = self.step
                w[c] += d

    def bump(self, fids, c, d):
        """Moves class c's weight of every feature in fids by d."""
        for i in fids:
            w, tot, ts = self.w[i], self.tot[i], self.ts[i]
            tot[c] += (self.step - ts[c]) * w[c]
            ts[c] = self.step
            w[c] += d

    def averaged(self):
        out = {}
        for f, i in self.ids.items():
            w, tot, ts = self.w[i], self.tot[i], self.ts[i]
            out[f] = [(tot[c] + (self.step - ts[c]) * w[c]) / max(1, self.step) for c in range(3)]
        return out


def decide(s, prev):
    """tagger.c's decide() at threshold 0."""
    best = 2 if prev != 0 and s[2] > s[1] else 1
    return best if s[best] - s[0] > 0 else 0


def dyn(p1, p2, feats):
    w = s = ""
    for f in feats:
        if f.startswith("w="):
            w = f[2:]
        elif f.startswith("s="):
            s = f[2:]
    return [f"t={p1}", f"tt={p2}|{p1}", f"tw={p1}|{w}", f"ts={p1}|{s}"]


HIST = "SOBI"  # the history tags of the dynamic features: before the line, O, B, I


def viterbi(model, toks):
    """tagger.c's viterbi() at threshold 0: the best tag sequence of a line under the model.
    toks: (static fids, dynamic fids per history tag p1 (3 each), ...); tt ids in model.tt."""
    w = model.w
    v = {(0, 0): 0.0}
    back = []
    for fids, dynids, _gold, _feats in toks:
        s = model.scores(fids)
        d = [[sum(w[i][c] for i in dynids[p1]) for c in range(3)] for p1 in range(4)]
        nv, bk = {}, {}
        for (a, b), val in v.items():
            tt = w[model.tt[a][b]]
            for t in range(3):
                if t == 2 and b in (0, 1):
                    continue  # I follows B or I only
                sc = val + s[t] + d[b][t] + tt[t]
                key = (b, t + 1)
                if key not in nv or sc > nv[key]:
                    nv[key] = sc
                    bk[key] = a
        v = nv
        back.append(bk)
    state = max(sorted(v), key=lambda k: v[k])  # sorted: ties go to the first state
    out = []
    for bk in reversed(back):
        out.append(state[1] - 1)
        state = (bk[state], state[0])
    return out[::-1]


def train_structured(model, data, order, report, ep):
    """One epoch of the structured perceptron: decode each line with Viterbi and move the
    weights from the predicted sequence's features to the gold sequence's."""
    errs = n = 0
    for di in order:
        for ln in data[di]:
            # A gold I after O cannot be decoded: it starts the phrase (as in greedy training).
            gold, prev = [], 0
            for _f, _d, g, _x in ln:
                g = 1 if g == 2 and prev == 0 else g
                gold.append(g)
                prev = g
            pred = viterbi(model, ln)
            hg = hp = (0, 0)  # (p2, p1) history indices along each sequence
            for (fids, dynids, _g, _x), g, pr in zip(ln, gold, pred):
                model.step += 1
                n += 1
                if (g, hg) != (pr, hp):
                    model.bump(fids + dynids[hg[1]] + [model.tt[hg[0]][hg[1]]], g, 1.0)
                    model.bump(fids + dynids[hp[1]] + [model.tt[hp[0]][hp[1]]], pr, -1.0)
                    errs += g != pr
                hg, hp = (hg[1], g + 1), (hp[1], pr + 1)
    report(f"epoch {ep}: {errs} errors of {n} tokens (structured)")


def train(docs, epochs_list, seed, report, structured=False):
    model = Perceptron()
    data = []
    for doc in docs:
        d = []
        for ln in doc:
            d.append([([model.fid(f) for f in feats], TAGS.index(t), feats) for feats, t in ln])
        data.append(d)
    rng = random.Random(seed)
    order = list(range(len(data)))
    snaps = {}
    if structured:
        # Each token's dynamic features for every history tag, interned once.
        model.tt = [[model.fid(f"tt={HIST[a]}|{HIST[b]}") for b in range(4)] for a in range(4)]
        data = [[[(fids, [[model.fid(f) for f in dyn(HIST[p1], "S", feats) if
                           not f.startswith("tt=")] for p1 in range(4)], g, feats)
                  for fids, g, feats in ln] for ln in d] for d in data]
        for ep in range(1, max(epochs_list) + 1):
            rng.shuffle(order)
            train_structured(model, data, order, report, ep)
            if ep in epochs_list:
                snaps[ep] = model.averaged()
        return snaps
    for ep in range(1, max(epochs_list) + 1):
        rng.shuffle(order)
        errs = n = 0
        for di in order:
            for ln in data[di]:
                p1 = p2 = "S"
                prev = 0
                for fids, gold, feats in ln:
                    model.step += 1
                    allf = fids + [model.fid(f) for f in dyn(p1, p2, feats)]
                    pred = decide(model.scores(allf), prev)
                    # After a predicted O the decoder cannot give I: the reachable right
                    # answer is to start the phrase here, and learning I would only inflate
                    # weights that can never fire.
                    want = 1 if gold == 2 and prev == 0 else gold
                    if pred != want:
                        model.update(allf, want, pred)
                        errs += 1
                    n += 1
                    p2, p1, prev = p1, TAGS[pred], pred
        report(f"epoch {ep}: {errs} errors of {n} tokens")
        if ep in epochs_list:
            snaps[ep] = model.averaged()
    return snaps


def write(path, weights, threshold, args, ncvs):
    rows = []
    for f, w in weights.items():
        iw = [int(round(x * SCALE)) for x in w]
        if max(abs(x) for x in iw) >= args.prune:
            rows.append((f, iw))
    rows.sort()
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write("matchd-skill-tagger\t1\n")
        f.write("# skills_tagger.tsv: the weights of the skill phrase tagger (src/engines/cv/tagger.c),\n"
                "# generated by scripts/train_tagger.py from the TRAINING split of dotin-resume-ner\n"
                "# (545_cvs_train_v2.zip, CC0); do not edit by hand. Format: tagger.h.\n")
        f.write(f"# {ncvs} CVs, epochs {args.epochs_used}, seed {args.seed}, jackknife "
                f"{args.jackknife}, weights x{SCALE}, features with a weight >= {args.prune} "
                f"kept: {len(rows)}\n")
        f.write(f"param\tthreshold\t{threshold}\n")
        f.write(f"param\tfilter\t{args.filter}\n")
        if args.structured:
            f.write("param\tdecode\t1\n")
        if args.cluster_lines:
            f.write(f"# {len(args.cluster_lines)} word clusters from {os.path.basename(args.clusters)} "
                    "(scripts/build_word_clusters.py: ESCO, CC BY 4.0, \"This service uses the\n"
                    "# ESCO classification of the European Commission.\"; O*NET 28.2, CC BY 4.0, "
                    "USDOL/ETA; dotin CV text)\n")
            f.writelines(args.cluster_lines)
        for feat, iw in rows:
            f.write(f"{feat}\t{iw[0]}\t{iw[1]}\t{iw[2]}\n")
    os.replace(tmp, path)


def read_conll(path):
    """Sentences of a CoNLL file (word ... tag per line; B-Skill/I-Skill) as (text, spans)."""
    sents, cur = [], []
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.split()
            if not parts:
                if cur:
                    sents.append(cur)
                cur = []
                continue
            cur.append((parts[0], parts[-1] if len(parts) > 1 else "O"))
    if cur:
        sents.append(cur)
    out = []
    for toks in sents:
        text, spans, span = "", [], None
        for w, tag in toks:
            text += " " if text else ""
            start = len(text)
            text += w
            if tag == "B-Skill" or (tag == "I-Skill" and span is None):
                if span:
                    spans.append(span)
                span = (start, len(text))
            elif tag == "I-Skill":
                span = (span[0], len(text))
            else:
                if span:
                    spans.append(span)
                span = None
        if span:
            spans.append(span)
        out.append((text, spans))
    return out


def runs(tags):
    """(first, last) token index of each B I* run."""
    out, start = [], None
    for i, t in enumerate(tags + ["O"]):
        if start is not None and t != "I":
            out.append((start, i - 1))
            start = None
        if t == "B":
            start = i
    return out


def kfold_conll(args, report):
    """K-fold cross-validation of a tagger trained on the CoNLL file's own sentences: recall of
    gold spans (overlapped by a tagged phrase) and the share of phrases overlapping one, per
    threshold. The engine's taxonomy features are those of each sentence alone (-L -F)."""
    sents = read_conll(args.conll)
    with tempfile.TemporaryDirectory() as tmp:
        p = os.path.join(tmp, "sentences.txt")
        with open(p, "w", encoding="utf-8") as f:
            f.write("\n".join(t for t, _ in sents) + "\n")
        cf = cluster_file(args.cluster_lines, tmp)
        out = subprocess.run([args.driver, "-t", args.skills, "-L", "-F"] +
                             (["-g", cf] if cf else []) + [p], check=True,
                             capture_output=True).stdout
    lines = {}
    for raw in out.split(b"\n"):
        if raw.startswith(b"T\t"):
            _t, li, _off, _len, tok, feats = raw.decode("utf-8", errors="replace").split("\t", 5)
            lines.setdefault(int(li), []).append((tok, feats.split(" ")))
    docs = [label([lines.get(i, [])], t, s) for i, (t, s) in enumerate(sents)]
    k = args.kfold
    thresholds = [int(x) for x in args.thresholds.split(",")]
    tot = {thr: [0, 0, 0, 0] for thr in thresholds}
    for f in range(k):
        train_docs = [d for i, d in enumerate(docs) if i % k != f]
        snaps = train(train_docs, [int(args.epochs.split(",")[-1])], args.seed, lambda m: None)
        w = {x: [int(round(v * SCALE)) for v in ws] for x, ws in list(snaps.values())[0].items()}
        for i, d in enumerate(docs):
            if i % k != f:
                continue
            for thr in thresholds:
                for ln in d:
                    pred, p1, p2, prev = [], "S", "S", 0
                    for feats, _g in ln:
                        sc = [0, 0, 0]
                        for x in feats + dyn(p1, p2, feats):
                            ws = w.get(x)
                            if ws:
                                for c in range(3):
                                    sc[c] += ws[c]
                        best = 2 if prev != 0 and sc[2] > sc[1] else 1
                        tg = best if sc[best] - sc[0] > thr else 0
                        pred.append(TAGS[tg])
                        p2, p1, prev = p1, TAGS[tg], tg
                    gold = runs([g for _f, g in ln])
                    ph = runs(pred)
                    t = tot[thr]
                    t[0] += sum(any(a <= y and x <= b for x, y in ph) for a, b in gold)
                    t[1] += len(gold)
                    t[2] += sum(any(a <= y and x <= b for a, b in gold) for x, y in ph)
                    t[3] += len(ph)
        report(f"fold {f + 1}/{k} done")
    for thr in thresholds:
        t = tot[thr]
        print(f"{args.kfold}-fold on {os.path.basename(args.conll)}, epochs {args.epochs}, threshold "
              f"{thr}: recall {t[0] / max(1, t[1]):.3f} ({t[0]}/{t[1]}), phrases inside a gold span "
              f"{t[2] / max(1, t[3]):.3f} ({t[2]}/{t[3]})")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--driver", default=os.path.join(ROOT, "build", "cv_eval_driver"))
    ap.add_argument("--train", default=TRAIN)
    ap.add_argument("--skills", default=os.path.join(ROOT, "data", "skills.tsv"))
    ap.add_argument("--out", default=os.path.join(ROOT, "data", "skills_tagger.tsv"))
    ap.add_argument("--exclude-cvs", default="",
                    help="CV file names of the zip to leave out (cross-validation folds)")
    ap.add_argument("--epochs", default="24")
    ap.add_argument("--threshold", type=int, default=-20000,
                    help="written to the file: B or I must beat O by more than this")
    ap.add_argument("--filter", type=int, choices=(0, 1, 2), default=2,
                    help="written to the file: 1 lists a taxonomy skill only where the tagger "
                    "agrees with a mention or one is in a Skills section, 2 the same for ESCO "
                    "skills and learned vocabulary only (see tagger.h)")
    ap.add_argument("--prune", type=int, default=10,
                    help="features whose largest |weight| x SCALE is below this are dropped")
    ap.add_argument("--per-epoch", action="store_true",
                    help="always write OUT.e<N>, even for one number of epochs")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--structured", action="store_true",
                    help="train with Viterbi decoding (a structured perceptron) and write "
                    "param decode 1; the default trains and decodes greedily")
    ap.add_argument("--jackknife", type=int, default=5,
                    help="K: each fold's features from a taxonomy learned without it; 0: off")
    ap.add_argument("--clusters", help="a tagger weight file whose \"cluster\" lines add "
                    "word-cluster features (scripts/build_word_clusters.py) and are copied into "
                    "the weights written")
    ap.add_argument("--conll", help="instead: K-fold cross-validation on this CoNLL file's "
                    "own sentences (green2022's testset.txt); writes no weights")
    ap.add_argument("--kfold", type=int, default=5)
    ap.add_argument("--thresholds", default="0", help="with --conll: thresholds to score")
    args = ap.parse_args()

    def report(msg):
        print(f"train_tagger.py: {msg}", file=sys.stderr, flush=True)

    args.cluster_lines = read_clusters(args.clusters) if args.clusters else []

    if args.conll:
        kfold_conll(args, report)
        return
    epochs_list = sorted({int(e) for e in args.epochs.split(",")})
    leave = set(filter(None, args.exclude_cvs.split(",")))
    cvs = read_zip(args.train, leave)

    with tempfile.TemporaryDirectory() as tmp:
        feats = [None] * len(cvs)
        if args.jackknife > 1:
            k = args.jackknife
            for f in range(k):
                held = [i for i in range(len(cvs)) if i % k == f]
                learned = os.path.join(tmp, "learned.tsv")
                skills = os.path.join(tmp, "skills.tsv")
                ex = ",".join(sorted(leave | {cvs[i][0] for i in held}))
                subprocess.run([sys.executable, os.path.join(HERE, "learn_skills.py"),
                                "--train", args.train, "--exclude-cvs", ex, "--out", learned],
                               check=True, capture_output=True)
                subprocess.run([sys.executable, os.path.join(HERE, "build_skills.py"),
                                "--learned", learned, "--out", skills], check=True,
                               capture_output=True)
                for i, d in zip(held, dump_features(args.driver, skills, [cvs[i] for i in held],
                                                    tmp, args.cluster_lines)):
                    feats[i] = d
                report(f"jackknife fold {f + 1}/{k}: features of {len(held)} CVs")
        else:
            feats = dump_features(args.driver, args.skills, cvs, tmp, args.cluster_lines)
    docs = [label(lines, text, spans) for lines, (_b, (text, spans)) in zip(feats, cvs)]
    ntok = sum(len(ln) for d in docs for ln in d)
    ngold = sum(t == "B" for d in docs for ln in d for _f, t in ln)
    report(f"{len(docs)} CVs, {ntok} tokens, {ngold} gold phrases")
    snaps = train(docs, epochs_list, args.seed, report, args.structured)
    for ep, weights in snaps.items():
        args.epochs_used = ep
        path = args.out if len(snaps) == 1 and not args.per_epoch else f"{args.out}.e{ep}"
        write(path, weights, args.threshold, args, len(docs))
        report(f"wrote {path}")


if __name__ == "__main__":
    main()
