#!/usr/bin/env python3
"""Precision and recall of the CV engine on the 50 labelled test CVs of dotin-resume-ner.

Usage: bench/cv_eval.py DRIVER ZIP [skills.tsv [skills_tagger.tsv]]

Each CV of the zip is an XML file whose text carries inline labels
(<label type="Tech Tools">SAP</label>). The text without the tags goes to the engine (DRIVER =
build/cv_eval_driver, one JSON result per file); the labels are the gold sets:
  skills        "Tech Tools" + "Job Specific Skills"  vs  result.skills_found[].name
  designations  "Designation"                          vs  result.positions[].title
  companies     "Companies worked at"                  vs  result.positions[].organisation
  degrees       "Degree"                               vs  result.education[].degree
  names         "Name"                                 vs  result.contact.name
Per CV, both sides are sets of normalised strings (case-folded, punctuation as spaces). A
predicted item is right when some gold item matches it, a gold item is found when some
predicted item matches it; two items match when they are equal or the token sequence of one
occurs inside the other ("Microsoft Excel" ~ "Excel", "AWS" ~ "Amazon Web Services AWS
software"). Precision and recall are micro-averaged over the 50 CVs.

skills_as_written scores the same gold against each found skill's first mention as the CV
writes it (the driver's skills_as_written: "MS Office", "UML") instead of its taxonomy name
("Microsoft Office software", "unified modelling language"). The gold labels are spans of the
text, so this is the usual span-level NER comparison (with the same containment rule); it does
not reward more predictions than the name-based figure, it only stops penalising a correct
mention for being reported under its canonical name. Both figures are printed; "skills" (by
name, what an API client sees) is the headline.

predicted_soft counts the predicted skills that match no gold skill but match a gold "Soft
Skills" label ("communication", "leadership"): the annotators marked them as skills, of a kind
this score leaves out. precision_soft_excluded leaves them out of the denominator; "precision"
counts them as wrong. Both are printed; "precision" is the headline.
"""
import html
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile

FIELDS = {
    "skills": ("Tech Tools", "Job Specific Skills"),
    "skills_as_written": ("Tech Tools", "Job Specific Skills"),
    "designations": ("Designation",),
    "companies": ("Companies worked at",),
    "degrees": ("Degree",),
    "names": ("Name",),
}
LABEL = re.compile(r'<label type="([^"]*)">(.*?)</label>', re.S)
TAG = re.compile(r"<[^>]+>")


def norm(s):
    return tuple(re.sub(r"[^\w+#]+", " ", s.casefold()).split())


def inside(a, b):
    """Token sequence a occurs in b."""
    n = len(a)
    return n > 0 and any(b[i:i + n] == a for i in range(len(b) - n + 1))


def match(a, b):
    return a == b or inside(a, b) or inside(b, a)


def predicted(res, field, written):
    if field == "skills_as_written":
        return written
    if field == "skills":
        return [s["name"] for s in res["skills_found"]]
    if field == "designations":
        return [p["title"] for p in res["positions"] if p.get("title")]
    if field == "companies":
        return [p["organisation"] for p in res["positions"] if p.get("organisation")]
    if field == "names":
        return [res["contact"]["name"]] if res["contact"].get("name") else []
    return [d["degree"] for d in res["education"] if d.get("degree")]


def main():
    driver, zpath = sys.argv[1], sys.argv[2]
    tsv = sys.argv[3] if len(sys.argv) > 3 else None
    tagger = sys.argv[4] if len(sys.argv) > 4 else None
    gold, files = {}, []
    with tempfile.TemporaryDirectory() as tmp, zipfile.ZipFile(zpath) as z:
        for name in sorted(n for n in z.namelist()
                           if n.endswith(".xml") and "__MACOSX" not in n):
            xml = z.read(name).decode("utf-8", errors="replace")
            body = xml.split("<cv>", 1)[-1].rsplit("</cv>", 1)[0]
            g = {f: set() for f in FIELDS}
            g["soft"] = set()
            for typ, text in LABEL.findall(body):
                if typ == "Soft Skills" and norm(html.unescape(TAG.sub("", text))):
                    g["soft"].add(norm(html.unescape(TAG.sub("", text))))
                for f, types in FIELDS.items():
                    if typ in types and norm(html.unescape(TAG.sub("", text))):
                        g[f].add(norm(html.unescape(TAG.sub("", text))))
            path = os.path.join(tmp, os.path.basename(name)[:-4] + ".txt")
            with open(path, "w") as out:
                out.write(html.unescape(TAG.sub("", body)))
            gold[path] = g
            files.append(path)
        cmd = [driver] + (["-t", tsv] if tsv else []) + (["-g", tagger] if tagger else []) + files
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    objs = [json.loads(line) for line in out.splitlines()]
    results = {o["file"]: o["result"] for o in objs}
    written = {o["file"]: o.get("skills_as_written", []) for o in objs}
    report = {"cvs": len(files), "taxonomy": "builtin" if not tsv else tsv, "tagger": tagger}
    for f in FIELDS:
        tp_p = n_p = tp_g = n_g = soft = 0
        for path in files:
            pred = {norm(s) for s in predicted(results[path], f, written[path]) if norm(s)}
            g = gold[path][f]
            tp_p += sum(any(match(p, x) for x in g) for p in pred)
            soft += sum(not any(match(p, x) for x in g) and
                        any(match(p, x) for x in gold[path]["soft"]) for p in pred)
            n_p += len(pred)
            tp_g += sum(any(match(x, p) for p in pred) for x in g)
            n_g += len(g)
        report[f] = {"precision": round(tp_p / n_p, 3) if n_p else None,
                     "recall": round(tp_g / n_g, 3) if n_g else None,
                     "predicted": n_p, "gold": n_g, "right": tp_p, "found": tp_g}
        if f.startswith("skills"):
            report[f]["predicted_soft"] = soft
            report[f]["precision_soft_excluded"] = round(tp_p / (n_p - soft), 3) \
                if n_p > soft else None
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
