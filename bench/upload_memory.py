"""Peak resident memory of a fresh matchd around one large dataset upload.

    /usr/bin/python3 bench/upload_memory.py BIN MIB [body|multipart]

Generates a people CSV of MIB MiB (tests/api/test_linkage.py's gen_csv, cached in /tmp),
starts BIN on a fresh database (PostgreSQL when MATCHD_TEST_PG_URL is set), uploads a small
table to warm up, then the large one, and prints the server's VmHWM before and after."""
import os
import sys
import tempfile
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))
sys.path.insert(0, os.path.join(ROOT, "tests", "api"))
import conftest  # noqa: E402
import test_linkage as tl  # noqa: E402

binp, mb = os.path.abspath(sys.argv[1]), int(sys.argv[2])
mode = sys.argv[3] if len(sys.argv) > 3 else "body"
conftest.BIN = binp
path = "/tmp/matchd-upload-people-%d.csv" % mb
if not os.path.exists(path):
    tl.gen_csv(path, mb)
with tempfile.TemporaryDirectory(prefix="matchd-upmem-") as d:
    s = conftest.Server(d, env={"MATCHD_WORKERS": "1"})
    s.start()
    s.cli("workspaces", "create", "up", "--credits", "100")
    api = conftest.Client(s, s.key("up"))
    assert api.post("/v1/matching/datasets", params={"name": "w"}, data=b"a,b\n1,2\n",
                    headers={"Content-Type": "text/csv"}).status_code == 201
    before = tl.vm_hwm_kb(s)
    t0 = time.time()
    with open(path, "rb") as f:
        if mode == "multipart":
            r = api.post("/v1/matching/datasets", files={"file": ("p.csv", f, "text/csv")},
                         timeout=600)
        else:
            r = api.post("/v1/matching/datasets", params={"name": "p"}, data=f,
                         headers={"Content-Type": "text/csv"}, timeout=600)
    dt = time.time() - t0
    after = tl.vm_hwm_kb(s)
    print("%s %d MiB: status %d, rows %s, VmHWM %d -> %d kB (+%.1f MiB), %.2f s" % (
        mode, mb, r.status_code, r.json().get("row_count"), before, after,
        (after - before) / 1024, dt))
    s.stop()
