"""Conditional requests and revisions over the real stack: list and row ETags, If-None-Match → 304,
If-Match → 412 with the current row (stale, garbage), `*`, and the revision counters themselves."""
import unittest
from concurrent.futures import ThreadPoolExecutor

from api_client import ApiCase

ENTITIES = ("projects", "solutions", "subcomponents")


class ListETags(ApiCase):
    def test_list_etag_is_the_entity_revision_and_304_on_match(self):
        self.subcomponent()
        revs = self.revisions()
        for entity in ENTITIES:
            with self.subTest(entity=entity):
                r = self.req("GET", f"/api/{entity}")
                tag = f'"{revs[entity]}"'
                self.assertEqual(r.headers.get("etag"), tag)
                self.assertEqual(r.json()["rev"], revs[entity])
                for inm in (tag, f"W/{tag}", f'"nope", {tag}', f'"1" ,{tag} , "2"', "*"):
                    r304 = self.req("GET", f"/api/{entity}", headers={"If-None-Match": inm})
                    self.assertEqual(r304.status, 304, f"If-None-Match: {inm}: {r304!r}")
                    self.assertEqual(r304.body, b"")
                    self.assertEqual(r304.headers.get("etag"), tag)
                for inm in (f'"{revs[entity] + 1}"', f'"{revs[entity] - 1}"', '""', "garbage",
                            str(revs[entity]), f'W/"x{revs[entity]}"'):
                    r200 = self.req("GET", f"/api/{entity}", headers={"If-None-Match": inm})
                    self.assertEqual(r200.status, 200, f"If-None-Match: {inm}: {r200!r}")
                    self.assertEqual(r200.json()["rev"], revs[entity])

    def test_filtered_list_uses_the_entity_etag(self):
        s = self.solution()
        rev = self.revisions()["solutions"]
        r = self.req("GET", f"/api/solutions?project_id={s['project_id']}")
        self.assertEqual(r.headers.get("etag"), f'"{rev}"')
        r = self.req("GET", f"/api/solutions?project_id={s['project_id']}",
                     headers={"If-None-Match": f'"{rev}"'})
        self.assertEqual(r.status, 304)

    def test_a_change_invalidates_only_that_entity(self):
        p = self.project()
        tags = {e: self.req("GET", f"/api/{e}").headers["etag"] for e in ENTITIES}
        self.ok("PATCH", f"/api/projects/{p['id']}", json={"name": "changed"})
        r = self.req("GET", "/api/projects", headers={"If-None-Match": tags["projects"]})
        self.assertEqual(r.status, 200)
        self.assertNotEqual(r.headers["etag"], tags["projects"])
        self.assertIn("changed", [row["name"] for row in r.json()["items"]])
        for entity in ("solutions", "subcomponents"):
            r = self.req("GET", f"/api/{entity}", headers={"If-None-Match": tags[entity]})
            self.assertEqual(r.status, 304, entity)

    def test_head_honours_if_none_match(self):
        r = self.req("HEAD", "/api/projects")
        self.assertEqual(r.status, 200)
        r = self.req("HEAD", "/api/projects", headers={"If-None-Match": r.headers["etag"]})
        self.assertEqual(r.status, 304)


class RowETags(ApiCase):
    def test_row_etag_and_if_none_match(self):
        for entity, row in (("projects", self.project()), ("solutions", self.solution()),
                            ("subcomponents", self.subcomponent())):
            with self.subTest(entity=entity):
                path = f"/api/{entity}/{row['id']}"
                tag = f'"{row["rev"]}"'
                self.assertEqual(self.req("GET", path).headers.get("etag"), tag)
                for inm in (tag, f"W/{tag}", f'"0", {tag}', "*"):
                    r = self.req("GET", path, headers={"If-None-Match": inm})
                    self.assertEqual(r.status, 304, inm)
                    self.assertEqual(r.body, b"")
                    self.assertEqual(r.headers.get("etag"), tag)
                r = self.req("GET", path, headers={"If-None-Match": f'"{row["rev"] + 1}"'})
                self.assertEqual(r.status, 200)

    def test_row_etag_follows_its_own_rev_not_the_entity(self):
        a, b = self.project(), self.project()
        self.ok("PATCH", f"/api/projects/{b['id']}", json={"name": "b2"})
        r = self.req("GET", f"/api/projects/{a['id']}", headers={"If-None-Match": f'"{a["rev"]}"'})
        self.assertEqual(r.status, 304)

    def test_if_none_match_on_unknown_row_is_404(self):
        self.assertError(self.req("GET", "/api/projects/987654321",
                                  headers={"If-None-Match": "*"}), 404)


class WorkerCaches(ApiCase):
    """Each pool worker keeps rows and list bodies by entity revision and shares one read of the
    latest revisions among its threads. Whichever worker answers, a read after a write never
    gets an older answer: the reads here go out eight at a time, so that both workers' caches
    hold the row before each change."""

    def reads(self, path, headers=None):
        with ThreadPoolExecutor(8) as pool:
            return list(pool.map(lambda _: self.req("GET", path, headers=headers or {}),
                                 range(8)))

    def assert_all(self, responses, status, etag=None):
        for r in responses:
            self.assertEqual(r.status, status, repr(r))
            if etag is not None:
                self.assertEqual(r.headers.get("etag"), etag)

    def test_rows_and_lists_follow_every_change_on_every_worker(self):
        p = self.project()
        path = f"/api/projects/{p['id']}"
        for i in range(10):
            old = self.reads(path)
            self.assert_all(old, 200)
            self.reads("/api/projects?limit=5&order=desc")
            row = self.ok("PATCH", path, json={"name": f"name {i}"})
            tag = f'"{row["rev"]}"'
            for r in self.reads(path, {"If-None-Match": old[0].headers["etag"]}):
                self.assertEqual(r.status, 200, repr(r))
                self.assertEqual(r.json()["name"], f"name {i}")
                self.assertEqual(r.headers["etag"], tag)
            self.assert_all(self.reads(path, {"If-None-Match": tag}), 304, tag)
            for r in self.reads("/api/projects?limit=5&order=desc"):
                self.assertEqual(r.json()["rev"], row["rev"])
                self.assertIn(f"name {i}", [item["name"] for item in r.json()["items"]])

    def test_a_checklist_change_and_a_cascade_reach_cached_rows(self):
        sub = self.subcomponent()
        sub_path = f"/api/subcomponents/{sub['id']}"
        sol_path = f"/api/solutions/{sub['solution_id']}"
        self.assert_all(self.reads(sub_path), 200)
        self.ok("PUT", sub_path + "/checklist", json={"items": [{"label": "new", "done": True}]})
        for r in self.reads(sub_path):
            self.assertEqual([(c["label"], c["done"]) for c in r.json()["checklist"]],
                             [("new", True)])
        self.assert_all(self.reads(sol_path), 200)
        project_id = self.ok("GET", sol_path)["project_id"]
        self.ok("DELETE", f"/api/projects/{project_id}", status=204)
        self.assert_all(self.reads(sol_path), 404)
        self.assert_all(self.reads(sub_path), 404)

    def test_a_row_read_before_it_exists_is_found_once_created(self):
        p = self.project()
        missing = f"/api/projects/{p['id'] + 1}"
        self.assert_all(self.reads(missing), 404)
        created = self.ok("POST", "/api/projects", status=201, json={"name": "next"})
        self.assertEqual(created["id"], p["id"] + 1)
        self.assert_all(self.reads(missing), 200, f'"{created["rev"]}"')


class IfMatch(ApiCase):
    def rows(self):
        sub = self.subcomponent(checklist=[{"label": "a", "done": False}])
        sol = self.solution()
        return [
            ("PATCH", "projects", self.project(), {"name": "new name"}, None),
            ("PATCH", "solutions", sol, {"name": "new name"}, None),
            ("PATCH", "subcomponents", sub, {"name": "new name"}, None),
            ("PUT", "solutions", self.solution(), {"enabled": False}, "/phases/design"),
            ("PUT", "subcomponents", self.subcomponent(), {"items": [{"label": "b", "done": True}]},
             "/checklist"),
        ]

    def test_matching_if_match_applies(self):
        for method, entity, row, body, suffix in self.rows():
            path = f"/api/{entity}/{row['id']}{suffix or ''}"
            with self.subTest(path=path):
                new = self.ok(method, path, json=body, headers={"If-Match": f'"{row["rev"]}"'})
                self.assertGreater(new["rev"], row["rev"])

    def test_star_applies(self):
        for method, entity, row, body, suffix in self.rows():
            path = f"/api/{entity}/{row['id']}{suffix or ''}"
            with self.subTest(path=path):
                self.ok(method, path, json=body, headers={"If-Match": "*"})

    def test_stale_or_garbage_if_match_is_412_with_the_current_row(self):
        for method, entity, row, body, suffix in self.rows():
            path = f"/api/{entity}/{row['id']}{suffix or ''}"
            # Someone else changes the row first.
            current = self.ok("PATCH", f"/api/{entity}/{row['id']}", json={"owner": "other"}
                              if entity != "solutions" else {"description": "other"})
            before = self.revisions()
            for if_match in (f'"{row["rev"]}"', f'W/"{current["rev"]}"', "garbage", '""',
                             str(current["rev"]), f'"{current["rev"] + 1}"', f'"{row["rev"]}x"'):
                with self.subTest(path=path, if_match=if_match):
                    r = self.req(method, path, json=body, headers={"If-Match": if_match})
                    err = self.assertError(r, 412, "precondition_failed")
                    self.assertIsInstance(err["details"], dict)
                    self.assertEqual(err["details"].get("current"), current)
            self.assertEqual(self.revisions(), before)
            self.assertEqual(self.get(entity, row["id"]), current)

    def test_if_match_list_with_the_current_tag_applies(self):
        row = self.project()
        self.ok("PATCH", f"/api/projects/{row['id']}", json={"name": "x"},
                headers={"If-Match": f'"999999", "{row["rev"]}"'})

    def test_stale_if_match_on_delete_keeps_the_row(self):
        for entity, row in (("projects", self.project()), ("solutions", self.solution()),
                            ("subcomponents", self.subcomponent())):
            with self.subTest(entity=entity):
                current = self.ok("PATCH", f"/api/{entity}/{row['id']}", json={"name": "moved on"})
                r = self.req("DELETE", f"/api/{entity}/{row['id']}",
                             headers={"If-Match": f'"{row["rev"]}"'})
                err = self.assertError(r, 412, "precondition_failed")
                self.assertEqual(err["details"]["current"], current)
                self.assertEqual(self.get(entity, row["id"]), current)
                r = self.req("DELETE", f"/api/{entity}/{row['id']}",
                             headers={"If-Match": f'"{current["rev"]}"'})
                self.assertEqual(r.status, 204, repr(r))

    def test_without_if_match_the_write_is_unconditional(self):
        row = self.project()
        self.ok("PATCH", f"/api/projects/{row['id']}", json={"name": "one"})
        self.ok("PATCH", f"/api/projects/{row['id']}", json={"name": "two"})
        self.assertEqual(self.get("projects", row["id"])["name"], "two")

    def test_a_valid_body_with_a_stale_if_match_is_still_refused(self):
        row = self.project()
        self.ok("PATCH", f"/api/projects/{row['id']}", json={"name": "newer"})
        before = self.revisions()
        r = self.req("PATCH", f"/api/projects/{row['id']}", json={"name": "older"},
                     headers={"If-Match": f'"{row["rev"]}"'})
        self.assertEqual(r.status, 412)
        self.assertEqual(self.revisions(), before)


class Revisions(ApiCase):
    def test_shape_and_health(self):
        revs = self.revisions()
        self.assertEqual(set(revs), {"rev", "projects", "solutions", "subcomponents"})
        for k, v in revs.items():
            self.assertIsInstance(v, int, k)
            self.assertGreaterEqual(v, 0, k)
            self.assertLessEqual(v, revs["rev"], k)
        health = self.ok("GET", "/api/health")
        self.assertEqual(health, {"status": "ok", "rev": revs["rev"]})

    def test_each_mutation_bumps_the_global_rev_by_one_and_stamps_what_it_touched(self):
        def step(method, path, touched, status=200, **kw):
            before = self.revisions()
            r = self.req(method, path, **kw)
            self.assertEqual(r.status, status, f"{method} {path}: {r!r}")
            after = self.revisions()
            self.assertEqual(after["rev"], before["rev"] + 1, f"{method} {path}")
            for entity in ENTITIES:
                expected = after["rev"] if entity in touched else before[entity]
                self.assertEqual(after[entity], expected, f"{method} {path}: {entity}")
            self.assertEqual(self.ok("GET", "/api/health")["rev"], after["rev"])
            if status != 204:
                self.assertEqual(r.json()["rev"], after["rev"], f"{method} {path}: row rev")
                self.assertEqual(r.headers.get("etag"), f'"{after["rev"]}"')
            return r.json() if status != 204 else None

        p = step("POST", "/api/projects", {"projects"}, 201, json={"name": "p"})
        s = step("POST", "/api/solutions", {"solutions"}, 201,
                 json={"name": "s", "project_id": p["id"]})
        c = step("POST", "/api/subcomponents", {"subcomponents"}, 201,
                 json={"name": "c", "solution_id": s["id"],
                       "checklist": [{"label": "x", "done": False}]})
        step("PATCH", f"/api/projects/{p['id']}", {"projects"}, json={"name": "p2"})
        step("PATCH", f"/api/solutions/{s['id']}", {"solutions"}, json={"name": "s2"})
        step("PATCH", f"/api/subcomponents/{c['id']}", {"subcomponents"}, json={"name": "c2"})
        step("PUT", f"/api/solutions/{s['id']}/phases/test", {"solutions"},
             json={"enabled": False})
        step("PUT", f"/api/subcomponents/{c['id']}/checklist", {"subcomponents"},
             json={"items": [{"label": "y", "done": True}, {"label": "z", "done": False}]})
        step("DELETE", f"/api/subcomponents/{c['id']}", {"subcomponents"}, 204)
        s2 = self.solution(p["id"])
        step("DELETE", f"/api/solutions/{s2['id']}", {"solutions"}, 204)
        step("DELETE", f"/api/projects/{p['id']}", {"projects", "solutions"}, 204)
        lone = self.project()
        step("DELETE", f"/api/projects/{lone['id']}", {"projects"}, 204)

    def test_rejected_requests_and_reads_do_not_bump(self):
        p = self.project()
        before = self.revisions()
        self.req("POST", "/api/projects", json={"name": ""})
        self.req("PATCH", f"/api/projects/{p['id']}", json={"status": "x"})
        self.req("PATCH", f"/api/projects/{p['id']}", json={"name": "y"},
                 headers={"If-Match": '"0"'})
        self.req("DELETE", "/api/projects/987654321")
        self.req("POST", "/api/projects", body="{", content_type="application/json")
        self.req("POST", "/api/projects", json={"name": "x"},
                 headers={"Origin": "https://evil.example"})
        self.req("GET", "/api/projects")
        self.req("GET", f"/api/projects/{p['id']}")
        self.assertEqual(self.revisions(), before)
        self.assertEqual(self.get("projects", p["id"]), p)


if __name__ == "__main__":
    unittest.main()
