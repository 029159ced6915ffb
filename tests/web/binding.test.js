import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  webSocketTransport,
  eventSourceTransport,
  optionsFromQuery,
  PILL_TEXT,
} from '../../web/live/binding.js';

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
  es.emit('beat', '{"type":"beat","rev":4}');
  es.emit('reconnect', '{"type":"reconnect","after_ms":10}');
  es.onerror();
  es.onerror();
  assert.equal(es.closed, true, 'the browser must not retry on its own schedule');
  assert.deepEqual(log, [
    'open',
    { type: 'hello', rev: 3 },
    { type: 'refresh', entity: 'projects', rev: 4 },
    { type: 'beat', rev: 4 },
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
