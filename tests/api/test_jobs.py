"""The job resource: GET /v1/jobs/:jobId, the paginated list and its filters, cancel, and the SSE
event stream (order, resume with Last-Event-ID, 204 after the end, heartbeats)."""
import json
import time
import uuid

import pytest
import requests

import contract_check
from conftest import Client

JOB_FIELDS = {"jobId", "kind", "status", "stage", "progress", "estimatedWaitSec", "createdAt",
              "startedAt", "finishedAt", "error", "resultUrl", "attempts"}
STAGES = ["queued", "started", "extracting_text", "analysing", "scoring", "succeeded"]


def parse_sse(lines):
    """Turns SSE lines into (events, comments); an event is a dict of id/event/data."""
    events, comments, cur = [], [], {}
    for line in lines:
        if line == "":
            if cur:
                events.append(cur)
            cur = {}
        elif line.startswith(":"):
            comments.append(line)
        else:
            field, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            if field == "data" and "data" in cur:
                cur["data"] += "\n" + value
            else:
                cur[field] = value
    if cur:
        events.append(cur)
    return events, comments


def read_stream(client, job_id, last_event_id=None, timeout=20):
    """Reads the whole SSE stream of a job; returns (response, events, comments)."""
    headers = {"Accept": "text/event-stream"}
    if last_event_id is not None:
        headers["Last-Event-ID"] = str(last_event_id)
    r = client.s.get(client.server.url + "/v1/jobs/%s/events" % job_id, headers=headers,
                     stream=True, timeout=(5, timeout))
    assert "X-Request-Id" in r.headers
    if r.status_code != 200:
        r.close()
        return r, [], []
    assert r.headers["Content-Type"].startswith("text/event-stream"), r.headers
    lines = [line for line in r.iter_lines(decode_unicode=True)]
    r.close()
    events, comments = parse_sse(lines)
    return r, events, comments


def no_worker_client(make_server, env=None):
    s = make_server(args=["--no-workers"], env=env)
    s.workspace("acme")
    return Client(s, s.key("acme"))


def list_all(client, query):
    ids, cursor, pages = [], None, 0
    while True:
        path = "/v1/jobs?" + query + ("&cursor=" + cursor if cursor else "")
        r = client.get(path, "jobs.list.response.json")
        assert r.status_code == 200, r.text
        pages += 1
        ids += [j["jobId"] for j in r.json()["data"]]
        cursor = r.json()["next_cursor"]
        assert pages <= 20, "pagination does not end"
        if cursor is None:
            return ids, pages


# ---- GET /v1/jobs/:jobId ----------------------------------------------------------------------

def test_job_fields_queued(make_server):
    c = no_worker_client(make_server)
    jid = c.submit_cv(expect=202).json()["id"]
    r = c.get("/v1/jobs/" + jid, "jobs.get.response.json")
    assert r.status_code == 200
    j = r.json()
    assert JOB_FIELDS <= set(j), set(j) ^ JOB_FIELDS
    assert j["jobId"] == jid and j["kind"] == "cvdeepmatch"
    assert j["status"] == "queued" and j["stage"] == "queued" and j["progress"] == 0
    assert j["startedAt"] is None and j["finishedAt"] is None
    assert j["error"] is None and j["resultUrl"] is None and j["attempts"] == 0
    assert isinstance(j["estimatedWaitSec"], (int, float)) and j["estimatedWaitSec"] >= 0


def test_job_fields_succeeded(client):
    jid = client.submit_cv(expect=202).json()["id"]
    j = client.wait_job(jid)
    assert JOB_FIELDS <= set(j)
    assert j["status"] == "succeeded" and j["stage"] == "succeeded" and j["progress"] == 1
    assert j["createdAt"] <= j["startedAt"] <= j["finishedAt"], j
    assert j["resultUrl"] == "/api/v1/cvdeepmatch/" + jid
    assert j["attempts"] == 1 and j["error"] is None and j["estimatedWaitSec"] == 0
    assert client.get(j["resultUrl"], "cvdeepmatch.get.response.json").status_code == 200


def test_unknown_job_404(client):
    for path in ("/v1/jobs/" + str(uuid.uuid4()), "/v1/jobs/not-a-uuid"):
        r = client.get(path)
        assert r.status_code == 404 and r.json()["error"]["code"] == "not_found", r.text
    r = client.post("/v1/jobs/%s/cancel" % uuid.uuid4())
    assert r.status_code == 404
    r = client.get("/v1/jobs/%s/events" % uuid.uuid4())
    assert r.status_code == 404


# ---- list, pagination, filters ----------------------------------------------------------------

def test_list_pagination_covers_every_job_once(make_server):
    c = no_worker_client(make_server)
    ids = {c.submit_cv(jd="job %d" % i, expect=202).json()["id"] for i in range(5)}
    r = c.get("/v1/jobs?limit=2", "jobs.list.response.json")
    assert len(r.json()["data"]) == 2, "limit=2 must return 2 jobs: %s" % r.text
    seen, pages = list_all(c, "limit=2")
    assert len(seen) == len(set(seen)) == 5, seen
    assert set(seen) == ids
    assert pages >= 3


def test_list_newest_first(make_server):
    c = no_worker_client(make_server)
    for i in range(3):
        c.submit_cv(jd="job %d" % i, expect=202)
    data = c.get("/v1/jobs", "jobs.list.response.json").json()["data"]
    created = [j["createdAt"] for j in data]
    assert created == sorted(created, reverse=True), created


def test_list_filters(make_server):
    c = no_worker_client(make_server)
    ids = [c.submit_cv(jd="job %d" % i, expect=202).json()["id"] for i in range(4)]
    assert c.post("/v1/jobs/%s/cancel" % ids[0], "jobs.get.response.json").status_code == 200
    canceled, _ = list_all(c, "status=canceled")
    assert canceled == [ids[0]], canceled
    queued, _ = list_all(c, "status=queued")
    assert sorted(queued) == sorted(ids[1:]), queued
    assert list_all(c, "status=succeeded")[0] == []
    assert sorted(list_all(c, "kind=cvdeepmatch")[0]) == sorted(ids)
    assert list_all(c, "kind=matching")[0] == []
    assert list_all(c, "kind=cvdeepmatch&status=canceled")[0] == [ids[0]]


@pytest.mark.parametrize("query,field", [
    ("limit=0", "limit"),
    ("limit=101", "limit"),
    ("limit=abc", "limit"),
    ("limit=-1", "limit"),
    ("cursor=not-a-cursor", "cursor"),
    ("status=done", "status"),
])
def test_list_bad_params_400(client, query, field):
    r = client.get("/v1/jobs?" + query)
    assert r.status_code == 400, (query, r.status_code, r.text)
    err = r.json()["error"]
    assert err["code"] == "validation_error", err
    assert field in [f["field"] for f in err["details"].get("fields", [])], err


# ---- cancel -----------------------------------------------------------------------------------

def test_cancel_queued_then_again_409(make_server):
    c = no_worker_client(make_server)
    jid = c.submit_cv(expect=202).json()["id"]
    r = c.post("/v1/jobs/%s/cancel" % jid, "jobs.get.response.json")
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "canceled" and r.json()["finishedAt"] is not None
    assert c.get("/v1/jobs/" + jid, "jobs.get.response.json").json()["status"] == "canceled"
    r = c.post("/v1/jobs/%s/cancel" % jid)
    assert r.status_code == 409, r.text
    assert r.json()["error"]["code"] == "conflict"
    g = c.get("/api/v1/cvdeepmatch/" + jid, "cvdeepmatch.get.response.json").json()
    assert g["status"] == "canceled" and g["result"] is None


def test_cancel_finished_job_409(client):
    jid = client.submit_cv(expect=202).json()["id"]
    client.wait_job(jid)
    r = client.post("/v1/jobs/%s/cancel" % jid)
    assert r.status_code == 409, r.text
    assert client.get("/v1/jobs/" + jid).json()["status"] == "succeeded"


def test_canceled_job_is_not_charged(make_server):
    c = no_worker_client(make_server)
    jid = c.submit_cv(expect=202).json()["id"]
    assert c.post("/v1/jobs/%s/cancel" % jid).status_code == 200
    s = c.server
    s.stop()
    s.args = []
    s.start()
    time.sleep(0.3)  # give workers a chance to (wrongly) pick the canceled job up
    assert c.get("/v1/jobs/" + jid).json()["status"] == "canceled"
    credits = c.get("/v1/credits", "credits.get.response.json").json()
    assert credits["balance"] == 100, credits


# ---- SSE --------------------------------------------------------------------------------------

def collapse(seq):
    out = []
    for x in seq:
        if not out or out[-1] != x:
            out.append(x)
    return out


def test_sse_full_stream_order_and_end(client):
    jid = client.submit_cv(expect=202).json()["id"]
    client.wait_job(jid)
    r, events, _ = read_stream(client, jid)
    assert r.status_code == 200
    ids = [int(e["id"]) for e in events]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), ids
    datas = [json.loads(e["data"]) for e in events]
    stages = collapse(d["stage"] for d in datas)
    stages = ["started" if s == "running" else s for s in stages]
    assert stages == STAGES, stages
    progress = [d["progress"] for d in datas]
    assert progress == sorted(progress), progress
    assert progress[-1] == 1
    assert events[-1]["event"] == "succeeded"
    assert events[0]["event"] == "queued"
    assert all(d["jobId"] == jid for d in datas)


def test_sse_event_data_matches_contract(client):
    jid = client.submit_cv(expect=202).json()["id"]
    client.wait_job(jid)
    _, events, _ = read_stream(client, jid)
    assert events
    for e in events:
        data = json.loads(e["data"])
        contract_check.validate("jobs.event.response.json", data)
        assert str(data["id"]) == e["id"] and data["type"] == e["event"], (e, data)


def test_sse_live_stream_while_running(client):
    # Opened right after submit: the stream follows the job live and ends by itself.
    jid = client.submit_cv(expect=202).json()["id"]
    t0 = time.time()
    r, events, _ = read_stream(client, jid, timeout=15)
    assert time.time() - t0 < 15
    assert events and events[-1]["event"] == "succeeded", events
    stages = collapse(json.loads(e["data"])["stage"] for e in events)
    assert stages[-1] == "succeeded" and "scoring" in stages


def test_sse_resume_with_last_event_id(client):
    jid = client.submit_cv(expect=202).json()["id"]
    client.wait_job(jid)
    _, events, _ = read_stream(client, jid)
    assert len(events) >= 4
    second = events[1]["id"]
    r, later, _ = read_stream(client, jid, last_event_id=second)
    assert r.status_code == 200
    assert [e["id"] for e in later] == [e["id"] for e in events[2:]]
    assert [e["data"] for e in later] == [e["data"] for e in events[2:]]


def test_sse_resume_with_query_parameter(client):
    jid = client.submit_cv(expect=202).json()["id"]
    client.wait_job(jid)
    _, events, _ = read_stream(client, jid)
    r = client.s.get(client.server.url + "/v1/jobs/%s/events?lastEventId=%s" %
                     (jid, events[1]["id"]), stream=True, timeout=(5, 20))
    later, _ = parse_sse(list(r.iter_lines(decode_unicode=True)))
    assert [e["id"] for e in later] == [e["id"] for e in events[2:]]


def test_sse_reconnect_after_end_is_204(client):
    jid = client.submit_cv(expect=202).json()["id"]
    client.wait_job(jid)
    _, events, _ = read_stream(client, jid)
    r, more, _ = read_stream(client, jid, last_event_id=events[-1]["id"])
    assert r.status_code == 204, r.status_code
    assert more == []


def test_sse_cancel_ends_stream(make_server):
    c = no_worker_client(make_server)
    jid = c.submit_cv(expect=202).json()["id"]
    r = c.s.get(c.server.url + "/v1/jobs/%s/events" % jid, stream=True, timeout=(5, 10))
    lines = r.iter_lines(decode_unicode=True)
    got = []
    for line in lines:
        got.append(line)
        if line == "":
            break  # the queued event is complete
    assert c.post("/v1/jobs/%s/cancel" % jid).status_code == 200
    got += list(lines)
    events, _ = parse_sse(got)
    assert [e["event"] for e in events] == ["queued", "canceled"], events


def test_sse_heartbeat_on_queued_job(make_server):
    c = no_worker_client(make_server, env={"MATCHD_SSE_HEARTBEAT_MS": "300"})
    jid = c.submit_cv(expect=202).json()["id"]
    t0 = time.time()
    r = c.s.get(c.server.url + "/v1/jobs/%s/events" % jid, stream=True, timeout=(5, 2.5))
    got_heartbeat = False
    try:
        for line in r.iter_lines(decode_unicode=True):
            if line.startswith(":"):
                got_heartbeat = True
                break
            if time.time() - t0 > 2.5:
                break
    except (requests.exceptions.ConnectionError, requests.exceptions.ReadTimeout):
        pass
    finally:
        r.close()
    assert got_heartbeat, "no heartbeat comment within 2.5 s with a 300 ms heartbeat interval"


# ---- other workspace --------------------------------------------------------------------------

def test_other_workspace_job_is_404(make_server):
    s = make_server(args=["--no-workers"])
    s.workspace("a")
    s.workspace("b")
    a = Client(s, s.key("a"))
    b = Client(s, s.key("b"))
    jid = a.submit_cv(expect=202).json()["id"]
    assert b.get("/v1/jobs/" + jid).status_code == 404
    assert b.get("/v1/jobs/%s/events" % jid).status_code == 404
    r = b.post("/v1/jobs/%s/cancel" % jid)
    assert r.status_code == 404
    assert b.get("/v1/jobs", "jobs.list.response.json").json()["data"] == []
    assert a.get("/v1/jobs/" + jid).json()["status"] == "queued", "b's cancel must not touch it"
