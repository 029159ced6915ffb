"""A tab's own cascading delete keeps its `origin` (issue #15, SPEC §4), through nginx, the real pool
and the real daemon, told to a WebSocket and an SSE subscriber:

- on a quiet site, a DELETE of a project with a solution and a subcomponent, sent with
  X-Client-Id, is exactly one refresh `all` carrying that client id, round after round;
- when the daemon's read of the revision table shows a commit whose datagram is still on its way
  (the pool sends datagrams after COMMIT; a relay between pool and daemon holds one back), the
  read waits for it, so the tab's edit and its delete keep the tab's id instead of going out as
  an anonymous `all`;
- a datagram that never arrives only costs the origin: the change is still announced (the
  revision table is the truth) about one safety tick later."""
import json
import os
import socket
import threading
import time
import unittest

from api_client import ApiCase
from livesync_stack import Subscribers

ROUNDS = 40
QUIET_S = 0.2  # two coalescing windows: every window the creations opened has closed
HOLD_S = 0.3   # how long the relay holds a datagram back: well inside the 1 s grace


class DatagramRelay:
    """Stands between the pool and the daemon: the daemon's bound signal socket is moved aside and
    the relay binds its path, passing each datagram on after `rule(signal)` seconds (None drops
    it). A delay stands for a pool thread that is slow to send after its COMMIT."""

    def __init__(self, path, rule):
        self.path, self.target, self.rule = path, path + ".wsd", rule
        os.rename(path, self.target)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.out = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.stopping = threading.Event()
        self.timers = []
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping.is_set():
            try:
                data = self.sock.recv(1024)
            except TimeoutError:
                continue
            delay = self.rule(json.loads(data))
            if delay is None:
                continue
            t = threading.Timer(delay, self.out.sendto, (data, self.target))
            self.timers.append(t)
            t.start()

    def close(self):
        self.stopping.set()
        self.thread.join(5)
        for t in self.timers:
            t.join(5)
        self.sock.close()
        self.out.close()
        os.unlink(self.path)
        os.rename(self.target, self.path)


class OriginCase(Subscribers, ApiCase):
    daemon = True

    def setUp(self):
        super().setUp()
        self.clients = self.subscribe_many(ws=1, sse=1)

    def tree(self, client_id, tag):
        """A project with a solution and a subcomponent, by `client_id`; returns the project."""
        headers = {"X-Client-Id": client_id}
        p = self.ok("POST", "/api/projects", 201, json={"name": tag}, headers=headers)
        s = self.ok("POST", "/api/solutions", 201, headers=headers,
                    json={"name": tag, "project_id": p["id"]})
        self.ok("POST", "/api/subcomponents", 201, headers=headers,
                json={"name": tag, "solution_id": s["id"]})
        return p

    def quiet(self):
        """Waits until every subscriber has been told the current revision, then two coalescing
        windows more. Returns {name: messages so far}."""
        rev = self.revisions()["rev"]
        seen = {}
        for name, c in self.clients.items():
            n = c.wait(lambda ms: len(ms) if any(m.get("rev", 0) >= rev for m in ms) else 0, 5)
            self.assertTrue(n, f"{name} never told rev {rev}: {c.messages()[-3:]}")
            seen[name] = n
        time.sleep(QUIET_S)
        return seen

    def told_since(self, seen, rev, timeout=5):
        """{name: messages after `seen`}, once each subscriber has been told `rev`."""
        out = {}
        for name, c in self.clients.items():
            start = seen[name]
            out[name] = c.wait(lambda ms: ms[start:] if any(m.get("rev", 0) >= rev
                                                           for m in ms[start:]) else None, timeout)
        return out

    def delete(self, project, client_id):
        r = self.req("DELETE", f"/api/projects/{project['id']}",
                     headers={"X-Client-Id": client_id})
        self.assertEqual(r.status, 204, repr(r))
        return self.revisions()["rev"]


class QuietCascade(OriginCase):
    def test_own_cascading_delete_is_one_refresh_all_with_origin_every_time(self):
        failures = []
        for i in range(ROUNDS):
            tab = f"tab-{i}"
            p = self.tree(f"maker-{i}", f"r{i}")
            seen = self.quiet()
            rev = self.delete(p, tab)
            expected = [{"type": "refresh", "entity": "all", "rev": rev, "origin": tab}]
            for name, got in self.told_since(seen, rev).items():
                if got != expected:
                    failures.append((i, name, got))
        self.assertEqual(failures, [], f"{len(failures)} of {2 * ROUNDS} deliveries were not one "
                                       f"`all` with the deleting tab's id")


class DatagramsOnTheirWay(OriginCase):
    def relay(self, rule):
        relay = DatagramRelay(self.stack.signal_socket, rule)
        self.addCleanup(relay.close)

    def test_a_read_ahead_of_a_datagram_waits_for_it(self):
        p = self.tree("tab-a", "deleted")
        q = self.tree("tab-a", "edited")
        seen = self.quiet()
        # The edit's datagram is held back, the delete's is not: the daemon is woken by the
        # delete and reads both commits while the edit's datagram is still on its way.
        self.relay(lambda signal: HOLD_S if signal["entity"] == "projects" else 0)
        edit = self.ok("PATCH", f"/api/projects/{q['id']}", json={"name": "edited 2"},
                       headers={"X-Client-Id": "tab-a"})
        rev = self.delete(p, "tab-a")
        self.assertEqual(rev, edit["rev"] + 1)
        for name, got in self.told_since(seen, rev).items():
            self.assertTrue(got, f"{name} was told nothing")
            self.assertEqual(got[-1], {"type": "refresh", "entity": "all", "rev": rev,
                                       "origin": "tab-a"}, f"{name}: {got}")
            self.assertEqual([m for m in got if m.get("origin") != "tab-a"], [],
                             f"{name}: a change by tab-a went out without its id: {got}")

    def test_a_datagram_that_never_comes_delays_the_change_but_loses_nothing(self):
        p = self.tree("tab-b", "lost")
        seen = self.quiet()
        self.relay(lambda signal: None)  # every datagram is lost
        start = time.monotonic()
        rev = self.delete(p, "tab-b")
        for name, got in self.told_since(seen, rev).items():
            # Nothing says who made it, so nobody may skip it.
            self.assertEqual(got, [{"type": "refresh", "entity": "all", "rev": rev}], name)
        # Seen by a safety tick (1 s) and announced when its grace (one more tick) ends.
        self.assertLess(time.monotonic() - start, 4)


if __name__ == "__main__":
    unittest.main()
