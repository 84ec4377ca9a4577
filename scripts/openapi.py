#!/usr/bin/env python3
"""Assemble matchd's OpenAPI 3.1 document (or docs/api.md) from contracts/v1.

Usage:
    openapi.py contracts/v1              > build/gen/openapi.json
    openapi.py --markdown contracts/v1   > docs/api.md

Every contracts/v1/*.json schema becomes components/schemas/<file name>. A schema's "x-matchd"
annotation (an object, or a list of them) places it in paths:

    {"method": "POST", "path": "/v1/matching/jobs", "role": "request" | "response",
     "status": 202, "contentType": "application/json", "summary": "...",
     "description": "...", "query": [{"name", "type", "description"}],
     "errors": [400, 401, ...], "auth": "jwt" | false}

Error statuses reference common.error.json; when "errors" is absent they are derived from the
endpoint (body or query: 400, path parameters: 404, ...). Standard library only.
"""
import json
import os
import re
import sys

ERROR_SCHEMA = "common.error.json"
STATUS_TEXT = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Validation failure",
    401: "Missing or invalid credentials", 402: "Insufficient credits",
    403: "Authenticated but missing the required permission", 404: "No such object in this workspace",
    409: "Conflict (a duplicate in flight, a finished job, a repeated submission)",
    422: "Idempotency key reused with a different body", 429: "Rate-limited; respect Retry-After",
    500: "Internal error", 502: "A downstream pipeline failed to start; retry-safe",
    503: "Not ready",
}
FAMILY_TAG = {
    "jobs": "Jobs", "credits": "Credits", "webhooks": "Webhooks", "ops": "Operations",
    "media": "Media & entities", "entities": "Media & entities", "matching": "Team-fit matching",
    "reports": "Reports", "linkage": "Record matching", "talent": "Talent matches",
    "cvdeepmatch": "CV deep match", "common": "Common",
}
TAG_ORDER = ["Team-fit matching", "Talent matches", "Record matching", "CV deep match", "Reports",
             "Media & entities", "Jobs", "Credits", "Webhooks", "Operations"]
# Endpoints whose bodies are not JSON and so have no schema file.
STATIC = [
    ("GET", "/v1/reports/{reportId}/pdf", "Reports", "Download a report as PDF",
     {"200": {"description": "The PDF", "content": {"application/pdf": {"schema": {
         "type": "string", "contentMediaType": "application/pdf"}}}}}, None),
    ("GET", "/v1/openapi.json", "Operations", "This OpenAPI document",
     {"200": {"description": "OpenAPI 3.1", "content": {"application/json": {"schema": {
         "type": "object"}}}}}, []),
    ("GET", "/metrics", "Operations", "Prometheus metrics",
     {"200": {"description": "Prometheus text exposition format", "content": {
         "text/plain": {"schema": {"type": "string"}}}}}, []),
]


def load(folder):
    schemas = {}
    for name in sorted(os.listdir(folder)):
        if name.endswith(".json"):
            with open(os.path.join(folder, name)) as f:
                schemas[name] = json.load(f)
    return schemas


def annotations(schema):
    xm = schema.get("x-matchd")
    if xm is None:
        return []
    return xm if isinstance(xm, list) else [xm]


def rewrite_refs(node, name):
    """Turns file refs into component refs: "a.json#/x" -> "#/components/schemas/a.json/x"."""
    if isinstance(node, dict):
        out = {}
        for k, v in node.items():
            if k == "$ref" and isinstance(v, str):
                doc, _, frag = v.partition("#")
                out[k] = "#/components/schemas/" + (doc or name) + frag
            else:
                out[k] = rewrite_refs(v, name)
        return out
    if isinstance(node, list):
        return [rewrite_refs(v, name) for v in node]
    return node


def component(name, schema):
    body = {k: v for k, v in schema.items() if k not in ("$schema", "$id", "x-matchd")}
    return rewrite_refs(body, name)


def family(name):
    return name.split(".", 1)[0]


def default_errors(path, method, has_body, query, fam, request_schema):
    errs = [401, 403, 429, 500]
    if has_body or query:
        errs.append(400)
    if "{" in path:
        errs.append(404)
    if method == "POST" and fam in ("matching", "reports", "cvdeepmatch", "talent") and \
            (has_body or path.endswith("/compute")):
        errs.append(402)
    props = (request_schema or {}).get("properties", {})
    if "idempotencyKey" in props or "idempotency_key" in props:
        errs += [409, 422]
    return sorted(set(errs))


def operation_id(method, path):
    words = re.sub(r"[{}]", "", path).replace("/api/v1/", "/").replace("/v1/", "/")
    parts = [p for p in re.split(r"[/\-_.]", words) if p]
    return method.lower() + "".join(p[:1].upper() + p[1:] for p in parts)


def collect(schemas):
    """Returns {(path, method): {"request": [...], "responses": [...], ...}}."""
    ops = {}
    for name, schema in schemas.items():
        for a in annotations(schema):
            key = (a["path"], a["method"].upper())
            op = ops.setdefault(key, {"requests": [], "responses": [], "family": family(name),
                                      "summary": None, "description": None, "query": [],
                                      "errors": None, "auth": True})
            if a.get("role") == "request":
                op["requests"].append((a.get("contentType", "application/json"), name))
            else:
                op["responses"].append((a.get("status", 200), a.get("contentType", "application/json"),
                                        name, a.get("summary")))
            if a.get("summary") and (a.get("role") == "request" or not op["summary"]):
                op["summary"] = op["summary"] or a["summary"]
            for k in ("description", "errors"):
                if a.get(k) is not None:
                    op[k] = a[k]
            if a.get("query"):
                op["query"] = a["query"]
            if "auth" in a:
                op["auth"] = a["auth"]
    return ops


def security(auth):
    if auth is False:
        return []
    if auth == "jwt":
        return [{"jwt": []}]
    return [{"bearerAuth": []}, {"apiKey": []}]


def build(schemas):
    ops = collect(schemas)
    paths = {}
    for (path, method), op in sorted(ops.items()):
        params = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                  for p in re.findall(r"{(\w+)}", path)]
        params += [{"name": q["name"], "in": "query", "required": False,
                    "schema": {"type": q.get("type", "string")},
                    "description": q.get("description", "")} for q in op["query"]]
        o = {"operationId": operation_id(method, path), "tags": [FAMILY_TAG[op["family"]]],
             "summary": op["summary"] or "", "security": security(op["auth"])}
        if op["description"]:
            o["description"] = op["description"]
        if params:
            o["parameters"] = params
        request_schema = None
        if op["requests"]:
            o["requestBody"] = {"required": not any(n == "linkage.run.request.json" for _, n in op["requests"]),
                                "content": {ct: {"schema": {"$ref": "#/components/schemas/" + n}}
                                            for ct, n in op["requests"]}}
            request_schema = schemas[op["requests"][0][1]]
        responses = {}
        for status, ct, name, summary in op["responses"]:
            r = responses.setdefault(str(status), {"description": summary or STATUS_TEXT.get(status, ""),
                                                    "content": {}})
            r["content"][ct] = {"schema": {"$ref": "#/components/schemas/" + name}}
        errors = op["errors"]
        if errors is None:
            errors = [] if op["auth"] is False else default_errors(
                path, method, bool(op["requests"]), op["query"], op["family"], request_schema)
        for e in errors:
            responses.setdefault(str(e), {"$ref": "#/components/responses/Error%d" % e})
        o["responses"] = dict(sorted(responses.items()))
        paths.setdefault(path, {})[method.lower()] = o
    for method, path, tag, summary, responses, sec in STATIC:
        o = {"operationId": operation_id(method, path), "tags": [tag], "summary": summary,
             "security": security(True) if sec is None else sec, "responses": responses}
        if "{" in path:
            o["parameters"] = [{"name": p, "in": "path", "required": True, "schema": {"type": "string"}}
                               for p in re.findall(r"{(\w+)}", path)]
        paths.setdefault(path, {})[method.lower()] = o
    used = sorted({int(r["$ref"].rsplit("Error", 1)[1]) for p in paths.values() for o in p.values()
                   for r in o["responses"].values() if "$ref" in r})
    return {
        "openapi": "3.1.0",
        "info": {"title": "matchd", "version": "1",
                 "description": "Self-hosted asynchronous matching API: team-fit matching, talent "
                                "matches, record matching, CV deep match and reports.",
                 "license": {"name": "GPL-3.0-or-later", "identifier": "GPL-3.0-or-later"}},
        "tags": [{"name": t} for t in TAG_ORDER],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "API key as a bearer token."},
                "apiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "jwt": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                        "description": "Talent matches (/v1/matches): HS256/RS256/ES256 JWT with "
                                       "sub, role, org_id, exp."},
            },
            "responses": {"Error%d" % s: {
                "description": STATUS_TEXT.get(s, "Error"),
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/" + ERROR_SCHEMA}}}}
                for s in used},
            "schemas": {name: component(name, s) for name, s in schemas.items()},
        },
    }


# ---- markdown ----

def resolve(schemas, name, node):
    """Follows $ref (file or local) to (file name, schema)."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 16:
        doc, _, frag = node["$ref"].partition("#")
        name = doc or name
        node = schemas[name]
        for tok in [t for t in frag.split("/") if t]:
            node = node[tok.replace("~1", "/").replace("~0", "~")]
        seen += 1
    return name, node


def describe_type(schemas, name, node):
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        doc, _, frag = node["$ref"].partition("#")
        return "`%s`" % ((doc or name) + ("#" + frag if frag else ""))
    name, node = resolve(schemas, name, node)
    if node == {} or node is True:
        return "any"
    if "const" in node:
        return json.dumps(node["const"])
    if "enum" in node:
        return " \\| ".join(json.dumps(v) for v in node["enum"])
    for k in ("anyOf", "oneOf"):
        if k in node:
            return " \\| ".join(describe_type(schemas, name, b) for b in node[k])
    t = node.get("type", "any")
    if t == "array":
        return "array of " + describe_type(schemas, name, node.get("items", {}))
    if isinstance(t, list):
        t = " \\| ".join(t)
    extra = []
    for k, sym in (("minimum", ">="), ("maximum", "<="), ("minLength", "min length"),
                   ("maxLength", "max length"), ("minItems", "min items"), ("maxItems", "max items")):
        if k in node:
            extra.append("%s %s" % (sym, node[k]))
    if "format" in node:
        extra.append(node["format"])
    return t + (" (" + ", ".join(extra) + ")" if extra else "")


def object_of(schemas, name, node):
    """The object schema to list fields of, looking through refs and nullable wrappers."""
    name, node = resolve(schemas, name, node)
    if not isinstance(node, dict):
        return None
    if node.get("type") == "object" and "properties" in node:
        return name, node
    if node.get("type") == "array":
        return object_of(schemas, name, node.get("items", {}))
    for k in ("anyOf", "oneOf"):
        objs = [object_of(schemas, name, b) for b in node.get(k, [])]
        objs = [o for o in objs if o]
        if len(objs) == 1:
            return objs[0]
    return None


def fields(schemas, name, node, prefix="", depth=0, out=None):
    out = [] if out is None else out
    found = object_of(schemas, name, node)
    if not found or depth > 3:
        return out
    name, obj = found
    req = set(obj.get("required", []))
    for prop, sub in obj["properties"].items():
        _, rsub = resolve(schemas, name, sub)
        desc = rsub.get("description", "") if isinstance(rsub, dict) else ""
        out.append((prefix + prop, describe_type(schemas, name, sub), prop in req, desc))
        if depth < 3 and object_of(schemas, name, sub) and not (isinstance(sub, dict) and "$ref" in sub
                                                                 and sub["$ref"].startswith("common.target")):
            fields(schemas, name, sub, prefix + prop + ("[]." if rsub.get("type") == "array" else "."),
                   depth + 1, out)
    return out


def field_table(schemas, name):
    rows = fields(schemas, name, schemas[name])
    if not rows:
        return ["Body: `%s` (see the schema)." % name, ""]
    lines = ["| field | type | required | description |", "|---|---|---|---|"]
    for f, t, r, d in rows:
        lines.append("| `%s` | %s | %s | %s |" % (f, t.replace("|", "\\|") if "\\|" not in t else t,
                                                   "yes" if r else "", d.replace("\n", " ")))
    return lines + [""]


def markdown(schemas):
    ops = collect(schemas)
    out = ["# matchd API", "",
           "Generated by `scripts/openapi.py --markdown contracts/v1` from the JSON Schemas in "
           "`contracts/v1/`; do not edit by hand. The same schemas build `GET /v1/openapi.json`.", "",
           "Authentication: `Authorization: Bearer <key>` or `X-API-Key: <key>`; the talent matches "
           "family (`/v1/matches`) takes a JWT bearer token. Errors always use the envelope "
           "`{\"error\": {\"code\", \"message\", \"details\"}}` (`common.error.json`); validation "
           "failures list the offending fields in `details.fields` as `{\"field\", \"message\"}`.",
           "Lists are `{\"data\": [...], \"next_cursor\": string | null}` with `limit` at most 100.", ""]
    by_tag = {}
    for (path, method), op in ops.items():
        by_tag.setdefault(FAMILY_TAG[op["family"]], []).append((path, method, op))
    for tag in TAG_ORDER:
        if tag not in by_tag:
            continue
        out += ["## " + tag, ""]
        for path, method, op in sorted(by_tag[tag]):
            out += ["### `%s %s`" % (method, path), ""]
            if op["summary"]:
                out += [op["summary"] + ("." if not op["summary"].endswith(".") else ""), ""]
            if op["description"]:
                out += [op["description"], ""]
            auth = {"jwt": "JWT bearer", False: "none"}.get(op["auth"], "API key")
            out += ["Auth: %s." % auth, ""]
            if op["query"]:
                out += ["Query: " + ", ".join("`%s` (%s)" % (q["name"], q.get("description", ""))
                                              for q in op["query"]) + ".", ""]
            for ct, name in op["requests"]:
                out += ["Request (`%s`, schema `%s`):" % (ct, name), ""]
                out += field_table(schemas, name)
            for status, ct, name, summary in sorted(op["responses"]):
                out += ["Response %s (`%s`, schema `%s`)%s:" % (status, ct, name,
                                                               " — " + summary if summary else ""), ""]
                out += field_table(schemas, name)
            errs = op["errors"]
            if errs is None and op["auth"] is not False:
                errs = default_errors(path, method, bool(op["requests"]), op["query"], op["family"],
                                      schemas[op["requests"][0][1]] if op["requests"] else None)
            if errs:
                out += ["Errors: " + ", ".join(str(e) for e in errs) + " (`common.error.json`).", ""]
    out += ["## Components", ""]
    for name, s in schemas.items():
        if not annotations(s):
            out += ["### `%s` — %s" % (name, s.get("title", "")), ""]
            if s.get("description"):
                out += [s["description"], ""]
            out += field_table(schemas, name)
    out += ["## Other endpoints (not JSON)", ""]
    for method, path, tag, summary, _, _ in STATIC:
        out += ["- `%s %s` — %s." % (method, path, summary)]
    return "\n".join(out).rstrip() + "\n"


def main(argv):
    args = [a for a in argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.stderr.write(__doc__)
        return 2
    schemas = load(args[0])
    if "--markdown" in argv:
        sys.stdout.write(markdown(schemas))
    else:
        json.dump(build(schemas), sys.stdout, indent=1, sort_keys=False)
        sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
