"""A record-matching run shared between nodes on one PostgreSQL database (issue 6: "on
PostgreSQL any node's workers can take a run's chunks"). The run's node submits helper jobs
that only other nodes claim; they load the same tables, claim units of candidate pairs and
submit their parts, which the run merges. The result must be identical to the same run on a
node alone, and a helper node that dies mid-run must cost time, not correctness.
PostgreSQL only."""
import os
import signal
import tempfile
import time

import pytest

from conftest import DATA, PG_URL, Client, Node, Server, new_database, psql, wait_run

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs MATCHD_TEST_PG_URL")

LINK = os.path.join(DATA, "linkage")
FEBRL_A = os.path.join(LINK, "febrl", "dataset4a.csv")
FEBRL_B = os.path.join(LINK, "febrl", "dataset4b.csv")
PEOPLE = ["given_name", "surname", "address_1", "suburb", "postcode", "date_of_birth",
          "soc_sec_id"]
# Blocking on state (8 values) makes millions of candidate pairs: many units to share.
BLOCKING = [["state"], ["soc_sec_id"]]
SHARE_ENV = {"MATCHD_LINKAGE_SHARE_MIN_PAIRS": "0",
             "MATCHD_LINKAGE_SHARE_EARLY_ROWS": "100000",
             "MATCHD_LINKAGE_SHARE_UNIT_PAIRS": "262144",
             "MATCHD_LINKAGE_SHARE_HELPERS": "2",
             "MATCHD_LINKAGE_SHARE_LEASE_MS": "1500",
             "MATCHD_WORKERS": "2"}


def upload(api, path):
    with open(path, "rb") as f:
        r = api.post("/v1/matching/datasets", "linkage.dataset.response.json",
                     files={"file": (os.path.basename(path), f.read(), "text/csv")})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def start_run(api):
    a, b = upload(api, FEBRL_A), upload(api, FEBRL_B)
    body = {"name": "shared", "reference_dataset_id": b, "link_type": "one_to_one",
            "threshold": 0.5, "blocking": BLOCKING,
            "fields": [{"name": n, "input_column": n, "reference_column": n,
                        "comparator": "jaro_winkler"} for n in PEOPLE]}
    r = api.post("/v1/matching/configs", "linkage.config.response.json", json=body)
    assert r.status_code == 201, r.text
    r = api.post("/v1/matching/configs/%s/run" % r.json()["id"], "linkage.run.response.json",
                 json={"input_dataset_id": a})
    assert r.status_code == 202, r.text
    return r.json()["id"]


def results(api, run_id):
    """Every result row as (row, matched reference rec_id, confidence, match_weight)."""
    out, cursor = [], None
    while True:
        q = {"limit": 1000}
        if cursor:
            q["cursor"] = cursor
        r = api.get("/v1/matching/runs/%s/results" % run_id, params=q)
        assert r.status_code == 200, r.text
        for x in r.json()["data"]:
            out.append((x["row"], x["match"]["rec_id"] if x["match"] else None,
                        x["confidence"], x.get("match_weight")))
        cursor = r.json()["next_cursor"]
        if not cursor:
            return out


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """The same run on one node with sharing off: the result a shared run must equal."""
    d = tempfile.mkdtemp(dir=str(tmp_path_factory.mktemp("alone")))
    s = Server(d, env={"MATCHD_LINKAGE_SHARE": "off", "MATCHD_WORKERS": "2"})
    s.start()
    try:
        s.cli("workspaces", "create", "acme", "--credits", "100", "--rate-limit", "100000",
              "--rate-period-ms", "1000", "--rate-burst", "100000")
        api = Client(s, s.key("acme"))
        run_id = start_run(api)
        done = wait_run(api, run_id, timeout=180)
        assert done["status"] == "completed", done
        model = api.get("/v1/matching/runs/%s/model" % run_id).json()
        return results(api, run_id), model
    finally:
        s.stop()


def make_cluster(tmp_path, env):
    """An API node with workers and a worker-only node (started by the test, once the API
    node has taken the run, so the run is on a and its helpers on b) on one fresh database."""
    db = new_database(tempfile.mkdtemp(dir=str(tmp_path)))
    a = Node(tempfile.mkdtemp(dir=str(tmp_path)), db, "serve", env=env, name="a")
    b = Node(tempfile.mkdtemp(dir=str(tmp_path)), db, "worker", env=env, name="b")
    a.start()
    a.cli("workspaces", "create", "acme", "--credits", "100", "--rate-limit", "100000",
          "--rate-period-ms", "1000", "--rate-burst", "100000")
    return db, a, b, Client(a, a.key("acme"))


@pytest.fixture(params=["late", "early"])
def cluster(request, tmp_path):
    """late: helpers are queued when the run opens its first pass; early: when it starts,
    before its tables are loaded (MATCHD_LINKAGE_SHARE_EARLY_ROWS=0)."""
    env = dict(SHARE_ENV)
    if request.param == "early":
        env["MATCHD_LINKAGE_SHARE_EARLY_ROWS"] = "0"
    c = make_cluster(tmp_path, env)
    yield c
    for n in c[1:3]:
        if n.alive():
            n.stop()


def start_on_a(api, b):
    """Starts the run, waits until node a's worker has it, then starts node b."""
    run_id = start_run(api)
    deadline = time.time() + 30
    while api.get("/v1/matching/runs/" + run_id).json()["status"] == "queued":
        assert time.time() < deadline, "the run was never claimed"
        time.sleep(0.01)
    b.start()
    return run_id


def wait_helper_holds_units(db, b, timeout=60):
    """Waits until a helper holds unfinished units (units not the run's)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        rows = psql(db, "SELECT count(*) FROM lk_share_units u JOIN jobs j ON j.id = u.owner "
                        "WHERE j.kind = '_linkage_help' AND u.done = 0")
        if rows and int(rows[0][0]) > 0:
            return
        time.sleep(0.02)
    raise AssertionError("no helper ever held a unit: " + b.log()[-2000:])


def helper_rows(db):
    return psql(db, "SELECT status, coalesce(result, ''), coalesce(error, '') FROM jobs "
                    "WHERE kind = '_linkage_help' ORDER BY created_at")


def test_shared_run_equals_the_run_alone(cluster, reference):
    db, a, b, api = cluster
    ref_rows, ref_model = reference
    run_id = start_on_a(api, b)
    done = wait_run(api, run_id, timeout=180)
    assert done["status"] == "completed", done
    assert results(api, run_id) == ref_rows
    model = api.get("/v1/matching/runs/%s/model" % run_id).json()
    assert model["pairs_compared"] == ref_model["pairs_compared"] > 2000000, model
    assert {k: v for k, v in model.items() if k != "run_id"} == \
        {k: v for k, v in ref_model.items() if k != "run_id"}
    # Helpers ran on the other node, computed units, and are not in the workspace's list.
    helpers = helper_rows(db)
    assert helpers, "no helper job was submitted"
    units = [int(r[1].split('"units":')[1].rstrip("}")) for r in helpers
             if r[0] == "succeeded" and '"units"' in r[1]]
    assert sum(units) > 0, helpers
    jobs = api.get("/v1/jobs?limit=100").json()["data"]
    assert all(j["kind"] == "linkage" for j in jobs), jobs
    # The run closed its share: nothing of it is left in the share tables.
    assert psql(db, "SELECT count(*) FROM lk_share_units")[0][0] == "0"
    assert psql(db, "SELECT count(*) FROM lk_share_parts")[0][0] == "0"
    assert "merged 1 helper part" in a.log() or "merged 2 helper part" in a.log(), a.log()


def test_a_helper_node_that_dies_costs_time_not_correctness(cluster, reference):
    db, a, b, api = cluster
    ref_rows, _ = reference
    run_id = start_on_a(api, b)
    wait_helper_holds_units(db, b)
    b.proc.send_signal(signal.SIGKILL)
    b.proc.wait(timeout=10)
    done = wait_run(api, run_id, timeout=180)
    assert done["status"] == "completed", done
    assert results(api, run_id) == ref_rows
    # Both helpers died with units in hand (one node); the run took those units over.
    assert not any(r[0] == "succeeded" for r in helper_rows(db)), helper_rows(db)
    assert psql(db, "SELECT count(*) FROM lk_share_units")[0][0] == "0"


def test_early_helpers_of_a_run_that_runs_alone_are_canceled(tmp_path, reference):
    env = dict(SHARE_ENV, MATCHD_LINKAGE_SHARE_EARLY_ROWS="0",
               MATCHD_LINKAGE_SHARE_MIN_PAIRS="1000000000000")
    db, a, b, api = make_cluster(tmp_path, env)
    try:
        run_id = start_on_a(api, b)
        done = wait_run(api, run_id, timeout=180)
        assert done["status"] == "completed", done
        assert results(api, run_id) == reference[0]
        # The helpers started with the run; it ran alone and canceled them: each ends canceled,
        # or (when it saw the run end first) succeeded having computed nothing.
        deadline = time.time() + 20
        while time.time() < deadline:
            rows = helper_rows(db)
            if rows and all(r[0] in ("canceled", "succeeded") for r in rows):
                break
            time.sleep(0.1)
        assert rows and all(r[0] == "canceled" or (r[0] == "succeeded" and '"units":0' in r[1])
                            for r in rows), rows
        assert psql(db, "SELECT count(*) FROM lk_shares")[0][0] == "0"
    finally:
        for n in (a, b):
            if n.alive():
                n.stop()


def test_a_helper_node_shut_down_gives_its_units_back(tmp_path, reference):
    # Leases of a minute: the run finishes well before one, only because the stopping helper
    # gave its units back instead of holding them until they expire.
    env = dict(SHARE_ENV, MATCHD_LINKAGE_SHARE_LEASE_MS="60000")
    db, a, b, api = make_cluster(tmp_path, env)
    try:
        run_id = start_on_a(api, b)
        wait_helper_holds_units(db, b)
        t0 = time.time()
        b.stop(sig=signal.SIGTERM)
        done = wait_run(api, run_id, timeout=45)
        assert done["status"] == "completed", done
        assert time.time() - t0 < 45
        assert results(api, run_id) == reference[0]
        # The unleased helper job nobody else could take was canceled with the run's end.
        assert all(r[0] in ("canceled", "succeeded") for r in helper_rows(db)), helper_rows(db)
    finally:
        for n in (a, b):
            if n.alive():
                n.stop()
