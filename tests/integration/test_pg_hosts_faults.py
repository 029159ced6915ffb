"""Two complete hosts over one real PostgreSQL, with host B's daemon reaching the server through a
TCP relay (multi_host.Hosts(relay=True)); each fault strikes in the middle of a burst of writes
spread over both hosts, and afterwards every WebSocket and SSE subscriber on every host is told the
final revisions within the liveness deadline (multi_host.LIVENESS_S):
- pg_terminate_backend of every daemon's listening connection;
- an immediate PostgreSQL restart (a crash: writes meanwhile answer 503 and are retried);
- a half-open listener connection: B's hop to the server frozen with SIGSTOP (no FIN, no RST), which
  only the listener's own deadline (listener_timeout_ms) can notice."""
import os
import signal
import time
import unittest

from multi_host import HostsCase

LISTENERS = "application_name = 'livesync-wsd' AND backend_type = 'client backend'"


class Faults(HostsCase):
    relay = True

    def reconnects(self):
        return [s.daemon_metrics()["listener_reconnects_total"] for s in self.stacks]

    def test_terminated_listeners_mid_burst(self):
        rows = self.rows()
        subs = self.subscribe_everywhere()
        before = self.reconnects()

        def terminate():
            killed = self.hosts.pg.psql(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {LISTENERS}")
            self.assertEqual(killed.split(), ["t"] * len(self.stacks))
        self.assertEqual(self.burst(300, rows, during=terminate), [])
        self.assertAllCaughtUp(subs)
        for b, a in zip(before, self.reconnects()):
            self.assertGreater(a, b, "a listener did not reconnect")

    def test_immediate_postgres_restart_mid_burst(self):
        rows = self.rows()
        subs = self.subscribe_everywhere()

        def restart():
            self.hosts.pg.stop_server(immediate=True)
            self.hosts.pg.start_server()
        self.assertEqual(self.burst(300, rows, during=restart), [])
        self.assertAllCaughtUp(subs)

    def test_half_open_listener_connection_mid_burst(self):
        rows = self.rows()
        subs = self.subscribe_everywhere()
        b = self.stacks[-1]
        before = b.daemon_metrics()["listener_reconnects_total"]
        frozen = []

        def freeze():
            frozen.extend(self.hosts.relay.children())
            self.assertTrue(frozen, "no connection through the relay")
            for pid in frozen:
                os.kill(pid, signal.SIGSTOP)
        try:
            self.assertEqual(self.burst(300, rows, during=freeze), [])
            self.assertAllCaughtUp(subs)
            # Through a new connection, the frozen one still frozen.
            self.assertGreater(b.daemon_metrics()["listener_reconnects_total"], before)
            self.assertEqual([self.state(pid) for pid in frozen], ["T"] * len(frozen))
        finally:
            for pid in frozen:
                os.kill(pid, signal.SIGKILL)

    @staticmethod
    def state(pid):
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]


if __name__ == "__main__":
    unittest.main()
