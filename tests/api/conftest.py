"""Fixtures of the black-box API tests: a real build/matchd on a free port with a fresh SQLite
file, workspaces and keys made with the real CLI, and a `requests` session that checks every
JSON response it receives against the contract named by the test.

Run with Debian's python3 (python3-pytest, python3-requests, python3-jsonschema):
    MATCHD_BIN=build/matchd /usr/bin/python3 -m pytest -q tests/api
"""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pytest
import requests

sys.path.insert(0, os.path.dirname(__file__))
import contract_check  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BIN = os.path.abspath(os.environ.get("MATCHD_BIN", os.path.join(ROOT, "build", "matchd")))
DATA = os.path.abspath(os.path.join(ROOT, "..", "shared", "data"))
PDFS = os.path.join(DATA, "cv", "pdfs")
CV_PDF = os.path.join(PDFS, "11_resume-matcher_barry-allen_moderncv.pdf")
JD_TEXT = os.path.join(DATA, "cv", "jd")


PG_URL = os.environ.get("MATCHD_TEST_PG_URL")  # set: every server gets a fresh PostgreSQL db
BACKEND = "postgres" if PG_URL else "sqlite"


def new_database(tmpdir):
    """A fresh, empty database URL for one server: a SQLite file, or a new PostgreSQL
    database on the test cluster when MATCHD_TEST_PG_URL is set (the suite runs on both)."""
    if not PG_URL:
        return "sqlite:" + os.path.join(tmpdir, "matchd.db")
    name = "t_" + os.path.basename(tmpdir).replace("-", "_").lower()
    subprocess.run(["psql", PG_URL, "-qc", "CREATE DATABASE %s" % name], check=True,
                   capture_output=True, timeout=60)
    return PG_URL.rsplit("/", 1)[0] + "/" + name


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One matchd process with its own database. Restartable (for crash tests)."""

    def __init__(self, tmpdir, env=None, args=None):
        self.tmpdir = tmpdir
        self.db = new_database(tmpdir)
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.extra_env = dict(env or {})
        self.args = list(args or [])
        self.proc = None
        self.log_path = os.path.join(tmpdir, "server.log")

    def env(self):
        e = dict(os.environ)
        e.update({
            "MATCHD_DATABASE_URL": self.db,
            "MATCHD_LISTEN": "127.0.0.1:%d" % self.port,
            "MATCHD_WORKERS": "2",
            "MATCHD_LEASE_MS": "3000",
            "MATCHD_RETRY_BASE_MS": "200",
            "MATCHD_AUTH_CACHE_MS": "0",
            "MATCHD_SSE_HEARTBEAT_MS": "15000",
            "MATCHD_LOG_LEVEL": "info",
        })
        e.update(self.extra_env)
        return e

    def cli(self, *args, check=True):
        r = subprocess.run([BIN] + list(args) + ["--db", self.db], env=self.env(),
                           capture_output=True, text=True, timeout=60)
        if check and r.returncode != 0:
            raise AssertionError("matchd %s failed (%d): %s" % (args, r.returncode, r.stderr))
        return r

    def start(self):
        log = open(self.log_path, "a")
        self.proc = subprocess.Popen([BIN, "serve"] + self.args, env=self.env(), stdout=log,
                                     stderr=log)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("matchd exited: " + open(self.log_path).read()[-2000:])
            try:
                if requests.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return self
            except requests.ConnectionError:
                pass
            time.sleep(0.05)
        raise AssertionError("matchd did not start: " + open(self.log_path).read()[-2000:])

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise AssertionError("matchd did not stop within %ds" % timeout)
        rc = self.proc.returncode if self.proc else 0
        self.proc = None
        return rc

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def workspace(self, name, credits=100):
        self.cli("workspaces", "create", name, "--credits", str(credits))
        return name

    def key(self, workspace, permissions="all"):
        out = self.cli("keys", "create", "--workspace", workspace, "--permissions",
                       permissions).stdout
        return out.strip().splitlines()[-1]

    def log(self):
        return open(self.log_path).read()


class Client:
    """A requests session bound to one server and key; checks contracts when asked."""

    def __init__(self, server, key):
        self.server = server
        self.key = key
        self.s = requests.Session()
        if key:
            self.s.headers["Authorization"] = "Bearer " + key

    def request(self, method, path, schema=None, **kw):
        kw.setdefault("timeout", 30)
        r = self.s.request(method, self.server.url + path, **kw)
        if r.headers.get("Content-Type", "").startswith("application/json") and r.content:
            body = r.json()
            if r.status_code >= 400:
                contract_check.validate("common.error.json", body)
            elif schema:
                contract_check.validate(schema, body)
        assert "X-Request-Id" in r.headers, "every response carries X-Request-Id"
        return r

    def get(self, path, schema=None, **kw):
        return self.request("GET", path, schema, **kw)

    def post(self, path, schema=None, **kw):
        return self.request("POST", path, schema, **kw)

    def submit_cv(self, pdf=CV_PDF, jd="Senior Python engineer with PostgreSQL and Kubernetes.",
                  requirements=None, webhook=None, idem=None, filename=None, ctype="application/pdf",
                  headers=None, expect=None):
        with open(pdf, "rb") as f:
            data = f.read() if isinstance(pdf, str) else pdf
        files = {"cv_file": (filename or os.path.basename(pdf), data, ctype)}
        form = {"job_description": jd}
        if requirements is not None:
            form["requirements"] = requirements if isinstance(requirements, str) else \
                __import__("json").dumps(requirements)
        if webhook is not None:
            form["webhook_url"] = webhook
        if idem is not None:
            form["idempotency_key"] = idem
        r = self.post("/api/v1/cvdeepmatch/submit", "cvdeepmatch.submit.response.json",
                      files=files, data=form, headers=headers or {})
        if expect is not None:
            assert r.status_code == expect, (r.status_code, r.text)
        return r

    def wait_job(self, job_id, timeout=60, states=("succeeded", "failed", "canceled")):
        deadline = time.time() + timeout
        while time.time() < deadline:
            r = self.get("/v1/jobs/" + job_id, "jobs.get.response.json")
            assert r.status_code == 200, r.text
            if r.json()["status"] in states:
                return r.json()
            time.sleep(0.05)
        raise AssertionError("job %s did not finish: %s" % (job_id, r.text))


@pytest.fixture
def tmpdir_path():
    with tempfile.TemporaryDirectory(prefix="matchd-test-") as d:
        yield d


@pytest.fixture
def make_server(tmpdir_path):
    """Factory: make_server(env={...}, args=[...]) -> started Server, stopped at teardown."""
    servers = []

    def make(env=None, args=None, start=True):
        sub = tempfile.mkdtemp(dir=tmpdir_path)
        s = Server(sub, env, args)
        servers.append(s)
        return s.start() if start else s

    yield make
    for s in servers:
        if s.alive():
            s.stop(signal.SIGKILL)


@pytest.fixture
def server(make_server):
    return make_server()


@pytest.fixture
def client(server):
    server.workspace("acme", credits=100)
    return Client(server, server.key("acme"))


# ---- several nodes on one database (multi-node, soak and database-restart tests) -------------

class Node(Server):
    """One more matchd process on an existing database `db`: role "serve" (an API node; pass
    args=["--no-workers"] for API only) or "worker" (`matchd worker`: job and webhook workers,
    no HTTP port). Restartable like Server; start() waits until the node is up."""

    def __init__(self, tmpdir, db, role="serve", env=None, args=None, name=None):
        self.tmpdir = tmpdir
        self.db = db
        self.role = role
        self.name = name or role
        self.port = free_port()
        self.url = "http://127.0.0.1:%d" % self.port
        self.extra_env = dict(env or {})
        self.args = list(args or [])
        self.proc = None
        self.log_path = os.path.join(tmpdir, "%s-%d.log" % (self.name, self.port))

    def start(self, timeout=20):
        if self.role == "serve":
            return Server.start(self)
        log = open(self.log_path, "a")
        offset = log.tell()
        self.proc = subprocess.Popen([BIN, "worker"] + self.args, env=self.env(), stdout=log,
                                     stderr=log)
        quiet = self.env().get("MATCHD_LOG_LEVEL") in ("warn", "error", "off")
        deadline = time.time() + (0.5 if quiet else timeout)  # quiet: no start-up line
        while time.time() < deadline:
            with open(self.log_path) as f:
                f.seek(offset)
                if "worker node" in f.read():
                    return self
            if self.proc.poll() is not None:
                raise AssertionError("matchd worker exited: " + self.log()[-2000:])
            time.sleep(0.05)
        if quiet and self.proc.poll() is None:
            return self
        raise AssertionError("matchd worker did not start: " + self.log()[-2000:])


def wait_run(api, run_id, timeout=60):
    """Polls a matching run (seed 002) until it is completed, failed or canceled."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        r = api.get("/v1/matching/runs/" + run_id, "linkage.run.response.json")
        assert r.status_code == 200, r.text
        if r.json()["status"] in ("completed", "failed", "canceled"):
            return r.json()
        time.sleep(0.05)
    raise AssertionError("run %s did not finish" % run_id)


def psql(db, sql):
    """Runs one SQL statement on a PostgreSQL database URL; returns rows as lists of strings."""
    r = subprocess.run(["psql", db, "-XAtq", "-F", "\t", "-c", sql], capture_output=True,
                       text=True, timeout=60)
    if r.returncode != 0:
        raise AssertionError("psql failed: %s" % r.stderr)
    return [line.split("\t") for line in r.stdout.splitlines() if line]
