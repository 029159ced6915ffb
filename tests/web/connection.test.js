import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LiveConnection, entityRevs } from '../../web/live/connection.js';
import { Refresher } from '../../web/live/refresher.js';
import { FakeClock, FakeTransport, MemoryStorage, flush } from './fakes.js';

function setup(options = {}) {
  const clock = new FakeClock();
  const ws = new FakeTransport('ws');
  const sse = new FakeTransport('sse');
  const events = { states: [], revisions: [], refreshes: [] };
  const server = { polls: 0, fail: false, body: { rev: 9, projects: 3, solutions: 9, subcomponents: 7 } };
  const storage = options.storage ?? new MemoryStorage();
  const conn = new LiveConnection({
    clock: clock.clock,
    random: () => 0.5,
    clientId: 'tab-me',
    storage,
    transports: { ws: ws.factory, sse: sse.factory },
    fetchRevisions: async () => {
      server.polls += 1;
      if (server.fail) throw new Error('network');
      return server.body;
    },
    onState: (s) => events.states.push(s),
    onRevisions: (revs, rev, source) => events.revisions.push({ revs, rev, source }),
    onRefresh: (e) => events.refreshes.push(e),
    ...options,
  });
  return { clock, ws, sse, events, server, storage, conn };
}

/** Fails the current WebSocket attempt and waits out the scheduled retry. */
function failWs(t) {
  t.ws.last.fail();
  t.clock.advance(t.clock.nextIn() ?? 0);
}

test('connects a WebSocket on start and is live only once hello arrives', () => {
  const t = setup();
  t.conn.start();
  assert.equal(t.ws.opened.length, 1);
  assert.equal(t.conn.state, 'reconnecting');
  t.ws.last.open();
  assert.equal(t.conn.state, 'reconnecting', 'an open socket without hello is not live');
  t.ws.last.send({ type: 'hello', rev: 12, revs: { projects: 4, solutions: 12, subcomponents: 1 } });
  assert.equal(t.conn.state, 'live');
  assert.deepEqual(t.events.states, ['live']);
  assert.deepEqual(t.events.revisions, [
    { revs: { projects: 4, solutions: 12, subcomponents: 1 }, rev: 12, source: 'hello' },
  ]);
});

test('an open socket that sends no hello within 2.5 s is a failure and is closed', () => {
  const t = setup();
  t.conn.start();
  const first = t.ws.last;
  first.open();
  t.clock.advance(2499);
  assert.equal(first.closed, false);
  t.clock.advance(1);
  assert.equal(first.closed, true);
  assert.equal(t.conn.failures.ws, 1);
  assert.equal(t.conn.state, 'reconnecting');
  // A late hello from the abandoned socket changes nothing.
  first.send({ type: 'hello', rev: 1, revs: {} });
  assert.equal(t.conn.state, 'reconnecting');
  assert.equal(t.events.revisions.length, 0);
});

test('the hello budget is measured from the open event; a socket that never opens times out at 10 s', () => {
  const t = setup();
  t.conn.start();
  t.clock.advance(9999);
  assert.equal(t.ws.opened.length, 1);
  assert.equal(t.ws.last.closed, false);
  t.clock.advance(1);
  assert.equal(t.ws.last.closed, true);
  assert.equal(t.conn.failures.ws, 1);
});

test('retries back off with full jitter: 1 s, 2 s, 4 s ceilings, capped at 5 s', () => {
  const t = setup({ random: () => 0.999, wsFailuresBeforeSse: 100 });
  t.conn.start();
  const waits = [];
  for (let i = 0; i < 6; i++) {
    t.ws.last.fail();
    waits.push(t.clock.nextIn());
    t.clock.advance(t.clock.nextIn());
  }
  assert.deepEqual(waits, [999, 1998, 3996, 4995, 4995, 4995]);
  assert.equal(t.ws.opened.length, 7);
});

test('no second attempt is made before the backoff delay has passed', () => {
  const t = setup({ random: () => 0.5 });
  t.conn.start();
  t.ws.last.fail();
  t.clock.advance(499);
  assert.equal(t.ws.opened.length, 1);
  t.clock.advance(1);
  assert.equal(t.ws.opened.length, 2);
});

test('after 5 consecutive WebSocket failures it switches to SSE and remembers it', () => {
  const t = setup();
  t.conn.start();
  for (let i = 0; i < 4; i++) failWs(t);
  assert.equal(t.sse.opened.length, 0);
  assert.equal(t.ws.opened.length, 5);
  t.ws.last.fail();
  assert.equal(t.sse.opened.length, 1, 'SSE is tried at once');
  assert.equal(t.ws.opened.length, 5);
  assert.equal(t.storage.getItem('livesync.transport'), 'sse');
  t.sse.last.hello();
  assert.equal(t.conn.state, 'live');
  assert.equal(t.conn.mode, 'sse');
  t.sse.last.send({ type: 'refresh', entity: 'projects', rev: 2, origin: 'other' });
  assert.deepEqual(t.events.refreshes, [{ entity: 'projects', rev: 2 }]);
});

test('a success in between resets the consecutive-failure count', () => {
  const t = setup();
  t.conn.start();
  for (let i = 0; i < 4; i++) failWs(t);
  t.ws.last.hello();
  assert.equal(t.conn.failures.ws, 0);
  t.ws.last.fail(); // a live connection dropping is not a failure
  t.clock.advance(t.clock.nextIn());
  for (let i = 0; i < 4; i++) failWs(t);
  assert.equal(t.sse.opened.length, 0);
  assert.equal(t.conn.mode, 'ws');
});

test('when SSE fails too it polls /api/revisions every 30 s and remembers polling', async () => {
  const t = setup({ liveRetryMs: 1e9 });
  t.conn.start();
  for (let i = 0; i < 4; i++) failWs(t);
  t.ws.last.fail();
  assert.equal(t.sse.opened.length, 1);
  t.sse.last.fail();
  assert.equal(t.conn.state, 'reconnecting');
  t.clock.advance(t.clock.nextIn());
  assert.equal(t.sse.opened.length, 2);
  t.sse.last.fail();
  assert.equal(t.conn.state, 'polling');
  assert.equal(t.storage.getItem('livesync.transport'), 'poll');
  await flush();
  assert.equal(t.server.polls, 1, 'polls at once on entering polling');
  assert.deepEqual(t.events.revisions.at(-1), {
    revs: { projects: 3, solutions: 9, subcomponents: 7 },
    rev: 9,
    source: 'poll',
  });
  t.clock.advance(29999);
  await flush();
  assert.equal(t.server.polls, 1);
  t.clock.advance(1);
  await flush();
  assert.equal(t.server.polls, 2);
  t.clock.advance(60000);
  await flush();
  assert.equal(t.server.polls, 4);
});

test('a failed poll is harmless and the next one comes on schedule', async () => {
  const t = setup({ storage: new MemoryStorage({ 'livesync.transport': 'poll' }), liveRetryMs: 1e9 });
  t.server.fail = true;
  t.conn.start();
  await flush();
  assert.equal(t.conn.state, 'polling');
  assert.equal(t.events.revisions.length, 0);
  t.server.fail = false;
  t.clock.advance(30000);
  await flush();
  assert.equal(t.events.revisions.length, 1);
});

test('while polling it keeps trying to return to live: WebSocket, then SSE', async () => {
  const t = setup({ storage: new MemoryStorage({ 'livesync.transport': 'poll' }), random: () => 0 });
  t.conn.start();
  await flush();
  assert.equal(t.conn.state, 'polling');
  assert.equal(t.ws.opened.length, 0);
  t.clock.advance(7500); // liveRetryMs 15 s × (0.5 + 0/2)
  assert.equal(t.ws.opened.length, 1);
  assert.equal(t.conn.state, 'polling', 'the pill stays Polling during a try');
  t.ws.last.fail();
  assert.equal(t.sse.opened.length, 1, 'SSE is tried right after WebSocket');
  t.sse.last.fail();
  assert.equal(t.conn.state, 'polling');
  t.clock.advance(7500);
  assert.equal(t.ws.opened.length, 2);
  t.ws.last.hello();
  assert.equal(t.conn.state, 'live');
  assert.equal(t.conn.mode, 'ws');
  assert.equal(t.storage.getItem('livesync.transport'), null, 'back on WebSocket: fallback forgotten');
  const polls = t.server.polls;
  t.clock.advance(120000);
  await flush();
  assert.equal(t.server.polls, polls, 'no polling once live');
});

test('a poll answer that arrives after going live is ignored', async () => {
  const t = setup({ storage: new MemoryStorage({ 'livesync.transport': 'poll' }), random: () => 0 });
  let release;
  t.conn.opts.fetchRevisions = () => new Promise((r) => (release = r));
  t.conn.start();
  await flush();
  t.clock.advance(7500);
  t.ws.last.hello();
  const count = t.events.revisions.length;
  release({ rev: 1, projects: 1 });
  await flush();
  assert.equal(t.events.revisions.length, count);
});

test('a remembered SSE fallback is used first on the next start', () => {
  const t = setup({ storage: new MemoryStorage({ 'livesync.transport': 'sse' }) });
  t.conn.start();
  assert.equal(t.ws.opened.length, 0);
  assert.equal(t.sse.opened.length, 1);
});

test('refresh events from this tab are skipped, others are passed on; none before hello', () => {
  const t = setup();
  t.conn.start();
  t.ws.last.open();
  t.ws.last.send({ type: 'refresh', entity: 'projects', rev: 1 });
  assert.equal(t.events.refreshes.length, 0, 'nothing before hello');
  t.ws.last.send({ type: 'hello', rev: 1, revs: {} });
  t.ws.last.send({ type: 'refresh', entity: 'projects', rev: 2, origin: 'tab-me' });
  t.ws.last.send({ type: 'refresh', entity: 'solutions', rev: 3, origin: 'tab-other' });
  t.ws.last.send({ type: 'refresh', entity: 'subcomponents', rev: 4 });
  t.ws.last.send({ type: 'refresh', entity: 'bogus', rev: 5 });
  t.ws.last.send('not an object');
  t.ws.last.send(null);
  assert.deepEqual(t.events.refreshes, [
    { entity: 'solutions', rev: 3 },
    { entity: 'subcomponents', rev: 4 },
    { entity: 'all', rev: 5 },
  ]);
  assert.equal(t.conn.stats.skippedOwn, 1);
});

test('the server reconnect message is honoured: closed, reopened after after_ms, no failure counted', () => {
  const t = setup();
  t.conn.start();
  t.ws.last.hello();
  const first = t.ws.last;
  first.send({ type: 'reconnect', after_ms: 1234 });
  assert.equal(first.closed, true);
  assert.equal(t.conn.state, 'reconnecting');
  first.fail(); // the close that follows is from an abandoned socket
  assert.equal(t.conn.failures.ws, 0);
  t.clock.advance(1233);
  assert.equal(t.ws.opened.length, 1);
  t.clock.advance(1);
  assert.equal(t.ws.opened.length, 2);
});

test('a server reconnect delay is clamped to 60 s', () => {
  const t = setup();
  t.conn.start();
  t.ws.last.hello();
  t.ws.last.send({ type: 'reconnect', after_ms: 1e12 });
  assert.equal(t.clock.nextIn(), 60000);
});

test('a live connection that drops goes to reconnecting and retries within 1 s', () => {
  const t = setup({ random: () => 0.25 });
  t.conn.start();
  t.ws.last.hello();
  t.ws.last.fail('close 1006');
  assert.equal(t.conn.state, 'reconnecting');
  assert.equal(t.clock.nextIn(), 250);
  t.clock.advance(250);
  assert.equal(t.ws.opened.length, 2);
  t.ws.last.hello({ projects: 5 }, 5);
  assert.equal(t.conn.state, 'live');
  assert.deepEqual(t.events.states, ['live', 'reconnecting', 'live']);
  assert.equal(t.events.revisions.length, 2, 'each hello is passed on to catch up');
});

test('late callbacks from a replaced transport are ignored', () => {
  const t = setup();
  t.conn.start();
  const old = t.ws.last;
  old.fail();
  t.clock.advance(t.clock.nextIn());
  const current = t.ws.last;
  assert.notEqual(old, current);
  old.hello();
  old.fail();
  old.send({ type: 'refresh', entity: 'projects', rev: 1 });
  assert.equal(t.conn.state, 'reconnecting');
  assert.equal(t.conn.failures.ws, 1);
  assert.equal(t.events.refreshes.length, 0);
  current.hello();
  assert.equal(t.conn.state, 'live');
});

test('a hidden page makes no attempts; becoming visible connects at once', () => {
  const t = setup();
  t.conn.start({ hidden: true });
  t.clock.advance(60000);
  assert.equal(t.ws.opened.length, 0);
  t.conn.setHidden(false);
  assert.equal(t.ws.opened.length, 1);
});

test('a connection lost while hidden is not retried until visible; a live one stays open', () => {
  const t = setup();
  t.conn.start();
  t.ws.last.hello();
  t.conn.setHidden(true);
  assert.equal(t.ws.last.closed, false, 'hiding keeps a live connection');
  t.ws.last.fail();
  t.clock.advance(60000);
  assert.equal(t.ws.opened.length, 1);
  t.conn.setHidden(false);
  assert.equal(t.ws.opened.length, 2, 'reconnects at once on becoming visible');
  t.ws.last.hello({ projects: 8 }, 8);
  assert.equal(t.events.revisions.at(-1).source, 'hello');
});

test('a scheduled retry is cancelled when the page is hidden', () => {
  const t = setup();
  t.conn.start();
  t.ws.last.fail();
  t.conn.setHidden(true);
  t.clock.advance(60000);
  assert.equal(t.ws.opened.length, 1);
});

test('polling stops while hidden and catches up on visible', async () => {
  const t = setup({ storage: new MemoryStorage({ 'livesync.transport': 'poll' }), random: () => 0 });
  t.conn.start();
  await flush();
  assert.equal(t.server.polls, 1);
  t.conn.setHidden(true);
  t.clock.advance(600000);
  await flush();
  assert.equal(t.server.polls, 1);
  assert.equal(t.ws.opened.length, 0, 'no live tries while hidden either');
  t.conn.setHidden(false);
  await flush();
  assert.equal(t.server.polls, 2);
  assert.equal(t.ws.opened.length, 1, 'tries to return to live at once');
});

test('offline closes the connection and attempts nothing; online reconnects at once', () => {
  const t = setup();
  t.conn.start();
  t.ws.last.hello();
  t.conn.setOnline(false);
  assert.equal(t.conn.state, 'offline');
  assert.equal(t.ws.last.closed, true);
  t.clock.advance(600000);
  assert.equal(t.ws.opened.length, 1);
  t.conn.setOnline(true);
  assert.equal(t.conn.state, 'reconnecting');
  assert.equal(t.ws.opened.length, 2);
  t.ws.last.hello();
  assert.deepEqual(t.events.states, ['live', 'offline', 'reconnecting', 'live']);
});

test('starting while the browser is offline waits for online', () => {
  const t = setup();
  t.conn.start({ online: false });
  assert.equal(t.conn.state, 'offline');
  assert.equal(t.ws.opened.length, 0);
  t.conn.setOnline(true);
  assert.equal(t.ws.opened.length, 1);
});

test('online resets the failure count so a flaky network does not push it to a fallback', () => {
  const t = setup();
  t.conn.start();
  for (let i = 0; i < 4; i++) failWs(t);
  t.conn.setOnline(false);
  t.conn.setOnline(true);
  t.ws.last.fail();
  assert.equal(t.sse.opened.length, 0);
  assert.equal(t.conn.failures.ws, 1);
});

test('a transport constructor that throws counts as a failed attempt', () => {
  const t = setup();
  t.ws.throwNext = true;
  t.conn.start();
  assert.equal(t.conn.failures.ws, 0);
  t.clock.advance(0);
  assert.equal(t.conn.failures.ws, 1);
  assert.equal(t.conn.state, 'reconnecting');
  t.clock.advance(t.clock.nextIn());
  assert.equal(t.ws.opened.length, 1);
});

test('stop closes everything and silences late callbacks', () => {
  const t = setup();
  t.conn.start();
  const c = t.ws.last;
  t.conn.stop();
  assert.equal(c.closed, true);
  c.hello();
  c.fail();
  t.clock.advance(600000);
  assert.equal(t.ws.opened.length, 1);
  assert.equal(t.events.states.length, 0);
});

test('storage that throws does not break the client', () => {
  const storage = {
    getItem() {
      throw new Error('denied');
    },
    setItem() {
      throw new Error('denied');
    },
    removeItem() {
      throw new Error('denied');
    },
  };
  const t = setup({ storage });
  t.conn.start();
  for (let i = 0; i < 4; i++) failWs(t);
  t.ws.last.fail();
  assert.equal(t.sse.opened.length, 1);
  t.sse.last.hello();
  assert.equal(t.conn.state, 'live');
});

test('entityRevs keeps only the three entities with valid revisions', () => {
  assert.deepEqual(entityRevs({ rev: 9, projects: 3, solutions: -1, subcomponents: 'x', other: 4 }), {
    projects: 3,
  });
  assert.deepEqual(entityRevs(undefined), {});
});

test('an SSE stream that errors (e.g. the browser closed it after a 502) is re-created', () => {
  const t = setup({ storage: new MemoryStorage({ 'livesync.transport': 'sse' }) });
  t.conn.start();
  t.sse.last.hello();
  t.sse.last.fail('error');
  assert.equal(t.conn.state, 'reconnecting');
  t.clock.advance(t.clock.nextIn());
  assert.equal(t.sse.opened.length, 2, 'a new EventSource, not a WebSocket');
  assert.equal(t.ws.opened.length, 0);
  t.sse.last.hello();
  assert.equal(t.conn.state, 'live');
});

// --- beats: the heartbeat a page can see ----------------------------------------------------------

const REVS = { projects: 1, solutions: 1, subcomponents: 1 };

/** A live WebSocket whose hello announced a 1 s heartbeat. */
function liveWithBeats(options = {}) {
  const t = setup({ random: () => 0.25, ...options });
  t.conn.start();
  t.ws.last.hello(REVS, 1, { beat_ms: 1000 });
  assert.equal(t.conn.state, 'live');
  return t;
}

test('a beat passes its revisions on like hello; none before hello', () => {
  const t = setup();
  t.conn.start();
  t.ws.last.open();
  t.ws.last.beat({ projects: 9 }, 9);
  assert.equal(t.conn.state, 'reconnecting', 'a beat is no hello');
  assert.deepEqual(t.events.revisions, []);
  t.ws.last.hello(REVS, 1, { beat_ms: 1000 });
  t.ws.last.beat({ projects: 7, solutions: 1, subcomponents: 'x' }, 7);
  assert.deepEqual(t.events.revisions.at(-1), {
    revs: { projects: 7, solutions: 1 },
    rev: 7,
    source: 'beat',
  });
});

test('a beat refetches what moved, and nothing when nothing moved', async () => {
  const clock = new FakeClock();
  const refresher = new Refresher({ clock: clock.clock });
  const calls = [];
  const view = { entities: ['projects', 'solutions'], refresh: async (set) => calls.push([...set].sort()) };
  refresher.setView(view, { projects: 1, solutions: 1 });
  // Wired as binding.js wires them.
  const t = setup({ clock: clock.clock, onRevisions: (revs, rev) => refresher.revisions(revs, rev) });
  t.conn.start();
  t.ws.last.hello(REVS, 1, { beat_ms: 1000 });
  t.ws.last.beat(REVS, 1);
  await flush();
  assert.deepEqual(calls, [], 'nothing moved');
  // A refresh event that was lost on the way: the next beat still shows the move.
  t.ws.last.beat({ projects: 1, solutions: 4, subcomponents: 4 }, 4);
  await flush();
  assert.deepEqual(calls, [['solutions']]);
});

test('a live stream silent for 2.5 heartbeat intervals is dead: reconnecting, then a reconnect', () => {
  const t = liveWithBeats();
  const first = t.ws.last;
  t.clock.advance(2499);
  assert.equal(t.conn.state, 'live');
  assert.equal(first.closed, false);
  t.clock.advance(1);
  assert.equal(t.conn.state, 'reconnecting');
  assert.equal(first.closed, true, 'the silent socket is given up');
  assert.equal(t.conn.failures.ws, 0, 'a link that was live is not a transport failure');
  assert.equal(t.clock.nextIn(), 250, 'the usual backoff, from its first step');
  t.clock.advance(250);
  assert.equal(t.ws.opened.length, 2);
  first.beat(); // the dead socket speaks up late: ignored
  assert.equal(t.conn.state, 'reconnecting');
  t.ws.last.hello({ projects: 3, solutions: 1, subcomponents: 1 }, 3, { beat_ms: 1000 });
  assert.deepEqual(t.events.states, ['live', 'reconnecting', 'live']);
  assert.equal(t.events.revisions.at(-1).revs.projects, 3, 'the new hello catches up');
});

test('beats keep a stream live, and so do events', () => {
  const t = liveWithBeats();
  for (let i = 0; i < 10; i++) {
    t.clock.advance(2000);
    t.ws.last.beat();
  }
  t.clock.advance(2000);
  t.ws.last.send({ type: 'refresh', entity: 'projects', rev: 2 });
  t.clock.advance(2000);
  t.ws.last.send({ type: 'refresh', entity: 'projects', rev: 3, origin: 'tab-me' });
  t.clock.advance(2000);
  assert.equal(t.conn.state, 'live');
  assert.equal(t.ws.opened.length, 1);
  t.clock.advance(500);
  assert.equal(t.conn.state, 'reconnecting', 'silence counts from the last message');
});

test('the silence bound follows the interval hello announces, over SSE too', () => {
  const t = setup({ storage: new MemoryStorage({ 'livesync.transport': 'sse' }) });
  t.conn.start();
  t.sse.last.hello(REVS, 1, { beat_ms: 15000 });
  t.clock.advance(37499);
  assert.equal(t.conn.state, 'live');
  t.clock.advance(1);
  assert.equal(t.conn.state, 'reconnecting');
  assert.equal(t.sse.last.closed, true);
});

test('a hello without beat_ms (a daemon without beats) sets no silence watch', () => {
  const t = setup();
  t.conn.start();
  t.ws.last.hello();
  t.clock.advance(3600000);
  assert.equal(t.conn.state, 'live');
});

test('a skipped refresh of this tab is handed to onOwnRefresh, so beats can tell it is on screen', () => {
  const own = [];
  const t = setup({ onOwnRefresh: (e) => own.push(e) });
  t.conn.start();
  t.ws.last.hello();
  t.ws.last.send({ type: 'refresh', entity: 'solutions', rev: 4, origin: 'tab-me' });
  t.ws.last.send({ type: 'refresh', entity: 'projects', rev: 5, origin: 'tab-other' });
  assert.deepEqual(own, [{ entity: 'solutions', rev: 4 }]);
  assert.deepEqual(t.events.refreshes, [{ entity: 'projects', rev: 5 }]);
});
