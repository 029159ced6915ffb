"""Issue #19, item 9: hostile WebSocket frames and handshakes, on raw sockets, both through nginx
(TLS) and straight to the daemon's own socket. A frame RFC 6455 says must fail the connection
fails it at once with the right close code (1002 protocol error, 1007 bad UTF-8, 1009 too big,
1008 policy); a bad handshake gets an HTTP error, never an upgrade; the daemon survives with no
sanitizer report, counts what it refused, and every other subscriber (a WebSocket and an SSE
client) is still told of the next change."""
import base64
import os
import socket
import struct
import time
import unittest

from api_client import ApiCase
from livesync_stack import Subscribers
from postconditions import assert_sound
from wsclient import (OP_BINARY, OP_CLOSE, OP_CONT, OP_PING, OP_PONG, OP_TEXT, open_stream,
                      read_http_head)

# RFC 6455 wants a bad frame failed at once; a close that takes longer than this is a bug.
PROMPT_S = 1.0
ROUTES = ("nginx", "daemon")


def frame(opcode, payload=b"", fin=True, rsv=0, masked=True, length=None):
    """The bytes of one client frame; `length` declares another payload length than sent."""
    n = len(payload) if length is None else length
    head = bytes([(0x80 if fin else 0) | (rsv << 4) | opcode])
    bit = 0x80 if masked else 0
    if n < 126:
        head += bytes([bit | n])
    elif n < 65536:
        head += bytes([bit | 126]) + struct.pack("!H", n)
    else:
        head += bytes([bit | 127]) + struct.pack("!Q", n)
    if not masked:
        return head + payload
    mask = os.urandom(4)
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


class RawWs:
    """A WebSocket connection on which the test writes any bytes it likes."""

    def __init__(self, stack, route, headers=None, early=b""):
        self.sock = (open_stream("localhost", stack.port) if route == "nginx" else
                     open_stream("localhost", 0, tls=False, unix_socket=stack.wsd_socket))
        lines = ["GET /ws HTTP/1.1", f"Host: localhost:{stack.port}", f"Origin: {stack.origin}"]
        hdrs = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
                "Sec-WebSocket-Key": base64.b64encode(os.urandom(16)).decode()}
        hdrs.update(headers or {})
        lines += [f"{k}: {v}" for k, v in hdrs.items() if v is not None]
        sent = time.monotonic()
        self.sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode() + early)
        self.status, self.headers, self.buf = read_http_head(self.sock)
        self.took = time.monotonic() - sent  # for the answer to the handshake

    def body(self, timeout=2):
        """The rest of a refused handshake's answer (until EOF or `timeout`)."""
        deadline = time.time() + timeout
        data = self.buf
        while time.time() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.time()))
            try:
                chunk = self.sock.recv(4096)
            except (socket.timeout, OSError):
                break
            if not chunk:
                break
            data += chunk
        return data

    def send(self, data):
        self.sock.sendall(data)

    def outcome(self, timeout=5):
        """Reads server frames until a close frame or the end of the connection. Returns
        (close code or None, seconds taken); data frames (hello, beats) and pings are skipped."""
        start = time.monotonic()
        deadline = start + timeout
        while True:
            while len(self.buf) >= 2:
                n, at = self.buf[1] & 0x7F, 2
                if n == 126:
                    n, at = struct.unpack("!H", self.buf[2:4])[0], 4
                elif n == 127:
                    n, at = struct.unpack("!Q", self.buf[2:10])[0], 10
                if len(self.buf) < at + n:
                    break
                opcode, payload = self.buf[0] & 0x0F, self.buf[at:at + n]
                self.buf = self.buf[at + n:]
                if opcode == OP_CLOSE:
                    code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                    return code, time.monotonic() - start
            left = deadline - time.monotonic()
            if left <= 0:
                return "still open", timeout
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                chunk = b""
            if not chunk:
                return None, time.monotonic() - start
            self.buf += chunk

    def close(self):
        self.sock.close()


def protocol_error(reason):
    return f'ws_protocol_errors_total{{reason="{reason}"}}'


def refusal(reason):
    return f'refusals_total{{reason="{reason}"}}'


# (name, bytes sent after the handshake, close code, the daemon's counter of it). The daemon
# checks the raw bytes before lws parses them (ws-daemon/frame_guard.hpp), so each is failed at
# the byte that gives it away: no payload is needed for a frame declaring 2^40 bytes.
BAD_FRAMES = [
    ("unmasked", frame(OP_TEXT, b"hi", masked=False), 1002, protocol_error("unmasked")),
    ("reserved bit 1", frame(OP_TEXT, b"hi", rsv=4), 1002, protocol_error("reserved_bits")),
    ("reserved bit 3", frame(OP_TEXT, b"hi", rsv=1), 1002, protocol_error("reserved_bits")),
    ("opcode 3", frame(3, b"hi"), 1002, protocol_error("opcode")),
    ("opcode 0xB", frame(0xB, b"hi"), 1002, protocol_error("opcode")),
    ("fragmented ping", frame(OP_PING, b"p", fin=False), 1002,
     protocol_error("control_fragmented")),
    ("a ping of 126 bytes", frame(OP_PING, b"p" * 126), 1002, protocol_error("control_too_long")),
    ("continuation without a start", frame(OP_CONT, b"hi"), 1002,
     protocol_error("continuation")),
    ("a 16-bit length of 5", b"\x81\xfe\x00\x05" + os.urandom(9), 1002, protocol_error("length")),
    ("a length of 2^63", frame(OP_BINARY, length=2 ** 63), 1002, protocol_error("length")),
    ("bad UTF-8 in text", frame(OP_TEXT, b"ok \xc3\x28 \xff"), 1007, protocol_error("bad_utf8")),
    ("a text message cut mid-character", frame(OP_TEXT, b"caf\xc3", fin=False) +
     frame(OP_CONT, b""), 1007, protocol_error("bad_utf8")),
    ("a frame declaring 2^40 bytes", frame(OP_BINARY, b"x" * 300, length=2 ** 40),
     1009, refusal("frame_size")),
    ("a bare header declaring 2^40 bytes", frame(OP_BINARY, length=2 ** 40), 1009,
     refusal("frame_size")),
    ("a text frame over 1 KiB", frame(OP_TEXT, b"x" * 1025), 1009, refusal("frame_size")),
    ("a ping storm", frame(OP_PING, b"p") * 50, 1008, refusal("frame_rate")),
]


class HostileFrames(Subscribers, ApiCase):
    daemon = True

    def setUp(self):
        super().setUp()
        self.bystanders = self.subscribe_many(ws=1, sse=1)

    def tearDown(self):
        super().tearDown()
        assert_sound(self, self.stack)

    def raw(self, route, **kw):
        ws = RawWs(self.stack, route, **kw)
        self.addCleanup(ws.close)
        return ws

    def assertStatus(self, ws, status):
        # The body only for the message: reading it waits for the end of the connection.
        if ws.status != status:
            self.fail(f"{ws.status} instead of {status}: {ws.body()!r}")

    def assertBystandersTold(self):
        rev = self.ok("POST", "/api/projects", status=201, json={"name": "later"})["rev"]
        for name, c in self.bystanders.items():
            got = c.wait(lambda ms: [m for m in ms if m.get("rev") == rev], timeout=5)
            self.assertTrue(got, f"{name} was not told of rev {rev}: {c.ended!r}")

    def assertFails(self, route, data, code, counter):
        before = self.stack.daemon_metrics()
        ws = self.raw(route)
        self.assertStatus(ws, 101)
        ws.send(data)
        got, took = ws.outcome()
        self.assertEqual(got, code, f"closed with {got} after {took:.2f} s")
        self.assertLess(took, PROMPT_S, "not failed at once")
        after = self.stack.daemon_metrics()
        self.assertEqual(after[counter], before[counter] + 1, counter)
        self.assertIsNone(self.stack.procs["wsd"].poll(), "the daemon died")

    def test_bad_frames_fail_the_connection_at_once(self):
        for route in ROUTES:
            for name, data, code, counter in BAD_FRAMES:
                with self.subTest(route=route, frame=name):
                    self.assertFails(route, data, code, counter)
        self.assertBystandersTold()

    def test_frames_sent_with_the_upgrade_request_are_checked_too(self):
        # RFC 6455 §4.1 has a client wait for the 101; nginx holds what comes early until then,
        # so the daemon sees it after the upgrade. (On the daemon's own socket, which only nginx
        # may use, lws would take such bytes with the request: ws-daemon/README.md.)
        counter = protocol_error("unmasked")
        before = self.stack.daemon_metrics()[counter]
        ws = self.raw("nginx", early=frame(OP_TEXT, b"hi", masked=False))
        self.assertStatus(ws, 101)
        got, took = ws.outcome()
        self.assertEqual(got, 1002, f"closed with {got} after {took:.2f} s")
        self.assertLess(took, PROMPT_S)
        self.assertEqual(self.stack.daemon_metrics()[counter], before + 1)

    def test_truncated_frames_are_dropped_with_their_connection(self):
        open_key = 'connections{transport="ws"}'
        baseline = self.stack.daemon_metrics()[open_key]
        for route in ROUTES:
            for cut in (1, 2, 5, 9):
                ws = self.raw(route)
                self.assertEqual(ws.status, 101)
                ws.send(frame(OP_TEXT, b"x" * 200)[:cut])
                ws.close()
        deadline = time.time() + 5
        while self.stack.daemon_metrics()[open_key] != baseline and time.time() < deadline:
            time.sleep(0.05)
        self.assertEqual(self.stack.daemon_metrics()[open_key], baseline)
        self.assertBystandersTold()

    def test_a_few_pings_are_answered(self):
        for route in ROUTES:
            ws = self.raw(route)
            ws.send(frame(OP_PING, b"are you there"))
            deadline = time.time() + 5
            pong = None
            while pong is None and time.time() < deadline:
                ws.sock.settimeout(1)
                ws.buf += ws.sock.recv(4096)
                while len(ws.buf) >= 2 and len(ws.buf) >= 2 + (ws.buf[1] & 0x7F):
                    n = ws.buf[1] & 0x7F
                    op, payload, ws.buf = ws.buf[0] & 0x0F, ws.buf[2:2 + n], ws.buf[2 + n:]
                    if op == OP_PONG:
                        pong = payload
            self.assertEqual(pong, b"are you there", route)

    def test_bad_handshakes_get_an_http_error(self):
        # (name, headers, status through nginx, status from the daemon). lws itself answers an
        # Upgrade list with 403 before the daemon is asked; nginx never passes one on.
        cases = [
            ("Upgrade: websocket, foo", {"Upgrade": "websocket, foo"}, 426, 403),
            ("Upgrade: h2c", {"Upgrade": "h2c", "HTTP2-Settings": "AAMAAABkAAQAoAAAAAIAAAAA"},
             426, 426),
            ("no Sec-WebSocket-Key", {"Sec-WebSocket-Key": None}, 400, 400),
            ("a short Sec-WebSocket-Key", {"Sec-WebSocket-Key": "c2hvcnQ="}, 400, 400),
            ("no Sec-WebSocket-Version", {"Sec-WebSocket-Version": None}, 426, 426),
            ("Sec-WebSocket-Version: 8", {"Sec-WebSocket-Version": "8"}, 426, 426),
            ("Sec-WebSocket-Version: junk", {"Sec-WebSocket-Version": "junk"}, 426, 426),
        ]
        key = 'refusals_total{reason="handshake"}'
        for route in ROUTES:
            for name, headers, via_nginx, direct in cases:
                with self.subTest(route=route, handshake=name):
                    before = self.stack.daemon_metrics()[key]
                    ws = self.raw(route, headers=headers)
                    status = via_nginx if route == "nginx" else direct
                    self.assertStatus(ws, status)
                    self.assertLess(ws.took, PROMPT_S)
                    if "Version" in name:
                        self.assertEqual(ws.headers.get("sec-websocket-version"), "13")
                    # Counted by the daemon whenever it was the one to refuse.
                    if status != 403 and (route == "daemon" or not name.startswith("Upgrade")):
                        self.assertEqual(self.stack.daemon_metrics()[key], before + 1)
        self.assertIsNone(self.stack.procs["wsd"].poll(), "the daemon died")
        self.assertBystandersTold()


if __name__ == "__main__":
    unittest.main()
