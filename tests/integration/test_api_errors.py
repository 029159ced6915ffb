"""Bad input over the real stack: malformed JSON, non-object bodies, invalid UTF-8, wrong or missing
Content-Type, oversized bodies, malformed ids, unknown routes and methods, malformed and unknown
query parameters. Each gets its specific JSON error, writes nothing, and never crashes a worker."""
import json
import time
import unittest

from api_client import ApiCase, allowed_methods, raw_exchange, tls_socket

LIMIT = 1048576  # JSON bodies: 1 MiB

MALFORMED_JSON = [
    b"{", b'{"name":', b'{"name":"x"', b'{"name":"x",}', b'{name:"x"}', b"{'name':'x'}",
    b'{"name":"x"} trailing', b'{"name":"x"}{}', b'{"name":"x"', b'{"name":"\\x"}',
    b'{"name":"\\ud800"}', b'{"name":NaN}', b'{"name":Infinity}', b'{"name":undefined}',
    b'{"name":"a\x01b"}', b'{"name":01}', b'{"name":"x"]', b'{"name":"x" "owner":"y"}',
    b'{"name":"\xff\xfe"}', b'{"name":"\xc0\xaf"}', b'{"name":"\xed\xa0\x80"}',
    b'{"name":"\xe2\x82"}', b"\xff", b"", b" ", b"\n", b"/* */{}", b'{"name":"x"}\x00',
]
NOT_AN_OBJECT = [b"null", b"[]", b'"x"', b"1", b"true", b'[{"name":"x"}]', b"1.5", b"  [ ]  "]


class BadBodies(ApiCase):
    def mutation_paths(self):
        sub = self.subcomponent()
        return [
            ("POST", "/api/projects"),
            ("PATCH", f"/api/projects/{self.project()['id']}"),
            ("POST", "/api/solutions"),
            ("PATCH", f"/api/solutions/{sub['solution_id']}"),
            ("PUT", f"/api/solutions/{sub['solution_id']}/phases/build"),
            ("POST", "/api/subcomponents"),
            ("PATCH", f"/api/subcomponents/{sub['id']}"),
            ("PUT", f"/api/subcomponents/{sub['id']}/checklist"),
        ]

    def test_malformed_json_is_400_bad_json(self):
        paths = self.mutation_paths()
        before = self.revisions()
        for method, path in paths:
            for body in MALFORMED_JSON:
                with self.subTest(method=method, path=path, body=body):
                    self.assertError(self.req(method, path, body=body,
                                              content_type="application/json"), 400, "bad_json")
        self.assertEqual(self.revisions(), before)

    def test_a_body_that_is_not_an_object_is_400_bad_json(self):
        paths = self.mutation_paths()
        before = self.revisions()
        for method, path in paths:
            for body in NOT_AN_OBJECT:
                with self.subTest(method=method, path=path, body=body):
                    self.assertError(self.req(method, path, body=body,
                                              content_type="application/json"), 400, "bad_json")
        self.assertEqual(self.revisions(), before)

    def test_truncated_body_is_never_passed_on(self):
        # The client announces more bytes than it sends, then hangs up: nginx buffers request
        # bodies, so the application never sees the partial one, and nothing is written.
        before = self.revisions()
        request = (b"POST /api/projects HTTP/1.1\r\nHost: localhost\r\n"
                   b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n"
                   b'{"name":"truncated"}')
        with tls_socket(self.stack.port) as s:
            s.sendall(request)
        time.sleep(0.3)
        self.assertEqual(self.revisions(), before)
        self.assertNotIn("truncated", [p["name"] for p in self.ok("GET", "/api/projects")["items"]])

    def test_deeply_nested_json_is_refused_without_a_crash(self):
        for depth in (1000, 100000):
            body = b'{"name":"deep","description":' + b"[" * depth + b"]" * depth + b"}"
            r = self.req("POST", "/api/projects", body=body, content_type="application/json")
            with self.subTest(depth=depth):
                self.assertIn(r.status, (400, 422), repr(r))
                self.assertError(r, r.status)
            body = b'{"name":"deep","description":' + b'{"a":' * depth + b"1" + b"}" * depth + b"}"
            r = self.req("POST", "/api/projects", body=body, content_type="application/json")
            with self.subTest(depth=depth, kind="objects"):
                self.assertIn(r.status, (400, 422), repr(r))
        self.ok("GET", "/api/projects")

    def test_huge_numbers_are_invalid_fields_not_crashes(self):
        before = self.revisions()
        for number in (b"1e400", b"-1e400", b"18446744073709551616", b"9223372036854775808",
                       b"-9223372036854775809", b"1" * 500, b"0.0000001", b"-0"):
            with self.subTest(number=number):
                r = self.req("POST", "/api/solutions",
                             body=b'{"name":"n","project_id":' + number + b"}",
                             content_type="application/json")
                self.assertIn(r.status, (400, 422), repr(r))
                self.assertError(r, r.status)
                if r.status == 422:
                    self.assertEqual(set(r.json()["error"]["details"]), {"project_id"})
        self.assertEqual(self.revisions(), before)


class MediaType(ApiCase):
    def test_wrong_or_missing_content_type_is_415(self):
        p = self.project()
        s = self.solution(p["id"])
        sub = self.subcomponent(s["id"])
        before = self.revisions()
        cases = [
            ("POST", "/api/projects", '{"name":"x"}'),
            ("PATCH", f"/api/projects/{p['id']}", '{"name":"x"}'),
            ("POST", "/api/solutions", json.dumps({"name": "x", "project_id": p["id"]})),
            ("PATCH", f"/api/solutions/{s['id']}", '{"name":"x"}'),
            ("PUT", f"/api/solutions/{s['id']}/phases/test", '{"enabled":false}'),
            ("POST", "/api/subcomponents", json.dumps({"name": "x", "solution_id": s["id"]})),
            ("PATCH", f"/api/subcomponents/{sub['id']}", '{"name":"x"}'),
            ("PUT", f"/api/subcomponents/{sub['id']}/checklist", '{"items":[]}'),
        ]
        for method, path, body in cases:
            for ctype in (None, "text/plain", "application/x-www-form-urlencoded",
                          "multipart/form-data; boundary=x", "text/csv", "application/jsonx",
                          "application/xml", "json", "text/json", "application/json-seq", ""):
                with self.subTest(method=method, path=path, content_type=ctype):
                    headers = {} if ctype is None else {"Content-Type": ctype}
                    self.assertError(self.req(method, path, body=body, headers=headers), 415,
                                     "unsupported_media_type")
            with self.subTest(method=method, path=path, body="none"):
                self.assertError(self.req(method, path), 415, "unsupported_media_type")
        self.assertEqual(self.revisions(), before)

    def test_delete_needs_no_content_type(self):
        p = self.project()
        self.assertEqual(self.req("DELETE", f"/api/projects/{p['id']}").status, 204)


class BodySize(ApiCase):
    def padded(self, total, field="description"):
        """A JSON object body of exactly `total` bytes: a valid project whose `field` is long."""
        head = b'{"name":"big","' + field.encode() + b'":"'
        tail = b'"}'
        return head + b"d" * (total - len(head) - len(tail)) + tail

    def test_body_at_the_limit_reaches_validation(self):
        body = self.padded(LIMIT)
        self.assertEqual(len(body), LIMIT)
        self.assertInvalid(self.req("POST", "/api/projects", body=body,
                                    content_type="application/json"), "description")

    def test_body_over_the_limit_is_413(self):
        p = self.project()
        before = self.revisions()
        for method, path in (("POST", "/api/projects"), ("PATCH", f"/api/projects/{p['id']}")):
            for size in (LIMIT + 1, 2 * LIMIT, 8 * LIMIT):
                with self.subTest(method=method, size=size):
                    body = self.padded(size)
                    request = (f"{method} {path} HTTP/1.1\r\nHost: localhost\r\n"
                               f"Connection: close\r\nContent-Type: application/json\r\n"
                               f"Content-Length: {len(body)}\r\n\r\n").encode() + body
                    r = raw_exchange(self.stack.port, request)
                    self.assertIsNotNone(r, "no answer to an oversized body")
                    self.assertError(r, 413, "payload_too_large")
        self.assertEqual(self.revisions(), before)

    def test_chunked_body_over_the_limit_is_413(self):
        before = self.revisions()
        body = self.padded(LIMIT + 10)
        chunks = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 65536]), body[i:i + 65536])
                          for i in range(0, len(body), 65536)) + b"0\r\n\r\n"
        request = (b"POST /api/projects HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                   b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks)
        r = raw_exchange(self.stack.port, request)
        self.assertIsNotNone(r)
        self.assertError(r, 413, "payload_too_large")
        self.assertEqual(self.revisions(), before)

    def test_chunked_body_under_the_limit_is_accepted(self):
        body = b'{"name":"chunked"}'
        request = (b"POST /api/projects HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                   b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
                   + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body))
        r = raw_exchange(self.stack.port, request)
        self.assertEqual(r.status, 201, repr(r))
        self.assertEqual(r.json()["name"], "chunked")


class Routes(ApiCase):
    def test_ids_that_are_not_positive_63_bit_integers_are_404(self):
        sub = self.subcomponent()
        bad_ids = ["0", "-1", "abc", "1.5", "1e3", "0x10", "9223372036854775808",
                   "99999999999999999999999", "18446744073709551617", "1abc", "%20", "-0",
                   "9223372036854775807"]
        before = self.revisions()
        for entity in ("projects", "solutions", "subcomponents"):
            for bad in bad_ids:
                path = f"/api/{entity}/{bad}"
                with self.subTest(path=path):
                    self.assertError(self.req("GET", path), 404, "not_found")
                    self.assertError(self.req("PATCH", path, json={"name": "x"}), 404, "not_found")
                    self.assertError(self.req("DELETE", path), 404, "not_found")
        for bad in bad_ids:
            self.assertError(self.req("PUT", f"/api/solutions/{bad}/phases/build",
                                      json={"enabled": True}), 404, "not_found")
            self.assertError(self.req("PUT", f"/api/subcomponents/{bad}/checklist",
                                      json={"items": []}), 404, "not_found")
        self.assertEqual(self.revisions(), before)
        self.get("subcomponents", sub["id"])

    def test_unknown_routes_are_404(self):
        sub = self.subcomponent()
        s, p = sub["solution_id"], self.get("solutions", sub["solution_id"])["project_id"]
        paths = ["/api/", "/api/nothing", "/api/project", "/api/projectsx",
                 f"/api/projects/{p}/x", f"/api/projects/{p}/solutions", f"/api/solutions/{s}/phases",
                 f"/api/solutions/{s}/phases/build/x", f"/api/subcomponents/{sub['id']}/checklist/1",
                 f"/api/subcomponents/{sub['id']}/x", "/api/revisions/1", "/api/health/x",
                 "/api/PROJECTS", "/api/projects/1/2/3", "/api/export",
                 "/api/../api/projects/x"]
        for path in paths:
            with self.subTest(path=path):
                self.assertError(self.req("GET", path), 404, "not_found")
                self.assertError(self.req("POST", path, json={"name": "x"}), 404, "not_found")

    def test_wrong_method_is_405_with_allow(self):
        sub = self.subcomponent()
        s = sub["solution_id"]
        p = self.get("solutions", s)["project_id"]
        table = [
            ("/api/projects", {"GET", "POST"}, ["PUT", "PATCH", "DELETE"]),
            ("/api/solutions", {"GET", "POST"}, ["PUT", "PATCH", "DELETE"]),
            ("/api/subcomponents", {"GET", "POST"}, ["PUT", "PATCH", "DELETE"]),
            (f"/api/projects/{p}", {"GET", "PATCH", "DELETE"}, ["POST", "PUT"]),
            (f"/api/solutions/{s}", {"GET", "PATCH", "DELETE"}, ["POST", "PUT"]),
            (f"/api/subcomponents/{sub['id']}", {"GET", "PATCH", "DELETE"}, ["POST", "PUT"]),
            (f"/api/solutions/{s}/phases/build", {"PUT"}, ["GET", "POST", "PATCH", "DELETE"]),
            (f"/api/subcomponents/{sub['id']}/checklist", {"PUT"},
             ["GET", "POST", "PATCH", "DELETE"]),
            ("/api/revisions", {"GET"}, ["POST", "PUT", "PATCH", "DELETE"]),
            ("/api/health", {"GET"}, ["POST", "PUT", "PATCH", "DELETE"]),
        ]
        before = self.revisions()
        for path, allowed, refused in table:
            for method in refused:
                with self.subTest(method=method, path=path):
                    r = self.req(method, path, json={"name": "x"})
                    self.assertError(r, 405, "method_not_allowed")
                    allow = allowed_methods(r)
                    self.assertTrue(allowed <= allow, f"Allow {allow} lacks {allowed - allow}")
                    self.assertNotIn(method, allow)
        self.assertEqual(self.revisions(), before)
        self.get("subcomponents", sub["id"])


class QueryParameters(ApiCase):
    def test_malformed_parent_filters_are_422(self):
        for path in ("/api/solutions?project_id=abc", "/api/solutions?project_id=",
                     "/api/solutions?project_id=1.5", "/api/solutions?project_id=1abc",
                     "/api/solutions?project_id=x1", "/api/solutions?project_id",
                     "/api/subcomponents?solution_id=abc", "/api/subcomponents?solution_id=",
                     "/api/subcomponents?solution_id=2e3"):
            with self.subTest(path=path):
                self.assertError(self.req("GET", path), 422, "invalid_query")

    def test_unknown_query_parameters_are_422(self):
        for path in ("/api/projects?x=1", "/api/projects?project_id=1",
                     "/api/solutions?solution_id=1", "/api/solutions?projectid=1",
                     "/api/subcomponents?project_id=1", "/api/subcomponents?x",
                     "/api/solutions?project_id=1&sort=name"):
            with self.subTest(path=path):
                self.assertError(self.req("GET", path), 422, "invalid_query")

    def test_well_formed_filters_work(self):
        p = self.project()
        self.assertEqual(self.ok("GET", f"/api/solutions?project_id={p['id']}")["items"], [])
        self.ok("GET", "/api/projects?")


if __name__ == "__main__":
    unittest.main()
