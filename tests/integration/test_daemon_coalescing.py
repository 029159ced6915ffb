"""Coalescing and catching up under load, through nginx and the real daemon: a burst of 1,000
PATCHes from 8 writers reaches each subscriber as at most one leading and one trailing frame per
entity per window, the last ones at the final revisions; a daemon stopped (SIGSTOP) during 500
writes, so that the signal queue overflows, still tells every WebSocket and SSE subscriber the final
revisions once it runs again (the revision table is the truth, the datagram only a hint)."""
import math
import signal
import time
import unittest

from api_client import ApiCase
from livesync_stack import ENTITIES, Subscribers

WRITERS = 8
COALESCE_MS = 100  # the default, set explicitly because the frame bound is derived from it


class Load(Subscribers, ApiCase):
    daemon = True
    config = {"coalesce_ms": COALESCE_MS}


class Burst(Load):
    def test_a_burst_is_a_few_frames_per_window_ending_at_the_final_revs(self):
        rows = self.rows()
        clients = self.subscribe_many(ws=3, sse=1)
        self.assertAllCaughtUp(clients)
        seen = {name: len(c.messages()) for name, c in clients.items()}
        before = self.stack.daemon_metrics()
        window = COALESCE_MS / 1000
        start = time.monotonic()
        self.write(1000, rows, writers=WRITERS)
        self.assertAllCaughtUp(clients)
        after = self.stack.daemon_metrics()
        origins = {f"writer-{w}" for w in range(WRITERS)}
        for name, c in clients.items():
            timed = [(t, m) for t, m in c.timed()[seen[name]:] if m["type"] == "refresh"]
            elapsed = timed[-1][0] - start
            bound = 2 * math.ceil(elapsed / window) + 2
            for entity in ENTITIES:
                frames = [m for _, m in timed if m["entity"] in (entity, "all")]
                self.assertGreaterEqual(len(frames), 1, f"{name}: nothing for {entity}")
                self.assertLessEqual(len(frames), bound, f"{name}: {len(frames)} frames for "
                                                         f"{entity} in {elapsed:.2f} s")
            for _, m in timed:
                self.assertIn(m.get("origin", "writer-0"), origins, f"{name}: {m}")
        self.assertGreater(after["coalesced_total"], before["coalesced_total"])


class Stopped(Load):
    def test_a_stopped_daemon_tells_everyone_the_final_revs_when_it_runs_again(self):
        rows = self.rows()
        clients = self.subscribe_many(ws=2, sse=2)
        self.assertAllCaughtUp(clients)
        before = self.stack.daemon_metrics()["signals_received_total"]
        self.stack.kill("wsd", signal.SIGSTOP)
        self.addCleanup(self.stack.kill, "wsd", signal.SIGCONT)
        self.write(500, rows, writers=4)
        self.stack.kill("wsd", signal.SIGCONT)
        self.assertAllCaughtUp(clients)
        received = self.stack.daemon_metrics()["signals_received_total"] - before
        with open("/proc/sys/net/unix/max_dgram_qlen") as f:
            queue = int(f.read())
        if queue < 500:
            # The queue overflowed while the daemon was stopped: most datagrams were lost and the
            # subscribers above were caught up by the revision read alone.
            self.assertLess(received, 500)


if __name__ == "__main__":
    unittest.main()
