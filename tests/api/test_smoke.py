"""The walk-through of the README as a test: submit a real CV, follow it to success."""


def test_submit_and_read_result(client):
    r = client.submit_cv(requirements={"skills": {"must_have": ["Python"]}}, expect=202)
    job = client.wait_job(r.json()["id"])
    assert job["status"] == "succeeded", job
    res = client.get("/api/v1/cvdeepmatch/" + job["jobId"], "cvdeepmatch.get.response.json")
    assert res.status_code == 200
    body = res.json()
    assert 0 <= body["result"]["score"] <= 100
    assert body["result"]["tier"] in ("strong", "good", "partial", "weak")
