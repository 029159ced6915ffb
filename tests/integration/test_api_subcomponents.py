"""Subcomponents over the real stack: create/read/list/filter/update/delete, the parent solution,
the checklist given on create and replaced in bulk by PUT …/checklist, cascade on solution delete."""
import unittest

from api_client import NASTY, ApiCase


def labels(row):
    return [(item["label"], item["done"]) for item in row["checklist"]]


class SubcomponentCrud(ApiCase):
    def test_create_minimal(self):
        s = self.solution()
        r = self.req("POST", "/api/subcomponents", json={"solution_id": s["id"], "name": "Sub"})
        self.assertEqual(r.status, 201, repr(r))
        row = r.json()
        self.assertEqual(set(row), {"id", "solution_id", "name", "description", "status",
                                    "owner", "checklist", "created_at", "updated_at",
                                    "updated_by", "rev"})
        self.assertRow(row, solution_id=s["id"], name="Sub", description="", status="planned",
                       owner="", checklist=[])
        self.assertEqual(r.headers.get("location"), f"/api/subcomponents/{row['id']}")
        self.assertEqual(r.headers.get("etag"), f'"{row["rev"]}"')
        self.assertEqual(self.get("subcomponents", row["id"]), row)

    def test_create_with_a_checklist(self):
        row = self.subcomponent(owner="Kim", status="done", description="d",
                                checklist=[{"label": "first", "done": False},
                                           {"label": "second", "done": True},
                                           {"label": "first", "done": False}])
        self.assertRow(row, owner="Kim", status="done", description="d")
        self.assertEqual(labels(row), [("first", False), ("second", True), ("first", False)])
        ids = [item["id"] for item in row["checklist"]]
        self.assertEqual(len(set(ids)), 3)
        for item in row["checklist"]:
            self.assertEqual(set(item), {"id", "label", "done"})
            self.assertIsInstance(item["id"], int)
            self.assertGreater(item["id"], 0)
        self.assertEqual(self.get("subcomponents", row["id"]), row)

    def test_list_filters_by_solution_in_id_order(self):
        s1, s2 = self.solution(), self.solution()
        a = self.subcomponent(s1["id"], checklist=[{"label": "l", "done": True}])
        b = self.subcomponent(s2["id"])
        c = self.subcomponent(s1["id"])
        body = self.ok("GET", f"/api/subcomponents?solution_id={s1['id']}")
        self.assertEqual([x["id"] for x in body["items"]], [a["id"], c["id"]])
        self.assertEqual(body["items"][0], self.get("subcomponents", a["id"]))
        self.assertEqual(body["rev"], self.revisions()["subcomponents"])
        self.assertEqual(self.list_ids(f"/api/subcomponents?solution_id={s2['id']}"), [b["id"]])
        self.assertEqual(self.list_ids("/api/subcomponents?solution_id=987654321"), [])
        everything = self.list_ids("/api/subcomponents")
        self.assertEqual(everything, sorted(everything))
        self.assertTrue({a["id"], b["id"], c["id"]} <= set(everything))

    def test_patch_fields_and_move_to_another_solution(self):
        row = self.subcomponent(checklist=[{"label": "keep me", "done": True}])
        other = self.solution()
        new = self.ok("PATCH", f"/api/subcomponents/{row['id']}",
                      json={"solution_id": other["id"], "owner": "Lee", "status": "active"})
        self.assertRow(new, solution_id=other["id"], owner="Lee", status="active",
                       name=row["name"], checklist=row["checklist"], created_at=row["created_at"])
        self.assertGreater(new["rev"], row["rev"])
        self.assertEqual(self.get("subcomponents", row["id"]), new)

    def test_patch_that_changes_nothing_keeps_rev(self):
        row = self.subcomponent(owner="o")
        before = self.revisions()
        for body in ({}, {"owner": "o"}, {"solution_id": row["solution_id"], "name": row["name"]}):
            self.assertEqual(self.ok("PATCH", f"/api/subcomponents/{row['id']}", json=body), row)
        self.assertEqual(self.revisions(), before)

    def test_delete(self):
        row = self.subcomponent(checklist=[{"label": "x", "done": False}])
        r = self.req("DELETE", f"/api/subcomponents/{row['id']}")
        self.assertEqual(r.status, 204, repr(r))
        self.assertEqual(r.body, b"")
        self.assertError(self.req("GET", f"/api/subcomponents/{row['id']}"), 404)
        self.assertError(self.req("PUT", f"/api/subcomponents/{row['id']}/checklist",
                                  json={"items": []}), 404)
        self.get("solutions", row["solution_id"])

    def test_deleting_a_solution_deletes_its_subcomponents(self):
        s = self.solution()
        a = self.subcomponent(s["id"], checklist=[{"label": "x", "done": False}])
        b = self.subcomponent(s["id"])
        before = self.revisions()
        self.ok("DELETE", f"/api/solutions/{s['id']}", status=204)
        for row in (a, b):
            self.assertError(self.req("GET", f"/api/subcomponents/{row['id']}"), 404)
        self.get("projects", s["project_id"])
        after = self.revisions()
        self.assertEqual(after["rev"], before["rev"] + 1)
        self.assertEqual(after["solutions"], after["rev"])
        self.assertEqual(after["subcomponents"], after["rev"])
        self.assertEqual(after["projects"], before["projects"])

    def test_strings_are_stored_verbatim(self):
        s = self.solution()["id"]
        for text in NASTY:
            row = self.subcomponent(s, name=text, description=text, owner=text,
                                    checklist=[{"label": text, "done": False}])
            self.assertRow(row, name=text, description=text, owner=text)
            self.assertEqual(labels(row), [(text, False)])
            self.assertEqual(self.get("subcomponents", row["id"]), row)
            new = self.ok("PUT", f"/api/subcomponents/{row['id']}/checklist",
                          json={"items": [{"label": text[::-1], "done": True}]})
            self.assertEqual(labels(new), [(text[::-1], True)])


class Checklist(ApiCase):
    def put(self, row_id, items, status=200, **kw):
        return self.ok("PUT", f"/api/subcomponents/{row_id}/checklist", status=status,
                       json={"items": items}, **kw)

    def test_put_keeps_updates_adds_and_removes(self):
        row = self.subcomponent(checklist=[{"label": "a", "done": False},
                                           {"label": "b", "done": False},
                                           {"label": "c", "done": False}])
        a, b, c = row["checklist"]
        new = self.put(row["id"], [{"id": c["id"], "label": "c2", "done": True},
                                   {"label": "d", "done": False},
                                   {"id": a["id"], "label": "a", "done": False}])
        self.assertRow(new, id=row["id"], name=row["name"], solution_id=row["solution_id"])
        self.assertEqual(labels(new), [("c2", True), ("d", False), ("a", False)])
        self.assertEqual(new["checklist"][0]["id"], c["id"])
        self.assertEqual(new["checklist"][2]["id"], a["id"])
        d_id = new["checklist"][1]["id"]
        self.assertNotIn(d_id, (a["id"], b["id"], c["id"]))
        self.assertGreater(new["rev"], row["rev"])
        self.assertEqual(self.get("subcomponents", row["id"]), new)
        # The removed item's id cannot be given back.
        self.assertError(self.req("PUT", f"/api/subcomponents/{row['id']}/checklist",
                                  json={"items": [{"id": b["id"], "label": "b", "done": False}]}),
                         422)

    def test_put_empty_clears_the_list(self):
        row = self.subcomponent(checklist=[{"label": "a", "done": True}])
        self.assertEqual(self.put(row["id"], [])["checklist"], [])
        self.assertEqual(self.get("subcomponents", row["id"])["checklist"], [])

    def test_put_is_one_revision_touching_only_subcomponents(self):
        row = self.subcomponent()
        before = self.revisions()
        new = self.put(row["id"], [{"label": str(i), "done": i % 2 == 0} for i in range(50)])
        self.assertEqual(len(new["checklist"]), 50)
        after = self.revisions()
        self.assertEqual(after["rev"], before["rev"] + 1)
        self.assertEqual(after["subcomponents"], after["rev"])
        self.assertEqual(new["rev"], after["rev"])
        self.assertEqual(after["projects"], before["projects"])
        self.assertEqual(after["solutions"], before["solutions"])

    def test_item_of_another_subcomponent_is_rejected_and_nothing_changes(self):
        mine = self.subcomponent(checklist=[{"label": "mine", "done": False}])
        theirs = self.subcomponent(checklist=[{"label": "theirs", "done": False}])
        before = self.revisions()
        foreign = theirs["checklist"][0]["id"]
        r = self.req("PUT", f"/api/subcomponents/{mine['id']}/checklist",
                     json={"items": [{"label": "new", "done": False},
                                     {"id": foreign, "label": "stolen", "done": True}]})
        self.assertError(r, 422, "validation_failed")
        for bogus in (987654321, 0, -3, "1", 1.5, True):
            with self.subTest(id=bogus):
                self.assertError(self.req("PUT", f"/api/subcomponents/{mine['id']}/checklist",
                                          json={"items": [{"id": bogus, "label": "x",
                                                           "done": False}]}), 422,
                                 "validation_failed")
        self.assertEqual(self.revisions(), before)
        self.assertEqual(self.get("subcomponents", mine["id"]), mine)
        self.assertEqual(self.get("subcomponents", theirs["id"]), theirs)

    def test_bad_items_are_rejected_and_nothing_changes(self):
        row = self.subcomponent(checklist=[{"label": "a", "done": False}])
        item = row["checklist"][0]["id"]
        before = self.revisions()
        bad_items = [
            [{"label": "", "done": False}],
            [{"label": "x" * 501, "done": False}],
            [{"label": 5, "done": False}],
            [{"label": None, "done": False}],
            [{"done": False}],
            [{"label": "x", "done": "yes"}],
            [{"label": "x", "done": 1}],
            [{"label": "x", "done": False, "colour": "red"}],
            [{"id": item, "label": "x", "done": False}, {"id": item, "label": "y", "done": False}],
            ["x"],
            [None],
            [[]],
        ]
        for items in bad_items:
            with self.subTest(items=items):
                self.assertError(self.req("PUT", f"/api/subcomponents/{row['id']}/checklist",
                                          json={"items": items}), 422, "validation_failed")
        for body in ({}, {"items": None}, {"items": "x"}, {"items": {"label": "x"}},
                     {"items": [], "extra": 1}):
            with self.subTest(body=body):
                self.assertError(self.req("PUT", f"/api/subcomponents/{row['id']}/checklist",
                                          json=body), 422, "validation_failed")
        self.assertError(self.req("PUT", f"/api/subcomponents/{row['id']}/checklist", json=[]),
                         400)
        self.assertError(self.req("PUT", f"/api/subcomponents/{row['id']}/checklist",
                                  body='{"items":[', content_type="application/json"), 400)
        self.assertError(self.req("PUT", f"/api/subcomponents/{row['id']}/checklist",
                                  body='{"items":[]}', content_type="text/plain"), 415)
        self.assertEqual(self.revisions(), before)
        self.assertEqual(self.get("subcomponents", row["id"]), row)

    def test_label_length_counts_code_points(self):
        row = self.subcomponent()
        for label in ("x" * 500, "🚀" * 500, "x"):
            self.assertEqual(labels(self.put(row["id"], [{"label": label, "done": False}])),
                             [(label, False)])
        self.assertError(self.req("PUT", f"/api/subcomponents/{row['id']}/checklist",
                                  json={"items": [{"label": "🚀" * 501, "done": False}]}), 422,
                         "validation_failed")

    def test_unknown_subcomponent_is_404(self):
        for path in ("/api/subcomponents/987654321/checklist", "/api/subcomponents/0/checklist",
                     "/api/subcomponents/x/checklist"):
            self.assertError(self.req("PUT", path, json={"items": []}), 404)


class SubcomponentValidation(ApiCase):
    def test_solution_id_is_required_and_must_exist(self):
        s = self.solution()
        before = self.revisions()
        for body in ({"name": "x"}, {"name": "x", "solution_id": None},
                     {"name": "x", "solution_id": 987654321}, {"name": "x", "solution_id": 0},
                     {"name": "x", "solution_id": str(s["id"])},
                     {"name": "x", "solution_id": 2 ** 64}):
            with self.subTest(body=body):
                self.assertInvalid(self.req("POST", "/api/subcomponents", json=body), "solution_id")
        row = self.subcomponent(s["id"])
        before = self.revisions()
        self.assertInvalid(self.req("PATCH", f"/api/subcomponents/{row['id']}",
                                    json={"solution_id": 987654321}), "solution_id")
        self.assertEqual(self.revisions(), before)

    def test_checklist_is_not_accepted_on_patch(self):
        row = self.subcomponent(checklist=[{"label": "a", "done": False}])
        before = self.revisions()
        self.assertInvalid(self.req("PATCH", f"/api/subcomponents/{row['id']}",
                                    json={"checklist": [{"label": "b", "done": True}]}),
                           "checklist")
        self.assertInvalid(self.req("PATCH", f"/api/subcomponents/{row['id']}",
                                    json={"checklist": row["checklist"]}), "checklist")
        self.assertEqual(self.revisions(), before)
        self.assertEqual(self.get("subcomponents", row["id"]), row)

    def test_bad_checklist_on_create(self):
        s = self.solution()["id"]
        before = self.revisions()
        for checklist in ([{"label": "", "done": False}], [{"label": "x" * 501, "done": False}],
                          [{"label": "x", "done": "no"}], "x", {"label": "x"}, [1]):
            with self.subTest(checklist=checklist):
                self.assertInvalid(self.req("POST", "/api/subcomponents",
                                            json={"solution_id": s, "name": "x",
                                                  "checklist": checklist}), "checklist")
        self.assertEqual(self.revisions(), before)

    def test_unknown_and_read_only_fields(self):
        row = self.subcomponent()
        before = self.revisions()
        for field, value in (("phases", []), ("project_id", 1), ("id", 1), ("rev", 1),
                             ("created_at", row["created_at"]), ("updated_at", row["updated_at"])):
            with self.subTest(field=field):
                self.assertInvalid(
                    self.req("POST", "/api/subcomponents",
                             json={"solution_id": row["solution_id"], "name": "x", field: value}),
                    field)
                self.assertInvalid(self.req("PATCH", f"/api/subcomponents/{row['id']}",
                                            json={field: value}), field)
        self.assertEqual(self.revisions(), before)

    def test_common_field_rules_apply(self):
        s = self.solution()["id"]
        before = self.revisions()
        for body, field in (({"name": "x" * 201}, "name"), ({"name": "\t"}, "name"),
                            ({"name": "x", "status": "Done"}, "status"),
                            ({"name": "x", "owner": "o" * 201}, "owner"),
                            ({"name": "x", "owner": 1}, "owner"),
                            ({"name": "x", "description": "d" * 10001}, "description")):
            with self.subTest(body=body):
                self.assertInvalid(self.req("POST", "/api/subcomponents",
                                            json=dict(body, solution_id=s)), field)
        self.assertEqual(self.revisions(), before)


if __name__ == "__main__":
    unittest.main()
