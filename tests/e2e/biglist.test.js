// A list of 20,000 projects in Chromium against the real stack: the first page shows at once
// (newest first) with the number of matching rows, scrolling loads more, search, the status and
// the owner filter ask the server, and outside changes arrive as small `?since=` deltas patched in
// place (the count with them) without disturbing an open form.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tab, sleep } from './browser.js';
import { stackAndBrowser } from './fixture.js';

const env = stackAndBrowser();
const url = (p) => `${env.stack.origin}${p}`;

const TOTAL = 20000;
const STATUSES = ['planned', 'active', 'on_hold', 'done'];
const NEEDLE_EVERY = 1000; // every 1000th project has "Needle" in its name: 20 of them
const OWNERS = 7; // project i is owned by `owner${i % 7}`

/** How many of the imported projects `keep(i)` holds for. */
const imports = (keep) => {
  let n = 0;
  for (let i = 1; i <= TOTAL; i++) if (keep(i)) n++;
  return n;
};
/** The count as the list heading shows it: "(20,000)". */
const shown = (n) => `(${n.toLocaleString('en-US')})`;

// Imported once, by the first test that needs it (the fixture's stack is up by then).
let imported = null;
const importOnce = () => (imported ??= importProjects());

async function importProjects() {
  const lines = ['name,status,owner'];
  for (let i = 1; i <= TOTAL; i++) {
    const name = i % NEEDLE_EVERY === 0 ? `Needle ${i}` : `Bulk ${i}`;
    lines.push(`${name},${STATUSES[i % 4]},owner${i % OWNERS}`);
  }
  const csv = `${lines.join('\n')}\n`;
  // The import goes through the browser: same origin, text/csv, as the import dialog sends it.
  const page = await env.browser.context.newPage();
  await page.goto(url('/api/health'));
  const res = await page.evaluate(async (text) => {
    const r = await fetch('/api/import/projects', { method: 'POST', headers: { 'Content-Type': 'text/csv' }, body: text });
    return { status: r.status, body: await r.json() };
  }, csv);
  await page.close();
  assert.equal(res.status, 200, JSON.stringify(res.body));
  assert.equal(res.body.created, TOTAL);
}

/** Opens a tab on `path` that records every /api/projects response (query and body text). */
async function openList(path = '/') {
  await importOnce();
  const page = await env.browser.context.newPage();
  const tab = new Tab(page);
  tab.lists = [];
  page.on('response', async (r) => {
    const u = new URL(r.url());
    if (u.pathname !== '/api/projects') return;
    const entry = { params: u.searchParams, status: r.status(), at: Date.now(), body: null };
    tab.lists.push(entry);
    entry.body = await r.text().catch(() => '');
  });
  tab.openedAt = Date.now();
  await page.goto(url(path));
  return tab;
}

/** The body text of a recorded response, once read. */
async function bodyOf(entry) {
  while (entry.body === null) await sleep(10);
  return entry.body;
}

const cardIds = (tab) => tab.page.locator('.list-projects .cards > li').evaluateAll((lis) => lis.map((li) => Number(li.dataset.id)));

async function settled(tab) {
  await tab.waitPill('Live');
  await sleep(700);
}

function assertNewestFirst(ids) {
  for (let i = 1; i < ids.length; i++) assert.ok(ids[i - 1] > ids[i], `ids descend at ${i}: ${ids[i - 1]} then ${ids[i]}`);
}

test('the first page shows at once, newest first, and is a page, not 20,000 rows', async () => {
  await importOnce();
  const top = (await env.stack.api('GET', '/api/projects?limit=1&order=desc')).items[0];
  const a = await openList('/');
  await a.page.locator('.list-projects .cards > li').nth(99).waitFor({ timeout: 10000 });
  const shownAfter = Date.now() - a.openedAt;
  const ids = await cardIds(a);
  assert.equal(ids.length, 100);
  assert.equal(ids[0], top.id, 'the newest project is at the top');
  assertNewestFirst(ids);
  const first = a.lists[0];
  assert.equal(first.params.get('limit'), '100');
  assert.equal(first.params.get('order'), 'desc');
  assert.equal(first.params.get('count'), '1');
  const body = JSON.parse(await bodyOf(first));
  assert.equal(body.items.length, 100);
  assert.notEqual(body.next, null);
  assert.equal(body.total, TOTAL);
  assert.ok(first.body.length < 64 * 1024, `the first response is small (${first.body.length} bytes)`);
  assert.ok(shownAfter < 5000, `first rows shown after ${shownAfter} ms`);
  assert.equal(await a.page.locator('.list-projects .count').textContent(), shown(TOTAL), 'the real number from the first page on');
  assert.match(await a.page.locator('.list-projects .list-summary').textContent(), /newest 100 of 20,000 projects/);
  await a.page.close();
});

test('scrolling to the end loads the next pages', async () => {
  const a = await openList('/');
  await a.page.locator('.list-projects .cards > li').nth(99).waitFor();
  await a.page.locator('.list-projects .cards > li').nth(99).scrollIntoViewIfNeeded();
  await a.page.locator('.list-projects .cards > li').nth(199).waitFor({ timeout: 5000 });
  await a.page.mouse.wheel(0, 1e6);
  await a.page.locator('.list-projects .cards > li').nth(299).waitFor({ timeout: 5000 });
  const ids = await cardIds(a);
  assertNewestFirst(ids);
  assert.equal(new Set(ids).size, ids.length, 'no row twice');
  const pages = a.lists.filter((e) => e.params.has('after'));
  assert.ok(pages.length >= 2, 'further pages were asked with after=');
  for (const p of pages) assert.equal(p.params.get('limit'), '100');
  await a.page.close();
});

test('search asks the server (q=) and shows only matching rows; clearing it brings all back', async () => {
  const a = await openList('/');
  await a.page.locator('.list-projects .cards > li').nth(99).waitFor();
  await a.page.locator('.list-projects input[name=q]').fill('nEEdle');
  await a.page.waitForFunction((n) => document.querySelectorAll('.list-projects .cards > li').length === n, TOTAL / NEEDLE_EVERY, { timeout: 5000 });
  const titles = await a.page.locator('.list-projects .card-title').allTextContents();
  assert.ok(titles.every((t) => t.startsWith('Needle ')), titles.join(', '));
  assertNewestFirst(await cardIds(a));
  assert.ok(a.lists.some((e) => e.params.get('q') === 'nEEdle'));
  assert.match(await a.page.locator('.list-projects .list-summary').textContent(), /20 projects match, all shown/);
  assert.equal(await a.page.locator('.list-projects .count').textContent(), shown(TOTAL / NEEDLE_EVERY));
  assert.equal(await a.page.locator('.list-projects button.more').isHidden(), true);

  await a.page.locator('.list-projects input[name=q]').fill('no such name anywhere');
  await a.page.locator('.list-projects .list-state .empty').filter({ hasText: 'No projects match' }).waitFor({ timeout: 5000 });
  await a.page.locator('.list-projects input[name=q]').fill('');
  await a.page.locator('.list-projects .cards > li').nth(99).waitFor({ timeout: 5000 });
  await a.page.close();
});

test('the status filter asks the server (status=) and pages within it', async () => {
  const a = await openList('/');
  await a.page.locator('.list-projects .cards > li').nth(99).waitFor();
  await a.page.locator('.list-projects select[name=status]').selectOption('done');
  await a.page.waitForFunction(() => {
    const badges = [...document.querySelectorAll('.list-projects .cards > li .badge')];
    return badges.length === 100 && badges.every((b) => b.dataset.status === 'done');
  }, null, { timeout: 5000 });
  assert.ok(a.lists.some((e) => e.params.get('status') === 'done' && e.params.get('limit') === '100'));
  await a.page.waitForFunction((text) => document.querySelector('.list-projects .count').textContent === text, shown(imports((i) => STATUSES[i % 4] === 'done')), { timeout: 5000 });
  await a.page.mouse.wheel(0, 1e6);
  await a.page.locator('.list-projects .cards > li').nth(199).waitFor({ timeout: 5000 });
  const statuses = await a.page.locator('.list-projects .cards > li .badge').evaluateAll((bs) => bs.map((b) => b.dataset.status));
  assert.ok(statuses.every((s) => s === 'done'));
  assert.ok(a.lists.some((e) => e.params.get('status') === 'done' && e.params.has('after')));
  await a.page.close();
});

test('the owner filter shows only that owner\'s rows (exact), combines with status and search, and its count follows outside changes', async () => {
  const a = await openList('/');
  await a.page.locator('.list-projects .cards > li').nth(99).waitFor();
  const count = () => a.page.locator('.list-projects .count').textContent();
  const countIs = (n) => a.page.waitForFunction((text) => document.querySelector('.list-projects .count').textContent === text, shown(n), { timeout: 5000 });
  const owner = a.page.locator('.list-projects input[name=owner]');
  const owned = (name) => a.page.locator('.list-projects .cards > li .card-meta').evaluateAll(
    (ps, n) => ps.every((p) => p.textContent.split(' · ').includes(`Owner: ${n}`)), name);

  // Typing is debounced like the search: one request for the whole word.
  await owner.pressSequentially('owner3', { delay: 20 });
  const byOwner = imports((i) => i % OWNERS === 3);
  await countIs(byOwner);
  await a.page.waitForFunction(() => document.querySelectorAll('.list-projects .cards > li').length === 100);
  assert.ok(await owned('owner3'), 'every card is owner3\'s');
  assertNewestFirst(await cardIds(a));
  const asked = a.lists.filter((e) => e.params.has('owner') && !e.params.has('since'));
  assert.deepEqual(asked.map((e) => e.params.get('owner')), ['owner3'], 'one request, after the typing');
  assert.equal(asked[0].params.get('count'), '1');
  assert.match(await a.page.locator('.list-projects .list-summary').textContent(), new RegExp(`newest 100 of ${byOwner.toLocaleString('en-US')} projects that match`));

  // With the status filter and the search: all three go to the server together.
  await a.page.locator('.list-projects select[name=status]').selectOption('done');
  const doneOwned = imports((i) => i % OWNERS === 3 && STATUSES[i % 4] === 'done');
  await countIs(doneOwned);
  assert.ok(await owned('owner3'));
  await a.page.locator('.list-projects input[name=q]').fill('bulk 19');
  const searched = imports((i) => i % OWNERS === 3 && STATUSES[i % 4] === 'done' && i % NEEDLE_EVERY !== 0 && String(i).startsWith('19'));
  assert.ok(searched > 0 && searched < doneOwned);
  await countIs(searched);
  assert.ok(await owned('owner3'));
  assert.ok(a.lists.some((e) => e.params.get('owner') === 'owner3' && e.params.get('status') === 'done' && e.params.get('q') === 'bulk 19'));
  await a.page.locator('.list-projects input[name=q]').fill('');
  await countIs(doneOwned);
  await settled(a);

  // Outside changes: the count moves with each delta, and only the owner's rows show.
  let since = Date.now();
  const mine = await env.stack.api('POST', '/api/projects', { name: 'Owned outside', owner: 'owner3', status: 'done' });
  await a.page.waitForFunction((id) => document.querySelector('.list-projects .cards > li')?.dataset.id === String(id), mine.id, { timeout: 5000 });
  await countIs(doneOwned + 1);
  await sleep(600);
  const other = await env.stack.api('POST', '/api/projects', { name: 'Someone else\'s', owner: 'owner33', status: 'done' });
  await sleep(600);
  await env.stack.api('DELETE', `/api/projects/${(await cardIds(a))[1]}`, undefined, [204]);
  await countIs(doneOwned);
  assert.equal(await a.page.locator(`.card[data-id="${other.id}"]`).count(), 0, 'another owner\'s row never shows');
  assert.ok(await owned('owner3'));
  const deltas = a.lists.filter((e) => e.at >= since);
  assert.ok(deltas.length >= 2 && deltas.every((e) => e.params.has('since') && e.params.get('owner') === 'owner3' && e.params.get('count') === '1'));

  // Exact: a prefix of an owner is no owner.
  await owner.fill('owner');
  await a.page.locator('.list-projects .list-state .empty').filter({ hasText: 'No projects match' }).waitFor({ timeout: 5000 });
  assert.equal(await count(), shown(0));
  await env.stack.api('DELETE', `/api/projects/${mine.id}`, undefined, [204]);
  await env.stack.api('DELETE', `/api/projects/${other.id}`, undefined, [204]);
  assert.deepEqual(a.errors, []);
  await a.page.close();
});

test('outside edit, create and delete arrive as small deltas, in place, without disturbing an open form', async () => {
  const a = await openList('/');
  await a.page.locator('.list-projects .cards > li').nth(99).waitFor();
  await settled(a);
  const ids = await cardIds(a);
  const [editedId, typedId, deletedId] = [ids[4], ids[6], ids[8]];

  // Open an edit form on a row and type into it, caret in the middle.
  const typed = a.page.locator(`.card[data-id="${typedId}"]`);
  await typed.getByRole('button', { name: /^Edit/ }).click();
  const input = typed.locator('input[name=name]');
  await input.fill('');
  await input.pressSequentially('Half typed');
  await input.press('ArrowLeft');
  await input.press('ArrowLeft');
  const formTop = () => a.page.evaluate((id) => document.querySelector(`.card[data-id="${id}"] form`).getBoundingClientRect().top, typedId);
  const before = { top: await formTop(), caret: await input.evaluate((el) => el.selectionStart) };

  // An outside edit of a row on screen: patched in place, highlighted, from a small delta.
  let since = Date.now();
  await env.stack.api('PATCH', `/api/projects/${editedId}`, { name: 'Edited outside' });
  await a.page.waitForFunction((id) => document.querySelector(`.card[data-id="${id}"] .card-title`)?.textContent === 'Edited outside', editedId, { timeout: 5000 });
  assert.equal(await a.page.locator(`.card[data-id="${editedId}"].flash`).count(), 1, 'the changed row is highlighted');
  const delta = a.lists.find((e) => e.at >= since && e.params.has('since'));
  assert.ok(delta, 'the refresh asked ?since=');
  const deltaText = await bodyOf(delta);
  assert.ok(deltaText.length < 2048, `the delta is small (${deltaText.length} bytes)`);
  assert.equal(JSON.parse(deltaText).items.length, 1);
  assert.equal(a.lists.filter((e) => e.at >= since && !e.params.has('since')).length, 0, 'no full list refetched');
  assert.deepEqual((await cardIds(a)).length, 100, 'still one page on screen');

  // An outside create appears at the top, and counts.
  const total = (await env.stack.api('GET', '/api/projects?limit=1&count=1')).total;
  assert.equal(await a.page.locator('.list-projects .count').textContent(), shown(total));
  await sleep(600); // past the refresh throttle window, so each change is its own delta
  since = Date.now();
  const created = await env.stack.api('POST', '/api/projects', { name: 'Created outside' });
  await a.page.waitForFunction((id) => document.querySelector('.list-projects .cards > li')?.dataset.id === String(id), created.id, { timeout: 5000 });
  assert.equal(await a.page.locator(`.card[data-id="${created.id}"].flash`).count(), 1);
  assert.equal(await a.page.locator('.list-projects .count').textContent(), shown(total + 1));

  // An outside delete disappears, and counts.
  await sleep(600);
  await env.stack.api('DELETE', `/api/projects/${deletedId}`, undefined, [204]);
  await a.page.locator(`.card[data-id="${deletedId}"]`).waitFor({ state: 'detached', timeout: 5000 });
  assert.equal(await a.page.locator('.list-projects .count').textContent(), shown(total));
  assert.ok(a.lists.filter((e) => e.at >= since).every((e) => e.params.has('since')), 'only deltas');

  // The form survived all of it: value, focus, caret, and where it is on screen.
  const after = await a.page.evaluate(() => ({
    value: document.activeElement.value,
    name: document.activeElement.name,
    caret: document.activeElement.selectionStart,
  }));
  assert.deepEqual(after, { value: 'Half typed', name: 'name', caret: before.caret });
  const moved = (await formTop()) - before.top;
  assert.ok(Math.abs(moved) < 1, `the form did not move on screen (${moved} px)`);
  await input.pressSequentially('!');
  assert.equal(await input.inputValue(), 'Half typ!ed', 'typing continues where the caret was');

  // The row under edit changed outside: the form says so and keeps the typing.
  await sleep(600);
  await env.stack.api('PATCH', `/api/projects/${typedId}`, { description: 'changed meanwhile' });
  await typed.locator('.form-notice').waitFor({ timeout: 5000 });
  assert.equal(await input.inputValue(), 'Half typ!ed');
  assert.deepEqual(a.errors, []);
  await a.page.close();
});

test('a delta respects the filter on screen: a row leaving it disappears, one entering it appears', async () => {
  const a = await openList('/');
  await a.page.locator('.list-projects .cards > li').nth(99).waitFor();
  await a.page.locator('.list-projects input[name=q]').fill('needle');
  await a.page.waitForFunction((n) => document.querySelectorAll('.list-projects .cards > li').length === n, TOTAL / NEEDLE_EVERY, { timeout: 5000 });
  await settled(a);
  const ids = await cardIds(a);
  const since = Date.now();
  await env.stack.api('PATCH', `/api/projects/${ids[3]}`, { name: 'Haystack now' });
  await a.page.locator(`.card[data-id="${ids[3]}"]`).waitFor({ state: 'detached', timeout: 5000 });
  await sleep(600);
  const entering = ids[3] - 1; // a Bulk row between two needles: inside the loaded range
  await env.stack.api('PATCH', `/api/projects/${entering}`, { name: 'Needle in the middle' });
  await a.page.locator(`.card[data-id="${entering}"]`).waitFor({ timeout: 5000 });
  const now = await cardIds(a);
  assertNewestFirst(now);
  assert.equal(now.indexOf(entering), 3, 'inserted at its place');
  const deltas = a.lists.filter((e) => e.at >= since);
  assert.ok(deltas.length >= 2 && deltas.every((e) => e.params.has('since') && e.params.get('q') === 'needle'));
  await a.page.close();
});
