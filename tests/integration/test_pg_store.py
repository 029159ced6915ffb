"""The PostgreSQL store's own properties (run as integration.pg.test_pg_store, on a throwaway
cluster per class): revisions in commit order under concurrent writers, a migration from an empty
database, and every outage giving 503 with Retry-After, never a 500 or a hang, then recovery."""
import subprocess
import threading
import time
import unittest

from api_client import ApiCase
from livesync_stack import STORE

APP = "application_name = 'livesync-fcgi'"


@unittest.skipUnless(STORE == "postgres", "PostgreSQL only (LIVESYNC_TEST_STORE=postgres)")
class PgCase(ApiCase):
    def psql(self, sql):
        return self.stack.pg.psql(sql)

    def terminate_pool(self):
        self.psql(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {APP}")

    def assertUnavailable(self, r):
        self.assertEqual(r.status, 503, repr(r))
        self.assertEqual(r.headers.get("retry-after"), "1", repr(r))
        self.assertEqual(r.json()["error"]["code"], "unavailable")

    def eventually_ok(self, method, path, status=200, **kw):
        """Retries a request answered 503 (never anything else) until it succeeds."""
        deadline = time.monotonic() + 20
        while True:
            r = self.req(method, path, **kw)
            if r.status == status:
                return r
            self.assertEqual(r.status, 503, repr(r))
            self.assertLess(time.monotonic(), deadline, "no recovery within 20 s")
            time.sleep(0.2)


class Revisions(PgCase):
    def test_32_concurrent_writers_get_gap_free_increasing_revisions(self):
        revs, lists, errors = [], [], []

        def write():
            try:
                for i in range(4):
                    revs.append(self.project(name=f"w{i}")["rev"])
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        def read():
            for _ in range(10):
                body = self.ok("GET", "/api/projects")
                lists.append((body["rev"], max((p["rev"] for p in body["items"]), default=0)))

        threads = [threading.Thread(target=write) for _ in range(32)]
        threads += [threading.Thread(target=read) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        start = min(revs)
        self.assertEqual(sorted(revs), list(range(start, start + 128)), "gaps or duplicates")
        self.assertEqual(self.revisions()["rev"], start + 127)
        for list_rev, newest_item in lists:
            self.assertGreaterEqual(list_rev, newest_item, "a list older than one of its rows")
        # Commit order is revision order: ids (taken inside the locked transactions) rise with rev.
        rows = sorted((p["rev"], p["id"]) for p in self.ok("GET", "/api/projects")["items"])
        ids = [i for _, i in rows if _ >= start]
        self.assertEqual(ids, sorted(ids))


class Migration(PgCase):
    def test_an_empty_database_gets_the_current_schema(self):
        # The stack started the pool on a database just created empty.
        self.assertEqual(self.psql("SELECT version FROM schema_version").strip(), "3")
        self.assertEqual(self.psql("SELECT name FROM revisions ORDER BY name").split(),
                         ["global", "projects", "solutions", "subcomponents"])
        p = self.project()
        self.ok("DELETE", f"/api/projects/{p['id']}", status=204)
        self.assertEqual(self.psql(f"SELECT rev FROM tombstones WHERE id = {p['id']}").strip(),
                         str(self.revisions()["rev"]))


class Outages(PgCase):
    def test_terminated_connections_are_replaced(self):
        self.project()
        self.terminate_pool()
        for _ in range(5):
            self.eventually_ok("GET", "/api/projects")
            self.eventually_ok("POST", "/api/projects", status=201, json={"name": "after"})
        self.assertEqual(self.ok("GET", "/api/health")["status"], "ok")

    def test_a_stopped_server_gives_503_then_recovers(self):
        self.project()
        self.stack.pg.stop_server()
        try:
            started = time.monotonic()
            self.assertUnavailable(self.req("GET", "/api/projects"))
            self.assertUnavailable(self.req("POST", "/api/projects", json={"name": "x"}))
            self.assertUnavailable(self.req("GET", "/api/health"))
            self.assertLess(time.monotonic() - started, 15)
        finally:
            self.stack.pg.start_server()
        self.eventually_ok("POST", "/api/projects", status=201, json={"name": "back"})
        self.eventually_ok("GET", "/api/health")

    def test_a_statement_timeout_gives_503(self):
        # A transaction from outside holds the revision row; with a short statement_timeout the
        # pool's write gives up waiting for it.
        # Its own timeout is off: on a loaded machine it may connect only after the ALTER below.
        holder = subprocess.Popen(
            ["psql", "-X", "-d", self.stack.pg.uri, "-c",
             "SET statement_timeout = 0; BEGIN; "
             "SELECT 1 FROM revisions WHERE name = 'global' FOR UPDATE; "
             "SELECT pg_sleep(4); COMMIT"], stdout=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 10
            while self.psql("SELECT count(*) FROM pg_stat_activity WHERE state = 'active' "
                            "AND query LIKE '%pg_sleep(4)%' AND pid <> pg_backend_pid()"
                            ).strip() != "1":
                self.assertLess(time.monotonic(), deadline, "the lock holder never started")
                time.sleep(0.05)
            self.psql("ALTER DATABASE livesync SET statement_timeout = '300ms'")
            self.terminate_pool()
            r = self.req("POST", "/api/projects", json={"name": "slow"})
            self.assertIn(r.status, (503,), repr(r))
            self.assertUnavailable(r)
        finally:
            self.psql("ALTER DATABASE livesync RESET statement_timeout")
            holder.wait(timeout=15)
        self.terminate_pool()
        self.eventually_ok("POST", "/api/projects", status=201, json={"name": "fast"})

    def test_a_read_only_server_refuses_writes_with_503(self):
        self.psql("ALTER DATABASE livesync SET default_transaction_read_only = on")
        try:
            self.terminate_pool()
            self.eventually_ok("GET", "/api/projects")
            self.assertUnavailable(self.req("POST", "/api/projects", json={"name": "ro"}))
        finally:
            self.psql("BEGIN READ WRITE; ALTER DATABASE livesync RESET "
                      "default_transaction_read_only; COMMIT")
        self.terminate_pool()
        self.eventually_ok("POST", "/api/projects", status=201, json={"name": "rw"})


if __name__ == "__main__":
    unittest.main()
