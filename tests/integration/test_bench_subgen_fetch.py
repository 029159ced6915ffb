"""The large-list benchmark's subscribers (livesync-subgen's fetch modes, bench/biglist/) against
the real stack: each keeps the list as the browser does and, after a change, holds the list at
the change's revision, fetched with one small delta (delta mode) or the whole list (full mode);
an event that did not move the projects costs a full-mode page a 304 and moves nothing it
holds. The figures of bench/biglist/run.py are only as good as these counts."""
import json
import os
import subprocess
import time

from api_client import ApiCase
from csv_client import csv_text
from livesync_stack import BUILD_DIR

SUBGEN = os.path.join(BUILD_DIR, "bench", "subscribers", "subgen", "livesync-subgen")
PAGES = 3
ROWS = 150  # more than the first page's 100


class Generator:
    """One livesync-subgen process in a fetch mode, driven over its stdin."""

    def __init__(self, stack, mode):
        self.proc = subprocess.Popen([SUBGEN, str(stack.port), "ws", stack.origin, "127.0.0.1",
                                      "hello", "0", mode],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.held = None  # per subscriber, every (rev, ms) dumped so far

    def ask(self, cmd):
        self.proc.stdin.write(json.dumps(cmd) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def dump(self):
        answer = self.ask({"cmd": "dump"})
        if self.held is None:
            self.held = [[] for _ in answer["held"]]
        for mine, new in zip(self.held, answer["held"]):
            mine += [tuple(h) for h in new]
        return answer

    def close(self):
        self.proc.stdin.close()
        rc = self.proc.wait(timeout=30)
        self.proc.stdout.close()
        return rc


class SubgenFetch(ApiCase):
    daemon = True

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        rows = [["name", "owner"]] + [[f"project {i}", "ann"] for i in range(ROWS)]
        r = cls.stack.request("POST", "/api/import/projects", body=csv_text(rows),
                              content_type="text/csv")
        assert r.status == 200, r

    def projects_rev(self):
        return self.req("GET", "/api/projects?limit=1&order=desc").json()["rev"]

    def open(self, mode):
        gen = Generator(self.stack, mode)
        self.addCleanup(lambda: self.assertEqual(gen.close(), 0, "subgen exited with an error"))
        opened = gen.ask({"cmd": "open", "count": PAGES, "parallel": PAGES})
        self.assertEqual((opened["open"], opened["failed"]), (PAGES, 0), opened)
        # Ready means loaded: each holds the list at the current revision.
        loads = gen.dump()
        self.assertEqual([h[-1][0] for h in gen.held], [self.projects_rev()] * PAGES)
        self.assertEqual(loads["fetch"]["responses"], PAGES)
        return gen

    def wait_held(self, gen, rev, timeout=20):
        """Dumps until every subscriber holds `rev` or later; returns the fetch counts since the
        last dump before the wait."""
        totals = {"responses": 0, "wire_bytes": 0, "head_bytes": 0, "decoded_bytes": 0,
                  "status": {}}

        def add(fetch):
            self.assertEqual(fetch["errors"], {})
            for k in ("responses", "wire_bytes", "head_bytes", "decoded_bytes"):
                totals[k] += fetch[k]
            for k, v in fetch["status"].items():
                totals["status"][k] = totals["status"].get(k, 0) + v

        deadline = time.time() + timeout
        while True:
            add(gen.dump()["fetch"])
            if all(h and h[-1][0] >= rev for h in gen.held):
                # A second fetch for the same change would land now, and be counted.
                time.sleep(0.3)
                add(gen.dump()["fetch"])
                return totals
            self.assertLess(time.time(), deadline, f"not every page holds rev {rev}: {gen.held}")
            time.sleep(0.05)

    def newest(self):
        return self.req("GET", "/api/projects?limit=1&order=desc").json()["items"][0]

    def test_delta_mode_holds_a_change_after_one_small_delta_per_page(self):
        gen = self.open("delta")
        row = self.newest()
        r = self.req("PATCH", f"/api/projects/{row['id']}", json={"name": "changed by delta"})
        self.assertEqual(r.status, 200, r)
        fetch = self.wait_held(gen, r.json()["rev"])
        self.assertEqual(fetch["responses"], PAGES)
        self.assertEqual(fetch["status"], {"200": PAGES})
        # The delta as nginx sends it to a client that accepts gzip: one row, far from a page.
        delta = self.req("GET", f"/api/projects?since={r.json()['rev'] - 1}",
                         headers={"Accept-Encoding": "gzip"})
        self.assertEqual(len(delta.json()["items"]), 1)
        self.assertEqual(fetch["decoded_bytes"], PAGES * len(delta.body))
        self.assertGreater(fetch["head_bytes"], 0)
        self.assertEqual(fetch["wire_bytes"], fetch["head_bytes"] + fetch["decoded_bytes"])

    def test_full_mode_refetches_the_whole_list_and_revalidates_an_unmoved_one(self):
        gen = self.open("full")
        row = self.newest()
        r = self.req("PATCH", f"/api/projects/{row['id']}", json={"name": "changed by full"})
        self.assertEqual(r.status, 200, r)
        fetch = self.wait_held(gen, r.json()["rev"])
        self.assertEqual(fetch["status"], {"200": PAGES})
        whole = self.req("GET", "/api/projects").json()
        self.assertEqual(len(whole["items"]), ROWS)
        self.assertEqual(fetch["decoded_bytes"],
                         PAGES * len(self.req("GET", "/api/projects").body))
        # gzip accepted and used: the wire carries less than the decoded lists.
        self.assertLess(fetch["wire_bytes"], fetch["decoded_bytes"])

        # A solution's event makes every page ask again; the projects did not move: a 304 each.
        held_before = [list(h) for h in gen.held]
        r = self.req("POST", "/api/solutions", json={"name": "s", "project_id": row["id"]})
        self.assertEqual(r.status, 201, r)
        deadline = time.time() + 20
        status = {}
        while status.get("304", 0) < PAGES:
            self.assertLess(time.time(), deadline, f"no 304 for every page: {status}")
            time.sleep(0.05)
            for k, v in gen.dump()["fetch"]["status"].items():
                status[k] = status.get(k, 0) + v
        self.assertEqual(status, {"304": PAGES})
        self.assertEqual(gen.held, held_before)
