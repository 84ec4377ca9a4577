"""Failure of the database itself (issue 4 §2), PostgreSQL only: under a steady load of submits
and GETs on two API nodes (one API-only, one with workers) and a worker node, the PostgreSQL
server is restarted (scripts/pg-test-cluster.sh restart), or stopped for a few seconds and
started again. The nodes reconnect by themselves; requests in the gap get 503 with Retry-After
(a submit whose enqueue failed may get the documented 500 STEP_FUNCTIONS_FAILED, and then
succeeds when retried with the same idempotency key); no node crashes; every accepted job (202)
still exists and finishes afterwards; events and wake-ups (LISTEN/NOTIFY) work again.

Needs MATCHD_TEST_PG_URL and MATCHD_TEST_PG_DIR (the cluster folder given to
scripts/pg-test-cluster.sh start; scripts/run-tests.sh sets both).
"""
import glob
import os
import random
import subprocess
import tempfile
import threading
import time
import uuid

import pytest
import requests

from conftest import CV_PDF, PG_URL, ROOT, Client, Node, new_database, psql

PG_DIR = os.environ.get("MATCHD_TEST_PG_DIR")
if not PG_URL or not PG_DIR:
    pytest.skip("database-restart tests need MATCHD_TEST_PG_URL and MATCHD_TEST_PG_DIR",
                allow_module_level=True)

TERMINAL = ("succeeded", "failed", "canceled")
LOAD_THREADS = 4


def pg_ctl(*args):
    bindir = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                    key=lambda p: [int(x) for x in p.split("/")[-2].split(".")])[-1]
    cmd = [os.path.join(bindir, "pg_ctl"), "-D", os.path.join(PG_DIR, "data")] + list(args)
    if os.getuid() == 0:
        cmd = ["runuser", "-u", "postgres", "--"] + cmd
    subprocess.run(cmd, check=True, capture_output=True, timeout=90)


def pg_is_up():
    r = subprocess.run(["psql", PG_URL, "-XAtqc", "SELECT 1"], capture_output=True, timeout=30)
    return r.returncode == 0


def restart_script():
    subprocess.run([os.path.join(ROOT, "scripts", "pg-test-cluster.sh"), "restart", PG_DIR],
                   check=True, capture_output=True, timeout=120)


@pytest.fixture
def nodes():
    tmp = tempfile.mkdtemp(prefix="matchd-dbr-")
    db = new_database(tmp)
    env = {"MATCHD_LEASE_MS": "2000", "MATCHD_WORKERS": "2", "MATCHD_AUTH_CACHE_MS": "0"}
    api = Node(tmp, db, "serve", env, ["--no-workers"], name="api")
    full = Node(tmp, db, "serve", env, [], name="full")
    worker = Node(tmp, db, "worker", env, name="worker")
    started = []
    try:
        for n in (api, full, worker):
            n.start()
            started.append(n)
        api.cli("workspaces", "create", "dbr", "--credits", "100000", "--rate-limit", "1000000",
                "--rate-period-ms", "1000", "--rate-burst", "1000000")
        yield api, full, worker, api.key("dbr")
    finally:
        if not pg_is_up():  # never leave the shared cluster down for the next tests
            pg_ctl("-l", os.path.join(PG_DIR, "server.log"), "-w", "-t", "60", "start")
        for n in started:
            if n.alive():
                n.stop(9)


class Load:
    """Threads submitting (with idempotency keys) and reading, alternating between the API
    nodes, recording every answer until stopped."""

    def __init__(self, api_nodes, key):
        self.nodes = api_nodes
        self.key = key
        self.pdf = open(CV_PDF, "rb").read()
        self.lock = threading.Lock()
        self.accepted = {}          # job id -> idempotency key
        self.enqueue_failed = []    # idempotency keys answered 500 STEP_FUNCTIONS_FAILED
        self.answers = []           # (time, node, what, status, error code, Retry-After)
        self.conn_errors = []
        self.stop = threading.Event()
        self.threads = [threading.Thread(target=self.loop, args=(i,), daemon=True)
                        for i in range(LOAD_THREADS)]

    def start(self):
        self.t0 = time.time()
        for t in self.threads:
            t.start()
        return self

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(60)

    def submit(self, s, node, idem):
        return s.post(node.url + "/api/v1/cvdeepmatch/submit", timeout=30,
                      files={"cv_file": ("cv.pdf", self.pdf, "application/pdf")},
                      data={"job_description": "Python engineer", "idempotency_key": idem})

    def note(self, node, what, r, path=None):
        code = None
        if r.headers.get("Content-Type", "").startswith("application/json") and r.content:
            try:
                code = (r.json().get("error") or {}).get("code")
            except ValueError:
                code = "<not JSON>"
        with self.lock:
            self.answers.append((time.time(), node.name, what, r.status_code, code,
                                 r.headers.get("Retry-After"), path))

    def loop(self, n):
        s = requests.Session()
        s.headers["Authorization"] = "Bearer " + self.key
        rng = random.Random(n)
        i = 0
        while not self.stop.is_set():
            i += 1
            node = self.nodes[i % len(self.nodes)]
            try:
                idem = "dbr-%d-%d-%s" % (n, i, uuid.uuid4().hex[:6])
                r = self.submit(s, node, idem)
                self.note(node, "submit", r)
                if r.status_code == 202:
                    with self.lock:
                        self.accepted[r.json()["id"]] = idem
                elif r.status_code == 500:
                    with self.lock:
                        self.enqueue_failed.append(idem)
                with self.lock:
                    known = list(self.accepted)
                if known:
                    jid = rng.choice(known)
                    for what, path in (("job", "/v1/jobs/" + jid),
                                       ("cv", "/api/v1/cvdeepmatch/" + jid),
                                       ("credits", "/v1/credits?limit=5"),
                                       ("list", "/v1/jobs?limit=5"),
                                       ("deliveries", "/v1/webhooks/deliveries?jobId=" + jid),
                                       ("events", "/v1/jobs/%s/events" % jid)):
                        r = s.get(node.url + path, timeout=30, stream=what == "events")
                        if what == "events" and r.status_code == 200:
                            # a finished job's stream ends by itself; a running one is cut
                            deadline = time.time() + 2
                            for _ in r.iter_lines():
                                if time.time() > deadline:
                                    break
                        r.close()
                        self.note(node, what, r, path)
            except requests.RequestException as e:
                with self.lock:
                    self.conn_errors.append((time.time(), node.name, repr(e)[:200]))
                time.sleep(0.05)
            time.sleep(0.02)


def probe(node, path):
    try:
        r = requests.get(node.url + path, timeout=10)
        return r.status_code, r.headers.get("Retry-After")
    except requests.RequestException as e:
        return repr(e)[:100], None


def run_scenario(nodes, outage):
    api, full, worker, key = nodes
    load = Load([api, full], key).start()
    time.sleep(2.0)
    probes = []
    t_down = time.time()
    outage(lambda: probes.extend([("api", probe(api, "/readyz")), ("full", probe(full, "/readyz")),
                                  ("api-healthz", probe(api, "/healthz"))]))
    t_up = time.time()
    load.t_down, load.t_up = t_down, t_up
    time.sleep(3.0)
    load.finish()
    return load, probes, t_down, t_up


def check_answers(load, nodes):
    api, full, worker, key = nodes
    for n in (api, full, worker):
        assert n.alive(), "%s died: %s" % (n.name, n.log()[-3000:])
    assert load.conn_errors == [], load.conn_errors[:5]
    bad = []
    for t, node, what, status, code, retry_after, path in load.answers:
        if status in (200, 202):
            continue
        if status == 503 and retry_after:
            continue
        if status == 500 and what == "submit" and code == "STEP_FUNCTIONS_FAILED":
            continue
        bad.append((round(t - load.t0, 2), node, what, path, status, code, retry_after))
    if bad:  # does a job answered 404 exist now that the database is back?
        exists = {}
        for b in bad:
            if b[4] == 404 and b[3]:
                jid = b[3].rsplit("/", 1)[1]
                exists[jid] = psql(api.db, "SELECT status FROM jobs WHERE id = '%s'" % jid)
        raise AssertionError("answers other than 2xx, 503+Retry-After, 500 "
                             "STEP_FUNCTIONS_FAILED (seconds into the load): %r; the 404'd jobs "
                             "in the database afterwards: %r; outage from %.2f to %.2f s"
                             % (bad[:10], exists, load.t_down - load.t0, load.t_up - load.t0))
    n_ok = sum(1 for a in load.answers if a[3] in (200, 202))
    assert n_ok > 20, "the load ran: %d good answers" % n_ok


def check_after(load, nodes, wait=60):
    """Every 202 still exists and finishes; failed enqueues succeed when retried with their
    key; a new job runs and streams live on the API-only node (LISTEN/NOTIFY is back)."""
    api, full, worker, key = nodes
    c = Client(api, key)
    deadline = time.time() + wait
    for jid in load.accepted:
        while True:
            r = c.get("/v1/jobs/" + jid)
            assert r.status_code in (200, 503), (jid, r.status_code, r.text)
            if r.status_code == 200 and r.json()["status"] in TERMINAL:
                break
            assert time.time() < deadline, "job %s did not finish: %s" % (jid, r.text)
            time.sleep(0.1)
        assert r.json()["status"] == "succeeded", r.json()
    s = requests.Session()
    s.headers["Authorization"] = "Bearer " + key
    for idem in load.enqueue_failed:
        # A key whose first request died with the database keeps its in-flight marker for
        # 15 s (src/api/cv.c IDEM_INFLIGHT_MS): a client retrying a 409 gets through after it.
        for _ in range(100):
            r = load.submit(s, api, idem)
            if r.status_code != 409:
                break
            time.sleep(0.2)
        assert r.status_code in (200, 202), \
            "retry of a failed enqueue with its idempotency key %s: %d %s; its row: %r" % (
                idem, r.status_code, r.text, psql(api.db, "SELECT key, resource_id, created_at "
                                                  "FROM idempotency_keys WHERE key = '%s'" % idem))
    # The credits: one charge per succeeded job.
    ledger = []
    cursor = None
    while True:
        r = c.get("/v1/credits?limit=100" + ("&cursor=" + cursor if cursor else ""))
        assert r.status_code == 200, r.text
        ledger += r.json()["ledger"]
        cursor = r.json().get("next_cursor")
        if not cursor:
            break
    charged = [e["jobId"] for e in ledger if e["reason"] == "charge"]
    assert len(charged) == len(set(charged)), "a job charged twice"
    assert set(load.accepted) <= set(charged)
    # A job submitted now is woken up promptly and its live stream on the API-only node ends.
    t0 = time.time()
    jid = c.submit_cv(expect=202).json()["id"]
    r = requests.get(api.url + "/v1/jobs/%s/events" % jid, stream=True, timeout=(5, 20),
                     headers={"Authorization": "Bearer " + key})
    assert r.status_code == 200
    last = None
    for line in r.iter_lines(decode_unicode=True):
        if line.startswith("event:"):
            last = line.split(":", 1)[1].strip()
    r.close()
    assert last == "succeeded", last
    assert time.time() - t0 < 15, "the stream took %.1f s" % (time.time() - t0)


def test_postgres_restart_under_load(nodes):
    def outage(_probe):
        restart_script()

    load, probes, t_down, t_up = run_scenario(nodes, outage)
    check_answers(load, nodes)
    check_after(load, nodes)
    print("restart: %d answers (%d x 503, %d x 500), %d accepted, restart %.1f s" % (
        len(load.answers), sum(1 for a in load.answers if a[3] == 503),
        sum(1 for a in load.answers if a[3] == 500), len(load.accepted), t_up - t_down))


def test_postgres_down_for_seconds_under_load(nodes):
    api, full, worker, key = nodes

    def outage(probe_now):
        pg_ctl("-m", "fast", "-w", "stop")
        time.sleep(1.5)
        probe_now()
        time.sleep(1.5)
        pg_ctl("-l", os.path.join(PG_DIR, "server.log"), "-w", "-t", "60", "start")

    load, probes, t_down, t_up = run_scenario(nodes, outage)
    check_answers(load, nodes)
    gap = [a for a in load.answers if t_down + 0.5 < a[0] < t_up - 0.2]
    assert gap, "requests were made during the outage"
    assert any(a[3] == 503 for a in gap), "no 503 during the outage: %r" % gap[:10]
    # A finished job is answered from the server's memory (src/api/jobs.c), database or not:
    # a 200 for GET /v1/jobs/:id is correct during the outage; everything else is 503 (or the
    # documented 500 STEP_FUNCTIONS_FAILED for a submit whose enqueue failed).
    def refused_or_cached(a):
        return a[3] in (503, 500) or (a[3] == 200 and a[2] == "job")
    assert all(refused_or_cached(a) for a in gap
               if a[0] < t_up - 0.5 and a[0] > t_down + 1.0), \
        [a for a in gap if not refused_or_cached(a)][:5]
    probes = dict(probes)
    assert probes["api"][0] == 503 and probes["api"][1], probes
    assert probes["full"][0] == 503 and probes["full"][1], probes
    assert probes["api-healthz"][0] == 200, probes
    check_after(load, nodes)
    # Ready again on every API node.
    for n in (api, full):
        deadline = time.time() + 10
        while probe(n, "/readyz")[0] != 200:
            assert time.time() < deadline, "%s not ready after the database came back" % n.name
            time.sleep(0.1)
    print("outage: %d answers (%d x 503, %d x 500), %d accepted, %d during the gap" % (
        len(load.answers), sum(1 for a in load.answers if a[3] == 503),
        sum(1 for a in load.answers if a[3] == 500), len(load.accepted), len(gap)))
