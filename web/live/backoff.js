// Reconnect delay: exponential from baseMs, capped at capMs, with "full jitter" (a uniform pick in
// [0, ceiling)), so a thousand tabs that lost the same server do not come back in the same instant.
// Pure: the caller passes the random source, so tests can pin it.

import { withDefaults } from './options.js';

export const BACKOFF_DEFAULTS = Object.freeze({ baseMs: 1000, capMs: 5000 });

/**
 * Milliseconds to wait before attempt number `tries` (0 for the first retry after a failure).
 * `random` returns a number in [0, 1) like Math.random. The result is in [0, min(capMs, baseMs·2^tries)).
 * `options` may carry baseMs and capMs (other keys are ignored); a bad one throws (options.js).
 */
export function delay(tries, random = Math.random, options = {}) {
  const { baseMs, capMs } = withDefaults('delay', BACKOFF_DEFAULTS, options);
  const n = Math.max(0, Math.min(Math.floor(tries) || 0, 30));
  const ceiling = Math.min(capMs, baseMs * 2 ** n);
  const r = Math.min(Math.max(Number(random()) || 0, 0), 1 - Number.EPSILON);
  return Math.floor(r * ceiling);
}
