"""Issue #19, item 7: a 50,000-row CSV import of projects while 8 writers PATCH and POST other
rows and a reader counts projects. The import is one transaction: the reader sees the old count
or the new one, never a count in between; writers wait for it and get 2xx, or 503 with
Retry-After when they waited too long, never a 500 or a 504; what a writer was told was written
is in the file, and what it was refused is not; and a WebSocket subscriber gets exactly one
`projects` refresh, at the import's revision (the writers' own events are about solutions and
subcomponents, so none of them can merge with it)."""
import threading
import time

from api_client import ApiCase, sqlite_rows
from csv_client import csv_text
from livesync_stack import Subscribers
from postconditions import assert_sound

IMPORT_ROWS = 50_000
WRITERS = 8


class ImportUnderWrites(Subscribers, ApiCase):
    daemon = True
    workers = 2

    def test_import_is_atomic_and_announced_once(self):
        sols = [self.solution(name=f"writer {w}") for w in range(WRITERS)]
        old_count = len(self.ok("GET", "/api/projects")["items"])
        old_projects_rev = self.revisions()["projects"]
        ws = self.subscribe("ws")
        done = threading.Event()
        lock = threading.Lock()
        answers = []           # (writer, method, status, body, name)
        counts = []            # what the reader saw
        reader_errors = []
        reader_deadline = [float("inf")]

        def writer(w):
            conn = self.stack.connection(timeout=120)
            try:
                i = 0
                while not done.is_set():
                    if i % 2 == 0:
                        name = f"writer {w} patch {i}"
                        method, path = "PATCH", f"/api/solutions/{sols[w]['id']}"
                        body = {"name": name}
                    else:
                        name = f"writer {w} post {i}"
                        method, path = "POST", "/api/subcomponents"
                        body = {"name": name, "solution_id": sols[w]["id"]}
                    r = self.stack.request(method, path, conn=conn, json=body,
                                           headers={"X-Client-Id": f"writer-{w}"})
                    with lock:
                        answers.append((w, method, r.status, r, name))
                    if r.status == 503:
                        time.sleep(0.05)
                    i += 1
            except OSError as e:
                with lock:
                    answers.append((w, "error", None, e, None))
            finally:
                conn.close()

        def reader():
            conn = self.stack.connection(timeout=120)
            new_seen = 0
            try:
                # Counts until it has seen the new count twice (a 50,000-row list is costly).
                while new_seen < 2:
                    rev = self.stack.request("GET", "/api/revisions", conn=conn).json()["projects"]
                    r = self.stack.request("GET", "/api/projects", conn=conn)
                    if r.status != 200:
                        reader_errors.append(r)
                        return
                    n = len(r.json()["items"])
                    counts.append((n, rev, r.json()["rev"]))
                    if n != old_count:
                        new_seen += 1
                    elif done.wait(0) and reader_deadline[0] < time.monotonic():
                        return  # the import failed; the test says so
            except OSError as e:
                reader_errors.append(e)
            finally:
                conn.close()

        text = csv_text([["name", "owner"]] +
                        [[f"import {i}", f"owner {i % 97}"] for i in range(IMPORT_ROWS)])
        threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
        threads.append(threading.Thread(target=reader))
        for t in threads:
            t.start()
        time.sleep(0.3)  # writers and reader under way before the import arrives
        started = time.monotonic()
        r = self.req("POST", "/api/import/projects", body=text, content_type="text/csv",
                     headers={"X-Client-Id": "importer"}, timeout=300)
        took = time.monotonic() - started
        time.sleep(0.3)  # and still writing after it
        reader_deadline[0] = time.monotonic() + 10
        done.set()
        for t in threads:
            t.join(120)
        self.assertEqual(r.status, 200, repr(r))
        result = r.json()
        self.assertEqual((result["created"], result["updated"]), (IMPORT_ROWS, 0))
        import_rev = result["rev"]

        # The reader: the old count or the new one, never between, and never back.
        self.assertEqual(reader_errors, [])
        new_count = old_count + IMPORT_ROWS
        seen = [n for n, _, _ in counts]
        self.assertTrue(set(seen) <= {old_count, new_count}, f"counts seen: {sorted(set(seen))}")
        self.assertIn(new_count, seen)
        first_new = seen.index(new_count)
        self.assertNotIn(old_count, seen[first_new:], "the old count came back")
        for n, rev, list_rev in counts:
            self.assertEqual(list_rev, old_projects_rev if n == old_count else import_rev)

        # The writers: 2xx or 503 with Retry-After, never anything else.
        statuses = {}
        for w, method, status, resp, name in answers:
            statuses[status] = statuses.get(status, 0) + 1
            self.assertIn(status, (200, 201, 503), f"writer {w} {method}: {resp!r}")
            if status == 503:
                self.assertError(resp, 503)
        self.assertGreater(statuses.get(200, 0) + statuses.get(201, 0), WRITERS,
                           f"writers hardly wrote: {statuses} (import took {took:.1f} s)")

        # What writers were told was written is there, once; what was refused is not.
        subs = dict(sqlite_rows(self.stack.db_path, "SELECT name, COUNT(*) FROM subcomponents "
                                                    "GROUP BY name"))
        for w, method, status, resp, name in answers:
            if method == "POST" and status == 201:
                self.assertEqual(subs.get(name), 1, f"{name}: acknowledged but stored "
                                                    f"{subs.get(name, 0)} times")
            elif method == "POST" and status == 503:
                self.assertNotIn(name, subs, f"{name}: refused with 503 but stored")
        for w in range(WRITERS):
            patched = [name for ww, m, s, _, name in answers if ww == w and m == "PATCH" and s == 200]
            if patched:
                stored = sqlite_rows(self.stack.db_path, "SELECT name FROM solutions WHERE id = ?",
                                     (sols[w]["id"],))
                self.assertEqual(stored, [(patched[-1],)], f"writer {w}'s last acknowledged PATCH")
        self.assertEqual(sqlite_rows(self.stack.db_path, "SELECT COUNT(*) FROM projects"),
                         [(new_count,)])

        # Exactly one refresh for the import; the writers' events are about other entities.
        revisions = self.assertAllCaughtUp({"ws": ws})
        self.assertEqual(revisions["projects"], import_rev)
        # (Whether it names the importer as its origin, a tick racing the datagram decides:
        # that is the origin-race work of issue #19's siblings, not this promise.)
        # Only the import changes projects, so exactly one frame may cover it: `projects` at its
        # rev, or `all` when the writers' solutions and subcomponents events were pending for
        # this subscriber at the same time and folded with it (SPEC §4 coalescing).
        about_projects = [(m["entity"], m["rev"]) for m in ws.messages()
                          if m.get("type") == "refresh" and m["entity"] in ("projects", "all")]
        self.assertEqual(len(about_projects), 1, about_projects)
        entity, rev = about_projects[0]
        self.assertTrue(entity == "projects" and rev == import_rev
                        or entity == "all" and rev >= import_rev, about_projects)
        assert_sound(self, self.stack)


if __name__ == "__main__":
    import unittest
    unittest.main()
