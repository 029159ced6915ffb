"""A minimal Server-Sent Events client (stdlib only) for tests and tools.

    es = EventStream.connect("localhost", port, "/events")
    ev = es.next_event(timeout=5)      # Event(event="hello", id="12", data={...}, retry=2000)

TLS by default (certificate not verified), plain TCP with tls=False, or a Unix socket with
unix_socket=PATH. Understands chunked and close-delimited bodies. A non-200 answer raises
HTTPError with status, headers and body. Comment lines are counted in `comments`; `beat` events
(the daemon's heartbeat) are kept in `beats` and skipped unless asked for (beats=True).
`data` is the JSON-decoded data field (raw text if it is not JSON).
"""
import json
import socket
import time
from dataclasses import dataclass

from wsclient import Collector, open_stream, read_http_head, recv_before, is_beat


class HTTPError(Exception):
    def __init__(self, status, headers, body):
        super().__init__(f"event stream refused: {status} {body[:200]!r}")
        self.status = status
        self.headers = headers
        self.body = body


class StreamClosed(Exception):
    pass


@dataclass
class Event:
    event: str
    id: str
    data: object
    retry: int = None


class EventStream:
    def __init__(self, sock, headers, rest):
        self.sock = sock
        self.headers = headers
        self.chunked = headers.get("transfer-encoding", "").lower() == "chunked"
        self._raw = rest      # bytes as received (maybe chunked)
        self._text = b""      # decoded body bytes not yet parsed into events
        self._eof = False
        self.comments = 0
        self.beats = []  # (time.monotonic(), Event) of every beat skipped
        self.last_id = None

    @classmethod
    def connect(cls, host="localhost", port=443, path="/events", headers=None, tls=True,
                unix_socket=None, timeout=10, source_address=None, rcvbuf=None,
                last_event_id=None):
        sock = open_stream(host, port, tls, unix_socket, timeout, source_address, rcvbuf)
        lines = [f"GET {path} HTTP/1.1", f"Host: {host}:{port}" if port else f"Host: {host}",
                 "Accept: text/event-stream", "Cache-Control: no-cache"]
        if last_event_id is not None:
            lines.append(f"Last-Event-ID: {last_event_id}")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        try:
            sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
            status, hdrs, rest = read_http_head(sock)
            if status != 200:
                body = rest
                deadline = time.time() + timeout
                while time.time() < deadline and len(body) < int(hdrs.get("content-length", 1 << 20)):
                    try:
                        chunk = sock.recv(4096)
                    except (socket.timeout, OSError):
                        break
                    if not chunk:
                        break
                    body += chunk
                raise HTTPError(status, hdrs, body)
        except BaseException:
            sock.close()
            raise
        return cls(sock, hdrs, rest)

    def close(self):
        self.sock.close()

    def _fill(self, deadline):
        chunk = recv_before(self.sock, deadline, "no event in time")
        if not chunk:
            self._eof = True
        self._raw += chunk

    def _decode(self):
        if not self.chunked:
            self._text += self._raw
            self._raw = b""
            return
        while True:
            line_end = self._raw.find(b"\r\n")
            if line_end < 0:
                return
            size = int(self._raw[:line_end].split(b";")[0], 16)
            if size == 0:
                self._eof = True
                self._raw = b""
                return
            if len(self._raw) < line_end + 2 + size + 2:
                return
            start = line_end + 2
            self._text += self._raw[start:start + size]
            self._raw = self._raw[start + size + 2:]

    def next_event(self, timeout=5, beats=False):
        """The next event (comments are skipped and counted, beats skipped and kept unless
        beats=True). Raises TimeoutError, or StreamClosed when the server ended the stream."""
        deadline = time.time() + timeout
        while True:
            self._decode()
            sep = self._text.find(b"\n\n")
            if sep >= 0:
                block, self._text = self._text[:sep], self._text[sep + 2:]
                ev = self._parse(block.decode())
                if ev is not None and not beats and is_beat(ev.data):
                    self.beats.append((time.monotonic(), ev))
                elif ev is not None:
                    return ev
                continue
            if self._eof:
                raise StreamClosed("the server ended the event stream")
            self._fill(deadline)

    def _parse(self, block):
        fields = {"event": "message", "id": None, "retry": None}
        data = []
        saw_field = False
        for line in block.split("\n"):
            if line.startswith(":"):
                self.comments += 1
                continue
            name, _, value = line.partition(":")
            value = value[1:] if value.startswith(" ") else value
            saw_field = True
            if name == "data":
                data.append(value)
            elif name in ("event", "id"):
                fields[name] = value
            elif name == "retry":
                fields["retry"] = int(value)
        if not saw_field:
            return None
        if fields["id"] is not None:
            self.last_id = fields["id"]
        text = "\n".join(data)
        try:
            payload = json.loads(text)
        except ValueError:
            payload = text
        return Event(fields["event"], fields["id"], payload, fields["retry"])

    def collect(self, beats=False):
        """Hands the stream to a background reader (see wsclient.Collector) whose messages are
        the events' data (`raw()` gives the Event objects). Use no next_event after."""
        return Collector(lambda timeout: self.next_event(timeout, beats), self.close,
                         decode=lambda ev: ev.data)

    def all_events(self, quiet=0.3, timeout=10):
        """Every event until none arrives for `quiet` seconds (or `timeout` passes)."""
        out = []
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                out.append(self.next_event(timeout=min(quiet, deadline - time.time())))
            except TimeoutError:
                break
        return out
