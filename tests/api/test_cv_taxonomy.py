"""The CV engine with the skills taxonomy (data/skills.tsv, loaded lazily by the server on the
first CV job): a requirement met through the hierarchy ("relational databases" by PostgreSQL),
skill requirements taken from the job description when the requirements name none, and the
built-in table when the file is missing."""
import os

from conftest import JD_TEXT, PDFS, Client

CHROMIUM = os.path.join(PDFS, "12_resume-matcher_two-column_chromium.pdf")
BARRY = os.path.join(PDFS, "11_resume-matcher_barry-allen_moderncv.pdf")


def result_of(client, **kw):
    r = client.submit_cv(expect=202, **kw)
    job = client.wait_job(r.json()["id"])
    assert job["status"] == "succeeded", job
    g = client.get("/api/v1/cvdeepmatch/" + r.json()["id"], "cvdeepmatch.get.response.json")
    assert g.status_code == 200, g.text
    return g.json()["result"]


def test_relational_databases_met_through_postgresql(client):
    reqs = {"as_of": "2026-11-01",
            "skills": {"must_have": ["relational databases"], "nice_to_have": ["Go"]}}
    res = result_of(client, pdf=CHROMIUM, requirements=reqs)
    assert res["taxonomy"] == "esco-onet-linguist", res.get("taxonomy")
    assert res["requirements_source"] == "requirements"
    q = next(q for q in res["requirements"] if q["id"] == "/skills/must_have/0")
    assert q["verdict"] in ("partially_met", "met"), q
    assert q["matched_by"] in ("PostgreSQL", "SQLite"), q
    assert q["evidence"] and q["matched_by"] in q["evidence"][0]["text"], q
    assert 0 < q["score"] < 1 and q["match"] == "related", q
    assert q["matched_by"] in q["to_change"], q
    ids = {s.get("id") for s in res["skills_found"]}
    assert "onet:kubernetes" in ids, res["skills_found"]
    # Each skill also carries the CV's own wording, found verbatim in the CV's text.
    k8s = next(s for s in res["skills_found"] if s.get("id") == "onet:kubernetes")
    assert k8s["as_written"].lower() in ("kubernetes", "k8s"), k8s
    written = [s for s in res["skills_found"] if "as_written" in s]
    assert len(written) * 2 >= len(res["skills_found"]), res["skills_found"]
    assert all(s["as_written"] for s in written), written


def test_requirements_from_the_job_description(client):
    with open(os.path.join(JD_TEXT, "resume-matcher_job_desc_front_end_engineer.txt")) as f:
        jd = f.read()
    res = result_of(client, pdf=BARRY, jd=jd, requirements={"as_of": "2026-11-01"})
    assert res["requirements_source"] == "job_description"
    skills = [q for q in res["requirements"] if q["category"] == "skills"]
    assert len(skills) >= 5, skills
    assert all(q["id"].startswith("/job_description/") for q in skills), skills
    met = [q for q in skills if q["verdict"] == "met"]
    assert any(q.get("matched_by") == "React" and q["evidence"] for q in met), skills
    assert "skills" in res["categories"]
    # After the named skills, the duties the job asks for in its own words, judged by the
    # words of each that one CV line shows.
    phrases = [q for q in skills if q.get("match") == "words"]
    assert 3 <= len(phrases) <= 12, skills
    named = {q["requirement"].split(" (")[0] for q in phrases}
    assert "build reusable code and libraries for future use" in named, named
    for q in phrases:
        if q["verdict"] == "not_met":
            assert not q["evidence"] and "matched_by" not in q, q
            assert q["requirement"].split(" (")[0] in q["to_change"], q
        else:
            assert q["evidence"] and q["matched_by"], q
    frameworks = next(q for q in phrases
                      if q["requirement"].startswith("modern JavaScript frameworks"))
    assert frameworks["verdict"] == "met", frameworks


def test_missing_file_falls_back_to_the_builtin_table(make_server, tmpdir_path):
    s = make_server(env={"MATCHD_SKILLS_FILE": os.path.join(tmpdir_path, "none.tsv")})
    client = Client(s, s.key(s.workspace("tx")))
    reqs = {"as_of": "2026-11-01", "skills": {"must_have": ["React"]}}
    res = result_of(client, pdf=BARRY, requirements=reqs)
    assert res["taxonomy"] == "builtin"
    assert res["requirements"][0]["verdict"] == "met"
    assert s.log().count("built-in skill table") == 1
