#!/usr/bin/python3
"""Accuracy of matchd's record matching through the HTTP API, without labels (issue 6, section 3).

Each data set is uploaded with its ground-truth and identifier columns removed (rec_id, cluster,
ground_truth, unique_id: the server never sees them), a config is created with NO fields, NO
blocking and the default threshold (the strategy infers everything), a smart-run is started and
all its results are read back page by page. The labels kept on this side score the output:

  link (FEBRL4, transactions): precision = true links / links returned, recall = true links /
      input rows that have a true partner in the reference table.
  dedupe (FEBRL3, FEBRL2, fake_1000, historical_figures_50k): pairwise, over all pairs of rows
      inside the predicted clusters against all pairs inside the true clusters.

One line per data set: `dataset=... P=... R=... F1=... upload_s=... run_s=... results_s=...
total_s=... pairs=...`, then `target_...=met|MISSED` lines.

usage: linkage_eval.py URL KEY [DATASET ...]   (default: all; names as in DATASETS below)
       linkage_eval.py URL KEY --people DIR      (a bench/gen_people task; used by linkage_speed.sh)
env: STRATEGY overrides the per-data-set strategy (people / auto).
"""
import csv
import io
import json
import os
import sys
import time

import requests

DATA = os.environ.get("LINKAGE_DATA") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data", "linkage")
LABELS = {"rec_id", "cluster", "ground_truth", "unique_id"}

# name: (mode, link_type, strategy, input file, reference file or None, truth kind)
DATASETS = {
    "febrl4": ("link", "one_to_one", "people", "febrl/dataset4a.csv", "febrl/dataset4b.csv",
               "febrl"),
    "febrl3": ("dedupe", "all_above_threshold", "people", "febrl/dataset3.csv", None, "febrl"),
    "febrl2": ("dedupe", "all_above_threshold", "people", "febrl/dataset2.csv", None, "febrl"),
    "fake_1000": ("dedupe", "all_above_threshold", "people", "splink_datasets/fake_1000.csv",
                  None, "cluster"),
    "historical_50k": ("dedupe", "all_above_threshold", "people",
                       "splink_datasets/historical_figures_with_errors_50k.csv", None,
                       "cluster"),
    "transactions": ("link", "one_to_one", "auto", "splink_datasets/transactions_origin.csv",
                     "splink_datasets/transactions_destination.csv", "ground_truth"),
}
# F1 targets from the issue, and Python recordlinkage's best unsupervised F1 where known.
TARGETS = {"febrl4": 0.99, "febrl3": 0.98, "transactions": 0.95}
RECORDLINKAGE_F1 = {"febrl4": 0.994}


def load(path, kind):
    """(csv bytes without label columns, truth key per row)."""
    raw = open(path, "rb").read()
    try:
        text, enc = raw.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        text, enc = raw.decode("latin-1"), "latin-1"
    rows = list(csv.reader(io.StringIO(text, newline=""), skipinitialspace=True))
    head, body = [h.strip() for h in rows[0]], rows[1:]
    keep = [i for i, h in enumerate(head) if h not in LABELS]
    col = {"febrl": "rec_id", "cluster": "cluster", "ground_truth": "ground_truth"}[kind]
    ti = head.index(col)
    truth = []
    for r in body:
        v = r[ti].strip()
        truth.append(v.split("-")[1] if kind == "febrl" else v)
    out = io.StringIO(newline="")
    w = csv.writer(out, lineterminator="\n")
    w.writerow([head[i] for i in keep])
    for r in body:
        w.writerow([r[i] for i in keep])
    return out.getvalue().encode(enc), truth


class Api:
    def __init__(self, url, key):
        self.url, self.s = url.rstrip("/"), requests.Session()
        self.s.headers["Authorization"] = "Bearer " + key

    def call(self, method, path, expect, **kw):
        r = self.s.request(method, self.url + path, timeout=600, **kw)
        if r.status_code != expect:
            raise RuntimeError("%s %s -> %d %s" % (method, path, r.status_code, r.text[:500]))
        return r

    def upload(self, name, data):
        return self.call("POST", "/v1/matching/datasets", 201,
                         files={"file": (name, data, "text/csv")}, data={"name": name}).json()

    def wait(self, run_id, timeout=3600):
        deadline = time.time() + timeout
        delay = 0.005
        while time.time() < deadline:
            run = self.call("GET", "/v1/matching/runs/" + run_id, 200).json()
            if run["status"] in ("completed", "failed", "canceled"):
                return run
            time.sleep(delay)
            delay = min(delay * 1.5, 0.25)
        raise RuntimeError("run %s did not finish" % run_id)

    def results(self, run_id):
        rows, cursor = [], None
        while True:
            q = {"limit": 1000}
            if cursor:
                q["cursor"] = cursor
            page = self.call("GET", "/v1/matching/runs/%s/results" % run_id, 200,
                             params=q).json()
            rows += page["data"]
            cursor = page["next_cursor"]
            if not cursor:
                return rows


def c2(n):
    return n * (n - 1) // 2


def score_link(rows, tin, tref):
    ref_keys = set(tref)
    true_n = sum(1 for k in tin if k in ref_keys)
    pred = [(x["row"], x["match_row"]) for x in rows if x.get("match") is not None]
    tp = sum(1 for i, j in pred if tin[i] == tref[j])
    return tp, len(pred), true_n


def score_dedupe(rows, tin):
    """Pairwise counts from the contingency table (no pair enumeration: a run that chains
    everything into one giant cluster must not exhaust memory here)."""
    truth, pred, both = {}, {}, {}
    for x in rows:
        t, p = tin[x["row"]], x["cluster"]
        truth[t] = truth.get(t, 0) + 1
        pred[p] = pred.get(p, 0) + 1
        both[(t, p)] = both.get((t, p), 0) + 1
    tp = sum(c2(n) for n in both.values())
    big = max(pred.values()) if pred else 0
    return tp, sum(c2(n) for n in pred.values()), sum(c2(n) for n in truth.values()), big


def run_one(api, name, strategy=None):
    mode, link_type, strat, fin, fref, kind = DATASETS[name]
    strat = strategy or strat
    din, tin = load(os.path.join(DATA, fin), kind)
    if fref:
        dref, tref = load(os.path.join(DATA, fref), kind)
    t0 = time.time()
    a = api.upload(name + "_in", din)
    b = api.upload(name + "_ref", dref) if fref else a
    t1 = time.time()
    cfg = {"name": "eval-" + name, "reference_dataset_id": b["id"], "mode": mode,
           "link_type": link_type}
    cfg = api.call("POST", "/v1/matching/configs", 201, json=cfg).json()
    body = {"strategy_id": strat}
    if mode == "link":
        body["input_dataset_id"] = a["id"]
    run = api.call("POST", "/v1/matching/configs/%s/smart-run" % cfg["id"], 202,
                   json=body).json()
    done = api.wait(run["id"])
    t2 = time.time()
    if done["status"] != "completed":
        raise RuntimeError("%s: run %s: %s" % (name, done["status"], done.get("error")))
    rows = api.results(run["id"])
    t3 = time.time()
    model = api.call("GET", "/v1/matching/runs/%s/model" % run["id"], 200).json()
    if mode == "link":
        tp, npred, ntrue = score_link(rows, tin, tref)
        big = 1
    else:
        tp, npred, ntrue, big = score_dedupe(rows, tin)
    p = tp / npred if npred else 0.0
    r = tp / ntrue if ntrue else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    pairs = model.get("pairs_compared")
    rules = ";".join("+".join(c["input"] for c in x.get("columns", [])) + ":%d" % x["pairs"]
                     for x in model.get("blocking_rules", []))
    print("dataset=%s strategy=%s rows=%d P=%.4f R=%.4f F1=%.4f tp=%d predicted=%d true=%d "
          "largest_cluster=%d upload_s=%.3f run_s=%.3f results_s=%.3f total_s=%.3f pairs=%s "
          "rules=%s" % (name, strat, len(tin), p, r, f1, tp, npred, ntrue, big, t1 - t0,
                        t2 - t1, t3 - t2, t3 - t0, pairs, rules), flush=True)
    if os.environ.get("EVAL_DUMP"):
        with open(os.path.join(os.environ["EVAL_DUMP"], name + ".model.json"), "w") as f:
            json.dump(model, f, indent=1)
        with open(os.path.join(os.environ["EVAL_DUMP"], name + ".results.json"), "w") as f:
            json.dump({"rows": rows, "truth_in": tin,
                       "truth_ref": tref if fref else None}, f)
    return f1


def run_people(api, d, timeout):
    """The generated people linkage in directory d (bench/gen_people): a.csv -> b.csv,
    one_to_one, smart-run people, all results through the CSV export; scored with the .truth
    files. Prints one line."""
    tin = open(os.path.join(d, "a.truth")).read().split()
    tref = open(os.path.join(d, "b.truth")).read().split()
    da, db = open(os.path.join(d, "a.csv"), "rb").read(), open(os.path.join(d, "b.csv"), "rb").read()
    t0 = time.time()
    a = api.upload("people_a", da)
    b = api.upload("people_b", db)
    del da, db
    t1 = time.time()
    cfg = api.call("POST", "/v1/matching/configs", 201,
                   json={"name": "people", "reference_dataset_id": b["id"],
                         "link_type": "one_to_one"}).json()
    run = api.call("POST", "/v1/matching/configs/%s/smart-run" % cfg["id"], 202,
                   json={"input_dataset_id": a["id"], "strategy_id": "people"}).json()
    done = api.wait(run["id"], timeout)
    t2 = time.time()
    if done["status"] != "completed":
        raise RuntimeError("run %s: %s" % (done["status"], done.get("error")))
    text = api.call("GET", "/v1/matching/runs/%s/results" % run["id"], 200,
                    params={"format": "csv"}).text
    t3 = time.time()
    model = api.call("GET", "/v1/matching/runs/%s/model" % run["id"], 200).json()
    ref_keys = set(tref)
    ntrue = sum(1 for k in tin if k in ref_keys)
    tp = npred = 0
    rd = csv.reader(io.StringIO(text, newline=""))
    next(rd)
    for r in rd:
        if r[4] != "":
            npred += 1
            tp += tin[int(r[0])] == tref[int(r[4])]
    p = tp / npred if npred else 0.0
    rc = tp / ntrue if ntrue else 0.0
    f1 = 2 * p * rc / (p + rc) if p + rc else 0.0
    rules = ";".join("+".join(c["input"] for c in x.get("columns", [])) + ":%d" % x["pairs"]
                     for x in model.get("blocking_rules", []))
    print("people rows=%dx%d P=%.4f R=%.4f F1=%.4f upload_s=%.2f run_s=%.2f results_s=%.2f "
          "total_s=%.2f pairs=%d rules=%s" % (len(tin), len(tref), p, rc, f1, t1 - t0, t2 - t1,
                                              t3 - t2, t3 - t0, model["pairs_compared"], rules),
          flush=True)
    return t3 - t0, f1


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    api = Api(sys.argv[1], sys.argv[2])
    if len(sys.argv) > 4 and sys.argv[3] == "--people":
        run_people(api, sys.argv[4], float(os.environ.get("RUN_TIMEOUT", "600")))
        return
    names = sys.argv[3:] or list(DATASETS)
    f1s = {}
    for n in names:
        try:
            f1s[n] = run_one(api, n, os.environ.get("STRATEGY"))
        except Exception as e:  # keep going: one failing data set must not hide the others
            print("dataset=%s error=%s" % (n, str(e).replace("\n", " ")[:400]), flush=True)
            f1s[n] = None
    for n, t in TARGETS.items():
        if n in f1s:
            ok = f1s[n] is not None and f1s[n] >= t
            print("target_%s_f1_%.2f=%s" % (n, t, "met" if ok else "MISSED"))
    for n, t in RECORDLINKAGE_F1.items():
        if n in f1s:
            ok = f1s[n] is not None and f1s[n] >= t
            print("target_%s_vs_recordlinkage_f1_%.3f=%s" % (n, t, "met" if ok else "MISSED"))


if __name__ == "__main__":
    main()
