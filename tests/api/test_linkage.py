"""The record-matching family (seed 002) end to end: CSV uploads, configs, runs and smart-runs
on real data (FEBRL4 4a -> 4b, splink fake_1000 dedupe), results, model, CSV export, the seed's
error codes, bad CSVs, online rows and cancellation. One server per module (uploads are shared);
runs on PostgreSQL too when MATCHD_TEST_PG_URL is set (conftest)."""
import csv
import io
import json
import os
import tempfile
import time

import pytest
import requests

import contract_check
from conftest import DATA, Client, Server, wait_run

LINK = os.path.join(DATA, "linkage")
FEBRL_A = os.path.join(LINK, "febrl", "dataset4a.csv")
FEBRL_B = os.path.join(LINK, "febrl", "dataset4b.csv")
FAKE = os.path.join(LINK, "splink_datasets", "fake_1000.csv")
PEOPLE = ["given_name", "surname", "address_1", "suburb", "postcode", "date_of_birth",
          "soc_sec_id"]


@pytest.fixture(scope="module")
def srv():
    with tempfile.TemporaryDirectory(prefix="matchd-linkage-") as d:
        s = Server(d, env={"MATCHD_WORKERS": "2"})
        s.start()
        s.cli("workspaces", "create", "acme", "--credits", "1000", "--rate-limit", "100000",
              "--rate-period-ms", "1000", "--rate-burst", "100000")
        s.cli("workspaces", "create", "other", "--credits", "100")
        s.cli("workspaces", "create", "slow", "--credits", "100", "--rate-limit", "2",
              "--rate-period-ms", "60000", "--rate-burst", "2")
        s.keys = {w: s.key(w) for w in ("acme", "other", "slow")}
        s.keys["cv_only"] = s.key("acme", "cvdeepmatch")
        yield s
        s.stop()


@pytest.fixture(scope="module")
def api(srv):
    return Client(srv, srv.keys["acme"])


def upload(api, path, name=None, as_body=False, expect=201):
    with open(path, "rb") as f:
        data = f.read()
    if as_body:
        r = api.post("/v1/matching/datasets", "linkage.dataset.response.json",
                     params={"name": name or os.path.basename(path)}, data=data,
                     headers={"Content-Type": "text/csv"})
    else:
        form = {"name": name} if name else {}
        r = api.post("/v1/matching/datasets", "linkage.dataset.response.json",
                     files={"file": (os.path.basename(path), data, "text/csv")}, data=form)
    assert r.status_code == expect, r.text
    return r.json()


@pytest.fixture(scope="module")
def febrl(api):
    a = upload(api, FEBRL_A, "febrl4a")
    b = upload(api, FEBRL_B, as_body=True)
    return a, b


def fields(names, **extra):
    out = []
    for n in names:
        f = {"name": n, "input_column": n, "reference_column": n}
        f.update(extra.get(n, {}))
        out.append(f)
    return out


def make_config(api, ref_id, expect=201, **kw):
    body = {"name": "cfg", "reference_dataset_id": ref_id}
    body.update(kw)
    r = api.post("/v1/matching/configs", "linkage.config.response.json", json=body)
    assert r.status_code == expect, r.text
    return r.json()


def all_results(api, run_id, limit=1000, **params):
    rows, cursor = [], None
    while True:
        q = dict(params, limit=limit)
        if cursor:
            q["cursor"] = cursor
        r = api.get("/v1/matching/runs/%s/results" % run_id, "linkage.results.response.json",
                    params=q)
        assert r.status_code == 200, r.text
        rows += r.json()["data"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return rows


def run_events(api, run_id):
    """The data objects of a run's whole SSE stream (it ends after the terminal event)."""
    r = api.s.get(api.server.url + "/v1/jobs/%s/events" % run_id,
                  headers={"Accept": "text/event-stream"}, stream=True, timeout=(5, 30))
    assert r.status_code == 200, r.text
    out = [json.loads(line[5:]) for line in r.iter_lines(decode_unicode=True)
           if line.startswith("data:")]
    r.close()
    return out


def rec_number(rec_id):
    return rec_id.split("-")[1]


def febrl_scores(rows):
    tp = sum(1 for x in rows if x["match"] and
             rec_number(x["input"]["rec_id"]) == rec_number(x["match"]["rec_id"]))
    predicted = sum(1 for x in rows if x["match"])
    return tp / max(predicted, 1), tp / 5000.0


def test_febrl4_smart_run_people(api, febrl):
    a, b = febrl
    assert a["row_count"] == 5000 and b["row_count"] == 5000
    assert a["columns"][:3] == ["rec_id", "given_name", "surname"]
    assert a["name"] == "febrl4a" and b["name"] == "dataset4b.csv"
    cfg = make_config(api, b["id"], fields=fields(PEOPLE), link_type="one_to_one",
                      threshold=0.5)
    t0 = time.time()
    r = api.post("/v1/matching/configs/%s/smart-run" % cfg["id"], "linkage.run.response.json",
                 json={"input_dataset_id": a["id"], "strategy_id": "people"})
    assert r.status_code == 202, r.text
    run = r.json()
    assert run["status"] == "queued" and run["triggered_by"] == "manual"
    for k in ("rows_processed", "rows_matched", "avg_confidence", "started_at", "completed_at",
              "error"):
        assert run[k] is None, k
    assert run["matching_config_id"] == cfg["id"]
    assert run["links"]["self"] == "/v1/matching/runs/" + run["id"]
    assert run["links"]["config"] == "/v1/matching/configs/" + cfg["id"]
    assert run["links"]["events"] == "/v1/jobs/%s/events" % run["id"]
    done = wait_run(api, run["id"])
    seconds = time.time() - t0
    assert done["status"] == "completed", done
    assert done["rows_processed"] == 5000 and done["rows_matched"] > 4800
    assert 0.5 < done["avg_confidence"] <= 1
    rows = all_results(api, run["id"])
    assert [x["row"] for x in rows] == list(range(5000))
    precision, recall = febrl_scores(rows)
    f1 = 2 * precision * recall / (precision + recall)
    print("FEBRL4 smart-run: %.2f s, precision %.4f recall %.4f F1 %.4f"
          % (seconds, precision, recall, f1))
    assert precision >= 0.98 and recall >= 0.98, (precision, recall)
    one = next(x for x in rows if x["match"])
    assert set(one["input"]) == set(a["columns"]) and set(one["match"]) == set(b["columns"])
    assert [f["name"] for f in one["fields"]] == PEOPLE
    assert all({"input_value", "reference_value", "level", "weight"} <= set(f)
               for f in one["fields"])
    # one_to_one: no reference row used twice
    used = [x["match_row"] for x in rows if x["match"]]
    assert len(used) == len(set(used))
    # The run's event stream: progress events carry row counts, moving forward within a stage.
    events = run_events(api, run["id"])
    counted = [e for e in events if e.get("counts")]
    assert counted, events
    for e in events:
        contract_check.validate("jobs.event.response.json", e)
    assert all(e["counts"]["rows_total"] == 5000 for e in counted), counted
    last = {}
    for e in counted:
        assert e["counts"]["rows_done"] >= last.get(e["stage"], 0), counted
        last[e["stage"]] = e["counts"]["rows_done"]
    done_ev = [e for e in counted if e["stage"] == "done"]
    assert done_ev and done_ev[-1]["counts"]["rows_matched"] == done["rows_matched"], done_ev
    # filters
    hi = all_results(api, run["id"], min_confidence=0.99)
    assert hi and all(x["confidence"] >= 0.99 for x in hi)
    un = all_results(api, run["id"], status="unmatched")
    assert all(x["status"] == "unmatched" and x["match"] is None for x in un)
    # the model
    m = api.get("/v1/matching/runs/%s/model" % run["id"], "linkage.model.response.json")
    assert m.status_code == 200, m.text
    model = m.json()
    assert model["smart"] is True and model["strategy_id"] == "people"
    assert model["blocking_rules"] and all(r["pairs"] >= 0 for r in model["blocking_rules"])
    assert 0 < model["prior"] < 1 and 0 < model["estimated_recall"] <= 1
    assert len(model["fields"]) == len(PEOPLE)
    # CSV export: a header and one line per input row
    c = api.get("/v1/matching/runs/%s/results" % run["id"], params={"format": "csv"})
    assert c.status_code == 200 and c.headers["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(c.text)))
    assert lines[0][:5] == ["input_row", "status", "confidence", "match_weight", "match_row"]
    assert len(lines) == 5001
    # the job behind the run
    j = api.get("/v1/jobs/" + run["id"], "jobs.get.response.json")
    assert j.status_code == 200 and j.json()["status"] == "succeeded"


def test_plain_run_with_explicit_blocking(api, febrl):
    a, b = febrl
    jw = {"comparator": "jaro_winkler", "normalize": ["nfkc_casefold", "trim"]}
    spec = {n: jw for n in ("given_name", "surname", "address_1", "suburb")}
    spec["postcode"] = {"comparator": "levenshtein", "levels": [1]}
    spec["date_of_birth"] = {"comparator": "levenshtein", "levels": [1, 2]}
    spec["soc_sec_id"] = {"comparator": "levenshtein", "levels": [1, 2]}
    cfg = make_config(api, b["id"], fields=fields(PEOPLE, **spec), link_type="best_match",
                      blocking=[["given_name"], ["surname"], ["date_of_birth"],
                                ["soc_sec_id"]], threshold=0.5)
    r = api.post("/v1/matching/configs/%s/run" % cfg["id"], "linkage.run.response.json",
                 json={"input_dataset_id": a["id"], "triggered_by": "scheduled"})
    assert r.status_code == 202, r.text
    assert r.json()["triggered_by"] == "scheduled"
    done = wait_run(api, r.json()["id"])
    assert done["status"] == "completed", done
    precision, recall = febrl_scores(all_results(api, done["id"]))
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)
    m = api.get("/v1/matching/runs/%s/model" % done["id"], "linkage.model.response.json")
    assert m.status_code == 200 and m.json()["smart"] is False
    assert len(m.json()["blocking_rules"]) == 4


def test_dedupe_fake_1000(api):
    ds = upload(api, FAKE)
    cfg = make_config(api, ds["id"], mode="dedupe", link_type="all_above_threshold",
                      fields=fields(["first_name", "surname", "dob", "city", "email"]),
                      threshold=0.5)
    r = api.post("/v1/matching/configs/%s/smart-run" % cfg["id"], "linkage.run.response.json",
                 json={"strategy_id": "auto"})
    assert r.status_code == 202, r.text
    done = wait_run(api, r.json()["id"])
    assert done["status"] == "completed", done
    rows = all_results(api, done["id"])
    assert len(rows) == 1000
    truth, pred = {}, {}
    for x in rows:
        truth.setdefault(x["input"]["cluster"], set()).add(x["row"])
        pred.setdefault(x["cluster"], set()).add(x["row"])

    def pairs(groups):
        return {(i, j) for g in groups.values() for i in g for j in g if i < j}
    t, p = pairs(truth), pairs(pred)
    precision = len(t & p) / max(len(p), 1)
    recall = len(t & p) / len(t)
    print("fake_1000 dedupe: precision %.3f recall %.3f" % (precision, recall))
    assert precision >= 0.8 and recall >= 0.6, (precision, recall)


def test_online_rows(api, febrl):
    a, b = febrl
    cfg = make_config(api, b["id"], fields=fields(["given_name", "surname", "date_of_birth"]),
                      blocking=[["surname"], ["date_of_birth"]])
    with open(FEBRL_B) as f:
        ref = list(csv.DictReader(f, skipinitialspace=True))
    probe = [{k.strip(): v for k, v in ref[7].items()},
             {"given_name": "zzyzx", "surname": "qwertyuiop", "date_of_birth": "17000101"}]
    r = api.post("/v1/matching/configs/%s/run" % cfg["id"], "linkage.run.response.json",
                 json={"rows": probe})
    assert r.status_code == 202, r.text
    done = wait_run(api, r.json()["id"])
    assert done["status"] == "completed" and done["rows_processed"] == 2, done
    rows = all_results(api, done["id"])
    assert rows[0]["match"]["rec_id"] == probe[0]["rec_id"]
    assert rows[1]["match"] is None and rows[1]["status"] != "matched"
    too_many = [{"given_name": "x"}] * 1001
    r = api.post("/v1/matching/configs/%s/run" % cfg["id"], json={"rows": too_many})
    assert r.status_code == 400 and r.json()["error"]["code"] == "validation_error"


def test_seed_errors(srv, api, febrl):
    a, b = febrl
    cfg = make_config(api, b["id"], fields=fields(["surname"]), blocking=[["surname"]])
    path = "/v1/matching/configs/%s/smart-run" % cfg["id"]
    r = api.post(path, json={"input_dataset_id": a["id"]})
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "validation_error"
    assert r.json()["error"]["message"] == "strategy_id is required for smart-run."
    r = api.post(path, json={"input_dataset_id": a["id"], "strategy_id": "astrology"})
    assert r.status_code == 400 and "strategy_id" in r.text
    r = Client(srv, None).post(path, json={"strategy_id": "people"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = Client(srv, "mk_bogus").post(path, json={"strategy_id": "people"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    r = Client(srv, srv.keys["cv_only"]).get("/v1/matching/strategies")
    assert r.status_code == 403
    unknown = "/v1/matching/configs/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b/run"
    r = api.post(unknown, json={"input_dataset_id": a["id"]})
    assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    other = Client(srv, srv.keys["other"])
    for p in (path, "/v1/matching/configs/%s/run" % cfg["id"]):
        r = other.post(p, json={"input_dataset_id": a["id"], "strategy_id": "people"})
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found"
    assert other.get("/v1/matching/configs/" + cfg["id"]).status_code == 404
    assert other.get("/v1/matching/datasets/" + a["id"]).status_code == 404
    slow = Client(srv, srv.keys["slow"])
    codes = [slow.get("/v1/matching/strategies").status_code for _ in range(4)]
    assert codes[-1] == 429, codes
    r = slow.get("/v1/matching/strategies")
    assert r.json()["error"]["code"] == "rate_limited" and "Retry-After" in r.headers


def test_config_validation(api, febrl):
    a, b = febrl
    bad = fields(["surname", "given_name"])
    bad[1]["comparator"] = "soundex2000"
    r = make_config(api, b["id"], expect=400, fields=bad)
    assert r["error"]["code"] == "validation_error"
    assert r["error"]["details"]["fields"][0]["field"] == "fields/1/comparator"
    bad = fields(["surname"])
    bad[0]["normalize"] = ["lowercase_everything"]
    r = make_config(api, b["id"], expect=400, fields=bad)
    assert r["error"]["details"]["fields"][0]["field"] == "fields/0/normalize/0"
    bad = fields(["surname"])
    bad[0]["reference_column"] = "shoe_size"
    r = make_config(api, b["id"], expect=400, fields=bad)
    assert r["error"]["details"]["fields"][0]["field"] == "fields/0/reference_column"
    r = make_config(api, "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", expect=400)
    assert r["error"]["details"]["fields"][0]["field"] == "reference_dataset_id"
    r = make_config(api, b["id"], expect=400, link_type="many_to_many")
    assert r["error"]["details"]["fields"][0]["field"] == "link_type"
    r = make_config(api, b["id"], expect=400, fields=fields(["surname"]), blocking=[["nope"]])
    assert r["error"]["details"]["fields"][0]["field"] == "blocking/0/0"
    # plain run without blocking rules: only smart-run chooses them
    cfg = make_config(api, b["id"], fields=fields(["surname"]))
    r = api.post("/v1/matching/configs/%s/run" % cfg["id"], json={"input_dataset_id": a["id"]})
    assert r.status_code == 400 and r.json()["error"]["details"]["fields"][0]["field"] == \
        "blocking"
    # CRUD: get, patch, list, delete
    got = api.get("/v1/matching/configs/" + cfg["id"], "linkage.config.response.json").json()
    assert got["link_type"] == "best_match" and got["mode"] == "link"
    r = api.request("PATCH", "/v1/matching/configs/" + cfg["id"],
                    "linkage.config.response.json", json={"threshold": 0.8, "name": "renamed"})
    assert r.status_code == 200 and r.json()["threshold"] == 0.8
    assert r.json()["name"] == "renamed"
    r = api.request("PATCH", "/v1/matching/configs/" + cfg["id"],
                    json={"fields": [{"name": "x", "input_column": "surname",
                                      "reference_column": "surname", "comparator": "bogus"}]})
    assert r.status_code == 400
    assert r.json()["error"]["details"]["fields"][0]["field"] == "fields/0/comparator"
    page = api.get("/v1/matching/configs", "linkage.configs.list.response.json",
                   params={"limit": 1}).json()
    assert len(page["data"]) == 1 and page["next_cursor"]
    assert api.request("DELETE", "/v1/matching/configs/" + cfg["id"]).status_code == 204
    assert api.get("/v1/matching/configs/" + cfg["id"]).status_code == 404


@pytest.mark.parametrize("body,line", [
    (b"a,b,c\n1,2,3\n4,5\n", 3),                        # ragged row
    (b"a,b\n1,2\n3,\"unterminated\n4,5\n", 3),          # unterminated quote
    (b"a,b\n1,2\n\x00\x01\x02,\xff\xfe\n", 3),          # binary garbage
    (b"", None),                                        # empty file
])
def test_bad_csv(api, body, line):
    r = api.post("/v1/matching/datasets", files={"file": ("bad.csv", body, "text/csv")})
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    assert err["details"]["fields"][0]["field"] == "file"
    if line:
        assert "line %d" % line in err["message"] and err["details"]["line"] == line


def test_datasets_crud(api):
    ds = api.post("/v1/matching/datasets", "linkage.dataset.response.json",
                  params={"name": "empty"}, data=b"a,b,c\n",
                  headers={"Content-Type": "text/csv"})
    assert ds.status_code == 201 and ds.json()["row_count"] == 0, ds.text
    assert ds.json()["columns"] == ["a", "b", "c"]
    did = ds.json()["id"]
    got = api.get("/v1/matching/datasets/" + did, "linkage.dataset.response.json")
    assert got.status_code == 200 and got.json() == ds.json()
    page = api.get("/v1/matching/datasets", "linkage.datasets.list.response.json",
                   params={"limit": 100})
    assert did in [d["id"] for d in page.json()["data"]]
    assert api.request("DELETE", "/v1/matching/datasets/" + did).status_code == 204
    assert api.get("/v1/matching/datasets/" + did).status_code == 404
    assert api.request("DELETE", "/v1/matching/datasets/" + did).status_code == 404
    assert api.get("/v1/matching/datasets/not-a-uuid").status_code == 404
    st = api.get("/v1/matching/strategies", "linkage.strategies.response.json").json()
    assert {"auto", "people", "organizations", "addresses", "products"} <= \
        {s["id"] for s in st["data"]}


def test_idempotent_run_and_cancel(api, febrl):
    a, b = febrl
    cfg = make_config(api, b["id"], fields=fields(PEOPLE))
    path = "/v1/matching/configs/%s/smart-run" % cfg["id"]
    body = {"input_dataset_id": a["id"], "strategy_id": "people"}
    r1 = api.post(path, json=body, headers={"Idempotency-Key": "k-1"})
    r2 = api.post(path, json=body, headers={"Idempotency-Key": "k-1"})
    assert r1.status_code == 202 and r2.status_code == 202, r2.text
    assert r1.json()["id"] == r2.json()["id"]
    assert r2.headers.get("Idempotent-Replayed") == "true"
    c = api.post("/v1/jobs/%s/cancel" % r1.json()["id"])
    assert c.status_code in (200, 202, 409), c.text
    done = wait_run(api, r1.json()["id"])
    assert done["status"] in ("canceled", "completed")
    if done["status"] == "canceled":
        r = api.get("/v1/matching/runs/%s/results" % done["id"])
        assert r.status_code == 409 and r.json()["error"]["code"] == "conflict"
    other = Client(api.server, api.server.keys["other"])
    assert other.get("/v1/matching/runs/" + r1.json()["id"]).status_code == 404


def test_results_across_batches_csv_stream_and_deleted_dataset(api):
    """12,345 input rows: the results are written in batches of 10,000 and rendered when read;
    pages cross the batch boundary, the CSV export (streamed, chunked) agrees with the JSON
    pages row by row, and once a dataset of the run is deleted its results are a 409."""
    n, nref = 12345, 500
    inp = "id,name,city\n" + "".join(
        "in%d,name%d,c%d\n" % (i, i % 600, (i % 600) % 7) for i in range(n))
    ref = "rid,name,city\n" + "".join("ref%d,name%d,c%d\n" % (j, j, j % 7) for j in range(nref))
    a = api.post("/v1/matching/datasets", "linkage.dataset.response.json",
                 params={"name": "batch_in"}, data=inp.encode(),
                 headers={"Content-Type": "text/csv"}).json()
    b = api.post("/v1/matching/datasets", "linkage.dataset.response.json",
                 params={"name": "batch_ref"}, data=ref.encode(),
                 headers={"Content-Type": "text/csv"}).json()
    cfg = make_config(api, b["id"], fields=fields(["name", "city"]), blocking=[["name"]])
    r = api.post("/v1/matching/configs/%s/run" % cfg["id"], json={"input_dataset_id": a["id"]})
    assert r.status_code == 202, r.text
    done = wait_run(api, r.json()["id"])
    assert done["status"] == "completed" and done["rows_processed"] == n, done
    rows = all_results(api, done["id"])
    assert [x["row"] for x in rows] == list(range(n))
    for x in rows:
        assert x["input"]["id"] == "in%d" % x["row"]
        if x["row"] % 600 >= nref:
            assert x["match"] is None and x["candidates"] == [], x
        if x["match"]:
            assert x["match"]["name"] == x["input"]["name"], x
            assert x["match"]["rid"] == "ref%d" % x["match_row"]
            assert [f["name"] for f in x["fields"]] == ["name", "city"]
    matched = sum(1 for x in rows if x["match"])
    assert matched == done["rows_matched"] and matched > 0
    c = api.get("/v1/matching/runs/%s/results" % done["id"], params={"format": "csv"})
    assert c.status_code == 200 and c.headers["Content-Type"].startswith("text/csv")
    assert c.headers.get("Transfer-Encoding") == "chunked"
    lines = list(csv.reader(io.StringIO(c.text)))
    assert lines[0] == ["input_row", "status", "confidence", "match_weight", "match_row",
                        "input_id", "input_name", "input_city", "match_rid", "match_name",
                        "match_city"]
    assert len(lines) == n + 1
    for x, line in zip(rows, lines[1:]):
        assert int(line[0]) == x["row"] and line[1] == x["status"]
        assert abs(float(line[2]) - x["confidence"]) < 1e-6
        assert line[4] == ("" if x["match_row"] is None else str(x["match_row"]))
        assert line[5] == x["input"]["id"]
        assert line[8] == (x["match"]["rid"] if x["match"] else "")
    un = api.get("/v1/matching/runs/%s/results" % done["id"],
                 params={"format": "csv", "status": "unmatched"}).text
    assert len(list(csv.reader(io.StringIO(un)))) - 1 == \
        sum(1 for x in rows if x["status"] == "unmatched")
    # the rows are rendered from the stored datasets: without them there is nothing to show
    assert api.request("DELETE", "/v1/matching/datasets/" + b["id"]).status_code == 204
    for q in ({}, {"format": "csv"}):
        r = api.get("/v1/matching/runs/%s/results" % done["id"], params=q)
        assert r.status_code == 409, r.text
        assert r.json()["error"]["code"] == "conflict" and "deleted" in r.json()["error"]["message"]


def test_inferred_fields_follow_values_and_label_levels(api, tmp_path):
    """A name hint alone does not decide: "birth_place" holds places, not dates of birth, so it
    is compared as a locality; the model and the waterfall label every level of the fields as
    compared (a shared-prefix level for free text included)."""
    rows = ["given_name,surname,birth_date,birth_place,notes"]
    places = ["Springfield", "Shelbyville", "Capital City", "Ogdenville", "North Haverbrook"]
    for i in range(60):
        note = "customer since %d visiting the showroom weekly" % (1990 + i % 30)
        rows.append("Anna%d,Smith%d,19%02d-0%d-1%d,%s,%s" % (
            i, i % 7, 50 + i % 40, 1 + i % 9, i % 9, places[i % 5], note))
        if i % 3 == 0:  # a near copy with a cut note
            rows.append("Ana%d,Smith%d,19%02d-0%d-1%d,%s,%s" % (
                i, i % 7, 50 + i % 40, 1 + i % 9, i % 9, places[i % 5], note[:24]))
    p = tmp_path / "people.csv"
    p.write_text("\n".join(rows) + "\n")
    ds = upload(api, str(p))
    cfg = make_config(api, ds["id"], mode="dedupe", link_type="all_above_threshold")
    r = api.post("/v1/matching/configs/%s/smart-run" % cfg["id"], "linkage.run.response.json",
                 json={"strategy_id": "people"})
    assert r.status_code == 202, r.text
    done = wait_run(api, r.json()["id"])
    assert done["status"] == "completed", done
    m = api.get("/v1/matching/runs/%s/model" % done["id"], "linkage.model.response.json")
    assert m.status_code == 200, m.text
    fields_by = {f["name"]: f for f in m.json()["fields"]}
    assert fields_by["birth_place"]["comparator"] == "jaro_winkler", fields_by["birth_place"]
    assert "digits_only" not in fields_by["birth_place"]["normalize"]
    assert fields_by["birth_date"]["comparator"] in ("levenshtein", "date")
    for f in fields_by.values():
        labels = [lv["label"] for lv in f["levels"]]
        assert labels[0] == "exact" and labels[-1] == "else", (f["name"], labels)
        assert len(set(labels)) == len(labels), (f["name"], labels)
        assert "" not in labels and ">= 0" not in labels and "<= 0" not in labels, labels
    notes = fields_by.get("notes")
    if notes and notes["comparator"] in ("token_set", "qgram_cosine"):
        assert [lv["label"] for lv in notes["levels"]][1] == "shared prefix", notes


# ---- streamed uploads: bounded memory, concurrency, errors and cancellation ----

def person(n):
    """Data row n of gen_csv (for n not a multiple of 1000)."""
    return {"rec_id": "rec-%d" % n, "given_name": "given%d" % (n % 5000),
            "surname": "surname%d" % (n % 7919), "street": "%d elm street" % (n % 977),
            "city": "city%d" % (n % 313), "postcode": "%05d" % (n % 99999), "note": "note %d" % n}


def gen_csv(path, mb, bad_line=None):
    """A people table of about mb MiB; with bad_line, that physical line lacks a field.
    Returns the number of data rows."""
    rows = 0
    with open(path, "w", newline="") as f:
        f.write("rec_id,given_name,surname,street,city,postcode,note\n")
        size, line = 0, 1
        while size < mb << 20:
            line += 1
            rows += 1
            if line == bad_line:
                row = "rec-%d,ann,smith,1 main st,springfield\n" % rows
            elif rows % 1000 == 0:
                row = 'rec-%d,"Smith, Jr.",o\'neil,"2 ""high""\nstreet",x,%05d,q\n' % (
                    rows, rows % 99999)
                line += 1  # the quoted field spans two physical lines
            else:
                row = ",".join(person(rows).values()) + "\n"
            f.write(row)
            size += len(row)
    return rows


def sanitized(srv):
    """AddressSanitizer keeps freed memory in quarantine: peak memory then says nothing."""
    with open("/proc/%d/maps" % srv.proc.pid) as f:
        return "libasan" in f.read()


def vm_hwm_kb(srv):
    with open("/proc/%d/status" % srv.proc.pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise AssertionError("no VmHWM")


def upload_rows(srv, table):
    """Rows of a table behind the server's back (chunks are not visible through the API)."""
    if srv.db.startswith("sqlite:"):
        import sqlite3
        c = sqlite3.connect(srv.db[len("sqlite:"):], timeout=30)
        try:
            return c.execute("SELECT count(*) FROM %s" % table).fetchone()[0]
        finally:
            c.close()
    from conftest import psql
    return int(psql(srv.db, "SELECT count(*) FROM %s" % table)[0][0])


@pytest.fixture
def fresh(tmp_path):
    """A server of its own, so its peak memory says what the uploads cost."""
    s = Server(str(tmp_path), env={"MATCHD_WORKERS": "1"})
    s.start()
    s.cli("workspaces", "create", "up", "--credits", "100", "--rate-limit", "100000",
          "--rate-period-ms", "1000", "--rate-burst", "100000")
    s.api = Client(s, s.key("up"))
    yield s
    s.stop()


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("big") / "people_50m.csv")
    rows = gen_csv(path, 50)
    return path, rows


def test_large_upload_streams_in_bounded_memory(fresh, big_csv):
    path, rows = big_csv
    size = os.path.getsize(path)
    # Warm up (first connection, caches, the auth path) before the baseline.
    small = fresh.api.post("/v1/matching/datasets", params={"name": "warm"},
                           data=b"a,b\n1,2\n", headers={"Content-Type": "text/csv"})
    assert small.status_code == 201, small.text
    before = vm_hwm_kb(fresh)
    with open(path, "rb") as f:
        r = fresh.api.post("/v1/matching/datasets", "linkage.dataset.response.json",
                           params={"name": "big"}, data=f, headers={"Content-Type": "text/csv"})
    assert r.status_code == 201, r.text
    grew = vm_hwm_kb(fresh) - before
    print("50 MiB text/csv upload: VmHWM %d -> %d kB (+%d kB) for a %d kB file" % (
        before, before + grew, grew, size // 1024))
    assert sanitized(fresh) or grew * 1024 < size / 4, \
        "peak memory grew by %d kB for a %d kB file" % (grew, size // 1024)
    d = r.json()
    assert d["row_count"] == rows and d["columns"][0] == "rec_id" and len(d["columns"]) == 7
    assert upload_rows(fresh, "blob_chunks") >= size >> 20
    assert upload_rows(fresh, "blob_uploads") == 0

    # The same file as a multipart field, then the stored table is read whole by a run.
    before = vm_hwm_kb(fresh)
    with open(path, "rb") as f:
        r = fresh.api.post("/v1/matching/datasets", "linkage.dataset.response.json",
                           files={"file": ("people.csv", f, "text/csv")})
    assert r.status_code == 201, r.text
    grew = vm_hwm_kb(fresh) - before
    print("50 MiB multipart upload: +%d kB" % grew)
    assert sanitized(fresh) or grew * 1024 < size / 4
    assert r.json()["row_count"] == rows and r.json()["name"] == "people.csv"
    # A run reads the stored table back whole: a row from a late chunk is found.
    cfg = make_config(fresh.api, r.json()["id"], blocking=[["postcode"]],
                      fields=fields(["given_name", "surname", "street", "city"]))
    probe = person(rows - 7)
    run = fresh.api.post("/v1/matching/configs/%s/run" % cfg["id"], json={"rows": [probe]})
    assert run.status_code == 202, run.text
    done = wait_run(fresh.api, run.json()["id"], timeout=120)
    assert done["status"] == "completed", done
    got = all_results(fresh.api, done["id"])
    assert got[0]["match"]["rec_id"] == probe["rec_id"], got[0]


def test_concurrent_uploads(fresh, tmp_path):
    import threading
    paths = []
    for i in range(4):
        p = str(tmp_path / ("c%d.csv" % i))
        paths.append((p, gen_csv(p, 20)))
    before = vm_hwm_kb(fresh)
    out = [None] * 4

    def one(i):
        p, _ = paths[i]
        with open(p, "rb") as f:
            if i % 2:
                r = fresh.api.post("/v1/matching/datasets", files={"file": ("c.csv", f)},
                                   data={"name": "c%d" % i})
            else:
                r = fresh.api.post("/v1/matching/datasets", params={"name": "c%d" % i},
                                   data=f, headers={"Content-Type": "text/csv"})
        out[i] = r

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    grew = vm_hwm_kb(fresh) - before
    total = sum(os.path.getsize(p) for p, _ in paths)
    print("4 concurrent 20 MiB uploads: VmHWM +%d kB for %d kB in all" % (grew, total // 1024))
    for i, r in enumerate(out):
        assert r is not None and r.status_code == 201, r and r.text
        assert r.json()["row_count"] == paths[i][1] and r.json()["name"] == "c%d" % i
    assert sanitized(fresh) or grew * 1024 < total / 3
    assert upload_rows(fresh, "blob_uploads") == 0


def test_bad_row_deep_in_a_large_file_leaves_nothing(fresh, tmp_path):
    p = str(tmp_path / "bad.csv")
    gen_csv(p, 20, bad_line=200001)
    listed = fresh.api.get("/v1/matching/datasets", params={"limit": 100}).json()["data"]
    with open(p, "rb") as f:
        r = fresh.api.post("/v1/matching/datasets", files={"file": ("bad.csv", f, "text/csv")})
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == "validation_error"
    assert err["details"]["line"] == 200001, err
    assert "line 200001" in err["message"] and "fields" in err["message"], err
    assert fresh.api.get("/v1/matching/datasets",
                         params={"limit": 100}).json()["data"] == listed
    assert upload_rows(fresh, "blob_chunks") == 0
    assert upload_rows(fresh, "blob_uploads") == 0
    # An unterminated quote far down: the reader's message, with the line of the whole file.
    with open(p, "w") as f:
        f.write("a,b\n" + "1,2\n" * 600000 + '3,"oops\n' + "4,5\n" * 1000)
    with open(p, "rb") as f:
        r = fresh.api.post("/v1/matching/datasets", params={"name": "q"}, data=f,
                           headers={"Content-Type": "text/csv"})
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["details"]["line"] == 600002, err
    assert "starting at line 600002" in err["message"], err
    assert upload_rows(fresh, "blob_chunks") == 0


def test_upload_cut_by_the_client_leaves_nothing(fresh, big_csv):
    import socket
    path, _ = big_csv
    size = os.path.getsize(path)
    s = socket.create_connection(("127.0.0.1", fresh.port))
    head = ("POST /v1/matching/datasets?name=cut HTTP/1.1\r\nHost: x\r\n"
            "Authorization: Bearer %s\r\nContent-Type: text/csv\r\n"
            "Content-Length: %d\r\n\r\n" % (fresh.api.key, size)).encode()
    s.sendall(head)
    with open(path, "rb") as f:
        s.sendall(f.read(10 << 20))
    # Chunks are written while the upload is in flight ...
    deadline = time.time() + 20
    while time.time() < deadline and upload_rows(fresh, "blob_chunks") < 9:
        time.sleep(0.05)
    time.sleep(0.5)
    assert upload_rows(fresh, "blob_chunks") == 9  # the tenth waits in the writer's buffer
    assert upload_rows(fresh, "blob_uploads") == 1
    # (A client that closes while the server still has unread bytes queued is only noticed
    # by libmicrohttpd 0.9.75 at the 30 s idle timeout; the cleanup is the same then.)
    s.close()
    # ... and removed once the client has gone.
    deadline = time.time() + 20
    while time.time() < deadline and (upload_rows(fresh, "blob_uploads") or
                                      upload_rows(fresh, "blob_chunks")):
        time.sleep(0.05)
    assert upload_rows(fresh, "blob_uploads") == 0
    assert upload_rows(fresh, "blob_chunks") == 0
    assert fresh.api.get("/v1/matching/datasets").json()["data"] == []
    assert fresh.alive()


def test_upload_refused_before_anything_is_stored(fresh, big_csv):
    path, _ = big_csv
    with open(path, "rb") as f:
        r = requests.post(fresh.url + "/v1/matching/datasets", data=f,
                          headers={"Content-Type": "text/csv",
                                   "Authorization": "Bearer nope"})
    assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized", r.text
    r = fresh.api.post("/v1/matching/datasets", data=b"a,b\n1,2\n",
                       headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["code"] == "validation_error", r.text
    r = requests.post(fresh.url + "/v1/matching/datasets", data=b"a,b\n1,2\n",
                      headers={"Content-Type": "application/json"})
    assert r.status_code == 401, "the key is checked first: %s" % r.text
    r = fresh.api.post("/v1/matching/datasets", files={"other": ("x.csv", b"a\n1\n")})
    assert r.status_code == 400 and "file is required" in r.json()["error"]["message"]
    assert upload_rows(fresh, "blob_chunks") == 0
    assert upload_rows(fresh, "blob_uploads") == 0
