"""`matchd submit cv`: the human client, run as a subprocess against a real server (and, for
the stream parser's edge cases, against a tiny fake server that dribbles the SSE stream one
byte at a time and drops it half-way)."""
import http.server
import json
import os
import socketserver
import subprocess
import threading

from conftest import BIN, CV_PDF, JD_TEXT

JD = os.path.join(JD_TEXT, "resume-matcher_job_desc_java_developer.txt")


def run_submit(url, key, *extra, env=None):
    e = dict(os.environ)
    e.pop("MATCHD_API_KEY", None)
    e.update(env or {})
    return subprocess.run([BIN, "submit", "cv", "--file", CV_PDF, "--jd", JD, "--server", url,
                           "--key", key] + list(extra), capture_output=True, text=True,
                          timeout=120, env=e)


def test_submit_json_success(server, tmp_path):
    server.workspace("cli", credits=10)
    key = server.key("cli")
    req = tmp_path / "req.json"
    req.write_text(json.dumps({"skills": {"must_have": ["Python"]}}))
    r = run_submit(server.url, key, "--json", "--requirements", str(req))
    assert r.returncode == 0, (r.returncode, r.stderr)
    body = json.loads(r.stdout)
    assert body["status"] == "succeeded", body
    assert 0 <= body["result"]["score"] <= 100
    assert body["result"]["requirements"][0]["verdict"] in ("met", "partially_met", "not_met",
                                                           "unknown")
    # Not a TTY: plain stage lines, no carriage returns of a progress bar.
    assert "succeeded" in r.stderr and "\r" not in r.stderr


def test_submit_human_summary(server):
    server.workspace("cli", credits=10)
    r = run_submit(server.url, server.key("cli"))
    assert r.returncode == 0, r.stderr
    assert "score:" in r.stdout and "summary:" in r.stdout


def test_submit_bad_key_is_http_error(server):
    r = run_submit(server.url, "md_not_a_real_key", "--json")
    assert r.returncode == 3, (r.returncode, r.stderr)
    assert "401" in r.stderr and r.stdout == ""


def test_submit_usage_errors(server):
    r = subprocess.run([BIN, "submit", "cv", "--jd", JD, "--key", "k"], capture_output=True,
                       text=True, timeout=30)
    assert r.returncode == 2, r.stderr
    r = run_submit(server.url, "k", "--bogus")
    assert r.returncode == 2, r.stderr
    r = subprocess.run([BIN, "submit", "cv", "--file", CV_PDF, "--jd", JD],
                       capture_output=True, text=True, timeout=30,
                       env={k: v for k, v in os.environ.items() if k != "MATCHD_API_KEY"})
    assert r.returncode == 2 and "MATCHD_API_KEY" in r.stderr, r.stderr


JOB = "01a20c39-4323-7db7-8345-d551b837afa8"


def sse_event(i, typ, status, stage, progress):
    data = json.dumps({"jobId": JOB, "status": status, "stage": stage, "progress": progress})
    return "id: %d\nevent: %s\ndata: %s\n\n" % (i, typ, data)


class FakeHandler(http.server.BaseHTTPRequestHandler):
    """Submit → 202; events: the first connection dribbles two events byte by byte, a
    heartbeat comment and half of a third, then drops; the resumed one must ask for
    lastEventId=2 and gets the rest; the result says the job failed."""
    protocol_version = "HTTP/1.0"
    seen = []

    def log_message(self, *a):
        pass

    def send_json(self, status, obj):
        b = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b)))
        self.end_headers()
        self.wfile.write(b)

    def do_POST(self):
        self.rfile.read(int(self.headers["Content-Length"]))
        self.send_json(202, {"id": JOB, "status": "queued"})

    def do_GET(self):
        FakeHandler.seen.append(self.path)
        if self.path.startswith("/v1/jobs/%s/events" % JOB):
            self.send_response(200)
            self.send_header("Content-Type", "text/event-stream")
            self.end_headers()
            if "lastEventId" not in self.path:
                text = (sse_event(1, "queued", "queued", "queued", 0) + ": heartbeat\n\n" +
                        sse_event(2, "progress", "running", "analysing", 0.4) +
                        sse_event(3, "progress", "running", "scoring", 0.9)[:30])
                for ch in text.encode():
                    self.wfile.write(bytes([ch]))
                    self.wfile.flush()
                return
            self.wfile.write((sse_event(3, "progress", "running", "scoring", 0.9) +
                              sse_event(4, "failed", "failed", "failed", 1.0)).encode())
            return
        self.send_json(200, {"id": JOB, "status": "failed", "result": None,
                             "error": {"code": "PDF_EXTRACTION_FAILED", "message": "damaged"}})


def test_stream_split_bytes_resume_and_job_failure():
    FakeHandler.seen = []
    srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), FakeHandler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    try:
        r = run_submit("http://127.0.0.1:%d" % srv.server_address[1], "k")
    finally:
        srv.shutdown()
        srv.server_close()
    assert r.returncode == 1, (r.returncode, r.stderr)
    assert "PDF_EXTRACTION_FAILED" in r.stderr, r.stderr
    events = [p for p in FakeHandler.seen if "/events" in p]
    assert len(events) == 2 and events[1].endswith("lastEventId=2"), FakeHandler.seen
    for stage in ("queued", "analysing", "scoring", "failed"):
        assert stage in r.stderr, r.stderr
