"""CSV export over HTTPS through nginx: headers (text/csv, attachment filename, ETag/304), the
columns of each entity, spreadsheet formulas neutralised, and export → import → export as the
identity (nothing changes, no revision moves), for all three entities."""
import json
import unittest

from csv_client import CsvCase, csv_text, dump, parse_csv

FORMULAS = ["=1+2", "+CMD|' /C calc'!A0", "-2", "@SUM(A1)", "\tTAB", "'quoted", "\rCR"]


class ExportCase(CsvCase):
    def setUp(self):
        super().setUp()
        self.p = self.project(name="=HYPERLINK(\"http://x\")", owner="@me",
                              description="commas, \"quotes\"\nand lines")
        self.s = self.solution(self.p["id"], name="sol", phases=[{"name": "build", "enabled": False}])
        self.c = self.subcomponent(self.s["id"], name="-sub",
                                   checklist=[{"label": "=a", "done": True},
                                              {"label": "b, \"c\"", "done": False}])

    def test_headers(self):
        for entity in ["projects", "solutions", "subcomponents"]:
            with self.subTest(entity=entity):
                r = self.export(entity)
                self.assertEqual(r.status, 200)
                self.assertEqual(r.headers["content-type"], "text/csv; charset=utf-8")
                self.assertEqual(r.headers["content-disposition"],
                                 f'attachment; filename="{entity}.csv"')
                etag = r.headers["etag"]
                self.assertEqual(etag, f'"{self.revisions()[entity]}"')
                self.assertEqual(self.export(entity, headers={"If-None-Match": etag}).status, 304)
                self.assertTrue(r.body.endswith(b"\r\n"))

    def test_columns(self):
        self.assertEqual(self.export_rows("projects")[0],
                         ["id", "name", "description", "status", "owner", "created_at",
                          "updated_at", "updated_by", "rev"])
        self.assertEqual(self.export_rows("solutions")[0],
                         ["id", "project_id", "name", "description", "status", "phases",
                          "created_at", "updated_at", "updated_by", "rev"])
        self.assertEqual(self.export_rows("subcomponents")[0],
                         ["id", "solution_id", "name", "description", "status", "owner",
                          "checklist", "created_at", "updated_at", "updated_by", "rev"])
        row = {r[0]: r for r in self.export_rows("solutions")[1:]}[str(self.s["id"])]
        self.assertEqual(row[5], "discovery;design;test;deploy")
        row = {r[0]: r for r in self.export_rows("subcomponents")[1:]}[str(self.c["id"])]
        self.assertEqual(json.loads(row[6]), [{"label": "=a", "done": True},
                                              {"label": "b, \"c\"", "done": False}])
        self.assertEqual(row[9], "")  # updated_by: nobody on an open site
        self.assertEqual(row[10], str(self.c["rev"]))

    def test_formulas_are_neutralised(self):
        ids = [self.project(name=f)["id"] for f in FORMULAS]
        rows = {r[0]: r for r in self.export_rows("projects")[1:]}
        for pid, f in zip(ids, FORMULAS):
            self.assertEqual(rows[str(pid)][1], "'" + f)
        mine = rows[str(self.p["id"])]
        self.assertEqual(mine[1], "'=HYPERLINK(\"http://x\")")
        self.assertEqual(mine[4], "'@me")
        self.assertEqual(mine[2], "commas, \"quotes\"\nand lines")

    def test_export_import_round_trip_is_the_identity(self):
        for f in FORMULAS:
            self.project(name=f, description=f, owner=f)
        for entity in ["projects", "solutions", "subcomponents"]:
            with self.subTest(entity=entity):
                exported = self.export(entity).body
                before = dump(self.stack.db_path)
                rev = self.revisions()["rev"]
                self.assertEqual(self.import_ok(entity, exported),
                                 {"created": 0, "updated": 0, "rev": rev})
                self.assertEqual(dump(self.stack.db_path), before)
                self.assertEqual(self.export(entity).body, exported)

    def test_edited_export_updates_only_the_edited_rows(self):
        rows = self.export_rows("projects")
        mine = next(r for r in rows if r[0] == str(self.p["id"]))
        mine[3] = "active"
        result = self.import_ok("projects", csv_text(rows))
        self.assertEqual((result["created"], result["updated"]), (0, 1))
        self.assertRow(self.get("projects", self.p["id"]), status="active",
                       name=self.p["name"], owner="@me")

    def test_unknown_files(self):
        for path in ["/api/export/projects", "/api/export/widgets.csv", "/api/export/all.csv",
                     "/api/export/.csv", "/api/export/projects.json"]:
            with self.subTest(path=path):
                self.assertError(self.req("GET", path), 404)
        self.assertError(self.req("POST", "/api/export/projects.csv", body=b"",
                                  content_type="text/csv"), 405)


class BigExportCase(CsvCase):
    """An export far larger than one 64 KiB piece and nginx's in-memory buffers is streamed: no
    Content-Length, and what arrives is the whole table and imports back unchanged."""

    ROWS = 20_000

    def test_big_export_is_whole_and_round_trips(self):
        s = self.solution(self.project()["id"])
        items = json.dumps([{"label": f"step {k}, \"{k}\"", "done": k % 2 == 0} for k in range(5)])
        self.import_ok("subcomponents", csv_text(
            [["solution_id", "name", "checklist"]] +
            [[s["id"], f"Part {i}", items] for i in range(self.ROWS)]))

        r = self.export("subcomponents")
        self.assertEqual(r.status, 200)
        self.assertNotIn("content-length", r.headers)
        self.assertEqual(r.headers["etag"], f'"{self.revisions()["subcomponents"]}"')
        self.assertGreater(len(r.body), 4 << 20)
        self.assertTrue(r.body.endswith(b"\r\n"))
        rows = parse_csv(r.body)
        mine = [row for row in rows[1:] if row[1] == str(s["id"])]
        self.assertEqual([row[2] for row in mine], [f"Part {i}" for i in range(self.ROWS)])
        ids = [int(row[0]) for row in rows[1:]]
        self.assertEqual(ids, sorted(set(ids)))
        self.assertTrue(all(json.loads(row[6]) == json.loads(items) for row in mine))

        rev = self.revisions()["rev"]
        self.assertEqual(self.import_ok("subcomponents", r.body),
                         {"created": 0, "updated": 0, "rev": rev})

        head = self.req("HEAD", "/api/export/subcomponents.csv")
        self.assertEqual((head.status, head.body), (200, b""))
        self.assertEqual(head.headers["etag"], r.headers["etag"])
        self.assertEqual(self.export("subcomponents").body, r.body)


if __name__ == "__main__":
    unittest.main()
