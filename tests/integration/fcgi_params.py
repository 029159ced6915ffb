"""A FastCGI listener that records the parameters nginx sends, to check the site's nginx
configuration (which user it passes, which client headers it drops) without the pool: it stands
where the pool's socket is, answers every request `200 {}` and keeps each request's parameters.

    with FcgiParams(stack.fcgi_socket) as seen:
        stack.request("GET", "/api/projects")
        assert seen.last()["LIVESYNC_USER"] == "alice"

It speaks the FastCGI record protocol (spec section 3) itself: BEGIN_REQUEST, PARAMS and STDIN
in; STDOUT and END_REQUEST out; one request per connection.
"""
import os
import socket
import struct
import threading

BEGIN_REQUEST, END_REQUEST, PARAMS, STDIN, STDOUT = 1, 3, 4, 5, 6


def _recv_exact(conn, n):
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("FastCGI peer closed mid-record")
        data += chunk
    return data


def _records(conn):
    """(type, request id, content) for each record until the peer closes."""
    while True:
        try:
            head = _recv_exact(conn, 8)
        except ConnectionError:
            return
        _, rtype, rid, length, padding = struct.unpack("!BBHHB", head[:7])
        content = _recv_exact(conn, length + padding)[:length]
        yield rtype, rid, content


def _decode_params(data):
    params, i = {}, 0

    def length():
        nonlocal i
        if data[i] < 128:
            i += 1
            return data[i - 1]
        i += 4
        return struct.unpack("!I", data[i - 4:i])[0] & 0x7FFFFFFF

    while i < len(data):
        nlen, vlen = length(), length()
        name = data[i:i + nlen].decode()
        params[name] = data[i + nlen:i + nlen + vlen].decode()
        i += nlen + vlen
    return params


def _record(rtype, rid, content):
    return struct.pack("!BBHHBx", 1, rtype, rid, len(content), 0) + content


class FcgiParams:
    def __init__(self, path):
        self.path = path
        self.seen = []  # one dict of parameters per request, in arrival order
        self._lock = threading.Lock()

    def __enter__(self):
        if os.path.exists(self.path):
            os.unlink(self.path)  # left by a killed pool
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(self.path)
        self.sock.listen(16)
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.sock.shutdown(socket.SHUT_RDWR)
        self.sock.close()
        self.thread.join(5)
        os.unlink(self.path)

    def last(self):
        with self._lock:
            if not self.seen:
                raise AssertionError("no FastCGI request arrived")
            return self.seen[-1]

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                self._answer(conn)

    def _answer(self, conn):
        params = b""
        for rtype, rid, content in _records(conn):
            if rtype == PARAMS:
                params += content
            elif rtype == STDIN and not content:  # the empty STDIN record ends the request
                with self._lock:
                    self.seen.append(_decode_params(params))
                body = b"Status: 200 OK\r\nContent-Type: application/json\r\n\r\n{}\n"
                conn.sendall(_record(STDOUT, rid, body) + _record(STDOUT, rid, b"") +
                             _record(END_REQUEST, rid, struct.pack("!IB3x", 0, 0)))
                return
