"""Which host names the site serves, over the real stack. Named as scripts/run names it
(localhost and 127.0.0.1): a TLS handshake without SNI, which is what browsers send for an IP
address, gets the site's certificate and is served when its Host is one of the site's names. A
foreign Host, with SNI for one of ours or without SNI, gets 421, and a foreign SNI a refused
handshake; neither reaches the API. Named localhost only, the IP address is foreign."""
import socket
import ssl

from api_client import ApiCase, raw_exchange, tls_socket

FOREIGN_HOSTS = ("evil.example", "127.0.0.2", "[::1]", "localhost.evil.example", "evil.localhost",
                 "127.0.0.1.evil.example")


class HostNameCase(ApiCase):
    def raw(self, head, body=b"", sni="localhost"):
        return raw_exchange(self.stack.port, head.encode() + body, server_hostname=sni)

    def get(self, path, host, sni):
        return self.raw(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n", sni=sni)

    def post_project(self, host, sni, name="misdirected"):
        body = f'{{"name":"{name}"}}'.encode()
        return self.raw(f"POST /api/projects HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n"
                        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n",
                        body, sni)

    def assertMisdirected(self, r, what):
        self.assertIsNotNone(r, f"{what}: connection closed without an answer")
        self.assertEqual(r.status, 421, f"{what}: {r!r}")
        self.assertEqual(r.json()["error"]["code"], "misdirected_request", what)


class NamedLikeTheRunCommand(HostNameCase):
    server_names = "localhost 127.0.0.1"

    def test_an_ip_address_gets_the_sites_certificate_and_is_served(self):
        # Python, like a browser, sends no SNI for an IP address; the certificate must name it.
        ctx = ssl.create_default_context(cafile=self.stack.cert)
        with socket.create_connection(("127.0.0.1", self.stack.port), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                tls.sendall(f"GET /api/health HTTP/1.1\r\nHost: 127.0.0.1:{self.stack.port}\r\n"
                            "Connection: close\r\n\r\n".encode())
                head = tls.recv(65536)
        self.assertTrue(head.startswith(b"HTTP/1.1 200 "), head[:200])

    def test_without_sni_the_sites_names_are_served_and_reach_the_api(self):
        port = self.stack.port
        for host in ("127.0.0.1", f"127.0.0.1:{port}", "localhost", f"localhost:{port}"):
            with self.subTest(host=host):
                r = self.post_project(host, sni=None, name=f"via {host}")
                self.assertEqual(r.status, 201, repr(r))
                r = self.get(f"/api/projects/{r.json()['id']}", host, sni=None)
                self.assertEqual(r.status, 200, repr(r))
                self.assertEqual(r.json()["name"], f"via {host}")

    def test_a_foreign_host_gets_421_with_or_without_sni_and_never_reaches_the_api(self):
        before = self.revisions()
        for sni in (None, "localhost"):
            for host in FOREIGN_HOSTS + (f"127.0.0.2:{self.stack.port}",):
                with self.subTest(sni=sni, host=host):
                    self.assertMisdirected(self.post_project(host, sni), "POST")
                    self.assertMisdirected(self.get("/api/projects", host, sni), "GET")
            with self.subTest(sni=sni, absolute_uri=True):
                # The host in an absolute request target wins over the Host header.
                r = self.get("https://evil.example/api/projects", "127.0.0.1", sni)
                self.assertMisdirected(r, "absolute URI")
        self.assertEqual(self.revisions(), before)
        names = [p["name"] for p in self.ok("GET", "/api/projects")["items"]]
        self.assertNotIn("misdirected", names)

    def test_a_foreign_sni_is_refused_at_the_handshake(self):
        for name in ("evil.example", "localhost.evil.example", "evil.localhost"):
            with self.subTest(sni=name):
                with self.assertRaises(ssl.SSLError) as caught:
                    tls_socket(self.stack.port, server_hostname=name).close()
                self.assertIn("UNRECOGNIZED_NAME", str(caught.exception))


class NamedLocalhostOnly(HostNameCase):
    def test_without_sni_the_ip_address_is_foreign_and_localhost_is_served(self):
        before = self.revisions()
        self.assertMisdirected(self.post_project("127.0.0.1", sni=None), "POST to 127.0.0.1")
        self.assertEqual(self.revisions(), before)
        r = self.get("/api/revisions", f"localhost:{self.stack.port}", sni=None)
        self.assertEqual(r.status, 200, repr(r))
