"""Issue #19, item 10: crafted FastCGI records straight to the pool's Unix socket (only nginx may
connect there in production; this is defence in depth, and libfcgi has had CVEs in exactly this
parser). Oversized and 2^31-1 parameter lengths, truncated headers, bogus record types, an unknown
role, garbage, and connections that send half a record and stall: no sanitizer report, the
workers survive (or the master replaces them), and requests through nginx keep being answered
2xx, promptly, meanwhile and afterwards."""
import socket
import struct
import threading
import time
import unittest

from api_client import ApiCase, worker_pids
from fcgi_records import ABORT, GET_VALUES, PARAMS, STDIN, begin, pair, record
from postconditions import assert_sound

# A request through nginx while the pool is under attack must still be answered within this.
PROMPT_S = 5.0


def raw_lengths(name_len, value_len, body=b""):
    """A params pair whose declared lengths are given as is (4-byte form)."""
    return struct.pack("!II", name_len | 0x80000000, value_len | 0x80000000) + body


GOOD_PARAMS = (pair(b"REQUEST_METHOD", b"GET") + pair(b"REQUEST_URI", b"/api/health") +
               pair(b"CONTENT_LENGTH", b""))

HOSTILE = [
    ("garbage", b"GET /api/health HTTP/1.1\r\nHost: x\r\n\r\n" + bytes(range(256))),
    ("a truncated header", b"\x01\x01\x00"),
    ("version 0", b"\x00" + begin()[1:]),
    ("a bogus record type", record(0x42, b"boo") + begin()),
    ("record type 0", record(0, b"")),
    ("an unknown role", begin(role=99) + record(PARAMS) + record(STDIN)),
    ("the filter role", begin(role=3) + record(PARAMS, GOOD_PARAMS) + record(PARAMS) +
     record(STDIN)),
    ("params before begin", record(PARAMS, GOOD_PARAMS) + record(PARAMS) + begin()),
    ("a params name length of 2^31-1",
     begin() + record(PARAMS, raw_lengths(2 ** 31 - 1, 1, b"AB")) + record(PARAMS)),
    ("params lengths of 2^31-1 each (CVE-2025-23016)",
     begin() + record(PARAMS, raw_lengths(2 ** 31 - 1, 2 ** 31 - 1, b"X" * 64)) + record(PARAMS)),
    ("params lengths that wrap to a small sum",
     begin() + record(PARAMS, raw_lengths(2 ** 31 - 1, 2 ** 31 - 2, b"Y" * 4000)) +
     record(PARAMS)),
    ("a params length beyond its record",
     begin() + record(PARAMS, pair(b"REQUEST_METHOD", b"GET")[:5], length=60000)),
    ("a huge padding", begin() + record(PARAMS, GOOD_PARAMS, padding=255) + record(PARAMS) +
     record(STDIN)),
    ("a management record", record(GET_VALUES, pair(b"FCGI_MAX_CONNS", b""), request_id=0)),
    ("an abort before anything", record(ABORT)),
    ("stdin before params end", begin() + record(STDIN, b"{}") + record(PARAMS, GOOD_PARAMS)),
    ("a request id of 0", begin(request_id=0) + record(PARAMS, GOOD_PARAMS, request_id=0) +
     record(PARAMS, request_id=0) + record(STDIN, request_id=0)),
    ("a content length larger than the body",
     begin() + record(PARAMS, pair(b"REQUEST_METHOD", b"POST") +
                      pair(b"REQUEST_URI", b"/api/projects") +
                      pair(b"CONTENT_TYPE", b"application/json") +
                      pair(b"CONTENT_LENGTH", b"1000")) +
     record(PARAMS) + record(STDIN, b'{"name":"never"}') + record(STDIN)),
]


class HostileRecords(ApiCase):
    workers = 2

    def send(self, data, stall=False):
        """Connects to the pool's socket and sends `data`; unless `stall`, half-closes and reads
        whatever comes back (at most 2 s) before closing. A stalled connection is returned open."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(self.stack.fcgi_socket)
        try:
            s.sendall(data)
        except OSError:
            pass
        if stall:
            return s
        try:
            s.shutdown(socket.SHUT_WR)
            while s.recv(65536):
                pass
        except OSError:
            pass
        s.close()
        return None

    def traffic(self, stop, answers):
        """Requests through nginx until `stop`: [(status, seconds)]."""
        conn = self.stack.connection(timeout=60)
        try:
            i = 0
            while not stop.is_set():
                started = time.monotonic()
                if i % 2:
                    r = self.stack.request("GET", "/api/projects", conn=conn)
                else:
                    r = self.stack.request("POST", "/api/projects", conn=conn,
                                           json={"name": f"meanwhile {i}"})
                answers.append((r.status, time.monotonic() - started))
                i += 1
        except OSError as e:
            answers.append((repr(e), None))
        finally:
            conn.close()

    def assertServedPromptly(self, answers):
        self.assertTrue(answers, "no request went through meanwhile")
        for status, took in answers:
            self.assertIn(status, (200, 201), answers[-5:])
            self.assertLess(took, PROMPT_S, f"a request took {took:.1f} s")

    def test_crafted_records_leave_the_pool_serving(self):
        stop, answers = threading.Event(), []
        t = threading.Thread(target=self.traffic, args=(stop, answers))
        t.start()
        try:
            for name, data in HOSTILE:
                with self.subTest(name):
                    self.send(data)
                    r = self.req("GET", "/api/health", timeout=PROMPT_S)
                    self.assertEqual(r.status, 200, f"after {name}: {r!r}")
        finally:
            stop.set()
            t.join(60)
        self.assertServedPromptly(answers)
        # Nothing crafted was stored: only the requests through nginx wrote.
        names = {row["name"] for row in self.ok("GET", "/api/projects")["items"]}
        self.assertNotIn("never", names)
        assert_sound(self, self.stack)

    def test_stalled_connections_tie_up_no_worker(self):
        # More stalled connections than workers, each stopping in a different place.
        stalls = [
            b"\x01",
            begin(),
            begin() + record(PARAMS, GOOD_PARAMS)[:20],
            begin() + record(PARAMS, GOOD_PARAMS) + record(PARAMS),
            begin() + record(PARAMS, pair(b"REQUEST_METHOD", b"POST") +
                             pair(b"REQUEST_URI", b"/api/projects") +
                             pair(b"CONTENT_TYPE", b"application/json") +
                             pair(b"CONTENT_LENGTH", b"100")) + record(PARAMS) +
            record(STDIN, b'{"na'),
            b"\x01\x01\x00\x01\x00\x08\x00",
        ]
        held = []
        self.addCleanup(lambda: [s.close() for s in held])
        stop, answers = threading.Event(), []
        t = threading.Thread(target=self.traffic, args=(stop, answers))
        try:
            for data in stalls:
                held.append(self.send(data, stall=True))
            time.sleep(0.5)  # every stalled connection accepted and waiting
            t.start()
            time.sleep(3)
        finally:
            stop.set()
            if t.is_alive() or t.ident:
                t.join(90)
        self.assertServedPromptly(answers)
        self.assertGreater(len(answers), 5)
        self.assertEqual(len(worker_pids(self.stack.procs["fcgi"].pid)), 2)
        assert_sound(self, self.stack)


if __name__ == "__main__":
    unittest.main()
