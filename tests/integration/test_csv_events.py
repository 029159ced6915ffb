"""One import = one refresh event: a WebSocket client connected through nginx to the real daemon
receives exactly one `refresh` for an imported file of thousands of rows (never one per row), and
nothing for a refused file."""
import os
import unittest

from api_client import ApiCase
from csv_client import csv_text
from livesync_stack import BUILD_DIR

DAEMON = os.path.join(BUILD_DIR, "ws-daemon", "livesync-wsd")
try:
    from wsclient import WebSocket
except ImportError:  # the WebSocket client is not there yet
    WebSocket = None


@unittest.skipUnless(WebSocket and os.access(DAEMON, os.X_OK), "no daemon or WebSocket client built")
class ImportEvents(ApiCase):
    daemon = True

    def connect(self):
        ws = WebSocket.connect("localhost", self.stack.port, "/ws", origin=self.stack.origin)
        self.addCleanup(ws.close)
        hello = ws.recv_json(timeout=5)
        self.assertEqual(hello["type"], "hello")
        return ws

    def refreshes(self, ws):
        return [m for m in ws.recv_all(quiet=0.6, timeout=10) if m.get("type") == "refresh"]

    def test_one_event_per_imported_file(self):
        p = self.project()
        ws = self.connect()
        text = csv_text([["project_id", "name"]] + [[p["id"], f"s{i}"] for i in range(3000)])
        r = self.req("POST", "/api/import/solutions", body=text, content_type="text/csv",
                     headers={"X-Client-Id": "importer"})
        self.assertEqual(r.status, 200, repr(r))
        events = self.refreshes(ws)
        self.assertEqual(len(events), 1, events)
        self.assertEqual(events[0]["entity"], "solutions")
        self.assertEqual(events[0]["rev"], r.json()["rev"])

    def test_no_event_for_a_refused_file(self):
        ws = self.connect()
        r = self.req("POST", "/api/import/projects", body="name\nok\n\n", content_type="text/csv")
        self.assertEqual(r.status, 200)
        self.refreshes(ws)
        r = self.req("POST", "/api/import/projects", body="name\nok\n,\n", content_type="text/csv")
        self.assertEqual(r.status, 422, repr(r))
        self.assertEqual(self.refreshes(ws), [])


if __name__ == "__main__":
    unittest.main()
