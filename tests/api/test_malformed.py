"""The malformed-input matrix (issue 3 §2, §11): broken multipart, truncated bodies, huge headers,
wrong content types, invalid and deeply nested JSON, invalid UTF-8, NUL bytes, path traversal
in ids, unknown paths, wrong methods, bad query strings, malformed credentials, HTTP/1.0 and odd
request lines. Every request goes over a raw socket so the bytes are exactly what the case says.
Each must get a 4xx in the error envelope (never a 5xx); after the whole matrix the server still
answers /healthz and runs a real submission to success.
"""
import os
import re
import signal
import socket
import tempfile
import time

import pytest

import contract_check
from conftest import CV_PDF, Client, Server

with open(CV_PDF, "rb") as _f:
    PDF = _f.read()

SUBMIT = "/api/v1/cvdeepmatch/submit"
B = "matchdBoundary7MA4YWxkTrZu0gW"
UUID0 = "00000000-0000-7000-8000-000000000000"


# ---- the server and a raw HTTP client ----

@pytest.fixture(scope="module")
def srv():
    with tempfile.TemporaryDirectory(prefix="matchd-malformed-") as d:
        s = Server(d).start()
        s.workspace("mal", credits=1000)
        s.api_key = s.key("mal")
        yield s
        rc = s.stop() if s.alive() else None
        assert rc is not None, "the server died during the matrix:\n" + s.log()[-3000:]


class Resp:
    def __init__(self, raw):
        self.raw = raw
        head, _, self.body = raw.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        m = re.match(rb"HTTP/1\.[01] (\d{3})", lines[0])
        assert m, "not an HTTP response: %r" % raw[:200]
        self.status = int(m.group(1))
        self.headers = {}
        for ln in lines[1:]:
            k, _, v = ln.partition(b":")
            self.headers[k.decode("latin-1").strip().lower()] = v.decode("latin-1").strip()

    def json(self):
        import json
        return json.loads(self.body)


def send_raw(srv, data, timeout=10, half_close=False):
    """Sends bytes, reads until the server closes; returns the raw answer (maybe empty)."""
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=timeout)
    try:
        try:
            s.sendall(data)
            if half_close:
                s.shutdown(socket.SHUT_WR)
        except (BrokenPipeError, ConnectionResetError):
            pass  # answered early (413, 431 …): the answer is still to be read
        out = b""
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            except socket.timeout:
                break
            if not chunk:
                break
            out += chunk
            if _complete(out):
                break
        return out
    finally:
        s.close()


def _complete(out):
    head, sep, body = out.partition(b"\r\n\r\n")
    if not sep:
        return False
    m = re.search(rb"\r\ncontent-length:\s*(\d+)", head, re.I)
    return bool(m) and len(body) >= int(m.group(1))


def request(method, path, headers=(), body=b"", version="HTTP/1.1", host=True, length=True):
    """Builds raw request bytes; headers is a list of (name, value) (str or bytes)."""
    def b(x):
        return x if isinstance(x, bytes) else x.encode("latin-1")
    lines = [b(method) + b" " + b(path) + b" " + b(version)]
    if host:
        lines.append(b"Host: 127.0.0.1")
    lines.append(b"Connection: close")
    names = {b(k).lower() for k, _ in headers}
    for k, v in headers:
        lines.append(b(k) + b": " + b(v))
    if length and body and b"content-length" not in names and \
            b"transfer-encoding" not in names:
        lines.append(b"Content-Length: %d" % len(body))
    return b"\r\n".join(lines) + b"\r\n\r\n" + body


def part(name=None, data=b"", filename=None, ctype=None, extra=(), disposition=True):
    h = []
    if disposition:
        cd = b"Content-Disposition: form-data"
        if name is not None:
            cd += b'; name="' + (name if isinstance(name, bytes) else name.encode()) + b'"'
        if filename is not None:
            cd += b'; filename="' + (filename if isinstance(filename, bytes)
                                     else filename.encode()) + b'"'
        h.append(cd)
    if ctype:
        h.append(b"Content-Type: " + ctype.encode())
    h.extend(extra)
    return b"\r\n".join(h) + b"\r\n\r\n" + data


def multipart(parts, boundary=B, final=True):
    bb = boundary.encode() if isinstance(boundary, str) else boundary
    out = b""
    for p in parts:
        out += b"--" + bb + b"\r\n" + p + b"\r\n"
    if final:
        out += b"--" + bb + b"--\r\n"
    return out


def good_parts(jd=b"Senior Python engineer", req=None, cv=PDF, filename="cv.pdf",
               ctype="application/pdf", extra_parts=()):
    ps = [part("cv_file", cv, filename=filename, ctype=ctype), part("job_description", jd)]
    if req is not None:
        ps.append(part("requirements", req))
    return ps + list(extra_parts)


def AUTH(srv):
    return ("Authorization", "Bearer " + srv.api_key)


def mp_submit(srv, body, ctype="multipart/form-data; boundary=" + B, auth=True, extra=()):
    h = [("Content-Type", ctype)] + ([AUTH(srv)] if auth else []) + list(extra)
    return request("POST", SUBMIT, h, body)


def get(srv, path, auth=True, extra=()):
    return request("GET", path, ([AUTH(srv)] if auth else []) + list(extra))


# ---- the matrix: id -> (builder(srv) -> bytes, expected status, expected code or None) ----

def nested(depth):
    return ("[" * depth + "]" * depth).encode()


CASES = {
    # broken multipart
    "mp_no_boundary_param": (lambda s: mp_submit(s, multipart(good_parts()),
                                                 ctype="multipart/form-data"), 400,
                             "INVALID_INPUT"),
    "mp_empty_boundary": (lambda s: mp_submit(s, multipart(good_parts()),
                                              ctype='multipart/form-data; boundary=""'), 400,
                          "INVALID_INPUT"),
    "mp_boundary_illegal_chars": (lambda s: mp_submit(
        s, multipart(good_parts(), boundary="ab{}@<>x"),
        ctype="multipart/form-data; boundary=ab{}@<>x"), 400, "INVALID_INPUT"),
    "mp_boundary_too_long": (lambda s: mp_submit(
        s, multipart(good_parts(), boundary="b" * 71),
        ctype="multipart/form-data; boundary=" + "b" * 71), 400, "INVALID_INPUT"),
    "mp_boundary_mismatch": (lambda s: mp_submit(s, multipart(good_parts(), boundary="other")),
                             400, "INVALID_INPUT"),
    "mp_missing_final_boundary": (lambda s: mp_submit(s, multipart(good_parts(), final=False)),
                                  400, "INVALID_INPUT"),
    "mp_truncated_in_headers": (lambda s: mp_submit(
        s, b"--" + B.encode() + b"\r\n" + part("job_description", b"x") + b"\r\n--" +
        B.encode() + b"\r\nContent-Disposition: form-da"), 400, "INVALID_INPUT"),
    "mp_truncated_in_data": (lambda s: mp_submit(
        s, multipart(good_parts())[:len(PDF) // 2]), 400, "INVALID_INPUT"),
    "mp_part_without_disposition": (lambda s: mp_submit(
        s, multipart(good_parts() + [part(data=b"x", disposition=False, ctype="text/plain")])),
        400, "INVALID_INPUT"),
    "mp_part_without_name": (lambda s: mp_submit(
        s, multipart([part(None, PDF, filename="cv.pdf", ctype="application/pdf"),
                      part("job_description", b"x")])), 400, "INVALID_INPUT"),
    "mp_disposition_not_form_data": (lambda s: mp_submit(
        s, multipart([b'Content-Disposition: attachment; name="job_description"\r\n\r\nx'])),
        400, "INVALID_INPUT"),
    "mp_17_parts": (lambda s: mp_submit(
        s, multipart(good_parts() + [part("f%d" % i, b"v") for i in range(15)])), 400,
        "INVALID_INPUT"),
    "mp_200_parts": (lambda s: mp_submit(
        s, multipart([part("f%d" % i, b"v") for i in range(200)])), 400, "INVALID_INPUT"),
    "mp_part_header_over_8k": (lambda s: mp_submit(
        s, multipart(good_parts() + [part("x", b"v", extra=[b"X-Pad: " + b"a" * 9000])])), 400,
        "INVALID_INPUT"),
    "mp_header_line_without_colon": (lambda s: mp_submit(
        s, multipart(good_parts()[:1] + [b"garbage between boundaries\r\n\r\nxyz"])), 400,
        "INVALID_INPUT"),
    "mp_junk_after_boundary_line": (lambda s: mp_submit(
        s, b"--" + B.encode() + b" junk\r\n" + part("job_description", b"x") + b"\r\n--" +
        B.encode() + b"--\r\n"), 400, "INVALID_INPUT"),
    "mp_only_final_boundary": (lambda s: mp_submit(s, b"--" + B.encode() + b"--\r\n"), 400,
                               "INVALID_INPUT"),
    "mp_empty_body": (lambda s: request("POST", SUBMIT, [
        ("Content-Type", "multipart/form-data; boundary=" + B), AUTH(s),
        ("Content-Length", "0")]), 400, "INVALID_INPUT"),
    "mp_no_parts_only_garbage": (lambda s: mp_submit(s, b"this is not multipart at all"), 400,
                                 "INVALID_INPUT"),
    "mp_unterminated_quoted_name": (lambda s: mp_submit(
        s, multipart([b'Content-Disposition: form-data; name="job_description\r\n\r\nx'])), 400,
        "INVALID_INPUT"),
    "mp_duplicate_field": (lambda s: mp_submit(
        s, multipart(good_parts() + [part("job_description", b"again")])), 400,
        "INVALID_INPUT"),
    "mp_unknown_field": (lambda s: mp_submit(
        s, multipart(good_parts() + [part("surprise", b"x")])), 400, "INVALID_INPUT"),
    "mp_duplicate_content_disposition": (lambda s: mp_submit(
        s, multipart(good_parts() + [part("requirements", b"{}", extra=[
            b'Content-Disposition: form-data; name="webhook_url"'])])), 400, "INVALID_INPUT"),
    "mp_field_name_too_long": (lambda s: mp_submit(
        s, multipart(good_parts() + [part("n" * 300, b"x")])), 400, "INVALID_INPUT"),
    # the form's fields
    "cv_missing": (lambda s: mp_submit(s, multipart([part("job_description", b"x")])), 400,
                   "INVALID_INPUT"),
    "cv_not_a_file": (lambda s: mp_submit(
        s, multipart([part("cv_file", PDF), part("job_description", b"x")])), 400,
        "INVALID_INPUT"),
    "cv_docx": (lambda s: mp_submit(s, multipart(good_parts(
        filename="cv.docx",
        ctype="application/vnd.openxmlformats-officedocument.wordprocessingml.document"))), 400,
        "INVALID_INPUT"),
    "cv_pdf_name_wrong_type": (lambda s: mp_submit(
        s, multipart(good_parts(ctype="text/plain"))), 400, "INVALID_INPUT"),
    "cv_not_pdf_bytes": (lambda s: mp_submit(s, multipart(good_parts(cv=b"PK\x03\x04zipzip"))),
                         400, "INVALID_FILE_CONTENT"),
    "cv_empty_file": (lambda s: mp_submit(s, multipart(good_parts(cv=b""))), 400,
                      "INVALID_INPUT"),
    "cv_filename_invalid_utf8": (lambda s: mp_submit(
        s, multipart(good_parts(filename=b"\xff\xfe\xc3(.pdf"))), 400, "INVALID_INPUT"),
    "cv_filename_nul": (lambda s: mp_submit(
        s, multipart(good_parts(filename=b"cv\x00.pdf"))), 400, "INVALID_INPUT"),
    "cv_filename_control_chars": (lambda s: mp_submit(
        s, multipart(good_parts(filename=b"c\x01v.pdf"))), 400, "INVALID_INPUT"),
    "jd_missing": (lambda s: mp_submit(
        s, multipart([part("cv_file", PDF, filename="cv.pdf", ctype="application/pdf")])), 400,
        "INVALID_INPUT"),
    "jd_invalid_utf8": (lambda s: mp_submit(s, multipart(good_parts(jd=b"Python \xc3\x28 \xff"))),
                        400, "INVALID_INPUT"),
    "jd_overlong_utf8": (lambda s: mp_submit(s, multipart(good_parts(jd=b"a\xc0\xafb"))), 400,
                         "INVALID_INPUT"),
    "jd_nul_byte": (lambda s: mp_submit(s, multipart(good_parts(jd=b"Python\x00engineer"))), 400,
                    "INVALID_INPUT"),
    "jd_blank": (lambda s: mp_submit(s, multipart(good_parts(jd=b"  \r\n\t "))), 400,
                 "INVALID_INPUT"),
    "jd_too_long": (lambda s: mp_submit(s, multipart(good_parts(jd=b"a" * 100001))), 400,
                    "INVALID_INPUT"),
    "req_invalid_json": (lambda s: mp_submit(s, multipart(good_parts(req=b'{"skills": [}'))),
                         400, "INVALID_INPUT"),
    "req_truncated_json": (lambda s: mp_submit(s, multipart(good_parts(req=b'{"skills": {'))),
                           400, "INVALID_INPUT"),
    "req_nested_10000": (lambda s: mp_submit(s, multipart(good_parts(req=nested(10000)))), 400,
                         "INVALID_INPUT"),
    "req_nested_objects_5000": (lambda s: mp_submit(s, multipart(good_parts(
        req=b'{"a":' * 5000 + b"1" + b"}" * 5000))), 400, "INVALID_INPUT"),
    "req_not_object": (lambda s: mp_submit(s, multipart(good_parts(req=b"[1,2,3]"))), 400,
                       "INVALID_INPUT"),
    "req_schema_violation": (lambda s: mp_submit(s, multipart(good_parts(
        req=b'{"skills":{"must_have":[{"name":"Go","min_years":-1}]}}'))), 400,
        "INVALID_INPUT"),
    "req_duplicate_keys": (lambda s: mp_submit(s, multipart(good_parts(
        req=b'{"experience":{"min_years":1},"experience":{"min_years":2}}'))), 400,
        "INVALID_INPUT"),
    "req_invalid_utf8": (lambda s: mp_submit(s, multipart(good_parts(
        req=b'{"skills":{"must_have":["Py\xfethon"]}}'))), 400, "INVALID_INPUT"),
    "req_nul_byte": (lambda s: mp_submit(s, multipart(good_parts(
        req=b'{"skills":{"must_have":["Py\x00"]}}'))), 400, "INVALID_INPUT"),
    "req_too_large": (lambda s: mp_submit(s, multipart(good_parts(
        req=b'{"certifications":["' + b"a" * 70000 + b'"]}'))), 400, "INVALID_INPUT"),
    "webhook_not_a_url": (lambda s: mp_submit(s, multipart(good_parts(
        extra_parts=[part("webhook_url", b"not a url")]))), 400, None),
    "webhook_ftp": (lambda s: mp_submit(s, multipart(good_parts(
        extra_parts=[part("webhook_url", b"ftp://example.com/x")]))), 400, None),
    "idem_key_too_long": (lambda s: mp_submit(s, multipart(good_parts(
        extra_parts=[part("idempotency_key", b"k" * 256)]))), 400, "INVALID_INPUT"),
    # wrong content types
    "ct_text_plain_to_submit": (lambda s: mp_submit(s, b"hello", ctype="text/plain"), 400,
                                "INVALID_INPUT"),
    "ct_json_to_submit": (lambda s: mp_submit(
        s, b'{"cv_file":"x","job_description":"y"}', ctype="application/json"), 400,
        "INVALID_INPUT"),
    "ct_urlencoded_to_submit": (lambda s: mp_submit(
        s, b"job_description=x", ctype="application/x-www-form-urlencoded"), 400,
        "INVALID_INPUT"),
    "ct_missing_on_submit": (lambda s: request("POST", SUBMIT, [AUTH(s)], b"abc"), 400,
                             "INVALID_INPUT"),
    "ct_multipart_mixed": (lambda s: mp_submit(s, multipart(good_parts()),
                                               ctype="multipart/mixed; boundary=" + B), 400,
                           "INVALID_INPUT"),
    # body sizes and Content-Length
    "cv_over_5mb": (lambda s: mp_submit(s, multipart(good_parts(
        cv=b"%PDF-1.4\n" + b"0" * 5200000))), 400, "INVALID_INPUT"),
    "cl_huge_submit": (lambda s: request("POST", SUBMIT, [
        ("Content-Type", "multipart/form-data; boundary=" + B), AUTH(s),
        ("Content-Length", "99999999999")], b"x"), 413, "PAYLOAD_TOO_LARGE"),
    "cl_over_route_limit_submit": (lambda s: request("POST", SUBMIT, [
        ("Content-Type", "multipart/form-data; boundary=" + B), AUTH(s),
        ("Content-Length", "6000001")], b"x" * 6000001), 413, "PAYLOAD_TOO_LARGE"),
    "cl_over_route_limit_rotate": (lambda s: request("POST", "/v1/webhooks/secret/rotate", [
        AUTH(s), ("Content-Type", "application/json")], b"{" + b" " * 2000 + b"}"), 413,
        "payload_too_large"),
    "cl_over_limit_redeliver": (lambda s: request(
        "POST", "/v1/webhooks/deliveries/%s/redeliver" % UUID0,
        [AUTH(s), ("Content-Type", "application/json")], b"[" + b"0," * 5000 + b"0]"), 413,
        "payload_too_large"),
    "chunked_over_limit_rotate": (lambda s: request("POST", "/v1/webhooks/secret/rotate", [
        AUTH(s), ("Transfer-Encoding", "chunked")],
        b"800\r\n" + b"a" * 2048 + b"\r\n0\r\n\r\n"), 413, "payload_too_large"),
    # headers
    "header_20k_single": (lambda s: get(s, "/v1/jobs", extra=[("X-Big", "a" * 20 * 1024)]), 431,
                          "headers_too_large"),
    "header_20k_single_cv": (lambda s: get(s, "/api/v1/cvdeepmatch/" + UUID0,
                                           extra=[("X-Big", "a" * 20 * 1024)]), 431,
                             "HEADERS_TOO_LARGE"),
    "headers_200_x_100b": (lambda s: get(s, "/v1/jobs", extra=[
        ("X-H%d" % i, "v" * 100) for i in range(200)]), 431, "headers_too_large"),
    # credentials
    "auth_bearer_no_token": (lambda s: request("GET", "/v1/jobs", [("Authorization", "Bearer")]),
                             401, "unauthorized"),
    "auth_bearer_blank_token": (lambda s: request("GET", "/v1/jobs", [
        ("Authorization", "Bearer    ")]), 401, "unauthorized"),
    "auth_bearer_10k_token": (lambda s: request("GET", "/v1/jobs", [
        ("Authorization", "Bearer " + "k" * 10240)]), 401, "unauthorized"),
    "auth_token_control_chars": (lambda s: request("GET", "/v1/jobs", [
        ("Authorization", b"Bearer ab\x01\x02\x7fcd")]), 401, "unauthorized"),
    "auth_token_high_bytes": (lambda s: request("GET", "/v1/jobs", [
        ("Authorization", b"Bearer \xff\xfe\xfd")]), 401, "unauthorized"),
    "auth_basic_scheme": (lambda s: request("GET", "/v1/jobs", [
        ("Authorization", "Basic dXNlcjpwYXNz")]), 401, "unauthorized"),
    "auth_wrong_key": (lambda s: request("GET", "/v1/jobs", [
        ("Authorization", "Bearer mk_" + "0" * 43)]), 401, "unauthorized"),
    "auth_empty_x_api_key": (lambda s: request("GET", "/v1/jobs", [("X-API-Key", "")]), 401,
                             "unauthorized"),
    "auth_missing_on_cv": (lambda s: get(s, "/api/v1/cvdeepmatch/" + UUID0, auth=False), 401,
                           "UNAUTHORIZED"),
    "auth_missing_on_submit": (lambda s: mp_submit(s, multipart(good_parts()), auth=False), 401,
                               "UNAUTHORIZED"),
    # ids and path traversal
    "id_encoded_traversal": (lambda s: get(s, "/v1/jobs/..%2F..%2Fetc%2Fpasswd"), 404,
                             "not_found"),
    "id_raw_traversal": (lambda s: get(s, "/v1/jobs/../../etc/passwd"), 404, "not_found"),
    "id_traversal_cv": (lambda s: get(s, "/api/v1/cvdeepmatch/..%2F..%2F..%2Fetc%2Fshadow"), 404,
                        "NOT_FOUND"),
    "id_encoded_nul_cv": (lambda s: get(s, "/api/v1/cvdeepmatch/%00"), 404, "NOT_FOUND"),
    "id_encoded_nul_then_uuid": (lambda s: get(s, "/v1/jobs/%00" + UUID0), 404, "not_found"),
    "id_with_spaces": (lambda s: get(s, "/v1/jobs/a%20b%20c"), 404, "not_found"),
    "id_5000_chars": (lambda s: get(s, "/v1/jobs/" + "a" * 5000), 404, "not_found"),
    "id_5000_chars_cv": (lambda s: get(s, "/api/v1/cvdeepmatch/" + "7" * 5000), 404,
                         "NOT_FOUND"),
    "id_not_uuid": (lambda s: get(s, "/v1/jobs/not-a-uuid"), 404, "not_found"),
    "id_not_uuid_cv": (lambda s: get(s, "/api/v1/cvdeepmatch/12345"), 404, "NOT_FOUND"),
    "id_uuid_with_junk": (lambda s: get(s, "/v1/jobs/" + UUID0 + "x"), 404, "not_found"),
    "id_unknown_uuid": (lambda s: get(s, "/v1/jobs/" + UUID0), 404, "not_found"),
    "id_not_uuid_events": (lambda s: get(s, "/v1/jobs/%3Cscript%3E/events"), 404, "not_found"),
    "id_not_uuid_cancel": (lambda s: request("POST", "/v1/jobs/..%2F/cancel", [AUTH(s)]), 404,
                           "not_found"),
    "id_not_uuid_redeliver": (lambda s: request(
        "POST", "/v1/webhooks/deliveries/' OR 1=1 --/redeliver".replace(" ", "%20"),
        [AUTH(s)]), 404, "not_found"),
    "id_empty_cv": (lambda s: get(s, "/api/v1/cvdeepmatch/"), 404, "NOT_FOUND"),
    # unknown paths, wrong methods
    "path_unknown": (lambda s: get(s, "/nope"), 404, "not_found"),
    "path_unknown_deep": (lambda s: get(s, "/api/v1/cvdeepmatch/a/b/c"), 404, "NOT_FOUND"),
    "path_double_slash": (lambda s: get(s, "//v1//jobs"), 404, "not_found"),
    "path_8k": (lambda s: get(s, "/" + "x" * 8000), 404, "not_found"),
    "method_delete_jobs": (lambda s: request("DELETE", "/v1/jobs", [AUTH(s)]), 405,
                           "method_not_allowed"),
    "method_put_submit": (lambda s: request("PUT", SUBMIT, [AUTH(s)]), 405,
                          "METHOD_NOT_ALLOWED"),
    "method_post_healthz": (lambda s: request("POST", "/healthz", [], b"x"), 405,
                            "method_not_allowed"),
    "method_patch_secret": (lambda s: request("PATCH", "/v1/webhooks/secret", [AUTH(s)]), 405,
                            "method_not_allowed"),
    "method_lowercase_get": (lambda s: request("get", "/healthz"), 405, "method_not_allowed"),
    "method_absurd": (lambda s: request("FROBNICATE" * 20, "/v1/jobs", [AUTH(s)]), 405,
                      "method_not_allowed"),
    # query strings
    "query_limit_bad_escape": (lambda s: get(s, "/v1/jobs?limit=%zz"), 400, "validation_error"),
    "query_limit_zero": (lambda s: get(s, "/v1/jobs?limit=0"), 400, "validation_error"),
    "query_limit_101": (lambda s: get(s, "/v1/jobs?limit=101"), 400, "validation_error"),
    "query_limit_abc": (lambda s: get(s, "/v1/jobs?limit=abc"), 400, "validation_error"),
    "query_limit_negative": (lambda s: get(s, "/v1/jobs?limit=-5"), 400, "validation_error"),
    "query_limit_huge": (lambda s: get(s, "/v1/jobs?limit=99999999999999999999999"), 400,
                         "validation_error"),
    "query_cursor_not_uuid": (lambda s: get(s, "/v1/jobs?cursor=not-a-uuid"), 400,
                              "validation_error"),
    "query_status_bogus": (lambda s: get(s, "/v1/jobs?status=bogus"), 400, "validation_error"),
    "query_kind_long": (lambda s: get(s, "/v1/jobs?kind=" + "k" * 300), 400,
                        "validation_error"),
    "query_deliveries_bad_job": (lambda s: get(s, "/v1/webhooks/deliveries?jobId=%zz"), 400,
                                 "validation_error"),
    # HTTP/1.0 and odd request lines
    "http10_unknown_path": (lambda s: get(s, "/nope", extra=[]).replace(b"HTTP/1.1", b"HTTP/1.0",
                                                                        1), 404, "not_found"),
    "http10_no_host_no_auth": (lambda s: request("GET", "/v1/jobs", version="HTTP/1.0",
                                                 host=False), 401, "unauthorized"),
    "http10_submit_no_boundary": (lambda s: request(
        "POST", SUBMIT, [AUTH(s), ("Content-Type", "multipart/form-data")], b"abc",
        version="HTTP/1.0"), 400, "INVALID_INPUT"),
}


def check_envelope(r, path, expect_code):
    assert r.headers.get("content-type", "").startswith("application/json"), r.raw[:500]
    assert r.headers.get("x-request-id"), "every response carries X-Request-Id"
    body = r.json()
    contract_check.validate("common.error.json", body)
    err = body["error"]
    assert set(err) >= {"code", "message", "details"}
    if path.startswith("/api/v1/cvdeepmatch"):
        assert re.fullmatch(r"[A-Z][A-Z_]*", err["code"]), err
    else:
        assert re.fullmatch(r"[a-z][a-z_]*", err["code"]), err
    if expect_code:
        assert err["code"] == expect_code, err
    return err


def path_of(raw):
    return raw.split(b" ", 2)[1].decode("latin-1")


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed(srv, case):
    build, status, code = CASES[case]
    raw = build(srv)
    out = send_raw(srv, raw)
    assert out, "no answer (server hung or crashed): " + case
    r = Resp(out)
    assert r.status < 500, (r.status, r.body[:300])
    if isinstance(status, tuple):
        assert r.status in status, (r.status, r.body[:300])
    else:
        assert r.status == status, (r.status, r.body[:300])
    check_envelope(r, path_of(raw), code)
    if r.status == 405:
        assert r.headers.get("allow"), "405 names the allowed methods"
    assert srv.alive()


def test_405_allow_header_lists_methods(srv):
    r = Resp(send_raw(srv, request("DELETE", "/v1/jobs", [AUTH(srv)])))
    assert r.status == 405
    assert "GET" in r.headers["allow"]
    r = Resp(send_raw(srv, request("GET", SUBMIT, [AUTH(srv)])))
    # The static segment "submit" wins over ":id": GET on it is a 405 that allows POST.
    assert r.status == 405 and "POST" in r.headers["allow"]
    check_envelope(r, SUBMIT, "METHOD_NOT_ALLOWED")
    r = Resp(send_raw(srv, request("PUT", SUBMIT, [AUTH(srv)])))
    assert r.status == 405 and "POST" in r.headers["allow"]


# ---- what libmicrohttpd answers itself (no envelope possible): status only ----

MHD_CASES = {
    # A header block over the 64 KiB connection buffer never reaches our handler.
    "header_block_over_64k": (lambda s: get(s, "/v1/jobs", extra=[
        ("X-P%d" % i, "v" * 1000) for i in range(80)]), (413, 431, 400)),
    # RFC 9112 wants a 400 without Host; libmicrohttpd is lenient by default and serves it.
    "no_host_http11": (lambda s: request("GET", "/healthz", host=False), (400, 200)),
    "request_line_garbage": (lambda s: b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
                             (400, 501, 505)),
    "request_line_space_in_target": (lambda s: request("GET", "/v1/jobs/a b", [AUTH(s)]),
                                     (400, 404, 505)),
    "request_line_method_with_separators": (lambda s: request("GE(T)", "/healthz"),
                                            (400, 405, 501)),
    # libmicrohttpd checks Content-Length itself (an HTML 400, before our handler runs).
    "cl_not_a_number": (lambda s: request("POST", SUBMIT, [
        ("Content-Type", "multipart/form-data; boundary=" + B), AUTH(s),
        ("Content-Length", "abc")], b"x"), (400,)),
    "cl_negative": (lambda s: request("POST", SUBMIT, [AUTH(s), ("Content-Length", "-1")], b"x"),
                    (400, 413)),
    "content_length_twice": (lambda s: request("POST", SUBMIT, [
        AUTH(s), ("Content-Length", "3"), ("Content-Length", "5")], b"abc"), (400, 413)),
    "chunked_bad_size": (lambda s: request("POST", SUBMIT, [
        AUTH(s), ("Content-Type", "multipart/form-data; boundary=" + B),
        ("Transfer-Encoding", "chunked")], b"zz\r\nabc\r\n0\r\n\r\n"), (400,)),
    "header_without_colon": (lambda s: b"GET /healthz HTTP/1.1\r\nHost: x\r\nNoColonHere\r\n"
                                       b"Connection: close\r\n\r\n", (400,)),
    "nul_in_header_value": (lambda s: request("GET", "/v1/jobs", [
        AUTH(s), ("X-Thing", b"a\x00b")]), (400, 200)),
    # libmicrohttpd ends the path at the NUL: this is GET /v1/jobs, no traversal.
    "nul_in_path": (lambda s: request("GET", b"/v1/jobs\x00/../healthz", [AUTH(s)]),
                    (400, 404, 200)),
    "http_version_unknown": (lambda s: request("GET", "/healthz", version="HTTP/3.7"),
                             (400, 505)),
}


@pytest.mark.parametrize("case", sorted(MHD_CASES))
def test_mhd_level(srv, case):
    build, statuses = MHD_CASES[case]
    raw = build(srv)
    out = send_raw(srv, raw)
    if out:
        r = Resp(out)
        print("%s -> %d %r" % (case, r.status, r.body[:120]))
        assert r.status in statuses, (r.status, r.body[:300])
        if r.status >= 400 and r.headers.get("content-type", "").startswith("application/json"):
            contract_check.validate("common.error.json", r.json())
    assert srv.alive()


# ---- positives that must keep working: valid but unusual encodings ----

def _submit_ok(srv, raw):
    r = Resp(send_raw(srv, raw, timeout=20))
    assert r.status == 202, (r.status, r.body[:500])
    return r.json()["id"]


def test_odd_but_valid_header_casing_works(srv):
    body = (b"--" + B.encode() + b"\r\n"
            b'content-disposition: FORM-DATA; NAME="cv_file"; FILENAME="CV.PDF"\r\n'
            b"CONTENT-TYPE: Application/PDF\r\n\r\n" + PDF + b"\r\n"
            b"--" + B.encode() + b"\r\n"
            b'cOnTeNt-DiSpOsItIoN: form-data; name=job_description\r\n\r\n'
            b"Python engineer\r\n"
            b"--" + B.encode() + b"--\r\n")
    raw = request("post".upper(), SUBMIT, [
        ("content-type", "Multipart/Form-Data; BOUNDARY=" + B),
        ("authorization", "bearer " + srv.api_key), ("content-length", str(len(body)))], body)
    _submit_ok(srv, raw)


def test_quoted_boundary_with_preamble_and_epilogue_works(srv):
    bd = "quoted boundary'()+_,-./:=?"
    body = b"preamble to ignore\r\n" + multipart(good_parts(), boundary=bd) + b"epilogue"
    _submit_ok(srv, mp_submit(srv, body, ctype='multipart/form-data; boundary="%s"' % bd))


def test_chunked_multipart_works(srv):
    body = multipart(good_parts())
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 7000]), body[i:i + 7000])
                      for i in range(0, len(body), 7000)) + b"0\r\n\r\n"
    raw = request("POST", SUBMIT, [("Content-Type", "multipart/form-data; boundary=" + B),
                                   AUTH(srv), ("Transfer-Encoding", "chunked")], chunks)
    _submit_ok(srv, raw)


def test_200_small_headers_work(srv):
    r = Resp(send_raw(srv, get(srv, "/v1/jobs?limit=1",
                               extra=[("X-H%d" % i, "v%d" % i) for i in range(200)])))
    assert r.status == 200, r.body[:300]


def test_http10_healthz_works(srv):
    r = Resp(send_raw(srv, request("GET", "/healthz", version="HTTP/1.0", host=False)))
    assert r.status == 200


def test_boundary_split_across_reads(srv):
    """The body trickles in small writes, boundaries cut anywhere; the parser must cope."""
    body = multipart(good_parts(cv=PDF[:20000] + PDF[-2000:]))
    raw = mp_submit(srv, body)
    s = socket.create_connection(("127.0.0.1", srv.port), timeout=10)
    try:
        head, _, rest = raw.partition(b"\r\n\r\n")
        s.sendall(head + b"\r\n\r\n")
        # Cut right inside every delimiter, then the rest in odd-sized pieces.
        cuts = sorted({m.start() + k for m in re.finditer(re.escape(B.encode()), rest)
                       for k in (1, 5)})
        pos = 0
        for c in cuts + [len(rest)]:
            s.sendall(rest[pos:c])
            time.sleep(0.01)
            pos = c
        out = b""
        while not _complete(out):
            chunk = s.recv(65536)
            if not chunk:
                break
            out += chunk
    finally:
        s.close()
    r = Resp(out)
    # A PDF cut in the middle still starts with %PDF-: accepted (it may fail later as a job).
    assert r.status == 202, r.body[:500]


# ---- truncated bodies: the server must neither hang nor crash ----

def test_truncated_bodies_do_not_hurt(srv):
    socks = []
    try:
        for path, cl in ((SUBMIT, 500000), (SUBMIT, 6000000), ("/v1/webhooks/secret/rotate", 900),
                         ("/v1/jobs/%s/cancel" % UUID0, 100)):
            for close in (True, False):
                s = socket.create_connection(("127.0.0.1", srv.port), timeout=5)
                hdr = ("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                       "Content-Type: multipart/form-data; boundary=%s\r\n"
                       "Content-Length: %d\r\n\r\n" % (path, srv.api_key, B, cl)).encode()
                s.sendall(hdr + multipart(good_parts())[:min(cl - 1, 50000)])
                if close:
                    s.close()
                else:
                    socks.append(s)  # left open, half-sent: the idle timeout's business
        # Meanwhile, and afterwards, the server serves others promptly.
        t = time.time()
        r = Resp(send_raw(srv, request("GET", "/healthz"), timeout=5))
        assert r.status == 200 and time.time() - t < 3
    finally:
        for s in socks:
            s.close()
    r = Resp(send_raw(srv, request("GET", "/healthz"), timeout=5))
    assert r.status == 200
    assert srv.alive()


# ---- last: the server is still fine after the whole matrix ----

def test_zz_server_survives_the_matrix(srv):
    assert srv.alive()
    c = Client(srv, srv.api_key)
    assert c.get("/healthz").status_code == 200
    assert c.get("/readyz").status_code == 200
    r = c.submit_cv(requirements={"skills": {"must_have": ["Python"]}}, expect=202)
    job = c.wait_job(r.json()["id"], timeout=60)
    assert job["status"] == "succeeded", job
    assert "panic" not in srv.log().lower()
