// The live-event connection as an explicit state machine, with no DOM in it: everything it touches
// (transports, the revisions endpoint, the clock, randomness, session storage) is injected, so node
// tests drive every transition with a fake clock.
//
// States (they drive the status pill):
//   reconnecting  no live transport yet; an attempt is open or a retry is scheduled
//   live          a WebSocket or SSE stream has delivered `hello` (the only proof a proxy is not
//                 swallowing frames); refresh events are passed on
//   polling       both transports failed; GET /api/revisions every pollIntervalMs while visible,
//                 and a return to live is tried every ~liveRetryMs
//   offline       the browser says it is offline; nothing is attempted until it says `online`
//
// Transport modes: 'ws' → (wsFailuresBeforeSse consecutive failures) → 'sse' →
// (sseFailuresBeforePolling consecutive failures) → 'poll'. The mode reached is remembered in the
// given storage (sessionStorage in the browser) so a reload in the same tab starts there.
//
// Every callback from a transport or a timer carries the generation it was created in; anything
// from an older generation (a socket we already gave up on) is ignored.

import { Timer, realClock } from './timer.js';
import { delay, BACKOFF_DEFAULTS } from './backoff.js';
import { withDefaults } from './options.js';

export const ENTITIES = Object.freeze(['projects', 'solutions', 'subcomponents']);

export const CONNECTION_DEFAULTS = Object.freeze({
  connectTimeoutMs: 10000, // from starting an attempt to the transport's open event
  helloTimeoutMs: 2500, // from the open event to `hello`
  ...BACKOFF_DEFAULTS, // baseMs, capMs: first retry within [0, 1 s), never more than 5 s
  wsFailuresBeforeSse: 5,
  sseFailuresBeforePolling: 2,
  pollIntervalMs: 30000,
  liveRetryMs: 15000, // while polling: try WebSocket (then SSE) again after 50–100 % of this
  maxServerDelayMs: 60000, // upper bound for a server `reconnect.after_ms`
  storageKey: 'livesync.transport',
});

const noop = () => {};

/** Keeps only the three entity revisions, as numbers. Accepts hello.revs or /api/revisions. */
export function entityRevs(source) {
  const out = {};
  for (const e of ENTITIES) {
    const v = source?.[e];
    if (Number.isSafeInteger(v) && v >= 0) out[e] = v;
  }
  return out;
}

export class LiveConnection {
  /**
   * options.transports: { ws(handlers), sse(handlers) } — each opens a connection and returns
   *   { close() }; it calls handlers.onOpen(), handlers.onMessage(object) for every decoded message
   *   and handlers.onClose(reason) once when the connection fails or ends.
   * options.fetchRevisions(): Promise of the /api/revisions object.
   * options.clientId: this tab's X-Client-Id; refresh events carrying it as origin are skipped.
   * options.onState(state), options.onRevisions(revs, globalRev, source), options.onRefresh({entity, rev})
   * options.clock {setTimeout, clearTimeout, now}, options.random () → [0,1), options.storage
   * (getItem/setItem/removeItem) and every key of CONNECTION_DEFAULTS (undefined takes the
   * default; a negative or non-finite number throws, see options.js).
   */
  constructor(options) {
    this.opts = withDefaults('LiveConnection', CONNECTION_DEFAULTS, options);
    this.clock = this.opts.clock ?? realClock;
    this.random = this.opts.random ?? Math.random;
    this.onState = this.opts.onState ?? noop;
    this.onRevisions = this.opts.onRevisions ?? noop;
    this.onRefresh = this.opts.onRefresh ?? noop;

    this.state = 'reconnecting';
    this.mode = 'ws';
    this.started = false;
    this.hidden = false;
    this.online = true;
    this.tries = 0; // backoff exponent for the next retry
    this.failures = { ws: 0, sse: 0 }; // consecutive failures before `hello`
    this.gen = 0;
    this.pollGen = 0;
    this.transport = null;
    this.kind = null; // 'ws' | 'sse' of the open transport
    this.probing = false; // the open transport is a return-to-live try from polling
    this.helloSeen = false;
    this.stats = { attempts: { ws: 0, sse: 0 }, polls: 0, skippedOwn: 0 };

    this.retryTimer = new Timer(this.clock);
    this.helloTimer = new Timer(this.clock);
    this.pollTimer = new Timer(this.clock);
    this.probeTimer = new Timer(this.clock);
  }

  /** Begins connecting (or polling, if that fallback is remembered for this session). */
  start({ hidden = false, online = true } = {}) {
    this.hidden = hidden;
    this.online = online;
    this.started = true;
    const remembered = this.recall();
    if (remembered === 'sse' || remembered === 'poll') this.mode = remembered;
    this.connect();
  }

  /** Closes everything; no callback fires afterwards. */
  stop() {
    this.started = false;
    this.closeTransport();
    this.stopPolling();
  }

  /** The page became hidden (true) or visible (false). */
  setHidden(hidden) {
    this.hidden = hidden;
    if (!this.started) return;
    if (hidden) {
      // A live connection stays open; scheduled attempts and polls wait for visibility.
      this.retryTimer.cancel();
      this.pollTimer.cancel();
      this.probeTimer.cancel();
      return;
    }
    this.resume();
  }

  /** The browser's online/offline events. */
  setOnline(online) {
    this.online = online;
    if (!this.started) return;
    if (!online) {
      this.closeTransport();
      this.stopPolling();
      this.setState('offline');
      return;
    }
    this.tries = 0;
    this.failures = { ws: 0, sse: 0 };
    this.connect();
  }

  // --- internals -------------------------------------------------------------------------------

  /** Starts over in the current mode: the single place that decides what to attempt. */
  connect() {
    this.closeTransport();
    this.stopPolling();
    if (!this.online) return this.setState('offline');
    if (this.mode === 'poll') return this.enterPolling();
    this.setState('reconnecting');
    if (this.hidden) return; // resume() continues when the page is visible again
    this.open(this.mode, false);
  }

  /** Back to visible (or online) after a pause: catch up at once. */
  resume() {
    if (!this.online || this.state === 'live') return;
    if (this.state === 'polling') {
      this.pollNow();
      if (!this.transport) this.probe();
      return;
    }
    if (!this.transport) {
      this.tries = 0;
      this.connect();
    }
  }

  open(kind, probing) {
    this.closeTransport();
    const gen = ++this.gen;
    this.kind = kind;
    this.probing = probing;
    this.helloSeen = false;
    this.stats.attempts[kind] += 1;
    const current = () => gen === this.gen;
    this.helloTimer.start(this.opts.connectTimeoutMs, () => current() && this.lost('connect timeout'));
    const handlers = {
      onOpen: () => {
        if (current() && !this.helloSeen) {
          this.helloTimer.start(this.opts.helloTimeoutMs, () => current() && this.lost('no hello'));
        }
      },
      onMessage: (msg) => current() && this.message(msg),
      onClose: (reason) => current() && this.lost(reason ?? 'closed'),
    };
    try {
      this.transport = this.opts.transports[kind](handlers);
    } catch (err) {
      // A constructor that throws (bad URL, blocked by policy) is a failed attempt, reported
      // asynchronously so the caller's state is settled first.
      this.transport = { close: noop };
      this.clock.setTimeout(() => current() && this.lost(String(err)), 0);
    }
  }

  message(msg) {
    if (!msg || typeof msg !== 'object') return;
    if (msg.type === 'hello') {
      this.helloTimer.cancel();
      this.helloSeen = true;
      this.failures[this.kind] = 0;
      this.tries = 0;
      this.mode = this.kind;
      this.probing = false;
      this.stopPolling();
      this.remember(this.kind);
      this.setState('live');
      const rev = Number.isSafeInteger(msg.rev) ? msg.rev : null;
      this.onRevisions(entityRevs(msg.revs), rev, 'hello');
    } else if (msg.type === 'refresh') {
      if (!this.helloSeen) return;
      if (typeof msg.origin === 'string' && msg.origin !== '' && msg.origin === this.opts.clientId) {
        this.stats.skippedOwn += 1;
        return;
      }
      const entity = ENTITIES.includes(msg.entity) || msg.entity === 'all' ? msg.entity : 'all';
      this.onRefresh({ entity, rev: Number.isSafeInteger(msg.rev) ? msg.rev : null });
    } else if (msg.type === 'reconnect') {
      // The server is going away; it picked a spread-out delay for us. Not a failure.
      const ms = Number(msg.after_ms);
      const wait = Number.isFinite(ms) ? Math.min(Math.max(ms, 0), this.opts.maxServerDelayMs) : 0;
      const wasPolling = this.state === 'polling';
      this.closeTransport();
      this.tries = 0;
      if (wasPolling) return this.scheduleProbe();
      this.setState('reconnecting');
      this.retryTimer.start(wait, () => this.connect());
    }
  }

  /** The open transport failed or ended. */
  lost() {
    const { kind, probing, helloSeen } = this;
    this.closeTransport();
    if (!this.online) return this.setState('offline');
    if (helloSeen) {
      // A live connection dropped: not a failure of the transport, retry with a fresh backoff.
      this.tries = 0;
      this.setState('reconnecting');
      return this.scheduleRetry();
    }
    this.failures[kind] += 1;
    if (probing) {
      // Return-to-live try from polling: WebSocket first, then SSE, then wait for the next round.
      if (kind === 'ws' && !this.hidden) return this.open('sse', true);
      return this.scheduleProbe();
    }
    if (kind === 'ws' && this.failures.ws >= this.opts.wsFailuresBeforeSse) {
      this.mode = 'sse';
      this.failures.sse = 0;
      this.tries = 0;
      this.remember('sse');
      return this.connect();
    }
    if (kind === 'sse' && this.failures.sse >= this.opts.sseFailuresBeforePolling) {
      this.mode = 'poll';
      this.remember('poll');
      return this.connect();
    }
    this.setState('reconnecting');
    this.scheduleRetry();
  }

  scheduleRetry() {
    if (this.hidden) return;
    const ms = delay(this.tries, this.random, this.opts);
    this.tries += 1;
    this.retryTimer.start(ms, () => this.connect());
  }

  enterPolling() {
    this.setState('polling');
    this.pollNow();
    this.scheduleProbe();
  }

  /** One GET /api/revisions now (if visible) and the next one pollIntervalMs later. */
  pollNow() {
    this.pollTimer.cancel();
    if (this.hidden || this.state !== 'polling') return;
    const gen = this.pollGen;
    this.stats.polls += 1;
    this.pollTimer.start(this.opts.pollIntervalMs, () => this.pollNow());
    Promise.resolve()
      .then(() => this.opts.fetchRevisions())
      .then(
        (body) => {
          if (gen !== this.pollGen || this.state !== 'polling') return;
          const rev = Number.isSafeInteger(body?.rev) ? body.rev : null;
          this.onRevisions(entityRevs(body), rev, 'poll');
        },
        noop, // a failed poll changes nothing; the next one comes on schedule
      );
  }

  scheduleProbe() {
    if (this.hidden) return;
    const ms = this.opts.liveRetryMs * (0.5 + this.random() / 2);
    this.probeTimer.start(ms, () => this.probe());
  }

  probe() {
    if (this.hidden || !this.online || this.state !== 'polling') return;
    this.open('ws', true);
  }

  closeTransport() {
    this.gen += 1;
    this.helloTimer.cancel();
    this.retryTimer.cancel();
    const t = this.transport;
    this.transport = null;
    this.helloSeen = false;
    this.probing = false;
    if (t) {
      try {
        t.close();
      } catch {
        // closing a dead transport may throw; it is gone either way
      }
    }
  }

  stopPolling() {
    this.pollGen += 1;
    this.pollTimer.cancel();
    this.probeTimer.cancel();
  }

  setState(state) {
    if (state === this.state) return;
    this.state = state;
    this.onState(state);
  }

  remember(mode) {
    const s = this.opts.storage;
    if (!s) return;
    try {
      if (mode === 'ws') s.removeItem(this.opts.storageKey);
      else s.setItem(this.opts.storageKey, mode);
    } catch {
      // storage may be disabled; the fallback is then simply not remembered
    }
  }

  recall() {
    try {
      return this.opts.storage?.getItem(this.opts.storageKey) ?? null;
    } catch {
      return null;
    }
  }
}
