"""The pool under trouble, over the real stack: a worker SIGKILLed mid-load or in the middle of a
streamed CSV export, a master SIGKILLed and a new pool started at once, a database locked by
another process, a full disk (also under concurrent writers, whose writes are group-committed),
many writers at once, SIGTERM with requests in flight, SIGHUP re-exec. Each test has its
own stack; every check is on real data (the API and the SQLite file itself)."""
import os
import signal
import sqlite3
import threading
import time
import unittest
from concurrent.futures import ThreadPoolExecutor

from api_client import (process_start_time, sanitizer_reports, sqlite_rows, tls_socket,
                        worker_pids)
from full_disk import fill, mount_small_tmpfs
from livesync_stack import Stack


def wait_for(predicate, timeout=10, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def integrity(db_path):
    return sqlite_rows(db_path, "PRAGMA integrity_check")


class Load:
    """Threads POSTing projects until stopped; records what the API acknowledged."""

    def __init__(self, stack, threads=4, tag="load", payload=2000):
        self.stack = stack
        self.tag = tag
        self.payload = payload
        self.acked = {}       # id -> row, for every 201
        self.refused = []     # (name, status) for every other answer
        self.errors = []      # (name, exception) for transport errors
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(t,), daemon=True)
                        for t in range(threads)]

    def description(self, name):
        return (name + "|") * (self.payload // (len(name) + 1))

    def run(self, t):
        i = 0
        while not self.stop_event.is_set():
            name = f"{self.tag} {t} {i}"
            i += 1
            try:
                r = self.stack.request("POST", "/api/projects", timeout=20,
                                       json={"name": name, "description": self.description(name)})
            except OSError as e:
                with self.lock:
                    self.errors.append((name, e))
                continue
            with self.lock:
                if r.status == 201:
                    self.acked[r.json()["id"]] = r.json()
                else:
                    self.refused.append((name, r.status))

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop_event.set()
        for t in self.threads:
            t.join(30)

    def count(self):
        with self.lock:
            return len(self.acked)


class ResilienceCase(unittest.TestCase):
    def start(self, **kw):
        kw.setdefault("daemon", False)
        s = Stack(**kw)
        s.start()
        self.addCleanup(s.stop)
        self.addCleanup(self.check_sanitizers, s)
        return s

    def check_sanitizers(self, s):
        self.assertEqual(sanitizer_reports(s), [], "sanitizer report in the pool's log")

    def hold_write_lock(self, db_path):
        """Another process's view: a connection holding the database's write lock."""
        conn = sqlite3.connect(db_path, isolation_level=None, timeout=5)
        conn.execute("BEGIN IMMEDIATE")
        return conn

    def assertUnavailable(self, r):
        self.assertEqual(r.status, 503, repr(r))
        self.assertTrue(r.headers.get("content-type", "").startswith("application/json"))
        self.assertEqual(r.json()["error"]["code"], "unavailable", repr(r))
        self.assertTrue(r.headers.get("retry-after", "").strip().isdigit(), r.headers)
        self.assertGreater(int(r.headers["retry-after"]), 0)


class WorkerKilled(ResilienceCase):
    def test_sigkilled_workers_are_replaced_and_no_acknowledged_write_is_lost(self):
        s = self.start(workers=2)
        master = s.procs["fcgi"].pid
        wait_for(lambda: len(worker_pids(master)) == 2, what="two workers")
        killed = []
        with Load(s) as load:
            wait_for(lambda: load.count() >= 20, what="load running")
            for _ in range(3):
                victim = worker_pids(master)[0]
                os.kill(victim, signal.SIGKILL)
                killed.append(victim)
                wait_for(lambda: len(worker_pids(master)) == 2 and victim not in worker_pids(master),
                         what="a replacement worker")
                done = load.count()
                wait_for(lambda: load.count() >= done + 20, what="load continuing")
        self.assertIsNone(s.procs["fcgi"].poll(), "the master died")
        self.assertTrue(set(worker_pids(master)).isdisjoint(killed))
        # Requests on a killed worker may fail (502: nginx never retries a POST); nothing else.
        self.assertEqual(load.errors, [])
        self.assertTrue(all(status == 502 for _, status in load.refused), load.refused)

        self.assertEqual(integrity(s.db_path), [("ok",)])
        rows = {row[0]: row for row in sqlite_rows(
            s.db_path, "SELECT id, name, description, rev FROM projects")}
        for row_id, acked in load.acked.items():
            self.assertIn(row_id, rows, f"acknowledged row {row_id} lost")
            self.assertEqual(rows[row_id][1:], (acked["name"], acked["description"], acked["rev"]))
            self.assertEqual(s.request("GET", f"/api/projects/{row_id}").json(), acked)
        # Rows of unacknowledged requests may exist, but only whole.
        for row_id, name, description, _ in rows.values():
            self.assertEqual(description, load.description(name), f"row {row_id} half-written")
        self.assertLessEqual(len(rows), len(load.acked) + len(load.refused))
        global_rev = sqlite_rows(s.db_path, "SELECT rev FROM revisions WHERE name = 'global'")[0][0]
        self.assertGreaterEqual(global_rev, max(r[3] for r in rows.values()))
        self.assertEqual(s.request("GET", "/api/revisions").json()["rev"], global_rev)
        self.assertEqual(s.request("POST", "/api/projects", json={"name": "after"}).status, 201)


class MasterKilled(ResilienceCase):
    def test_a_pool_started_right_after_its_master_died_serves_at_once(self):
        # The orphaned workers finish their requests and drain the connections nginx keeps to
        # them (up to keepalive_time, 4 s); they must let go of the socket first, or the new
        # pool would find it still served and refuse to start.
        s = self.start(workers=2)
        master = s.procs["fcgi"].pid
        wait_for(lambda: len(worker_pids(master)) == 2, what="two workers")
        orphans = worker_pids(master)
        with ThreadPoolExecutor(8) as pool:  # kept connections to both workers
            statuses = list(pool.map(lambda _: s.request("GET", "/api/projects").status,
                                     range(32)))
        self.assertEqual(set(statuses), {200})
        os.kill(master, signal.SIGKILL)
        s.procs["fcgi"].wait()
        s.start_fcgi()  # gives up after 2 s if the socket is still served
        wait_for(lambda: not any(os.path.exists(f"/proc/{pid}") for pid in orphans), timeout=25,
                 what="the orphaned workers' exit")
        self.assertIsNone(s.procs["fcgi"].poll(), "the new pool did not start: " + s.log("fcgi"))
        s.wait_ready(timeout=10)
        self.assertEqual(s.request("POST", "/api/projects", json={"name": "after"}).status, 201)


class ExportCutShort(ResilienceCase):
    DESCRIPTION = "d" * 3000
    ROWS_PER_IMPORT = 8000
    IMPORTS = 2  # about 48 MB of export: far longer to stream than the test takes to react

    def read_to_eof(self, sock, got):
        sock.settimeout(30)
        while True:
            try:
                chunk = sock.recv(1 << 16)
            except (ConnectionResetError, OSError):
                break
            if not chunk:
                break
            got += chunk
        return got

    def test_a_worker_killed_mid_export_fails_the_download_instead_of_ending_it(self):
        s = self.start(workers=1)
        master = s.procs["fcgi"].pid
        p = s.request("POST", "/api/projects", json={"name": "export"}).json()
        for _ in range(self.IMPORTS):
            body = "project_id,name,description\r\n" + "".join(
                f"{p['id']},Solution {i},{self.DESCRIPTION}\r\n"
                for i in range(self.ROWS_PER_IMPORT))
            r = s.request("POST", "/api/import/solutions", body=body, content_type="text/csv")
            self.assertEqual(r.status, 200, r.body[:300])
        rows = self.IMPORTS * self.ROWS_PER_IMPORT

        sock = tls_socket(s.port, timeout=30)
        self.addCleanup(sock.close)
        sock.sendall(b"GET /api/export/solutions.csv HTTP/1.1\r\nHost: localhost\r\n"
                     b"Connection: close\r\n\r\n")
        got = sock.recv(1 << 16)
        self.assertTrue(got.startswith(b"HTTP/1.1 200"), got[:200])
        # The download has begun: freeze the worker where it is, then kill it.
        victims = worker_pids(master)
        for pid in victims:
            os.kill(pid, signal.SIGSTOP)
        for pid in victims:
            os.kill(pid, signal.SIGKILL)
        got = self.read_to_eof(sock, got)
        head, _, body = got.partition(b"\r\n\r\n")
        self.assertIn(b"transfer-encoding: chunked", head.lower())
        # A complete chunked body ends with the zero-size chunk; a cut one must not, so that
        # browsers and curl report a failed download rather than save a partial file as whole.
        self.assertFalse(body.endswith(b"\r\n0\r\n\r\n"), "a cut export ended as if complete")
        self.assertLess(len(body), rows * len(self.DESCRIPTION))

        # The master replaces the worker and the next export is whole.
        wait_for(lambda: len(worker_pids(master)) == 1 and worker_pids(master) != victims,
                 what="a replacement worker")
        r = s.request("GET", "/api/export/solutions.csv", timeout=60)
        self.assertEqual(r.status, 200)
        self.assertEqual(r.body.count(self.DESCRIPTION.encode()), rows)
        self.assertTrue(r.body.endswith(b"\r\n"))


class LockedDatabase(ResilienceCase):
    def test_writes_wait_busy_timeout_then_503_while_reads_work(self):
        s = self.start(workers=2, config={"busy_timeout_ms": 300})
        p = s.request("POST", "/api/projects", json={"name": "p"}).json()
        sol = s.request("POST", "/api/solutions", json={"name": "s", "project_id": p["id"]}).json()
        before = s.request("GET", "/api/revisions").json()
        lock = self.hold_write_lock(s.db_path)
        try:
            started = time.monotonic()
            r = s.request("POST", "/api/projects", json={"name": "blocked"}, timeout=15)
            waited = time.monotonic() - started
            self.assertUnavailable(r)
            self.assertGreaterEqual(waited, 0.25, "the write did not wait for busy_timeout")
            for method, path, body in (
                    ("PATCH", f"/api/projects/{p['id']}", {"name": "blocked"}),
                    ("DELETE", f"/api/projects/{p['id']}", None),
                    ("PUT", f"/api/solutions/{sol['id']}/phases/test", {"enabled": False}),
                    ("POST", "/api/solutions", {"name": "blocked", "project_id": p["id"]})):
                self.assertUnavailable(s.request(method, path, json=body, timeout=15))
            # Reads are not blocked by a writer (WAL).
            for path in ("/api/projects", f"/api/projects/{p['id']}", "/api/revisions",
                         f"/api/solutions?project_id={p['id']}"):
                r = s.request("GET", path)
                self.assertEqual(r.status, 200, f"{path}: {r!r}")
            self.assertEqual(s.request("GET", "/api/revisions").json(), before)
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        self.assertEqual(s.request("GET", "/api/revisions").json(), before)
        self.assertEqual(s.request("GET", f"/api/projects/{p['id']}").json(), p)
        self.assertEqual(s.request("POST", "/api/projects", json={"name": "free"}).status, 201)
        self.assertEqual(s.request("GET", "/api/revisions").json()["rev"], before["rev"] + 1)

    def test_a_write_waiting_for_a_short_lock_succeeds(self):
        s = self.start(workers=2, config={"busy_timeout_ms": 5000})
        lock = self.hold_write_lock(s.db_path)
        result = {}

        def post():
            result["r"] = s.request("POST", "/api/projects", json={"name": "patient"}, timeout=20)
        t = threading.Thread(target=post)
        t.start()
        time.sleep(0.5)
        self.assertTrue(t.is_alive(), "the write did not wait for the lock")
        lock.execute("ROLLBACK")
        lock.close()
        t.join(20)
        self.assertEqual(result["r"].status, 201, repr(result["r"]))
        self.assertEqual(s.request("GET", f"/api/projects/{result['r'].json()['id']}").json(),
                         result["r"].json())


@unittest.skipUnless(os.geteuid() == 0, "mounting a tmpfs needs root")
class FullDisk(ResilienceCase):
    # The tmpfs is 8 MiB: readiness (/api/health, which the stack waits for) asks for 1 MiB free.
    def test_full_disk_is_503_nothing_half_written_and_recovers_without_restart(self):
        mnt = mount_small_tmpfs(self)
        db = os.path.join(mnt, "livesync.db")
        # Unmounted only after the stack stopped (cleanups run last-in, first-out).
        s = self.start(workers=2, config={"database": db, "storage_min_free_mb": 1})
        master = s.procs["fcgi"].pid
        early = [s.request("POST", "/api/projects", json={"name": f"early {i}"}).json()
                 for i in range(3)]
        filler = os.path.join(mnt, "filler")
        fill(filler)

        outcomes = []
        for i in range(8):
            name = f"while full {i}"
            r = s.request("POST", "/api/projects", timeout=15,
                          json={"name": name, "description": name * (9000 // len(name))})
            outcomes.append((name, r))
        r = s.request("PATCH", f"/api/projects/{early[0]['id']}", timeout=15,
                      json={"description": "x" * 10000})
        outcomes.append(("patch", r))
        for name, r in outcomes:
            self.assertIn(r.status, (201, 200, 503), f"{name}: {r!r}")
            if r.status == 503:
                self.assertUnavailable(r)
        self.assertTrue(any(r.status == 503 for _, r in outcomes),
                        "no write failed although the disk is full")
        # Reads still work on a full disk.
        r = s.request("GET", "/api/projects")
        self.assertEqual(r.status, 200, repr(r))

        os.unlink(filler)
        r = s.request("POST", "/api/projects", json={"name": "after space is back"})
        self.assertEqual(r.status, 201, repr(r))
        self.assertEqual(s.procs["fcgi"].pid, master)
        self.assertIsNone(s.procs["fcgi"].poll(), "the pool stopped")

        self.assertEqual(integrity(db), [("ok",)])
        names = {row["name"]: row for row in s.request("GET", "/api/projects").json()["items"]}
        for name, r in outcomes[:-1]:
            if r.status == 201:
                self.assertEqual(names.get(name), r.json(), f"{name} acknowledged but not stored")
            else:
                self.assertNotIn(name, names, f"{name} refused but stored")
        patched = s.request("GET", f"/api/projects/{early[0]['id']}").json()
        if outcomes[-1][1].status == 503:
            self.assertEqual(patched, early[0], "a refused PATCH changed the row")
        else:
            self.assertEqual(patched["description"], "x" * 10000)
        revs = s.request("GET", "/api/revisions").json()
        acked = sum(1 for _, r in outcomes if r.status in (200, 201))
        self.assertEqual(revs["rev"], early[-1]["rev"] + acked + 1,
                         "a refused write bumped the revision")


    def test_full_disk_under_concurrent_writers_fails_whole_batches_only(self):
        """Group commit: a batch that cannot be flushed answers 503 for every request in it."""
        mnt = mount_small_tmpfs(self)
        db = os.path.join(mnt, "livesync.db")
        s = self.start(workers=1, config={"database": db, "threads": 16, "storage_min_free_mb": 1})
        start_rev = s.request("GET", "/api/revisions").json()["rev"]
        filler = os.path.join(mnt, "filler")
        with Load(s, threads=12, tag="full", payload=9000) as load:
            wait_for(lambda: load.count() >= 30, what="load running")
            fill(filler)
            wait_for(lambda: any(st == 503 for _, st in load.refused), what="a 503")
            os.unlink(filler)
            done = load.count()
            wait_for(lambda: load.count() >= done + 30, what="writes succeeding again")
        self.assertEqual(load.errors, [])
        self.assertTrue(all(st == 503 for _, st in load.refused), load.refused[:5])
        self.assertEqual(integrity(db), [("ok",)])
        rows = {r[0]: r for r in sqlite_rows(db, "SELECT id, name, description, rev FROM projects")}
        for row_id, acked in load.acked.items():
            self.assertEqual(rows.get(row_id), (row_id, acked["name"], acked["description"],
                                                acked["rev"]), f"acknowledged row {row_id}")
        refused = {name for name, _ in load.refused}
        self.assertTrue(refused.isdisjoint(r[1] for r in rows.values()), "a refused write stored")
        # Exactly one revision per acknowledged write: none for the refused ones.
        revs = sorted(a["rev"] for a in load.acked.values())
        self.assertEqual(revs, list(range(start_rev + 1, start_rev + 1 + len(revs))))
        self.assertEqual(s.request("GET", "/api/revisions").json()["rev"], start_rev + len(revs))


class GroupCommit(ResilienceCase):
    def test_concurrent_writers_get_their_own_revisions_and_rejections_change_nothing(self):
        s = self.start(workers=1, config={"threads": 16})
        shared = s.request("POST", "/api/projects", json={"name": "shared"}).json()
        results = []
        lock = threading.Lock()

        def writer(t):
            own = s.request("POST", "/api/projects", json={"name": f"own {t}"}).json()
            mine = []
            for i in range(15):
                ok = s.request("PATCH", f"/api/projects/{own['id']}",
                               json={"description": f"{t}-{i}"}, headers={"If-Match": f'"{own["rev"]}"'})
                self.assertEqual(ok.status, 200, repr(ok))
                own = ok.json()
                stale = s.request("PATCH", f"/api/projects/{shared['id']}",
                                  json={"name": "overwritten"}, headers={"If-Match": '"999999"'})
                invalid = s.request("POST", "/api/projects", json={"name": ""})
                mine.append((own, stale.status, invalid.status))
            with lock:
                results.append((t, own, mine))
        threads = [threading.Thread(target=writer, args=(t,)) for t in range(16)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        self.assertEqual(len(results), 16)
        revs = []
        for t, last, mine in results:
            self.assertEqual([st for _, st, _ in mine], [412] * 15)
            self.assertEqual([st for _, _, st in mine], [422] * 15)
            revs += [row["rev"] for row, _, _ in mine]
            self.assertEqual(s.request("GET", f"/api/projects/{last['id']}").json(), last)
            self.assertEqual(last["description"], f"{t}-14")
        # Every acknowledged write has a revision of its own, and nothing else took one.
        self.assertEqual(len(set(revs)), len(revs))
        total = s.request("GET", "/api/revisions").json()["rev"]
        self.assertEqual(total, shared["rev"] + 16 + len(revs))
        self.assertEqual(s.request("GET", f"/api/projects/{shared['id']}").json(), shared)
        self.assertEqual(len(s.request("GET", "/api/projects").json()["items"]), 17)


class Signals(ResilienceCase):
    def in_flight_across_sigterm(self, group):
        s = self.start(workers=2, config={"busy_timeout_ms": 10000})
        proc = s.procs["fcgi"]
        master = proc.pid
        wait_for(lambda: len(worker_pids(master)) == 2, what="two workers")
        lock = self.hold_write_lock(s.db_path)
        result = {}

        def post():
            try:
                result["r"] = s.request("POST", "/api/projects", json={"name": "in flight"},
                                        timeout=30)
            except OSError as e:
                result["e"] = e
        t = threading.Thread(target=post)
        try:
            t.start()
            time.sleep(0.5)  # the request is now in a worker, waiting for the lock
            self.assertTrue(t.is_alive())
            if group:
                os.killpg(master, signal.SIGTERM)  # like systemd's KillMode=control-group
            else:
                os.kill(master, signal.SIGTERM)
            time.sleep(0.3)
        finally:
            lock.execute("ROLLBACK")
            lock.close()
        t.join(30)
        self.assertNotIn("e", result)
        r = result["r"]
        self.assertEqual(r.status, 201, repr(r))
        proc.wait(15)
        self.assertEqual(proc.returncode, 0, s.log("fcgi"))
        self.assertEqual(worker_pids(master), [])
        self.assertEqual(sqlite_rows(s.db_path, "SELECT name FROM projects WHERE id = ?",
                                     (r.json()["id"],)), [("in flight",)])
        self.assertEqual(integrity(s.db_path), [("ok",)])

    def test_sigterm_to_the_master_lets_in_flight_requests_finish(self):
        self.in_flight_across_sigterm(group=False)

    def test_sigterm_to_the_whole_group_lets_in_flight_requests_finish(self):
        self.in_flight_across_sigterm(group=True)

    def test_sighup_re_execs_the_workers_and_keeps_serving(self):
        s = self.start(workers=2)
        master = s.procs["fcgi"].pid
        old = wait_for(lambda: worker_pids(master) if len(worker_pids(master)) == 2 else None,
                       what="two workers")
        old_ids = {(pid, process_start_time(pid)) for pid in old}
        with Load(s, threads=3, tag="hup", payload=100) as load:
            wait_for(lambda: load.count() >= 10, what="load running")
            os.kill(master, signal.SIGHUP)

            def renewed():
                pids = worker_pids(master)
                try:
                    ids = {(pid, process_start_time(pid)) for pid in pids}
                except OSError:
                    return None
                return len(pids) == 2 and ids.isdisjoint(old_ids)
            wait_for(renewed, what="two new workers")
            done = load.count()
            wait_for(lambda: load.count() >= done + 10, what="load after the reload")
        self.assertEqual(s.procs["fcgi"].pid, master)
        self.assertIsNone(s.procs["fcgi"].poll())
        # A reload drops nothing: every request was answered with success.
        self.assertEqual(load.errors, [])
        self.assertEqual(load.refused, [])
        items = s.request("GET", "/api/projects").json()["items"]
        self.assertEqual(sorted(r["id"] for r in items), sorted(load.acked))
        self.assertEqual(integrity(s.db_path), [("ok",)])


if __name__ == "__main__":
    unittest.main()
