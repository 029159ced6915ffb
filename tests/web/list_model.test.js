// The long-list window: pages, and the merge of a `?since=` delta into what is on screen.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ListWindow, NO_FILTER, deltaUrl, firstPageUrl, isFiltered, listUrl, matches, nextPageUrl, sameFilter } from '../../web/app/list_model.js';

const row = (id, rev = 10, extra = {}) => ({ id, rev, name: `p${id}`, status: 'planned', ...extra });
const ids = (w) => w.rows.map((r) => r.id);

/** A window showing ids 90..81 (the first page of ids 1..90, newest first), at rev 100. */
function window10({ more = true } = {}) {
  const w = new ListWindow();
  const items = [];
  for (let id = 90; id > 80; id--) items.push(row(id));
  w.reset({ items, rev: 100, next: more ? 81 : null });
  return w;
}

test('a first page shows newest first and knows whether more exist', () => {
  const w = new ListWindow();
  w.reset({ items: [row(3), row(7), row(5)], rev: 4, next: 3 });
  assert.deepEqual(ids(w), [7, 5, 3]);
  assert.equal(w.rev, 4);
  assert.equal(w.more, true);
  w.reset({ items: [row(1)], rev: 5, next: null });
  assert.equal(w.more, false);
});

test('a further page appends below, skips rows already shown, and keeps the window revision', () => {
  const w = window10();
  const added = w.append({ items: [row(81), row(80), row(79)], rev: 120, next: 79 });
  assert.deepEqual(added.map((r) => r.id), [80, 79]);
  assert.deepEqual(ids(w).slice(-3), [81, 80, 79]);
  assert.equal(w.rev, 100, 'the next delta starts from the oldest revision on screen');
  assert.equal(w.next, 79);
  w.append({ items: [], rev: 120, next: null });
  assert.equal(w.more, false);
});

test('a changed row on screen is replaced in place', () => {
  const w = window10();
  const op = w.applyDelta({ items: [row(85, 101, { name: 'renamed' })], deleted: [], rev: 101 });
  assert.deepEqual(op.updated.map((r) => r.name), ['renamed']);
  assert.deepEqual(op.removed, []);
  assert.deepEqual(op.inserted, []);
  assert.equal(w.rows[5].name, 'renamed');
  assert.equal(w.rows.length, 10);
  assert.equal(w.rev, 101);
});

test('a deleted row leaves the screen; a deleted id not on screen changes nothing', () => {
  const w = window10();
  const op = w.applyDelta({ items: [], deleted: [88, 12, 500], rev: 102 });
  assert.deepEqual(op.removed, [88]);
  assert.equal(w.find(88), -1);
  assert.equal(w.rows.length, 9);
});

test('a row leaving the filter (listed in deleted while it still exists) leaves the screen', () => {
  const w = window10();
  const op = w.applyDelta({ items: [], deleted: [84], rev: 103 });
  assert.deepEqual(op.removed, [84]);
  assert.deepEqual(ids(w), [90, 89, 88, 87, 86, 85, 83, 82, 81]);
});

test('a new row above the top goes to the top', () => {
  const w = window10();
  const op = w.applyDelta({ items: [row(95, 104)], deleted: [], rev: 104 });
  assert.deepEqual(op.inserted, [{ row: row(95, 104), before: 90 }]);
  assert.equal(w.rows[0].id, 95);
});

test('a row inside the loaded range is inserted in order (e.g. one that entered the filter)', () => {
  const w = window10();
  w.applyDelta({ items: [], deleted: [86], rev: 101 });
  const op = w.applyDelta({ items: [row(86, 105)], deleted: [], rev: 105 });
  assert.deepEqual(op.inserted, [{ row: row(86, 105), before: 85 }]);
  assert.deepEqual(ids(w), [90, 89, 88, 87, 86, 85, 84, 83, 82, 81]);
});

test('a row below the loaded range is ignored while more pages exist, and shown when all are loaded', () => {
  const w = window10();
  let op = w.applyDelta({ items: [row(40, 106)], deleted: [], rev: 106 });
  assert.deepEqual(op.inserted, []);
  assert.equal(w.find(40), -1);
  assert.equal(w.rev, 106);

  const all = window10({ more: false });
  op = all.applyDelta({ items: [row(40, 106)], deleted: [], rev: 106 });
  assert.deepEqual(op.inserted, [{ row: row(40, 106), before: null }]);
  assert.equal(all.rows.at(-1).id, 40);
});

test('several inserts come bottom to top, each before a row already in place', () => {
  const w = window10();
  w.applyDelta({ items: [], deleted: [87, 83], rev: 101 });
  const op = w.applyDelta({ items: [row(99, 107), row(83, 107), row(87, 107)], deleted: [], rev: 107 });
  assert.deepEqual(op.inserted.map(({ row: r, before }) => [r.id, before]), [[83, 82], [87, 86], [99, 90]]);
  // Replaying the inserts on a copy of the old order gives the new order.
  const dom = [90, 89, 88, 86, 85, 84, 82, 81];
  for (const { row: r, before } of op.inserted) dom.splice(before === null ? dom.length : dom.indexOf(before), 0, r.id);
  assert.deepEqual(dom, ids(w));
});

test('reset asks for a reload and changes nothing', () => {
  const w = window10();
  assert.deepEqual(w.applyDelta({ reset: true, rev: 3 }), { reset: true });
  assert.equal(w.rev, 100);
  assert.equal(w.rows.length, 10);
});

test('a stale delta (rev not newer than the screen) is ignored', () => {
  const w = window10();
  assert.equal(w.applyDelta({ items: [row(85, 99, { name: 'old' })], deleted: [90], rev: 100 }), null);
  assert.equal(w.applyDelta({ items: [row(95, 90)], deleted: [], rev: 90 }), null);
  assert.equal(w.rows[5].name, 'p85');
  assert.equal(w.rows.length, 10);
  assert.equal(w.rev, 100);
});

test('applying the same delta twice changes nothing the second time, even under a newer rev', () => {
  const w = window10();
  const delta = { items: [row(85, 101, { name: 'x' }), row(95, 101)], deleted: [88], rev: 101 };
  const first = w.applyDelta(delta);
  assert.equal(first.updated.length + first.removed.length + first.inserted.length, 3);
  const snapshot = JSON.stringify(w.rows);
  assert.equal(w.applyDelta(delta), null);
  assert.deepEqual(w.applyDelta({ ...delta, rev: 102 }), { updated: [], removed: [], inserted: [] });
  assert.equal(JSON.stringify(w.rows), snapshot);
  assert.equal(w.rev, 102);
});

test('an older copy of a row never replaces a newer one on screen', () => {
  const w = window10();
  w.put(row(85, 130, { name: 'mine' }));
  const op = w.applyDelta({ items: [row(85, 120, { name: 'theirs, older' })], deleted: [], rev: 125 });
  assert.deepEqual(op.updated, []);
  assert.equal(w.rows[5].name, 'mine');
});

test('a malformed delta is an error, not a silent change', () => {
  const w = window10();
  assert.throws(() => w.applyDelta({ items: [] }), /malformed/);
  assert.throws(() => w.applyDelta({ rev: 200 }), /malformed/);
  assert.equal(w.rev, 100);
});

test('own creates and deletes: put places a row in order, remove takes it out', () => {
  const w = window10();
  assert.equal(w.put(row(91, 101)), 90);
  assert.equal(w.put(row(91, 101)), undefined, 'already there');
  w.remove(91);
  w.remove(91);
  assert.deepEqual(ids(w).slice(0, 2), [90, 89]);
});

test('list URLs carry every non-empty parameter in a stable order', () => {
  assert.equal(listUrl('projects', {}), '/api/projects');
  assert.equal(
    listUrl('solutions', { project_id: 3, status: '', q: 'a b&c', limit: 100, order: 'desc', after: null }),
    '/api/solutions?project_id=3&q=a+b%26c&limit=100&order=desc',
  );
});

test('the local filter check agrees with the server rules: exact status and owner, name contains in any ASCII case', () => {
  const r = { name: 'Apollo Eleven', status: 'active', owner: 'ann' };
  assert.equal(matches(r, {}), true);
  assert.equal(matches(r, { q: 'eLEV' }), true);
  assert.equal(matches(r, { q: 'gemini' }), false);
  assert.equal(matches(r, { status: 'done' }), false);
  assert.equal(matches(r, { owner: 'an' }), false);
  assert.equal(matches(r, { status: 'active', owner: 'ann', q: 'apollo' }), true);
  assert.equal(matches({ name: 'ÉCLAIR' }, { q: 'éclair' }), false, 'only ASCII letters fold, as on the server');
  assert.equal(matches({ name: 'ÉCLAIR' }, { q: 'Éclair' }), true);
});

test('the total comes with the first page and with each delta; a stale delta keeps it', () => {
  const w = new ListWindow();
  w.reset({ items: [row(3), row(2)], rev: 4, next: 2, total: 2500 });
  assert.equal(w.total, 2500);
  w.append({ items: [row(1)], rev: 9, next: null, total: 7 });
  assert.equal(w.total, 2500, 'a further page keeps the total of the window revision');
  w.applyDelta({ items: [row(4, 5)], deleted: [2], rev: 5, total: 2499 });
  assert.equal(w.total, 2499, 'the server counts what is not loaded too');
  w.applyDelta({ items: [], deleted: [], rev: 5, total: 1 });
  assert.equal(w.total, 2499, 'stale: ignored');
  w.applyDelta({ items: [], deleted: [], rev: 6 });
  assert.equal(w.total, 2499, 'a delta without a total keeps the known one');
  w.reset({ items: [], rev: 7, next: null });
  assert.equal(w.total, null, 'a server that sends no total: unknown');
  for (const bad of [-1, 1.5, '3', null]) {
    w.reset({ items: [], rev: 8, next: null, total: bad });
    assert.equal(w.total, null, `total ${JSON.stringify(bad)} is not a count`);
  }
});

test("this tab's own create and delete move the total until the next delta says it", () => {
  const w = window10();
  w.applyDelta({ items: [], deleted: [], rev: 101, total: 500 });
  w.put(row(91, 102));
  assert.equal(w.total, 501);
  w.put(row(91, 103)); // its own save: already counted
  assert.equal(w.total, 501);
  w.remove(85);
  w.remove(85);
  assert.equal(w.total, 500, 'one delete counts once');
  // The delta that brings the tab's own create again replaces the total, never adds to it.
  w.applyDelta({ items: [row(91, 102)], deleted: [85], rev: 103, total: 500 });
  assert.equal(w.total, 500);
  const unknown = new ListWindow();
  unknown.reset({ items: [row(1)], rev: 1, next: null });
  unknown.put(row(2));
  assert.equal(unknown.total, null);
});

test('a filter state maps to the list requests: parent, q, status, owner, then the page or since', () => {
  const scope = { project_id: 3, ...NO_FILTER };
  assert.equal(firstPageUrl('solutions', scope, 100), '/api/solutions?project_id=3&limit=100&order=desc&count=1');
  const projects = { q: 'Gear box', status: 'on_hold', owner: 'Ann B' };
  assert.equal(firstPageUrl('projects', projects, 100), '/api/projects?q=Gear+box&status=on_hold&owner=Ann+B&limit=100&order=desc&count=1');
  assert.equal(nextPageUrl('projects', projects, 100, 9041), '/api/projects?q=Gear+box&status=on_hold&owner=Ann+B&limit=100&order=desc&after=9041');
  assert.equal(deltaUrl('projects', projects, 77), '/api/projects?q=Gear+box&status=on_hold&owner=Ann+B&since=77&count=1');
  assert.equal(deltaUrl('projects', NO_FILTER, 0), '/api/projects?since=0&count=1');
  // The owner alone, exact: empty filters are left out, its value goes as it is, escaped.
  const owned = { solution_id: 8, ...NO_FILTER, owner: 'o&c=1 %' };
  assert.equal(firstPageUrl('subcomponents', owned, 50), '/api/subcomponents?solution_id=8&owner=o%26c%3D1+%25&limit=50&order=desc&count=1');
  assert.equal(new URL(firstPageUrl('subcomponents', owned, 50), 'https://x').searchParams.get('owner'), 'o&c=1 %');
});

test('filter states compare by what they ask; any non-empty filter narrows the list', () => {
  assert.equal(sameFilter(NO_FILTER, { q: '', status: '' }), true, 'a missing owner is any owner');
  assert.equal(sameFilter({ ...NO_FILTER, owner: 'ann' }, NO_FILTER), false);
  assert.equal(sameFilter({ q: 'a', status: 'done', owner: 'b' }, { owner: 'b', status: 'done', q: 'a' }), true);
  assert.equal(sameFilter({ ...NO_FILTER, q: 'a' }, { ...NO_FILTER, owner: 'a' }), false);
  assert.equal(isFiltered(NO_FILTER), false);
  for (const k of ['q', 'status', 'owner']) assert.equal(isFiltered({ ...NO_FILTER, [k]: 'x' }), true, k);
});
