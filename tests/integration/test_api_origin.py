"""The edge of the API over the real stack: same-origin rules for mutations (403, nothing written),
reads open to any origin, no CORS headers, refusal of foreign Host names (TLS SNI and Host
header), TLS 1.2/1.3 only, HTTP/2 via ALPN, security headers and JSON bodies on nginx's own
errors (400, 413, 414, 431, 502)."""
import json
import os
import socket
import ssl
import threading
import unittest
import warnings

from api_client import ApiCase, raw_exchange, tls_socket
from livesync_stack import Stack

SECURITY_HEADERS = ("content-security-policy", "x-content-type-options", "referrer-policy",
                    "strict-transport-security")


class SameOrigin(ApiCase):
    def foreign_origins(self):
        port = self.stack.port
        return ["https://evil.example", "null", f"http://localhost:{port}",
                f"https://localhost:{port + 1}", "https://localhost", f"https://127.0.0.1:{port}",
                f"https://localhost:{port}.evil.example", f"https://evil.localhost:{port}",
                f"wss://localhost:{port}", f"https://localhost:{port} https://evil.example", "*"]

    def mutations(self):
        """(method, path, body) for every kind of mutation, on fresh rows."""
        sub = self.subcomponent(checklist=[{"label": "a", "done": False}])
        sol = self.get("solutions", sub["solution_id"])
        p = sol["project_id"]
        return [
            ("POST", "/api/projects", {"name": "forbidden"}),
            ("PATCH", f"/api/projects/{p}", {"name": "forbidden"}),
            ("DELETE", f"/api/projects/{p}", None),
            ("POST", "/api/solutions", {"name": "forbidden", "project_id": p}),
            ("PATCH", f"/api/solutions/{sol['id']}", {"name": "forbidden"}),
            ("PUT", f"/api/solutions/{sol['id']}/phases/build", {"enabled": False}),
            ("DELETE", f"/api/solutions/{sol['id']}", None),
            ("POST", "/api/subcomponents", {"name": "forbidden", "solution_id": sol["id"]}),
            ("PATCH", f"/api/subcomponents/{sub['id']}", {"name": "forbidden"}),
            ("PUT", f"/api/subcomponents/{sub['id']}/checklist", {"items": []}),
            ("DELETE", f"/api/subcomponents/{sub['id']}", None),
        ], (p, sol, sub)

    def snapshot(self, rows):
        p, sol, sub = rows
        return (self.revisions(), self.get("projects", p), self.get("solutions", sol["id"]),
                self.get("subcomponents", sub["id"]))

    def test_foreign_origin_is_403_and_nothing_is_written(self):
        mutations, rows = self.mutations()
        before = self.snapshot(rows)
        for origin in self.foreign_origins():
            for method, path, body in mutations:
                with self.subTest(origin=origin, method=method, path=path):
                    r = self.req(method, path, json=body, headers={"Origin": origin})
                    self.assertError(r, 403, "forbidden_origin")
                    self.assertNotIn("access-control-allow-origin", r.headers)
        self.assertEqual(self.snapshot(rows), before)

    def test_cross_or_same_site_fetch_is_403_even_with_our_origin(self):
        mutations, rows = self.mutations()
        before = self.snapshot(rows)
        for site in ("cross-site", "same-site"):
            for origin in (None, self.stack.origin):
                headers = {"Sec-Fetch-Site": site}
                if origin:
                    headers["Origin"] = origin
                for method, path, body in mutations:
                    with self.subTest(site=site, origin=origin, method=method, path=path):
                        r = self.req(method, path, json=body, headers=headers)
                        self.assertError(r, 403, "forbidden_origin")
        self.assertEqual(self.snapshot(rows), before)

    def test_same_origin_or_no_origin_is_allowed(self):
        for headers in ({}, {"Origin": self.stack.origin},
                        {"Origin": self.stack.origin, "Sec-Fetch-Site": "same-origin"},
                        {"Sec-Fetch-Site": "same-origin"}, {"Sec-Fetch-Site": "none"}):
            with self.subTest(headers=headers):
                mutations, _ = self.mutations()
                # Deletes last, children first (a delete cascades to the rows below it).
                depth = ("/api/subcomponents", "/api/solutions", "/api/projects")
                mutations.sort(key=lambda m: (m[0] == "DELETE",
                                              [m[1].startswith(d) for d in depth].index(True)))
                for method, path, body in mutations:
                    r = self.req(method, path, json=body, headers=headers)
                    self.assertIn(r.status, (200, 201, 204), f"{method} {path} {headers}: {r!r}")

    def test_reads_are_never_refused_for_their_origin(self):
        sub = self.subcomponent()
        paths = ["/api/projects", "/api/solutions", "/api/subcomponents", "/api/revisions",
                 "/api/health", f"/api/subcomponents/{sub['id']}",
                 f"/api/solutions?project_id=1"]
        for headers in ({"Origin": "https://evil.example"}, {"Origin": "null"},
                        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
                        {"Sec-Fetch-Site": "same-site"}):
            for path in paths:
                for method in ("GET", "HEAD"):
                    with self.subTest(method=method, path=path, headers=headers):
                        r = self.req(method, path, headers=headers)
                        self.assertEqual(r.status, 200, repr(r))
                        self.assertNotIn("access-control-allow-origin", r.headers)

    def test_no_cors_headers_anywhere(self):
        p = self.project()
        evil = {"Origin": "https://evil.example"}
        responses = [
            self.req("GET", "/api/projects", headers=evil),
            self.req("GET", f"/api/projects/{p['id']}", headers=evil),
            self.req("OPTIONS", "/api/projects",
                     headers=dict(evil, **{"Access-Control-Request-Method": "POST",
                                           "Access-Control-Request-Headers": "content-type"})),
            self.req("OPTIONS", f"/api/projects/{p['id']}",
                     headers=dict(evil, **{"Access-Control-Request-Method": "PATCH"})),
            self.req("POST", "/api/projects", json={"name": "x"}, headers=evil),
            self.req("GET", "/api/nothing", headers=evil),
            self.req("GET", "/", headers=evil),
        ]
        for r in responses:
            for h in r.headers:
                self.assertFalse(h.startswith("access-control-"), f"{h}: {r.headers[h]} in {r!r}")
        self.assertLess(responses[2].status, 500)

    def test_allowed_origin_list_is_configurable(self):
        extra = "https://app.example.com"
        # A space-separated list (the stack's own origin is not in it: that one gets 403 too).
        stack = Stack(daemon=False, workers=1,
                      config={"origins": f"https://other.example.org {extra}"})
        stack.start()
        try:
            r = stack.request("POST", "/api/projects", json={"name": "x"}, headers={"Origin": extra})
            self.assertEqual(r.status, 201, repr(r))
            for origin in ("https://other.example.com", stack.origin):
                r = stack.request("POST", "/api/projects", json={"name": "x"},
                                  headers={"Origin": origin})
                self.assertEqual(r.status, 403, repr(r))
        finally:
            stack.stop()


class HostNames(ApiCase):
    def raw(self, head, body=b""):
        return raw_exchange(self.stack.port, head.encode() + body)

    def test_unknown_sni_is_refused_at_the_handshake(self):
        # A handshake without SNI is served (test_host_names.py): browsers send none for an IP.
        for name in ("evil.example", "localhost.evil.example"):
            with self.subTest(sni=name):
                with self.assertRaises(ssl.SSLError):
                    tls_socket(self.stack.port, server_hostname=name).close()

    def test_foreign_host_on_a_localhost_connection_is_421_and_not_passed_on(self):
        before = self.revisions()
        for host in ("evil.example", "127.0.0.1", f"127.0.0.1:{self.stack.port}",
                     "localhost.evil.example", "evil.localhost"):
            body = b'{"name":"misdirected"}'
            with self.subTest(host=host):
                r = self.raw(f"POST /api/projects HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
                             f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n",
                             body)
                self.assertIsNotNone(r, "connection closed without an answer")
                self.assertEqual(r.status, 421, repr(r))
                r = self.raw(f"GET /api/projects HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n")
                self.assertEqual(r.status, 421, repr(r))
        self.assertEqual(self.revisions(), before)

    def test_421_is_json_with_security_headers(self):
        r = self.raw("GET /api/projects HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n")
        self.assertEqual(r.status, 421)
        self.assertTrue(r.headers.get("content-type", "").startswith("application/json"), repr(r))
        self.assertIn("error", r.json())
        for h in SECURITY_HEADERS:
            self.assertIn(h, r.headers, f"421 without {h}")

    def test_our_host_with_port_is_served(self):
        r = self.raw(f"GET /api/revisions HTTP/1.1\r\nHost: localhost:{self.stack.port}\r\n"
                     "Connection: close\r\n\r\n")
        self.assertEqual(r.status, 200, repr(r))
        self.assertIn("rev", r.json())


class Tls(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(daemon=False, workers=1)
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def context(self, version):
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            ctx.minimum_version = version
            ctx.maximum_version = version
        return ctx

    def handshake(self, port, ctx):
        with socket.create_connection(("127.0.0.1", port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as t:
                return t.version()

    def old_server(self):
        """A throwaway Python TLS server that does speak TLS 1.0/1.1, to prove the client
        context below really offers them (so nginx's refusal is nginx's doing)."""
        srv = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        srv.load_cert_chain(self.stack.cert, self.stack.key)
        srv.set_ciphers("DEFAULT:@SECLEVEL=0")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            srv.minimum_version = ssl.TLSVersion.TLSv1
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen()

        def serve():
            for _ in range(2):
                conn, _ = listener.accept()
                try:
                    srv.wrap_socket(conn, server_side=True).close()
                except (ssl.SSLError, OSError):
                    conn.close()
        t = threading.Thread(target=serve, daemon=True)
        t.start()
        return listener

    def test_tls_1_0_and_1_1_are_refused(self):
        versions = {"TLSv1": ssl.TLSVersion.TLSv1, "TLSv1.1": ssl.TLSVersion.TLSv1_1}
        listener = self.old_server()
        try:
            for name, version in versions.items():
                self.assertEqual(self.handshake(listener.getsockname()[1], self.context(version)),
                                 name, "control: the client cannot speak " + name)
        finally:
            listener.close()
        for name, version in versions.items():
            with self.subTest(version=name):
                with self.assertRaises(ssl.SSLError) as caught:
                    self.handshake(self.stack.port, self.context(version))
                # An alert from the server, not a client-side inability.
                self.assertTrue(str(caught.exception.reason).startswith("TLSV1_ALERT"),
                                caught.exception)

    def test_tls_1_2_and_1_3_are_accepted(self):
        for name, version in (("TLSv1.2", ssl.TLSVersion.TLSv1_2),
                              ("TLSv1.3", ssl.TLSVersion.TLSv1_3)):
            self.assertEqual(self.handshake(self.stack.port, self.context(version)), name)

    def test_http2_is_offered_via_alpn(self):
        for offered, chosen in ((["h2", "http/1.1"], "h2"), (["http/1.1"], "http/1.1")):
            ctx = self.context(ssl.TLSVersion.TLSv1_3)
            ctx.set_alpn_protocols(offered)
            with socket.create_connection(("127.0.0.1", self.stack.port), timeout=10) as raw:
                with ctx.wrap_socket(raw, server_hostname="localhost") as t:
                    self.assertEqual(t.selected_alpn_protocol(), chosen)
                    if chosen == "h2":
                        # The server speaks HTTP/2 on it: its first frame is a SETTINGS frame.
                        t.sendall(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n" + b"\x00\x00\x00\x04\x00"
                                  + b"\x00\x00\x00\x00")
                        frame = t.recv(9)
                        self.assertEqual(frame[3], 4, f"first frame type {frame[3]}, not SETTINGS")


class NginxErrors(ApiCase):
    def assertSecurityHeaders(self, r, what):
        for h in SECURITY_HEADERS:
            self.assertIn(h, r.headers, f"{what}: no {h} in {r.headers}")
        self.assertEqual(r.headers["x-content-type-options"].lower(), "nosniff", what)
        self.assertIn("max-age=", r.headers["strict-transport-security"], what)
        self.assertNotEqual(r.headers["strict-transport-security"].split("max-age=")[1][:1], "0")
        csp = {}
        for directive in r.headers["content-security-policy"].split(";"):
            parts = directive.split()
            if parts:
                csp[parts[0].lower()] = parts[1:]
        scripts = csp.get("script-src", csp.get("default-src"))
        self.assertIsNotNone(scripts, f"{what}: CSP has neither script-src nor default-src")
        self.assertNotIn("'unsafe-inline'", scripts, what)
        self.assertNotIn("*", scripts, what)

    def test_security_headers_on_every_response(self):
        p = self.project()
        tag = self.req("GET", "/api/projects").headers["etag"]
        cases = {
            "list 200": self.req("GET", "/api/projects"),
            "row 200": self.req("GET", f"/api/projects/{p['id']}"),
            "list 304": self.req("GET", "/api/projects", headers={"If-None-Match": tag}),
            "HEAD": self.req("HEAD", "/api/projects"),
            "POST 201": self.req("POST", "/api/projects", json={"name": "h"}),
            "DELETE 204": self.req("DELETE", f"/api/projects/{p['id']}"),
            "app 404": self.req("GET", "/api/projects/987654321"),
            "app 400": self.req("POST", "/api/projects", body="{", content_type="application/json"),
            "app 403": self.req("POST", "/api/projects", json={"name": "x"},
                                headers={"Origin": "https://evil.example"}),
            "app 405": self.req("PUT", "/api/projects", json={}),
            "app 415": self.req("POST", "/api/projects", body="x", content_type="text/plain"),
            "app 422": self.req("POST", "/api/projects", json={}),
            "static": self.req("GET", "/"),
            "health": self.req("GET", "/api/health"),
        }
        for what, r in cases.items():
            with self.subTest(what=what):
                self.assertSecurityHeaders(r, what)

    def nginx_error(self, request, status, code):
        r = raw_exchange(self.stack.port, request)
        self.assertIsNotNone(r)
        self.assertError(r, status, code)
        self.assertSecurityHeaders(r, f"nginx {status}")
        return r

    def test_nginx_413_is_json(self):
        body = b'{"name":"' + b"x" * (1 << 20) + b'"}'
        self.nginx_error(b"POST /api/projects HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
                         b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body)
                         + body, 413, "payload_too_large")

    def test_nginx_400_is_json(self):
        self.nginx_error(b"GET /api/projects HTTP/1.1\r\nHost: localhost\r\nHost: localhost\r\n"
                         b"Connection: close\r\n\r\n", 400, "bad_request")

    def test_nginx_414_is_json(self):
        self.nginx_error(b"GET /api/projects?" + b"x" * 20000 + b" HTTP/1.1\r\nHost: localhost\r\n"
                         b"Connection: close\r\n\r\n", 414, None)

    def test_nginx_431_is_json(self):
        self.nginx_error(b"GET /api/projects HTTP/1.1\r\nHost: localhost\r\nX-Big: "
                         + b"x" * 20000 + b"\r\nConnection: close\r\n\r\n", 431, None)


class PoolDown(unittest.TestCase):
    """nginx in front of no pool at all: its 502 is the API's JSON error with Retry-After."""

    def test_502_is_json_with_retry_after_and_security_headers(self):
        with Stack(daemon=False, start_pool=False) as s:
            for method, path, body in (("GET", "/api/projects", None),
                                       ("POST", "/api/projects", {"name": "x"})):
                r = s.request(method, path, json=body)
                self.assertEqual(r.status, 502, repr(r))
                self.assertTrue(r.headers.get("content-type", "").startswith("application/json"))
                self.assertEqual(r.json()["error"]["code"], "unavailable")
                self.assertTrue(r.headers.get("retry-after", "").isdigit(), r.headers)
                for h in SECURITY_HEADERS:
                    self.assertIn(h, r.headers, f"502 without {h}")


if __name__ == "__main__":
    unittest.main()
