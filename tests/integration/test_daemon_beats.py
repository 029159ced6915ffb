"""The heartbeat a page can see, through nginx and the real daemon with `heartbeat_s = 1`: `hello`
says the interval (`beat_ms`); every WebSocket and SSE subscriber gets a `beat` each interval, in
hello's shape (over SSE `event: beat` with `id: <rev>`), carrying the revisions the daemon has
announced; a subscriber whose refresh event went missing learns the change from the next beat; a
beat never shows a revision before that revision's event on the same connection, even while writes
pour in (and a subscriber busy with events is not dropped as stalled); and a change that coalescing
still holds back is in no beat (nor a new subscriber's hello) before its refresh has gone out."""
import time
import unittest

from api_client import ApiCase
from livesync_stack import ENTITIES, Subscribers

BEAT_S = 1


def beat_of(revisions):
    """The beat a subscriber should get once /api/revisions' `revisions` are all announced."""
    return {"type": "beat", "rev": revisions["rev"], "revs": {e: revisions[e] for e in ENTITIES}}


def ahead_of_events(messages):
    """The beats that show an entity at a revision no hello or refresh before them had told."""
    told, ahead = {}, []
    for m in messages:
        if m["type"] == "hello":
            told = dict(m["revs"])
        elif m["type"] == "refresh":
            for e in ENTITIES if m["entity"] == "all" else [m["entity"]]:
                told[e] = max(told.get(e, 0), m["rev"])
        elif m["type"] == "beat" and any(m["revs"][e] > told.get(e, 0) for e in ENTITIES):
            ahead.append(m)
    return ahead


class BeatCase(Subscribers, ApiCase):
    daemon = True
    config = {"heartbeat_s": BEAT_S}

    def subscribers(self):
        """A WebSocket and an SSE subscriber that record beats."""
        clients = {t: self.subscribe(t, beats=True) for t in ("ws", "sse")}
        for name, c in clients.items():
            self.addCleanup(lambda c=c, name=name:
                            self.assertEqual(ahead_of_events(c.messages()), [], name))
        return clients


class Beats(BeatCase):
    def test_every_subscriber_gets_a_beat_each_interval_in_hellos_shape(self):
        self.project()
        clients = self.subscribers()
        revisions = self.revisions()
        for name, c in clients.items():
            self.assertEqual(c.messages()[0]["beat_ms"], BEAT_S * 1000, name)
            self.assertTrue(c.wait(lambda ms: beat_of(revisions) in ms, timeout=5), name)
        start = time.monotonic()
        time.sleep(4.5 * BEAT_S)
        for name, c in clients.items():
            timed = [(t, m) for t, m in c.timed() if m["type"] == "beat" and t > start]
            # One per interval: about 4 in 4.5 s, however loaded the machine.
            self.assertGreaterEqual(len(timed), 3, f"{name}: {timed}")
            self.assertLessEqual(len(timed), 6, f"{name}: {timed}")
            gaps = [b[0] - a[0] for a, b in zip(timed, timed[1:])]
            self.assertLess(max(gaps), 2 * BEAT_S, f"{name}: gaps {gaps}")
            for _, m in timed:
                self.assertEqual(m, beat_of(revisions), name)
        for ev in clients["sse"].raw():
            if ev.event == "beat":
                self.assertEqual((ev.id, ev.retry), (str(revisions["rev"]), None), ev)
            else:
                self.assertEqual(ev.event, ev.data["type"], ev)

    def test_a_change_whose_event_went_missing_is_in_the_next_beat(self):
        clients = self.subscribers()
        self.project(name="changed")
        written = time.monotonic()
        revisions = self.revisions()
        for name, c in clients.items():
            # As if every refresh had been lost on the way: only the beats count here.
            caught = c.wait(lambda ms: [m for m in ms if m == beat_of(revisions)], timeout=5)
            self.assertTrue(caught, f"{name}: no beat with {revisions}: {c.messages()[-4:]}")
            at = next(t for t, m in c.timed() if m == beat_of(revisions))
            self.assertLess(at - written, 2 * BEAT_S + 0.5, name)


class Busy(BeatCase):
    def test_no_beat_runs_ahead_of_the_events_while_writes_pour_in(self):
        rows = self.rows()
        clients = self.subscribers()
        stalled = self.stack.daemon_metrics()['drops_total{reason="stalled"}']
        self.write(400, rows, writers=4)
        revisions = self.assertAllCaughtUp(clients)
        for name, c in clients.items():
            self.assertTrue(c.wait(lambda ms: beat_of(revisions) in ms, timeout=3 * BEAT_S), name)
            self.assertIsNone(c.ended, name)
        self.assertEqual(self.stack.daemon_metrics()['drops_total{reason="stalled"}'], stalled)


class HeldBack(BeatCase):
    # A window long enough to watch several beats while the trailing event is held back.
    config = {"heartbeat_s": BEAT_S, "coalesce_ms": 5000}

    def test_a_change_held_back_by_coalescing_is_in_no_beat_before_its_refresh(self):
        clients = self.subscribers()
        p = self.project(name="first")  # leading edge: announced at once, opens the window
        first = self.revisions()
        for name, c in clients.items():
            self.assertTrue(c.wait(lambda ms: {"type": "refresh", "entity": "projects",
                                               "rev": first["rev"]} in ms, timeout=5), name)
        opened = time.monotonic()
        self.ok("PATCH", f"/api/projects/{p['id']}", json={"name": "second"})  # held back
        second = self.revisions()
        self.assertGreater(second["projects"], first["projects"])
        late = self.subscribe("ws")
        self.assertEqual(late.messages()[0]["rev"], first["rev"],
                         "a hello during the window tells only what was announced")
        time.sleep(max(0, opened + 3.5 - time.monotonic()))
        for name, c in clients.items():
            held = [m for t, m in c.timed() if m["type"] == "beat" and t > opened]
            self.assertGreaterEqual(len(held), 2, f"{name}: {held}")
            for m in held:
                self.assertEqual(m, beat_of(first), f"{name}: a beat ran ahead of the events")

        trailing = {"type": "refresh", "entity": "projects", "rev": second["rev"]}
        for name, c in clients.items():
            self.assertTrue(c.wait(lambda ms: trailing in ms, timeout=10), name)
            self.assertTrue(c.wait(lambda ms: beat_of(second) in ms, timeout=3 * BEAT_S), name)


if __name__ == "__main__":
    unittest.main()
