"""CSV import over HTTPS through nginx: valid files of each entity (header in any order, RFC 4180
quoting, CRLF or LF, BOM), all-or-nothing on bad files with every bad row listed by line and
column, the content-type / origin / size / route rules, and exactly one change datagram per
successful import (none for a refused or empty one)."""
import json
import subprocess
import time
import unittest

from csv_client import CsvCase, SignalReceiver, csv_text, dump
from livesync_stack import STORE


class ImportCase(CsvCase):
    def setUp(self):
        super().setUp()
        self.signals = SignalReceiver(self.stack.signal_socket)
        self.addCleanup(self.signals.close)

    def test_projects_header_in_any_order_with_quoting_crlf_and_bom(self):
        text = "\ufeff" + csv_text([
            ["owner", "status", "description", "name"],
            ["ann", "active", 'has "quotes", commas\r\nand two lines', "Alpha"],
            ["", "", "", "Beta  "],
        ])
        before = self.revisions()["rev"]
        result = self.import_ok("projects", text, headers={"X-Client-Id": "tab-7"})
        self.assertEqual(result, {"created": 2, "updated": 0, "rev": before + 1})
        # On PostgreSQL the signal is a NOTIFY, not a datagram: pg.test_csv_events and
        # test_pg_listener see it arrive as one event.
        if STORE != "postgres":
            signals = self.signals.drain()
            self.assertEqual(len(signals), 1, signals)
            self.assertEqual((signals[0]["entity"], signals[0]["rev"], signals[0]["origin"]),
                             ("projects", before + 1, "tab-7"))
        items = [p for p in self.ok("GET", "/api/projects")["items"] if p["rev"] == before + 1]
        self.assertEqual(len(items), 2)
        alpha = next(p for p in items if p["name"] == "Alpha")
        self.assertRow(alpha, owner="ann", status="active",
                       description='has "quotes", commas\r\nand two lines')
        beta = next(p for p in items if p["name"] == "Beta  ")
        self.assertRow(beta, status="planned", owner="", description="")

    def test_lf_line_ends_and_no_final_line_break(self):
        result = self.import_ok("projects", "name,owner\nGamma,g\nDelta,d")
        self.assertEqual(result["created"], 2)

    def test_solutions_with_phases(self):
        p = self.project()
        text = csv_text([["project_id", "name", "phases"],
                         [p["id"], "all", "discovery;design;build;test;deploy"],
                         [p["id"], "some", "deploy;build"],
                         [p["id"], "none", ""]])
        self.import_ok("solutions", text)
        got = {s["name"]: s for s in self.ok("GET", f"/api/solutions?project_id={p['id']}")["items"]}
        enabled = lambda s: [ph["name"] for ph in s["phases"] if ph["enabled"]]
        self.assertEqual(enabled(got["all"]), ["discovery", "design", "build", "test", "deploy"])
        self.assertEqual(enabled(got["some"]), ["build", "deploy"])
        self.assertEqual(enabled(got["none"]), [])
        self.import_ok("solutions", csv_text([["name", "project_id"], ["default", p["id"]]]))
        default = [s for s in self.ok("GET", f"/api/solutions?project_id={p['id']}")["items"]
                   if s["name"] == "default"][0]
        self.assertTrue(all(ph["enabled"] for ph in default["phases"]))

    def test_subcomponents_with_checklists(self):
        s = self.solution()
        items = [{"label": "write, test", "done": True}, {"label": "ship \"it\"", "done": False}]
        text = csv_text([["solution_id", "name", "checklist", "owner"],
                         [s["id"], "with list", json.dumps(items), "o"],
                         [s["id"], "empty list", "", ""]])
        self.assertEqual(self.import_ok("subcomponents", text)["created"], 2)
        got = {c["name"]: c for c in
               self.ok("GET", f"/api/subcomponents?solution_id={s['id']}")["items"]}
        self.assertEqual([{k: i[k] for k in ("label", "done")} for i in got["with list"]["checklist"]],
                         items)
        self.assertEqual(got["empty list"]["checklist"], [])

    def test_updates_by_id_change_only_given_columns(self):
        p = self.project(name="before", owner="keep")
        result = self.import_ok("projects", csv_text([["id", "name", "status"],
                                                      [p["id"], "after", "done"]]))
        self.assertEqual((result["created"], result["updated"]), (0, 1))
        self.assertRow(self.get("projects", p["id"]), name="after", status="done", owner="keep")

    def test_one_bad_row_among_10000_changes_nothing_and_sends_nothing(self):
        p = self.project()
        rows = [["project_id", "name", "description"]]
        rows += [[p["id"], f"solution {i}", f"row {i}"] for i in range(10000)]
        rows[7532][1] = ""  # the 7532nd data row: physical line 7533
        self.signals.drain(quiet=0.2)
        before = dump(self.stack.db_path)
        errors = self.import_errors("solutions", csv_text(rows))
        self.assertEqual(errors, [{"line": 7533, "column": "name",
                                   "message": errors[0]["message"]}])
        self.assertEqual(dump(self.stack.db_path), before)
        self.assertEqual(self.signals.drain(), [])

    def test_every_bad_row_is_listed_with_line_and_column(self):
        p = self.project()
        text = ("project_id,name,status,phases\n"
                f"{p['id']},ok,active,build\n"
                f"{p['id']},,active,build\n"             # line 3: name
                f"{p['id']},\"two\nlines\",asleep,x\n"   # line 4: status and phases
                f"999999,orphan,,\n"                     # line 6: project_id
                f"{p['id']},short\n")                    # line 7: cell count
        errors = self.import_errors("solutions", text)
        self.assertEqual([(e["line"], e["column"]) for e in errors],
                         [(3, "name"), (4, "status"), (4, "phases"), (6, "project_id"), (7, None)])
        self.assertIn("999999", errors[3]["message"])

    def test_errors_are_capped_with_a_count_of_the_rest(self):
        text = "name,status\n" + "x,bad\n" * 1500
        r = self.import_csv("projects", text)
        details = self.assertError(r, 422, "validation_failed")["details"]
        self.assertEqual(len(details["errors"]), 1000)
        self.assertEqual(details["omitted"], 500)
        self.assertEqual(details["errors"][-1]["line"], 1001)

    def test_header_errors(self):
        cases = {
            "name,colour\nx,red\n": [(1, "colour")],
            "name,owner,name\nx,y,z\n": [(1, "name")],
            "description\nx\n": [(1, "name")],
            "project_id,name\n": None,  # a solutions column in a projects file
        }
        for text, expected in cases.items():
            with self.subTest(text=text):
                errors = self.import_errors("projects", text)
                if expected:
                    self.assertEqual([(e["line"], e["column"]) for e in errors], expected)
                else:
                    self.assertEqual(errors[0]["column"], "project_id")
        errors = self.import_errors("subcomponents", "name,description\nx,y\n")
        self.assertEqual([(e["line"], e["column"]) for e in errors], [(1, "solution_id")])

    def test_invalid_utf8_is_422_with_its_line(self):
        body = b"name,description\nok,fine\nbad,\"first line\nsecond \xff line\"\n"
        errors = self.import_errors("projects", body)
        self.assertEqual([(e["line"], e["column"]) for e in errors], [(4, "description")])
        self.assertIn("UTF-8", errors[0]["message"])

    def test_malformed_quoting_is_422_with_its_line(self):
        errors = self.import_errors("projects", 'name\nok\n"open"x\n')
        self.assertEqual(errors[0]["line"], 3)
        errors = self.import_errors("projects", 'name\nok\n"never closed\n\n')
        self.assertEqual(errors[0]["line"], 3)

    def test_leading_quote_is_removed_once(self):
        self.import_ok("projects", "name,owner\n'=SUM(A1),''me\n")
        names = {p["name"]: p for p in self.ok("GET", "/api/projects")["items"]}
        self.assertEqual(names["=SUM(A1)"]["owner"], "'me")

    def test_empty_and_header_only_files_answer_the_current_rev_and_change_nothing(self):
        self.project()
        self.signals.drain(quiet=0.2)
        for text in ["", "name,owner\r\n", "\ufeffname\n\n\n"]:
            with self.subTest(text=text):
                before = dump(self.stack.db_path)
                rev = self.revisions()["rev"]
                self.assertEqual(self.import_ok("projects", text),
                                 {"created": 0, "updated": 0, "rev": rev})
                self.assertEqual(dump(self.stack.db_path), before)
        self.assertEqual(self.signals.drain(), [])

    def test_content_type_must_be_text_csv(self):
        before = self.revisions()
        for ct in [None, "application/json", "text/plain", "text/csvx"]:
            with self.subTest(ct=ct):
                r = self.req("POST", "/api/import/projects", body=b"name\nx\n", content_type=ct)
                self.assertError(r, 415, "unsupported_media_type")
        self.import_ok("projects", "name\nfine\n", content_type="text/csv; charset=utf-8")
        self.assertEqual(self.revisions()["rev"], before["rev"] + 1)

    def test_cross_origin_imports_are_403_and_change_nothing(self):
        before = self.revisions()
        for headers in [{"Origin": "https://evil.example"}, {"Sec-Fetch-Site": "cross-site"},
                        {"Sec-Fetch-Site": "same-site"}]:
            with self.subTest(headers=headers):
                r = self.import_csv("projects", "name\nx\n", headers=headers)
                self.assertError(r, 403, "forbidden_origin")
        self.import_ok("projects", "name\nsame origin\n", headers={"Origin": self.stack.origin})
        self.assertEqual(self.revisions()["rev"], before["rev"] + 1)

    def test_unknown_entities_and_wrong_methods(self):
        self.assertError(self.import_csv("widgets", "name\nx\n"), 404)
        self.assertError(self.import_csv("all", "name\nx\n"), 404)
        r = self.req("GET", "/api/import/projects")
        self.assertError(r, 405)
        self.assertIn("POST", r.headers["allow"])


class RowsThatVanish(CsvCase):
    """A parent, or a row named by id, that is gone: a 422 naming its line and column, the same on
    both stores, and nothing of the file written. On PostgreSQL a session outside livesync can
    delete it while the import runs (SQLite's write lock keeps everyone else out): the import
    then waits for that session and answers exactly as if the row had been gone before."""

    def setUp(self):
        super().setUp()
        self.kept = self.project(name="kept")
        self.gone = self.project(name="gone")

    def solutions_file(self):
        return f"project_id,name\n{self.kept['id']},a\n{self.gone['id']},b\n"

    def projects_file(self):
        return f"id,name\n{self.kept['id']},renamed\n{self.gone['id']},renamed\n"

    def expected(self, column):
        return [{"line": 3, "column": column,
                 "message": f"project {self.gone['id']} does not exist"}]

    def assertNothingWritten(self):
        self.assertEqual(self.get("projects", self.kept["id"])["name"], "kept")
        self.assertEqual(self.ok("GET", "/api/solutions")["items"], [])

    def test_a_parent_deleted_before_the_import(self):
        self.ok("DELETE", f"/api/projects/{self.gone['id']}", status=204)
        self.assertEqual(self.import_errors("solutions", self.solutions_file()),
                         self.expected("project_id"))
        self.assertNothingWritten()

    def test_a_row_named_by_id_deleted_before_the_import(self):
        self.ok("DELETE", f"/api/projects/{self.gone['id']}", status=204)
        self.assertEqual(self.import_errors("projects", self.projects_file()),
                         self.expected("id"))
        self.assertNothingWritten()

    def deleting_session(self):
        """A psql session that deletes the `gone` project and commits once a statement of the
        pool waits for it (so in the middle of the import's transaction)."""
        sql = f"""
            -- the deleter (pg_stat_activity shows the first 1 KiB of this)
            BEGIN;
            DELETE FROM projects WHERE id = {self.gone['id']};
            DO $$
            DECLARE since timestamptz := clock_timestamp();
            BEGIN
              WHILE NOT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted
                                AND pg_backend_pid() = ANY (pg_blocking_pids(pid))) LOOP
                IF clock_timestamp() - since > interval '10 s' THEN
                  RAISE EXCEPTION 'the import never waited for this session';
                END IF;
                PERFORM pg_sleep(0.01);
              END LOOP;
            END $$;
            COMMIT;"""
        session = subprocess.Popen(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d",
                                    self.stack.pg.uri, "-c", sql], stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 10
        while self.stack.pg.psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event = "
                                 "'PgSleep' AND query LIKE '%the deleter%'").strip() != "1":
            if session.poll() is not None:
                self.fail("the deleting session ended early: " + session.stderr.read())
            self.assertLess(time.monotonic(), deadline, "the deleting session never started: " +
                            self.stack.pg.psql("SELECT state, wait_event, left(query, 80) "
                                               "FROM pg_stat_activity"))
            time.sleep(0.02)
        return session

    def import_while_deleted(self, entity, text):
        session = self.deleting_session()
        try:
            return self.import_errors(entity, text)
        finally:
            _, err = session.communicate(timeout=20)
            self.assertEqual(session.returncode, 0, err)

    @unittest.skipUnless(STORE == "postgres", "another session writes only on PostgreSQL")
    def test_a_parent_deleted_by_another_session_during_the_import(self):
        self.assertEqual(self.import_while_deleted("solutions", self.solutions_file()),
                         self.expected("project_id"))
        self.assertNothingWritten()

    @unittest.skipUnless(STORE == "postgres", "another session writes only on PostgreSQL")
    def test_a_row_named_by_id_deleted_by_another_session_during_the_import(self):
        self.assertEqual(self.import_while_deleted("projects", self.projects_file()),
                         self.expected("id"))
        self.assertNothingWritten()


class ImportLimits(CsvCase):
    config = {"csv_body_limit": 4096}

    def test_the_pools_csv_body_limit_is_413(self):
        before = self.revisions()
        r = self.import_csv("projects", "name\n" + "x\n" * 3000)
        self.assertError(r, 413, "payload_too_large")
        self.assertEqual(self.revisions(), before)
        self.import_ok("projects", "name\n" + "x\n" * 100)


if __name__ == "__main__":
    unittest.main()
