"""Two complete hosts over one real PostgreSQL: host B's daemon frozen (SIGSTOP) for 60 s — its
listening connection open and unread, the notifications piling up for it in the server — fails
no write and slows none, through either host; once it resumes, every subscriber on both hosts is
told the final revisions within the liveness deadline. (A minute of mostly waiting: a module of
its own, so ctest -j runs it beside the others.)"""
import signal
import threading
import time
import unittest

from livesync_stack import ENTITIES
from multi_host import HostsCase

STALL_S = 60


class Stall(HostsCase):
    def test_a_daemon_stopped_for_60_s_fails_no_write(self):
        rows = self.rows()
        subs = self.subscribe_everywhere()
        b = self.stacks[-1]
        outcomes = []  # (status, seconds) of every write
        lock = threading.Lock()
        end = time.monotonic() + STALL_S

        def writer(w):
            stack = self.stacks[w % len(self.stacks)]
            conn = stack.connection()
            i = w
            try:
                while time.monotonic() < end:
                    entity = ENTITIES[i % 3]
                    start = time.monotonic()
                    r = stack.request("PATCH", f"/api/{entity}/{rows[entity]}", conn=conn,
                                      json={"name": f"w{w} #{i}"},
                                      headers={"X-Client-Id": f"writer-{w}"})
                    with lock:
                        outcomes.append((r.status, time.monotonic() - start))
                    i += 4
                    time.sleep(0.1)
            finally:
                conn.close()

        b.kill("wsd", signal.SIGSTOP)
        try:
            threads = [threading.Thread(target=writer, args=(w,)) for w in range(4)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
        finally:
            b.kill("wsd", signal.SIGCONT)
        self.assertGreater(len(outcomes), 100)
        self.assertEqual([s for s, _ in outcomes if s != 200], [])
        self.assertLess(max(t for _, t in outcomes), 2.0, "a write waited on the stopped daemon")
        self.assertAllCaughtUp(subs)


if __name__ == "__main__":
    unittest.main()
