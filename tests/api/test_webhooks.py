"""Webhooks end to end (issue 3 §7): a real HTTPS receiver with a test certificate gets signed
Standard Webhooks deliveries; the signature is checked here with Python's hmac, independently of
the server's code; retries, 410, redirects, redelivery, secret rotation, every terminal event,
and the SSRF refusals when private addresses are not allowed.
"""
import base64
import hashlib
import hmac
import json
import os
import signal
import subprocess
import tempfile
import time

import pytest

import contract_check
from conftest import BIN, CV_PDF, Client, Server
from webhook_receiver import Receiver

EVENT_TYPES = ("job.succeeded", "job.failed", "job.canceled")


# ---- fixtures ----

@pytest.fixture(scope="module")
def rx():
    r = Receiver()
    yield r
    r.close()


def _server(tmp, rx, args=None, allow_private=True):
    env = {"MATCHD_WEBHOOK_CA_FILE": rx.ca_file, "MATCHD_WEBHOOK_RETRY_SCALE": "0.001"}
    if allow_private:
        env["MATCHD_WEBHOOK_ALLOW_PRIVATE"] = "1"
    return Server(tmp, env, args)


@pytest.fixture(scope="module")
def srv(rx):
    with tempfile.TemporaryDirectory(prefix="matchd-wh-") as d:
        s = _server(d, rx)
        s.start()
        yield s
        if s.alive():
            s.stop(signal.SIGKILL)


_n = [0]


def new_ws(srv, credits=100, permissions="all"):
    """A fresh workspace (own secret) with a key; returns (name, Client)."""
    _n[0] += 1
    name = "wh%d" % _n[0]
    srv.workspace(name, credits=credits)
    return name, Client(srv, srv.key(name, permissions))


def cli_secret(srv, ws):
    r = srv.cli("webhooks", "secret", "show", "--workspace", ws)
    secret = r.stdout.strip().splitlines()[-1]
    assert secret.startswith("whsec_"), r.stdout
    return secret


def hook_path(tag):
    _n[0] += 1
    return "/hook-%s-%d" % (tag, _n[0])


# ---- an independent Standard Webhooks verifier ----

def expected_sig(secret, msg_id, ts, body):
    key = base64.b64decode(secret[len("whsec_"):], validate=True)
    mac = hmac.new(key, b"%s.%s.%s" % (msg_id.encode(), ts.encode(), body), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def signatures(req):
    """The base64 signatures of the webhook-signature header, each checked for its v1, form."""
    out = []
    for part in req.headers["webhook-signature"].split(" "):
        version, _, sig = part.partition(",")
        assert version == "v1" and sig, req.headers["webhook-signature"]
        base64.b64decode(sig, validate=True)
        out.append(sig)
    return out


def verify(req, secret):
    """True when one of the request's signatures is valid under secret."""
    want = expected_sig(secret, req.headers["webhook-id"], req.headers["webhook-timestamp"],
                        req.body)
    return any(hmac.compare_digest(want, s) for s in signatures(req))


def check_request(req):
    for h in ("webhook-id", "webhook-timestamp", "webhook-signature"):
        assert req.headers.get(h), (h, req.headers)
    assert req.method == "POST"
    assert req.headers.get("content-type", "").startswith("application/json")
    ts = int(req.headers["webhook-timestamp"])
    assert abs(ts - time.time()) < 120, "webhook-timestamp is seconds since the epoch"
    body = json.loads(req.body)
    contract_check.validate("webhooks.payload.json", body)
    return body


def deliveries(client, job_id):
    """The delivery log of a job. Behaviour only: the contract check is its own test."""
    r = client.get("/v1/webhooks/deliveries?jobId=" + job_id)
    assert r.status_code == 200, r.text
    return r.json()["data"]


def wait_delivery(client, job_id, statuses=("succeeded", "gone", "failed"), timeout=15,
                  attempts=None):
    deadline = time.time() + timeout
    while time.time() < deadline:
        d = deliveries(client, job_id)
        if d and d[0]["status"] in statuses and (attempts is None or
                                                 _attempt_count(d[0]) >= attempts):
            return d
        time.sleep(0.05)
    raise AssertionError("delivery of %s did not settle: %r" % (job_id, d))


def _attempt_count(d):
    a = d.get("attempts")
    return len(a) if isinstance(a, list) else d.get("attemptCount", a)


def submit_ok(client, url, pdf=CV_PDF, **kw):
    r = client.submit_cv(pdf=pdf, webhook=url, **kw)
    assert r.status_code == 202, r.text
    return r.json()["id"]


# ---- deliveries ----

def test_succeeded_delivery_signed_and_verified(srv, rx):
    ws, c = new_ws(srv)
    path = hook_path("ok")
    job_id = submit_ok(c, rx.url(path))
    job = c.wait_job(job_id)
    assert job["status"] == "succeeded", job
    reqs = rx.wait_for(1, path)
    wait_delivery(c, job_id)
    time.sleep(0.3)  # a duplicate would show within the delivery loop's poll interval
    reqs = rx.received(path)
    assert len(reqs) == 1, reqs
    req = reqs[0]
    body = check_request(req)
    assert body["type"] == "job.succeeded"
    data = body["data"]
    assert data["jobId"] == job_id
    assert data["kind"] == "cvdeepmatch"
    assert data["status"] == "succeeded"
    assert data["resultUrl"] and job_id in data["resultUrl"]
    secret = cli_secret(srv, ws)
    assert len(signatures(req)) == 1
    assert verify(req, secret), "signature must verify under the workspace secret"
    # A tampered body, id or timestamp must not verify: the test's verifier is not trivial.
    forged = type(req)(req.method, req.path, dict(req.headers), req.body + b" ")
    assert not verify(forged, secret)
    forged.body, forged.headers["webhook-timestamp"] = req.body, str(
        int(req.headers["webhook-timestamp"]) + 1)
    assert not verify(forged, secret)
    # The admin endpoint shows the same secret the CLI does.
    r = c.get("/v1/webhooks/secret")
    assert r.status_code == 200, r.text
    assert r.json()["secret"] == secret
    # The log: one delivery, one successful attempt, keyed by the webhook-id.
    d = wait_delivery(c, job_id)
    assert len(d) == 1 and d[0]["status"] == "succeeded", d
    assert d[0]["id"] == req.headers["webhook-id"]
    assert _attempt_count(d[0]) == 1


def test_retries_after_500_then_success(srv, rx):
    _, c = new_ws(srv)
    path = hook_path("retry")
    rx.script(path, [500, 500, 200])
    job_id = submit_ok(c, rx.url(path))
    reqs = rx.wait_for(3, path, timeout=20)
    d = wait_delivery(c, job_id, statuses=("succeeded",), attempts=3)
    time.sleep(0.5)
    reqs = rx.received(path)
    assert len(reqs) == 3, reqs
    assert len({r.headers["webhook-id"] for r in reqs}) == 1, "retries keep the webhook-id"
    assert len({r.body for r in reqs}) == 1, "retries send the same payload"
    assert reqs[0].time < reqs[1].time < reqs[2].time
    assert d[0]["status"] == "succeeded"
    attempts = d[0]["attempts"]
    assert isinstance(attempts, list) and len(attempts) == 3, d
    assert [a.get("httpStatus") for a in attempts] == [500, 500, 200], attempts
    outcomes = [a.get("outcome") for a in attempts]
    assert outcomes[2] == "success" and outcomes[0] != "success" and outcomes[1] != "success"


def test_410_stops_delivery(srv, rx):
    _, c = new_ws(srv)
    path = hook_path("gone")
    rx.script(path, [410, 200, 200])
    job_id = submit_ok(c, rx.url(path))
    rx.wait_for(1, path, timeout=20)
    d = wait_delivery(c, job_id, statuses=("gone", "failed", "succeeded"))
    # The first retry would come after 5 s * 0.001 plus the loop's 250 ms poll; wait well past.
    time.sleep(1.0)
    assert len(rx.received(path)) == 1, rx.received(path)
    d = deliveries(c, job_id)
    assert d[0]["status"] == "gone", d
    assert _attempt_count(d[0]) == 1
    assert d[0]["attempts"][0]["httpStatus"] == 410


def test_redirect_not_followed_and_counts_as_failure(srv, rx):
    _, c = new_ws(srv)
    path = hook_path("redir")
    rx.script(path, [302, 200])
    job_id = submit_ok(c, rx.url(path))
    reqs = rx.wait_for(2, path, timeout=20)
    d = wait_delivery(c, job_id, statuses=("succeeded",), attempts=2)
    time.sleep(0.3)
    assert rx.received(path + "-moved") == [], "the Location target must get no request"
    assert len(rx.received(path)) == 2
    assert reqs[0].headers["webhook-id"] == reqs[1].headers["webhook-id"]
    a = d[0]["attempts"]
    assert a[0]["httpStatus"] == 302 and a[0]["outcome"] != "success", a
    assert a[1]["outcome"] == "success"


def test_redeliver_sends_again_with_same_id(srv, rx):
    ws, c = new_ws(srv)
    path = hook_path("redeliver")
    job_id = submit_ok(c, rx.url(path))
    first = rx.wait_for(1, path, timeout=30)[0]
    d = wait_delivery(c, job_id, statuses=("succeeded",))
    delivery_id = d[0]["id"]
    r = c.post("/v1/webhooks/deliveries/%s/redeliver" % delivery_id)
    assert r.status_code == 202, r.text
    reqs = rx.wait_for(2, path, timeout=15)
    assert len(reqs) == 2
    assert reqs[1].headers["webhook-id"] == first.headers["webhook-id"] == delivery_id
    assert reqs[1].body == first.body
    assert verify(reqs[1], cli_secret(srv, ws))
    d = wait_delivery(c, job_id, statuses=("succeeded",), attempts=2)
    assert _attempt_count(d[0]) == 2
    # Redelivering something that does not exist, or another workspace's delivery: 404.
    _, other = new_ws(srv)
    assert other.post("/v1/webhooks/deliveries/%s/redeliver" % delivery_id).status_code == 404
    r = c.post("/v1/webhooks/deliveries/00000000-0000-7000-8000-000000000000/redeliver")
    assert r.status_code == 404
    assert r.json()["error"]["code"] == "not_found"


def test_rotation_via_api_signs_with_both(srv, rx):
    ws, c = new_ws(srv)
    old = cli_secret(srv, ws)
    r = c.post("/v1/webhooks/secret/rotate")
    assert r.status_code == 200, r.text
    new = r.json()["secret"]
    assert new != old and new.startswith("whsec_")
    assert r.json().get("previousSecret") == old
    assert cli_secret(srv, ws) == new
    path = hook_path("rot")
    job_id = submit_ok(c, rx.url(path))
    req = rx.wait_for(1, path, timeout=30)[0]
    sigs = signatures(req)
    assert len(sigs) == 2, req.headers["webhook-signature"]
    msg = (req.headers["webhook-id"], req.headers["webhook-timestamp"], req.body)
    assert expected_sig(new, *msg) in sigs
    assert expected_sig(old, *msg) in sigs
    wait_delivery(c, job_id)


def test_rotation_via_cli_signs_with_both(srv, rx):
    ws, c = new_ws(srv)
    old = cli_secret(srv, ws)
    out = srv.cli("webhooks", "secret", "rotate", "--workspace", ws).stdout
    new = out.strip().splitlines()[-1]
    assert new.startswith("whsec_") and new != old
    path = hook_path("clirot")
    job_id = submit_ok(c, rx.url(path))
    req = rx.wait_for(1, path, timeout=30)[0]
    sigs = signatures(req)
    assert len(sigs) == 2
    msg = (req.headers["webhook-id"], req.headers["webhook-timestamp"], req.body)
    assert {expected_sig(new, *msg), expected_sig(old, *msg)} == set(sigs)
    wait_delivery(c, job_id)


def test_failed_job_sends_job_failed(srv, rx, tmp_path):
    ws, c = new_ws(srv)
    bad = tmp_path / "garbage.pdf"
    bad.write_bytes(b"%PDF-1.7\n" + os.urandom(4096))
    path = hook_path("failed")
    job_id = submit_ok(c, rx.url(path), pdf=str(bad))
    job = c.wait_job(job_id, timeout=60)
    assert job["status"] == "failed", job
    req = rx.wait_for(1, path, timeout=20)[0]
    body = check_request(req)
    assert body["type"] == "job.failed"
    assert body["data"]["jobId"] == job_id and body["data"]["status"] == "failed"
    assert body["data"]["kind"] == "cvdeepmatch"
    assert verify(req, cli_secret(srv, ws))


def test_canceled_job_sends_job_canceled(make_server, rx):
    s = make_server(env={"MATCHD_WEBHOOK_ALLOW_PRIVATE": "1",
                         "MATCHD_WEBHOOK_CA_FILE": rx.ca_file,
                         "MATCHD_WEBHOOK_RETRY_SCALE": "0.001"}, args=["--no-workers"])
    s.workspace("cx")
    c = Client(s, s.key("cx"))
    path = hook_path("cancel")
    job_id = submit_ok(c, rx.url(path))
    assert c.get("/v1/jobs/" + job_id).json()["status"] == "queued"
    r = c.post("/v1/jobs/%s/cancel" % job_id)
    assert r.status_code in (200, 202), r.text
    assert c.wait_job(job_id, timeout=10)["status"] == "canceled"
    # The event is recorded at once; `serve --no-workers` is API only, so a `matchd worker`
    # (which also runs webhook delivery) sends it.
    d = deliveries(c, job_id)
    assert len(d) == 1 and d[0]["status"] == "pending", d
    worker = subprocess.Popen([BIN, "worker", "--db", s.db], env=s.env(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        req = rx.wait_for(1, path, timeout=15)[0]
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    body = check_request(req)
    assert body["type"] == "job.canceled"
    assert body["data"]["jobId"] == job_id and body["data"]["status"] == "canceled"
    secret = s.cli("webhooks", "secret", "show", "--workspace", "cx").stdout.split()[-1]
    assert verify(req, secret)


def test_deliveries_response_matches_contract(srv, rx):
    """GET /v1/webhooks/deliveries and POST …/redeliver bodies against contracts/v1."""
    _, c = new_ws(srv)
    path = hook_path("contract")
    job_id = submit_ok(c, rx.url(path))
    rx.wait_for(1, path, timeout=30)
    d = wait_delivery(c, job_id)
    r = c.get("/v1/webhooks/deliveries?jobId=" + job_id)
    contract_check.validate("webhooks.deliveries.response.json", r.json())
    r = c.post("/v1/webhooks/deliveries/%s/redeliver" % d[0]["id"])
    assert r.status_code == 202
    contract_check.validate("webhooks.redeliver.response.json", r.json())


def test_deliveries_filter_by_job(srv, rx):
    """?jobId= lists that job's deliveries only; a malformed jobId is a 400."""
    _, c = new_ws(srv)
    path = hook_path("filter")
    ids = [submit_ok(c, rx.url(path)) for _ in range(2)]
    rx.wait_for(2, path, timeout=30)
    for job_id in ids:
        d = wait_delivery(c, job_id)
        assert [x["jobId"] for x in d] == [job_id], d
    r = c.get("/v1/webhooks/deliveries?jobId=not-a-uuid")
    assert r.status_code == 400
    assert r.json()["error"]["code"] == "validation_error"


# ---- secrets: permissions and the CLI ----

def test_secret_needs_admin(srv):
    _, c = new_ws(srv, permissions="cvdeepmatch")
    for method, p in (("GET", "/v1/webhooks/secret"), ("POST", "/v1/webhooks/secret/rotate")):
        r = c.request(method, p)
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "missing_permission"
    r = Client(srv, None).get("/v1/webhooks/secret")
    assert r.status_code == 401


def test_secret_show_unknown_workspace_fails(srv):
    r = srv.cli("webhooks", "secret", "show", "--workspace", "no-such-ws", check=False)
    assert r.returncode != 0
    assert "whsec_" not in r.stdout
    r = srv.cli("webhooks", "secret", "rotate", "--workspace", "no-such-ws", check=False)
    assert r.returncode != 0


# ---- SSRF refusals with private addresses not allowed ----

@pytest.fixture(scope="module")
def strict(rx):
    saved = os.environ.pop("MATCHD_WEBHOOK_ALLOW_PRIVATE", None)
    with tempfile.TemporaryDirectory(prefix="matchd-whs-") as d:
        s = _server(d, rx, allow_private=False)
        s.start()
        s.workspace("strict")
        yield Client(s, s.key("strict"))
        if s.alive():
            s.stop(signal.SIGKILL)
    if saved is not None:
        os.environ["MATCHD_WEBHOOK_ALLOW_PRIVATE"] = saved


@pytest.mark.parametrize("url,code", [
    ("https://127.0.0.1:%d/hook", "PRIVATE_WEBHOOK_URL"),
    ("https://localhost:%d/hook", "PRIVATE_WEBHOOK_URL"),
    ("https://localhost/", "PRIVATE_WEBHOOK_URL"),
    ("https://10.1.2.3/hook", "PRIVATE_WEBHOOK_URL"),
    ("https://192.168.0.1/hook", "PRIVATE_WEBHOOK_URL"),
    ("https://169.254.169.254/latest/meta-data", "PRIVATE_WEBHOOK_URL"),
    ("https://[::1]/hook", "PRIVATE_WEBHOOK_URL"),
    ("https://[::ffff:127.0.0.1]/hook", "PRIVATE_WEBHOOK_URL"),
    ("https://100.64.0.1/hook", "PRIVATE_WEBHOOK_URL"),
    ("https://0.0.0.0/hook", "PRIVATE_WEBHOOK_URL"),
    ("http://127.0.0.1:%d/hook", "INSECURE_WEBHOOK_URL"),
    ("http://example.com/hook", "INSECURE_WEBHOOK_URL"),
])
def test_ssrf_refusals(strict, rx, url, code):
    if "%d" in url:
        url = url % rx.port
    before = len(rx.requests)
    r = strict.submit_cv(webhook=url)
    assert r.status_code == 400, r.text
    err = r.json()["error"]
    assert err["code"] == code, err
    fields = err["details"].get("fields") or []
    assert any(f.get("field") == "webhook_url" for f in fields), err
    assert len(rx.requests) == before


def test_ssrf_refusal_creates_no_job(strict):
    r = strict.submit_cv(webhook="https://127.0.0.1/hook")
    assert r.status_code == 400
    r = strict.get("/v1/jobs")
    assert r.status_code == 200 and r.json()["data"] == [], r.text
