"""Shared helpers for the HTTP API integration tests (test_api_*.py).

`ApiCase` starts one real stack (nginx + FastCGI pool, no daemon) per test class and offers short
helpers to create rows and check the JSON error shape. Tests in a class share the database, so each
test creates the rows it needs and never assumes the tables are otherwise empty.

`raw_exchange` speaks HTTP/1.1 over TLS byte by byte, for requests http.client will not send
(a foreign Host, malformed request lines, bodies that nginx refuses while they are still arriving).
"""
import json as jsonlib
import os
import re
import socket
import ssl
import subprocess
import unittest

from livesync_stack import Stack, tls_context

PHASES = ["discovery", "design", "build", "test", "deploy"]
STATUSES = ["planned", "active", "on_hold", "done"]
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ERROR_CODES = {
    400: "bad_json", 403: "forbidden_origin", 404: "not_found", 405: "method_not_allowed",
    412: "precondition_failed", 413: "payload_too_large", 415: "unsupported_media_type",
    503: "unavailable",
}
# Strings a careless implementation would mangle: SQL metacharacters, quotes, backslashes,
# markup, non-BMP characters, combining marks and right-to-left text.
NASTY = [
    "'; DROP TABLE projects; --",
    "Robert'); DELETE FROM solutions WHERE ('1'='1",
    "\" OR 1=1 --",
    "50% off_ \\ back\\slash \\\\ %s %d %n",
    "<script>alert('x')</script> &amp; <b>bold</b>",
    "emoji 🚀🔥👩‍👩‍👧 and é vs é, עברית, 中文",
    "  leading and trailing spaces  ",
    "tab\there\nnewline\r\nCRLF",
    "a /* comment */ b -- c ; SELECT * FROM sqlite_master",
    "?1 :name @p $x",
]


def worker_pids(master_pid):
    """The pids of the live children of a process (the pool master's workers)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        # Fields after the command name (which may contain spaces): state ppid ...
        fields = stat[stat.rindex(")") + 2:].split()
        if int(fields[1]) == master_pid and fields[0] != "Z":
            pids.append(int(entry))
    return sorted(pids)


def process_start_time(pid):
    """Start time (clock ticks since boot) of a process, to tell a new process from a reused pid."""
    with open(f"/proc/{pid}/stat") as f:
        stat = f.read()
    return int(stat[stat.rindex(")") + 2:].split()[19])


class RawResponse:
    def __init__(self, status, headers, body, raw):
        self.status = status
        self.headers = headers
        self.body = body
        self.raw = raw

    def json(self):
        return jsonlib.loads(self.body)

    def __repr__(self):
        return f"<RawResponse {self.status} {self.body[:300]!r}>"


def tls_socket(port, server_hostname="localhost", context=None, timeout=10):
    ctx = context or tls_context()
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        return ctx.wrap_socket(sock, server_hostname=server_hostname)
    except BaseException:
        sock.close()
        raise


def parse_response(raw):
    """Parses the first HTTP/1.x response in `raw`. Returns RawResponse or None if there is none."""
    head, sep, rest = raw.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" in headers:
        body = rest[:int(headers["content-length"])]
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        body, data = b"", rest
        while data:
            size_line, _, data = data.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            if size == 0:
                break
            body, data = body + data[:size], data[size + 2:]
    else:
        body = rest
    return RawResponse(status, headers, body, raw)


def raw_exchange(port, data, server_hostname="localhost", timeout=10):
    """Sends `data` (the whole request, bytes) on a new TLS connection and reads until the server
    closes it (send `Connection: close`). A send the server cut short is tolerated: the answer it
    sent before closing is still read. Returns RawResponse, or None if the server answered nothing."""
    with tls_socket(port, server_hostname, timeout=timeout) as s:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
            pass
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except (ConnectionResetError, ssl.SSLError, socket.timeout):
                break
            if not chunk:
                break
            chunks.append(chunk)
    raw = b"".join(chunks)
    return parse_response(raw) if raw else None


SANITIZER_MARKS = ("runtime error:", "AddressSanitizer", "LeakSanitizer",
                   "UndefinedBehaviorSanitizer")


def sanitizer_reports(stack, name="fcgi"):
    """Lines of a component's log that are sanitizer reports (ASan, UBSan)."""
    try:
        with open(os.path.join(stack.dir, f"{name}.log"), errors="replace") as f:
            return [line.rstrip() for line in f if any(m in line for m in SANITIZER_MARKS)]
    except OSError:
        return []


def sqlite_rows(db_path, sql, params=()):
    """Runs a read-only query on the stack's database directly (outside the API): its SQLite file,
    or its PostgreSQL URI (integer parameters and results only there)."""
    if db_path.startswith("postgres"):
        import subprocess
        for p in params:
            sql = sql.replace("?", str(int(p)), 1)
        out = subprocess.run(["psql", "-X", "-At", "-d", db_path, "-c", sql], check=True,
                             capture_output=True, text=True).stdout
        return [tuple(int(v) if v.lstrip("-").isdigit() else v for v in line.split("|"))
                for line in out.splitlines()]
    import sqlite3
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=10)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


class ApiCase(unittest.TestCase):
    """One stack per test class (nginx + pool, no daemon unless `daemon = True`)."""
    daemon = False
    workers = 2
    config = {}
    server_names = "localhost"
    stack = None

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(daemon=cls.daemon, workers=cls.workers, config=dict(cls.config),
                          server_names=cls.server_names)
        cls.stack.start()

    @classmethod
    def tearDownClass(cls):
        if cls.stack is not None:
            cls.stack.stop()
            cls.stack = None

    def setUp(self):
        self._workers_before = worker_pids(self.stack.procs["fcgi"].pid)

    def tearDown(self):
        # No bad input may crash a worker or trip a sanitizer.
        self.assertEqual(sanitizer_reports(self.stack), [], "sanitizer report in the pool's log")
        self.assertEqual(worker_pids(self.stack.procs["fcgi"].pid), self._workers_before,
                         "a pool worker died during this test")

    # --- requests --------------------------------------------------------------------------
    def req(self, method, path, **kw):
        return self.stack.request(method, path, **kw)

    def ok(self, method, path, status=200, **kw):
        """A request that must succeed with `status`; returns the parsed JSON body (or None)."""
        r = self.req(method, path, **kw)
        self.assertEqual(r.status, status, f"{method} {path}: {r!r}")
        if status in (204, 304) or method == "HEAD":
            return None
        self.assertTrue(r.headers.get("content-type", "").startswith("application/json"),
                        f"{method} {path}: content-type {r.headers.get('content-type')!r}")
        return r.json()

    def create(self, entity, **fields):
        """POST `fields` (any of them, `status` included) and expect 201."""
        return self.ok("POST", f"/api/{entity}", status=201, json=fields)

    def project(self, **fields):
        fields.setdefault("name", "project")
        return self.create("projects", **fields)

    def solution(self, project_id=None, **fields):
        if project_id is None:
            project_id = self.project()["id"]
        fields.setdefault("name", "solution")
        return self.create("solutions", project_id=project_id, **fields)

    def subcomponent(self, solution_id=None, **fields):
        if solution_id is None:
            solution_id = self.solution()["id"]
        fields.setdefault("name", "subcomponent")
        return self.create("subcomponents", solution_id=solution_id, **fields)

    def get(self, entity, row_id):
        return self.ok("GET", f"/api/{entity}/{row_id}")

    def revisions(self):
        return self.ok("GET", "/api/revisions")

    def list_ids(self, path):
        return [row["id"] for row in self.ok("GET", path)["items"]]

    # --- assertions ------------------------------------------------------------------------
    def assertError(self, r, status, code=None, fields=None):
        """`r` is a JSON error of `status` with `code` (default: the code decided for that status);
        for 422 validation errors, `fields` (if given) must be exactly the keys of `details`.
        Returns the error object."""
        self.assertEqual(r.status, status, repr(r))
        self.assertTrue(r.headers.get("content-type", "").startswith("application/json"),
                        f"error content-type {r.headers.get('content-type')!r}: {r!r}")
        body = r.json()
        self.assertIsInstance(body, dict, repr(r))
        self.assertIn("error", body, repr(r))
        err = body["error"]
        self.assertIsInstance(err.get("code"), str, repr(r))
        self.assertIsInstance(err.get("message"), str, repr(r))
        self.assertTrue(err["message"], repr(r))
        self.assertIn("details", err, repr(r))
        expected = code or ERROR_CODES.get(status)
        if expected:
            self.assertEqual(err["code"], expected, repr(r))
        if status == 405:
            self.assertIn("allow", r.headers, "405 without Allow")
        if status == 503:
            self.assertIn("retry-after", r.headers, "503 without Retry-After")
            self.assertTrue(r.headers["retry-after"].strip().isdigit(), r.headers["retry-after"])
        if fields is not None:
            self.assertIsInstance(err["details"], dict, repr(r))
            self.assertEqual(set(err["details"]), set(fields), repr(r))
            for name, message in err["details"].items():
                self.assertIsInstance(message, str, f"details[{name!r}] {r!r}")
                self.assertTrue(message, f"details[{name!r}] is empty: {r!r}")
        return err

    def assertInvalid(self, r, *fields):
        """A 422 validation_failed naming exactly `fields`."""
        return self.assertError(r, 422, "validation_failed", fields=fields)

    def assertRow(self, row, **expected):
        for k, v in expected.items():
            self.assertEqual(row.get(k), v, f"field {k!r} of {row!r}")


def allowed_methods(r):
    return {m.strip().upper() for m in r.headers.get("allow", "").split(",") if m.strip()}


def can_mount_tmpfs():
    return os.geteuid() == 0 and subprocess.run(["which", "mount"], capture_output=True).returncode == 0
