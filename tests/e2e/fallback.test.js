// The transport fallbacks against the real stack, with nginx refusing /ws (and /events) in a
// modified copy of the site config: WebSocket → SSE → polling, each still delivering changes.
// The URL knobs live_base_ms/live_cap_ms shrink the backoff and live_poll_ms the poll interval
// (documented in docs/web.md), so the suite does not sit through 30 s timers; the defaults are
// covered by the unit tests.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { Stack } from './stack.js';
import { Browser, sleep } from './browser.js';

const stacks = [];
let browser;

after(async () => {
  await browser?.close();
  for (const s of stacks) await s.stop();
});

async function setup(block) {
  const stack = await new Stack({ block }).start();
  stacks.push(stack);
  browser ??= await Browser.launch();
  return stack;
}

test('with /ws refused by the proxy the client switches to SSE, is live and gets changes', async () => {
  const stack = await setup(['ws']);
  const p = await stack.api('POST', '/api/projects', { name: 'Before' });
  const t = await browser.tab(`${stack.origin}/?live_base_ms=100&live_cap_ms=200`);
  await t.waitPill('Live', 20000);
  assert.equal(await t.page.evaluate(() => window.livesync.connection.mode), 'sse');
  assert.equal(t.sockets.length, 5, 'five WebSocket tries, then SSE');
  assert.equal(await t.page.evaluate(() => sessionStorage.getItem('livesync.transport')), 'sse');
  await sleep(700);
  const since = Date.now();
  await stack.api('PATCH', `/api/projects/${p.id}`, { name: 'After' });
  await t.page.locator(`.card[data-id="${p.id}"] .card-title`).filter({ hasText: 'After' }).waitFor({ timeout: 5000 });
  await sleep(800);
  assert.equal(t.count('/api/projects', since, 'GET'), 1);

  // The fallback is remembered for the session: a reload goes straight to SSE.
  const reloadAt = Date.now();
  await t.page.reload();
  await t.waitPill('Live');
  assert.equal(t.sockets.filter((s) => s.at >= reloadAt).length, 0);
  await t.page.close();
});

test('with /ws and /events refused it polls /api/revisions and shows changes', async () => {
  const stack = await setup(['ws', 'events']);
  const p = await stack.api('POST', '/api/projects', { name: 'Polled' });
  const t = await browser.tab(`${stack.origin}/?live_base_ms=100&live_cap_ms=200&live_poll_ms=2000&live_retry_ms=600000`);
  await t.waitPill('Polling', 20000);
  assert.equal(await t.page.evaluate(() => sessionStorage.getItem('livesync.transport')), 'poll');
  await stack.api('PATCH', `/api/projects/${p.id}`, { name: 'Polled and changed' });
  const started = Date.now();
  await t.page.locator(`.card[data-id="${p.id}"] .card-title`).filter({ hasText: 'Polled and changed' }).waitFor({ timeout: 30000 });
  assert.ok(Date.now() - started < 30000);
  const since = Date.now();
  await sleep(4500);
  const polls = t.count('/api/revisions', since);
  assert.ok(polls >= 2 && polls <= 3, `polls every 2 s: ${polls} in 4.5 s`);
  assert.equal(t.count('/api/projects', since, 'GET'), 0, 'nothing changed, nothing refetched');
  await t.page.close();
});

test('from polling it returns to live once the proxy lets WebSockets through again', async () => {
  const stack = await setup([]);
  const t = await browser.tab(`${stack.origin}/api/health`);
  await t.page.evaluate(() => sessionStorage.setItem('livesync.transport', 'poll'));
  await t.page.goto(`${stack.origin}/?live_retry_ms=1000`);
  await t.waitPill('Polling');
  await t.waitPill('Live', 10000);
  assert.equal(await t.page.evaluate(() => window.livesync.connection.mode), 'ws');
  assert.equal(await t.page.evaluate(() => sessionStorage.getItem('livesync.transport')), null);
  await t.page.close();
});
