import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Timer } from '../../web/live/timer.js';
import { FakeClock } from './fakes.js';

test('a timer fires once, after its delay', () => {
  const c = new FakeClock();
  const t = new Timer(c.clock);
  let n = 0;
  t.start(100, () => n++);
  assert.equal(t.pending, true);
  c.advance(99);
  assert.equal(n, 0);
  c.advance(1);
  assert.equal(n, 1);
  assert.equal(t.pending, false);
  c.advance(1000);
  assert.equal(n, 1);
});

test('start replaces the pending callback and cancel drops it', () => {
  const c = new FakeClock();
  const t = new Timer(c.clock);
  const log = [];
  t.start(100, () => log.push('a'));
  t.start(50, () => log.push('b'));
  c.advance(200);
  assert.deepEqual(log, ['b']);
  t.start(10, () => log.push('c'));
  t.cancel();
  c.advance(100);
  assert.deepEqual(log, ['b']);
});
