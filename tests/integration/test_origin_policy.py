"""One `origins` setting, one meaning (SPEC §3, §4), through the real nginx, pool and daemon: every
spelling of an `Origin` header gets the same verdict from a PATCH, a /ws upgrade and /events
(allowed, or 403 and nothing written), and both processes refuse to start on a malformed `origins`
entry with the same message."""
import os
import subprocess
import tempfile
import unittest

from api_client import ApiCase
from livesync_stack import BUILD_DIR, Stack, Subscribers
from sseclient import HTTPError
from wsclient import HandshakeError

# Site origins besides the stack's own: one configured without its default port, one with it.
WITHOUT_PORT = "https://app.example.test"
WITH_PORT = "https://default.example.test:443"


class SiteStack(Stack):
    """A stack whose `origins` are its own origin (known once its port is) plus the two above."""

    def _write_config(self):
        self.extra_config["origins"] = f"{self.origin} {WITHOUT_PORT} {WITH_PORT}"
        super()._write_config()


class SameVerdictEverywhere(Subscribers, ApiCase):
    daemon = True

    @classmethod
    def setUpClass(cls):
        cls.stack = SiteStack(daemon=True, workers=1)
        cls.stack.start()

    def spellings(self):
        """{Origin header value: allowed?}. Spaces around a value are not part of it (nginx drops
        them, and so does the policy); a trailing slash makes it a URL, not an origin."""
        port = self.stack.port
        own = f"https://localhost:{port}"
        return {
            own: True,
            f"HTTPS://localhost:{port}": True,
            f"https://LOCALHOST:{port}": True,
            f"HtTpS://LocalHost:{port}": True,
            "https://app.example.test:443": True,      # default port made explicit
            "HTTPS://APP.EXAMPLE.TEST": True,
            "https://default.example.test": True,      # configured with :443, sent without
            "https://default.example.test:443": True,
            f" {own}": True,
            f"{own} ": True,
            f"  {own}  ": True,
            f"{own}/": False,
            f"{own}/ ": False,
            "https://app.example.test/": False,
            "null": False,
            "https://evil.example": False,
            f"https://localhost:{port}.evil.test": False,
            f"https://evil.localhost:{port}": False,
            f"http://localhost:{port}": False,
            f"https://localhost:{port + 1}": False,
            "https://app.example.test:8443": False,
            "https://default.example.test:8443": False,
            f"wss://localhost:{port}": False,
            f"{own} https://evil.example": False,
            f"{own}, {own}": False,
            "*": False,
        }

    def patch_verdict(self, project_id, origin):
        before = self.get("projects", project_id)
        r = self.req("PATCH", f"/api/projects/{project_id}", json={"name": f"from {origin!r}"},
                     headers={"Origin": origin})
        if r.status == 200:
            return True
        self.assertError(r, 403, "forbidden_origin")
        self.assertEqual(self.get("projects", project_id), before, "a refused PATCH wrote")
        return False

    def ws_verdict(self, origin):
        try:
            ws = self.stack.ws(origin=origin)
        except HandshakeError as e:
            self.assertEqual(e.status, 403, f"/ws from {origin!r}: {e.body!r}")
            return False
        try:
            self.assertEqual(ws.recv_json(timeout=5)["type"], "hello")
        finally:
            ws.close()
        return True

    def events_verdict(self, origin):
        try:
            es = self.stack.sse(headers={"Origin": origin})
        except HTTPError as e:
            self.assertEqual(e.status, 403, f"/events from {origin!r}: {e.body!r}")
            return False
        try:
            self.assertEqual(es.next_event(timeout=5).event, "hello")
        finally:
            es.close()
        return True

    def test_every_spelling_gets_the_same_verdict_from_the_api_ws_and_events(self):
        project = self.project()
        for origin, allowed in self.spellings().items():
            with self.subTest(origin=origin):
                verdicts = {"PATCH": self.patch_verdict(project["id"], origin),
                            "/ws": self.ws_verdict(origin),
                            "/events": self.events_verdict(origin)}
                self.assertEqual(verdicts, dict.fromkeys(verdicts, allowed))

    def test_an_empty_origin_is_no_origin_everywhere(self):
        # A tool may send no Origin to the API and /events; /ws wants one (SPEC §4).
        project = self.project()
        for origin in ("", " "):
            with self.subTest(origin=origin):
                self.assertTrue(self.patch_verdict(project["id"], origin))
                self.assertTrue(self.events_verdict(origin))
                self.assertFalse(self.ws_verdict(origin))
        self.assertFalse(self.ws_verdict(None))


class RefusedAtStart(unittest.TestCase):
    """Both processes read `origins` through the one parser and refuse a malformed entry alike."""

    PROGRAMS = {"livesync-fcgi": os.path.join(BUILD_DIR, "fcgi-app", "livesync-fcgi"),
                "livesync-wsd": os.path.join(BUILD_DIR, "ws-daemon", "livesync-wsd")}

    def start(self, program, config_text, *args):
        """Runs `program` on a config file holding `config_text`; it must exit 2 at once.
        Returns its first stderr line without the program-name prefix, and the file's path."""
        with tempfile.TemporaryDirectory(prefix="ls-") as d:
            path = os.path.join(d, "livesync.conf")
            with open(path, "w") as f:
                f.write(f"database = {d}/livesync.db\nfcgi_socket = {d}/fcgi.sock\n"
                        f"signal_socket = {d}/signal.sock\nwsd_socket = {d}/wsd.sock\n"
                        + config_text)
            p = subprocess.run([self.PROGRAMS[program], "--config", path, *args],
                               capture_output=True, text=True, timeout=30)
            self.assertEqual(p.returncode, 2, f"{program}: {p.stderr}")
            self.assertEqual(sorted(os.listdir(d)), ["livesync.conf"], "it started something")
            first = p.stderr.splitlines()[0]
            self.assertTrue(first.startswith(program + ": "), first)
            return first[len(program) + 2:].replace(path, "FILE")

    def test_a_malformed_entry_stops_both_with_the_same_message(self):
        cases = {
            "origins = https://localhost:8443 https://localhost:8443/\n":
                "FILE:5: origins: 'https://localhost:8443/' is not an origin "
                "(expected http[s]://host[:port], no path)",
            "origins = localhost:8443\n":
                "FILE:5: origins: 'localhost:8443' is not an origin "
                "(expected http[s]://host[:port], no path)",
            "origins = null\n":
                "FILE:5: origins: 'null' is not an origin (expected http[s]://host[:port], no path)",
            "origins = https://localhost:8443.evil.test\n":
                "FILE:5: origins: 'https://localhost:8443.evil.test' is not an origin "
                "(expected http[s]://host[:port], no path)",
            "origins =\n": "FILE:5: origins: at least one origin is needed",
        }
        for text, message in cases.items():
            for program in self.PROGRAMS:
                with self.subTest(config=text, program=program):
                    self.assertEqual(self.start(program, text), message)

    def test_a_malformed_command_line_override_stops_both_with_the_same_message(self):
        for program in self.PROGRAMS:
            with self.subTest(program=program):
                self.assertEqual(self.start(program, "", "--origins", "ftp://localhost"),
                                 "origins: 'ftp://localhost' is not an origin "
                                 "(expected http[s]://host[:port], no path)")


if __name__ == "__main__":
    unittest.main()
