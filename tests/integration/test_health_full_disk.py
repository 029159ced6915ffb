"""Issue #19, item 3: `/api/health` tells whether writes can succeed, on a real full filesystem
(docs/api.md "Revisions and health", docs/storage.md "Readiness"). The database lives on a small
tmpfs that a file then fills: writes answer 503 with Retry-After, health answers 503 with
`"storage":"disk_full"` from every worker, reads still work; once the file is gone, health is
ok again and writes succeed, without a restart. Nothing acknowledged is lost, nothing refused is
stored, and the file is sound."""
import os
import unittest

from full_disk import fill, mount_small_tmpfs
from livesync_stack import Stack
from postconditions import assert_sound

WORKERS = 2


@unittest.skipUnless(os.geteuid() == 0, "needs root: mounts a small tmpfs and fills it")
class HealthOnFullDisk(unittest.TestCase):
    def health(self, s):
        """Asks often enough that nginx reaches both workers; returns every answer."""
        return [s.request("GET", "/api/health") for _ in range(4 * WORKERS)]

    def assertRetryLater(self, r):
        self.assertEqual(r.status, 503, repr(r))
        self.assertEqual(r.headers.get("retry-after"), "1")
        self.assertEqual(r.json()["error"]["code"], "unavailable")

    def test_health_is_not_ready_on_a_full_disk_and_ready_again_once_space_is_back(self):
        mnt = mount_small_tmpfs(self, "16m")
        # Readiness asks for 1 MiB here (64 by default), so a 16 MiB disk is ready until filled.
        db = os.path.join(mnt, "livesync.db")
        s = Stack(workers=WORKERS, config={"database": db, "storage_min_free_mb": 1})
        s.start()
        self.addCleanup(s.stop)
        s.db_path = db  # for assert_sound
        for r in self.health(s):
            self.assertEqual(r.status, 200, repr(r))
            self.assertEqual(r.json()["status"], "ok")
        acked = [s.request("POST", "/api/projects", json={"name": f"before {i}"}).json()
                 for i in range(3)]

        filler = os.path.join(mnt, "filler")
        fill(filler)
        for r in self.health(s):
            self.assertRetryLater(r)
            body = r.json()
            self.assertEqual(body["status"], "unavailable")
            self.assertEqual(body["storage"], "disk_full")
            self.assertEqual(body["error"]["details"], {"storage": "disk_full"})
            self.assertIn("storage_min_free_mb", body["error"]["message"])
            self.assertEqual(body["rev"], acked[-1]["rev"])
        # SQLite rewrites its log in place, so a write may still fit; soon one does not.
        refused = []
        for i in range(20):
            name = f"while full {i}"
            r = s.request("POST", "/api/projects", timeout=15,
                          json={"name": name, "description": name * (9000 // len(name))})
            if r.status == 201:
                acked.append(r.json())
            else:
                self.assertRetryLater(r)
                refused.append(name)
                break
        self.assertTrue(refused, "every write succeeded on a full disk")
        r = s.request("GET", "/api/projects")
        self.assertEqual(r.status, 200, "a read failed on a full disk")

        os.unlink(filler)
        for r in self.health(s):
            self.assertEqual(r.status, 200, repr(r))
            self.assertEqual(r.json(), {"status": "ok", "rev": acked[-1]["rev"]})
        r = s.request("POST", "/api/projects", json={"name": "after"})
        self.assertEqual(r.status, 201, repr(r))
        acked.append(r.json())

        stored = {row["id"]: row for row in s.request("GET", "/api/projects").json()["items"]}
        self.assertEqual(list(stored.values()), acked, "acknowledged writes lost or refused stored")
        self.assertEqual(s.request("GET", "/api/revisions").json()["rev"], acked[-1]["rev"],
                         "a refused write took a revision")
        assert_sound(self, s)


if __name__ == "__main__":
    unittest.main()
