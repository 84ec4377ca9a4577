"""Seed 003, POST /api/v1/cvdeepmatch/submit and GET /api/v1/cvdeepmatch/:id: every documented
status and error code, each as a black-box request against a real build/matchd."""
import os
import uuid

import pytest
import requests

from conftest import CV_PDF, PDFS, Client

SUBMIT = "/api/v1/cvdeepmatch/submit"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
REQS = {"as_of": "2026-11-01",
        "skills": {"must_have": ["Python", {"name": "PostgreSQL", "min_years": 2}],
                   "nice_to_have": ["Kubernetes"]},
        "experience": {"min_years": 5},
        "languages": [{"language": "English", "min_level": "B2"}]}


def pdf_bytes(path=CV_PDF):
    with open(path, "rb") as f:
        return f.read()


def raw_submit(client, files, data, headers=None):
    """A submit with full control of the parts (lists of tuples keep duplicates and order)."""
    return client.post(SUBMIT, "cvdeepmatch.submit.response.json", files=files, data=data,
                       headers=headers or {})


def assert_error(r, status, code, field=None):
    assert r.status_code == status, (r.status_code, r.text)
    body = r.json()
    assert body["error"]["code"] == code, body
    if field is not None:
        fields = [f["field"] for f in body["error"]["details"].get("fields", [])]
        assert field in fields, (field, body)
    return body


def job_count(client):
    r = client.get("/v1/jobs?limit=100", "jobs.list.response.json")
    assert r.status_code == 200, r.text
    return len(r.json()["data"])


# ---- 202 and the result -----------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "04_deedy_two-column.pdf",
    "05_altacv_two-column_sample.pdf",
    "06_billryan_resume_zh-CN.pdf",
    "07_typst-moderncv_cv_fr.pdf",
    "11_resume-matcher_barry-allen_moderncv.pdf",
    "12_resume-matcher_two-column_chromium.pdf",
])
def test_submit_real_pdf_succeeds_with_explained_result(client, name):
    r = client.submit_cv(pdf=os.path.join(PDFS, name), requirements=REQS, expect=202)
    body = r.json()
    assert body["idempotent_replay"] is False
    assert body["status"] == "queued"
    assert r.headers.get("Idempotent-Replayed") is None
    job = client.wait_job(body["id"])
    assert job["status"] == "succeeded", job
    g = client.get("/api/v1/cvdeepmatch/" + body["id"], "cvdeepmatch.get.response.json")
    assert g.status_code == 200
    res = g.json()
    assert res["id"] == body["id"] and res["status"] == "succeeded"
    assert res["completed_at"] is not None and res["error"] is None
    result = res["result"]
    assert 0 <= result["score"] <= 100
    assert result["tier"] in ("strong", "good", "partial", "weak")
    assert result["summary"]
    reqs = result["requirements"]
    # Python, PostgreSQL, Kubernetes, experience, English: one verdict per requirement given.
    assert len(reqs) >= 5, reqs
    assert {q["category"] for q in reqs} >= {"skills", "experience", "languages"}
    for q in reqs:
        assert q["verdict"] in ("met", "partially_met", "not_met", "unknown")
        for ev in q["evidence"]:
            assert ev["page"] >= 1 and ev["text"].strip(), q
        if q["verdict"] == "met" and q["category"] == "skills":
            assert q["evidence"], "a met skill quotes its evidence: %r" % q
    with_evidence = [q for q in reqs if q["evidence"]]
    assert with_evidence, "at least one requirement quotes the CV"


def test_two_column_and_chinese_cv_find_their_skills(client):
    # Both CVs list Python explicitly: the verdict must be met with a quote naming it.
    for name in ("04_deedy_two-column.pdf", "06_billryan_resume_zh-CN.pdf"):
        r = client.submit_cv(pdf=os.path.join(PDFS, name),
                             requirements={"skills": {"must_have": ["Python"]}}, expect=202)
        assert client.wait_job(r.json()["id"])["status"] == "succeeded"
        res = client.get("/api/v1/cvdeepmatch/" + r.json()["id"],
                         "cvdeepmatch.get.response.json").json()["result"]
        py = [q for q in res["requirements"] if q["requirement"].startswith("Python")]
        assert py and py[0]["verdict"] == "met", (name, res["requirements"])
        assert any("python" in ev["text"].lower() for ev in py[0]["evidence"]), py


def test_submit_202_location_and_urls(client):
    r = client.submit_cv(expect=202)
    b = r.json()
    assert r.headers["Location"] == "/api/v1/cvdeepmatch/" + b["id"]
    assert b["status_url"] == "/api/v1/cvdeepmatch/" + b["id"]
    assert b["job_url"] == "/v1/jobs/" + b["id"]
    assert b["events_url"] == "/v1/jobs/%s/events" % b["id"]


def test_get_before_and_after_success(make_server):
    # Without workers the job stays queued: result is null. Then a worker-enabled restart runs it.
    s = make_server(args=["--no-workers"])
    s.workspace("acme")
    c = Client(s, s.key("acme"))
    jid = c.submit_cv(expect=202).json()["id"]
    g = c.get("/api/v1/cvdeepmatch/" + jid, "cvdeepmatch.get.response.json")
    assert g.status_code == 200
    assert g.json()["status"] == "queued"
    assert g.json()["result"] is None and g.json()["completed_at"] is None
    s.stop()
    s.args = []
    s.start()
    assert c.wait_job(jid)["status"] == "succeeded"
    g = c.get("/api/v1/cvdeepmatch/" + jid, "cvdeepmatch.get.response.json")
    assert g.json()["status"] == "succeeded"
    assert isinstance(g.json()["result"], dict)


def test_get_unknown_id_is_404(client, server):
    # Repeated, interleaved with real reads: a handler that reads an uninitialised job record
    # for an unknown id crashes only when the stack happens to hold garbage.
    jid = client.submit_cv(expect=202).json()["id"]
    client.wait_job(jid)
    for _ in range(20):
        try:
            r = client.get("/api/v1/cvdeepmatch/" + str(uuid.uuid4()))
        except requests.ConnectionError:
            pytest.fail("the server dropped the connection (crashed?) on an unknown id")
        assert_error(r, 404, "NOT_FOUND")
        assert client.get("/api/v1/cvdeepmatch/" + jid).status_code == 200
    assert server.alive(), "the server must survive a lookup of an unknown id"


def test_get_malformed_id_is_404(client, server):
    r = client.get("/api/v1/cvdeepmatch/not-a-uuid")
    assert_error(r, 404, "NOT_FOUND")
    assert server.alive()


# ---- 200 replay -------------------------------------------------------------------------------

def test_replay_is_200_with_header(client):
    a = client.submit_cv(idem="cv-replay-1", expect=202)
    b = client.submit_cv(idem="cv-replay-1", expect=200)
    assert b.json()["id"] == a.json()["id"]
    assert b.json()["idempotent_replay"] is True
    assert b.headers.get("Idempotent-Replayed") == "true"


# ---- 400 INVALID_INPUT ------------------------------------------------------------------------

def test_missing_cv_file(client):
    # A (None, value) tuple makes requests send a multipart form without any file part.
    r = raw_submit(client, [("job_description", (None, "Python developer"))], None)
    assert_error(r, 400, "INVALID_INPUT", "cv_file")


def test_missing_job_description(client):
    r = raw_submit(client, [("cv_file", ("cv.pdf", pdf_bytes(), "application/pdf"))], None)
    assert_error(r, 400, "INVALID_INPUT", "job_description")


def test_empty_job_description(client):
    r = client.submit_cv(jd="   ")
    assert_error(r, 400, "INVALID_INPUT", "job_description")


@pytest.mark.parametrize("filename,ctype", [
    ("cv.docx", DOCX),
    ("cv.pdf", "image/png"),
    ("cv.txt", "text/plain"),
    ("cv.txt", "application/pdf"),
    ("cv.docx", "application/pdf"),
])
def test_non_pdf_upload_is_invalid_input(client, filename, ctype):
    r = client.submit_cv(filename=filename, ctype=ctype)
    assert_error(r, 400, "INVALID_INPUT", "cv_file")


def test_requirements_json_syntax_error(client):
    r = client.submit_cv(requirements='{"skills": {"must_have": ["Python",]}')
    assert_error(r, 400, "INVALID_INPUT", "requirements")


def test_requirements_schema_violation_names_pointer(client):
    bad = {"skills": {"must_have": ["Python", {"name": "PostgreSQL", "min_years": -1}]}}
    r = client.submit_cv(requirements=bad)
    assert_error(r, 400, "INVALID_INPUT", "requirements/skills/must_have/1/min_years")


def test_requirements_wrong_type_names_pointer(client):
    r = client.submit_cv(requirements={"experience": {"min_years": "five"}})
    assert_error(r, 400, "INVALID_INPUT", "requirements/experience/min_years")


def test_unknown_form_field(client):
    r = raw_submit(client, [("cv_file", ("cv.pdf", pdf_bytes(), "application/pdf"))],
                   [("job_description", "Python"), ("colour", "blue")])
    assert_error(r, 400, "INVALID_INPUT", "colour")


def test_duplicated_field(client):
    r = raw_submit(client, [("cv_file", ("cv.pdf", pdf_bytes(), "application/pdf"))],
                   [("job_description", "Python"), ("job_description", "Go")])
    assert_error(r, 400, "INVALID_INPUT", "job_description")


def test_duplicated_file(client):
    pdf = pdf_bytes()
    r = raw_submit(client, [("cv_file", ("cv.pdf", pdf, "application/pdf")),
                            ("cv_file", ("cv2.pdf", pdf, "application/pdf"))],
                   [("job_description", "Python")])
    assert_error(r, 400, "INVALID_INPUT", "cv_file")


@pytest.mark.parametrize("kind", ["json", "urlencoded", "text"])
def test_non_multipart_body(client, kind):
    if kind == "json":
        r = client.post(SUBMIT, json={"job_description": "Python"})
    elif kind == "urlencoded":
        r = client.post(SUBMIT, data={"job_description": "Python"})
    else:
        r = client.post(SUBMIT, data=b"%PDF-1.4", headers={"Content-Type": "application/pdf"})
    body = assert_error(r, 400, "INVALID_INPUT")
    assert body["error"]["details"].get("fields"), body


def test_invalid_file_content(client):
    r = raw_submit(client, [("cv_file", ("cv.pdf", b"PK\x03\x04 not a pdf", "application/pdf"))],
                   [("job_description", "Python")])
    assert_error(r, 400, "INVALID_FILE_CONTENT")


def test_cv_file_over_5mb_is_invalid_input(client):
    big = b"%PDF-" + b"0" * (5000001 - 5)
    r = raw_submit(client, [("cv_file", ("cv.pdf", big, "application/pdf"))],
                   [("job_description", "Python")])
    assert_error(r, 400, "INVALID_INPUT", "cv_file")


def test_cv_file_of_exactly_5mb_passes_the_size_gate(client):
    # 5,000,000 bytes is the limit itself: not "too large"; the bytes are no real PDF, so the job
    # is accepted (202) and later fails in extraction, or the size gate is simply not the reason.
    ok = b"%PDF-" + b"0" * (5000000 - 5)
    r = raw_submit(client, [("cv_file", ("cv.pdf", ok, "application/pdf"))],
                   [("job_description", "Python")])
    assert r.status_code == 202, r.text


def test_body_over_6mb_is_413(client, server):
    huge = b"%PDF-" + b"0" * 6100000
    try:
        r = raw_submit(client, [("cv_file", ("cv.pdf", huge, "application/pdf"))],
                       [("job_description", "Python")])
    except requests.ConnectionError:
        pytest.fail("the server closed the connection instead of answering 413")
    assert r.status_code == 413, r.text
    assert "error" in r.json()
    assert server.alive()


# ---- 401, 402, 403 ----------------------------------------------------------------------------

def test_401_without_key(server):
    server.workspace("acme")
    r = Client(server, None).submit_cv()
    assert_error(r, 401, "UNAUTHORIZED")


def test_401_wrong_key(server):
    server.workspace("acme")
    r = Client(server, "mk_" + "0" * 64).submit_cv()
    assert_error(r, 401, "UNAUTHORIZED")


def test_x_api_key_header_is_accepted(server):
    server.workspace("acme")
    c = Client(server, None)
    c.s.headers["X-API-Key"] = server.key("acme")
    c.submit_cv(expect=202)


def test_401_revoked_key(server):
    server.workspace("acme")
    out = server.cli("keys", "create", "--workspace", "acme", "--permissions", "all").stdout
    lines = out.strip().splitlines()
    key_id, key = lines[0].split()[1], lines[-1]
    c = Client(server, key)
    c.submit_cv(expect=202)
    server.cli("keys", "revoke", key_id)
    assert_error(c.submit_cv(), 401, "UNAUTHORIZED")


def test_402_insufficient_credits(server):
    server.workspace("poor", credits=0)
    r = Client(server, server.key("poor")).submit_cv()
    assert_error(r, 402, "INSUFFICIENT_CREDITS")


def test_403_missing_permission(server):
    server.workspace("acme")
    r = Client(server, server.key("acme", "linkage")).submit_cv()
    assert_error(r, 403, "MISSING_PERMISSION")


# ---- 429 --------------------------------------------------------------------------------------

def test_429_rate_limited_with_headers(server):
    server.cli("workspaces", "create", "slow", "--credits", "100", "--rate-limit", "3",
               "--rate-period-ms", "60000", "--rate-burst", "3")
    c = Client(server, server.key("slow"))
    statuses = [c.submit_cv().status_code for _ in range(3)]
    assert statuses == [202, 202, 202], statuses
    r = c.submit_cv()
    assert_error(r, 429, "RATE_LIMITED")
    ra = r.headers.get("Retry-After")
    assert ra is not None and ra.isdigit() and 1 <= int(ra) <= 60, ra
    assert "RateLimit-Policy" in r.headers and "q=3" in r.headers["RateLimit-Policy"], r.headers
    assert "w=60" in r.headers["RateLimit-Policy"], r.headers
    assert "RateLimit" in r.headers and "r=0" in r.headers["RateLimit"], r.headers


# ---- 500 and 502 ------------------------------------------------------------------------------

def test_500_step_functions_failed_then_retry_succeeds(make_server):
    s = make_server(env={"MATCHD_FAULT_SUBMIT": "1"})
    s.workspace("acme")
    c = Client(s, s.key("acme"))
    r = c.submit_cv(idem="retry-me")
    assert_error(r, 500, "STEP_FUNCTIONS_FAILED")
    r2 = c.submit_cv(idem="retry-me", expect=202)
    assert r2.json()["idempotent_replay"] is False
    assert c.wait_job(r2.json()["id"])["status"] == "succeeded"
    assert job_count(c) == 1


def test_502_upstream_unavailable_on_dns_failure(make_server):
    s = make_server(env={"MATCHD_TEST_DNS_FAIL": "1"})
    s.workspace("acme")
    c = Client(s, s.key("acme"))
    r = c.submit_cv(webhook="https://hooks.example.com/x")
    assert_error(r, 502, "UPSTREAM_UNAVAILABLE")
    assert job_count(c) == 0


# ---- webhook URL gates ------------------------------------------------------------------------

def test_insecure_webhook_url(client):
    assert_error(client.submit_cv(webhook="http://hooks.example.com/x"), 400,
                 "INSECURE_WEBHOOK_URL", "webhook_url")


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/",
    "https://[::1]/",
    "https://10.0.0.1/",
    "https://169.254.169.254/",
    "https://192.168.1.10/hook",
    "https://localhost/hook",
])
def test_private_webhook_url(client, url):
    assert_error(client.submit_cv(webhook=url), 400, "PRIVATE_WEBHOOK_URL", "webhook_url")
    assert job_count(client) == 0


# ---- a PDF header on a damaged file: accepted, then a clean failure, not charged --------------

def test_damaged_pdf_fails_cleanly_and_is_not_charged(client, server):
    r = raw_submit(client, [("cv_file", ("cv.pdf", b"%PDF-1.4\ngarbage\n%%EOF\n",
                                         "application/pdf"))],
                   [("job_description", "Python")])
    assert r.status_code == 202, r.text
    jid = r.json()["id"]
    job = client.wait_job(jid)
    assert job["status"] == "failed", job
    assert job["error"] and job["error"]["code"], job
    assert job["resultUrl"] is None
    g = client.get("/api/v1/cvdeepmatch/" + jid, "cvdeepmatch.get.response.json").json()
    assert g["status"] == "failed" and g["result"] is None and g["error"]["code"], g
    assert client.get("/v1/credits", "credits.get.response.json").json()["balance"] == 100
    assert server.alive()
    client.submit_cv(expect=202)  # and the server keeps serving
