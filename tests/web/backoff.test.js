import { test } from 'node:test';
import assert from 'node:assert/strict';
import { delay } from '../../web/live/backoff.js';

test('the ceiling doubles from 1 s and is capped at 5 s', () => {
  const top = () => 0.999999;
  assert.equal(delay(0, top), 999);
  assert.equal(delay(1, top), 1999);
  assert.equal(delay(2, top), 3999);
  assert.equal(delay(3, top), 4999);
  assert.equal(delay(50, top), 4999);
});

test('full jitter: random 0 means retry at once, 0.5 means half the ceiling', () => {
  assert.equal(delay(0, () => 0), 0);
  assert.equal(delay(5, () => 0), 0);
  assert.equal(delay(1, () => 0.5), 1000);
  assert.equal(delay(4, () => 0.5), 2500);
});

test('every delay stays within [0, min(cap, base·2^tries)) for many random draws', () => {
  let seed = 42;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  for (let tries = 0; tries < 10; tries++) {
    const ceiling = Math.min(5000, 1000 * 2 ** tries);
    for (let i = 0; i < 200; i++) {
      const d = delay(tries, rnd);
      assert.ok(d >= 0 && d < ceiling, `tries ${tries}: ${d}`);
    }
  }
});

test('tunable base and cap; bad inputs are clamped instead of producing NaN', () => {
  assert.equal(delay(2, () => 0.5, { baseMs: 10, capMs: 25 }), 12);
  assert.equal(delay(-3, () => 0.5), 500);
  assert.equal(delay(Number.NaN, () => 0.5), 500);
  assert.equal(delay(0, () => 7), 999);
  assert.equal(delay(0, () => Number.NaN), 0);
});
