"""Issue #19, item 8: nginx reloaded twice in a row while 50 WebSocket and 10 SSE pages are open.
An open stream never ends by itself, so after a reload the old workers would hold them (and
live) for as long as the pages stay; `worker_shutdown_timeout` (nginx/dev-nginx.conf.in) bounds
that. Checked: until the bound the old workers still relay events (a change made between the
reloads reaches every page on its old stream); then they close every stream and exit; each page
reconnects through the new workers and its `hello` shows the current revisions; and a POST whose
body was still arriving when nginx reloaded is answered and stored exactly once."""
import json
import os
import signal
import subprocess
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from api_client import ApiCase, process_start_time, sqlite_rows, tls_socket, worker_pids
from livesync_stack import NGINX, Stack, Subscribers
from postconditions import assert_sound

WS_CLIENTS = 50
SSE_CLIENTS = 10
NGINX_WORKERS = 2
SHUTDOWN_TIMEOUT_S = 10  # worker_shutdown_timeout in nginx/dev-nginx.conf.in
# How much later than the timeout an old worker may still be seen (a loaded test machine).
SLACK_S = 5


class NginxReload(Subscribers, ApiCase):
    daemon = True

    @classmethod
    def setUpClass(cls):
        cls.stack = Stack(daemon=True, nginx_workers=NGINX_WORKERS)
        cls.stack.start()

    def nginx_workers(self):
        """{pid: start time} of the nginx master's live workers (start time tells a reused pid)."""
        out = {}
        for pid in worker_pids(self.stack.pid("nginx")):
            try:
                out[pid] = process_start_time(pid)
            except OSError:
                pass  # exited meanwhile
        return out

    def reload(self, how):
        """Reloads nginx (`how`: the command line or a SIGHUP to the master) and returns
        (time of the reload, the old workers) once the new workers run."""
        old = self.nginx_workers()
        started = time.monotonic()
        if how == "command":
            subprocess.run([NGINX, "-c", self.stack.nginx_conf, "-p", self.stack.dir, "-s",
                            "reload"], check=True, capture_output=True)
        else:
            os.kill(self.stack.pid("nginx"), signal.SIGHUP)
        deadline = started + 10
        while len(set(self.nginx_workers()) - set(old)) < NGINX_WORKERS:
            if time.monotonic() > deadline:
                with open(os.path.join(self.stack.dir, "error.log")) as f:
                    self.fail("no new nginx workers after the reload: " + f.read()[-2000:])
            time.sleep(0.05)
        return started, old

    def start_post(self, name):
        """A POST whose headers and first half of the body are sent now; returns (socket, rest)."""
        body = json.dumps({"name": name}).encode()
        half = len(body) // 2
        sock = tls_socket(self.stack.port, timeout=30)
        sock.sendall(b"POST /api/projects HTTP/1.1\r\nHost: localhost\r\n"
                     b"Content-Type: application/json\r\nConnection: close\r\n"
                     + f"Content-Length: {len(body)}\r\n\r\n".encode() + body[:half])
        return sock, body[half:]

    @staticmethod
    def finish_post(sock, rest):
        """Sends the rest of the body; returns the status line and the response's raw bytes."""
        with sock:
            sock.sendall(rest)
            raw = b""
            while True:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                raw += chunk
        return raw.split(b"\r\n", 1)[0].decode(errors="replace"), raw

    def test_two_reloads_with_open_pages(self):
        project = self.project(name="reloaded")
        clients = self.subscribe_all({**{f"ws{i}": {"transport": "ws"} for i in range(WS_CLIENTS)},
                                      **{f"sse{i}": {"transport": "sse"}
                                         for i in range(SSE_CLIENTS)}})
        self.assertAllCaughtUp(clients)
        in_flight = f"in flight {uuid.uuid4()}"
        post, rest = self.start_post(in_flight)

        first_at, first_old = self.reload("command")
        # A change between the reloads: the old workers still carry every page's stream.
        change = self.ok("PATCH", f"/api/projects/{project['id']}",
                         json={"name": "changed during the reload"})
        second_at, second_old = self.reload("SIGHUP")
        status, raw = self.finish_post(post, rest)
        self.assertIn(" 201 ", status + " ", raw[-500:])

        # Every stream is closed by its old worker within the bound, after it delivered the change.
        for name, c in clients.items():
            ended = c.wait_ended(first_at + SHUTDOWN_TIMEOUT_S + SLACK_S - time.monotonic())
            self.assertIsNotNone(ended, f"{name} still open {SHUTDOWN_TIMEOUT_S + SLACK_S} s "
                                        "after the reload")
            told = self.told(c.messages()).get("projects", (0, False))
            self.assertGreaterEqual(told[0], change["rev"],
                                    f"{name} was not told of the change on its old stream: "
                                    f"{c.messages()[-3:]}, ended {ended!r}")
        self.assertGreater(time.monotonic() - first_at, SHUTDOWN_TIMEOUT_S - 1,
                           "the streams ended before worker_shutdown_timeout, so not by it")

        # The old workers of both generations are gone within the bound of their reload.
        for started, old in ((first_at, first_old), (second_at, second_old)):
            deadline = started + SHUTDOWN_TIMEOUT_S + SLACK_S
            while time.monotonic() < deadline and self.alive(old):
                time.sleep(0.1)
            self.assertEqual(self.alive(old), [], "old nginx workers outlived "
                             f"worker_shutdown_timeout ({SHUTDOWN_TIMEOUT_S} s)")
        self.assertEqual(len(self.nginx_workers()), NGINX_WORKERS)

        # Every page reconnects (an SSE one with its Last-Event-ID, as EventSource does) and is
        # told the current revisions.
        again = self.subscribe_all({
            name: {"transport": "sse", "last_event_id": c.raw()[-1].id}
            if name.startswith("sse") else {"transport": "ws"} for name, c in clients.items()})
        revisions = self.assertAllCaughtUp(again)
        self.assertGreaterEqual(revisions["projects"], change["rev"])

        # The POST sent across the reload was stored exactly once.
        self.assertEqual(sqlite_rows(self.stack.db_path,
                                     "SELECT count(*) FROM projects WHERE name = ?",
                                     (in_flight,)), [(1,)])
        assert_sound(self, self.stack)

    def subscribe_all(self, specs):
        """{name: Collector} for {name: subscribe()'s arguments}, connected a few at a time, as
        pages would (one after the other, each TLS handshake costs a test a quarter second)."""
        with ThreadPoolExecutor(max_workers=8) as pool:
            futures = {name: pool.submit(self.subscribe, **kw) for name, kw in specs.items()}
            return {name: f.result() for name, f in futures.items()}

    def alive(self, workers):
        """Those of `workers` ({pid: start time}) that still run."""
        out = []
        for pid, start in workers.items():
            try:
                if process_start_time(pid) == start:
                    out.append(pid)
            except OSError:
                pass
        return out
