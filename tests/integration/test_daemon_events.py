"""What subscribers are told, through nginx and the real daemon: every mutating request is exactly
one refresh with its entity, its rev and the request's X-Client-Id as `origin` (a cascading delete
one `all`), rejected requests none; WebSocket and SSE subscribers are told the same; SSE frames
carry id/event/retry and a reconnect's Last-Event-ID gets a refresh `all` unless it is the current
rev."""
import threading
import unittest

from api_client import ApiCase
from livesync_stack import ENTITIES, Subscribers
from sseclient import Event


class EventsCase(Subscribers, ApiCase):
    daemon = True

    def setUp(self):
        super().setUp()
        self.subscribers = {"ws": self.subscribe("ws")}
        self.checked = {name: 1 for name in self.subscribers}  # messages seen so far (the hello)

    def expect_one(self, method, path, entity, client_id=None, **kw):
        """Makes one mutating request (nobody else writes meanwhile) and checks that every
        subscriber is told exactly one refresh for it: `entity` at the new global rev, with the
        request's client id as origin. Returns the response."""
        headers = {"X-Client-Id": client_id} if client_id is not None else {}
        rev = self.revisions()["rev"] + 1
        r = self.req(method, path, headers=headers, **kw)
        self.assertLess(r.status, 300, f"{method} {path}: {r!r}")
        if r.status != 204:
            self.assertEqual(r.json()["rev"], rev, f"{method} {path}: {r!r}")
        expected = {"type": "refresh", "entity": entity, "rev": rev}
        if client_id is not None:
            expected["origin"] = client_id
        for name, c in self.subscribers.items():
            start = self.checked[name]
            new = c.wait(lambda ms: ms[start:] if any(m.get("rev", 0) >= rev
                                                      for m in ms[start:]) else None, timeout=5)
            self.assertEqual(new, [expected], f"{name} after {method} {path}")
            self.checked[name] += len(new)
        return r

    def assertNothingMore(self, quiet=0.5):
        """No subscriber is told anything else (several coalescing windows of quiet)."""
        for name, c in self.subscribers.items():
            start = self.checked[name]
            extra = c.wait(lambda ms: ms[start:], timeout=quiet)
            self.assertEqual(extra, [], f"{name} was told more than expected")


class OneRefreshPerRequest(EventsCase):
    def test_every_mutating_route(self):
        p = self.expect_one("POST", "/api/projects", "projects", "tab-1", json={"name": "p"}).json()
        s = self.expect_one("POST", "/api/solutions", "solutions", "tab-2",
                            json={"name": "s", "project_id": p["id"]}).json()
        c = self.expect_one("POST", "/api/subcomponents", "subcomponents", "tab.3_x-Y",
                            json={"name": "c", "solution_id": s["id"],
                                  "checklist": [{"label": "a", "done": False}]}).json()
        self.expect_one("PATCH", f"/api/projects/{p['id']}", "projects", json={"name": "p2"})
        self.expect_one("PATCH", f"/api/solutions/{s['id']}", "solutions", "tab-1",
                        json={"status": "active"})
        self.expect_one("PATCH", f"/api/subcomponents/{c['id']}", "subcomponents", "tab-2",
                        json={"owner": "o"})
        self.expect_one("PUT", f"/api/solutions/{s['id']}/phases/deploy", "solutions", "tab-1",
                        json={"enabled": False})
        self.expect_one("PUT", f"/api/subcomponents/{c['id']}/checklist", "subcomponents", "tab-1",
                        json={"items": [{"label": str(i), "done": True} for i in range(20)]})
        # Deletes without children announce their own entity.
        self.expect_one("DELETE", f"/api/subcomponents/{c['id']}", "subcomponents", "tab-1")
        self.expect_one("DELETE", f"/api/solutions/{s['id']}", "solutions", "tab-2")
        self.expect_one("DELETE", f"/api/projects/{p['id']}", "projects", "tab-3")
        self.assertNothingMore()

    def create_tree(self, depth, client_id):
        """A project with a solution (depth 2) and a subcomponent (depth 3), each announced."""
        p = self.expect_one("POST", "/api/projects", "projects", client_id, json={"name": "p"})
        s = self.expect_one("POST", "/api/solutions", "solutions", client_id,
                            json={"name": "s", "project_id": p.json()["id"]})
        if depth == 3:
            self.expect_one("POST", "/api/subcomponents", "subcomponents", client_id,
                            json={"name": "c", "solution_id": s.json()["id"]})
        return p.json()["id"], s.json()["id"]

    def test_cascading_deletes_are_one_refresh_all(self):
        # Each delete follows its tree's creation within one coalescing window, so some entities'
        # windows are still open while others are not: the cascade must still be one event.
        p, _ = self.create_tree(2, "tab-a")
        self.expect_one("DELETE", f"/api/projects/{p}", "all", "tab-b")
        p, _ = self.create_tree(3, "tab-a")
        self.expect_one("DELETE", f"/api/projects/{p}", "all")
        _, s = self.create_tree(3, "tab-a")
        self.expect_one("DELETE", f"/api/solutions/{s}", "all", "tab-c")
        self.assertNothingMore()

    def test_cascading_delete_after_quiet_is_one_refresh_all(self):
        p, _ = self.create_tree(3, "tab-a")
        self.assertNothingMore()  # every window has closed
        self.expect_one("DELETE", f"/api/projects/{p}", "all", "tab-b")
        self.assertNothingMore()

    def test_rejected_and_no_op_requests_tell_nothing(self):
        p = self.expect_one("POST", "/api/projects", "projects", "t", json={"name": "p"}).json()
        for method, path, kw in [
            ("POST", "/api/projects", {"json": {"name": ""}}),
            ("POST", "/api/projects", {"json": {"name": "x"},
                                       "headers": {"Origin": "https://evil.example"}}),
            ("PATCH", f"/api/projects/{p['id']}", {"json": {"name": "y"},
                                                   "headers": {"If-Match": '"0"'}}),
            ("DELETE", "/api/projects/987654321", {}),
            ("PATCH", f"/api/projects/{p['id']}", {"json": {"name": "p"}}),
            ("GET", "/api/projects", {}),
        ]:
            r = self.req(method, path, **kw)
            self.assertIn(r.status, (200, 403, 404, 412, 422), f"{method} {path}: {r!r}")
        # The next refresh anyone is told of is the next real change's.
        self.expect_one("POST", "/api/projects", "projects", "t", json={"name": "q"})


class BothTransports(EventsCase):
    def setUp(self):
        super().setUp()
        self.subscribers["sse"] = self.subscribe("sse")
        self.checked["sse"] = 1

    def test_ws_and_sse_are_told_the_same_sequence(self):
        p = self.expect_one("POST", "/api/projects", "projects", "a", json={"name": "p"}).json()
        s = self.expect_one("POST", "/api/solutions", "solutions", "b",
                            json={"name": "s", "project_id": p["id"]}).json()
        for i in range(3):
            self.expect_one("PATCH", f"/api/projects/{p['id']}", "projects", "a",
                            json={"name": f"p{i}"})
        self.expect_one("PUT", f"/api/solutions/{s['id']}/phases/build", "solutions",
                        json={"enabled": False})
        self.expect_one("DELETE", f"/api/projects/{p['id']}", "all", "c")
        ws, sse = self.subscribers["ws"].messages(), self.subscribers["sse"].messages()
        self.assertEqual(ws, sse)
        for ev in self.subscribers["sse"].raw():
            self.assertIsInstance(ev, Event)
            self.assertEqual(ev.event, ev.data["type"], ev)
            self.assertEqual(ev.id, str(ev.data["rev"]), ev)

    def test_ws_and_sse_end_with_the_same_state_after_concurrent_writes(self):
        rows = [self.project(), self.solution(), self.subcomponent()]
        errors = []

        def writer(w):
            for i in range(30):
                entity, row = ENTITIES[i % 3], rows[i % 3]
                r = self.req("PATCH", f"/api/{entity}/{row['id']}", json={"name": f"w{w} {i}"},
                             headers={"X-Client-Id": f"w{w}"})
                if r.status != 200:
                    errors.append(r)

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertAllCaughtUp(self.subscribers)


class EventStreamCatchUp(Subscribers, ApiCase):
    daemon = True

    def setUp(self):
        super().setUp()
        self.watcher = self.subscribe("ws")

    def current_rev(self):
        """The global rev, after at least two changes so that rev - 1 is a real, older id, and
        after the daemon has announced them (else a new subscriber gets their trailing event)."""
        self.project()
        self.project()
        return self.assertAllCaughtUp({"watcher": self.watcher})["rev"]

    def connect(self, last_event_id=None):
        es = self.stack.sse(last_event_id=last_event_id)
        self.addCleanup(es.close)
        self.assertEqual(es.headers.get("content-type", "").split(";")[0], "text/event-stream")
        self.assertNotIn("access-control-allow-origin", es.headers)
        hello = es.next_event(timeout=5)
        self.assertEqual(hello.event, "hello", hello)
        self.assertEqual(hello.data["type"], "hello", hello)
        self.assertEqual(hello.id, str(hello.data["rev"]), hello)
        self.assertIsNotNone(hello.retry, "hello carries no retry: hint")
        self.assertGreater(hello.retry, 0)
        return es, hello

    def assertNextIsOwnChange(self, es):
        """The next event is the refresh for a change made now: nothing was pending before it."""
        rev = self.revisions()["rev"] + 1
        self.ok("POST", "/api/projects", status=201, json={"name": "next"},
                headers={"X-Client-Id": "next"})
        ev = es.next_event(timeout=5)
        self.assertEqual((ev.event, ev.id), ("refresh", str(rev)), ev)
        self.assertEqual(ev.data, {"type": "refresh", "entity": "projects", "rev": rev,
                                   "origin": "next"})

    def assertCatchUpAll(self, last_event_id):
        rev = self.revisions()["rev"]
        es, hello = self.connect(last_event_id)
        self.assertEqual(hello.data["rev"], rev)
        # At once: no change happens here, the daemon answers the stale id itself.
        ev = es.next_event(timeout=5)
        self.assertEqual((ev.event, ev.id), ("refresh", str(rev)), ev)
        self.assertEqual(ev.data, {"type": "refresh", "entity": "all", "rev": rev})
        self.assertNextIsOwnChange(es)

    def test_frames_carry_id_event_and_retry(self):
        rev = self.current_rev()
        es, hello = self.connect()
        self.assertEqual(hello.data["revs"], {e: v for e, v in self.revisions().items()
                                              if e != "rev"})
        self.assertEqual(hello.id, str(rev))
        self.assertNextIsOwnChange(es)

    def test_old_id_gets_refresh_all_at_once(self):
        self.assertCatchUpAll(str(self.current_rev() - 1))
        self.assertCatchUpAll("0")

    def test_current_id_gets_no_refresh(self):
        es, _ = self.connect(str(self.current_rev()))
        self.assertNextIsOwnChange(es)

    def test_unparsable_or_newer_id_gets_refresh_all(self):
        rev = self.current_rev()
        for last in ("abc", f"{rev}x", f"{rev}.0", "-1", "0x10", "99999999999999999999999",
                     str(rev + 5)):
            with self.subTest(last_event_id=last):
                self.assertCatchUpAll(last)


if __name__ == "__main__":
    unittest.main()
