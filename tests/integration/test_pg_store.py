"""The PostgreSQL store's own properties (run as integration.pg.test_pg_store, on a throwaway
cluster per class): revisions in commit order under concurrent writers, a migration from an empty
database, every outage giving 503 with Retry-After, never a 500 or a hang, then recovery, and a
write that loses a deadlock run again by the pool."""
import json
import os
import re
import subprocess
import threading
import time
import unittest

from api_client import ApiCase, worker_pids
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


    def test_requests_failing_inside_batches_give_back_their_revisions(self):
        # A batched request's closing statements wait for the next request's first one; a
        # request refused after its read (If-Match, 412) must undo only itself, with its
        # revision given back, whether a neighbour's closing statements wait ahead of it or not.
        ids = [self.project(name=f"p{i}")["id"] for i in range(16)]
        start = self.revisions()["rev"]
        revs, refused, errors = [], [], []

        def write(pid):
            try:
                for i in range(6):
                    if i % 2:
                        r = self.req("PATCH", f"/api/projects/{pid}", json={"owner": "x"},
                                     headers={"If-Match": '"999999"'})
                        refused.append(r.status)
                    else:
                        revs.append(self.ok("PATCH", f"/api/projects/{pid}",
                                            json={"description": f"d{i}"})["rev"])
            except Exception as e:  # noqa: BLE001 - reported below
                errors.append(e)

        threads = [threading.Thread(target=write, args=(pid,)) for pid in ids]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(refused, [412] * 48)
        self.assertEqual(sorted(revs), list(range(start + 1, start + 49)), "gaps or duplicates")
        self.assertEqual(self.revisions()["rev"], start + 48)
        for pid in ids:
            row = self.ok("GET", f"/api/projects/{pid}")
            self.assertEqual((row["description"], row["owner"]), ("d4", ""))


def unix_datagram_sockets(pid):
    """How many Unix datagram sockets process `pid` has open (its fds matched with the socket
    inodes /proc/net/unix lists with type 0002, SOCK_DGRAM)."""
    with open("/proc/net/unix") as f:
        dgram = {line.split()[6] for line in list(f)[1:] if line.split()[4] == "0002"}
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return len(inodes & dgram)


class Signals(PgCase):
    def test_the_pool_opens_no_datagram_socket(self):
        # The change signal is the NOTIFY; the datagram sender SQLite mode uses is never made.
        self.project()
        workers = worker_pids(self.stack.procs["fcgi"].pid)
        self.assertTrue(workers)
        for pid in workers:
            self.assertEqual(unix_datagram_sockets(pid), 0, f"worker {pid}")


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



class Listener:
    """A psql session LISTENing on the pool's channel; notifications() ends it and returns the
    payloads it was sent."""

    def __init__(self, uri):
        self.proc = subprocess.Popen(["psql", "-X", "-At", "-d", uri], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.proc.stdin.write("LISTEN livesync;\nSELECT 'listening';\n")
        self.proc.stdin.flush()
        self.proc.stdout.readline()  # "listening": the LISTEN is in place

    def notifications(self):
        out, _ = self.proc.communicate("SELECT 1;\n", timeout=10)
        return re.findall(r'notification "livesync" with payload "(.*)" received', out)


class Deadlocks(PgCase):
    """A session from outside holds a project's row and then asks for the revision row, which the
    pool's write of that project holds while it waits for the project: a real deadlock, of which
    PostgreSQL makes the pool's statement the victim (this session waits 60 s before it checks,
    the pool's backend 1 s). The pool runs the request again; the session deadlocks it `times`
    times in a row (each time dropping the revision row again but keeping the project's)."""

    workers = 1

    def deadlocker(self, project_id, times):
        sql = f"""
            -- the deadlocker (pg_stat_activity shows the first 1 KiB of this)
            SET deadlock_timeout = '60s';
            DO $$
            DECLARE done int := 0; since timestamptz;
            BEGIN
              PERFORM 1 FROM projects WHERE id = {project_id} FOR UPDATE;
              LOOP
                since := clock_timestamp();
                -- Until a statement of the pool waits for this session (or 15 s pass: it gave up;
                -- long, because on a loaded machine the pool's next attempt may come late).
                WHILE NOT EXISTS (SELECT 1 FROM pg_locks WHERE NOT granted
                                  AND pg_backend_pid() = ANY (pg_blocking_pids(pid))) LOOP
                  IF clock_timestamp() - since > interval '15 s' THEN
                    RAISE NOTICE 'deadlocks: %', done; RETURN;
                  END IF;
                  PERFORM pg_sleep(0.01);
                END LOOP;
                IF done = {times} THEN RAISE NOTICE 'deadlocks: %', done; RETURN; END IF;
                BEGIN
                  PERFORM 1 FROM revisions WHERE name = 'global' FOR UPDATE;
                  done := done + 1;
                  RAISE EXCEPTION 'let the revision row go';
                EXCEPTION WHEN raise_exception THEN NULL;
                END;
              END LOOP;
            END $$;"""
        return subprocess.Popen(["psql", "-X", "-v", "ON_ERROR_STOP=1", "-d", self.stack.pg.uri,
                                 "-c", sql], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                text=True)

    def pool_log_count(self, text):
        with open(os.path.join(self.stack.dir, "fcgi.log"), errors="replace") as f:
            return f.read().count(text)

    def patch_while_deadlocked(self, times):
        p = self.project(name="before")
        before = self.revisions()["rev"]
        races_before = self.pool_log_count("lost a race")
        listener = Listener(self.stack.pg.uri)
        holder = self.deadlocker(p["id"], times)
        deadline = time.monotonic() + 10
        while self.psql("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep' "
                        "AND query LIKE '%the deadlocker%'").strip() != "1":
            self.assertIsNone(holder.poll(), "the deadlocking session ended early")
            self.assertLess(time.monotonic(), deadline, "the deadlocking session never started")
            time.sleep(0.02)
        try:
            r = self.req("PATCH", f"/api/projects/{p['id']}", json={"name": "after"},
                         headers={"If-Match": f'"{p["rev"]}"', "X-Client-Id": "tab-1"})
        finally:
            _, err = holder.communicate(timeout=30)
        self.assertEqual(holder.returncode, 0, err)
        deadlocks = int(re.search(r"deadlocks: (\d+)", err).group(1))
        # What the pool said, for a failure's message.
        self.pool_said = self.stack.log("fcgi")[-3000:]
        return p, before, r, listener.notifications(), deadlocks, (
            self.pool_log_count("lost a race") - races_before)

    def test_a_write_that_lost_a_deadlock_runs_again_and_is_applied_once(self):
        p, before, r, notified, deadlocks, races = self.patch_while_deadlocked(1)
        self.assertEqual(r.status, 200, repr(r))
        self.assertEqual(deadlocks, 1, self.pool_said)
        self.assertEqual(races, 1, "one attempt lost, the second committed: " + self.pool_said)
        self.assertEqual(r.json()["name"], "after")
        self.assertEqual(r.json()["rev"], before + 1)
        self.assertEqual(self.revisions()["rev"], before + 1, "one revision for the request")
        self.assertEqual(self.get("projects", p["id"])["rev"], before + 1)
        self.assertEqual([json.loads(n) for n in notified],
                         [{"v": 1, "entity": "projects", "rev": before + 1, "origin": "tab-1"}])

    def test_a_write_that_keeps_losing_gets_503_and_changes_nothing(self):
        p, before, r, notified, deadlocks, races = self.patch_while_deadlocked(100)
        self.assertUnavailable(r)
        self.assertEqual(deadlocks, 3, "three attempts, each a deadlock victim: " + self.pool_said)
        self.assertEqual(races, 2, "two runs again after the first, then the 503: " + self.pool_said)
        self.assertEqual(self.revisions()["rev"], before)
        row = self.get("projects", p["id"])
        self.assertEqual((row["name"], row["rev"]), ("before", p["rev"]))
        self.assertEqual(notified, [])
        # The pool is not stuck: the same request now succeeds.
        self.ok("PATCH", f"/api/projects/{p['id']}", json={"name": "later"},
                headers={"If-Match": f'"{p["rev"]}"'})


if __name__ == "__main__":
    unittest.main()
