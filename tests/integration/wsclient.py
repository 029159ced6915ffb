"""A minimal RFC 6455 WebSocket client (stdlib only) for tests and tools.

    ws = WebSocket.connect("localhost", port, "/ws", origin="https://localhost:8443")
    hello = ws.recv_json(timeout=5)         # {"type": "hello", ...}
    ws.close()

Speaks TLS by default (certificate not verified: test stacks use self-signed ones), plain TCP with
tls=False, or a Unix socket with unix_socket=PATH (then host/port only fill the Host header).
Answers server pings with pongs like a browser does and counts them in `pings`. `beat` messages
(the daemon's heartbeat) are kept in `beats` and skipped by recv_json unless asked for (beats=True),
so a test reading an exact sequence of events is not disturbed by them. A failed handshake
raises HandshakeError carrying the HTTP status, headers and body; a close frame from the server
raises ConnectionClosed(code, reason) from recv_*. `Collector` reads any client's messages on a
background thread (`ws.collect()`, `EventStream.collect()`), so a test can write while its
subscribers keep reading like browsers do.
"""
import base64
import json
import os
import socket
import ssl
import struct
import threading
import time

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class HandshakeError(Exception):
    def __init__(self, status, headers, body):
        super().__init__(f"WebSocket handshake refused: {status} {body[:200]!r}")
        self.status = status
        self.headers = headers
        self.body = body


class ConnectionClosed(Exception):
    def __init__(self, code, reason=""):
        super().__init__(f"WebSocket closed: {code} {reason}")
        self.code = code
        self.reason = reason


def tls_client_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def open_stream(host, port, tls=True, unix_socket=None, timeout=10, source_address=None,
                rcvbuf=None, server_hostname="localhost"):
    """A connected (TLS) socket to host:port or to a Unix socket, shared by both clients."""
    if unix_socket:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(unix_socket)
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if rcvbuf:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        if source_address:
            sock.bind(source_address)
        sock.settimeout(timeout)
        sock.connect((host, port))
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if tls and not unix_socket:
        sock = tls_client_context().wrap_socket(sock, server_hostname=server_hostname)
    return sock


def recv_before(sock, deadline, what):
    """One recv() that must return before `deadline` (time.time()); b"" at end of stream.
    Raises TimeoutError(what) otherwise."""
    remaining = deadline - time.time()
    if remaining <= 0:
        raise TimeoutError(what)
    sock.settimeout(remaining)
    try:
        return sock.recv(65536)
    except socket.timeout:
        raise TimeoutError(what)


def is_beat(msg):
    return isinstance(msg, dict) and msg.get("type") == "beat"


def masked_frame(opcode, payload=b"", fin=True):
    """One client frame (clients must mask), as bytes."""
    header = bytes([(0x80 if fin else 0) | opcode])
    n = len(payload)
    if n < 126:
        header += bytes([0x80 | n])
    elif n < 65536:
        header += bytes([0x80 | 126]) + struct.pack("!H", n)
    else:
        header += bytes([0x80 | 127]) + struct.pack("!Q", n)
    mask = os.urandom(4)
    return header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def read_http_head(sock, buf=b""):
    """Reads until the end of an HTTP response head. Returns (status, headers, rest)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(4096)
        if not chunk:
            raise ConnectionError("connection closed before the response head: %r" % buf[:200])
        buf += chunk
    head, rest = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return status, headers, rest


class WebSocket:
    def __init__(self, sock, headers, rest):
        self.sock = sock
        self.headers = headers
        self._buf = rest
        self.pings = 0
        self.beats = []  # (time.monotonic(), message) of every beat skipped
        self.closed = None

    @classmethod
    def connect(cls, host="localhost", port=443, path="/ws", origin=None, headers=None, tls=True,
                unix_socket=None, timeout=10, source_address=None, rcvbuf=None):
        sock = open_stream(host, port, tls, unix_socket, timeout, source_address, rcvbuf)
        key = base64.b64encode(os.urandom(16)).decode()
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}" if port else f"Host: {host}",
                 "Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
                 "Sec-WebSocket-Version: 13"]
        if origin is not None:
            lines.append(f"Origin: {origin}")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        try:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            status, hdrs, rest = read_http_head(sock)
            if status != 101:
                body = rest
                length = int(hdrs.get("content-length", "-1"))
                deadline = time.time() + timeout
                while (length < 0 or len(body) < length) and time.time() < deadline:
                    try:
                        chunk = sock.recv(4096)
                    except (socket.timeout, OSError):
                        break
                    if not chunk:
                        break
                    body += chunk
                raise HandshakeError(status, hdrs, body)
        except BaseException:
            sock.close()
            raise
        return cls(sock, hdrs, rest)

    # --- sending ---------------------------------------------------------------------------
    def send_frame(self, opcode, payload=b"", fin=True):
        self.sock.sendall(masked_frame(opcode, payload, fin))

    def send_frames(self, frames):
        """[(opcode, payload, fin)] in one write, so a server that closes after the first bad
        one cannot make a later send fail before its close frame is read."""
        self.sock.sendall(b"".join(masked_frame(*frame) for frame in frames))

    def send_text(self, text):
        self.send_frame(OP_TEXT, text.encode())

    def close(self, code=1000):
        try:
            self.send_frame(OP_CLOSE, struct.pack("!H", code))
        except OSError:
            pass
        self.sock.close()

    # --- receiving -------------------------------------------------------------------------
    def _next_frame(self):
        """(opcode, payload) of the first whole frame in the buffer, consumed; None if the
        buffer does not hold one yet. Nothing is consumed before a frame is complete, so a
        timeout in the middle of a frame leaves the stream intact for the next call."""
        buf = self._buf
        if len(buf) < 2:
            return None
        b0, b1 = buf[0], buf[1]
        if b1 & 0x80:
            raise ConnectionError("server frames must not be masked")
        n, start = b1 & 0x7F, 2
        if n == 126:
            if len(buf) < 4:
                return None
            n, start = struct.unpack("!H", buf[2:4])[0], 4
        elif n == 127:
            if len(buf) < 10:
                return None
            n, start = struct.unpack("!Q", buf[2:10])[0], 10
        if len(buf) < start + n:
            return None
        self._buf = buf[start + n:]
        return b0 & 0x0F, buf[start:start + n]

    def _fill(self, deadline):
        chunk = recv_before(self.sock, deadline, "no WebSocket frame in time")
        if not chunk:
            raise ConnectionClosed(1006, "connection closed without a close frame")
        self._buf += chunk

    def recv_frame(self, timeout=5):
        """Returns (opcode, payload) of the next data frame; answers pings; raises
        ConnectionClosed on a close frame, TimeoutError when nothing arrives in time."""
        deadline = time.time() + timeout
        while True:
            frame = self._next_frame()
            if frame is None:
                self._fill(deadline)
                continue
            opcode, payload = frame
            if opcode == OP_PING:
                self.pings += 1
                self.send_frame(OP_PONG, payload)
                continue
            if opcode == OP_PONG:
                continue
            if opcode == OP_CLOSE:
                code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
                self.closed = code
                raise ConnectionClosed(code, payload[2:].decode(errors="replace"))
            return opcode, payload

    def recv_json(self, timeout=5, beats=False):
        """The next message; a `beat` only with beats=True (else it is kept in `beats`)."""
        deadline = time.time() + timeout
        while True:
            opcode, payload = self.recv_frame(max(deadline - time.time(), 0.001))
            if opcode != OP_TEXT:
                raise ValueError(f"expected a text frame, got opcode {opcode}")
            msg = json.loads(payload)
            if beats or not is_beat(msg):
                return msg
            self.beats.append((time.monotonic(), msg))

    def collect(self, beats=False):
        """Hands this socket to a background reader (see Collector); use no recv_* after."""
        return Collector(lambda timeout: self.recv_json(timeout, beats), self.close)

    def recv_all(self, quiet=0.3, timeout=10):
        """Every message until none arrives for `quiet` seconds (or `timeout` passes)."""
        out = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                out.append(self.recv_json(timeout=min(quiet, deadline - time.time())))
            except TimeoutError:
                break
        return out


class Collector:
    """Reads messages on a background thread until the stream ends or stop() is called, recording
    each with its arrival time (time.monotonic()). `recv(timeout)` returns one item or raises
    TimeoutError; any other exception ends the stream and is kept in `ended`. `decode` turns an
    item into the message dict (`raw()` keeps the items, e.g. SSE Event objects)."""

    def __init__(self, recv, close, decode=None):
        self._recv = recv
        self._close = close
        self._decode = decode or (lambda item: item)
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self.items = []      # (arrival time, item), in arrival order
        self.ended = None    # the exception that ended the stream
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self):
        while not self._stopping.is_set():
            try:
                item = self._recv(timeout=0.2)
            except TimeoutError:
                continue
            except Exception as e:  # a close frame, EOF or reset: the stream is over
                with self._cond:
                    self.ended = e
                    self._cond.notify_all()
                return
            with self._cond:
                self.items.append((time.monotonic(), item))
                self._cond.notify_all()

    def messages(self):
        with self._cond:
            return [self._decode(item) for _, item in self.items]

    def raw(self):
        """[item] as `recv` returned them (for SSE, the Event objects)."""
        with self._cond:
            return [item for _, item in self.items]

    def timed(self):
        """[(arrival time, message)]."""
        with self._cond:
            return [(t, self._decode(item)) for t, item in self.items]

    def wait(self, predicate, timeout=10):
        """Waits until predicate(messages) is true or the stream ended; returns its last value."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                value = predicate([self._decode(item) for _, item in self.items])
                left = deadline - time.monotonic()
                if value or self.ended is not None or left <= 0:
                    return value
                self._cond.wait(left)

    def wait_ended(self, timeout=10):
        """The exception that ended the stream, or None if it is still open after `timeout`."""
        with self._cond:
            self._cond.wait_for(lambda: self.ended is not None, timeout)
            return self.ended

    def stop(self):
        self._stopping.set()
        self._thread.join(5)
        self._close()
