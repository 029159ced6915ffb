// A one-shot timer on an injectable clock: start() replaces any pending callback, cancel() drops
// it. Keeping the mechanism this small lets the policy around it (backoff, throttle, hello budget)
// be tested with a fake clock instead of sleeping.

/** The browser's (or node's) clock; tests pass their own object with the same three members. */
export const realClock = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (id) => globalThis.clearTimeout(id),
  now: () => Date.now(),
};

export class Timer {
  constructor(clock = realClock) {
    this.clock = clock;
    this.id = null;
  }

  /** Runs fn once after ms milliseconds, cancelling whatever was pending. */
  start(ms, fn) {
    this.cancel();
    this.id = this.clock.setTimeout(() => {
      this.id = null;
      fn();
    }, Math.max(0, ms));
  }

  cancel() {
    if (this.id !== null) {
      this.clock.clearTimeout(this.id);
      this.id = null;
    }
  }

  get pending() {
    return this.id !== null;
  }
}
