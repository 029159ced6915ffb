"""Issue #19, item 4: an acknowledged write survives a power cut (SPEC §6, SQLite WAL with
`synchronous = FULL`). The database lives on faultfs, which keeps every write in memory until the
file is synced: 8 threads POST and PATCH while the pool is SIGKILLed, then the power is cut
(everything unsynced is dropped), the filesystem remounted and the pool restarted. Every write
answered 2xx must be there: created rows with the acknowledged fields, each PATCHed row at its
last acknowledged value or a later one that was sent; no row twice; the file sound.

Also counted through faultfs: each acknowledged write is followed by a sync of the WAL in the
process that wrote it (every pool worker's writer connection runs with `synchronous = FULL`).

The second test proves that both checks can fail: with `synchronous = NORMAL` the sync count sees
WAL writes left unsynced, and with a disk that does not really sync the cut loses acknowledged
writes and the ledger says so."""
import signal
import threading
import time
import unittest

from api_client import worker_pids
from faultfs import FaultFs, unavailable
from livesync_stack import Stack
from postconditions import assert_sound

WRITERS = 8
WAL = "/livesync.db-wal"


class Ledger:
    """What the writers sent and what was acknowledged."""

    def __init__(self):
        self.lock = threading.Lock()
        self.created = {}      # id -> (name, description) of an acknowledged POST
        self.acked_seq = {}    # own row id -> last acknowledged PATCH seq
        self.sent_seq = {}     # own row id -> last PATCH seq sent
        self.refused = []      # answers other than 2xx before the pool was killed


class PowerLoss(unittest.TestCase):
    def setUp(self):
        reason = unavailable()
        if reason:
            self.skipTest(reason)

    def start(self, synchronous):
        self.fs = FaultFs()
        self.addCleanup(self.fs.stop)
        self.fs.mount()
        self.stack = Stack(daemon=False, workers=2, config={
            "database": self.fs.path("livesync.db"), "synchronous": synchronous})
        self.addCleanup(self.stack.stop)
        self.stack.start()
        self.ledger = Ledger()

    def post(self, conn, name, description):
        r = self.stack.request("POST", "/api/projects", conn=conn,
                               json={"name": name, "description": description})
        if r.status == 201:
            with self.ledger.lock:
                self.ledger.created[r.json()["id"]] = (name, description)
        return r

    def write(self, w, phase, rounds=None, stop=None, killed=None):
        """Writer `w`: creates its own row, then alternately POSTs a new project and PATCHes its
        row with an increasing seq, for `rounds` rounds or until `stop` is set."""
        ledger = self.ledger
        conn = self.stack.connection()
        try:
            own = self.post(conn, f"{phase} own w{w}", "seq 0")
            if own.status != 201:
                if not (killed and killed.is_set()):
                    ledger.refused.append(own)
                return
            own_id = own.json()["id"]
            with ledger.lock:
                ledger.acked_seq[own_id] = ledger.sent_seq[own_id] = 0
            i = 0
            while (rounds is None or i < rounds) and not (stop and stop.is_set()):
                i += 1
                if i % 2:
                    r = self.post(conn, f"{phase} w{w} #{i}", f"created by w{w} in round {i}")
                else:
                    with ledger.lock:
                        ledger.sent_seq[own_id] = i
                    r = self.stack.request("PATCH", f"/api/projects/{own_id}", conn=conn,
                                           json={"description": f"seq {i}"})
                    if r.status == 200:
                        with ledger.lock:
                            ledger.acked_seq[own_id] = i
                if r.status >= 300:
                    if killed and killed.is_set():
                        return
                    ledger.refused.append(r)
        except OSError:
            if not (killed and killed.is_set()):
                raise
        finally:
            conn.close()

    def run_writers(self, phase, **kw):
        threads = [threading.Thread(target=self.write, args=(w, phase), kwargs=kw)
                   for w in range(WRITERS)]
        for t in threads:
            t.start()
        return threads

    def unsynced_writers(self):
        """Pool processes that wrote to the WAL and did not sync it after their last write
        (read while no write is in flight): {pid: usage}; and the pids that wrote at all."""
        pool = set(worker_pids(self.stack.pid("fcgi")))
        wal = {pid: u for (pid, path), u in self.fs.stats().items()
               if path == WAL and pid in pool and u["writes"]}
        return {pid: u for pid, u in wal.items() if u["writes_since_sync"]}, set(wal)

    def scenario(self, synchronous, disk="normal"):
        """Runs the whole story; returns (unsynced writers, WAL syncs per sequential write,
        acknowledged writes missing after the cut). `disk`: faultfs's sync mode while the
        writers run into the cut."""
        self.start(synchronous)
        # Sequential writes: each one a batch of its own, so each needs its own WAL sync.
        self.fs.command("reset-stats")
        conn = self.stack.connection()
        for i in range(20):
            self.assertEqual(self.post(conn, f"sequential {i}", "").status, 201)
        conn.close()
        syncs = sum(u["syncs"] for (pid, path), u in self.fs.stats().items() if path == WAL)
        # Concurrent writes, then a quiet moment: has every worker synced what it wrote? (The
        # kernel picks the worker that accepts a connection, and nginx keeps its FastCGI
        # connections for up to keepalive_time, 4 s: write until both workers have, letting the
        # kept connections expire in between.)
        for attempt in range(8):
            for t in self.run_writers(f"quiet{attempt}", rounds=10):
                t.join()
            unsynced, wrote = self.unsynced_writers()
            if len(wrote) == 2:
                break
            time.sleep(4.5)
        self.assertEqual(len(wrote), 2, f"both workers wrote to the WAL: {wrote}")

        # Writers at full speed; the pool dies mid-write, then the power goes.
        stop, killed = threading.Event(), threading.Event()
        self.fs.mode(disk)
        threads = self.run_writers("cut", stop=stop, killed=killed)
        time.sleep(3)
        killed.set()
        self.stack.kill("fcgi", signal.SIGKILL)
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(self.ledger.refused, [], "answers other than 2xx before the kill")
        self.fs.cut()
        self.fs.mount()
        self.stack.start_fcgi()
        self.stack.wait_ready()
        return unsynced, syncs / 20, self.missing()

    def missing(self):
        """Acknowledged writes the database does not have (as the API reads it)."""
        r = self.stack.request("GET", "/api/projects")
        self.assertEqual(r.status, 200, r)
        rows = {row["id"]: row for row in r.json()["items"]}
        names = [row["name"] for row in rows.values()]
        self.assertEqual(len(names), len(set(names)), "a row stored twice")
        lost = []
        for row_id, (name, description) in self.ledger.created.items():
            row = rows.get(row_id)
            if row is None:
                lost.append(f"POST {name!r} (id {row_id}) is gone")
            elif row["name"] != name:
                lost.append(f"row {row_id} is named {row['name']!r}, acknowledged as {name!r}")
            elif row_id in self.ledger.acked_seq:  # a writer's own row: PATCHed since
                seq = int(row["description"].split()[1])
                if not self.ledger.acked_seq[row_id] <= seq <= self.ledger.sent_seq[row_id]:
                    lost.append(f"row {row_id} is at seq {seq}; acknowledged: seq "
                                f"{self.ledger.acked_seq[row_id]}")
            elif row["description"] != description:
                lost.append(f"row {row_id} is {row!r}, acknowledged as {description!r}")
        return lost

    def test_acknowledged_writes_survive_a_power_cut(self):
        unsynced, syncs_per_write, lost = self.scenario("FULL")
        self.assertEqual(unsynced, {}, "pool workers that left WAL writes unsynced")
        self.assertGreaterEqual(syncs_per_write, 1, "WAL syncs per acknowledged sequential write")
        self.assertGreater(len(self.ledger.created), 100, "too few writes to prove anything")
        self.assertEqual(lost, [])
        assert_sound(self, self.stack)

    def test_the_checks_see_unsynced_writes(self):
        # NORMAL does not sync the WAL on commit: the sync count must see that. It does not
        # reliably lose writes here (once the WAL is past 1,000 pages, SQLite's automatic
        # checkpoint after each commit syncs it), so the loss check is proven with a disk
        # whose syncs write nothing (faultfs mode `lie`), which must lose acknowledged writes.
        unsynced, syncs_per_write, lost = self.scenario("NORMAL", disk="lie")
        self.assertTrue(unsynced, "NORMAL leaves WAL writes unsynced, and the count must see it")
        # Not 0: with NORMAL only checkpoints sync the WAL (SQLite's own, and the WAL keeper's
        # once a second), never a commit; FULL costs at least one per write.
        self.assertLess(syncs_per_write, 0.5)
        self.assertTrue(lost, "a disk that does not sync loses acknowledged writes")
        assert_sound(self, self.stack)  # lost, but not corrupt

if __name__ == "__main__":
    unittest.main()
