// Two tabs against the real stack: edits show up live, with exactly the refetches they need,
// without disturbing what the user is typing, and data is never interpreted as HTML.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { SOURCE_DIR } from './stack.js';
import { sleep } from './browser.js';
import { stackAndBrowser } from './fixture.js';

const env = stackAndBrowser();

const url = (p) => `${env.stack.origin}${p}`;

/** Waits until the tab is live and its start-up catch-up is over. */
async function settled(tab) {
  await tab.waitPill('Live');
  await sleep(700);
}

test('an edit in one tab appears in the other without reload: one refetch there, none extra here', async () => {
  const p = await env.stack.api('POST', '/api/projects', { name: 'Apollo', owner: 'ann' });
  const a = await env.browser.tab(url('/'));
  const b = await env.browser.tab(url('/'));
  await Promise.all([settled(a), settled(b)]);
  await b.page.evaluate(() => (window.__noReload = true));

  const card = a.page.locator(`.card[data-id="${p.id}"]`);
  await card.getByRole('button', { name: /^Edit/ }).click();
  await card.locator('input[name=name]').fill('Apollo 11');
  const since = Date.now();
  await card.locator('input[name=name]').press('Enter');
  await a.page.waitForFunction((id) => document.querySelector(`.card[data-id="${id}"] .card-title`)?.textContent === 'Apollo 11', p.id);
  await b.page.waitForFunction((id) => document.querySelector(`.card[data-id="${id}"] .card-title`)?.textContent === 'Apollo 11', p.id, { timeout: 5000 });
  await sleep(1500); // well past the 500 ms throttle window: any extra refetch would show up

  assert.equal(await b.page.evaluate(() => window.__noReload), true, 'the other tab did not reload');
  assert.equal(b.count('/api/projects', since, 'GET'), 1, 'exactly one refetch in the other tab');
  assert.equal(a.count('/api/projects', since, 'PATCH'), 1);
  assert.equal(a.count('/api/projects', since, 'GET'), 0, 'no refetch in the editing tab');
  assert.ok(await b.page.locator(`.card[data-id="${p.id}"].flash`).count(), 'the changed row is highlighted');
  // No reload loop: once settled, neither tab asks for anything more.
  const quiet = Date.now();
  await sleep(2000);
  assert.equal(a.count('/api/', quiet) + b.count('/api/', quiet), 0, 'idle tabs stay idle');
  assert.equal(a.count('/', since, 'GET') - a.count('/api/', since, 'GET'), 0, 'no page reload in the editing tab');
  await a.page.close();
  await b.page.close();
});

test('typing in a form survives a refresh caused by another tab (value, focus, caret, scroll)', async () => {
  for (let i = 0; i < 12; i++) await env.stack.api('POST', '/api/projects', { name: `Filler ${i}` });
  const b = await env.browser.tab(url('/'));
  await settled(b);
  await b.page.getByRole('button', { name: 'New project' }).click();
  const input = b.page.locator('.create-box input[name=name]');
  await input.pressSequentially('Half typed');
  await input.press('ArrowLeft');
  await input.press('ArrowLeft');
  await b.page.evaluate(() => window.scrollTo(0, 120));
  const before = await b.page.evaluate(() => ({ y: window.scrollY, caret: document.activeElement.selectionStart }));

  const since = Date.now();
  const other = await env.stack.api('POST', '/api/projects', { name: 'Made elsewhere' });
  await b.page.waitForSelector(`.card[data-id="${other.id}"]`, { timeout: 5000 });
  const afterState = await b.page.evaluate(() => ({
    value: document.activeElement.value,
    name: document.activeElement.name,
    caret: document.activeElement.selectionStart,
    y: window.scrollY,
  }));
  assert.equal(b.count('/api/projects', since, 'GET'), 1);
  assert.deepEqual(afterState, { value: 'Half typed', name: 'name', caret: before.caret, y: before.y });
  await input.pressSequentially('!');
  assert.equal(await input.inputValue(), 'Half typ!ed', 'typing continues where the caret was');
  await b.page.close();
});

test('an edit form open on a row that changes underneath tells the user; saving asks before overwriting', async () => {
  const p = await env.stack.api('POST', '/api/projects', { name: 'Gemini', description: 'two seats' });
  const a = await env.browser.tab(url('/'));
  await settled(a);
  const card = a.page.locator(`.card[data-id="${p.id}"]`);
  await card.getByRole('button', { name: /^Edit/ }).click();
  await card.locator('textarea[name=description]').fill('my text');
  await env.stack.api('PATCH', `/api/projects/${p.id}`, { description: 'their text' }, [200], { 'If-Match': `"${p.rev}"` });
  await card.locator('.form-notice').waitFor({ timeout: 5000 });
  assert.equal(await card.locator('textarea[name=description]').inputValue(), 'my text', 'the form keeps my input');
  await card.getByRole('button', { name: 'Save' }).click();
  await card.getByRole('button', { name: 'Overwrite with mine' }).waitFor();
  assert.match(await card.locator('.form-error').textContent(), /newer version/);
  await card.getByRole('button', { name: 'Overwrite with mine' }).click();
  await card.locator('.card-desc').filter({ hasText: 'my text' }).waitFor();
  const row = await env.stack.api('GET', `/api/projects/${p.id}`);
  assert.equal(row.description, 'my text');
  await a.page.close();
});

test('invalid input shows the server\'s message beside the field', async () => {
  const a = await env.browser.tab(url('/'));
  await a.page.getByRole('button', { name: 'New project' }).click();
  await a.page.locator('.create-box input[name=name]').fill('');
  await a.page.getByRole('button', { name: 'Create project' }).click();
  const err = a.page.locator('.create-box .field-name .field-error');
  await err.waitFor();
  assert.ok((await err.textContent()).length > 0);
  assert.equal(await a.page.locator('.create-box input[name=name]').getAttribute('aria-invalid'), 'true');
  await a.page.close();
});

test('names like <img src=x onerror=alert(1)> render as text and no dialog fires', async () => {
  const evil = '<img src=x onerror=alert(1)>';
  const p = await env.stack.api('POST', '/api/projects', { name: evil, description: '<script>alert(2)</script>' });
  const s = await env.stack.api('POST', '/api/solutions', { name: evil, project_id: p.id });
  await env.stack.api('POST', '/api/subcomponents', { name: evil, solution_id: s.id, checklist: [{ label: evil, done: false }] });
  const a = await env.browser.tab(url(`/solutions/${s.id}`));
  await a.page.locator('.card-subcomponents .checklist-item label').waitFor();
  await a.page.goto(url(`/projects/${p.id}`));
  await a.page.locator('h1.card-title').waitFor();
  assert.equal(await a.page.locator('h1.card-title').textContent(), evil);
  await a.page.goto(url('/'));
  await a.page.locator(`.card[data-id="${p.id}"]`).waitFor();
  await sleep(300);
  assert.deepEqual(a.dialogs, []);
  assert.equal(await a.page.locator('main img, main script').count(), 0);
  await a.page.close();
});

test('projects → solutions with phase toggles → subcomponents with a checklist, deep links and back/forward', async () => {
  const p = await env.stack.api('POST', '/api/projects', { name: 'Artemis', owner: 'nasa', status: 'active', description: 'Back to the Moon' });
  const a = await env.browser.tab(url('/'));
  const b = await env.browser.tab(url(`/projects/${p.id}`));
  await Promise.all([settled(a), settled(b)]);

  await a.page.getByRole('link', { name: 'Artemis' }).click();
  await a.page.waitForURL(url(`/projects/${p.id}`));
  await a.page.getByRole('button', { name: 'New solution' }).click();
  await a.page.locator('.create-box input[name=name]').fill('Orion');
  await a.page.getByRole('button', { name: 'Create solution' }).click();
  const sol = a.page.locator('.card-solutions').filter({ hasText: 'Orion' });
  await sol.waitFor();
  await b.page.locator('.card-solutions').filter({ hasText: 'Orion' }).waitFor({ timeout: 5000 });

  // A phase toggle in one tab shows in the other.
  await sol.getByRole('checkbox', { name: /Deploy phase/ }).uncheck();
  await b.page.waitForFunction(() => document.querySelector('.card-solutions input[data-phase="deploy"]')?.checked === false, null, { timeout: 5000 });

  await sol.getByRole('link', { name: 'Orion' }).click();
  await a.page.locator('h1.card-title').filter({ hasText: 'Orion' }).waitFor();
  const solutionUrl = a.page.url();
  await a.page.getByRole('button', { name: 'New subcomponent' }).click();
  await a.page.locator('.create-box input[name=name]').fill('Heat shield');
  await a.page.getByRole('button', { name: 'Create subcomponent' }).click();
  const sub = a.page.locator('.card-subcomponents').filter({ hasText: 'Heat shield' });
  await sub.waitFor();
  for (const label of ['Design', 'Test', 'Fly']) {
    await sub.getByLabel('New checklist item').fill(label);
    await sub.getByLabel('New checklist item').press('Enter');
    await sub.locator('.checklist-item label').filter({ hasText: label }).waitFor();
  }
  const c = await env.browser.tab(solutionUrl); // a deep link straight to the solution page
  await settled(c);
  await sub.getByRole('checkbox', { name: 'Design' }).check();
  await c.page.waitForFunction(() => document.querySelector('.progress')?.textContent === '1 of 3 done', null, { timeout: 5000 });
  const since = Date.now();
  await sub.getByRole('button', { name: /Mark all items/ }).click();
  await c.page.waitForFunction(() => document.querySelector('.progress')?.textContent === '3 of 3 done', null, { timeout: 5000 });
  assert.equal(a.count('/api/subcomponents/', since, 'PUT'), 1, '"mark all done" is one bulk update');

  // Back and forward move between the views.
  await a.page.goBack();
  await a.page.locator('h1.card-title').filter({ hasText: 'Artemis' }).waitFor();
  await a.page.goBack();
  await a.page.locator('h1').filter({ hasText: 'Projects' }).waitFor();
  await a.page.goForward();
  await a.page.locator('h1.card-title').filter({ hasText: 'Artemis' }).waitFor();
  assert.equal(a.page.url(), url(`/projects/${p.id}`));

  // Deleting asks first; the other tab on that project learns it is gone.
  await a.page.locator('section.card').getByRole('button', { name: /^Delete/ }).click();
  await a.page.getByRole('dialog').getByRole('button', { name: 'Delete' }).click();
  await a.page.waitForURL(url('/'));
  await b.page.locator('h1').filter({ hasText: 'no longer exists' }).waitFor({ timeout: 5000 });
  await c.page.locator('h1').filter({ hasText: 'no longer exists' }).waitFor({ timeout: 5000 });
  for (const t of [a, b, c]) await t.page.close();
});

test('the pages run under the site\'s Content-Security-Policy with no violation; screenshot for the README', async () => {
  const p = await env.stack.api('POST', '/api/projects', { name: 'Mercury', owner: 'ops', status: 'done', description: 'First crewed flights' });
  const s = await env.stack.api('POST', '/api/solutions', { name: 'Capsule', project_id: p.id, status: 'active', description: 'One seat' });
  await env.stack.api('PUT', `/api/solutions/${s.id}/phases/deploy`, { enabled: false });
  await env.stack.api('POST', '/api/subcomponents', { name: 'Parachute', solution_id: s.id, owner: 'kim', status: 'active',
    checklist: [{ label: 'Drop test', done: true }, { label: 'Packing procedure', done: false }] });
  await env.stack.api('POST', '/api/subcomponents', { name: 'Retro rockets', solution_id: s.id, status: 'planned' });
  const a = await env.browser.tab(url(`/solutions/${s.id}`));
  await settled(a);
  const head = await env.stack.request('GET', '/');
  assert.match(head.headers['content-security-policy'] ?? '', /script-src 'self'/);
  for (const p2 of ['/', `/projects/${p.id}`]) {
    await a.page.goto(url(p2));
    await settled(a);
  }
  await a.page.goto(url(`/solutions/${s.id}`));
  await settled(a);
  assert.deepEqual(await a.cspViolations(), []);
  assert.deepEqual(a.errors, []);
  // LIVESYNC_SCREENSHOT=docs/screenshot.png refreshes the README's picture.
  const shot = process.env.LIVESYNC_SCREENSHOT;
  if (shot) await a.page.screenshot({ path: path.resolve(SOURCE_DIR, shot) });
  await a.page.close();
});
