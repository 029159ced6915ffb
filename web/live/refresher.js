// Decides when the current view refetches, with no DOM in it.
//
// It keeps, per entity, `known` (the newest revision the server has told us about: hello, a poll,
// a refresh event) and `screen` (the global revision as of which the view's data of that entity is
// known to be current). An entity the view shows needs a refetch when known > screen, so an event
// for a change already on screen (our own save, a merged duplicate) costs nothing.
//
// Throttled, not delayed: the first refetch starts at once; anything that arrives within
// throttleMs of the last start is merged into one trailing refetch at the end of that window; at
// most one refetch is in flight. Nothing runs while the page is hidden; becoming visible catches up.

import { Timer, realClock } from './timer.js';
import { ENTITIES } from './connection.js';
import { withDefaults } from './options.js';

export const REFRESHER_DEFAULTS = Object.freeze({
  throttleMs: 500,
  failureRetryMs: 5000, // a refetch that failed is retried after this long
});

export class Refresher {
  /**
   * options: clock, throttleMs, failureRetryMs, onRun(entities) (observability for tests). An
   * option left undefined takes its default; a negative or non-finite one throws (options.js).
   */
  constructor(options = {}) {
    this.opts = withDefaults('Refresher', REFRESHER_DEFAULTS, options);
    this.clock = this.opts.clock ?? realClock;
    this.timer = new Timer(this.clock);
    this.view = null;
    this.known = {};
    this.screen = {};
    this.dirty = new Set();
    this.inFlight = false;
    this.lastStart = null;
    this.hidden = false;
    this.highestGlobal = 0;
  }

  /**
   * Makes `view` current. view.entities: the entities it shows; view.refresh(Set of entities):
   * Promise of { entity: listRev } after refetching (conditionally) and re-rendering them.
   * screenRevs: the revisions its data was loaded at.
   */
  setView(view, screenRevs = {}) {
    this.view = view;
    this.screen = { ...screenRevs };
    this.dirty.clear();
    this.timer.cancel();
    this.inFlight = false;
    this.lastStart = null;
    for (const e of view?.entities ?? []) {
      if (this.behind(e)) this.dirty.add(e);
    }
    this.schedule();
  }

  /** A snapshot of every entity's revision (hello or poll). globalRev lower than before = restore. */
  revisions(revs, globalRev = null) {
    if (Number.isSafeInteger(globalRev)) {
      if (globalRev < this.highestGlobal) {
        // The database went back in time (a restore): nothing on screen can be trusted.
        this.known = {};
        this.screen = {};
        for (const e of this.view?.entities ?? []) this.dirty.add(e);
      }
      this.highestGlobal = globalRev;
    }
    for (const e of ENTITIES) {
      if (Number.isSafeInteger(revs?.[e])) this.known[e] = Math.max(this.known[e] ?? 0, revs[e]);
    }
    for (const e of this.view?.entities ?? []) {
      if (this.behind(e)) this.dirty.add(e);
    }
    this.schedule();
  }

  /** A refresh event: entity (or 'all') changed at global revision rev. */
  hint(entity, rev) {
    const entities = entity === 'all' ? ENTITIES : [entity];
    const hasRev = Number.isSafeInteger(rev);
    if (hasRev) this.highestGlobal = Math.max(this.highestGlobal, rev);
    for (const e of entities) {
      if (hasRev) this.known[e] = Math.max(this.known[e] ?? 0, rev);
      // An event without a revision cannot be compared: refetch to be safe.
      if (this.view?.entities?.includes(e) && (!hasRev || this.behind(e))) this.dirty.add(e);
    }
    this.schedule();
  }

  /** Our own mutation changed these entities: refetch them (throttled like any other refresh). */
  touch(entities) {
    for (const e of entities) {
      if (this.view?.entities?.includes(e)) this.dirty.add(e);
    }
    this.schedule();
  }

  setHidden(hidden) {
    this.hidden = hidden;
    if (hidden) this.timer.cancel();
    else this.schedule();
  }

  behind(e) {
    const k = this.known[e];
    if (k === undefined) return false;
    const s = this.screen[e];
    return s === undefined || k > s;
  }

  schedule() {
    if (this.hidden || this.inFlight || this.dirty.size === 0 || !this.view) return;
    const wait = this.lastStart === null ? 0 : this.lastStart + this.opts.throttleMs - this.clock.now();
    if (wait > 0) {
      if (!this.timer.pending) this.timer.start(wait, () => this.schedule());
      return;
    }
    this.run();
  }

  run() {
    this.timer.cancel();
    const view = this.view;
    const entities = new Set(this.dirty);
    this.dirty.clear();
    const targets = {};
    for (const e of entities) targets[e] = this.known[e];
    this.inFlight = true;
    this.lastStart = this.clock.now();
    this.opts.onRun?.(entities);
    let work;
    try {
      work = Promise.resolve(view.refresh(entities));
    } catch (err) {
      work = Promise.reject(err);
    }
    work
      .then(
        (listRevs) => {
          if (view !== this.view) return;
          for (const e of entities) {
            const candidates = [this.screen[e], targets[e], listRevs?.[e]].filter(Number.isFinite);
            if (candidates.length) this.screen[e] = Math.max(...candidates);
          }
        },
        () => {
          if (view !== this.view) return;
          for (const e of entities) this.dirty.add(e);
          this.lastStart = this.clock.now() + this.opts.failureRetryMs - this.opts.throttleMs;
        },
      )
      .finally(() => {
        if (view !== this.view) return;
        this.inFlight = false;
        this.schedule();
      });
  }
}
