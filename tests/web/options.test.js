import { test } from 'node:test';
import assert from 'node:assert/strict';
import { withDefaults } from '../../web/live/options.js';
import { Refresher, REFRESHER_DEFAULTS } from '../../web/live/refresher.js';
import { LiveConnection, CONNECTION_DEFAULTS } from '../../web/live/connection.js';
import { delay } from '../../web/live/backoff.js';
import { FakeClock, flush } from './fakes.js';

const DEFAULTS = Object.freeze({ waitMs: 500, key: 'k' });

test('an option given as undefined keeps its default; given values and extra keys are kept', () => {
  const clock = {};
  assert.deepEqual(withDefaults('T', DEFAULTS, { waitMs: undefined, key: undefined }), DEFAULTS);
  assert.deepEqual(withDefaults('T', DEFAULTS, { waitMs: 0, key: 'x', clock }), { waitMs: 0, key: 'x', clock });
  assert.deepEqual(withDefaults('T', DEFAULTS), DEFAULTS);
  assert.deepEqual(withDefaults('T', DEFAULTS, null), DEFAULTS);
});

test('the defaults object is never changed', () => {
  const defaults = { waitMs: 500 };
  withDefaults('T', defaults, { waitMs: 1 });
  assert.deepEqual(defaults, { waitMs: 500 });
});

test('a non-finite, negative or non-number tunable throws a clear error naming owner and option', () => {
  for (const bad of [Number.NaN, Infinity, -Infinity, -1, '500', null, true]) {
    assert.throws(() => withDefaults('Thing', DEFAULTS, { waitMs: bad }), (err) => {
      assert.ok(err instanceof Error);
      assert.match(err.message, /^Thing: option waitMs must be a finite number ≥ 0, not /);
      return true;
    }, `waitMs ${String(bad)}`);
  }
  assert.throws(() => withDefaults('Thing', DEFAULTS, { key: 5 }), /^Error: Thing: option key must be a string, not 5$/);
});

test('Refresher with throttleMs undefined throttles at the 500 ms default', async () => {
  const clock = new FakeClock();
  const r = new Refresher({ clock: clock.clock, throttleMs: undefined, failureRetryMs: undefined });
  assert.equal(r.opts.throttleMs, REFRESHER_DEFAULTS.throttleMs);
  assert.equal(r.opts.failureRetryMs, REFRESHER_DEFAULTS.failureRetryMs);
  const calls = [];
  r.setView({ entities: ['projects'], refresh: (set) => (calls.push([...set]), Promise.resolve({})) }, { projects: 1 });
  for (let rev = 2; rev <= 6; rev++) {
    r.hint('projects', rev);
    await flush();
    clock.advance(50);
  }
  assert.equal(calls.length, 1, 'one leading refetch; the rest wait for the window');
  clock.advance(249);
  await flush();
  assert.equal(calls.length, 1);
  clock.advance(1);
  await flush();
  assert.equal(calls.length, 2, 'one trailing refetch at 500 ms');
});

test('Refresher, LiveConnection and delay reject bad tunables when built, not later', () => {
  assert.throws(() => new Refresher({ throttleMs: Number.NaN }), /Refresher: option throttleMs/);
  assert.throws(() => new Refresher({ throttleMs: -1 }), /Refresher: option throttleMs/);
  assert.throws(() => new Refresher({ failureRetryMs: Infinity }), /Refresher: option failureRetryMs/);
  assert.throws(() => new LiveConnection({ pollIntervalMs: -5 }), /LiveConnection: option pollIntervalMs/);
  assert.throws(() => new LiveConnection({ capMs: Number.NaN }), /LiveConnection: option capMs/);
  assert.throws(() => delay(0, Math.random, { baseMs: -1 }), /delay: option baseMs/);
});

test('LiveConnection and delay keep their defaults for options given as undefined', () => {
  const c = new LiveConnection({ pollIntervalMs: undefined, baseMs: undefined, capMs: undefined, helloTimeoutMs: undefined });
  for (const key of Object.keys(CONNECTION_DEFAULTS)) assert.equal(c.opts[key], CONNECTION_DEFAULTS[key], key);
  assert.equal(delay(10, () => 0.999999, { baseMs: undefined, capMs: undefined }), 4999);
});
