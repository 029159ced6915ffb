"""A real livesync stack on loopback for integration tests: nginx (TLS, the project's template),
the FastCGI pool and, optionally, the live-event daemon, in a fresh temp dir with a fresh SQLite
file. Every process runs in its own session and is killed (group-wide) on stop, pass or fail.

    with Stack() as s:
        r = s.request("POST", "/api/projects", json={"name": "x"})
        assert r.status == 201

`Subscribers` is a mixin for test cases on a stack with the daemon: WebSocket and SSE subscribers
through nginx that read on background threads, and checks on what the daemon told them.
"""
import atexit
import base64
import http.client
import json as jsonlib
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import threading
import time

from pg_cluster import PgCluster
from sseclient import EventStream
from wsclient import WebSocket, read_http_head

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD_DIR = os.environ.get("LIVESYNC_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
NGINX = os.environ.get("LIVESYNC_NGINX", "/usr/sbin/nginx")
_live_stacks = set()
ENTITIES = ("projects", "solutions", "subcomponents")
# "postgres": every Stack runs on a throwaway PostgreSQL cluster of its own instead of a SQLite
# file (ctest registers the suite a second time so, as integration.pg.<module>).
STORE = os.environ.get("LIVESYNC_TEST_STORE", "sqlite")


def skip_unless_sqlite(reason):
    """unittest decorator for tests of SQLite itself (its file, WAL, locks): skipped on PostgreSQL
    with `reason`."""
    import unittest
    return unittest.skipIf(STORE == "postgres", "SQLite only: " + reason)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tls_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def vm_rss_kib(pid):
    """Resident memory of a process in KiB, from /proc/PID/status."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for pid {pid}")


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers  # dict, lower-case names
        self.body = body

    def json(self):
        return jsonlib.loads(self.body)

    def __repr__(self):
        return f"<Response {self.status} {self.body[:300]!r}>"


class Stack:
    def __init__(self, daemon=True, workers=2, config=None, start_pool=True, nginx_workers=1,
                 server_names="localhost", access="open", access_values=None, users=(),
                 ready_headers=None, port=None, daemon_config=None):
        """workers: the pool's; nginx_workers: nginx's (more than one only when one worker's
        open-file limit would be exceeded, e.g. by the fan-out benchmark's subscribers);
        server_names: the site's nginx server_name (its certificate names localhost and
        127.0.0.1); access: the site's access mode (nginx/access/<access>.conf.in), with
        access_values for its placeholders; "basic" checks the stack's own htpasswd file, to
        which `users` are added by the real packaging/livesync-users (their passwords in
        `passwords`); ready_headers: what the readiness check sends (default: the first user's
        basic credentials, if any); port: nginx's (default: a free one); daemon_config: settings
        for the daemon alone, over the shared file's (its `--key value` overrides)."""
        self.server_names = server_names
        self.access = access
        self.access_values = dict(access_values or {})
        self.users = list(users)
        self.passwords = {}
        self.ready_headers = ready_headers
        self.want_daemon = daemon
        self.workers = workers
        self.nginx_workers = nginx_workers
        self.extra_config = dict(config or {})
        self.start_pool = start_pool
        self.want_port = port
        self.daemon_config = dict(daemon_config or {})
        self.procs = {}

    # --- lifecycle -------------------------------------------------------------------------
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="ls-")
        self.port = self.want_port or free_port()
        self.origin = f"https://localhost:{self.port}"
        self.db_path = self.extra_config.get("database", os.path.join(self.dir, "livesync.db"))
        self.pg = None  # the PgCluster when STORE is postgres
        self.fcgi_socket = os.path.join(self.dir, "fcgi.sock")
        self.signal_socket = os.path.join(self.dir, "signal.sock")
        self.wsd_socket = os.path.join(self.dir, "wsd.sock")
        self.cert = os.path.join(self.dir, "cert.pem")
        self.key = os.path.join(self.dir, "key.pem")
        _live_stacks.add(self)
        self.htpasswd = os.path.join(self.dir, "htpasswd")
        try:
            self._make_cert()
            self._add_users()
            if STORE == "postgres":
                self.pg = PgCluster()
                self.pg.start()
                self.db_path = self.pg.uri
            self._write_config()
            self._render_nginx()
            if self.start_pool:
                self.start_fcgi()
            if self.want_daemon:
                self.start_daemon()
            self.start_nginx()
            self.wait_ready()
        except BaseException:
            self.stop()
            raise

    def stop(self):
        for name in list(self.procs):
            self.kill(name, signal.SIGKILL)
        if getattr(self, "pg", None):
            self.pg.stop()
        _live_stacks.discard(self)
        if getattr(self, "dir", None) and not os.environ.get("LIVESYNC_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)

    def _make_cert(self):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", self.key, "-out",
                        self.cert, "-days", "2", "-subj", "/CN=localhost", "-addext",
                        "subjectAltName=DNS:localhost,IP:127.0.0.1"], check=True, capture_output=True)

    def _add_users(self):
        for name in self.users:
            password = base64.urlsafe_b64encode(os.urandom(12)).decode()
            subprocess.run([os.path.join(SOURCE_DIR, "packaging", "livesync-users"), "--file",
                            self.htpasswd, "add", "--stdin", name], input=password + "\n",
                           text=True, check=True, capture_output=True)
            self.passwords[name] = password
        if self.ready_headers is None:
            self.ready_headers = self.basic_auth(self.users[0]) if self.users else {}

    def basic_auth(self, name, password=None):
        """The Authorization header for `name` (with its password unless one is given)."""
        token = f"{name}:{self.passwords[name] if password is None else password}"
        return {"Authorization": "Basic " + base64.b64encode(token.encode()).decode()}

    def _write_config(self):
        config = {
            "database": self.db_path,
            "fcgi_socket": self.fcgi_socket,
            "signal_socket": self.signal_socket,
            "wsd_socket": self.wsd_socket,
            "origins": self.origin,
            "workers": str(self.workers),
        }
        config.update({k: str(v) for k, v in self.extra_config.items()})
        self.config_path = os.path.join(self.dir, "livesync.conf")
        with open(self.config_path, "w") as f:
            for k, v in config.items():
                f.write(f"{k} = {v}\n")

    def _render_nginx(self):
        render = os.path.join(SOURCE_DIR, "nginx", "render-template")
        site = os.path.join(self.dir, "site.conf")
        main = os.path.join(self.dir, "nginx.conf")
        access = os.path.join(self.dir, "access.conf")
        values = {"HTPASSWD": self.htpasswd} if self.access == "basic" else {}
        values.update(self.access_values)
        with open(access, "w") as f:
            subprocess.run([render, os.path.join(SOURCE_DIR, "nginx", "access",
                                                 f"{self.access}.conf.in"),
                            *(f"{k}={v}" for k, v in values.items())], stdout=f, check=True)
        with open(site, "w") as f:
            subprocess.run([render, os.path.join(SOURCE_DIR, "nginx", "livesync-site.conf.in"),
                            f"LISTEN=127.0.0.1:{self.port}", f"SERVER_NAMES={self.server_names}",
                            f"TLS_CERT={self.cert}", f"TLS_KEY={self.key}",
                            f"WEB_ROOT={os.path.join(SOURCE_DIR, 'web')}",
                            f"FCGI_SOCKET={self.fcgi_socket}", f"WSD_SOCKET={self.wsd_socket}",
                            f"ACCESS={access}"],
                           stdout=f, check=True)
        with open(main, "w") as f:
            subprocess.run([render, os.path.join(SOURCE_DIR, "nginx", "dev-nginx.conf.in"),
                            f"PREFIX={self.dir}", f"SITE={site}",
                            f"WORKERS={self.nginx_workers}",
                            f"USER={pwd.getpwuid(os.getuid()).pw_name}"],
                           stdout=f, check=True)
        self.nginx_conf = main

    def _spawn(self, name, argv, env=None):
        log = open(os.path.join(self.dir, f"{name}.log"), "ab")
        self.procs[name] = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True,
                                            env=dict(os.environ, **env) if env else None)
        log.close()

    def start_fcgi(self):
        self._spawn("fcgi", [os.path.join(BUILD_DIR, "fcgi-app", "livesync-fcgi"),
                             "--config", self.config_path])
        self._wait_for_path(self.fcgi_socket, "fcgi")

    def start_daemon(self, env=None):
        """Starts (or, after a kill, restarts) the daemon; `env` adds environment variables."""
        overrides = [a for k, v in self.daemon_config.items() for a in (f"--{k}", str(v))]
        self._spawn("wsd", [os.path.join(BUILD_DIR, "ws-daemon", "livesync-wsd"),
                            "--config", self.config_path, *overrides], env)
        # A killed daemon leaves its socket file behind: wait for a listener, not for the file.
        deadline = time.time() + 10
        while True:
            try:
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                    probe.connect(self.wsd_socket)
                return
            except OSError:
                self._check_alive("wsd")
                if time.time() > deadline:
                    raise RuntimeError("wsd does not accept connections: " + self.log("wsd"))
                time.sleep(0.01)

    def start_nginx(self):
        self._spawn("nginx", [NGINX, "-c", self.nginx_conf, "-p", self.dir])
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                self._check_alive("nginx")
                time.sleep(0.02)
        raise RuntimeError("nginx did not start: " + self.log("nginx"))

    def _wait_for_path(self, path, name, timeout=10):
        deadline = time.time() + timeout
        while not os.path.exists(path):
            self._check_alive(name)
            if time.time() > deadline:
                raise RuntimeError(f"{name} did not create {path}: " + self.log(name))
            time.sleep(0.01)

    def _check_alive(self, name):
        p = self.procs.get(name)
        if p is not None and p.poll() is not None:
            raise RuntimeError(f"{name} exited with {p.returncode}: " + self.log(name))

    def wait_ready(self, timeout=10):
        if not self.start_pool:
            return
        deadline = time.time() + timeout
        while True:
            try:
                if self.request("GET", "/api/health", headers=self.ready_headers).status == 200:
                    return
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("stack not ready: " + self.log("fcgi"))
            time.sleep(0.02)

    def kill(self, name, sig=signal.SIGTERM, wait=True):
        """Signals a component's whole process group; with wait, reaps it (SIGKILL after 10 s)."""
        p = self.procs.get(name)
        if p is None:
            return
        try:
            os.killpg(p.pid, sig)
        except ProcessLookupError:
            pass
        if wait and sig not in (signal.SIGSTOP, signal.SIGCONT):
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()
            # Workers of a killed master may linger in the group for a moment.
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            del self.procs[name]

    def log(self, name):
        try:
            with open(os.path.join(self.dir, f"{name}.log"), errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def pid(self, name):
        return self.procs[name].pid

    # --- the daemon's own endpoints and subscribers ----------------------------------------
    def daemon_get(self, path):
        """GET `path` on the daemon's own socket (nginx does not proxy /metrics or /health):
        (status, body bytes)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(10)
            sock.connect(self.wsd_socket)
            sock.sendall(f"GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                         .encode())
            status, headers, body = read_http_head(sock)
            length = int(headers["content-length"])
            while len(body) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                body += chunk
        return status, body

    def daemon_health(self):
        """GET /health on the daemon's socket: (status, parsed JSON)."""
        status, body = self.daemon_get("/health")
        return status, jsonlib.loads(body)

    def daemon_metrics(self):
        """GET /metrics on the daemon's socket, as a dict from 'name{labels}' without the
        livesync_wsd_ prefix to an int."""
        status, body = self.daemon_get("/metrics")
        if status != 200:
            raise ConnectionError(f"/metrics answered {status}")
        out = {}
        for line in body.decode().splitlines():
            if line and not line.startswith("#"):
                name, value = line.rsplit(" ", 1)
                out[name.removeprefix("livesync_wsd_")] = int(value)
        return out

    def ws(self, origin=..., **kw):
        """A WebSocket to /ws through nginx, by default from the site's own origin."""
        return WebSocket.connect("localhost", self.port, "/ws",
                                 origin=self.origin if origin is ... else origin, **kw)

    def sse(self, **kw):
        """An event stream from /events through nginx."""
        return EventStream.connect("localhost", self.port, "/events", **kw)

    # --- HTTP ------------------------------------------------------------------------------
    def connection(self, timeout=30):
        return http.client.HTTPSConnection("localhost", self.port, context=tls_context(),
                                           timeout=timeout)

    def request(self, method, path, body=None, headers=None, json=None, conn=None,
                content_type=None, timeout=30):
        """One request over HTTPS through nginx. `json=` sends a JSON body with the JSON content
        type; `body=` sends raw bytes/str with `content_type` (if any). Returns a Response."""
        hdrs = dict(headers or {})
        if json is not None:
            body = jsonlib.dumps(json)
            hdrs.setdefault("Content-Type", "application/json")
        elif content_type is not None:
            hdrs.setdefault("Content-Type", content_type)
        if isinstance(body, str):
            body = body.encode()
        own = conn is None
        c = conn or self.connection(timeout)
        try:
            c.request(method, path, body=body, headers=hdrs)
            r = c.getresponse()
            data = r.read()
            return Response(r.status, {k.lower(): v for k, v in r.getheaders()}, data)
        finally:
            if own:
                c.close()


class Subscribers:
    """Mixin for api_client.ApiCase classes whose stack runs the daemon (`daemon = True`)."""

    def tearDown(self):
        from api_client import sanitizer_reports  # api_client imports this module
        super().tearDown()
        self.assertEqual(sanitizer_reports(self.stack, "wsd"), [],
                         "sanitizer report in the daemon's log")
        p = self.stack.procs.get("wsd")
        if p is not None:
            self.assertIsNone(p.poll(), "the daemon died: " + self.stack.log("wsd"))

    def subscribe(self, transport="ws", beats=False, **kw):
        """A subscriber (WebSocket or SSE) whose `hello` has arrived, reading on a background
        thread until the test ends. Returns its Collector, which records `beat`s only if asked."""
        client = self.stack.ws(**kw) if transport == "ws" else self.stack.sse(**kw)
        collector = client.collect(beats)
        self.addCleanup(collector.stop)
        hello = collector.wait(lambda ms: ms[:1], timeout=5)
        self.assertTrue(hello, f"no hello on {transport}: {collector.ended}")
        self.assertEqual(hello[0]["type"], "hello", hello)
        return collector

    def subscribe_many(self, ws=0, sse=0):
        """{name: Collector} for `ws` WebSocket and `sse` SSE subscribers."""
        out = {f"ws{i}": self.subscribe("ws") for i in range(ws)}
        out.update({f"sse{i}": self.subscribe("sse") for i in range(sse)})
        return out

    def rows(self):
        """One row of each entity (a project, its solution, its subcomponent): {entity: id}."""
        sub = self.subcomponent()
        sol = self.get("solutions", sub["solution_id"])
        return {"projects": sol["project_id"], "solutions": sol["id"], "subcomponents": sub["id"]}

    def write(self, total, rows, writers=8):
        """`total` PATCHes spread over the three entities by `writers` threads, each on its own
        keep-alive connection and with its own client id. Fails unless every one got 200."""
        failures = []

        def writer(w):
            conn = self.stack.connection()
            try:
                for i in range(w, total, writers):
                    entity = ENTITIES[i % 3]
                    r = self.stack.request("PATCH", f"/api/{entity}/{rows[entity]}", conn=conn,
                                           json={"name": f"writer {w} #{i}"},
                                           headers={"X-Client-Id": f"writer-{w}"})
                    if r.status != 200:
                        failures.append(r)
            except OSError as e:
                failures.append(e)
            finally:
                conn.close()

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(failures, [])

    @staticmethod
    def told(messages):
        """What a client was told, per entity: (rev, exact). `hello` and a refresh of the entity
        give its exact revision; a refresh `all` only says it changed by that global rev."""
        told = {}
        for m in messages:
            if m.get("type") == "hello":
                told = {e: (m["revs"][e], True) for e in ENTITIES}
            elif m.get("type") == "refresh" and m["entity"] == "all":
                told.update({e: (m["rev"], False) for e in ENTITIES})
            elif m.get("type") == "refresh":
                told[m["entity"]] = (m["rev"], True)
        return told

    @classmethod
    def caught_up(cls, messages, revisions):
        """Whether the last word on every entity matches `revisions` (from /api/revisions)."""
        told = cls.told(messages)
        if set(told) != set(ENTITIES):
            return False
        for e, (rev, exact) in told.items():
            if exact and rev != revisions[e]:
                return False
            if not exact and not revisions[e] <= rev <= revisions["rev"]:
                return False
        return True

    def assertAllCaughtUp(self, collectors, timeout=15):
        """Every subscriber ends up told the current revisions (read once writes are over)."""
        revisions = self.revisions()
        for name, c in collectors.items():
            ok = c.wait(lambda ms: self.caught_up(ms, revisions), timeout)
            self.assertTrue(ok, f"{name} not caught up with {revisions}: told "
                                f"{self.told(c.messages())}, ended {c.ended!r}, last "
                                f"{c.messages()[-3:]}")
        return revisions


def _cleanup():
    for s in list(_live_stacks):
        s.stop()


atexit.register(_cleanup)
