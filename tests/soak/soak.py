#!/usr/bin/python3
"""Crash soak (issue 4 §2): start the nodes, submit CV jobs concurrently, `kill -9` a random node
at a random moment, restart it, again and again; then wait for every accepted job to finish and
check the invariants:

  * every job that got a 202 exists (GET /v1/jobs/:id) and is terminal;
  * every job in the database is terminal exactly once (one terminal event, matching its status);
  * every succeeded job is charged exactly once, nothing else is charged, and the balance is the
    grant minus the charges (GET /v1/credits and the ledger table);
  * an idempotency key answered 202 replays the same job (200, idempotent_replay);
  * with --webhooks: every terminal event has exactly one successful delivery and the receiver
    saw its webhook-id;
  * on SQLite, PRAGMA integrity_check is "ok"; every node stops cleanly on SIGTERM at the end.

Nodes: SQLite — one `matchd serve`; PostgreSQL — one API node (`serve --no-workers`) and two
worker nodes (`matchd worker`) on one fresh database of the cluster at --pg-url (default:
$MATCHD_TEST_PG_URL).

    /usr/bin/python3 tests/soak/soak.py --backend sqlite|postgres --kills N --seconds S
                     [--pg-url URL] [--bin build/matchd] [--seed N] [--submitters N]
                     [--max-rate R] [--settle S] [--webhooks] [--keep]

Exit 0 when every invariant holds, 1 with the reasons otherwise; the last line is a summary.
"""
import argparse
import concurrent.futures as cf
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
API_TESTS = os.path.join(ROOT, "tests", "api")

TERMINAL = ("succeeded", "failed", "canceled")
CREDITS = 1000000
PDF_NAMES = ("10_openresume_react-pdf.pdf", "11_resume-matcher_barry-allen_moderncv.pdf")


def parse_args(argv):
    p = argparse.ArgumentParser(description="matchd crash soak")
    p.add_argument("--backend", choices=("sqlite", "postgres"), required=True)
    p.add_argument("--kills", type=int, default=20)
    p.add_argument("--seconds", type=float, default=60, help="length of the kill phase")
    p.add_argument("--pg-url", default=os.environ.get("MATCHD_TEST_PG_URL"))
    p.add_argument("--bin", default=os.environ.get("MATCHD_BIN",
                                                   os.path.join(ROOT, "build", "matchd")))
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--submitters", type=int, default=3, help="concurrent submitting threads")
    p.add_argument("--settle", type=float, default=90, help="seconds to wait for the jobs")
    p.add_argument("--max-rate", type=float, default=0,
                   help="submissions per second in all (0: as fast as the node answers)")
    p.add_argument("--webhooks", action="store_true",
                   help="webhook on every job to a local HTTPS receiver; checks the deliveries "
                        "(a delivery in flight at a kill waits out its 60 s lease)")
    p.add_argument("--keep", action="store_true", help="keep the database and logs")
    return p.parse_args(argv)


args = parse_args(sys.argv[1:])
os.environ["MATCHD_BIN"] = os.path.abspath(args.bin)
sys.path.insert(0, API_TESTS)
import requests  # noqa: E402

from conftest import PDFS, Node, psql  # noqa: E402


def log(msg):
    print("[soak %6.1fs] %s" % (time.time() - T0, msg), flush=True)


T0 = time.time()


class Soak:
    def __init__(self, a):
        self.a = a
        self.rng = random.Random(a.seed)
        self.tmp = tempfile.mkdtemp(prefix="matchd-soak-")
        self.failures = []
        self.lock = threading.Lock()
        self.accepted = {}       # job id -> (idempotency key, form, pdf)
        self.unknown = 0         # submissions whose answer was lost (connection reset)
        self.statuses = {}       # HTTP status -> count
        self.unexpected = []     # (status, body) that must not happen
        self.kills = []          # (node name, seconds into the run)
        self.stop_submit = threading.Event()
        self.rx = None
        self.pg_db_name = None

    # ---- set-up -----------------------------------------------------------------------------

    def setup(self):
        env = {"MATCHD_LEASE_MS": "1000", "MATCHD_RETRY_BASE_MS": "100",
               "MATCHD_MAX_ATTEMPTS": "6", "MATCHD_WORKERS": "2", "MATCHD_LOG_LEVEL": "info",
               "MATCHD_AUTH_CACHE_MS": "1000"}
        if self.a.webhooks:
            sys.path.insert(0, API_TESTS)
            from webhook_receiver import Receiver
            self.rx = Receiver()
            env.update({"MATCHD_WEBHOOK_ALLOW_PRIVATE": "1",
                        "MATCHD_WEBHOOK_CA_FILE": self.rx.ca_file,
                        "MATCHD_WEBHOOK_RETRY_SCALE": "0.001"})
        if self.a.backend == "sqlite":
            self.sqlite_path = os.path.join(self.tmp, "matchd.db")
            self.db = "sqlite:" + self.sqlite_path
            self.api = Node(self.tmp, self.db, "serve", env, [], name="serve")
            self.nodes = [self.api]
        else:
            if not self.a.pg_url:
                raise SystemExit("soak: --backend postgres needs --pg-url or MATCHD_TEST_PG_URL")
            self.pg_db_name = "soak_%d_%s" % (os.getpid(), uuid.uuid4().hex[:8])
            psql(self.a.pg_url, "CREATE DATABASE %s" % self.pg_db_name)
            self.db = self.a.pg_url.rsplit("/", 1)[0] + "/" + self.pg_db_name
            self.api = Node(self.tmp, self.db, "serve", env, ["--no-workers"], name="api")
            self.nodes = [self.api] + [Node(self.tmp, self.db, "worker", env, name="worker-%d" % i)
                                       for i in (1, 2)]
        self.api.cli("migrate")
        self.api.cli("workspaces", "create", "soak", "--credits", str(CREDITS), "--rate-limit",
                     "1000000", "--rate-period-ms", "1000", "--rate-burst", "1000000")
        self.key = self.api.key("soak")
        for n in self.nodes:
            n.start()
        self.pdfs = {name: open(os.path.join(PDFS, name), "rb").read() for name in PDF_NAMES}

    # ---- the database, read directly -----------------------------------------------------------

    def query(self, sql):
        if self.a.backend == "sqlite":
            con = sqlite3.connect("file:%s?mode=ro" % self.sqlite_path, uri=True, timeout=30)
            try:
                return [[str(x) if x is not None else None for x in row]
                        for row in con.execute(sql).fetchall()]
            finally:
                con.close()
        return psql(self.db, sql)

    # ---- load -------------------------------------------------------------------------------

    def submit(self, session, idem, form, pdf):
        files = {"cv_file": (pdf, self.pdfs[pdf], "application/pdf")}
        data = dict(form, idempotency_key=idem)
        return session.post(self.api.url + "/api/v1/cvdeepmatch/submit", files=files,
                            data=data, timeout=30)

    def submitter(self, n):
        s = requests.Session()
        s.headers["Authorization"] = "Bearer " + self.key
        rng = random.Random((self.a.seed or 0) * 1000 + n)
        i = 0
        while not self.stop_submit.is_set():
            i += 1
            idem = "soak-%d-%d-%s" % (n, i, uuid.uuid4().hex[:6])
            pdf = rng.choice(PDF_NAMES)
            form = {"job_description": "Senior Python engineer %d/%d" % (n, i)}
            if self.rx:
                form["webhook_url"] = self.rx.url("/soak/%d/%d" % (n, i))
            for _try in range(50):  # the same key again while the node is down
                try:
                    r = self.submit(s, idem, form, pdf)
                except requests.RequestException:
                    if self.stop_submit.is_set():
                        break
                    time.sleep(0.1)
                    continue
                self.record(r, idem, form, pdf)
                if r.status_code in (503,) and not self.stop_submit.is_set():
                    time.sleep(0.1)
                    continue
                break
            else:
                with self.lock:
                    self.unknown += 1
            if self.a.max_rate > 0:
                time.sleep(rng.uniform(0.5, 1.5) * self.a.submitters / self.a.max_rate)
            else:
                time.sleep(rng.uniform(0, 0.05))

    def record(self, r, idem, form, pdf):
        with self.lock:
            self.statuses[r.status_code] = self.statuses.get(r.status_code, 0) + 1
            if r.status_code in (200, 202):
                body = r.json()
                if body["id"] in self.accepted and self.accepted[body["id"]][0] != idem:
                    self.failures.append("two keys share the job %s" % body["id"])
                self.accepted[body["id"]] = (idem, form, pdf)
            elif r.status_code == 409:
                # The first attempt's in-flight marker outlived its node; after its stale
                # window the key can be used again. The outcome is unknown here.
                self.unknown += 1
            elif r.status_code == 503 and r.headers.get("Retry-After"):
                pass
            else:
                self.unexpected.append((r.status_code, r.text[:300]))

    # ---- kills ------------------------------------------------------------------------------

    def kill_loop(self):
        period = self.a.seconds / max(self.a.kills, 1)
        for k in range(self.a.kills):
            time.sleep(self.rng.uniform(0.1, max(0.2, 2 * period - 0.6)))
            node = self.rng.choice(self.nodes)
            node.stop(signal.SIGKILL)
            self.kills.append((node.name, time.time() - T0))
            if self.rng.random() < 0.3:
                time.sleep(self.rng.uniform(0, 0.5))  # sometimes stay down a little
            try:
                node.start(timeout=30)
            except AssertionError as e:
                self.failures.append("%s did not restart after kill %d: %s" % (node.name, k + 1,
                                                                            str(e)[-500:]))
                return

    # ---- checks -----------------------------------------------------------------------------

    def get(self, path):
        for _ in range(100):
            try:
                return requests.get(self.api.url + path, timeout=30,
                                    headers={"Authorization": "Bearer " + self.key})
            except requests.RequestException:
                time.sleep(0.1)
        raise SystemExit("soak: the API node does not answer")

    def settle(self):
        deadline = time.time() + self.a.settle
        while time.time() < deadline:
            open_jobs = int(self.query("SELECT count(*) FROM jobs WHERE status NOT IN "
                                       "('succeeded','failed','canceled')")[0][0])
            open_d = 0
            if self.rx:
                open_d = int(self.query("SELECT count(*) FROM webhook_deliveries WHERE status "
                                        "IN ('pending','delivering')")[0][0])
            if open_jobs == 0 and open_d == 0:
                return True
            time.sleep(0.25)
        rows = self.query("SELECT id, status, attempts, lease_owner, lease_until FROM jobs "
                          "WHERE status NOT IN ('succeeded','failed','canceled') LIMIT 5")
        self.failures.append("jobs not terminal after %ds (e.g. %r)" % (self.a.settle, rows))
        return False

    def check(self):
        f = self.failures
        if self.unexpected:
            f.append("unexpected answers to submissions: %r" % self.unexpected[:5])
        # Every 202 exists and is terminal, through the API.
        ids = list(self.accepted)

        def job(jid):
            r = self.get("/v1/jobs/" + jid)
            return jid, r.status_code, (r.json().get("status") if r.status_code == 200 else
                                        r.text[:200])

        with cf.ThreadPoolExecutor(4) as ex:
            got = list(ex.map(job, ids))
        missing = [(j, s, b) for j, s, b in got if s != 200]
        if missing:
            f.append("%d accepted jobs are lost: %r" % (len(missing), missing[:5]))
        open_ = [(j, b) for j, s, b in got if s == 200 and b not in TERMINAL]
        if open_:
            f.append("%d accepted jobs are not terminal: %r" % (len(open_), open_[:5]))

        # Terminal exactly once, in the database.
        rows = self.query("SELECT j.id, j.status, (SELECT count(*) FROM job_events e WHERE "
                          "e.job_id = j.id AND e.type IN ('succeeded','failed','canceled')), "
                          "(SELECT max(e.type) FROM job_events e WHERE e.job_id = j.id AND "
                          "e.type IN ('succeeded','failed','canceled')) FROM jobs j")
        self.by_status = {}
        for jid, status, n, typ in rows:
            self.by_status[status] = self.by_status.get(status, 0) + 1
        bad = [r for r in rows if r[2] != "1" or r[3] != r[1]]
        if bad:
            f.append("%d jobs not terminal exactly once: %r" % (len(bad), bad[:5]))
        in_db = {r[0] for r in rows}
        if set(ids) - in_db:
            f.append("accepted jobs missing from the database: %r" % list(set(ids) - in_db)[:5])
        succeeded = {r[0] for r in rows if r[1] == "succeeded"}

        # Charged exactly once per succeeded job, nothing else charged.
        charges = self.query("SELECT job_id, count(*), sum(amount) FROM credit_ledger WHERE "
                             "reason = 'charge' GROUP BY job_id")
        per_job = {r[0]: int(r[1]) for r in charges}
        twice = [j for j, n in per_job.items() if n != 1]
        if twice:
            f.append("%d jobs charged more than once: %r" % (len(twice), twice[:5]))
        if set(per_job) != succeeded:
            f.append("charged jobs != succeeded jobs: %d uncharged successes, %d charged "
                     "non-successes" % (len(succeeded - set(per_job)),
                                        len(set(per_job) - succeeded)))
        total = sum(int(r[2]) for r in charges)
        r = self.get("/v1/credits?limit=1")
        if r.status_code != 200:
            f.append("GET /v1/credits: %d %s" % (r.status_code, r.text[:200]))
        else:
            bal = r.json()["balance"]
            grants = int(self.query("SELECT coalesce(sum(amount), 0) FROM credit_ledger WHERE "
                                    "reason <> 'charge'")[0][0])
            if bal != grants + total or bal != CREDITS - len(succeeded):
                f.append("balance %d != grants %d + charges %d (succeeded %d)"
                         % (bal, grants, total, len(succeeded)))
        self.charged = len(per_job)

        # Idempotency survives the crashes: the same request with the same key replays.
        sample = self.rng.sample(ids, min(30, len(ids)))
        s = requests.Session()
        s.headers["Authorization"] = "Bearer " + self.key
        for jid in sample:
            idem, form, pdf = self.accepted[jid]
            r = self.submit(s, idem, form, pdf)
            if r.status_code != 200 or r.json().get("id") != jid or \
                    r.json().get("idempotent_replay") is not True:
                f.append("replay of key %s: %d %s (expected 200 with %s)"
                         % (idem, r.status_code, r.text[:200], jid))
                break

        if self.rx:
            self.check_webhooks(rows)

    def check_webhooks(self, rows):
        f = self.failures
        seen = {}
        for req in self.rx.received():
            seen.setdefault(req.headers.get("webhook-id"), []).append(req)
        d = self.query("SELECT d.job_id, d.id, d.status, (SELECT count(*) FROM webhook_attempts "
                       "a WHERE a.delivery_id = d.id AND a.outcome = 'success') "
                       "FROM webhook_deliveries d")
        per_job = {}
        for job_id, did, status, ok in d:
            per_job.setdefault(job_id, []).append((did, status, ok))
        for jid, status, _, _ in rows:
            if jid not in self.accepted:
                continue
            ds = per_job.get(jid, [])
            if len(ds) != 1 or ds[0][1] != "succeeded" or ds[0][2] != "1":
                f.append("job %s (%s): deliveries %r" % (jid, status, ds))
                return
            if ds[0][0] not in seen:
                f.append("the receiver never saw webhook-id %s (job %s)" % (ds[0][0], jid))
                return

    def integrity(self):
        if self.a.backend != "sqlite":
            return
        con = sqlite3.connect(self.sqlite_path, timeout=30)
        try:
            res = [r[0] for r in con.execute("PRAGMA integrity_check").fetchall()]
        finally:
            con.close()
        if res != ["ok"]:
            self.failures.append("PRAGMA integrity_check: %r" % res[:10])
        self.integrity_result = res[0] if res else "?"

    # ---- the run ----------------------------------------------------------------------------

    def run(self):
        self.setup()
        log("%s: %d node(s) up, database %s" % (self.a.backend, len(self.nodes), self.db))
        subs = [threading.Thread(target=self.submitter, args=(n,), daemon=True)
                for n in range(self.a.submitters)]
        for t in subs:
            t.start()
        self.kill_loop()
        log("%d kills done: %s" % (len(self.kills), " ".join(n for n, _ in self.kills)))
        for n in self.nodes:  # a failed restart above is reported; try once more
            if not n.alive():
                n.start(timeout=30)
        time.sleep(0.5)
        self.stop_submit.set()
        for t in subs:
            t.join(60)
        log("submissions stopped: %d accepted, %d with unknown outcome, statuses %r"
            % (len(self.accepted), self.unknown, self.statuses))
        if self.settle():
            log("every job is terminal")
        self.check()
        for n in self.nodes:
            rc = n.stop(signal.SIGTERM, timeout=30)
            if rc != 0:
                self.failures.append("%s exited with %s on SIGTERM" % (n.name, rc))
        self.integrity()
        self.scan_logs()

    def scan_logs(self):
        for n in self.nodes:
            text = open(n.log_path, errors="replace").read()
            for needle in ("AddressSanitizer", "runtime error:", "Segmentation", "Assertion"):
                if needle in text:
                    self.failures.append("%s log contains %r" % (n.name, needle))

    def cleanup(self):
        if self.rx:
            self.rx.close()
        for n in getattr(self, "nodes", []):
            if n.alive():
                n.stop(signal.SIGKILL)
        if self.a.keep:
            log("kept: %s" % self.tmp)
            return
        if self.pg_db_name:
            try:
                psql(self.a.pg_url, "DROP DATABASE IF EXISTS %s WITH (FORCE)" % self.pg_db_name)
            except AssertionError:
                pass
        subprocess.run(["rm", "-rf", self.tmp])


def main():
    soak = Soak(args)
    try:
        soak.run()
    except Exception as e:  # noqa: BLE001 - every failure ends in the summary
        soak.failures.append("soak aborted: %r" % e)
    finally:
        if soak.failures and not args.keep:
            for n in getattr(soak, "nodes", []):
                try:
                    tail = open(n.log_path, errors="replace").read()[-1500:]
                    print("---- %s log tail\n%s" % (n.name, tail))
                except OSError:
                    pass
        soak.cleanup()
    for msg in soak.failures:
        print("FAIL: " + msg)
    st = getattr(soak, "by_status", {})
    print("soak %s: %s — %d kills in %.0f s, %d jobs accepted, %d succeeded, %d failed, "
          "%d charged, %d unknown outcomes, integrity %s"
          % (args.backend, "FAILED (%d problems)" % len(soak.failures) if soak.failures else "ok",
             len(soak.kills), time.time() - T0, len(soak.accepted), st.get("succeeded", 0),
             st.get("failed", 0), getattr(soak, "charged", 0), soak.unknown,
             getattr(soak, "integrity_result", "n/a")))
    return 1 if soak.failures else 0


if __name__ == "__main__":
    sys.exit(main())
