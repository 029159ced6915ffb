"""The daemon in PostgreSQL mode (issue #17), alone behind nginx (no pool: the tests write the
`revisions` table and NOTIFY as the pool's write transactions do) over a real throwaway cluster:
a NOTIFY reaches WebSocket and SSE subscribers with the right entity, rev and origin; a new
subscriber's hello shows the database as of its connect, not what the daemon had read before; a
listener killed with pg_terminate_backend reconnects and catches up on what changed while it was
away; a change whose NOTIFY never comes is caught by the safety poll; a PostgreSQL restart is
caught up after, and the daemon's GET /health turns degraded (503) while the listener is down
longer than health_listener_down_s, ok again once it is back; `notify = off` converges within its
poll interval."""
import json
import time
import unittest

from api_client import sanitizer_reports
from livesync_stack import Stack
from pg_cluster import PgCluster

# The `revisions` table as the PostgreSQL schema creates it (fcgi-app/store/postgres/schema.cpp).
SCHEMA = """
CREATE TABLE revisions (name text COLLATE "C" PRIMARY KEY, rev bigint NOT NULL);
INSERT INTO revisions (name, rev) VALUES
    ('global', 0), ('projects', 0), ('solutions', 0), ('subcomponents', 0);
"""
LISTENER = "application_name = 'livesync-wsd' AND backend_type = 'client backend'"


class PgListener(unittest.TestCase):
    config = {}

    @classmethod
    def setUpClass(cls):
        cls.pg = PgCluster()
        cls.pg.start()
        try:
            cls.pg.psql(SCHEMA)
            cls.stack = Stack(daemon=True, start_pool=False,
                              config={"database": cls.pg.uri, "listener_timeout_ms": 2000,
                                      "health_listener_down_s": 1, **cls.config})
            cls.stack.start()
        except BaseException:
            cls.pg.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.stack.stop()
        cls.pg.stop()

    def tearDown(self):
        self.assertEqual(sanitizer_reports(self.stack, "wsd"), [],
                         "sanitizer report in the daemon's log")
        self.assertIsNone(self.stack.procs["wsd"].poll(), "the daemon died: " +
                          self.stack.log("wsd"))

    # --- helpers -----------------------------------------------------------------------------
    def write(self, entity, origin="", notify=True, before=""):
        """One write transaction as the pool makes it: bump the global revision, set the
        entity's, and (with notify) pg_notify the signal the pool's datagram carries. `before`:
        SQL run first, in the same psql call. Returns the new global revision."""
        rev = int(self.pg.psql("SELECT rev FROM revisions WHERE name = 'global'")) + 1
        payload = json.dumps({"v": 1, "entity": entity, "rev": rev, "origin": origin},
                             separators=(",", ":"))
        names = ["projects", "solutions", "subcomponents"] if entity == "all" else [entity]
        sql = (before + "BEGIN;"
               f"UPDATE revisions SET rev = {rev} WHERE name = 'global';"
               f"UPDATE revisions SET rev = {rev} WHERE name IN ({', '.join(repr(n) for n in names)});"
               + (f"SELECT pg_notify('livesync', '{payload}');" if notify else "") + "COMMIT;")
        self.pg.psql(sql)
        return rev

    def subscribe(self, transport="ws"):
        client = self.stack.ws() if transport == "ws" else self.stack.sse()
        collector = client.collect()
        self.addCleanup(collector.stop)
        hello = collector.wait(lambda ms: ms[:1], timeout=5)
        self.assertTrue(hello, f"no hello on {transport}: {collector.ended}")
        self.assertEqual(hello[0]["type"], "hello")
        return collector

    def wait_refresh(self, collector, rev, timeout):
        """The first refresh at `rev` or later (None if none comes within `timeout`)."""
        found = collector.wait(lambda ms: [m for m in ms if m["type"] == "refresh"
                                           and m["rev"] >= rev], timeout=timeout)
        return found[0] if found else None

    def wait_listener_up(self, timeout=10):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.stack.daemon_metrics().get("listener_up") == 1:
                return
            time.sleep(0.05)
        self.fail("the listener did not come back: " + self.stack.log("wsd"))


class Notify(PgListener):
    def test_a_notify_reaches_websocket_and_sse_with_entity_rev_and_origin(self):
        subs = [self.subscribe("ws"), self.subscribe("sse")]
        rev = self.write("solutions", origin="tab-a")
        for sub in subs:
            event = self.wait_refresh(sub, rev, timeout=5)
            self.assertEqual(event, {"type": "refresh", "entity": "solutions", "rev": rev,
                                     "origin": "tab-a"})
        # A cascade is one `all`, still carrying its one client.
        rev = self.write("all", origin="tab-b")
        for sub in subs:
            event = self.wait_refresh(sub, rev, timeout=5)
            self.assertEqual((event["entity"], event["origin"]), ("all", "tab-b"), event)
        m = self.stack.daemon_metrics()
        self.assertEqual(m["listener_up"], 1)
        self.assertGreaterEqual(m["signals_received_total"], 2)
        self.assertGreaterEqual(m["listener_notification_age_ms"], 0)

    def test_hello_shows_the_database_as_of_the_connect(self):
        # Another host's commit whose NOTIFY has not arrived here: only a read at the connect
        # can know it (the safety poll comes a second later, and its grace after that).
        rev = self.write("projects", notify=False)
        start = time.monotonic()
        for transport in ("ws", "sse"):
            hello = self.subscribe(transport).messages()[0]
            self.assertEqual((hello["rev"], hello["revs"]["projects"]), (rev, rev), hello)
        self.assertLess(time.monotonic() - start, 2.5)  # the web client's hello deadline

    def test_a_change_without_notify_is_caught_by_the_safety_poll(self):
        sub = self.subscribe()
        rev = self.write("subcomponents", origin="tab-c", notify=False)
        event = self.wait_refresh(sub, rev, timeout=4)  # one tick, plus the gate's grace
        self.assertIsNotNone(event, "the safety poll missed a change: " + self.stack.log("wsd"))
        self.assertEqual(event["entity"], "subcomponents")
        self.assertNotIn("origin", event)  # no signal: no attribution

    def test_a_terminated_listener_reconnects_and_catches_up(self):
        sub = self.subscribe()
        before = self.stack.daemon_metrics()["listener_reconnects_total"]
        # The change commits while the listener is gone: its NOTIFY reaches nobody.
        rev = self.write("projects", origin="tab-d",
                         before=f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                f"WHERE {LISTENER};")
        event = self.wait_refresh(sub, rev, timeout=3)
        self.assertIsNotNone(event, "no catch-up after the reconnect: " + self.stack.log("wsd"))
        self.assertEqual(event["entity"], "projects")
        self.wait_listener_up()
        self.assertGreater(self.stack.daemon_metrics()["listener_reconnects_total"], before)

    def test_zz_a_postgres_restart_is_caught_up(self):
        sub = self.subscribe()
        self.pg.stop_server()
        time.sleep(0.3)
        m = self.stack.daemon_metrics()
        self.assertEqual(m["listener_up"], 0, "the daemon did not notice the server going away")
        # Down, but for less than health_listener_down_s (1 s), still ok; then degraded.
        deadline = time.monotonic() + 5
        while True:
            status, health = self.stack.daemon_health()
            self.assertFalse(health["listener_up"], health)
            if status != 200 or time.monotonic() > deadline:
                break
            self.assertEqual((health["status"], health["listener_down_s"] <= 1), ("ok", True))
            time.sleep(0.1)
        self.assertEqual((status, health["status"]), (503, "degraded"), health)
        self.assertGreaterEqual(health["listener_down_s"], 1)
        self.pg.start_server()
        rev = self.write("solutions", origin="tab-e")
        event = self.wait_refresh(sub, rev, timeout=10)
        self.assertIsNotNone(event, "no catch-up after a restart: " + self.stack.log("wsd"))
        self.wait_listener_up()
        self.assertEqual(self.stack.daemon_health(),
                         (200, {"status": "ok", "listener_up": True, "listener_down_s": 0}))


class PollOnly(PgListener):
    config = {"notify": "off", "poll_ms": 250}

    def test_notify_off_converges_within_its_poll_interval(self):
        sub = self.subscribe("sse")
        delays = []
        for entity in ("projects", "solutions") * 5:
            written = time.monotonic()
            rev = self.write(entity)
            event = self.wait_refresh(sub, rev, timeout=3)
            self.assertIsNotNone(event)
            self.assertEqual(event["entity"], entity)
            delays.append(time.monotonic() - written)
        # The median, so that one slow moment of a loaded machine does not decide.
        self.assertLess(sorted(delays)[len(delays) // 2], 0.25 + 0.5, delays)
        # The NOTIFYs the writes sent were not listened to.
        self.assertEqual(self.stack.daemon_metrics()["signals_received_total"], 0)


if __name__ == "__main__":
    unittest.main()
