"""List counts over the real stack (docs/api.md, "Counts"): `count=1` adds `"total"`, the number of
rows the filters (and the parent filter) match across every page, to a page, a whole list or a
`since=` delta; it is read in the same snapshot as the rows and `rev` (checked under concurrent
writers), follows creates, edits, deletes, cascades and imports made elsewhere, has its own
ETag, and a bad value is a 422 naming `count`. A request that does not ask gets the answer it
always got."""
import threading
import unittest
import uuid

from api_client import ApiCase
from csv_client import CsvCase, csv_text


class Totals(CsvCase):
    def setUp(self):
        super().setUp()
        self.tag = uuid.uuid4().hex[:8]  # names and owners unique to this test

    def total(self, path):
        body = self.ok("GET", path + ("&" if "?" in path else "?") + "count=1")
        self.assertIsInstance(body["total"], int, body)
        return body["total"]

    def walk(self, path):
        """Every row of a filtered list, paged by 2 newest first: the number the total must be."""
        seen, after = 0, None
        while True:
            body = self.ok("GET", f"{path}&limit=2&order=desc" + (f"&after={after}" if after else ""))
            seen += len(body["items"])
            after = body["next"]
            if after is None:
                return seen

    def test_the_total_counts_every_page_of_the_filter_from_the_first_page_on(self):
        t = self.tag
        p = self.project(owner=f"ann{t}", status="active", name=f"Alpha {t}")
        for i in range(6):
            self.project(owner=f"ann{t}", status=["active", "done"][i % 2], name=f"alpha {t} {i}")
        self.project(owner=f"bob{t}", status="active", name=f"ALPHA {t}")
        cases = {
            f"/api/projects?owner=ann{t}": 7,
            f"/api/projects?owner=ann{t}&status=active": 4,
            f"/api/projects?q=alpha%20{t}": 8,
            f"/api/projects?q=ALPHA%20{t}&owner=bob{t}": 1,
            f"/api/projects?q=ALPHA%20{t}&status=done": 3,
            f"/api/projects?owner=ANN{t}": 0,  # owner is exact
        }
        for path, n in cases.items():
            with self.subTest(path=path):
                first = self.ok("GET", f"{path}&limit=2&order=desc&count=1")
                self.assertEqual(first["total"], n)
                self.assertEqual(set(first), {"items", "rev", "next", "total"})
                self.assertEqual(self.walk(path), n)
        # With the parent filter, for the children.
        s1 = self.solution(p["id"], status="done")
        self.solution(p["id"], status="active")
        self.solution(status="done")  # another project's
        self.assertEqual(self.total(f"/api/solutions?project_id={p['id']}&limit=1"), 2)
        self.assertEqual(self.total(f"/api/solutions?project_id={p['id']}&status=done"), 1)
        for i in range(3):
            self.subcomponent(s1["id"], owner=f"cy{t}", status="on_hold" if i else "planned")
        self.assertEqual(self.total(f"/api/subcomponents?solution_id={s1['id']}&owner=cy{t}"), 3)
        self.assertEqual(self.total(
            f"/api/subcomponents?solution_id={s1['id']}&owner=cy{t}&status=on_hold&limit=1"), 2)
        # Unfiltered: the whole table, as a plain list counts it.
        everything = len(self.ok("GET", "/api/projects")["items"])
        self.assertEqual(self.total("/api/projects?limit=1"), everything)

    def test_a_whole_list_with_count_has_total_equal_to_its_rows(self):
        p = self.project()
        for _ in range(3):
            self.solution(p["id"])
        body = self.ok("GET", f"/api/solutions?project_id={p['id']}&count=1")
        self.assertEqual(body["total"], 3)
        self.assertEqual(len(body["items"]), 3)
        self.assertIsNone(body["next"])

    def test_a_delta_with_count_carries_the_total_after_changes_made_elsewhere(self):
        t = self.tag
        path = f"/api/projects?owner=dd{t}&status=active"
        rows = [self.project(owner=f"dd{t}", status="active") for _ in range(4)]
        first = self.ok("GET", f"{path}&limit=2&order=desc&count=1")
        self.assertEqual(first["total"], 4)
        r = first["rev"]

        def delta():
            nonlocal r
            body = self.ok("GET", f"{path}&since={r}&count=1")
            self.assertEqual(set(body), {"items", "deleted", "rev", "total"}, body)
            self.assertEqual(body["rev"], self.revisions()["projects"])
            r = body["rev"]
            return body

        self.project(owner=f"dd{t}", status="active")
        self.project(owner=f"dd{t}", status="done")  # created outside the filter
        self.assertEqual(delta()["total"], 5)
        self.ok("DELETE", f"/api/projects/{rows[0]['id']}", status=204)
        self.assertEqual(delta()["total"], 4)
        self.ok("PATCH", f"/api/projects/{rows[1]['id']}", json={"status": "on_hold"})  # leaves it
        body = delta()
        self.assertEqual((body["total"], body["deleted"]), (3, [rows[1]["id"]]))
        self.ok("PATCH", f"/api/projects/{rows[2]['id']}", json={"name": "renamed"})  # stays
        self.assertEqual(delta()["total"], 3)
        # A CSV import is one transaction: the next delta counts all its rows.
        self.import_ok("projects", csv_text([["name", "status", "owner"]] +
                                            [[f"imp{i}", "active", f"dd{t}"] for i in range(5)]))
        body = delta()
        self.assertEqual((body["total"], len(body["items"])), (8, 5))
        # Nothing changed: the same total, no rows.
        body = delta()
        self.assertEqual((body["items"], body["deleted"], body["total"]), ([], [], 8))
        self.assertEqual(self.walk(path), 8)

    def test_a_cascade_delete_moves_the_childrens_total(self):
        p = self.project()
        keep = self.solution(p["id"])
        s = self.solution(p["id"])
        for _ in range(3):
            self.subcomponent(s["id"])
        self.subcomponent(keep["id"])
        r = self.revisions()["subcomponents"]
        self.assertEqual(self.total(f"/api/subcomponents?solution_id={keep['id']}"), 1)
        before = self.total("/api/subcomponents?limit=1")
        self.ok("DELETE", f"/api/solutions/{s['id']}", status=204)
        body = self.ok("GET", f"/api/subcomponents?since={r}&count=1")
        self.assertEqual(body["total"], before - 3)
        self.assertEqual(len(body["deleted"]), 3)
        self.ok("DELETE", f"/api/projects/{p['id']}", status=204)
        self.assertEqual(self.total(f"/api/subcomponents?solution_id={keep['id']}"), 0)
        self.assertEqual(self.total(f"/api/solutions?project_id={p['id']}"), 0)

    def test_answers_that_do_not_ask_are_unchanged(self):
        self.project()
        self.assertEqual(set(self.ok("GET", "/api/projects")), {"items", "rev"})
        self.assertEqual(set(self.ok("GET", "/api/projects?limit=1")), {"items", "rev", "next"})
        r = self.revisions()["rev"]
        self.assertEqual(set(self.ok("GET", f"/api/projects?since={r}")), {"items", "deleted", "rev"})

    def test_a_counted_list_has_its_own_strong_tag_and_304(self):
        self.project(status="done")
        tags = set()
        for path in ("/api/projects?limit=1", "/api/projects?limit=1&count=1",
                     "/api/projects?count=1", "/api/projects?status=done&count=1"):
            r = self.req("GET", path)
            self.assertEqual(r.status, 200, path)
            tag = r.headers["etag"]
            tags.add(tag)
            r304 = self.req("GET", path, headers={"If-None-Match": tag})
            self.assertEqual((r304.status, r304.headers["etag"]), (304, tag), path)
        self.assertEqual(len(tags), 4)
        # The same request spelled differently shares the tag.
        a = self.req("GET", "/api/projects?count=1&status=done").headers["etag"]
        b = self.req("GET", "/api/projects?status=done&count=1").headers["etag"]
        self.assertEqual(a, b)
        # Any change of the entity moves it, and the total with it.
        n = self.total("/api/projects?status=done")
        self.project(status="active")
        r = self.req("GET", "/api/projects?status=done&count=1", headers={"If-None-Match": a})
        self.assertEqual((r.status, r.json()["total"]), (200, n))

    def test_a_bad_count_is_a_422_naming_it_and_changes_nothing(self):
        before = self.revisions()
        for query in ("count=0", "count=", "count=true", "count=2", "count=01", "count=1&count=1",
                      "limit=5&count=yes", "since=1&count=-1"):
            for entity in ("projects", "solutions", "subcomponents"):
                with self.subTest(entity=entity, query=query):
                    r = self.req("GET", f"/api/{entity}?{query}")
                    self.assertError(r, 422, "invalid_query", fields=["count"])
        self.assertEqual(self.revisions(), before)


class ResetHasNoTotal(ApiCase):
    config = {"tombstone_horizon_revs": 2}

    def test_a_since_beyond_the_horizon_answers_reset_only(self):
        r = self.revisions()["rev"]
        for _ in range(3):
            self.project()
        now = self.revisions()
        self.assertEqual(self.ok("GET", f"/api/projects?since={r}&count=1"),
                         {"reset": True, "rev": now["projects"]})


class Snapshot(ApiCase):
    workers = 2

    def test_the_total_is_of_the_same_snapshot_as_the_rows_and_rev(self):
        """A whole list with count=1 read while others create and delete: its total is always the
        number of its rows; and the delta since its rev, taken when writers are quiet, brings the
        total of the current list. A count from another snapshot (or a cached count of another
        revision) would drift from both."""
        gate = threading.Lock()
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
                        if s["id"] % 3:
                            self.stack.request("DELETE", f"/api/solutions/{s['id']}")
            except Exception as e:  # reported after the join
                errors.append(e)

        threads = [threading.Thread(target=writer) for _ in range(3)]
        for t in threads:
            t.start()
        try:
            start = self.revisions()["rev"]
            for i in range(10):
                read = self.ok("GET", f"{base}&count=1" + ("&status=planned" if i % 2 else ""))
                self.assertEqual(read["total"], len(read["items"]))
                since = self.ok("GET", f"{base}&since={start}&count=1")  # while they write
                with gate:
                    delta = self.ok("GET", f"{base}&since={since['rev']}&count=1")
                    current = self.ok("GET", f"{base}&count=1")
                self.assertEqual(delta["rev"], current["rev"])
                self.assertEqual(delta["total"], len(current["items"]))
        finally:
            stop.set()
            for t in threads:
                t.join()
        self.assertEqual(errors, [])


if __name__ == "__main__":
    unittest.main()
