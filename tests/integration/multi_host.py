"""One site served by N complete hosts (nginx + pool + daemon each, `livesync_stack.Stack`) over
one throwaway PostgreSQL cluster (`pg_cluster.PgCluster`), as behind a load balancer: every host
accepts every host's origin, so a page's API calls and its live connection may go to any of them.
Started one after the other (the first pool makes the schema); stopped, pass or fail.

    with Hosts(2) as hosts:
        a, b = hosts.stacks
        a.request("POST", "/api/projects", json={"name": "x"}, headers={"Origin": b.origin})
        b.ws()   # hears it

`relay=True`: the last host's daemon reaches PostgreSQL through a `tcp_relay.Relay` (its pool
connects directly), so a test can freeze that hop (`hosts.relay`).

`HostsCase` is the unittest base for such tests: one `Hosts` per class, subscribers on any host,
bursts of writes spread over the hosts, and the check that every subscriber ends at the final
revisions.
"""
import threading
import time
import unittest

from api_client import sanitizer_reports
from livesync_stack import ENTITIES, Stack, Subscribers, free_port
from pg_cluster import PgCluster
from tcp_relay import Relay

# How long after a fault (or the end of a burst) every subscriber must be told the final
# revisions: the listener's timeout in these tests (listener_timeout_ms = 1000), its longest
# reconnect backoff (5 s, ws-daemon/backoff.hpp) and a safety tick, with room for a loaded machine.
LIVENESS_S = 10


class Hosts:
    def __init__(self, n=2, config=None, relay=False, database=None):
        """database: the URI of a PostgreSQL server to use, owned by the caller (e.g. a durable
        one for a benchmark), instead of a throwaway cluster of its own."""
        self.n = n
        self.config = dict(config or {})
        self.want_relay = relay
        self.database = database
        self.stacks = []
        self.pg = None
        self.relay = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        try:
            if not self.database:
                self.pg = PgCluster()
                self.pg.start()
                self.database = self.pg.uri
            ports = [free_port() for _ in range(self.n)]
            origins = " ".join(f"https://localhost:{p}" for p in ports)
            config = {"database": self.database, "origins": origins, **self.config}
            daemon_config = [{} for _ in ports]
            if self.want_relay:
                self.relay = Relay(self.pg_port())
                daemon_config[-1] = {"database": self.database.replace(
                    f":{self.pg_port()}/", f":{self.relay.port}/")}
            for port, extra in zip(ports, daemon_config):
                stack = Stack(port=port, config=config, daemon_config=extra)
                self.stacks.append(stack)
                stack.start()
        except BaseException:
            self.stop()
            raise

    def stop(self):
        for stack in self.stacks:
            stack.stop()
        if self.relay:
            self.relay.stop()
        if self.pg:
            self.pg.stop()

    def pg_port(self):
        return int(self.database.rsplit(":", 1)[1].split("/")[0])


class HostsCase(unittest.TestCase):
    n = 2
    config = {}
    relay = False

    @classmethod
    def setUpClass(cls):
        cls.hosts = Hosts(cls.n, {"listener_timeout_ms": 1000, **cls.config}, cls.relay)
        cls.hosts.start()
        cls.stacks = cls.hosts.stacks

    @classmethod
    def tearDownClass(cls):
        cls.hosts.stop()

    def tearDown(self):
        for i, stack in enumerate(self.stacks):
            for part in ("fcgi", "wsd"):
                self.assertEqual(sanitizer_reports(stack, part), [],
                                 f"sanitizer report in host {i}'s {part} log")
                p = stack.procs.get(part)
                self.assertTrue(p is not None and p.poll() is None,
                                f"host {i}'s {part} died: " + stack.log(part))

    def subscribe(self, stack, transport="ws"):
        """A subscriber on `stack` whose hello has arrived; its Collector."""
        client = stack.ws() if transport == "ws" else stack.sse()
        collector = client.collect()
        self.addCleanup(collector.stop)
        hello = collector.wait(lambda ms: ms[:1], timeout=5)
        self.assertTrue(hello, f"no hello on {transport}: {collector.ended}")
        self.assertEqual(hello[0]["type"], "hello", hello)
        return collector

    def subscribe_everywhere(self):
        """A WebSocket and an SSE subscriber on every host: {name: Collector}."""
        return {f"{t}@{i}": self.subscribe(stack, t)
                for i, stack in enumerate(self.stacks) for t in ("ws", "sse")}

    def ok(self, stack, method, path, status=200, **kw):
        r = stack.request(method, path, **kw)
        self.assertEqual(r.status, status, f"{method} {path} on :{stack.port}: {r!r}")
        return r.json() if r.body else None

    def rows(self):
        """One row of each entity, made through the first host: {entity: id}."""
        a = self.stacks[0]
        p = self.ok(a, "POST", "/api/projects", 201, json={"name": "p"})
        s = self.ok(a, "POST", "/api/solutions", 201, json={"name": "s", "project_id": p["id"]})
        c = self.ok(a, "POST", "/api/subcomponents", 201,
                    json={"name": "c", "solution_id": s["id"]})
        return {"projects": p["id"], "solutions": s["id"], "subcomponents": c["id"]}

    def burst(self, total, rows, writers=8, during=None, retry_for=30):
        """`total` PATCHes over the three entities by `writers` threads, writer w through host
        w % n on a keep-alive connection of its own. A 503 (storage away: a restart) is retried
        after a short pause for up to `retry_for` seconds, as a client honouring Retry-After
        would; any other answer than 200 fails. `during(done)`, if given, runs on this thread
        once a third of the writes are done. Returns the failures."""
        failures = []
        done = [0]
        lock = threading.Lock()
        third = threading.Event()

        def writer(w):
            stack = self.stacks[w % len(self.stacks)]
            conn = stack.connection()
            try:
                for i in range(w, total, writers):
                    entity = ENTITIES[i % 3]
                    deadline = time.monotonic() + retry_for
                    while True:
                        try:
                            r = stack.request("PATCH", f"/api/{entity}/{rows[entity]}",
                                              conn=conn, json={"name": f"w{w} #{i}"},
                                              headers={"X-Client-Id": f"writer-{w}"})
                        except OSError as e:  # a keep-alive connection nginx closed meanwhile
                            conn.close()
                            conn = stack.connection()
                            r = e
                        else:
                            if r.status != 503:
                                break
                        if time.monotonic() > deadline:
                            break
                        time.sleep(0.1)
                    if getattr(r, "status", None) != 200:
                        failures.append(r)
                    with lock:
                        done[0] += 1
                        if done[0] * 3 >= total:
                            third.set()
            finally:
                conn.close()

        threads = [threading.Thread(target=writer, args=(w,)) for w in range(writers)]
        for t in threads:
            t.start()
        if during:
            third.wait(60)
            during()
        for t in threads:
            t.join()
        return failures

    def revisions(self):
        return self.ok(self.stacks[0], "GET", "/api/revisions")

    def assertAllCaughtUp(self, collectors, timeout=LIVENESS_S):
        """Every subscriber is told the final revisions (read once the writes are over) within
        `timeout` seconds."""
        revisions = self.revisions()
        deadline = time.monotonic() + timeout
        for name, c in collectors.items():
            ok = c.wait(lambda ms: Subscribers.caught_up(ms, revisions),
                        max(0.1, deadline - time.monotonic()))
            self.assertTrue(ok, f"{name} not caught up with {revisions} within {timeout} s: "
                                f"told {Subscribers.told(c.messages())}, ended {c.ended!r}")
        return revisions
