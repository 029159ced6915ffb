// Who last changed a row, in words: the card's line and the 412 conflict sentence.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relativeTime, changedByLine, changer, newerVersionBy } from '../../web/app/changed_by.js';

const NOW = Date.parse('2026-12-06T12:00:00.000Z');
const ago = (ms) => new Date(NOW - ms).toISOString();
const MIN = 60_000;
const format = (iso) => `<${iso}>`;

test('relative times count whole minutes, hours and days, and never a time ahead', () => {
  assert.equal(relativeTime(ago(0), NOW), 'just now');
  assert.equal(relativeTime(ago(59_999), NOW), 'just now');
  assert.equal(relativeTime(ago(-5_000), NOW), 'just now'); // the client's clock is behind
  assert.equal(relativeTime(ago(MIN), NOW), '1 min ago');
  assert.equal(relativeTime(ago(2 * MIN + 30_000), NOW), '2 min ago');
  assert.equal(relativeTime(ago(59 * MIN), NOW), '59 min ago');
  assert.equal(relativeTime(ago(60 * MIN), NOW), '1 h ago');
  assert.equal(relativeTime(ago(23 * 60 * MIN), NOW), '23 h ago');
  assert.equal(relativeTime(ago(24 * 60 * MIN), NOW), '1 day ago');
  assert.equal(relativeTime(ago(3 * 24 * 60 * MIN), NOW), '3 days ago');
  assert.equal(relativeTime('not a time', NOW), '');
  assert.equal(relativeTime(undefined, NOW), '');
});

test('a row names who changed it only when the host authenticated someone', () => {
  const at = '2026-12-06T11:58:00.000Z';
  assert.equal(changedByLine({ updated_at: at, updated_by: 'alice' }, format), `Changed by alice at <${at}>`);
  // An open site: the line stays as it was.
  assert.equal(changedByLine({ updated_at: at, updated_by: '' }, format), `Updated <${at}>`);
  assert.equal(changedByLine({ updated_at: at }, format), `Updated <${at}>`);
  assert.equal(changedByLine({ updated_at: at, updated_by: 'alice' }, () => ''), '');
  assert.equal(changedByLine({ updated_by: 'alice' }, format), '');
});

test('the user name is passed through as it is: the caller renders it as text', () => {
  const row = { updated_at: ago(2 * MIN), updated_by: '<b>eve</b> & co' };
  assert.equal(changedByLine(row, format), `Changed by <b>eve</b> & co at <${row.updated_at}>`);
  assert.equal(newerVersionBy(row, 'project', NOW), '<b>eve</b> & co saved a newer version 2 min ago');
  assert.equal(changer(row), '<b>eve</b> & co');
});

test('the conflict sentence names the user and when, or keeps the open wording', () => {
  assert.equal(
    newerVersionBy({ updated_at: ago(2 * MIN), updated_by: 'alice' }, 'project', NOW),
    'alice saved a newer version 2 min ago',
  );
  assert.equal(
    newerVersionBy({ updated_at: 'garbled', updated_by: 'alice' }, 'project', NOW),
    'alice saved a newer version',
  );
  for (const row of [{ updated_at: ago(MIN), updated_by: '' }, { updated_at: ago(MIN) }, undefined]) {
    assert.equal(
      newerVersionBy(row, 'solution', NOW),
      'Someone else saved a newer version of this solution while you were editing',
    );
  }
  assert.equal(changer({ updated_by: '' }), 'Someone else');
  assert.equal(changer({ updated_by: 'bob' }), 'bob');
});
