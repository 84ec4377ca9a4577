"""Operations endpoints: /healthz, /readyz, /metrics (Prometheus text), /v1/openapi.json, and the
404/405 answers of the router."""
import re
import uuid

import pytest
import requests

import contract_check

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+-]+|NaN|[+-]Inf)$')


def parse_metrics(text):
    """Returns (types, samples): types name -> type; samples list of (name, labels, value)."""
    types, samples = {}, []
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split()
            if len(parts) >= 4 and parts[1] == "TYPE":
                assert parts[2] not in types, "second TYPE line for " + parts[2]
                types[parts[2]] = parts[3]
            continue
        m = SAMPLE.match(line)
        assert m, "not a Prometheus sample line: %r" % line
        samples.append((m.group(1), m.group(2) or "", float(m.group(3))))
    return types, samples


def family(name, types):
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and types.get(name[:-len(suffix)]) == "histogram":
            return name[:-len(suffix)]
    return name


def metric(text, name, labels):
    _, samples = parse_metrics(text)
    for n, lab, v in samples:
        if n == name and all('%s="%s"' % kv in lab for kv in labels.items()):
            return v
    return 0.0


def test_healthz(server):
    r = requests.get(server.url + "/healthz", timeout=5)
    assert r.status_code == 200
    assert r.json()["status"] == "ok"
    assert r.headers["X-Request-Id"]
    contract_check.validate("ops.health.response.json", r.json())


def test_readyz_reports_database(server):
    r = requests.get(server.url + "/readyz", timeout=5)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["database"]["status"] == "ok", body
    assert body["database"]["schemaVersion"] >= 1


def test_readyz_matches_contract(server):
    r = requests.get(server.url + "/readyz", timeout=5)
    contract_check.validate("ops.health.response.json", r.json())


def test_ops_endpoints_need_no_key(server):
    for path in ("/healthz", "/readyz", "/metrics", "/v1/openapi.json"):
        assert requests.get(server.url + path, timeout=5).status_code == 200, path


def test_metrics_prometheus_text(client, server):
    jid = client.submit_cv(expect=202).json()["id"]
    client.wait_job(jid)
    r = requests.get(server.url + "/metrics", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/plain"), r.headers
    types, samples = parse_metrics(r.text)
    names = {family(n, types) for n, _, _ in samples}
    for want in ("matchd_http_requests_total", "matchd_jobs", "matchd_queue_depth",
                 "matchd_webhook_deliveries", "matchd_worker_busy_ratio"):
        assert want in names, want
        assert want in types, "no TYPE line for " + want
    assert types["matchd_http_requests_total"] == "counter"
    assert metric(r.text, "matchd_jobs", {"state": "succeeded"}) == 1
    assert 0 <= metric(r.text, "matchd_worker_busy_ratio", {}) <= 1
    assert metric(r.text, "matchd_http_requests_total",
                  {"route": "/api/v1/cvdeepmatch/submit", "status": "202"}) == 1


def test_metrics_families_are_grouped(server):
    # The text format: "All lines for a given metric must be provided as one single group".
    requests.get(server.url + "/healthz", timeout=5)
    requests.get(server.url + "/readyz", timeout=5)
    text = requests.get(server.url + "/metrics", timeout=5).text
    types, samples = parse_metrics(text)
    order = []
    for n, _, _ in samples:
        f = family(n, types)
        if not order or order[-1] != f:
            assert f not in order, "samples of %s are split into several groups" % f
            order.append(f)


def test_request_counters_go_up(client, server):
    labels = {"method": "GET", "route": "/v1/jobs/:jobId", "status": "404"}
    before = metric(requests.get(server.url + "/metrics", timeout=5).text,
                    "matchd_http_requests_total", labels)
    for _ in range(3):
        assert client.get("/v1/jobs/" + str(uuid.uuid4())).status_code == 404
    after = metric(requests.get(server.url + "/metrics", timeout=5).text,
                   "matchd_http_requests_total", labels)
    assert after == before + 3, (before, after)
    hist = metric(requests.get(server.url + "/metrics", timeout=5).text,
                  "matchd_http_request_duration_seconds_count",
                  {"method": "GET", "route": "/v1/jobs/:jobId"})
    assert hist >= 3


def test_queue_depth_counts_queued_jobs(make_server):
    from conftest import Client
    s = make_server(args=["--no-workers"])
    s.workspace("acme")
    c = Client(s, s.key("acme"))
    for _ in range(3):
        c.submit_cv(expect=202)
    text = requests.get(s.url + "/metrics", timeout=5).text
    assert metric(text, "matchd_queue_depth", {}) == 3
    assert metric(text, "matchd_jobs", {"state": "queued"}) == 3


def test_openapi(server):
    r = requests.get(server.url + "/v1/openapi.json", timeout=5)
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("application/json")
    doc = r.json()
    assert re.match(r"^3\.1\.\d+$", doc["openapi"]), doc["openapi"]
    assert "/api/v1/cvdeepmatch/submit" in doc["paths"]
    assert "post" in doc["paths"]["/api/v1/cvdeepmatch/submit"]
    for p in ("/api/v1/cvdeepmatch/{id}", "/v1/jobs/{jobId}", "/v1/jobs/{jobId}/events",
              "/v1/jobs", "/v1/credits", "/healthz"):
        assert p in doc["paths"], p
    assert doc.get("info", {}).get("title")


def test_unknown_path_404_envelope(client):
    for path in ("/nope", "/v1/nope", "/api/v1/cvdeepmatch", "/v1/jobs/x/y/z"):
        r = client.get(path)
        assert r.status_code == 404, (path, r.status_code)
        assert r.headers["Content-Type"].startswith("application/json")
        assert r.json()["error"]["code"] in ("not_found", "NOT_FOUND"), r.text


@pytest.mark.parametrize("method,path,allow", [
    ("POST", "/healthz", "GET"),
    ("DELETE", "/v1/jobs/%s" % uuid.uuid4(), "GET"),
    ("GET", "/api/v1/cvdeepmatch/submit", "POST"),
    ("PUT", "/v1/jobs/%s/cancel" % uuid.uuid4(), "POST"),
])
def test_wrong_method_405_with_allow(client, method, path, allow):
    r = client.request(method, path)
    assert r.status_code == 405, (method, path, r.status_code, r.text)
    assert allow in [a.strip() for a in r.headers.get("Allow", "").split(",")], r.headers
    assert r.headers["Content-Type"].startswith("application/json")
    assert r.json()["error"]["code"] in ("method_not_allowed", "METHOD_NOT_ALLOWED"), r.text
