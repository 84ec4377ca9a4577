#!/usr/bin/python3
"""A compare-heavy record-matching run for bench/linkage_share.sh: FEBRL4 4a -> 4b with seven
Jaro-Winkler fields and a coarse blocking rule (state: 8 values, about 5 million candidate
pairs), one_to_one. Prints `febrl4_coarse run_s=... pairs=... digest=...`, where digest is the
SHA-256 of every result row's (row, matched rec_id, confidence): equal digests, equal results.

usage: linkage_share_run.py URL KEY
"""
import hashlib
import os
import sys
import time

import requests

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data",
                    "linkage", "febrl")
PEOPLE = ["given_name", "surname", "address_1", "suburb", "postcode", "date_of_birth",
          "soc_sec_id"]


def main():
    url, key = sys.argv[1], sys.argv[2]
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + key
    ids = []
    for name in ("dataset4a.csv", "dataset4b.csv"):
        with open(os.path.join(DATA, name), "rb") as f:
            r = s.post(url + "/v1/matching/datasets", files={"file": (name, f.read(), "text/csv")})
        r.raise_for_status()
        ids.append(r.json()["id"])
    cfg = s.post(url + "/v1/matching/configs", json={
        "name": "coarse", "reference_dataset_id": ids[1], "link_type": "one_to_one",
        "threshold": 0.5, "blocking": [["state"], ["soc_sec_id"]],
        "fields": [{"name": n, "input_column": n, "reference_column": n,
                    "comparator": "jaro_winkler"} for n in PEOPLE]}).json()
    t0 = time.time()
    run = s.post(url + "/v1/matching/configs/%s/run" % cfg["id"],
                 json={"input_dataset_id": ids[0]}).json()
    while True:
        st = s.get(url + "/v1/matching/runs/" + run["id"]).json()
        if st["status"] in ("completed", "failed", "canceled"):
            break
        time.sleep(0.05)
    run_s = time.time() - t0
    assert st["status"] == "completed", st
    h, cursor = hashlib.sha256(), None
    while True:
        q = {"limit": 1000}
        if cursor:
            q["cursor"] = cursor
        page = s.get(url + "/v1/matching/runs/%s/results" % run["id"], params=q).json()
        for x in page["data"]:
            h.update(repr((x["row"], x["match"]["rec_id"] if x["match"] else None,
                           x["confidence"])).encode())
        cursor = page["next_cursor"]
        if not cursor:
            break
    model = s.get(url + "/v1/matching/runs/%s/model" % run["id"]).json()
    print("febrl4_coarse run_s=%.2f pairs=%d digest=%s" % (run_s, model["pairs_compared"],
                                                          h.hexdigest()[:16]))


if __name__ == "__main__":
    main()
