"""Issue #19, item 5: an I/O error on fsync. The database lives on faultfs; while it fails every
fsync/fdatasync with EIO (and, like Linux after a writeback error, forgets the data it should have
written), every write — alone or in a group-commit batch — answers 503 with Retry-After, never a
2xx or a 500, while reads are still answered. Once the fault is cleared, writes succeed again on
both workers without a restart. After a pool restart, and again after a power cut, every
acknowledged write is there.

A 503 from a failed COMMIT cannot promise that nothing changed: SQLite has written the
transaction's frames to the WAL before the fsync failed, and when every connection is gone (a pool
restart) WAL recovery finds them complete and applies them (Linux keeps the unwritten pages
readable after a writeback error, and so does faultfs). Such a 503 therefore says
`details.committed: "unknown"`; a refused write found in the database after a restart must have
been answered so, and none is there twice."""
import signal
import threading
import unittest

from faultfs import FaultFs, unavailable
from livesync_stack import Stack
from postconditions import assert_sound

WAL = "/livesync.db-wal"


class FsyncEio(unittest.TestCase):
    def setUp(self):
        reason = unavailable()
        if reason:
            self.skipTest(reason)
        self.fs = FaultFs()
        self.addCleanup(self.fs.stop)
        self.fs.mount()
        self.stack = Stack(daemon=False, workers=2, config={"database": self.fs.path("livesync.db")})
        self.addCleanup(self.stack.stop)
        self.stack.start()
        self.acked = {}  # id -> name

    def concurrently(self, threads, per_thread, prefix):
        """`threads` × `per_thread` POSTs of projects named `prefix` w-i; returns the answers."""
        answers, lock = [], threading.Lock()

        def writer(w):
            conn = self.stack.connection()
            try:
                for i in range(per_thread):
                    name = f"{prefix} {w}-{i}"
                    r = self.stack.request("POST", "/api/projects", conn=conn,
                                           json={"name": name})
                    with lock:
                        answers.append((name, r))
            finally:
                conn.close()

        ts = [threading.Thread(target=writer, args=(w,)) for w in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        return answers

    def acknowledge(self, answers):
        for name, r in answers:
            self.assertEqual(r.status, 201, f"{name}: {r!r}")
            self.acked[r.json()["id"]] = name

    def assertAcknowledgedOnly(self, base_id):
        r = self.stack.request("GET", "/api/projects")
        self.assertEqual(r.status, 200, r)
        rows = {row["id"]: row for row in r.json()["items"]}
        for row_id, name in self.acked.items():
            self.assertIn(row_id, rows, f"acknowledged {name!r} is gone")
            self.assertEqual(rows[row_id]["name"], name)
        names = [row["name"] for row in rows.values()]
        self.assertEqual(len(names), len(set(names)), "a row stored twice")
        unknown = {row_id for row_id, row in rows.items() if row_id not in self.acked}
        self.assertTrue(all(rows[i]["name"].startswith("refused") for i in unknown),
                        "rows nobody asked for")
        if rows[base_id]["description"]:
            self.assertEqual(rows[base_id]["description"], "refused")

    def assertCommitUnknown(self, r, name):
        self.assertEqual(r.status, 503, f"{name}: {r!r}")
        error = r.json()["error"]
        self.assertEqual(error["code"], "unavailable", r)
        self.assertEqual(error["details"], {"committed": "unknown"}, r)
        self.assertTrue(r.headers.get("retry-after", "").isdigit(), r.headers)

    def restart_pool(self):
        self.stack.kill("fcgi", signal.SIGKILL)
        self.stack.start_fcgi()
        self.stack.wait_ready()

    def test_failed_fsync_answers_503_and_loses_nothing_acknowledged(self):
        self.acknowledge(self.concurrently(1, 10, "before"))
        base_id = next(iter(self.acked))

        self.fs.mode("eio")
        refused = self.concurrently(6, 3, "refused")
        refused.append(("PATCH", self.stack.request("PATCH", f"/api/projects/{base_id}",
                                                    json={"description": "refused"})))
        for name, r in refused:
            self.assertCommitUnknown(r, name)
        self.assertEqual(self.stack.request("GET", f"/api/projects/{base_id}").status, 200,
                         "reads are answered while fsync fails")
        failed = sum(u["failed_syncs"] for (pid, path), u in self.fs.stats().items()
                     if path == WAL)
        self.assertGreaterEqual(failed, 1, "the writes did meet the fault")

        self.fs.mode("normal")
        self.acknowledge(self.concurrently(8, 5, "after"))
        self.assertAcknowledgedOnly(base_id)

        self.restart_pool()
        self.assertAcknowledgedOnly(base_id)
        self.stack.kill("fcgi", signal.SIGKILL)
        self.fs.cut()
        self.fs.mount()
        self.stack.start_fcgi()
        self.stack.wait_ready()
        self.assertAcknowledgedOnly(base_id)
        assert_sound(self, self.stack)

    def test_a_write_refused_after_a_failed_fsync_can_reappear_and_was_told_so(self):
        self.acknowledge(self.concurrently(1, 3, "before"))
        self.fs.mode("eio")
        name, r = self.concurrently(1, 1, "refused")[0]
        self.fs.mode("normal")
        self.restart_pool()  # no write in between overwrites its frames in the WAL
        stored = [row for row in self.stack.request("GET", "/api/projects").json()["items"]
                  if row["name"] == name]
        self.assertLessEqual(len(stored), 1, stored)
        if stored:
            self.assertCommitUnknown(r, name)
        self.acknowledge(self.concurrently(2, 3, "after"))
        self.restart_pool()
        self.assertAcknowledgedOnly(next(iter(self.acked)))
        assert_sound(self, self.stack)


if __name__ == "__main__":
    unittest.main()
