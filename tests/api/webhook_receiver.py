"""An HTTPS webhook receiver for the API tests: http.server + ssl in a thread, with a
self-signed certificate made by the `openssl` CLI (CN localhost, SAN localhost and 127.0.0.1).

    with Receiver() as rx:                  # rx.ca_file -> MATCHD_WEBHOOK_CA_FILE
        rx.script("/hook", [500, 500, 200]) # statuses to answer, in order; then `default`
        url = rx.url("/hook")
        ...
        reqs = rx.wait_for(3, path="/hook", timeout=10)

Every request is recorded (method, path, lower-cased headers, body, time) whatever it answers.
A 3xx answer carries `Location: <rx.url(path + '-moved')>` so a test can check that the
redirect was not followed.
"""
import http.server
import os
import shutil
import ssl
import subprocess
import tempfile
import threading
import time


class Request:
    def __init__(self, method, path, headers, body):
        self.method = method
        self.path = path
        self.headers = headers  # lower-cased names
        self.body = body
        self.time = time.time()

    def __repr__(self):
        return "<%s %s %s>" % (self.method, self.path, self.headers.get("webhook-id"))


def make_cert(directory):
    """Writes cert.pem and key.pem into directory; returns (cert, key)."""
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
                    "/CN=localhost", "-addext",
                    "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, capture_output=True, timeout=30)
    return cert, key


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def _answer(self):
        rx = self.server.receiver
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n) if n else b""
        path = self.path.split("?", 1)[0]
        req = Request(self.command, path, {k.lower(): v for k, v in self.headers.items()}, body)
        status = rx._record(req)
        payload = b"ok"
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", rx.url(path + "-moved"))
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_POST = _answer
    do_GET = _answer
    do_PUT = _answer


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # a client that hangs up is not the receiver's problem


class Receiver:
    def __init__(self, default=200, host="127.0.0.1"):
        self.dir = tempfile.mkdtemp(prefix="matchd-whrx-")
        self.ca_file, self.key_file = make_cert(self.dir)
        self.default = default
        self.host = host
        self.requests = []
        self._scripts = {}
        self._cond = threading.Condition()
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.ca_file, self.key_file)
        self._httpd = _Server((host, 0), _Handler)
        self._httpd.socket = ctx.wrap_socket(self._httpd.socket, server_side=True)
        self._httpd.receiver = self
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever,
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()

    def url(self, path="/hook", host=None):
        return "https://%s:%d%s" % (host or self.host, self.port, path)

    def script(self, path, statuses):
        """Answers requests to path with statuses in order, then with the default."""
        with self._cond:
            self._scripts[path] = list(statuses)

    def _record(self, req):
        with self._cond:
            self.requests.append(req)
            todo = self._scripts.get(req.path)
            status = todo.pop(0) if todo else self.default
            self._cond.notify_all()
            return status

    def received(self, path=None):
        with self._cond:
            return [r for r in self.requests if path is None or r.path == path]

    def wait_for(self, n, path=None, timeout=15):
        """Waits until at least n requests reached path; returns them all."""
        deadline = time.time() + timeout
        with self._cond:
            while True:
                got = [r for r in self.requests if path is None or r.path == path]
                if len(got) >= n:
                    return got
                left = deadline - time.time()
                if left <= 0:
                    raise AssertionError("receiver got %d of %d requests on %s: %r"
                                         % (len(got), n, path, got))
                self._cond.wait(min(left, 0.1))

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
