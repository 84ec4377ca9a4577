"""State that must hold across API nodes sharing one PostgreSQL database: rate limits (one
atomic upsert per request on the database clock) and idempotency keys (two nodes receiving
the same key at once create one job). PostgreSQL only."""
import os
import tempfile
import threading

import pytest

from conftest import CV_PDF, PG_URL, Client, Node, new_database, Server

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs MATCHD_TEST_PG_URL")


@pytest.fixture
def two_nodes(tmpdir_path):
    db = new_database(tempfile.mkdtemp(dir=tmpdir_path))
    admin = Server(tempfile.mkdtemp(dir=tmpdir_path))
    admin.db = db
    nodes = [Node(tempfile.mkdtemp(dir=tmpdir_path), db, "serve", args=["--no-workers"],
                  name="api%d" % i) for i in range(2)]
    for n in nodes:
        n.start()
    yield admin, nodes
    for n in nodes:
        if n.alive():
            n.stop()


def test_rate_limit_holds_across_nodes(two_nodes):
    admin, nodes = two_nodes
    admin.cli("workspaces", "create", "rl", "--credits", "100", "--rate-limit", "6",
              "--rate-period-ms", "600000", "--rate-burst", "6")
    key = admin.key("rl")
    clients = [Client(n, key) for n in nodes]
    codes = [clients[i % 2].get("/v1/jobs").status_code for i in range(12)]
    assert codes.count(200) == 6, codes
    assert codes.count(429) == 6, codes
    r = clients[0].get("/v1/jobs")
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    assert "RateLimit-Policy" in r.headers and "RateLimit" in r.headers


def test_same_idempotency_key_on_two_nodes_makes_one_job(two_nodes):
    admin, nodes = two_nodes
    admin.cli("workspaces", "create", "idem", "--credits", "100")
    key = admin.key("idem")
    clients = [Client(n, key) for n in nodes]
    pdf = open(CV_PDF, "rb").read()
    results = []
    lock = threading.Lock()
    start = threading.Barrier(10)

    def one(i):
        c = clients[i % 2]
        start.wait()
        r = c.s.post(c.server.url + "/api/v1/cvdeepmatch/submit",
                     files={"cv_file": ("cv.pdf", pdf, "application/pdf")},
                     data={"job_description": "Python engineer", "idempotency_key": "same-key"},
                     timeout=30)
        with lock:
            results.append((r.status_code, r.json()))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    codes = sorted(code for code, _ in results)
    assert codes.count(202) == 1, codes
    assert all(code in (200, 202, 409) for code in codes), results
    ids = {body["id"] for code, body in results if code in (200, 202)}
    assert len(ids) == 1, ids
    jobs = clients[0].get("/v1/jobs?limit=100").json()["data"]
    assert len(jobs) == 1, jobs
