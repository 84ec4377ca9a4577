"""bench/cv_client.py: the concurrent client of bench/cv_throughput.sh. Submits N copies of one
CV from a thread pool; each thread follows its job's SSE stream to the terminal event, so the
latency is submit → succeeded as a client sees it, without polling load on the server.

usage: cv_client.py URL KEY CV.pdf JD.txt N CONCURRENCY
Prints key=value lines: jobs, failed, wall_s, jobs_per_s, p50_ms, p90_ms, p99_ms, max_ms.
"""
import concurrent.futures
import sys
import threading
import time

import requests

url, key, cv_path, jd_path, n, conc = sys.argv[1:7]
n, conc = int(n), int(conc)
cv = open(cv_path, "rb").read()
jd = open(jd_path).read()
local = threading.local()


def session():
    if not hasattr(local, "s"):
        local.s = requests.Session()
        local.s.headers["Authorization"] = "Bearer " + key
    return local.s


def one(i):
    s = session()
    t0 = time.monotonic()
    r = s.post(url + "/api/v1/cvdeepmatch/submit", timeout=60,
               files={"cv_file": ("cv.pdf", cv, "application/pdf")},
               data={"job_description": jd})
    if r.status_code != 202:
        return None, "submit %d %s" % (r.status_code, r.text[:200])
    job = r.json()["id"]
    status = None
    with s.get(url + "/v1/jobs/%s/events" % job, stream=True, timeout=120) as ev:
        for line in ev.iter_lines():
            if line.startswith(b"event: "):
                t = line[7:].decode()
                if t in ("succeeded", "failed", "canceled"):
                    status = t
                    break
    dt = (time.monotonic() - t0) * 1000
    return (dt, None) if status == "succeeded" else (None, "job %s ended %s" % (job, status))


def pct(xs, p):
    return xs[min(len(xs) - 1, int(round(p / 100.0 * (len(xs) - 1))))] if xs else float("nan")


t0 = time.monotonic()
with concurrent.futures.ThreadPoolExecutor(conc) as ex:
    results = list(ex.map(one, range(n)))
wall = time.monotonic() - t0
lat = sorted(r[0] for r in results if r[0] is not None)
errs = [r[1] for r in results if r[1]]
for e in errs[:5]:
    print("error: " + e, file=sys.stderr)
print("jobs=%d" % len(lat))
print("failed=%d" % len(errs))
print("wall_s=%.2f" % wall)
print("jobs_per_s=%.1f" % (len(lat) / wall))
print("p50_ms=%.0f" % pct(lat, 50))
print("p90_ms=%.0f" % pct(lat, 90))
print("p99_ms=%.0f" % pct(lat, 99))
print("max_ms=%.0f" % (lat[-1] if lat else float("nan")))
