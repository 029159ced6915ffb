"""The site's access modes (nginx/access/*.conf.in), through the real nginx, pool and daemon: in
each closed mode the page, /api/projects, a /ws upgrade and /events are refused (401/403, JSON,
no stream) without the right credentials or address, and served with them (the WebSocket and the
event stream get their hello). What nginx passes to the pool as LIVESYNC_USER is read at the
pool's socket (fcgi_params.FcgiParams): the verified user, never a header a client sent.

The "sso" mode asks a real HTTP server on loopback (SsoServer, the part an oauth2-proxy plays):
it lets in the requests that carry its session cookie and names their user in
X-Auth-Request-User.
"""
import base64
import http.client
import http.server
import json
import os
import subprocess
import threading
import unittest

from fcgi_params import FcgiParams
from livesync_stack import SOURCE_DIR, Stack, free_port, tls_context
from sseclient import EventStream, HTTPError
from wsclient import HandshakeError, WebSocket

PATHS = ("/", "/api/projects")
SPOOFS = {"X-Auth-Request-User": "mallory", "Livesync-User": "mallory", "Remote-User": "mallory"}


class AccessCase(unittest.TestCase):
    stack_args = {}

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(**cls.stack_args)
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()

    def get(self, path, headers=None, source="127.0.0.1"):
        conn = http.client.HTTPSConnection("localhost", self.stack.port, context=tls_context(),
                                           timeout=10, source_address=(source, 0))
        try:
            conn.request("GET", path, headers=headers or {})
            r = conn.getresponse()
            return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
        finally:
            conn.close()

    def ws(self, headers=None, source="127.0.0.1"):
        return WebSocket.connect("localhost", self.stack.port, "/ws", origin=self.stack.origin,
                                 headers=headers, source_address=(source, 0))

    def sse(self, headers=None, source="127.0.0.1"):
        return EventStream.connect("localhost", self.stack.port, "/events", headers=headers,
                                   source_address=(source, 0))

    def assertRefused(self, status, headers=None, source="127.0.0.1"):
        """The page, the API, /ws and /events all answer `status` with the JSON error body, and
        neither stream opens."""
        code = {401: "unauthorized", 403: "forbidden"}[status]
        for path in PATHS:
            got, hdrs, body = self.get(path, headers, source)
            self.assertEqual(got, status, f"{path}: {body[:200]!r}")
            self.assertEqual(json.loads(body)["error"]["code"], code, path)
            self.assertIn("default-src 'self'", hdrs["content-security-policy"], path)
        with self.assertRaises(HandshakeError) as ws:
            self.ws(headers, source).close()
        self.assertEqual(ws.exception.status, status)
        with self.assertRaises(HTTPError) as sse:
            self.sse(headers, source).close()
        self.assertEqual(sse.exception.status, status)
        self.assertNotIn("text/event-stream", sse.exception.headers.get("content-type", ""))
        return hdrs

    def assertServed(self, headers=None, source="127.0.0.1"):
        """The page and the API answer 200; /ws and /events each deliver their hello."""
        status, hdrs, body = self.get("/", headers, source)
        self.assertEqual(status, 200, body[:200])
        self.assertIn("text/html", hdrs["content-type"])
        status, _, body = self.get("/api/projects", headers, source)
        self.assertEqual(status, 200, body[:200])
        self.assertIsInstance(json.loads(body)["items"], list)
        ws = self.ws(headers, source)
        try:
            self.assertEqual(ws.recv_json()["type"], "hello")
        finally:
            ws.close()
        sse = self.sse(headers, source)
        try:
            self.assertEqual(sse.next_event().event, "hello")
        finally:
            sse.close()

    def user_seen_by_pool(self, headers):
        """LIVESYNC_USER and the client-header parameters of a GET /api/projects with `headers`,
        as they arrive on the pool's socket (the pool is stopped for this and started again)."""
        self.stack.kill("fcgi")
        try:
            with FcgiParams(self.stack.fcgi_socket) as seen:
                status, _, body = self.get("/api/projects", headers)
                self.assertEqual(status, 200, body)
                params = seen.last()
        finally:
            self.stack.start_fcgi()
        spoofed = {k: v for k, v in params.items() if "mallory" in v}
        return params.get("LIVESYNC_USER"), spoofed


class OpenMode(AccessCase):
    def test_everyone_is_served_and_named_nobody(self):
        self.assertServed()
        user, spoofed = self.user_seen_by_pool(dict(SPOOFS))
        self.assertEqual(user, "")
        self.assertEqual(sorted(spoofed), ["HTTP_LIVESYNC_USER", "HTTP_REMOTE_USER"],
                         "only the harmless HTTP_* copies of the headers pass")

    def test_basic_credentials_do_not_name_a_user(self):
        # nginx parses any Authorization header into $remote_user; an open site must not
        # pass that unchecked name on.
        header = {"Authorization": "Basic " + base64.b64encode(b"mallory:x").decode()}
        self.assertEqual(self.user_seen_by_pool(header)[0], "")


class BasicMode(AccessCase):
    stack_args = {"access": "basic", "users": ["alice", "bob"]}

    def test_refused_without_credentials(self):
        hdrs = self.assertRefused(401)
        self.assertEqual(hdrs["www-authenticate"], 'Basic realm="livesync"')

    def test_refused_with_a_wrong_password_or_unknown_user(self):
        self.assertRefused(401, self.stack.basic_auth("alice", "not-her-password"))
        self.assertRefused(401, self.stack.basic_auth("mallory", self.stack.passwords["alice"]))

    def test_served_with_credentials(self):
        self.assertServed(self.stack.basic_auth("alice"))
        self.assertServed(self.stack.basic_auth("bob"))

    def test_pool_is_told_the_verified_user_only(self):
        user, spoofed = self.user_seen_by_pool({**SPOOFS, **self.stack.basic_auth("bob")})
        self.assertEqual(user, "bob")
        self.assertNotIn("HTTP_X_AUTH_REQUEST_USER", spoofed)

    def test_a_removed_user_is_refused_at_once(self):
        users = os.path.join(SOURCE_DIR, "packaging", "livesync-users")
        subprocess.run([users, "--file", self.stack.htpasswd, "add", "--stdin", "carol"],
                       input="carol's password\n", text=True, check=True, capture_output=True)
        self.stack.passwords["carol"] = "carol's password"
        self.assertServed(self.stack.basic_auth("carol"))
        subprocess.run([users, "--file", self.stack.htpasswd, "remove", "carol"], check=True,
                       capture_output=True)
        self.assertRefused(401, self.stack.basic_auth("carol"))
        self.assertServed(self.stack.basic_auth("alice"))


class AllowlistMode(AccessCase):
    # The tests connect from 127.0.0.1 (listed) and from 127.0.0.2 (not listed); both are
    # this machine's loopback.
    stack_args = {"access": "allowlist", "access_values": {"ALLOW": "allow 127.0.0.1; allow ::1;"}}

    def test_unlisted_address_is_refused(self):
        self.assertRefused(403, source="127.0.0.2")

    def test_unlisted_address_is_refused_whatever_it_claims(self):
        self.assertRefused(403, {"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"},
                           source="127.0.0.2")

    def test_listed_address_is_served_and_named_nobody(self):
        self.assertServed(source="127.0.0.1")
        self.assertEqual(self.user_seen_by_pool(dict(SPOOFS))[0], "")


class SsoServer(http.server.ThreadingHTTPServer):
    """The single-sign-on proxy's check endpoint, as oauth2-proxy's /oauth2/auth behaves: 202
    and X-Auth-Request-User for a request with a known session cookie, 401 otherwise."""
    sessions = {"session=carol-token": "carol"}

    def __init__(self, port=None):
        self.checked = []  # (path, X-Original-URI) of each check
        super().__init__(("127.0.0.1", port or free_port()), SsoHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/oauth2/auth"


class SsoHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.checked.append((self.path, self.headers.get("X-Original-URI")))
        user = self.server.sessions.get(self.headers.get("Cookie", ""))
        self.send_response(202 if user else 401)
        if user:
            self.send_header("X-Auth-Request-User", user)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


class SsoMode(AccessCase):
    signed_in = {"Cookie": "session=carol-token"}

    @classmethod
    def setUpClass(cls):
        cls.sso = SsoServer()
        cls.stack_args = {"access": "sso", "access_values": {"AUTH_URL": cls.sso.url},
                          "ready_headers": cls.signed_in}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.sso.shutdown()
        cls.sso.server_close()

    def test_refused_without_a_session(self):
        self.assertRefused(401)
        self.assertRefused(401, {"Cookie": "session=forged"})

    def test_a_user_header_from_the_client_does_not_sign_in(self):
        self.assertRefused(401, {"X-Auth-Request-User": "carol"})

    def test_served_with_a_session_and_checked_each_time(self):
        before = len(self.sso.checked)
        self.assertServed(self.signed_in)
        checks = self.sso.checked[before:]
        # "/" twice: once more for its internal redirect to /index.html.
        self.assertEqual(sorted({uri for _, uri in checks}),
                         ["/", "/api/projects", "/events", "/ws"])
        self.assertTrue(all(path == "/oauth2/auth" for path, _ in checks), checks)

    def test_pool_is_told_the_proxy_user_only(self):
        user, spoofed = self.user_seen_by_pool({**SPOOFS, **self.signed_in})
        self.assertEqual(user, "carol")
        self.assertNotIn("HTTP_X_AUTH_REQUEST_USER", spoofed)

    def test_proxy_down_lets_nobody_in(self):
        port = self.sso.server_address[1]
        self.sso.shutdown()
        self.sso.server_close()
        try:
            for path in PATHS:
                status, _, body = self.get(path, self.signed_in)
                self.assertEqual(status, 500, f"{path}: {body[:200]!r}")
            with self.assertRaises(HandshakeError) as ws:
                self.ws(self.signed_in).close()
            self.assertEqual(ws.exception.status, 500)
            with self.assertRaises(HTTPError) as sse:
                self.sse(self.signed_in).close()
            self.assertEqual(sse.exception.status, 500)
        finally:
            type(self).sso = SsoServer(port)


if __name__ == "__main__":
    unittest.main()
