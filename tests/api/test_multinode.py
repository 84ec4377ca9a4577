"""Several nodes on one PostgreSQL database (issue 4 §2): two API nodes (`matchd serve
--no-workers`) and two worker nodes (`matchd worker`); 500 real CV jobs submitted concurrently
across both API nodes, each with a webhook to a local HTTPS receiver; SSE streams opened on API
node A for jobs submitted on API node B and run by the worker nodes (live, in order, without
gaps), resumed with Last-Event-ID on node B; `kill -9` of the worker running a job mid-job → the
job completes on the other worker. Afterwards, through the API and psql: every job terminal
exactly once, every succeeded job charged exactly once, every terminal event delivered by
exactly one successful webhook delivery whose webhook-id the receiver saw (retries keep it).

The scenario runs once (module fixture); each test checks one property of its outcome.
"""
import concurrent.futures as cf
import json
import os
import signal
import tempfile
import threading
import time

import pytest
import requests

from conftest import PDFS, PG_URL, Client, Node, new_database, psql
from webhook_receiver import Receiver

if not PG_URL:
    pytest.skip("multi-node tests need PostgreSQL (MATCHD_TEST_PG_URL)", allow_module_level=True)

N_JOBS = 500
SUBMIT_THREADS = 12
SMALL_PDF = os.path.join(PDFS, "10_openresume_react-pdf.pdf")
SLOW_PDF = os.path.join(PDFS, "07_typst-moderncv_cv_fr.pdf")
CREDITS = 5000
PRICE = 1
TERMINAL = ("succeeded", "failed", "canceled")
STAGE_ORDER = ["queued", "started", "extracting_text", "analysing", "scoring", "succeeded"]
N_WATCHED = 6        # jobs streamed live on node A
N_RESUMED = 4        # jobs streamed on A, cut, and resumed on B
RETRY_EVERY = 25     # every 25th job's webhook is answered 500 once, then 200


# ---- SSE --------------------------------------------------------------------------------------

def parse_sse(lines):
    events, cur = [], {}
    for line in lines:
        if line == "":
            if cur:
                events.append(cur)
            cur = {}
        elif line.startswith(":"):
            continue
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            cur[field] = value
    if cur:
        events.append(cur)
    for e in events:
        e["json"] = json.loads(e["data"]) if "data" in e else None
    return events


def open_stream(node, key, job_id, last_event_id=None, timeout=60):
    headers = {"Accept": "text/event-stream", "Authorization": "Bearer " + key}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    return requests.get(node.url + "/v1/jobs/%s/events" % job_id, headers=headers,
                        stream=True, timeout=(5, timeout))


def read_stream(node, key, job_id, last_event_id=None, timeout=60, max_events=None):
    """The events of a job's stream until it ends (or max_events are complete)."""
    r = open_stream(node, key, job_id, last_event_id, timeout)
    if r.status_code != 200:
        r.close()
        return r.status_code, []
    lines, n = [], 0
    for line in r.iter_lines(decode_unicode=True):
        lines.append(line)
        if line == "" and lines[:-1] and not lines[-2].startswith(":"):
            n += 1
            if max_events is not None and n >= max_events:
                break
    r.close()
    return 200, parse_sse(lines)


def stage_of(e):
    s = e["json"]["stage"]
    return "started" if s == "running" else s


def check_event_sequence(job_id, events):
    """ids strictly increasing; stages in order within each attempt (a takeover after a
    worker's death starts again at 'started'); exactly one terminal event, the last."""
    assert events, "no events for %s" % job_id
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), (job_id, ids)
    assert all(e["json"]["jobId"] == job_id for e in events), events
    assert events[0]["event"] == "queued", [e["event"] for e in events]
    terminal = [e for e in events if e["event"] in TERMINAL]
    assert len(terminal) == 1 and events[-1] is terminal[0], [e["event"] for e in events]
    pos = 0
    for e in events:
        s = stage_of(e)
        p = STAGE_ORDER.index(s) if s in STAGE_ORDER else pos
        if s == "started" or p >= pos:
            pos = p
        else:
            raise AssertionError("stage %s after %s in %s: %r" % (
                s, STAGE_ORDER[pos], job_id, [stage_of(x) for x in events]))
    prog = [e["json"]["progress"] for e in events]
    assert prog[-1] == 1, prog


# ---- the cluster and the scenario -------------------------------------------------------------

class Cluster:
    def __init__(self, tmp, rx):
        self.tmp = tmp
        self.rx = rx
        self.db = new_database(tmp)
        common = {"MATCHD_WEBHOOK_ALLOW_PRIVATE": "1", "MATCHD_WEBHOOK_CA_FILE": rx.ca_file,
                  "MATCHD_WEBHOOK_RETRY_SCALE": "0.001", "MATCHD_LOG_LEVEL": "info"}
        api_env = dict(common, MATCHD_HTTP_THREADS="4")
        worker_env = dict(common, MATCHD_LEASE_MS="2000", MATCHD_WORKERS="2")
        self.a = Node(tmp, self.db, "serve", api_env, ["--no-workers"], name="api-a")
        self.b = Node(tmp, self.db, "serve", api_env, ["--no-workers"], name="api-b")
        self.workers = [Node(tmp, self.db, "worker", worker_env, name="worker-%d" % i)
                        for i in (1, 2)]
        self.nodes = [self.a, self.b] + self.workers

    def start(self):
        self.a.start()  # applies the migrations; the others start together
        with cf.ThreadPoolExecutor(4) as ex:
            list(ex.map(lambda n: n.start(), self.nodes[1:]))
        self.a.cli("workspaces", "create", "mn", "--credits", str(CREDITS), "--rate-limit",
                   "1000000", "--rate-period-ms", "1000", "--rate-burst", "1000000")
        self.key = self.a.key("mn")
        return self

    def stop(self):
        for n in self.nodes:
            if n.alive():
                n.stop(signal.SIGKILL)

    def owner(self, job_id):
        rows = psql(self.db, "SELECT status, lease_owner, attempts FROM jobs WHERE id = '%s'"
                    % job_id)
        return rows[0] if rows else None

    def worker_by_owner(self, owner):
        pid = int(owner.rsplit(":", 1)[1])
        return next((w for w in self.workers if w.proc and w.proc.pid == pid), None)


class Outcome:
    """What the scenario saw, for the tests to check."""

    def __init__(self):
        self.accepted = {}      # job id -> webhook path
        self.refused = []       # (status, body) of non-202 submissions
        self.watched = {}       # job id -> live events read on node A
        self.resumed = {}       # job id -> (events before the cut on A, events after on B)
        self.victim = None      # the job whose worker was killed
        self.killed_owner = None
        self.other_owner = None
        self.errors = []        # exceptions in helper threads


def submit(client, i, pdf=SMALL_PDF, url=None):
    return client.submit_cv(pdf=pdf, jd="Senior Python engineer, job %d" % i, webhook=url)


@pytest.fixture(scope="module")
def scenario():
    rx = Receiver()
    tmp = tempfile.mkdtemp(prefix="matchd-mn-")
    cl = Cluster(tmp, rx)
    out = Outcome()
    t_start = time.time()
    try:
        cl.start()
        _run(cl, rx, out)
        out.t_run = time.time() - t_start
        _settle(cl, out)
        out.seconds = time.time() - t_start
        yield cl, rx, out
    finally:
        cl.stop()
        rx.close()


def _run(cl, rx, out):
    key = cl.key
    cb = Client(cl.b, key)

    # 1. The victim: a slow job; when its `started` event arrives (streamed on A), both
    #    workers are frozen (SIGSTOP), its owner is read from the database and killed with
    #    SIGKILL (mid-job: a frozen process cannot finish it), and the other worker resumes.
    #    Should the job have finished before the freeze, another victim is tried.
    for attempt in range(5):
        r = submit(cb, -1 - attempt, pdf=SLOW_PDF, url=rx.url("/victim"))
        assert r.status_code == 202, r.text
        victim = r.json()["id"]
        out.accepted[victim] = "/victim"
        out.victims_tried = attempt + 1
        stream = open_stream(cl.a, key, victim)
        assert stream.status_code == 200, stream.status_code
        victim_lines = []
        lines = stream.iter_lines(decode_unicode=True)
        for line in lines:
            victim_lines.append(line)
            if line.replace(" ", "") == "event:running":
                break
        for w in cl.workers:
            os.kill(w.proc.pid, signal.SIGSTOP)
        status, owner, attempts = cl.owner(victim)
        if status == "running":
            break
        for w in cl.workers:
            os.kill(w.proc.pid, signal.SIGCONT)
        stream.close()
    else:
        raise AssertionError("no victim job was ever caught mid-job")
    out.victim = victim
    victim_worker = cl.worker_by_owner(owner)
    assert victim_worker is not None, (owner, [w.proc.pid for w in cl.workers])
    other = next(w for w in cl.workers if w is not victim_worker)
    victim_worker.proc.send_signal(signal.SIGKILL)
    victim_worker.proc.wait()
    os.kill(other.proc.pid, signal.SIGCONT)
    out.killed_owner = owner
    out.worker_pids = {w.proc.pid for w in cl.workers}
    out.other_owner = owner.rsplit(":", 1)[0] + ":%d" % other.proc.pid

    def finish_victim_stream():
        try:
            for line in lines:
                victim_lines.append(line)
            stream.close()
            out.watched[victim] = parse_sse(victim_lines)
        except Exception as e:  # noqa: BLE001 - reported by the tests
            out.errors.append(("victim stream", repr(e)))

    vt = threading.Thread(target=finish_victim_stream, daemon=True)
    vt.start()

    def restart_after_takeover():
        # The killed worker comes back once the other one has taken the victim over, so both
        # share the load and the takeover is certainly the other worker's.
        try:
            deadline = time.time() + 30
            while time.time() < deadline:
                status, owner, _ = cl.owner(victim)
                if owner == out.other_owner:
                    break
                time.sleep(0.05)
            out.t_takeover = time.time()
            victim_worker.start()
        except Exception as e:  # noqa: BLE001
            out.errors.append(("restart", repr(e)))

    rt = threading.Thread(target=restart_after_takeover, daemon=True)
    rt.start()

    # 2. The load: 500 jobs across both API nodes from a thread pool, while jobs submitted on
    #    B are streamed live on A (and some cut and resumed on B).
    local = threading.local()

    def one(i):
        if not hasattr(local, "clients"):
            local.clients = (Client(cl.a, key), Client(cl.b, key))
        path = "/mn/%d" % i
        r = submit(local.clients[i % 2], i, url=rx.url(path))
        return i, path, r.status_code, (r.json() if r.content else None)

    for i in range(0, N_JOBS, RETRY_EVERY):
        rx.script("/mn/%d" % i, [500])

    def watch(job_id):
        try:
            status, events = read_stream(cl.a, key, job_id)
            assert status == 200, status
            out.watched[job_id] = events
        except Exception as e:  # noqa: BLE001
            out.errors.append(("watch %s" % job_id, repr(e)))

    def watch_and_resume(job_id):
        try:
            status, first = read_stream(cl.a, key, job_id, max_events=2)
            assert status == 200 and len(first) == 2, (status, first)
            status, rest = read_stream(cl.b, key, job_id, last_event_id=first[-1]["id"])
            assert status == 200, status
            out.resumed[job_id] = (first, rest)
        except Exception as e:  # noqa: BLE001
            out.errors.append(("resume %s" % job_id, repr(e)))

    watchers = []
    with cf.ThreadPoolExecutor(SUBMIT_THREADS) as ex:
        futures = [ex.submit(one, i) for i in range(N_JOBS)]
        for k in range(N_WATCHED + N_RESUMED):
            r = submit(cb, 10000 + k, url=rx.url("/watched/%d" % k))
            assert r.status_code == 202, r.text
            jid = r.json()["id"]
            out.accepted[jid] = "/watched/%d" % k
            t = threading.Thread(target=watch if k < N_WATCHED else watch_and_resume,
                                 args=(jid,), daemon=True)
            t.start()
            watchers.append(t)
        for f in cf.as_completed(futures):
            i, path, status, body = f.result()
            if status == 202:
                out.accepted[body["id"]] = path
            else:
                out.refused.append((status, body))

    # 3. The victim finishes on the other worker; then the killed worker comes back.
    out.t_submitted = time.time()
    vt.join(60)
    out.t_victim = time.time()
    assert not vt.is_alive(), "the victim's stream did not end"
    rt.join(60)
    assert victim_worker.alive(), "the killed worker did not come back"
    out.worker_pids.add(victim_worker.proc.pid)
    for t in watchers:
        t.join(90)
        assert not t.is_alive(), "an SSE stream did not end"
    out.t_watched = time.time()


def _settle(cl, out, timeout=90):
    """Waits until every accepted job is terminal and no webhook delivery is outstanding."""
    ids = list(out.accepted)
    deadline = time.time() + timeout
    while time.time() < deadline:
        rows = psql(cl.db, "SELECT (SELECT count(*) FROM jobs WHERE status NOT IN "
                    "('succeeded','failed','canceled')), (SELECT count(*) FROM "
                    "webhook_deliveries WHERE status IN ('pending','delivering')), "
                    "(SELECT count(*) FROM jobs)")
        open_jobs, open_deliveries, total = (int(x) for x in rows[0])
        if open_jobs == 0 and open_deliveries == 0 and total >= len(ids):
            return
        time.sleep(0.2)
    stuck = psql(cl.db, "SELECT id, status, attempts, lease_owner FROM jobs WHERE status NOT IN "
                 "('succeeded','failed','canceled') LIMIT 5") + psql(
        cl.db, "SELECT id, job_id, status, attempts, lease_until FROM webhook_deliveries "
        "WHERE status IN ('pending','delivering') LIMIT 5")
    raise AssertionError("not settled after %ds: %d jobs open, %d deliveries outstanding: %r"
                         % (timeout, open_jobs, open_deliveries, stuck))


def _parallel(fn, items, threads=8):
    with cf.ThreadPoolExecutor(threads) as ex:
        return list(ex.map(fn, items))


# ---- the tests --------------------------------------------------------------------------------

def test_all_500_accepted_and_in_time(scenario):
    cl, rx, out = scenario
    assert out.refused == [], out.refused[:5]
    assert len(out.accepted) == N_JOBS + N_WATCHED + N_RESUMED + out.victims_tried
    assert out.errors == [], out.errors
    print("multi-node scenario: %d jobs in %.1f s (run %.1f s; victims tried %d; after the "
          "submissions: victim done +%.1f s, streams done +%.1f s)" % (
              len(out.accepted), out.seconds, out.t_run, out.victims_tried,
              out.t_victim - out.t_submitted, out.t_watched - out.t_submitted))
    assert out.seconds < 120, out.seconds


def test_every_job_succeeded_via_both_api_nodes(scenario):
    cl, rx, out = scenario
    ca, cb = Client(cl.a, cl.key), Client(cl.b, cl.key)

    def get(args):
        k, jid = args
        c = (ca, cb)[k % 2]
        r = c.get("/v1/jobs/" + jid, "jobs.get.response.json")
        assert r.status_code == 200, r.text
        return jid, r.json()["status"]

    bad = [(j, s) for j, s in _parallel(get, list(enumerate(out.accepted))) if s != "succeeded"]
    assert bad == [], bad[:10]


def test_only_worker_nodes_ran_jobs(scenario):
    """Every job was run by a worker node (the API nodes run none); the victim ran on both
    worker nodes (see the kill test)."""
    cl, rx, out = scenario
    owners = dict(psql(cl.db, "SELECT lease_owner, count(*) FROM jobs GROUP BY lease_owner"))
    worker_pids = {str(p) for p in out.worker_pids}
    assert all(o.rsplit(":", 1)[1] in worker_pids for o in owners), (owners, worker_pids)
    assert out.killed_owner != out.other_owner
    assert {out.killed_owner.rsplit(":", 1)[1], out.other_owner.rsplit(":", 1)[1]} <= worker_pids


def test_sse_on_node_a_live_in_order_without_gaps(scenario):
    cl, rx, out = scenario
    assert len(out.watched) == N_WATCHED + 1, (len(out.watched), out.errors)
    for jid, live in out.watched.items():
        check_event_sequence(jid, live)
        # Without gaps: the live stream holds every event the database recorded for the job.
        stored = [int(r[0]) for r in psql(cl.db, "SELECT id FROM job_events WHERE job_id = "
                                          "'%s' ORDER BY id" % jid)]
        assert [int(e["id"]) for e in live] == stored, (jid, live, stored)
        # Streams replayed later on node B are the same.
        status, replay = read_stream(cl.b, cl.key, jid)
        assert status == 200
        assert [(e["id"], e["event"], e["data"]) for e in replay] == \
            [(e["id"], e["event"], e["data"]) for e in live]


def test_sse_resume_with_last_event_id_on_node_b(scenario):
    cl, rx, out = scenario
    assert len(out.resumed) == N_RESUMED, (out.resumed.keys(), out.errors)
    for jid, (first, rest) in out.resumed.items():
        whole = first + rest
        check_event_sequence(jid, whole)
        stored = [int(r[0]) for r in psql(cl.db, "SELECT id FROM job_events WHERE job_id = "
                                          "'%s' ORDER BY id" % jid)]
        assert [int(e["id"]) for e in whole] == stored, (jid, whole, stored)
    # And after the end, from the middle of a finished stream, on B.
    jid = next(iter(out.resumed))
    _, full = read_stream(cl.a, cl.key, jid)
    mid = len(full) // 2
    status, tail = read_stream(cl.b, cl.key, jid, last_event_id=full[mid]["id"])
    assert status == 200
    assert [e["id"] for e in tail] == [e["id"] for e in full[mid + 1:]]
    status, none = read_stream(cl.b, cl.key, jid, last_event_id=full[-1]["id"])
    assert status == 204 and none == [], (status, none)


def test_killed_workers_job_completes_on_the_other_worker(scenario):
    cl, rx, out = scenario
    status, owner, attempts = cl.owner(out.victim)
    assert status == "succeeded", status
    assert owner == out.other_owner, (owner, out.killed_owner, out.other_owner)
    assert int(attempts) >= 2, attempts
    events = out.watched[out.victim]
    starts = [e for e in events if stage_of(e) == "started"]
    assert len(starts) >= 2, "the takeover starts the job again: %r" % [
        stage_of(e) for e in events]
    job = Client(cl.a, cl.key).get("/v1/jobs/" + out.victim).json()
    assert job["status"] == "succeeded" and job["attempts"] >= 2, job


def test_every_job_terminal_exactly_once(scenario):
    cl, rx, out = scenario
    rows = psql(cl.db, "SELECT j.id, j.status, (SELECT count(*) FROM job_events e WHERE "
                "e.job_id = j.id AND e.type IN ('succeeded','failed','canceled')) FROM jobs j")
    assert {r[0] for r in rows} == set(out.accepted), "jobs in the database = jobs accepted"
    bad = [r for r in rows if r[2] != "1"]
    assert bad == [], bad[:10]

    def replay(args):
        k, jid = args
        status, events = read_stream((cl.a, cl.b)[k % 2], cl.key, jid)
        assert status == 200, (jid, status)
        check_event_sequence(jid, events)

    _parallel(replay, list(enumerate(out.accepted)))


def _ledger(client):
    entries, cursor = [], None
    for _ in range(200):
        path = "/v1/credits?limit=100" + ("&cursor=" + cursor if cursor else "")
        r = client.get(path, "credits.get.response.json")
        assert r.status_code == 200, r.text
        body = r.json()
        entries += body["ledger"]
        cursor = body.get("next_cursor")
        if not cursor:
            return body["balance"], entries
    raise AssertionError("the ledger's pagination does not end")


def test_every_succeeded_job_charged_exactly_once(scenario):
    cl, rx, out = scenario
    balance, entries = _ledger(Client(cl.b, cl.key))
    assert len({e["id"] for e in entries}) == len(entries), "ledger pages overlap"
    charges = [e for e in entries if e["reason"] == "charge"]
    per_job = {}
    for e in charges:
        assert e["amount"] == -PRICE, e
        per_job[e["jobId"]] = per_job.get(e["jobId"], 0) + 1
    succeeded = {r[0] for r in psql(cl.db, "SELECT id FROM jobs WHERE status = 'succeeded'")}
    assert set(per_job) == succeeded, (len(per_job), len(succeeded))
    assert [j for j, n in per_job.items() if n != 1] == []
    assert balance == sum(e["amount"] for e in entries), (balance, len(entries))
    assert balance == CREDITS - PRICE * len(succeeded), balance
    rows = psql(cl.db, "SELECT job_id, count(*) FROM credit_ledger WHERE reason = 'charge' "
                "GROUP BY job_id HAVING count(*) <> 1")
    assert rows == [], rows


def test_every_terminal_event_one_successful_webhook(scenario):
    cl, rx, out = scenario
    ca, cb = Client(cl.a, cl.key), Client(cl.b, cl.key)
    by_id = {}
    for req in rx.received():
        by_id.setdefault(req.headers.get("webhook-id"), []).append(req)

    def check(args):
        k, jid = args
        r = (ca, cb)[k % 2].get("/v1/webhooks/deliveries?jobId=" + jid)
        assert r.status_code == 200, r.text
        d = r.json()["data"]
        assert len(d) == 1, (jid, d)
        d = d[0]
        assert d["status"] == "succeeded" and d["eventType"] == "job.succeeded", d
        ok = [a for a in d["attempts"] if a["outcome"] == "success"]
        assert len(ok) == 1, d
        seen = by_id.get(d["id"], [])
        assert seen, "the receiver never saw webhook-id %s (job %s)" % (d["id"], jid)
        path = out.accepted[jid]
        for req in seen:
            assert req.path == path, (req.path, path)
            assert json.loads(req.body)["data"]["jobId"] == jid
        # Every attempt reached the receiver with the same webhook-id.
        assert len(seen) == len(d["attempts"]), (jid, len(seen), d["attempts"])
        return len(seen)

    counts = _parallel(check, list(enumerate(out.accepted)))
    retried = sum(1 for n in counts if n >= 2)
    assert retried >= N_JOBS // RETRY_EVERY, "the scripted 500s were retried with the same id"
    rows = psql(cl.db, "SELECT d.id, d.status, (SELECT count(*) FROM webhook_attempts a WHERE "
                "a.delivery_id = d.id AND a.outcome = 'success') FROM webhook_deliveries d")
    assert len(rows) == len(out.accepted), len(rows)
    assert [r for r in rows if r[1] != "succeeded" or r[2] != "1"] == []
