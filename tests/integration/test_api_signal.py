"""The change signal over the real stack: a test socket bound at the stack's signal_socket path
receives exactly one datagram per committed mutating request (entity, new global rev, the
request's X-Client-Id), none for reads or rejected requests, `all` for cascading deletes; and with
nothing listening, or a receiver that never reads, every request still succeeds."""
import json
import os
import socket
import time
import unittest

from api_client import ApiCase


class SignalCase(ApiCase):
    def setUp(self):
        super().setUp()
        if os.path.exists(self.stack.signal_socket):
            os.unlink(self.stack.signal_socket)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.stack.signal_socket)
        self.addCleanup(self.close_receiver)

    def close_receiver(self):
        self.sock.close()
        if os.path.exists(self.stack.signal_socket):
            os.unlink(self.stack.signal_socket)

    def receive(self, timeout):
        self.sock.settimeout(timeout)
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        self.assertLessEqual(len(data), 512)
        return json.loads(data)

    def marker(self):
        """A mutation whose datagram marks the end of what came before. Returns its rev."""
        r = self.req("POST", "/api/projects", json={"name": "marker"},
                     headers={"X-Client-Id": "marker"})
        self.assertEqual(r.status, 201, repr(r))
        return r.json()["rev"]

    def signals_until_marker(self):
        """Every datagram up to and including the marker's, sorted by rev (the pool's workers send
        independently, so arrival order of datagrams from two workers is not guaranteed)."""
        rev = self.marker()
        got = []
        deadline = time.monotonic() + 5
        while not any(s["rev"] == rev and s["origin"] == "marker" for s in got):
            left = deadline - time.monotonic()
            self.assertGreater(left, 0, f"no datagram for the marker (rev {rev}); got {got}")
            s = self.receive(left)
            if s is not None:
                got.append(s)
        return sorted((s for s in got if s["rev"] != rev), key=lambda s: s["rev"])

    def expect(self, method, path, entity, client_id=None, status=None, **kw):
        """Makes one mutating request and checks it produced exactly one datagram for `entity` at
        the new global rev with the right origin. Returns the response."""
        headers = dict(kw.pop("headers", {}))
        if client_id is not None:
            headers["X-Client-Id"] = client_id
        before = self.revisions()["rev"]
        r = self.req(method, path, headers=headers, **kw)
        if status is not None:
            self.assertEqual(r.status, status, repr(r))
        self.assertLess(r.status, 300, repr(r))
        signals = self.signals_until_marker()
        self.assertEqual(len(signals), 1, f"{method} {path}: {signals}")
        s = signals[0]
        origin = client_id if client_id is not None else ""
        self.assertEqual(s, {"v": 1, "entity": entity, "rev": before + 1, "origin": origin},
                         f"{method} {path}")
        return r


class Datagrams(SignalCase):
    def test_one_datagram_per_mutation_with_entity_rev_and_origin(self):
        p = self.expect("POST", "/api/projects", "projects", "tab-1", 201,
                        json={"name": "p"}).json()
        s = self.expect("POST", "/api/solutions", "solutions", "tab-2", 201,
                        json={"name": "s", "project_id": p["id"]}).json()
        c = self.expect("POST", "/api/subcomponents", "subcomponents", "tab.3_x-Y", 201,
                        json={"name": "c", "solution_id": s["id"],
                              "checklist": [{"label": "a", "done": False}]}).json()
        self.expect("PATCH", f"/api/projects/{p['id']}", "projects", None, 200,
                    json={"name": "p2"})
        self.expect("PATCH", f"/api/solutions/{s['id']}", "solutions", "t", 200,
                    json={"status": "active"})
        self.expect("PATCH", f"/api/subcomponents/{c['id']}", "subcomponents", "t", 200,
                    json={"owner": "o"})
        self.expect("PUT", f"/api/solutions/{s['id']}/phases/deploy", "solutions", "t", 200,
                    json={"enabled": False})
        self.expect("PUT", f"/api/subcomponents/{c['id']}/checklist", "subcomponents", "t", 200,
                    json={"items": [{"label": str(i), "done": True} for i in range(20)]})
        self.expect("DELETE", f"/api/subcomponents/{c['id']}", "subcomponents", "t", 204)

    def test_origin_is_the_client_id_only_when_well_formed(self):
        for raw, expected in (("a" * 64, "a" * 64), ("a" * 65, ""), ("bad id", ""),
                              ("tab/1", ""), ("tab:1", ""), ("é", ""), ('"x"', ""),
                              ("A.b_c-9", "A.b_c-9")):
            with self.subTest(client_id=raw):
                before = self.revisions()["rev"]
                r = self.req("POST", "/api/projects", json={"name": "o"},
                             headers={"X-Client-Id": raw})
                self.assertEqual(r.status, 201, repr(r))
                signals = self.signals_until_marker()
                self.assertEqual(signals, [{"v": 1, "entity": "projects", "rev": before + 1,
                                            "origin": expected}])

    def test_cascading_deletes_announce_all(self):
        # A project with a solution (no subcomponents).
        p = self.project()
        self.solution(p["id"])
        self.signals_until_marker()
        self.expect("DELETE", f"/api/projects/{p['id']}", "all", "tab-9", 204)
        # A project with a solution with a subcomponent.
        sub = self.subcomponent()
        p_id = self.get("solutions", sub["solution_id"])["project_id"]
        self.signals_until_marker()
        self.expect("DELETE", f"/api/projects/{p_id}", "all", None, 204)
        # A solution with a subcomponent.
        sub = self.subcomponent()
        self.signals_until_marker()
        self.expect("DELETE", f"/api/solutions/{sub['solution_id']}", "all", "x", 204)

    def test_deletes_without_children_announce_their_entity(self):
        p = self.project()
        s = self.solution()
        self.signals_until_marker()
        self.expect("DELETE", f"/api/projects/{p['id']}", "projects", "x", 204)
        self.expect("DELETE", f"/api/solutions/{s['id']}", "solutions", "x", 204)

    def test_reads_rejected_and_no_op_requests_send_nothing(self):
        sub = self.subcomponent(owner="o")
        s = self.get("solutions", sub["solution_id"])
        p = self.get("projects", s["project_id"])
        self.signals_until_marker()
        evil = {"Origin": "https://evil.example", "X-Client-Id": "evil"}
        requests = [
            ("GET", "/api/projects", {}), ("GET", f"/api/projects/{p['id']}", {}),
            ("HEAD", "/api/solutions", {}), ("GET", "/api/revisions", {}),
            ("GET", "/api/health", {}),
            ("GET", "/api/projects", {"headers": {"If-None-Match": "*"}}),
            ("POST", "/api/projects", {"json": {"name": ""}}),
            ("POST", "/api/projects", {"json": {"name": "x"}, "headers": evil}),
            ("DELETE", f"/api/projects/{p['id']}", {"headers": evil}),
            ("POST", "/api/projects", {"body": "{", "content_type": "application/json"}),
            ("POST", "/api/projects", {"body": '{"name":"x"}', "content_type": "text/plain"}),
            ("PATCH", f"/api/projects/{p['id']}", {"json": {"name": "y"},
                                                    "headers": {"If-Match": '"1"'}}),
            ("PATCH", "/api/projects/987654321", {"json": {"name": "y"}}),
            ("DELETE", "/api/projects/987654321", {}),
            ("PUT", "/api/projects", {"json": {}}),
            ("PUT", f"/api/solutions/{s['id']}/phases/nope", {"json": {"enabled": True}}),
            ("PUT", f"/api/subcomponents/{sub['id']}/checklist", {"json": {"items": [{}]}}),
            ("POST", "/api/solutions", {"json": {"name": "x", "project_id": 987654321}}),
            # Changes nothing: no revision, no signal.
            ("PATCH", f"/api/projects/{p['id']}", {"json": {}}),
            ("PATCH", f"/api/subcomponents/{sub['id']}", {"json": {"owner": "o"}}),
            ("PATCH", f"/api/solutions/{s['id']}", {"json": {"name": s["name"]}}),
        ]
        before = self.revisions()
        for method, path, kw in requests:
            r = self.req(method, path, **kw)
            self.assertLess(r.status, 500, f"{method} {path}: {r!r}")
        self.assertEqual(self.revisions(), before)
        self.assertEqual(self.signals_until_marker(), [])


class NobodyListening(ApiCase):
    def crud_round(self, tag):
        p = self.project(name=tag)
        s = self.solution(p["id"])
        sub = self.subcomponent(s["id"])
        self.ok("PATCH", f"/api/subcomponents/{sub['id']}", json={"name": tag + "2"})
        self.ok("PUT", f"/api/solutions/{s['id']}/phases/test", json={"enabled": False})
        self.ok("DELETE", f"/api/projects/{p['id']}", status=204)

    def test_no_socket_file(self):
        self.assertFalse(os.path.exists(self.stack.signal_socket))
        for i in range(3):
            self.crud_round(f"nobody {i}")

    def test_stale_socket_file_with_no_reader(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(self.stack.signal_socket)
        sock.close()  # the path remains, nobody is bound: ECONNREFUSED
        try:
            for i in range(3):
                self.crud_round(f"stale {i}")
        finally:
            os.unlink(self.stack.signal_socket)

    def test_receiver_that_never_reads(self):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1)
        sock.bind(self.stack.signal_socket)
        try:
            # Far more datagrams than the queue holds: the sender must drop, never block.
            for i in range(40):
                r = self.req("POST", "/api/projects", json={"name": f"flood {i}"}, timeout=10)
                self.assertEqual(r.status, 201, repr(r))
            before = self.revisions()["rev"]
            self.crud_round("after flood")
            self.assertEqual(self.revisions()["rev"], before + 6)
        finally:
            sock.close()
            os.unlink(self.stack.signal_socket)


if __name__ == "__main__":
    unittest.main()
