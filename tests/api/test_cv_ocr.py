"""Scanned CVs (issue 5, section 1): a page with no text layer is rendered and read by OCR
(Tesseract) inside the extraction sandbox, and the result says which pages were OCR'd. The scan
is made at test time from a shared CV (tests/api/scanned_pdf.py: poppler's pdftoppm renders the
page, the bitmap becomes the only content of a new PDF), so the facts to find are known. Also
the Chinese CV, whose text layer needs poppler-data's character maps."""
import os

import pytest

from conftest import PDFS, Client
from scanned_pdf import scanned_copy

REQS = {"as_of": "2026-11-01", "skills": {"must_have": ["Python"]},
        "experience": {"min_years": 2}}
RENDERCV = os.path.join(PDFS, "08_rendercv_engineeringresumes.pdf")


@pytest.fixture
def scanned(tmpdir_path):
    path = os.path.join(tmpdir_path, "scanned_rendercv.pdf")
    with open(path, "wb") as f:
        f.write(scanned_copy(RENDERCV, page=1, dpi=200))
    return path


def run_cv(client, pdf):
    r = client.submit_cv(pdf=pdf, requirements=REQS, expect=202)
    job = client.wait_job(r.json()["id"], timeout=90)
    assert job["status"] == "succeeded", job
    g = client.get("/api/v1/cvdeepmatch/" + r.json()["id"], "cvdeepmatch.get.response.json")
    assert g.status_code == 200, g.text
    return g.json()["result"]


def test_scanned_page_is_read_by_ocr_and_reported(client, scanned):
    res = run_cv(client, scanned)
    assert res["ocr_pages"] == [1], res.get("warnings")
    assert any("page 1: no text layer, read by OCR (eng)" == w for w in res["warnings"]), \
        res["warnings"]
    # The facts a recruiter reads off the scan, found through the normal layout and parsers.
    assert res["contact"]["name"] == "John Doe", res["contact"]
    assert res["contact"]["email"] == "john.doe@email.com", res["contact"]
    kinds = {s["kind"] for s in res["sections"]}
    assert {"education", "experience"} <= kinds, res["sections"]
    orgs = " ".join(p.get("organisation") or "" for p in res["positions"])
    assert "Nexus AI" in orgs, res["positions"]
    assert res["experience_years"] > 2, res["experience_years"]


def test_text_pdf_is_not_ocrd(client):
    res = run_cv(client, RENDERCV)
    assert res["ocr_pages"] == []
    assert not any("OCR" in w for w in res["warnings"]), res["warnings"]


def test_missing_ocr_language_is_a_warning_not_a_failure(make_server, scanned):
    # One language missing: the others still read the page, and the warning names the gap.
    server = make_server(env={"MATCHD_OCR_LANGS": "eng+zzz"})
    server.workspace("acme", credits=100)
    res = run_cv(Client(server, server.key("acme")), scanned)
    assert res["ocr_pages"] == [1]
    assert "page 1: no text layer, read by OCR (eng; not installed: zzz)" in res["warnings"]
    assert res["contact"]["email"] == "john.doe@email.com"
    # None installed: the page stays unread, the job still succeeds and says why.
    server = make_server(env={"MATCHD_OCR_LANGS": "zzz"})
    server.workspace("acme", credits=100)
    res = run_cv(Client(server, server.key("acme")), scanned)
    assert res["ocr_pages"] == []
    assert any("OCR unavailable" in w and '"zzz"' in w for w in res["warnings"]), \
        res["warnings"]


def test_ocr_can_be_turned_off(make_server, scanned):
    server = make_server(env={"MATCHD_OCR_MAX_PAGES": "0"})
    server.workspace("acme", credits=100)
    res = run_cv(Client(server, server.key("acme")), scanned)
    assert res["ocr_pages"] == []
    assert any("no text layer" in w for w in res["warnings"]), res["warnings"]


def test_chinese_cv_text_layer_is_read_in_the_sandbox(client):
    # CV 06's fonts are CID-keyed with the Adobe-GB1 collection: without poppler-data's
    # character maps its text layer comes out empty. With them the facts of
    # tests/data/cv_expected/06_billryan_resume_zh-CN.json are read off the PDF itself.
    res = run_cv(client, os.path.join(PDFS, "06_billryan_resume_zh-CN.pdf"))
    assert res["ocr_pages"] == []
    assert res["contact"]["name"] == "你的大名", res["contact"]
    assert res["contact"]["email"] == "xxx@yuanbin.me", res["contact"]
    # Title and organisation compared as tests/unit/engines/cv/test_expected.c does: the
    # expected text contained in what was read (the PDF sets "上海" right after the company and
    # "经理: 高富帅" after the title, pdftotext -layout reads them the same way).
    work = [p for p in res["positions"] if p["kind"] == "work"]
    assert len(work) == 1, res["positions"]
    assert "实习" in work[0]["title"] and "黑科技公司" in work[0]["organisation"], work
    assert (work[0]["start"], work[0]["end"]) == ("2015-03", "2015-05"), work
    assert abs(res["experience_years"] - 0.25) <= 0.1, res["experience_years"]
    assert sorted({e["isced"] for e in res["education"]}) == [6, 7], res["education"]
    assert {"name": "English", "level": "C1"} in \
        [{"name": x["name"], "level": x["level"]} for x in res["languages"]], res["languages"]
