"""The short crash soak (issue 4 §2) inside the API suite: tests/soak/soak.py with 20 kill -9s of
a random node at random moments under concurrent submissions, then the invariants (every 202
exists and is terminal exactly once, every succeeded job charged exactly once, idempotent
replays, PRAGMA integrity_check on SQLite). Each pass of the suite soaks its own backend: the
SQLite pass runs it on SQLite, the PostgreSQL pass (MATCHD_TEST_PG_URL set: one API node and two
worker nodes on a fresh database) on PostgreSQL, so `make test` soaks both, once each, in about
a minute each. MATCHD_SOAK_SEED replays a run; the long run is in tests/soak/README.md."""
import os
import subprocess
import sys
import time

from conftest import BACKEND, BIN, PG_URL, ROOT

SOAK = os.path.join(ROOT, "tests", "soak", "soak.py")
KILLS = 20


def test_short_crash_soak():
    seed = os.environ.get("MATCHD_SOAK_SEED") or str(int(time.time() * 1000) % 1000000)
    cmd = [sys.executable, SOAK, "--backend", BACKEND, "--kills", str(KILLS), "--seconds", "30",
           "--seed", seed, "--bin", BIN, "--settle", "60"]
    if BACKEND == "postgres":
        cmd += ["--pg-url", PG_URL]
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=240)
    took = time.time() - t0
    out = r.stdout + r.stderr
    print(out[-2000:])
    assert r.returncode == 0, "soak failed (seed %s):\n%s" % (seed, out[-6000:])
    summary = r.stdout.strip().splitlines()[-1]
    assert summary.startswith("soak %s: ok" % BACKEND), summary
    assert "%d kills" % KILLS in summary, summary
    assert took < 150, "the short soak took %.0f s" % took
