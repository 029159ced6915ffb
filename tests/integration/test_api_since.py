"""Changes since a revision over the real stack (SPEC §3 "Large lists"): `?since=R` answers the rows
changed after R and the ids deleted (cascades included) or moved out of the filter, for every kind
of write (create, PATCH, DELETE, cascade, CSV import, phase PUT, checklist PUT); a `since` older
than the tombstone horizon or newer than the database (a restore) answers a reset; `rev` is never
newer than what the answer holds, even under concurrent writers; and since answers have ETags."""
import os
import shutil
import sqlite3
import threading
import unittest

from api_client import ApiCase, sqlite_rows, worker_pids
from livesync_stack import skip_unless_sqlite
from csv_client import CsvCase, csv_text


class Deltas(CsvCase):
    def since(self, entity, rev, extra=""):
        body = self.ok("GET", f"/api/{entity}?since={rev}{extra}")
        self.assertEqual(set(body), {"items", "deleted", "rev"}, body)
        self.assertEqual(body["rev"], self.revisions()[entity])
        ids = [row["id"] for row in body["items"]]
        self.assertEqual(ids, sorted(ids))
        return body

    def ids(self, body):
        return [row["id"] for row in body["items"]]

    def test_create_update_delete(self):
        keep, edit, gone = self.project(), self.project(), self.project()
        r = self.revisions()["rev"]
        added = self.project(name="added")
        edited = self.ok("PATCH", f"/api/projects/{edit['id']}", json={"name": "edited"})
        self.ok("DELETE", f"/api/projects/{gone['id']}", status=204)
        body = self.since("projects", r)
        self.assertEqual(body["items"], [edited, added])
        self.assertEqual(body["deleted"], [gone["id"]])
        self.assertNotIn(keep["id"], self.ids(body))
        # Nothing changed since the answer's own revision.
        self.assertEqual(self.since("projects", self.revisions()["rev"])["items"], [])

    def test_cascade_delete_reaches_the_children_deltas(self):
        p = self.project()
        s1, s2 = self.solution(p["id"]), self.solution(p["id"])
        c1, c2 = self.subcomponent(s1["id"]), self.subcomponent(s2["id"])
        other = self.subcomponent()
        r = self.revisions()["rev"]
        self.ok("DELETE", f"/api/projects/{p['id']}", status=204)
        self.assertEqual(self.since("projects", r)["deleted"], [p["id"]])
        self.assertEqual(self.since("solutions", r)["deleted"], [s1["id"], s2["id"]])
        body = self.since("subcomponents", r)
        self.assertEqual(body["deleted"], [c1["id"], c2["id"]])
        self.assertNotIn(other["id"], body["deleted"])
        # A parent-filtered delta also names them (ids deleted are not filtered by parent).
        self.assertIn(c1["id"],
                      self.since("subcomponents", r, f"&solution_id={s1['id']}")["deleted"])

    def test_phase_and_checklist_puts_and_an_import_show_up(self):
        s = self.solution()
        c = self.subcomponent(s["id"])
        r = self.revisions()["rev"]
        s_new = self.ok("PUT", f"/api/solutions/{s['id']}/phases/design", json={"enabled": False})
        c_new = self.ok("PUT", f"/api/subcomponents/{c['id']}/checklist",
                        json={"items": [{"label": "check", "done": True}]})
        self.assertEqual(self.since("solutions", r)["items"], [s_new])
        self.assertEqual(self.since("subcomponents", r)["items"], [c_new])

        r = self.revisions()["rev"]
        result = self.import_ok("projects", csv_text([["name", "status"], ["imported one", "done"],
                                                      ["imported two", ""]]))
        body = self.since("projects", r)
        self.assertEqual([row["name"] for row in body["items"]], ["imported one", "imported two"])
        self.assertTrue(all(row["rev"] == result["rev"] for row in body["items"]))
        self.assertEqual(body["deleted"], [])

    def test_a_row_moved_out_of_a_filter_is_deleted_for_that_filter(self):
        p, q = self.project(), self.project()
        a = self.solution(p["id"], status="active")
        b = self.solution(p["id"], status="active")
        moved = self.solution(p["id"], status="active")
        r = self.revisions()["rev"]
        self.ok("PATCH", f"/api/solutions/{a['id']}", json={"status": "done"})
        b_new = self.ok("PATCH", f"/api/solutions/{b['id']}", json={"name": "still active"})
        self.ok("PATCH", f"/api/solutions/{moved['id']}", json={"project_id": q["id"]})
        body = self.since("solutions", r, f"&project_id={p['id']}&status=active")
        self.assertEqual(body["items"], [b_new])
        self.assertEqual(body["deleted"], [a["id"], moved["id"]])
        # Unfiltered, nothing was deleted: all three changed.
        body = self.since("solutions", r)
        self.assertEqual(self.ids(body), [a["id"], b["id"], moved["id"]])
        self.assertEqual(body["deleted"], [])

    def test_filters_apply_to_since_items(self):
        r = self.revisions()["rev"]
        hit = self.subcomponent(owner="since-owner", name="Needle in the haystack")
        self.subcomponent(owner="since-owner", name="hay")
        body = self.since("subcomponents", r, "&owner=since-owner&q=NEEDLE")
        self.assertEqual(body["items"], [hit])

    def test_since_newer_than_the_database_is_a_reset(self):
        rev = self.revisions()
        for entity in ("projects", "solutions", "subcomponents"):
            body = self.ok("GET", f"/api/{entity}?since={rev['rev'] + 1}")
            self.assertEqual(body, {"reset": True, "rev": rev[entity]})

    def test_since_answers_have_tags_and_304(self):
        self.project()
        r = self.revisions()["rev"]
        self.project()
        resp = self.req("GET", f"/api/projects?since={r}")
        tag = resp.headers["etag"]
        self.assertEqual(self.req("GET", f"/api/projects?since={r}",
                                  headers={"If-None-Match": tag}).status, 304)
        other = self.req("GET", f"/api/projects?since={r - 1}").headers["etag"]
        self.assertNotEqual(other, tag)
        self.project()
        self.assertEqual(self.req("GET", f"/api/projects?since={r}",
                                  headers={"If-None-Match": tag}).status, 200)

    def test_the_deletes_are_logged_in_the_deleting_transaction(self):
        p = self.project()
        self.ok("DELETE", f"/api/projects/{p['id']}", status=204)
        rev = self.revisions()["rev"]
        logged = sqlite_rows(self.stack.db_path,
                             "SELECT rev FROM tombstones WHERE entity = 'projects' AND id = ?",
                             (p["id"],))
        self.assertEqual(logged, [(rev,)])


class Horizon(ApiCase):
    config = {"tombstone_horizon_revs": 3}

    def test_since_older_than_the_horizon_is_a_reset(self):
        p = self.project()
        r = self.revisions()["rev"]
        self.ok("DELETE", f"/api/projects/{p['id']}", status=204)
        self.assertEqual(self.ok("GET", f"/api/projects?since={r}")["deleted"], [p["id"]])
        for _ in range(3):
            self.project()
        now = self.revisions()
        self.assertEqual(now["rev"], r + 4)
        self.assertEqual(self.ok("GET", f"/api/projects?since={r}"),
                         {"reset": True, "rev": now["projects"]})
        self.assertEqual(self.ok("GET", f"/api/solutions?since={r}&status=done"),
                         {"reset": True, "rev": now["solutions"]})
        # Exactly at the horizon is still answered.
        body = self.ok("GET", f"/api/projects?since={now['rev'] - 3}")
        self.assertEqual(len(body["items"]), 3)


@skip_unless_sqlite("restores a backup by copying the database file")
class Restore(ApiCase):
    def test_a_restored_backup_answers_reset_to_a_page_ahead_of_it(self):
        self.project()
        backup = os.path.join(self.stack.dir, "backup.db")
        src, dst = sqlite3.connect(self.stack.db_path), sqlite3.connect(backup)
        try:
            src.backup(dst)
        finally:
            src.close()
            dst.close()
        old = self.revisions()
        for _ in range(3):
            self.project()
        seen = self.revisions()["rev"]  # what an open page has on screen

        self.stack.kill("fcgi")
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(self.stack.db_path + suffix):
                os.remove(self.stack.db_path + suffix)
        shutil.copy(backup, self.stack.db_path)
        self.stack.start_fcgi()
        self.stack.wait_ready()
        self._workers_before = worker_pids(self.stack.procs["fcgi"].pid)

        self.assertEqual(self.revisions(), old)
        self.assertEqual(self.ok("GET", f"/api/projects?since={seen}"),
                         {"reset": True, "rev": old["projects"]})
        # A page that was at the backup's own revision is simply up to date.
        self.assertEqual(self.ok("GET", f"/api/projects?since={old['rev']}"),
                         {"items": [], "deleted": [], "rev": old["projects"]})


class Snapshot(ApiCase):
    workers = 2

    def test_rev_is_never_newer_than_the_rows_under_concurrent_writers(self):
        """A list (or a page, or a delta) read while others write, brought up to date with the
        delta since its own `rev`, is exactly the current list: had `rev` been newer than the
        rows read, the delta would skip the rows in between and the two would differ."""
        gate = threading.Lock()  # held by a writer per write; taken by the test to quiesce them
        stop = threading.Event()
        errors = []
        parent = self.project()
        base = f"/api/solutions?project_id={parent['id']}"

        def writer():
            try:
                while not stop.is_set():
                    with gate:
                        s = self.create("solutions", project_id=parent["id"], name="w")
                    with gate:
                        self.stack.request("PATCH", f"/api/solutions/{s['id']}",
                                           json={"status": "done"})
                    with gate:
                        if s["id"] % 2:
                            self.stack.request("DELETE", f"/api/solutions/{s['id']}")
            except Exception as e:  # reported after the join
                errors.append(e)

        threads = [threading.Thread(target=writer) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            start = self.revisions()["rev"]
            for i in range(24):
                path = [base, base + "&limit=1000&order=desc", base + f"&since={start}"][i % 3]
                read = self.ok("GET", path)  # while the writers write
                for row in read["items"]:
                    self.assertLessEqual(row["rev"], read["rev"], path)
                with gate:  # quiet: the delta and the current list are one state
                    delta = self.ok("GET", f"{base}&since={read['rev']}")
                    current = self.ok("GET", base)
                self.assertEqual(delta["rev"], current["rev"])
                if "deleted" in read:  # a delta itself: check it against the state it leads to
                    continue
                state = {row["id"]: row for row in read["items"]}
                for gone in delta["deleted"]:
                    state.pop(gone, None)
                state.update({row["id"]: row for row in delta["items"]})
                self.assertEqual(sorted(state.values(), key=lambda r: r["id"]),
                                 current["items"], path)
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(errors, [])


if __name__ == "__main__":
    unittest.main()
