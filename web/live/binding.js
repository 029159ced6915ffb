// The thin layer between the DOM-free core (connection.js, refresher.js) and the browser: real
// WebSocket / EventSource transports, page visibility, online/offline, sessionStorage and the
// status pill. Everything with a decision in it lives in the core.

import { LiveConnection, CONNECTION_DEFAULTS } from './connection.js';
import { Refresher } from './refresher.js';

export const PILL_TEXT = Object.freeze({
  live: 'Live',
  reconnecting: 'Reconnecting…',
  polling: 'Polling',
  offline: 'Offline',
});

/** A WebSocket as a core transport: decoded JSON messages, and exactly one onClose. */
export function webSocketTransport(url, WebSocketImpl = globalThis.WebSocket) {
  return (handlers) => {
    const ws = new WebSocketImpl(url);
    let ended = false;
    const end = (reason) => {
      if (ended) return;
      ended = true;
      handlers.onClose(reason);
    };
    ws.onopen = () => handlers.onOpen();
    ws.onmessage = (ev) => deliver(ev.data, handlers);
    ws.onerror = () => end('error');
    ws.onclose = (ev) => end(`close ${ev.code}`);
    return {
      close() {
        ended = true;
        ws.onopen = ws.onmessage = ws.onerror = ws.onclose = null;
        try {
          ws.close(1000);
        } catch {
          // already closed
        }
      },
    };
  };
}

/**
 * An EventSource as a core transport. The browser's own retry is not used: on any error the
 * stream is closed and reported, and the core re-creates it on its own schedule (which also
 * covers a stream the browser closed for good, e.g. after a 502).
 */
export function eventSourceTransport(url, EventSourceImpl = globalThis.EventSource) {
  return (handlers) => {
    const es = new EventSourceImpl(url);
    let ended = false;
    const onEvent = (ev) => deliver(ev.data, handlers);
    es.onopen = () => handlers.onOpen();
    es.onmessage = onEvent;
    for (const type of ['hello', 'refresh', 'beat', 'reconnect']) es.addEventListener(type, onEvent);
    es.onerror = () => {
      es.close();
      if (ended) return;
      ended = true;
      handlers.onClose('error');
    };
    return {
      close() {
        ended = true;
        es.close();
      },
    };
  };
}

function deliver(data, handlers) {
  let msg;
  try {
    msg = JSON.parse(data);
  } catch {
    return; // not ours; ignore
  }
  handlers.onMessage(msg);
}

/**
 * Test and diagnosis knobs read from the page URL (documented in docs/web.md), e.g.
 * `?live_poll_ms=2000`. Unknown or malformed values are ignored.
 */
export function optionsFromQuery(search) {
  const names = {
    live_poll_ms: 'pollIntervalMs',
    live_retry_ms: 'liveRetryMs',
    live_base_ms: 'baseMs',
    live_cap_ms: 'capMs',
    live_hello_ms: 'helloTimeoutMs',
  };
  const out = {};
  const params = new URLSearchParams(search);
  for (const [param, key] of Object.entries(names)) {
    const v = Number(params.get(param));
    if (params.has(param) && Number.isFinite(v) && v >= 0 && v <= 3600000) out[key] = v;
  }
  return out;
}

/**
 * Wires the live client into the page. `fetchRevisions` is the API call; `pill` the status
 * element. Returns { connection, refresher } — the app hands its views to the refresher.
 */
export function startLive({ win = window, clientId, fetchRevisions, pill, options = {} }) {
  const doc = win.document;
  const scheme = win.location.protocol === 'https:' ? 'wss:' : 'ws:';
  const refresher = new Refresher({ throttleMs: options.throttleMs });
  const showState = (state) => {
    if (!pill) return;
    pill.textContent = PILL_TEXT[state];
    pill.dataset.state = state;
  };
  let storage = null;
  try {
    storage = win.sessionStorage;
  } catch {
    // storage disabled: the fallback is not remembered
  }
  const connection = new LiveConnection({
    ...options,
    clientId,
    storage,
    transports: {
      ws: webSocketTransport(`${scheme}//${win.location.host}/ws`, win.WebSocket),
      sse: eventSourceTransport('/events', win.EventSource),
    },
    fetchRevisions,
    onState: showState,
    onRevisions: (revs, rev) => refresher.revisions(revs, rev),
    onRefresh: ({ entity, rev }) => refresher.hint(entity, rev),
    onOwnRefresh: ({ entity, rev }) => refresher.own(entity, rev),
  });
  showState(connection.state);

  const hidden = () => doc.visibilityState === 'hidden';
  doc.addEventListener('visibilitychange', () => {
    refresher.setHidden(hidden());
    connection.setHidden(hidden());
  });
  win.addEventListener('online', () => connection.setOnline(true));
  win.addEventListener('offline', () => connection.setOnline(false));
  // A page put in the back/forward cache closes its connection and resumes (with a hello, so it
  // catches up) when it is shown again.
  win.addEventListener('pagehide', () => connection.stop());
  win.addEventListener('pageshow', (ev) => {
    if (ev.persisted) connection.start({ hidden: hidden(), online: win.navigator.onLine !== false });
  });
  refresher.setHidden(hidden());
  connection.start({ hidden: hidden(), online: win.navigator.onLine !== false });
  return { connection, refresher };
}

export { CONNECTION_DEFAULTS };
