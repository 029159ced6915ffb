"""Large lists over the real stack (SPEC §3 "Large lists"): keyset pages in both orders followed
to the end by `next`, filters alone and combined (with the parent filters too), name search with
%, _, backslash, case and non-ASCII text, a strong ETag per page and filter with 304, and a 422
naming the parameter for every bad value."""
import unittest
import uuid
from urllib.parse import quote

from api_client import ApiCase

ENTITIES = ("projects", "solutions", "subcomponents")


class Pages(ApiCase):
    def walk(self, path, limit, order=None):
        """Follows `next` from the first page to the last; returns the ids seen and the pages."""
        ids, pages, after = [], 0, None
        while True:
            q = f"limit={limit}" + (f"&order={order}" if order else "") + \
                (f"&after={after}" if after is not None else "")
            body = self.ok("GET", f"{path}{'&' if '?' in path else '?'}{q}")
            pages += 1
            self.assertLessEqual(len(body["items"]), limit)
            ids += [row["id"] for row in body["items"]]
            if body["next"] is None:
                return ids, pages
            self.assertEqual(body["next"], body["items"][-1]["id"])
            after = body["next"]

    def test_pages_walk_every_row_once_in_both_orders(self):
        for _ in range(11):
            self.subcomponent()
        for entity in ENTITIES:
            with self.subTest(entity=entity):
                everything = self.list_ids(f"/api/{entity}")
                ids, pages = self.walk(f"/api/{entity}", 4)
                self.assertEqual(ids, everything)
                self.assertEqual(pages, (len(everything) + 3) // 4)
                ids, _ = self.walk(f"/api/{entity}", 4, order="desc")
                self.assertEqual(ids, everything[::-1])
                ids, pages = self.walk(f"/api/{entity}", 1000)
                self.assertEqual((ids, pages), (everything, 1))

    def test_a_page_carries_rows_in_full_and_the_entity_revision(self):
        s = self.subcomponent(checklist=[{"label": "one", "done": True}])
        body = self.ok("GET", f"/api/subcomponents?solution_id={s['solution_id']}&limit=5")
        self.assertEqual(body["items"], [s])
        self.assertIsNone(body["next"])
        self.assertEqual(body["rev"], self.revisions()["subcomponents"])

    def test_after_a_deleted_id_still_pages_from_there(self):
        p = self.project()
        rows = [self.solution(p["id"]) for _ in range(4)]
        self.ok("DELETE", f"/api/solutions/{rows[1]['id']}", status=204)
        body = self.ok("GET", f"/api/solutions?project_id={p['id']}&limit=10&after={rows[1]['id']}")
        self.assertEqual([r["id"] for r in body["items"]], [rows[2]["id"], rows[3]["id"]])
        body = self.ok("GET", f"/api/solutions?project_id={p['id']}&limit=10&after={rows[1]['id']}"
                              "&order=desc")
        self.assertEqual([r["id"] for r in body["items"]], [rows[0]["id"]])

    def test_a_plain_list_answers_as_before(self):
        self.project()
        body = self.ok("GET", "/api/projects")
        self.assertEqual(set(body), {"items", "rev"})
        self.assertEqual(self.req("GET", "/api/projects").headers["etag"], f'"{body["rev"]}"')


class Filters(ApiCase):
    def setUp(self):
        super().setUp()
        self.tag = uuid.uuid4().hex[:8]  # names and owners unique to this test

    def ids(self, path):
        return self.list_ids(path)

    def test_status_owner_and_parent_filters_combine(self):
        t = self.tag
        p = self.project(owner=f"ann{t}", status="active")
        q = self.project(owner=f"ann{t}", status="done")
        self.project(owner=f"bob{t}", status="active")
        self.assertEqual(self.ids(f"/api/projects?owner=ann{t}"), [p["id"], q["id"]])
        self.assertEqual(self.ids(f"/api/projects?owner=ann{t}&status=active"), [p["id"]])
        self.assertEqual(self.ids(f"/api/projects?owner=ANN{t}"), [])  # owner is exact

        s1 = self.solution(p["id"], status="active")
        s2 = self.solution(p["id"], status="done")
        self.solution(q["id"], status="active")
        self.assertEqual(self.ids(f"/api/solutions?project_id={p['id']}&status=active"), [s1["id"]])
        self.assertEqual(self.ids(f"/api/solutions?status=done&project_id={p['id']}"), [s2["id"]])

        c1 = self.subcomponent(s1["id"], owner=f"cy{t}", status="on_hold", name=f"Gear {t}")
        self.subcomponent(s1["id"], owner=f"cy{t}", status="planned", name=f"gear {t}")
        self.subcomponent(s2["id"], owner=f"cy{t}", status="on_hold", name=f"GEAR {t}")
        path = f"/api/subcomponents?solution_id={s1['id']}&owner=cy{t}&status=on_hold&q=gEaR"
        self.assertEqual(self.ids(path), [c1["id"]])
        body = self.ok("GET", path + "&limit=1")
        self.assertEqual([r["id"] for r in body["items"]], [c1["id"]])
        self.assertIsNone(body["next"])

    def test_filters_with_pages_follow_next_to_the_end(self):
        t = self.tag
        want = [self.project(owner=f"pg{t}", status="on_hold")["id"] for _ in range(5)]
        self.project(owner=f"pg{t}", status="done")
        seen, after = [], None
        while True:
            path = f"/api/projects?owner=pg{t}&status=on_hold&limit=2&order=desc"
            body = self.ok("GET", path + (f"&after={after}" if after else ""))
            seen += [r["id"] for r in body["items"]]
            after = body["next"]
            if after is None:
                break
        self.assertEqual(seen, want[::-1])

    def test_name_search_is_literal_for_percent_underscore_and_backslash(self):
        t = self.tag
        names = {
            "pct": f"{t} 50% off", "under": f"{t} snake_case", "slash": f"{t} back\\slash",
            "plain": f"{t} 50 percent snakeXcase backslash",
        }
        ids = {k: self.project(name=v)["id"] for k, v in names.items()}

        def search(text):
            return self.ids(f"/api/projects?q={quote(t + ' ', safe='')}{quote(text, safe='')}")

        self.assertEqual(self.ids(f"/api/projects?q={t}%25"), [])
        self.assertEqual(search("50%"), [ids["pct"]])
        self.assertEqual(search("snake_"), [ids["under"]])
        self.assertEqual(search("back\\"), [ids["slash"]])
        self.assertEqual(search(""), sorted(ids.values()))

    def test_name_search_folds_ascii_case_and_matches_other_text_exactly(self):
        t = self.tag
        cafe = self.project(name=f"Café {t} ÉTÉ 🚀")["id"]
        self.assertEqual(self.ids(f"/api/projects?q={quote('cAFé ' + t.upper())}"), [cafe])
        self.assertEqual(self.ids(f"/api/projects?q={quote(t + ' ÉTÉ 🚀')}"), [cafe])
        # Letters outside ASCII match only themselves (documented in docs/api.md).
        self.assertEqual(self.ids(f"/api/projects?q={quote('CAFÉ ' + t)}"), [])
        self.assertEqual(self.ids(f"/api/projects?q={quote(t + ' été')}"), [])
        self.assertIn(cafe, self.ids("/api/projects?q=%F0%9F%9A%80"))

    def test_odd_filter_values_match_literally_and_never_fail(self):
        t = self.tag
        sql = self.project(name=f"{t} ' OR 1=1 --", owner="o'; DROP TABLE projects; --")["id"]
        self.assertEqual(self.ids(f"/api/projects?q={quote(t + chr(39) + ' OR 1=1 --')}"), [])
        self.assertEqual(self.ids(f"/api/projects?q={quote(t + ' ' + chr(39) + ' OR 1=1 --')}"),
                         [sql])
        self.assertEqual(self.ids("/api/projects?owner=" + quote("o'; DROP TABLE projects; --")),
                         [sql])
        # A NUL, or bytes that never occur in UTF-8, match no stored text and break nothing.
        for value in ("%00", "a%00b", "%FF", "%FF%FE"):
            for name in ("q", "owner"):
                with self.subTest(name=name, value=value):
                    body = self.ok("GET", f"/api/projects?{name}={value}&limit=10")
                    self.assertEqual(body["items"], [], value)
        # Half a character is compared byte by byte (documented), never an error.
        self.assertIn(self.project(name=f"{t} é")["id"], self.ids(f"/api/projects?q={t}%20%C3"))


class PageETags(ApiCase):
    def test_every_page_and_filter_has_its_own_strong_tag_and_304(self):
        for _ in range(3):
            self.subcomponent(status="active")
        rev = self.revisions()["subcomponents"]
        paths = ["/api/subcomponents", "/api/subcomponents?limit=1",
                 "/api/subcomponents?limit=2", "/api/subcomponents?limit=1&order=desc",
                 "/api/subcomponents?limit=1&after=1", "/api/subcomponents?status=active",
                 "/api/subcomponents?q=sub", "/api/subcomponents?owner=", "/api/subcomponents?since=0"]
        tags = {}
        for path in paths:
            r = self.req("GET", path)
            self.assertEqual(r.status, 200, path)
            tag = r.headers["etag"]
            self.assertTrue(tag.startswith(f'"{rev}') and tag.endswith('"'), tag)
            tags[path] = tag
            for inm in (tag, f"W/{tag}", f'"x", {tag}'):
                r304 = self.req("GET", path, headers={"If-None-Match": inm})
                self.assertEqual(r304.status, 304, f"{path} If-None-Match: {inm}")
                self.assertEqual(r304.headers["etag"], tag)
        self.assertEqual(len(set(tags.values())), len(paths), tags)
        # Another page's tag is not this page's.
        r = self.req("GET", paths[1], headers={"If-None-Match": tags[paths[2]]})
        self.assertEqual(r.status, 200)
        # The same request spelled differently is the same list.
        r = self.req("GET", "/api/subcomponents?order=asc&limit=1")
        self.assertEqual(r.headers["etag"], tags["/api/subcomponents?limit=1"])
        # A change anywhere in the entity moves every tag.
        self.subcomponent()
        for path in paths:
            r = self.req("GET", path, headers={"If-None-Match": tags[path]})
            self.assertEqual(r.status, 200, path)


class BadParameters(ApiCase):
    def test_every_bad_value_is_a_422_naming_its_parameter(self):
        cases = [
            ("projects", "limit=0", "limit"), ("projects", "limit=1001", "limit"),
            ("projects", "limit=abc", "limit"), ("projects", "limit=", "limit"),
            ("projects", "limit=-5", "limit"), ("projects", "after=-1", "after"),
            ("projects", "after=0", "after"), ("projects", "after=x", "after"),
            ("projects", "order=sideways", "order"), ("projects", "since=-1", "since"),
            ("projects", "since=abc", "since"), ("projects", "limit=5&limit=6", "limit"),
            ("projects", "colour=red", "colour"), ("projects", "status=bogus", "status"),
            ("solutions", "owner=ann", "owner"), ("solutions", "project_id=abc", "project_id"),
            ("subcomponents", "solution_id=-3", "solution_id"),
            ("projects", "since=3&limit=10", "limit"), ("projects", "since=3&after=2", "after"),
            ("subcomponents", "since=1&order=desc", "order"),
            ("subcomponents", "q=a&q=b", "q"),
        ]
        before = self.revisions()
        for entity, query, name in cases:
            with self.subTest(entity=entity, query=query):
                r = self.req("GET", f"/api/{entity}?{query}")
                self.assertError(r, 422, "invalid_query", fields=[name])
        self.assertEqual(self.revisions(), before)


if __name__ == "__main__":
    unittest.main()
