"""Issue #19, item 6: the same-row If-Match race. 16 clients, spread by nginx over both pool
workers, PATCH one row at the same instant with the same `If-Match`, 50 rounds. Exactly one wins
each round (200); the other 15 get 412 with the winner's row in `error.details.current`, so no
client can overwrite an edit it never saw; the row's revision (and the global one) advances once
per round, and the database holds exactly what the winners wrote."""
import threading

from api_client import ApiCase, sqlite_rows, worker_pids
from postconditions import assert_sound

CLIENTS = 16
ROUNDS = 50


def cpu_ticks(pid):
    """User + system CPU time of a process, in clock ticks (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


class IfMatchRace(ApiCase):
    workers = 2

    def test_one_winner_per_round(self):
        row = self.project(name="contended")
        workers = worker_pids(self.stack.procs["fcgi"].pid)
        self.assertEqual(len(workers), 2, "the pool should run two workers")
        ticks_before = {pid: cpu_ticks(pid) for pid in workers}
        # One keep-alive TLS connection per client, opened before the race so that the requests
        # of a round leave together instead of behind 16 handshakes.
        conns = [self.stack.connection() for _ in range(CLIENTS)]
        for c in conns:
            self.assertEqual(self.req("GET", "/api/health", conn=c).status, 200)
        self.addCleanup(lambda: [c.close() for c in conns])

        winners = []
        current = self.get("projects", row["id"])
        for rnd in range(ROUNDS):
            # The row's ETag is its rev: every client read the same row and sends that tag.
            etag = f'"{current["rev"]}"'
            results = [None] * CLIENTS
            start = threading.Barrier(CLIENTS)

            def client(i):
                start.wait()
                try:
                    results[i] = self.req("PATCH", f"/api/projects/{row['id']}", conn=conns[i],
                                          json={"name": f"round {rnd} client {i}"},
                                          headers={"If-Match": etag})
                except OSError as e:
                    results[i] = e

            threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()

            statuses = sorted(getattr(r, "status", repr(r)) for r in results)
            self.assertEqual(statuses, [200] + [412] * (CLIENTS - 1), f"round {rnd}: {results}")
            winner = next(r for r in results if r.status == 200)
            self.assertEqual(winner.headers["etag"], f'"{winner.json()["rev"]}"')
            winner = winner.json()
            # Revisions are global and nothing else writes: one step means one write, so no
            # loser wrote anything.
            self.assertEqual(winner["rev"], current["rev"] + 1, f"round {rnd}: the winner's rev")
            for r in results:
                if r.status == 412:
                    err = self.assertError(r, 412)
                    self.assertEqual(err["details"]["current"], winner,
                                     f"round {rnd}: a loser was not shown the winner's row")
            winners.append(winner)
            current = winner

        self.assertEqual(self.get("projects", row["id"]), current)
        self.assertEqual(self.revisions()["rev"], current["rev"])
        # Both workers served the race: each used CPU during it.
        for pid in workers:
            self.assertGreater(cpu_ticks(pid), ticks_before[pid], f"worker {pid} took no part")
        self.assertEqual(worker_pids(self.stack.procs["fcgi"].pid), workers)
        # What the file holds: the last winner's row, one revision per round and nothing else.
        stored = sqlite_rows(self.stack.db_path, "SELECT name, rev FROM projects WHERE id = ?",
                             (row["id"],))
        self.assertEqual(stored, [(winners[-1]["name"], winners[-1]["rev"])])
        self.assertEqual(winners[-1]["rev"], row["rev"] + ROUNDS)
        assert_sound(self, self.stack)


if __name__ == "__main__":
    import unittest
    unittest.main()
