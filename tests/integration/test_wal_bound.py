"""Issue #19, item 2: the SQLite write-ahead log stays bounded (docs/storage.md, "WAL size").

While any reader holds a snapshot, SQLite must keep every log frame written since, so overlapping
readers during writes grow the `-wal` file; once they let go, it must come back under the bound
(the journal_size_limit, 16 MiB) while writes go on, and shrink when they stop.

The readers are CSV exports of a large table, several at once and staggered, back to back, so
that one is always open. nginx buffers an export's answer, so the pool's snapshot lasts as long as
the pool takes to produce the file, whatever the client's speed: the exports are read at full
speed, or the next one would start late and leave a gap in which the log could start over.

Sized to run in about a minute on the ASan build: the log's limit is 4 MiB instead of the
default 16 (the same code; the starved log must outgrow it twice over), a 3,000-row table (an
export read at 800 KB/s takes about 4 s), 10 s and 8 s of writes under the readers."""
import os
import socket
import threading
import time
import unittest

from api_client import sqlite_rows
from csv_client import csv_text
from fcgi_records import get_request, stdout_of
from livesync_stack import Stack
from postconditions import assert_sound

WAL_LIMIT_MB = 4  # wal_size_limit_mb (16 by default): the same code, a quicker test
WAL_LIMIT = WAL_LIMIT_MB << 20
ROWS = 3000
IMPORT_ROWS = 100
READERS = 3
PACE = (16384, 0.02)  # a reader takes this many bytes every so many seconds: 800 KB/s

class Writers:
    """Threads writing solutions of one project until stopped (the exported projects table stays
    the same size), half of them POSTing one at a time, half importing IMPORT_ROWS per request (so
    that the log grows fast even on a loaded machine); keeps what the API acknowledged."""

    def __init__(self, stack, project_id, threads=4):
        self.stack = stack
        self.project_id = project_id
        self.acked = {}    # solution id -> (name, description, rev), for every 201
        self.imports = []  # (name prefix, rev, created), for every 200
        self.other = []    # (what, status) of every other answer
        self.lock = threading.Lock()
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self.run, args=(t,), daemon=True)
                        for t in range(threads)]
        for t in self.threads:
            t.start()

    def run(self, t):
        i = 0
        while not self.stop_event.is_set():
            name = f"writer {t} {i}"
            i += 1
            if t % 2:
                self.post(name)
            else:
                self.import_rows(name)

    def post(self, name):
        r = self.stack.request("POST", "/api/solutions", timeout=30,
                               json={"project_id": self.project_id, "name": name,
                                     "description": name * 100})
        with self.lock:
            if r.status == 201:
                row = r.json()
                self.acked[row["id"]] = (row["name"], row["description"], row["rev"])
            else:
                self.other.append((name, r.status))

    def import_rows(self, name):
        rows = [["project_id", "name", "description"]] + [
            [self.project_id, f"{name}/{j}", "i" * 2000] for j in range(IMPORT_ROWS)]
        r = self.stack.request("POST", "/api/import/solutions", body=csv_text(rows),
                               content_type="text/csv", timeout=60)
        with self.lock:
            if r.status == 200:
                self.imports.append((name + "/", r.json()["rev"], r.json()["created"]))
            else:
                self.other.append((name, r.status))

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(60)


class Readers:
    """READERS threads exporting the projects table back to back, each read slowly (PACE), and
    started a fraction of an export apart, so that the pool always has an export's snapshot
    open. They talk FastCGI to the pool's socket as nginx does: through nginx, which buffers
    an answer up to 1 GiB (fastcgi_max_temp_file_size), only an export larger than that would be
    held open by a slow client, and this test would need gigabytes."""

    def __init__(self, stack, export_seconds):
        self.stack = stack
        self.failures = []
        self.exports = 0
        self.stop_event = threading.Event()
        self.threads = []
        for t in range(READERS):
            thread = threading.Thread(target=self.run, daemon=True)
            thread.start()
            self.threads.append(thread)
            time.sleep(export_seconds / READERS)

    def run(self):
        while not self.stop_event.is_set():
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as conn:
                conn.settimeout(30)
                conn.connect(self.stack.fcgi_socket)
                conn.sendall(get_request("/api/export/projects.csv"))
                data = bytearray()
                while chunk := conn.recv(PACE[0]):
                    data += chunk
                    time.sleep(PACE[1])
            body, ended = stdout_of(bytes(data))
            if not ended or b"200" not in body[:200] or body.count(b"\r\n") < ROWS:
                self.failures.append(body[:300])
            self.exports += 1

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(120)


class WalBound(unittest.TestCase):
    def setUp(self):
        self.stack = Stack(config={"wal_size_limit_mb": WAL_LIMIT_MB})
        self.stack.start()
        self.addCleanup(self.stack.stop)
        self.wal = self.stack.db_path + "-wal"

    def wal_size(self):
        try:
            return os.path.getsize(self.wal)
        except FileNotFoundError:
            return 0

    def watch(self, seconds):
        """Samples the log's size every 50 ms for `seconds`; returns the samples."""
        sizes = []
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            sizes.append(self.wal_size())
            time.sleep(0.05)
        return sizes

    def wait_for_wal(self, predicate, timeout, what):
        deadline = time.monotonic() + timeout
        while not predicate(self.wal_size()):
            if time.monotonic() > deadline:
                self.fail(f"{what}: the -wal file is still {self.wal_size()} bytes after "
                          f"{timeout} s")
            time.sleep(0.05)
        return time.monotonic()

    def starve(self, seconds):
        """Starts the readers and watches the writes under them for `seconds`: the log must grow
        past the bound (else the readers did not hold it, and nothing here would be tested).
        Returns the readers, still reading."""
        readers = Readers(self.stack, self.export_seconds)
        peak = max(self.watch(seconds))
        self.assertEqual(readers.failures, [])
        self.assertGreater(peak, 2 * WAL_LIMIT,
                           f"{readers.exports} exports in {seconds} s did not hold the log: "
                           "the test would prove nothing")
        return readers

    def test_overlapping_readers_do_not_leave_the_log_large(self):
        s = self.stack
        # In pieces, so that the log the baseline never shrinks starts small.
        for piece in range(0, ROWS, 500):
            rows = [["name", "description"]] + [[f"big {i}", "d" * 1000]
                                                for i in range(piece, piece + 500)]
            r = s.request("POST", "/api/import/projects", body=csv_text(rows),
                          content_type="text/csv", timeout=120)
            self.assertEqual(r.status, 200, repr(r))
        self.export_seconds = ROWS * 1100 / PACE[0] * PACE[1]

        first = s.request("GET", "/api/projects?limit=1").json()["items"][0]
        writers = Writers(s, project_id=first["id"])
        try:
            # 1. Readers and writers; then the readers let go while the writes go on: the log
            # comes back under the bound and stays there.
            self.starve(10).stop()
            let_go = time.monotonic()
            self.wait_for_wal(lambda size: size <= WAL_LIMIT, 10,
                              "the readers let go, writes go on")
            came_back = time.monotonic() - let_go
            after = self.watch(3)
            self.assertLessEqual(max(after), WAL_LIMIT,
                                 "the log grew past the bound again with no reader holding it")

            # 2. Readers and writers again; the writes stop, then the readers let go: with no
            # commit to start the log over, the log shrinks by itself all the same.
            readers = self.starve(8)
        finally:
            writers.stop()
        self.assertGreater(self.wal_size(), WAL_LIMIT, "the readers did not hold the log")
        readers.stop()
        self.assertEqual(readers.failures, [])
        self.wait_for_wal(lambda size: size <= WAL_LIMIT, 5, "writers stopped, readers let go")
        print(f"\nback under the bound {came_back:.1f} s after the readers let go; "
              f"{len(writers.acked)} writes acknowledged, {len(writers.other)} refused; "
              f"-wal {self.wal_size()} bytes at rest")

        self.assertTrue(all(status == 503 for _, status in writers.other), writers.other[:5])
        stored = {r[0]: r[1:] for r in sqlite_rows(
            s.db_path, "SELECT id, name, description, rev FROM solutions "
                       "WHERE name LIKE 'writer %' AND name NOT LIKE '%/%'")}
        for row_id, acked in writers.acked.items():
            self.assertEqual(stored.get(row_id), acked, f"acknowledged row {row_id}")
        self.assertEqual(len(stored), len(writers.acked), "a refused write was stored")
        imported = dict(((prefix, rev), n) for prefix, rev, n in sqlite_rows(
            s.db_path, "SELECT substr(name, 1, instr(name, '/')), rev, count(*) FROM solutions "
                       "WHERE name LIKE 'writer %/%' GROUP BY 1, 2"))
        self.assertEqual(imported, {(prefix, rev): n for prefix, rev, n in writers.imports},
                         "imports stored other than acknowledged")
        assert_sound(self, s)


if __name__ == "__main__":
    unittest.main()
