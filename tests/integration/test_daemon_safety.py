"""Who may subscribe and what a subscriber may do, through nginx and the real daemon: WebSocket
upgrades need the site's exact origin (403 otherwise, a missing Origin included), /events refuses
foreign origins and cross-site or same-site fetches, and no answer carries
Access-Control-Allow-Origin; a client frame over 1 KiB closes that connection with 1009 and more
than 5 frames a second with 1008, while other subscribers keep being told; a subscriber that never
reads costs the daemon bounded memory, is dropped once its socket is full, and slows nobody."""
import os
import time
import unittest

from api_client import ApiCase
from livesync_stack import Subscribers, vm_rss_kib
from sseclient import HTTPError
from wsclient import OP_BINARY, OP_CONT, OP_TEXT, ConnectionClosed, HandshakeError, WebSocket


class Origins(Subscribers, ApiCase):
    daemon = True

    def foreign_origins(self):
        port = self.stack.port
        return [f"https://localhost:{port}.evil.test", f"https://localhost:{port + 1}",
                f"http://localhost:{port}", "https://localhost", f"https://127.0.0.1:{port}",
                f"https://evil.localhost:{port}", f"wss://localhost:{port}", "null",
                f"https://localhost:{port}/", f"https://localhost:{port} https://evil.example",
                "https://evil.example"]

    def refusals(self):
        m = self.stack.daemon_metrics()
        return {r: m[f'refusals_total{{reason="{r}"}}'] for r in ("origin", "cross_site")}

    def assertRefused(self, error, what):
        self.assertEqual(error.status, 403, f"{what}: {error.body!r}")
        self.assertNotIn("access-control-allow-origin", error.headers, what)

    def test_websocket_upgrade_needs_the_exact_site_origin(self):
        before = self.refusals()
        origins = self.foreign_origins() + [None]
        for origin in origins:
            with self.subTest(origin=origin), self.assertRaises(HandshakeError) as cm:
                self.stack.ws(origin=origin).close()
            self.assertRefused(cm.exception, f"upgrade from {origin!r}")
        self.assertEqual(self.refusals()["origin"] - before["origin"], len(origins))
        ws = self.stack.ws()
        self.addCleanup(ws.close)
        self.assertNotIn("access-control-allow-origin", ws.headers)
        self.assertEqual(ws.recv_json(timeout=5)["type"], "hello")

    def test_event_stream_refuses_foreign_origins_and_cross_site_fetches(self):
        before = self.refusals()
        refused = [{"Origin": o} for o in self.foreign_origins()]
        cross = [{"Sec-Fetch-Site": site, **extra} for site in ("cross-site", "same-site",
                                                                "Cross-Site")
                 for extra in ({}, {"Origin": self.stack.origin})]
        for headers in refused + cross:
            with self.subTest(headers=headers), self.assertRaises(HTTPError) as cm:
                self.stack.sse(headers=headers).close()
            self.assertRefused(cm.exception, f"/events with {headers}")
        after = self.refusals()
        self.assertEqual(after["origin"] - before["origin"], len(refused))
        self.assertEqual(after["cross_site"] - before["cross_site"], len(cross))
        # A same-origin EventSource sends no Origin (or the site's own) and same-origin/none.
        for headers in ({}, {"Origin": self.stack.origin}, {"Sec-Fetch-Site": "same-origin"},
                        {"Sec-Fetch-Site": "none"}):
            with self.subTest(headers=headers):
                es = self.stack.sse(headers=headers)
                try:
                    self.assertNotIn("access-control-allow-origin", es.headers)
                    self.assertEqual(es.next_event(timeout=5).event, "hello")
                finally:
                    es.close()


class ClientFrames(Subscribers, ApiCase):
    daemon = True

    def setUp(self):
        super().setUp()
        self.bystander = self.subscribe("ws")

    def client(self):
        ws = self.stack.ws()
        self.addCleanup(ws.close)
        self.assertEqual(ws.recv_json(timeout=5)["type"], "hello")
        return ws

    def change(self):
        """A change every open subscriber must be told of; returns its rev."""
        return self.ok("POST", "/api/projects", status=201, json={"name": "change"})["rev"]

    def assertStillTold(self, ws):
        rev = self.change()
        self.assertEqual(ws.recv_json(timeout=5), {"type": "refresh", "entity": "projects",
                                                   "rev": rev})
        self.assertAllCaughtUp({"bystander": self.bystander})

    def assertSendingCloses(self, frames, code, reason):
        """A new client sends `frames` [(opcode, payload, fin)]: it is closed with `code`, the
        daemon counts the refusal, and the bystander is still told of the next change."""
        ws = self.client()
        key = f'refusals_total{{reason="{reason}"}}'
        before = self.stack.daemon_metrics()[key]
        ws.send_frames(frames)
        with self.assertRaises(ConnectionClosed) as cm:
            ws.recv_json(timeout=5)
        self.assertEqual(cm.exception.code, code, cm.exception)
        self.assertEqual(self.stack.daemon_metrics()[key], before + 1)
        rev = self.change()
        self.assertEqual(self.bystander.wait(
            lambda ms: [m for m in ms if m.get("rev") == rev], timeout=5),
            [{"type": "refresh", "entity": "projects", "rev": rev}])

    def test_a_frame_of_1_kib_is_accepted(self):
        ws = self.client()
        ws.send_text("x" * 1024)
        self.assertStillTold(ws)

    def test_larger_frames_close_with_1009(self):
        for name, frames in [
            ("text", [(OP_TEXT, b"x" * 1025, True)]),
            ("binary", [(OP_BINARY, b"\0" * 5000, True)]),
            ("fragmented", [(OP_TEXT, b"x" * 600, False), (OP_CONT, b"x" * 600, True)]),
        ]:
            with self.subTest(name):
                self.assertSendingCloses(frames, 1009, "frame_size")

    def test_five_frames_a_second_are_accepted(self):
        ws = self.client()
        for _ in range(5):
            ws.send_text("hi")
        self.assertStillTold(ws)

    def test_a_flood_of_frames_closes_with_1008(self):
        # Sent at once, so at least half fall in one wall-clock second, well over 5.
        self.assertSendingCloses([(OP_TEXT, b"hi", True)] * 20, 1008, "frame_rate")

class NonReaders(Subscribers, ApiCase):
    daemon = True
    # Every change is a frame of its own, and a subscriber that has not taken one frame in a
    # whole heartbeat period is dropped within about two seconds.
    config = {"coalesce_ms": 0, "heartbeat_s": 1}
    growth_limit_kib = 8 * 1024

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # ASan's quarantine keeps freed memory resident (a few KiB per change), which would hide
        # what the daemon itself holds: without it VmRSS measures the daemon.
        cls.stack.kill("wsd")
        cls.stack.start_daemon(env={"ASAN_OPTIONS": os.environ.get("ASAN_OPTIONS", "") +
                                    ":quarantine_size_mb=0"})

    def test_a_subscriber_that_never_reads_costs_bounded_memory_and_is_dropped(self):
        rows = self.rows()
        reader = self.subscribe("ws")
        # Upgrades through nginx, then never recv()s: nginx and the kernel buffer for it.
        through_nginx = self.stack.ws(rcvbuf=4096)
        self.addCleanup(through_nginx.sock.close)
        # The daemon's own socket, as nginx's looks once its buffers for a client are full.
        direct = WebSocket.connect("localhost", None, "/ws", origin=self.stack.origin,
                                   unix_socket=self.stack.wsd_socket)
        self.addCleanup(direct.sock.close)
        pid = self.stack.pid("wsd")
        self.write(300, rows, writers=4)  # warm-up: allocator, SQLite and lws reach working size
        base = vm_rss_kib(pid)
        stalled = self.stack.daemon_metrics()['drops_total{reason="stalled"}']
        # Each revision read is at least one frame for every subscriber, however busy the machine
        # (and so however many changes one read covers): writing on fills the direct socket.
        deadline = time.monotonic() + 60
        written = 0
        while (self.stack.daemon_metrics()['drops_total{reason="stalled"}'] == stalled
               or written < 2000):
            self.assertLess(time.monotonic(), deadline, "the stalled subscriber was never dropped")
            self.write(250, rows, writers=4)
            written += 250
        growth = vm_rss_kib(pid) - base
        self.assertLess(growth, self.growth_limit_kib, f"VmRSS grew by {growth} KiB")
        self.assertAllCaughtUp({"reader": reader})
        # The dropped socket is closed: reading it drains what was sent, then ends (answering a
        # buffered ping may find it closed first).
        with self.assertRaises((ConnectionClosed, ConnectionError)):
            while True:
                direct.recv_frame(timeout=5)


if __name__ == "__main__":
    unittest.main()
