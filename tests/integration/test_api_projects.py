"""Projects over the real stack: create/read/list/update/delete, defaults, validation of every
field, verbatim strings, timestamps, revisions, HEAD, and that ids are never reused."""
import datetime
import unittest

from api_client import NASTY, STATUSES, TIMESTAMP, ApiCase


def parse_ts(text):
    return datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(
        tzinfo=datetime.timezone.utc)


class ProjectCrud(ApiCase):
    def test_create_minimal_fills_defaults_and_answers_201_with_location(self):
        r = self.req("POST", "/api/projects", json={"name": "Alpha"})
        self.assertEqual(r.status, 201, repr(r))
        row = r.json()
        self.assertEqual(set(row), {"id", "name", "description", "status", "owner",
                                    "created_at", "updated_at", "updated_by", "rev"})
        self.assertIsInstance(row["id"], int)
        self.assertGreater(row["id"], 0)
        self.assertRow(row, name="Alpha", description="", status="planned", owner="")
        self.assertEqual(r.headers.get("location"), f"/api/projects/{row['id']}")
        self.assertEqual(r.headers.get("etag"), f'"{row["rev"]}"')
        self.assertEqual(self.get("projects", row["id"]), row)

    def test_create_with_every_field(self):
        row = self.project(name="Beta", description="the long story", status="active",
                           owner="Dana")
        self.assertRow(row, name="Beta", description="the long story", status="active",
                       owner="Dana")
        self.assertEqual(self.get("projects", row["id"]), row)

    def test_every_status_is_accepted(self):
        for status in STATUSES:
            self.assertEqual(self.project(status=status)["status"], status)

    def test_null_description_and_owner_are_stored_as_empty(self):
        row = self.project(description=None, owner=None)
        self.assertRow(row, description="", owner="")

    def test_timestamps_are_iso_utc_with_milliseconds_and_now(self):
        before = datetime.datetime.now(datetime.timezone.utc)
        row = self.project()
        for field in ("created_at", "updated_at"):
            self.assertRegex(row[field], TIMESTAMP)
            delta = abs((parse_ts(row[field]) - before).total_seconds())
            self.assertLess(delta, 300, f"{field} {row[field]} is not the current time")
        self.assertEqual(row["created_at"], row["updated_at"])

    def test_get_returns_etag_of_row_rev(self):
        row = self.project()
        r = self.req("GET", f"/api/projects/{row['id']}")
        self.assertEqual(r.status, 200)
        self.assertEqual(r.headers.get("etag"), f'"{row["rev"]}"')
        self.assertTrue(r.headers.get("content-type", "").startswith("application/json"))

    def test_list_holds_rows_in_id_order_with_rev_and_etag(self):
        ids = [self.project(name=f"list {i}")["id"] for i in range(3)]
        r = self.req("GET", "/api/projects")
        self.assertEqual(r.status, 200)
        body = r.json()
        self.assertEqual(set(body), {"items", "rev"})
        listed = [row["id"] for row in body["items"]]
        self.assertEqual(listed, sorted(listed))
        for i in ids:
            self.assertIn(i, listed)
        revs = self.revisions()
        self.assertEqual(body["rev"], revs["projects"])
        self.assertEqual(r.headers.get("etag"), f'"{revs["projects"]}"')
        full = {row["id"]: row for row in body["items"]}
        self.assertEqual(full[ids[0]], self.get("projects", ids[0]))

    def test_patch_changes_only_the_given_fields(self):
        row = self.project(name="Before", description="d", owner="o", status="active")
        r = self.req("PATCH", f"/api/projects/{row['id']}", json={"name": "After"})
        self.assertEqual(r.status, 200, repr(r))
        new = r.json()
        self.assertRow(new, id=row["id"], name="After", description="d", owner="o",
                       status="active", created_at=row["created_at"])
        self.assertGreater(new["rev"], row["rev"])
        self.assertGreaterEqual(parse_ts(new["updated_at"]), parse_ts(row["updated_at"]))
        self.assertRegex(new["updated_at"], TIMESTAMP)
        self.assertEqual(r.headers.get("etag"), f'"{new["rev"]}"')
        self.assertEqual(self.get("projects", row["id"]), new)

    def test_patch_every_field_at_once(self):
        row = self.project()
        new = self.ok("PATCH", f"/api/projects/{row['id']}",
                      json={"name": "N", "description": "D", "owner": "O", "status": "done"})
        self.assertRow(new, name="N", description="D", owner="O", status="done")

    def test_patch_that_changes_nothing_keeps_rev_and_updated_at(self):
        row = self.project(name="Same", owner="x")
        before = self.revisions()
        for body in ({}, {"name": "Same"}, {"name": "Same", "owner": "x", "status": "planned"}):
            new = self.ok("PATCH", f"/api/projects/{row['id']}", json=body)
            self.assertEqual(new, row, f"PATCH {body} changed the row")
        self.assertEqual(self.revisions(), before)

    def test_delete_answers_204_then_the_row_is_gone(self):
        row = self.project()
        r = self.req("DELETE", f"/api/projects/{row['id']}")
        self.assertEqual(r.status, 204, repr(r))
        self.assertEqual(r.body, b"")
        self.assertError(self.req("GET", f"/api/projects/{row['id']}"), 404)
        self.assertError(self.req("DELETE", f"/api/projects/{row['id']}"), 404)
        self.assertError(self.req("PATCH", f"/api/projects/{row['id']}", json={"name": "x"}), 404)
        self.assertNotIn(row["id"], self.list_ids("/api/projects"))

    def test_ids_are_never_reused_after_delete(self):
        first = self.project()
        self.ok("DELETE", f"/api/projects/{first['id']}", status=204)
        second = self.project()
        self.assertGreater(second["id"], first["id"])
        # Even when the deleted row was the newest one.
        self.ok("DELETE", f"/api/projects/{second['id']}", status=204)
        self.assertGreater(self.project()["id"], second["id"])

    def test_head_is_get_without_body(self):
        row = self.project()
        for path in (f"/api/projects/{row['id']}", "/api/projects", "/api/revisions"):
            get = self.req("GET", path)
            head = self.req("HEAD", path)
            self.assertEqual(head.status, 200, path)
            self.assertEqual(head.body, b"", path)
            self.assertEqual(head.headers.get("etag"), get.headers.get("etag"), path)
            self.assertTrue(head.headers.get("content-type", "").startswith("application/json"))

    def test_content_type_with_charset_is_accepted(self):
        r = self.req("POST", "/api/projects", body='{"name":"charset"}',
                     content_type="application/json; charset=utf-8")
        self.assertEqual(r.status, 201, repr(r))
        r = self.req("PATCH", f"/api/projects/{r.json()['id']}", body='{"owner":"o"}',
                     content_type="Application/JSON;charset=UTF-8")
        self.assertEqual(r.status, 200, repr(r))


class ProjectValidation(ApiCase):
    def assertNothingWritten(self, before):
        self.assertEqual(self.revisions(), before)

    def test_name_is_required_on_create(self):
        before = self.revisions()
        self.assertInvalid(self.req("POST", "/api/projects", json={}), "name")
        self.assertInvalid(self.req("POST", "/api/projects", json={"owner": "x"}), "name")
        self.assertNothingWritten(before)

    def test_name_length_counts_code_points(self):
        self.assertEqual(self.project(name="a")["name"], "a")
        for name in ("x" * 200, "🚀" * 200, "é" * 200, "中" * 200):
            self.assertEqual(self.project(name=name)["name"], name)
        before = self.revisions()
        for name in ("x" * 201, "🚀" * 201, "é" * 201, "x" * 5000):
            self.assertInvalid(self.req("POST", "/api/projects", json={"name": name}), "name")
        self.assertNothingWritten(before)

    def test_empty_or_blank_name_is_rejected(self):
        row = self.project()
        before = self.revisions()
        for name in ("", " ", "   \t\n "):
            self.assertInvalid(self.req("POST", "/api/projects", json={"name": name}), "name")
            self.assertInvalid(self.req("PATCH", f"/api/projects/{row['id']}",
                                        json={"name": name}), "name")
        self.assertNothingWritten(before)

    def test_description_and_owner_limits(self):
        self.assertEqual(len(self.project(description="d" * 10000)["description"]), 10000)
        self.assertEqual(self.project(description="🚀" * 10000)["description"], "🚀" * 10000)
        self.assertEqual(self.project(owner="o" * 200)["owner"], "o" * 200)
        self.assertEqual(self.project(owner="ö" * 200)["owner"], "ö" * 200)
        before = self.revisions()
        self.assertInvalid(self.req("POST", "/api/projects",
                                    json={"name": "x", "description": "d" * 10001}), "description")
        self.assertInvalid(self.req("POST", "/api/projects",
                                    json={"name": "x", "owner": "o" * 201}), "owner")
        self.assertNothingWritten(before)

    def test_wrong_json_types_are_422_naming_the_field(self):
        row = self.project()
        before = self.revisions()
        cases = [
            ({"name": 5}, "name"), ({"name": None}, "name"), ({"name": ["a"]}, "name"),
            ({"name": True}, "name"), ({"name": {"x": 1}}, "name"),
            ({"description": 1}, "description"), ({"description": ["x"]}, "description"),
            ({"description": False}, "description"), ({"owner": 7}, "owner"),
            ({"owner": {}}, "owner"), ({"status": 1}, "status"), ({"status": None}, "status"),
            ({"status": ["active"]}, "status"),
        ]
        for body, field in cases:
            with self.subTest(body=body):
                create = dict({"name": "ok"}, **body)
                self.assertInvalid(self.req("POST", "/api/projects", json=create), field)
                self.assertInvalid(self.req("PATCH", f"/api/projects/{row['id']}", json=body),
                                   field)
        self.assertNothingWritten(before)

    def test_invalid_status_is_rejected(self):
        row = self.project()
        before = self.revisions()
        for status in ("", "Active", "ACTIVE", "on hold", "finished", "planned ", "active\u0000"):
            with self.subTest(status=status):
                self.assertInvalid(self.req("POST", "/api/projects",
                                            json={"name": "x", "status": status}), "status")
                self.assertInvalid(self.req("PATCH", f"/api/projects/{row['id']}",
                                            json={"status": status}), "status")
        self.assertNothingWritten(before)

    def test_unknown_fields_are_rejected(self):
        row = self.project()
        before = self.revisions()
        self.assertInvalid(self.req("POST", "/api/projects", json={"name": "x", "colour": "red"}),
                           "colour")
        self.assertInvalid(self.req("PATCH", f"/api/projects/{row['id']}",
                                    json={"Name": "x"}), "Name")
        self.assertInvalid(self.req("POST", "/api/projects",
                                    json={"name": "x", "project_id": row["id"]}), "project_id")
        self.assertInvalid(self.req("POST", "/api/projects", json={"name": "x", "phases": []}),
                           "phases")
        self.assertNothingWritten(before)

    def test_read_only_fields_are_rejected(self):
        row = self.project()
        before = self.revisions()
        for field, value in (("id", 12345), ("rev", 1), ("created_at", row["created_at"]),
                             ("updated_at", row["updated_at"])):
            with self.subTest(field=field):
                self.assertInvalid(self.req("POST", "/api/projects",
                                            json={"name": "x", field: value}), field)
                # Even the row's own current value is refused.
                self.assertInvalid(self.req("PATCH", f"/api/projects/{row['id']}",
                                            json={field: row[field]}), field)
        self.assertNothingWritten(before)

    def test_every_bad_field_is_named_at_once(self):
        r = self.req("POST", "/api/projects",
                     json={"name": "", "status": "nope", "owner": "o" * 201, "description": 3,
                           "id": 1, "extra": True})
        self.assertInvalid(r, "name", "status", "owner", "description", "id", "extra")

    def test_strings_are_stored_verbatim(self):
        for text in NASTY:
            with self.subTest(text=text):
                row = self.project(name=text, description=text + "\n" + text, owner=text[:200])
                self.assertRow(row, name=text, description=text + "\n" + text, owner=text[:200])
                self.assertEqual(self.get("projects", row["id"]), row)
                patched = self.ok("PATCH", f"/api/projects/{row['id']}",
                                  json={"name": text[::-1], "owner": text[::-1][:200]})
                self.assertRow(patched, name=text[::-1], owner=text[::-1][:200])
        # The tables are all still there and intact.
        self.ok("GET", "/api/projects")
        self.ok("GET", "/api/solutions")
        self.ok("GET", "/api/subcomponents")

    def test_escaped_unicode_in_json_is_decoded(self):
        r = self.req("POST", "/api/projects",
                     body=b'{"name":"\\u00e9\\ud83d\\ude80\\"\\\\\\/","owner":"\\t"}',
                     content_type="application/json")
        self.assertEqual(r.status, 201, repr(r))
        self.assertRow(r.json(), name='é🚀"\\/', owner="\t")

    def test_nul_character_is_kept_or_refused_never_truncated(self):
        r = self.req("POST", "/api/projects", json={"name": "a\u0000b", "description": "x\u0000y"})
        if r.status == 201:
            row = r.json()
            self.assertRow(row, name="a\u0000b", description="x\u0000y")
            self.assertEqual(self.get("projects", row["id"]), row)
        else:
            self.assertError(r, 422)


if __name__ == "__main__":
    unittest.main()
