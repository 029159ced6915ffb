"""nginx keeps its FastCGI connections to the pool open between requests (the upstream's
keepalive with fastcgi_keep_conn; fcgi-app/pool/connection_waiter.hpp): a run of requests, reads
and writes, is served over the same connection to a pool worker instead of one connection each,
every answer stays right, and a pool told to stop waits for nginx to close its kept connections
(the upstream's keepalive_timeout) and then exits cleanly."""
import os
import signal
import time
import unittest

from api_client import ApiCase, worker_pids
from livesync_stack import Stack

REQUESTS = 30
# keepalive_timeout and keepalive_time of the livesync_fcgi upstream in the site template
KEEPALIVE_TIMEOUT_S = 4
KEEPALIVE_TIME_S = 4
SLACK_S = 6  # a loaded test machine


def connections(pid):
    """The inodes of the Unix stream connections a pool worker holds (its listening socket,
    inherited as fd 3, and the signal datagram socket left out)."""
    out = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        if int(fd) <= 3:
            continue
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue  # closed meanwhile
        if target.startswith("socket:["):
            out.add(target[len("socket:["):-1])
    stream = set()
    with open(f"/proc/{pid}/net/unix") as f:
        next(f)
        for line in f:
            fields = line.split()
            # Type 0001 is SOCK_STREAM; state 03 is connected.
            if fields[4] == "0001" and fields[5] == "03" and fields[6] in out:
                stream.add(fields[6])
    return stream


class KeptConnections(ApiCase):
    workers = 1

    @classmethod
    def setUpClass(cls):
        # One nginx worker and one pool worker: nginx's one cached connection is the pool's.
        cls.stack = Stack(daemon=False, workers=1, nginx_workers=1)
        cls.stack.start()

    def worker(self):
        pids = worker_pids(self.stack.procs["fcgi"].pid)
        self.assertEqual(len(pids), 1)
        return pids[0]

    def test_a_run_of_requests_shares_one_connection_to_the_pool(self):
        started = time.monotonic()
        first = self.ok("POST", "/api/projects", status=201, json={"name": "kept 0"})
        seen, kept = set(), 0
        for i in range(1, REQUESTS + 1):
            held = connections(self.worker())
            # Kept after its request (the old pool closed every connection once it had
            # answered), and only the one: nginx sends each request over the connection it keeps
            # (none just after nginx closed it at its keepalive_time).
            self.assertLessEqual(len(held), 1, f"after request {i}: {held}")
            kept += len(held)
            seen |= held
            if i % 3 == 0:
                self.ok("PATCH", f"/api/projects/{first['id']}", json={"name": f"kept {i}"})
                first = self.ok("GET", f"/api/projects/{first['id']}")
            else:
                self.ok("GET", "/api/projects?limit=5&order=desc")
        self.assertEqual(first["name"], f"kept {REQUESTS}")
        # A refused request (bad JSON, its body read and discarded) leaves the connection usable.
        r = self.req("POST", "/api/projects", body="{not json", content_type="application/json")
        self.assertEqual(r.status, 400, r)
        self.ok("GET", "/api/health")
        seen |= connections(self.worker())
        # nginx replaces a connection once it has been in use for keepalive_time.
        elapsed = time.monotonic() - started
        self.assertLessEqual(len(seen), 1 + int(elapsed / KEEPALIVE_TIME_S), seen)
        self.assertLess(len(seen), REQUESTS // 4, seen)
        self.assertGreater(kept, REQUESTS * 2 // 3)


class StopWithKeptConnections(unittest.TestCase):
    def test_a_stopping_pool_waits_for_nginx_to_close_its_connections_then_exits(self):
        with Stack(daemon=False, workers=2, nginx_workers=1) as stack:
            master = stack.procs["fcgi"].pid
            for i in range(5):
                r = stack.request("GET", "/api/projects")
                self.assertEqual(r.status, 200, r)
            self.assertTrue(any(connections(w) for w in worker_pids(master)),
                            "no connection kept")
            started = time.monotonic()
            os.kill(master, signal.SIGTERM)
            stack.procs["fcgi"].wait(KEEPALIVE_TIMEOUT_S + SLACK_S)
            self.assertEqual(stack.procs["fcgi"].returncode, 0, stack.log("fcgi"))
            self.assertLess(time.monotonic() - started, KEEPALIVE_TIMEOUT_S + SLACK_S)
            self.assertEqual(worker_pids(master), [])


if __name__ == "__main__":
    unittest.main()
