"""Solutions over the real stack: create/read/list/filter/update/delete, the parent project, the
five phases (defaults, subsets on create and PATCH, PUT of one phase), cascade on project delete."""
import unittest

from api_client import NASTY, PHASES, ApiCase


def phases(**disabled):
    """The full phase list in catalogue order, every phase enabled except those given False."""
    return [{"name": p, "enabled": disabled.get(p, True)} for p in PHASES]


class SolutionCrud(ApiCase):
    def test_create_has_all_phases_enabled_in_catalogue_order(self):
        p = self.project()
        r = self.req("POST", "/api/solutions", json={"project_id": p["id"], "name": "S"})
        self.assertEqual(r.status, 201, repr(r))
        row = r.json()
        self.assertEqual(set(row), {"id", "project_id", "name", "description", "status",
                                    "phases", "created_at", "updated_at", "updated_by",
                                    "rev"})
        self.assertRow(row, project_id=p["id"], name="S", description="", status="planned",
                       phases=phases())
        self.assertEqual(r.headers.get("location"), f"/api/solutions/{row['id']}")
        self.assertEqual(r.headers.get("etag"), f'"{row["rev"]}"')
        self.assertEqual(self.get("solutions", row["id"]), row)

    def test_create_with_a_subset_of_phases_keeps_the_others_enabled(self):
        row = self.solution(phases=[{"name": "test", "enabled": False}])
        self.assertEqual(row["phases"], phases(test=False))
        # Given in any order, answered in catalogue order.
        row = self.solution(phases=[{"name": "deploy", "enabled": False},
                                    {"name": "discovery", "enabled": False},
                                    {"name": "build", "enabled": True}])
        self.assertEqual(row["phases"], phases(deploy=False, discovery=False))
        row = self.solution(phases=[{"name": p, "enabled": False} for p in PHASES])
        self.assertEqual(row["phases"], [{"name": p, "enabled": False} for p in PHASES])
        self.assertEqual(self.get("solutions", row["id"])["phases"], row["phases"])
        self.assertEqual(self.solution(phases=[])["phases"], phases())

    def test_create_with_every_field(self):
        p = self.project()
        row = self.solution(p["id"], name="Full", description="desc", status="on_hold")
        self.assertRow(row, project_id=p["id"], name="Full", description="desc",
                       status="on_hold")

    def test_list_filters_by_project_in_id_order(self):
        p1, p2 = self.project(), self.project()
        a = self.solution(p1["id"])
        b = self.solution(p2["id"])
        c = self.solution(p1["id"])
        body = self.ok("GET", f"/api/solutions?project_id={p1['id']}")
        self.assertEqual([s["id"] for s in body["items"]], [a["id"], c["id"]])
        self.assertEqual(body["items"][0], self.get("solutions", a["id"]))
        self.assertEqual(body["rev"], self.revisions()["solutions"])
        self.assertEqual(self.list_ids(f"/api/solutions?project_id={p2['id']}"), [b["id"]])
        everything = self.list_ids("/api/solutions")
        self.assertEqual(everything, sorted(everything))
        self.assertTrue({a["id"], b["id"], c["id"]} <= set(everything))

    def test_list_for_an_unknown_or_childless_project_is_empty(self):
        p = self.project()
        for path in (f"/api/solutions?project_id={p['id']}", "/api/solutions?project_id=987654321",
                     "/api/solutions?project_id=9223372036854775807"):
            r = self.req("GET", path)
            self.assertEqual(r.status, 200, f"{path}: {r!r}")
            self.assertEqual(r.json()["items"], [], path)
            self.assertEqual(r.headers.get("etag"), f'"{self.revisions()["solutions"]}"')

    def test_patch_fields_and_phase_subset(self):
        row = self.solution(phases=[{"name": "design", "enabled": False}])
        new = self.ok("PATCH", f"/api/solutions/{row['id']}",
                      json={"name": "Renamed", "status": "active",
                            "phases": [{"name": "deploy", "enabled": False},
                                       {"name": "design", "enabled": True}]})
        self.assertRow(new, name="Renamed", status="active", phases=phases(deploy=False),
                       project_id=row["project_id"], created_at=row["created_at"])
        self.assertGreater(new["rev"], row["rev"])
        self.assertEqual(self.get("solutions", row["id"]), new)

    def test_patch_can_move_to_another_existing_project(self):
        row = self.solution()
        other = self.project()
        new = self.ok("PATCH", f"/api/solutions/{row['id']}", json={"project_id": other["id"]})
        self.assertEqual(new["project_id"], other["id"])
        self.assertEqual(self.list_ids(f"/api/solutions?project_id={other['id']}"), [row["id"]])
        self.assertEqual(self.list_ids(f"/api/solutions?project_id={row['project_id']}"), [])

    def test_patch_that_changes_nothing_keeps_rev(self):
        row = self.solution(phases=[{"name": "build", "enabled": False}])
        before = self.revisions()
        for body in ({}, {"name": row["name"]}, {"project_id": row["project_id"]},
                     {"phases": [{"name": "build", "enabled": False}]}, {"phases": row["phases"]}):
            self.assertEqual(self.ok("PATCH", f"/api/solutions/{row['id']}", json=body), row,
                             f"PATCH {body}")
        self.assertEqual(self.revisions(), before)

    def test_delete(self):
        row = self.solution()
        r = self.req("DELETE", f"/api/solutions/{row['id']}")
        self.assertEqual(r.status, 204, repr(r))
        self.assertEqual(r.body, b"")
        self.assertError(self.req("GET", f"/api/solutions/{row['id']}"), 404)
        self.assertError(self.req("DELETE", f"/api/solutions/{row['id']}"), 404)
        # The project is untouched.
        self.get("projects", row["project_id"])

    def test_deleting_a_project_deletes_its_solutions_and_their_subcomponents(self):
        p = self.project()
        keep = self.solution()
        s1, s2 = self.solution(p["id"]), self.solution(p["id"])
        sub = self.subcomponent(s1["id"], checklist=[{"label": "x", "done": False}])
        kept_sub = self.subcomponent(keep["id"])
        before = self.revisions()
        self.ok("DELETE", f"/api/projects/{p['id']}", status=204)
        for entity, row_id in (("solutions", s1["id"]), ("solutions", s2["id"]),
                               ("subcomponents", sub["id"])):
            self.assertError(self.req("GET", f"/api/{entity}/{row_id}"), 404)
        self.assertEqual(self.list_ids(f"/api/solutions?project_id={p['id']}"), [])
        self.assertEqual(self.list_ids(f"/api/subcomponents?solution_id={s1['id']}"), [])
        self.get("solutions", keep["id"])
        self.get("subcomponents", kept_sub["id"])
        after = self.revisions()
        self.assertEqual(after["rev"], before["rev"] + 1)
        for entity in ("projects", "solutions", "subcomponents"):
            self.assertEqual(after[entity], after["rev"], entity)

    def test_strings_are_stored_verbatim(self):
        p = self.project()
        for text in NASTY:
            row = self.solution(p["id"], name=text, description=text)
            self.assertRow(row, name=text, description=text)
            self.assertEqual(self.get("solutions", row["id"]), row)


class SolutionPhasePut(ApiCase):
    def test_put_one_phase_returns_the_solution(self):
        row = self.solution()
        r = self.req("PUT", f"/api/solutions/{row['id']}/phases/build", json={"enabled": False})
        self.assertEqual(r.status, 200, repr(r))
        new = r.json()
        self.assertRow(new, id=row["id"], name=row["name"], phases=phases(build=False))
        self.assertGreater(new["rev"], row["rev"])
        self.assertEqual(r.headers.get("etag"), f'"{new["rev"]}"')
        new2 = self.ok("PUT", f"/api/solutions/{row['id']}/phases/build", json={"enabled": True})
        self.assertEqual(new2["phases"], phases())
        self.assertEqual(self.get("solutions", row["id"]), new2)

    def test_put_each_phase(self):
        row = self.solution()
        disabled = {}
        for p in PHASES:
            disabled[p] = False
            new = self.ok("PUT", f"/api/solutions/{row['id']}/phases/{p}", json={"enabled": False})
            self.assertEqual(new["phases"], phases(**disabled))

    def test_put_bumps_only_the_solutions_revision(self):
        row = self.solution()
        before = self.revisions()
        new = self.ok("PUT", f"/api/solutions/{row['id']}/phases/test", json={"enabled": False})
        after = self.revisions()
        self.assertEqual(after["rev"], before["rev"] + 1)
        self.assertEqual(after["solutions"], after["rev"])
        self.assertEqual(new["rev"], after["rev"])
        self.assertEqual(after["projects"], before["projects"])
        self.assertEqual(after["subcomponents"], before["subcomponents"])

    def test_unknown_phase_or_solution_is_404(self):
        row = self.solution()
        before = self.revisions()
        for phase in ("bogus", "Build", "BUILD", "build%20", "0", "discovery."):
            with self.subTest(phase=phase):
                self.assertError(self.req("PUT", f"/api/solutions/{row['id']}/phases/{phase}",
                                          json={"enabled": False}), 404)
        self.assertError(self.req("PUT", "/api/solutions/987654321/phases/build",
                                  json={"enabled": False}), 404)
        self.assertError(self.req("PUT", "/api/solutions/abc/phases/build",
                                  json={"enabled": False}), 404)
        self.assertEqual(self.revisions(), before)
        self.assertEqual(self.get("solutions", row["id"]), row)

    def test_bad_put_bodies(self):
        row = self.solution()
        path = f"/api/solutions/{row['id']}/phases/design"
        before = self.revisions()
        for body in ({}, {"enabled": "false"}, {"enabled": 0}, {"enabled": None},
                     {"enabled": [True]}):
            with self.subTest(body=body):
                self.assertInvalid(self.req("PUT", path, json=body), "enabled")
        self.assertInvalid(self.req("PUT", path, json={"enabled": False, "name": "design"}),
                           "name")
        self.assertError(self.req("PUT", path, json=[True]), 400)
        self.assertError(self.req("PUT", path, body="true", content_type="application/json"), 400)
        self.assertError(self.req("PUT", path, body='{"enabled":', content_type="application/json"),
                         400)
        self.assertError(self.req("PUT", path, body='{"enabled":false}', content_type="text/plain"),
                         415)
        self.assertError(self.req("PUT", path, body='{"enabled":false}'), 415)
        self.assertEqual(self.revisions(), before)
        self.assertEqual(self.get("solutions", row["id"]), row)


class SolutionValidation(ApiCase):
    def test_project_id_is_required_and_must_exist(self):
        p = self.project()
        before = self.revisions()
        cases = [
            ({"name": "x"}, "project_id"),
            ({"name": "x", "project_id": None}, "project_id"),
            ({"name": "x", "project_id": str(p["id"])}, "project_id"),
            ({"name": "x", "project_id": 987654321}, "project_id"),
            ({"name": "x", "project_id": 0}, "project_id"),
            ({"name": "x", "project_id": -1}, "project_id"),
            ({"name": "x", "project_id": 1.5}, "project_id"),
            ({"name": "x", "project_id": True}, "project_id"),
            ({"name": "x", "project_id": 2 ** 63}, "project_id"),
            ({"name": "x", "project_id": 10 ** 30}, "project_id"),
            ({"name": "x", "project_id": [p["id"]]}, "project_id"),
            ({"project_id": p["id"]}, "name"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                self.assertInvalid(self.req("POST", "/api/solutions", json=body), field)
        self.assertEqual(self.revisions(), before)

    def test_patch_to_a_missing_project_is_422(self):
        row = self.solution()
        before = self.revisions()
        for pid in (987654321, None, "1", 0):
            self.assertInvalid(self.req("PATCH", f"/api/solutions/{row['id']}",
                                        json={"project_id": pid}), "project_id")
        self.assertEqual(self.revisions(), before)
        self.assertEqual(self.get("solutions", row["id"]), row)

    def test_bad_phases(self):
        row = self.solution()
        p = row["project_id"]
        before = self.revisions()
        bad = [
            [{"name": "bogus", "enabled": True}],
            [{"name": "Design", "enabled": True}],
            [{"name": "design", "enabled": "yes"}],
            [{"name": "design", "enabled": 1}],
            [{"name": "design", "enabled": None}],
            [{"name": "design"}],
            [{"enabled": True}],
            [{"name": 3, "enabled": True}],
            ["design"],
            [None],
            {"design": True},
            "design",
            None,
            True,
        ]
        for value in bad:
            with self.subTest(phases=value):
                self.assertInvalid(self.req("POST", "/api/solutions",
                                            json={"project_id": p, "name": "x", "phases": value}),
                                   "phases")
                self.assertInvalid(self.req("PATCH", f"/api/solutions/{row['id']}",
                                            json={"phases": value}), "phases")
        self.assertEqual(self.revisions(), before)
        self.assertEqual(self.get("solutions", row["id"]), row)

    def test_unknown_and_read_only_fields(self):
        row = self.solution()
        before = self.revisions()
        for field, value in (("owner", "x"), ("checklist", []), ("solution_id", row["id"]),
                             ("id", 1), ("rev", 1), ("created_at", row["created_at"]),
                             ("updated_at", row["updated_at"])):
            with self.subTest(field=field):
                self.assertInvalid(
                    self.req("POST", "/api/solutions",
                             json={"project_id": row["project_id"], "name": "x", field: value}),
                    field)
                self.assertInvalid(self.req("PATCH", f"/api/solutions/{row['id']}",
                                            json={field: value}), field)
        self.assertEqual(self.revisions(), before)

    def test_common_field_rules_apply(self):
        p = self.project()["id"]
        self.assertEqual(self.solution(p, name="🚀" * 200)["name"], "🚀" * 200)
        self.assertEqual(len(self.solution(p, description="d" * 10000)["description"]), 10000)
        before = self.revisions()
        for body, field in (({"name": "x" * 201}, "name"), ({"name": " "}, "name"),
                            ({"name": ""}, "name"), ({"name": "x", "status": "bogus"}, "status"),
                            ({"name": "x", "description": "d" * 10001}, "description"),
                            ({"name": "x", "description": 1}, "description")):
            with self.subTest(body=body):
                self.assertInvalid(self.req("POST", "/api/solutions",
                                            json=dict(body, project_id=p)), field)
        self.assertEqual(self.revisions(), before)


if __name__ == "__main__":
    unittest.main()
