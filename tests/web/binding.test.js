import { test, mock } from 'node:test';
import assert from 'node:assert/strict';
import {
  webSocketTransport,
  eventSourceTransport,
  optionsFromQuery,
  startLive,
  PILL_TEXT,
} from '../../web/live/binding.js';
import { MemoryStorage, flush } from './fakes.js';

class FakeWebSocket {
  static last = null;
  constructor(url) {
    this.url = url;
    this.closedWith = null;
    FakeWebSocket.last = this;
  }
  close(code) {
    this.closedWith = code;
  }
}

class FakeEventSource {
  static last = null;
  constructor(url) {
    this.url = url;
    this.listeners = {};
    this.closed = false;
    FakeEventSource.last = this;
  }
  addEventListener(type, fn) {
    (this.listeners[type] ??= []).push(fn);
  }
  emit(type, data) {
    for (const fn of this.listeners[type] ?? []) fn({ data });
  }
  close() {
    this.closed = true;
  }
}

function recorder() {
  const log = [];
  return {
    log,
    handlers: {
      onOpen: () => log.push('open'),
      onMessage: (m) => log.push(m),
      onClose: (r) => log.push(`close:${r}`),
    },
  };
}

test('WebSocket transport decodes JSON, ignores garbage and reports one close', () => {
  const { log, handlers } = recorder();
  webSocketTransport('wss://h/ws', FakeWebSocket)(handlers);
  const ws = FakeWebSocket.last;
  assert.equal(ws.url, 'wss://h/ws');
  ws.onopen();
  ws.onmessage({ data: '{"type":"hello","rev":1}' });
  ws.onmessage({ data: 'not json' });
  ws.onerror();
  ws.onclose({ code: 1006 });
  assert.deepEqual(log, ['open', { type: 'hello', rev: 1 }, 'close:error']);
});

test('closing a WebSocket transport silences it', () => {
  const { log, handlers } = recorder();
  const t = webSocketTransport('wss://h/ws', FakeWebSocket)(handlers);
  const ws = FakeWebSocket.last;
  t.close();
  assert.equal(ws.closedWith, 1000);
  assert.equal(ws.onclose, null);
  assert.deepEqual(log, []);
});

test('SSE transport decodes named events and closes the stream itself on error', () => {
  const { log, handlers } = recorder();
  eventSourceTransport('/events', FakeEventSource)(handlers);
  const es = FakeEventSource.last;
  assert.equal(es.url, '/events');
  es.onopen();
  es.emit('hello', '{"type":"hello","rev":3}');
  es.emit('refresh', '{"type":"refresh","entity":"projects","rev":4}');
  es.emit('reconnect', '{"type":"reconnect","after_ms":10}');
  es.onerror();
  es.onerror();
  assert.equal(es.closed, true, 'the browser must not retry on its own schedule');
  assert.deepEqual(log, [
    'open',
    { type: 'hello', rev: 3 },
    { type: 'refresh', entity: 'projects', rev: 4 },
    { type: 'reconnect', after_ms: 10 },
    'close:error',
  ]);
});

test('URL knobs map to options; malformed or out-of-range ones are ignored', () => {
  assert.deepEqual(optionsFromQuery('?live_poll_ms=2000&live_cap_ms=50&x=1'), {
    pollIntervalMs: 2000,
    capMs: 50,
  });
  assert.deepEqual(optionsFromQuery('?live_poll_ms=abc&live_retry_ms=-5&live_base_ms=1e12'), {});
  assert.deepEqual(optionsFromQuery(''), {});
});

test('the pill texts are exactly the four of the spec', () => {
  assert.deepEqual(Object.values(PILL_TEXT), ['Live', 'Reconnecting…', 'Polling', 'Offline']);
});

/** A window with just what startLive touches, on the page's URL with no query. */
function fakeWindow() {
  const on = () => {};
  return {
    document: { visibilityState: 'visible', addEventListener: on },
    location: { protocol: 'https:', host: 'h', search: '' },
    navigator: { onLine: true },
    sessionStorage: new MemoryStorage(),
    WebSocket: FakeWebSocket,
    EventSource: FakeEventSource,
    addEventListener: on,
  };
}

test('built with no options, as web/app/main.js does, the page throttles refreshes at 500 ms', async (t) => {
  // The binding uses the real clock (setTimeout, Date.now), so the test mocks those.
  mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
  t.after(() => mock.timers.reset());
  const win = fakeWindow();
  const { connection, refresher } = startLive({
    win,
    clientId: 'me',
    fetchRevisions: async () => ({}),
    pill: null,
    options: optionsFromQuery(win.location.search),
  });
  t.after(() => connection.stop());
  assert.equal(refresher.opts.throttleMs, 500);

  const ws = FakeWebSocket.last;
  const send = (msg) => ws.onmessage({ data: JSON.stringify(msg) });
  ws.onopen();
  send({ type: 'hello', rev: 1, revs: { projects: 1, solutions: 1, subcomponents: 1 } });
  assert.equal(connection.state, 'live');
  const calls = [];
  refresher.setView({ entities: ['projects'], refresh: (set) => (calls.push([...set]), Promise.resolve({})) }, { projects: 1 });

  // Five events from another tab, 50 ms apart (each refetch done before the next event).
  for (let rev = 2; rev <= 6; rev++) {
    send({ type: 'refresh', entity: 'projects', rev, origin: 'someone-else' });
    await flush();
    mock.timers.tick(50);
  }
  assert.equal(calls.length, 1, 'the first event refreshes at once, the others are merged');
  mock.timers.tick(249);
  await flush();
  assert.equal(calls.length, 1, 'still inside the 500 ms window');
  mock.timers.tick(1);
  await flush();
  assert.equal(calls.length, 2, 'one trailing refresh at the end of the window');
  mock.timers.tick(5000);
  await flush();
  assert.equal(calls.length, 2, 'nothing more without new events');
});
