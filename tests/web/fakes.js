// Test doubles for the live core: a manual clock, scripted transports and a storage map.

export class FakeClock {
  constructor() {
    this.t = 0;
    this.seq = 0;
    this.timers = new Map(); // id → { at, fn, seq }
  }

  now() {
    return this.t;
  }

  setTimeout(fn, ms) {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, ms), fn, seq: id });
    return id;
  }

  clearTimeout(id) {
    this.timers.delete(id);
  }

  /** Runs every timer due within ms, in time order, advancing the clock as it goes. */
  advance(ms) {
    const end = this.t + ms;
    for (;;) {
      let next = null;
      for (const [id, timer] of this.timers) {
        if (timer.at <= end && (!next || timer.at < next[1].at || (timer.at === next[1].at && timer.seq < next[1].seq))) {
          next = [id, timer];
        }
      }
      if (!next) break;
      this.timers.delete(next[0]);
      this.t = next[1].at;
      next[1].fn();
    }
    this.t = end;
  }

  /** The delay until the next timer, or null. */
  nextIn() {
    let min = null;
    for (const timer of this.timers.values()) min = min === null ? timer.at : Math.min(min, timer.at);
    return min === null ? null : min - this.t;
  }

  get clock() {
    return {
      setTimeout: (fn, ms) => this.setTimeout(fn, ms),
      clearTimeout: (id) => this.clearTimeout(id),
      now: () => this.now(),
    };
  }
}

/** Records every connection a transport factory opens; each can be driven by the test. */
export class FakeTransport {
  constructor(kind) {
    this.kind = kind;
    this.opened = [];
    this.throwNext = false;
  }

  get factory() {
    return (handlers) => {
      if (this.throwNext) {
        this.throwNext = false;
        throw new Error('SecurityError');
      }
      const conn = {
        handlers,
        closed: false,
        close() {
          conn.closed = true;
        },
        open: () => handlers.onOpen(),
        send: (msg) => handlers.onMessage(msg),
        hello: (revs = { projects: 1, solutions: 1, subcomponents: 1 }, rev = 1, extra = {}) => {
          handlers.onOpen();
          handlers.onMessage({ type: 'hello', rev, revs, ...extra });
        },
        beat: (revs = { projects: 1, solutions: 1, subcomponents: 1 }, rev = 1) =>
          handlers.onMessage({ type: 'beat', rev, revs }),
        fail: (reason = 'error') => handlers.onClose(reason),
      };
      this.opened.push(conn);
      return conn;
    };
  }

  get last() {
    return this.opened[this.opened.length - 1];
  }
}

export class MemoryStorage {
  constructor(entries = {}) {
    this.map = new Map(Object.entries(entries));
  }

  getItem(k) {
    return this.map.has(k) ? this.map.get(k) : null;
  }

  setItem(k, v) {
    this.map.set(k, String(v));
  }

  removeItem(k) {
    this.map.delete(k);
  }
}

/** Lets pending promise callbacks run. */
export async function flush() {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
