"""Idempotency of POST /api/v1/cvdeepmatch/submit: replay, mismatch, header and form field, and a
burst of concurrent duplicates."""
import threading

from conftest import Client

SUBMIT = "/api/v1/cvdeepmatch/submit"


def all_jobs(client):
    """Every job of the workspace, following next_cursor."""
    out, cursor = [], None
    for _ in range(100):
        path = "/v1/jobs?limit=100" + ("&cursor=" + cursor if cursor else "")
        r = client.get(path, "jobs.list.response.json")
        assert r.status_code == 200, r.text
        out += r.json()["data"]
        cursor = r.json()["next_cursor"]
        if not cursor:
            return out
    raise AssertionError("pagination does not end")


def test_same_key_same_request_replays_without_new_job(client):
    a = client.submit_cv(idem="same-1", jd="Backend engineer", expect=202)
    assert len(all_jobs(client)) == 1
    for _ in range(3):
        b = client.submit_cv(idem="same-1", jd="Backend engineer", expect=200)
        assert b.json()["id"] == a.json()["id"]
        assert b.json()["idempotent_replay"] is True
        assert b.headers.get("Idempotent-Replayed") == "true"
    assert len(all_jobs(client)) == 1


def test_replay_after_job_finished_still_returns_original(client):
    a = client.submit_cv(idem="done-1", expect=202).json()["id"]
    client.wait_job(a)
    b = client.submit_cv(idem="done-1", expect=200).json()
    assert b["id"] == a and b["status"] == "succeeded"
    assert len(all_jobs(client)) == 1


def test_same_key_different_body_is_422_naming_key(client):
    client.submit_cv(idem="mismatch-1", jd="Backend engineer", expect=202)
    r = client.submit_cv(idem="mismatch-1", jd="Frontend engineer")
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert err["code"] == "IDEMPOTENCY_KEY_MISMATCH", err
    fields = [f["field"] for f in err["details"].get("fields", [])]
    assert "idempotency_key" in fields, err
    assert len(all_jobs(client)) == 1


def test_same_key_different_requirements_is_422(client):
    client.submit_cv(idem="mismatch-2", requirements={"skills": {"must_have": ["Go"]}},
                     expect=202)
    r = client.submit_cv(idem="mismatch-2", requirements={"skills": {"must_have": ["Rust"]}})
    assert r.status_code == 422, r.text


def test_different_keys_make_different_jobs(client):
    a = client.submit_cv(idem="k-a", expect=202).json()["id"]
    b = client.submit_cv(idem="k-b", expect=202).json()["id"]
    assert a != b
    assert len(all_jobs(client)) == 2


def test_keys_are_per_workspace(server):
    server.workspace("one")
    server.workspace("two")
    c1 = Client(server, server.key("one"))
    c2 = Client(server, server.key("two"))
    a = c1.submit_cv(idem="shared", expect=202).json()["id"]
    b = c2.submit_cv(idem="shared", expect=202).json()["id"]
    assert a != b


def test_idempotency_key_header(client):
    a = client.submit_cv(headers={"Idempotency-Key": "hdr-1"}, expect=202)
    b = client.submit_cv(headers={"Idempotency-Key": "hdr-1"}, expect=200)
    assert b.json()["id"] == a.json()["id"]
    assert b.headers.get("Idempotent-Replayed") == "true"
    assert len(all_jobs(client)) == 1


def test_header_and_form_field_share_one_key_space(client):
    a = client.submit_cv(headers={"Idempotency-Key": "both-1"}, expect=202)
    b = client.submit_cv(idem="both-1", expect=200)
    assert b.json()["id"] == a.json()["id"]


def test_form_field_key(client):
    a = client.submit_cv(idem="form-1", expect=202)
    b = client.submit_cv(idem="form-1", expect=200)
    assert a.json()["id"] == b.json()["id"]


def test_concurrent_identical_submits(server):
    server.workspace("acme")
    key = server.key("acme")
    n = 10
    barrier = threading.Barrier(n)
    results = [None] * n

    def worker(i):
        c = Client(server, key)
        barrier.wait()
        try:
            r = c.submit_cv(idem="burst-1", jd="Concurrent engineer")
            results[i] = (r.status_code, r.json())
        except Exception as e:  # noqa: BLE001 - recorded and asserted below
            results[i] = (None, repr(e))

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = sorted(r[0] for r in results)
    assert statuses.count(202) == 1, results
    assert all(s in (200, 202, 409) for s in statuses), results
    ids = {body["id"] for status, body in results if status in (200, 202)}
    assert len(ids) == 1, results
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] == "IDEMPOTENCY_KEY_IN_USE", body
        if status == 200:
            assert body["idempotent_replay"] is True
    c = Client(server, key)
    jobs = all_jobs(c)
    assert len(jobs) == 1 and jobs[0]["jobId"] in ids, jobs


def test_invalid_idempotency_key(client):
    r = client.submit_cv(headers={"Idempotency-Key": "x" * 300})
    assert r.status_code == 400, r.text
    assert r.json()["error"]["code"] == "INVALID_INPUT"
    r = client.submit_cv(idem="y" * 300)
    assert r.status_code == 400, r.text
    fields = [f["field"] for f in r.json()["error"]["details"]["fields"]]
    assert "idempotency_key" in fields
