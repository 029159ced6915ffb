"""A minimal RFC 6455 WebSocket client (stdlib only) for tests and tools.

    ws = WebSocket.connect("localhost", port, "/ws", origin="https://localhost:8443")
    hello = ws.recv_json(timeout=5)         # {"type": "hello", ...}
    ws.close()

Speaks TLS by default (certificate not verified: test stacks use self-signed ones), plain TCP with
tls=False, or a Unix socket with unix_socket=PATH (then host/port only fill the Host header).
Answers server pings with pongs like a browser does and counts them in `pings`. A failed handshake
raises HandshakeError carrying the HTTP status, headers and body; a close frame from the server
raises ConnectionClosed(code, reason) from recv_*.
"""
import base64
import json
import os
import socket
import ssl
import struct
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
        header = bytes([(0x80 if fin else 0) | opcode])
        n = len(payload)
        if n < 126:
            header += bytes([0x80 | n])
        elif n < 65536:
            header += bytes([0x80 | 126]) + struct.pack("!H", n)
        else:
            header += bytes([0x80 | 127]) + struct.pack("!Q", n)
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(header + mask + masked)

    def send_text(self, text):
        self.send_frame(OP_TEXT, text.encode())

    def close(self, code=1000):
        try:
            self.send_frame(OP_CLOSE, struct.pack("!H", code))
        except OSError:
            pass
        self.sock.close()

    # --- receiving -------------------------------------------------------------------------
    def _read(self, n, deadline):
        while len(self._buf) < n:
            remaining = deadline - time.time()
            if remaining <= 0:
                raise TimeoutError("no WebSocket frame in time")
            self.sock.settimeout(remaining)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                raise TimeoutError("no WebSocket frame in time")
            if not chunk:
                raise ConnectionClosed(1006, "connection closed without a close frame")
            self._buf += chunk
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    def recv_frame(self, timeout=5):
        """Returns (opcode, payload) of the next data frame; answers pings; raises
        ConnectionClosed on a close frame, TimeoutError when nothing arrives in time."""
        deadline = time.time() + timeout
        while True:
            b0, b1 = self._read(2, deadline)
            opcode, n = b0 & 0x0F, b1 & 0x7F
            if n == 126:
                n = struct.unpack("!H", self._read(2, deadline))[0]
            elif n == 127:
                n = struct.unpack("!Q", self._read(8, deadline))[0]
            if b1 & 0x80:
                raise ConnectionError("server frames must not be masked")
            payload = self._read(n, deadline)
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

    def recv_json(self, timeout=5):
        opcode, payload = self.recv_frame(timeout)
        if opcode != OP_TEXT:
            raise ValueError(f"expected a text frame, got opcode {opcode}")
        return json.loads(payload)

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
