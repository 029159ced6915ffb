"""One site on two complete hosts (nginx + pool + daemon each) over one real PostgreSQL
(multi_host.Hosts): a WebSocket and an SSE subscriber on host B hear every change made through
host A with its entity, rev and origin, one event per change when the changes are further apart
than the coalescing window; a burst of 1,000 writes spread over both hosts ends every subscriber on
every host at the final revisions; with `notify = off` every host converges within its poll
interval."""
import time
import unittest

from multi_host import HostsCase


class Delivery(HostsCase):
    def test_every_change_through_a_reaches_websocket_and_sse_on_b(self):
        a, b = self.stacks
        subs = {"ws@b": self.subscribe(b, "ws"), "sse@b": self.subscribe(b, "sse")}
        head = {"X-Client-Id": "tab-a", "Origin": a.origin}
        expected = []

        def change(entity, method, path, status, **kw):
            row = self.ok(a, method, path, status, headers=head, **kw)
            rev = row["rev"] if row else self.revisions()["rev"]
            expected.append({"type": "refresh", "entity": entity, "rev": rev, "origin": "tab-a"})
            # Further apart than the coalescing window (100 ms): each change is a leading event.
            time.sleep(0.25)
            return row

        p = change("projects", "POST", "/api/projects", 201, json={"name": "p"})
        s = change("solutions", "POST", "/api/solutions", 201,
                   json={"name": "s", "project_id": p["id"]})
        c = change("subcomponents", "POST", "/api/subcomponents", 201,
                   json={"name": "c", "solution_id": s["id"]})
        change("subcomponents", "PUT", f"/api/subcomponents/{c['id']}/checklist", 200,
               json={"items": [{"label": "one", "done": False}]})
        change("solutions", "PUT", f"/api/solutions/{s['id']}/phases/design", 200,
               json={"enabled": False})
        change("projects", "PATCH", f"/api/projects/{p['id']}", 200, json={"status": "active"})
        change("all", "DELETE", f"/api/projects/{p['id']}", 204)  # cascades: one `all`
        def all_refreshes(ms):
            refreshes = [m for m in ms if m["type"] == "refresh"]
            return refreshes if len(refreshes) >= len(expected) else None
        for name, sub in subs.items():
            self.assertEqual(sub.wait(all_refreshes, timeout=10), expected,
                             f"{name}: {sub.messages()}")

    def test_a_burst_of_1000_writes_over_both_hosts_ends_everyone_at_the_final_revisions(self):
        rows = self.rows()
        subs = self.subscribe_everywhere()
        self.assertEqual(self.burst(1000, rows), [])
        self.assertAllCaughtUp(subs)

    def test_a_read_through_b_right_after_a_write_through_a_is_the_new_row(self):
        # Host B's pool keeps rows and lists by entity revision, and its revisions are read
        # from PostgreSQL, never from a NOTIFY that may not have arrived yet.
        a, b = self.stacks
        p = self.ok(a, "POST", "/api/projects", 201, json={"name": "v0"})
        path = f"/api/projects/{p['id']}"
        for i in range(1, 21):
            self.ok(b, "GET", path)
            self.ok(b, "GET", "/api/projects")
            row = self.ok(a, "PATCH", path, json={"name": f"v{i}"})
            self.assertEqual(self.ok(b, "GET", path)["name"], f"v{i}")
            listed = self.ok(b, "GET", "/api/projects")
            self.assertEqual(listed["rev"], row["rev"])
            self.assertEqual([r["name"] for r in listed["items"] if r["id"] == p["id"]], [f"v{i}"])
            self.assertEqual(self.ok(b, "GET", "/api/revisions")["projects"], row["rev"])

    def test_health_is_ok_on_every_host(self):
        for stack in self.stacks:
            self.assertEqual(stack.daemon_health(),
                             (200, {"status": "ok", "listener_up": True, "listener_down_s": 0}))


class PollOnly(HostsCase):
    config = {"notify": "off", "poll_ms": 250}

    def test_notify_off_converges_within_its_poll_interval(self):
        a, b = self.stacks
        subs = {"ws@b": self.subscribe(b, "ws"), "sse@b": self.subscribe(b, "sse"),
                "sse@a": self.subscribe(a, "sse")}
        delays = []  # from the request to each subscriber's event (the arrival time it recorded)
        for _ in range(5):
            written = time.monotonic()
            rev = self.ok(a, "POST", "/api/projects", 201, json={"name": "x"})["rev"]
            for name, sub in subs.items():
                self.assertTrue(sub.wait(lambda ms: [m for m in ms if m["type"] == "refresh"
                                                     and m["rev"] >= rev], timeout=3),
                                f"{name} heard nothing")
                delays.append(min(t for t, m in sub.timed()
                                  if m["type"] == "refresh" and m["rev"] >= rev) - written)
            time.sleep(0.1)
        # Within the poll interval (250 ms) and the request's own time; the median, so that one
        # slow moment of a loaded machine does not decide.
        self.assertLess(sorted(delays)[len(delays) // 2], 0.25 + 0.25, delays)
        for stack in self.stacks:  # nobody listened
            self.assertEqual(stack.daemon_metrics()["signals_received_total"], 0)


if __name__ == "__main__":
    unittest.main()
