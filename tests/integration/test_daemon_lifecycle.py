"""The daemon going away, through nginx and the real daemon: SIGKILLed, it takes the API down with
it in nothing (every mutation still succeeds, /ws and /events answer 502), and once restarted its
`hello`, and a refresh `all` for an SSE reconnect with the old Last-Event-ID, show subscribers
what changed meanwhile; on SIGTERM every subscriber is told to reconnect after a random delay within
the drain window, then closed with 1001, and the daemon exits 0. On SQLite its GET /health is
always ok (there is no listener to lose)."""
import signal
import unittest

from api_client import ApiCase
from livesync_stack import ENTITIES, Subscribers
from sseclient import HTTPError, StreamClosed
from wsclient import ConnectionClosed, HandshakeError

DRAIN_MS = 2000


class Killed(Subscribers, ApiCase):
    daemon = True

    def test_health_is_ok_on_sqlite(self):
        self.assertEqual(self.stack.daemon_health(), (200, {"status": "ok"}))

    def test_api_lives_on_and_a_restarted_daemon_shows_what_changed(self):
        rows = self.rows()
        clients = self.subscribe_many(ws=1, sse=1)
        self.assertAllCaughtUp(clients)
        last_id = clients["sse0"].raw()[-1].id
        before = self.revisions()

        self.stack.kill("wsd", signal.SIGKILL)
        for name, c in clients.items():
            self.assertIsNotNone(c.wait_ended(10), f"{name} still open after the daemon died")
        # Every kind of mutation still succeeds: sending a datagram nobody receives never fails
        # a request.
        p = self.project()
        s = self.solution(p["id"])
        c = self.subcomponent(s["id"], checklist=[{"label": "a", "done": False}])
        self.ok("PATCH", f"/api/projects/{p['id']}", json={"name": "renamed"})
        self.ok("PUT", f"/api/solutions/{s['id']}/phases/test", json={"enabled": False})
        self.ok("PUT", f"/api/subcomponents/{c['id']}/checklist",
                json={"items": [{"label": "b", "done": True}]})
        self.ok("DELETE", f"/api/subcomponents/{c['id']}", status=204)
        self.write(60, rows, writers=4)
        with self.assertRaises(HandshakeError) as cm:
            self.stack.ws().close()
        self.assertEqual(cm.exception.status, 502)
        with self.assertRaises(HTTPError) as cm:
            self.stack.sse().close()
        self.assertEqual(cm.exception.status, 502)
        during = self.revisions()
        for e in ENTITIES:
            self.assertGreater(during[e], before[e], e)

        self.stack.start_daemon()
        ws = self.subscribe("ws")
        self.assertEqual(ws.messages()[0], {"type": "hello", "rev": during["rev"],
                                            "revs": {e: during[e] for e in ENTITIES},
                                            "beat_ms": 15000})
        sse = self.subscribe("sse", last_event_id=last_id)
        self.assertEqual(sse.wait(lambda ms: ms[1:2], timeout=5),
                         [{"type": "refresh", "entity": "all", "rev": during["rev"]}])
        # And it is live again.
        self.write(30, rows, writers=3)
        self.assertAllCaughtUp({"ws": ws, "sse": sse})


class Drained(Subscribers, ApiCase):
    daemon = True
    config = {"drain_ms": DRAIN_MS}

    def test_sigterm_tells_everyone_to_reconnect_then_closes_with_1001(self):
        clients = self.subscribe_many(ws=6, sse=2)
        self.assertAllCaughtUp(clients)
        proc = self.stack.procs["wsd"]
        self.stack.kill("wsd", signal.SIGTERM, wait=False)
        delays = []
        for name, c in clients.items():
            ended = c.wait_ended(DRAIN_MS / 1000 + 10)
            last = c.messages()[-1]
            self.assertEqual(last["type"], "reconnect", f"{name}: {c.messages()[-3:]}")
            self.assertEqual(set(last), {"type", "after_ms"}, last)
            self.assertGreaterEqual(last["after_ms"], 0)
            self.assertLessEqual(last["after_ms"], DRAIN_MS)
            delays.append(last["after_ms"])
            if name.startswith("ws"):
                self.assertIsInstance(ended, ConnectionClosed, f"{name}: {ended!r}")
                self.assertEqual(ended.code, 1001, f"{name}: {ended!r}")
            else:
                self.assertIsInstance(ended, (StreamClosed, ConnectionError), f"{name}: {ended!r}")
                ev = c.raw()[-1]
                self.assertEqual(ev.event, "reconnect")
                self.assertEqual(ev.retry, max(last["after_ms"], 1))
        # Spread over the window, not all at one instant.
        self.assertGreater(len(set(delays)), 1, delays)
        # A graceful exit (and, in a sanitizer build, no leak reported at it).
        self.assertEqual(proc.wait(10), 0, self.stack.log("wsd"))
        self.stack.kill("wsd")


if __name__ == "__main__":
    unittest.main()
