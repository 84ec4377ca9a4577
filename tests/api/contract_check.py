"""Validate API bodies against contracts/v1 from the black-box tests.

    from contract_check import validate
    validate("jobs.get.response.json", resp.json())   # raises jsonschema.ValidationError

File references between schemas ("common.error.json", "common.target.json#/$defs/selector")
resolve inside contracts/v1: through a `referencing` registry where the jsonschema package has
one (4.18+), else through RefResolver (Debian bookworm's python3-jsonschema 4.10).
Run this file directly for a self-test: `python3 tests/api/contract_check.py`.
"""
import functools
import json
import os

import jsonschema
from jsonschema import Draft202012Validator

CONTRACTS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "contracts", "v1")
BASE = "https://matchd.dev/contracts/v1/"


@functools.lru_cache(maxsize=None)
def _schemas():
    out = {}
    for name in sorted(os.listdir(CONTRACTS)):
        if name.endswith(".json"):
            with open(os.path.join(CONTRACTS, name)) as f:
                out[name] = json.load(f)
    return out


@functools.lru_cache(maxsize=None)
def _validator(name):
    schemas = _schemas()
    schema = schemas[name]
    checker = Draft202012Validator.FORMAT_CHECKER
    try:
        from referencing import Registry, Resource  # jsonschema >= 4.18
        registry = Registry().with_resources(
            (BASE + n, Resource.from_contents(s)) for n, s in schemas.items())
        return Draft202012Validator(schema, registry=registry, format_checker=checker)
    except ImportError:
        store = {BASE + n: s for n, s in schemas.items()}
        resolver = jsonschema.RefResolver(BASE + name, schema, store=store)
        return Draft202012Validator(schema, resolver=resolver, format_checker=checker)


def names():
    """Every schema file name in contracts/v1."""
    return list(_schemas())


def errors(name, instance):
    """Returns a list of (JSON pointer, message) for instance against schema `name`."""
    out = []
    for e in sorted(_validator(name).iter_errors(instance), key=lambda e: list(e.absolute_path)):
        ptr = "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in e.absolute_path)
        out.append((ptr, e.message))
    return out


def validate(name, instance):
    """Raises jsonschema.ValidationError unless instance is valid against contracts/v1/<name>."""
    _validator(name).validate(instance)


def self_test():
    for n, s in _schemas().items():
        Draft202012Validator.check_schema(s)
        assert s.get("$id") == BASE + n, n
    req = {"as_of": "2026-11-01",
           "skills": {"must_have": ["Python", {"name": "PostgreSQL", "min_years": 2}],
                      "nice_to_have": ["Kubernetes"]},
           "experience": {"min_years": 5},
           "education": {"min_level": "bachelor", "fields": ["computer science"]},
           "languages": [{"language": "German", "min_level": "B2"}],
           "certifications": ["AWS Solutions Architect"],
           "location": {"city": "Berlin", "remote_ok": True},
           "weights": {"skills": 0.45, "experience": 0.2, "similarity": 0.1}}
    validate("cvdeepmatch.requirements.json", req)
    bad = dict(req, skills={"must_have": [{"name": "PostgreSQL", "min_years": -1}]})
    assert errors("cvdeepmatch.requirements.json", bad), "negative min_years must fail"
    validate("common.error.json", {"error": {"code": "INVALID_INPUT", "message": "x",
                                             "details": {"fields": [{"field": "/a", "message": "m"}]}}})
    validate("matching.create.request.json", {
        "group": [{"type": "entity_id", "entityId": "e1"}],
        "target": {"type": "media_target", "mediaId": "m1",
                   "selector": {"strategy": "dominant", "on_miss": "error"}},
        "context": "hiring_team_fit"})
    assert errors("reports.create.request.json", {"media": {"mediaId": "m"}, "output": {"template": "x"},
                                                  "target": {"strategy": "dominant", "on_miss": "error"}})
    validate("matching.byjob.response.json", None)
    print("contract_check: %d schemas ok" % len(_schemas()))


if __name__ == "__main__":
    self_test()
