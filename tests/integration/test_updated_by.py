"""Who changed a row (`updated_by`), through the real nginx and pool: every write path (POST,
PATCH, PUT phases, PUT checklist, CSV import) records the user the site's access mode verified
(basic auth, or the user the single-sign-on proxy names), the row JSON and the CSV export carry it,
and a client can never set it: a body field is a 422 that changes nothing, an `updated_by` cell
is ignored on import, and user headers sent from outside never reach a row, on an open site or a
closed one. Runs on SQLite and, as integration.pg.test_updated_by, on PostgreSQL.
"""
import unittest

from csv_client import CsvCase, csv_text, parse_csv
from livesync_stack import Stack
from test_access_modes import SsoServer

# Headers an outsider might try, hoping one of them is taken for the authenticated user.
SPOOFS = {
    "X-Remote-User": "mallory",
    "Remote-User": "mallory",
    "X-Forwarded-User": "mallory",
    "X-Auth-Request-User": "mallory",
    "X-Auth-Request-Preferred-Username": "mallory",
    "Livesync-User": "mallory",
    "X-User": "mallory",
}


class UpdatedByCase(CsvCase):
    """A stack in `access` mode; `auth(name)` gives the headers that sign `name` in."""
    access = "open"
    stack_args = {}

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(workers=2, daemon=False, access=cls.access, **cls.stack_args)
        cls.stack.start()

    def auth(self, name):
        raise NotImplementedError

    def as_(self, name, **headers):
        return {**self.auth(name), **headers}

    def user_of(self, entity, row_id, name):
        return self.ok("GET", f"/api/{entity}/{row_id}", headers=self.auth(name))["updated_by"]

    def assertReadOnlyRefused(self, name):
        """`updated_by` in a create or patch body is a 422 naming it, and nothing changes."""
        before = self.revisions_as(name)
        r = self.req("POST", "/api/projects", json={"name": "P", "updated_by": "mallory"},
                     headers=self.auth(name))
        err = self.assertError(r, 422, "validation_failed", fields={"updated_by"})
        self.assertEqual(err["details"]["updated_by"], "is read-only")
        p = self.ok("POST", "/api/projects", status=201, json={"name": "P"},
                    headers=self.auth(name))
        for body in ({"updated_by": "mallory"}, {"name": "Q", "updated_by": ""}):
            r = self.req("PATCH", f"/api/projects/{p['id']}", json=body, headers=self.auth(name))
            self.assertError(r, 422, "validation_failed", fields={"updated_by"})
        self.assertEqual(self.ok("GET", f"/api/projects/{p['id']}", headers=self.auth(name)), p)
        self.assertEqual(self.revisions_as(name)["rev"], before["rev"] + 1)

    def revisions_as(self, name):
        return self.ok("GET", "/api/revisions", headers=self.auth(name))


class OpenSite(UpdatedByCase):
    def auth(self, name):
        return {}

    def test_rows_name_nobody_whatever_headers_the_client_sends(self):
        p = self.ok("POST", "/api/projects", status=201, json={"name": "P"}, headers=SPOOFS)
        self.assertEqual(p["updated_by"], "")
        p = self.ok("PATCH", f"/api/projects/{p['id']}", json={"name": "P2"}, headers=SPOOFS)
        self.assertEqual(p["updated_by"], "")
        s = self.ok("POST", "/api/solutions", status=201,
                    json={"project_id": p["id"], "name": "S"}, headers=SPOOFS)
        s = self.ok("PUT", f"/api/solutions/{s['id']}/phases/build", json={"enabled": False},
                    headers=SPOOFS)
        self.assertEqual(s["updated_by"], "")
        c = self.ok("POST", "/api/subcomponents", status=201,
                    json={"solution_id": s["id"], "name": "C"}, headers=SPOOFS)
        c = self.ok("PUT", f"/api/subcomponents/{c['id']}/checklist",
                    json={"items": [{"label": "x", "done": True}]}, headers=SPOOFS)
        self.assertEqual(c["updated_by"], "")
        self.import_ok("projects", csv_text([["id", "name"], [p["id"], "P3"], ["", "New"]]),
                       headers=SPOOFS)
        rows = self.ok("GET", "/api/projects")["items"]
        self.assertTrue(rows)
        self.assertEqual({row["updated_by"] for row in rows}, {""})
        self.assertEqual({row[-2] for row in parse_csv(self.export_body("projects"))[1:]}, {""})

    def test_a_body_field_is_refused_and_changes_nothing(self):
        self.assertReadOnlyRefused(None)

    def test_an_updated_by_cell_is_accepted_and_ignored(self):
        result = self.import_ok("projects", csv_text([["name", "updated_by"], ["Q", "mallory"]]))
        self.assertEqual(result["created"], 1)
        rows = [r for r in self.ok("GET", "/api/projects")["items"] if r["name"] == "Q"]
        self.assertEqual([r["updated_by"] for r in rows], [""])


class BasicSite(UpdatedByCase):
    access = "basic"
    stack_args = {"users": ["alice", "bob"]}

    def auth(self, name):
        return self.stack.basic_auth(name or "alice")

    def test_every_write_path_records_the_verified_user(self):
        p = self.ok("POST", "/api/projects", status=201, json={"name": "P"},
                    headers=self.auth("alice"))
        self.assertEqual(p["updated_by"], "alice")
        self.assertEqual(self.user_of("projects", p["id"], "bob"), "alice")
        p = self.ok("PATCH", f"/api/projects/{p['id']}", json={"owner": "team"},
                    headers=self.auth("bob"))
        self.assertEqual(p["updated_by"], "bob")
        # A patch that changes nothing is no change: the row keeps who made the last one.
        same = self.ok("PATCH", f"/api/projects/{p['id']}", json={"owner": "team"},
                       headers=self.auth("alice"))
        self.assertEqual((same["rev"], same["updated_by"]), (p["rev"], "bob"))

        s = self.ok("POST", "/api/solutions", status=201,
                    json={"project_id": p["id"], "name": "S"}, headers=self.auth("bob"))
        self.assertEqual(s["updated_by"], "bob")
        s = self.ok("PUT", f"/api/solutions/{s['id']}/phases/test", json={"enabled": False},
                    headers=self.auth("alice"))
        self.assertEqual(s["updated_by"], "alice")
        c = self.ok("POST", "/api/subcomponents", status=201,
                    json={"solution_id": s["id"], "name": "C"}, headers=self.auth("alice"))
        c = self.ok("PUT", f"/api/subcomponents/{c['id']}/checklist",
                    json={"items": [{"label": "x", "done": False}]}, headers=self.auth("bob"))
        self.assertEqual(c["updated_by"], "bob")
        # The parent is not written by its child's change.
        self.assertEqual(self.user_of("projects", p["id"], "alice"), "bob")
        self.assertEqual(self.user_of("solutions", s["id"], "alice"), "alice")

        # Lists and changes since a revision carry it too.
        listed = self.ok("GET", f"/api/subcomponents?solution_id={s['id']}",
                         headers=self.auth("alice"))["items"]
        self.assertEqual([r["updated_by"] for r in listed], ["bob"])
        since = self.ok("GET", f"/api/solutions?since={s['rev'] - 1}",
                        headers=self.auth("alice"))["items"]
        self.assertIn(("S", "alice"), [(r["name"], r["updated_by"]) for r in since])

    def test_a_stale_write_shows_who_saved_the_newer_version(self):
        p = self.ok("POST", "/api/projects", status=201, json={"name": "P"},
                    headers=self.auth("alice"))
        newer = self.ok("PATCH", f"/api/projects/{p['id']}", json={"name": "Bob's"},
                        headers=self.as_("bob", **{"If-Match": f'"{p["rev"]}"'}))
        r = self.req("PATCH", f"/api/projects/{p['id']}", json={"name": "Alice's"},
                     headers=self.as_("alice", **{"If-Match": f'"{p["rev"]}"'}))
        err = self.assertError(r, 412, "precondition_failed")
        self.assertEqual(err["details"]["current"], newer)
        self.assertEqual(newer["updated_by"], "bob")

    def test_import_records_the_importer_and_ignores_the_column(self):
        p = self.ok("POST", "/api/projects", status=201, json={"name": "Kept"},
                    headers=self.auth("bob"))
        q = self.ok("POST", "/api/projects", status=201, json={"name": "Renamed"},
                    headers=self.auth("bob"))
        text = csv_text([["id", "name", "updated_by"], [p["id"], "Kept", "mallory"],
                         [q["id"], "Renamed!", "mallory"], ["", "Fresh", "mallory"]])
        result = self.import_ok("projects", text, headers=self.auth("alice"))
        self.assertEqual((result["created"], result["updated"]), (1, 1))
        rows = {r["name"]: r for r in self.ok("GET", "/api/projects",
                                                headers=self.auth("alice"))["items"]}
        self.assertEqual(rows["Kept"]["updated_by"], "bob")  # unchanged: not written
        self.assertEqual(rows["Renamed!"]["updated_by"], "alice")
        self.assertEqual(rows["Fresh"]["updated_by"], "alice")

        # The export names each row's user after updated_at, and importing it back (as anyone)
        # changes nothing: export → import → export is the identity.
        r = self.export("projects", headers=self.auth("bob"))
        self.assertEqual(r.status, 200, repr(r))
        exported = parse_csv(r.body)
        at = exported[0].index("updated_by")
        self.assertEqual(exported[0][at - 1:at + 2], ["updated_at", "updated_by", "rev"])
        by_name = {row[1]: row[at] for row in exported[1:]}
        self.assertEqual((by_name["Kept"], by_name["Renamed!"], by_name["Fresh"]),
                         ("bob", "alice", "alice"))
        again = self.import_ok("projects", r.body.decode(), headers=self.auth("bob"))
        self.assertEqual((again["created"], again["updated"]), (0, 0))
        self.assertEqual(self.export("projects", headers=self.auth("bob")).body, r.body)

    def test_a_body_field_is_refused_and_changes_nothing(self):
        self.assertReadOnlyRefused("alice")

    def test_user_headers_from_outside_do_not_reach_the_row(self):
        p = self.ok("POST", "/api/projects", status=201, json={"name": "P"},
                    headers=self.as_("bob", **SPOOFS))
        self.assertEqual(p["updated_by"], "bob")
        p = self.ok("PATCH", f"/api/projects/{p['id']}", json={"name": "P2"},
                    headers=self.as_("alice", **SPOOFS))
        self.assertEqual(p["updated_by"], "alice")
        self.import_ok("projects", csv_text([["id", "name"], [p["id"], "P3"]]),
                       headers=self.as_("bob", **SPOOFS))
        self.assertEqual(self.user_of("projects", p["id"], "alice"), "bob")
        # Without credentials the headers get nowhere at all.
        r = self.req("POST", "/api/projects", json={"name": "M"}, headers=SPOOFS)
        self.assertEqual(r.status, 401, repr(r))


class SsoSite(UpdatedByCase):
    access = "sso"
    sessions = {"session=carol-token": "carol", "session=dave-token": "dave"}

    @classmethod
    def setUpClass(cls):
        cls.sso = SsoServer()
        cls.sso.sessions = cls.sessions
        cls.stack_args = {"access_values": {"AUTH_URL": cls.sso.url},
                          "ready_headers": cls.cookie("carol")}
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.sso.shutdown()
        cls.sso.server_close()

    @classmethod
    def cookie(cls, name):
        return {"Cookie": f"session={name or 'carol'}-token"}

    def auth(self, name):
        return self.cookie(name)

    def test_the_user_the_proxy_names_is_recorded_not_the_clients_headers(self):
        p = self.ok("POST", "/api/projects", status=201, json={"name": "P"},
                    headers=self.as_("carol", **SPOOFS))
        self.assertEqual(p["updated_by"], "carol")
        p = self.ok("PATCH", f"/api/projects/{p['id']}", json={"name": "P2"},
                    headers=self.as_("dave", **SPOOFS))
        self.assertEqual(p["updated_by"], "dave")
        self.import_ok("projects", csv_text([["id", "name"], [p["id"], "P3"]]),
                       headers=self.as_("carol", **SPOOFS))
        self.assertEqual(self.user_of("projects", p["id"], "dave"), "carol")
        r = self.req("POST", "/api/projects", json={"name": "M"}, headers=SPOOFS)
        self.assertEqual(r.status, 401, repr(r))

    def test_a_body_field_is_refused_and_changes_nothing(self):
        self.assertReadOnlyRefused("carol")


if __name__ == "__main__":
    unittest.main()
