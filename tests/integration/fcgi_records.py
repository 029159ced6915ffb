"""FastCGI records as nginx sends them (and as hostile peers may not), for tests that talk to the
pool's Unix socket directly."""
import struct

BEGIN, ABORT, END, PARAMS, STDIN, STDOUT = 1, 2, 3, 4, 5, 6
GET_VALUES = 9
RESPONDER = 1


def record(rtype, content=b"", request_id=1, padding=0, length=None):
    """One FastCGI record; `length` declares another content length than sent."""
    n = len(content) if length is None else length
    return struct.pack("!BBHHBB", 1, rtype, request_id, n, padding, 0) + content + b"\0" * padding


def begin(role=RESPONDER, flags=0, request_id=1):
    return record(BEGIN, struct.pack("!HB5x", role, flags), request_id)


def pair(name, value):
    """A name-value pair of the params stream, with 1- or 4-byte lengths as needed."""
    def length(n):
        return bytes([n]) if n < 128 else struct.pack("!I", n | 0x80000000)
    return length(len(name)) + length(len(value)) + name + value


def get_request(uri):
    """A whole GET request for `uri`: begin, params, end of params, empty stdin."""
    params = (pair(b"REQUEST_METHOD", b"GET") + pair(b"REQUEST_URI", uri.encode()) +
              pair(b"CONTENT_LENGTH", b""))
    return begin() + record(PARAMS, params) + record(PARAMS) + record(STDIN)


def stdout_of(data):
    """The concatenated STDOUT content of the records in `data`, and whether END was among them."""
    out, ended, i = [], False, 0
    while i + 8 <= len(data):
        _, rtype, _, n, padding, _ = struct.unpack("!BBHHBB", data[i:i + 8])
        if rtype == STDOUT:
            out.append(data[i + 8:i + 8 + n])
        ended = ended or rtype == END
        i += 8 + n + padding
    return b"".join(out), ended
