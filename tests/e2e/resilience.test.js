// Recovery against the real stack: the daemon killed and restarted, a graceful daemon restart,
// the network going offline and online (DevTools protocol), and a hidden tab.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from './browser.js';
import { stackAndBrowser } from './fixture.js';

const env = stackAndBrowser();

const title = (t, id, text) =>
  t.page.locator(`.card[data-id="${id}"] .card-title`).filter({ hasText: text }).waitFor({ timeout: 10000 });

test('daemon killed: Reconnecting…, then Live after restart, and changes made meanwhile appear', async () => {
  const p = await env.stack.api('POST', '/api/projects', { name: 'Steady' });
  const t = await env.browser.tab(`${env.stack.origin}/`);
  await t.waitPill('Live');
  await t.page.evaluate(() => (window.__noReload = true));
  await env.stack.kill('wsd', 'SIGKILL');
  await t.waitPill('Reconnecting…', 5000);
  await env.stack.api('PATCH', `/api/projects/${p.id}`, { name: 'Changed while the daemon was down' });
  const extra = await env.stack.api('POST', '/api/projects', { name: 'Created while down' });
  await sleep(1000);
  await env.stack.startDaemon();
  await t.waitPill('Live', 15000);
  await title(t, p.id, 'Changed while the daemon was down');
  await title(t, extra.id, 'Created while down');
  assert.equal(await t.page.evaluate(() => window.__noReload), true);
  await t.page.close();
});

test('daemon stopped gracefully: the client honours its reconnect message and comes back', async () => {
  const p = await env.stack.api('POST', '/api/projects', { name: 'Graceful' });
  const t = await env.browser.tab(`${env.stack.origin}/`);
  await t.waitPill('Live');
  const since = Date.now();
  await env.stack.kill('wsd', 'SIGTERM');
  await t.waitPill('Reconnecting…', 10000);
  await env.stack.api('PATCH', `/api/projects/${p.id}`, { name: 'Graceful, changed' });
  await env.stack.startDaemon();
  await t.waitPill('Live', 15000);
  await title(t, p.id, 'Graceful, changed');
  assert.ok(t.sockets.filter((s) => s.at >= since).length >= 1);
  await t.page.close();
});

test('offline then online (DevTools network emulation) recovers and catches up', async () => {
  const p = await env.stack.api('POST', '/api/projects', { name: 'Networked' });
  const t = await env.browser.tab(`${env.stack.origin}/`);
  await t.waitPill('Live');
  await env.browser.context.setOffline(true);
  try {
    await t.waitPill('Offline', 5000);
    const since = Date.now();
    await env.stack.api('PATCH', `/api/projects/${p.id}`, { name: 'Changed while offline' });
    await sleep(2500);
    assert.equal(t.sockets.filter((s) => s.at >= since).length, 0, 'no attempts while offline');
  } finally {
    await env.browser.context.setOffline(false);
  }
  await t.waitPill('Live', 5000);
  await title(t, p.id, 'Changed while offline');
  await t.page.close();
});

test('a hidden tab makes no connection attempts; it connects and catches up when shown', async () => {
  const p = await env.stack.api('POST', '/api/projects', { name: 'Unseen' });
  const t = await env.browser.tab(`${env.stack.origin}/`, { hidden: true });
  await t.page.locator(`.card[data-id="${p.id}"]`).waitFor();
  await sleep(3000);
  assert.equal(t.attempts(), 0, 'nothing while hidden');
  await env.stack.api('PATCH', `/api/projects/${p.id}`, { name: 'Seen at last' });
  const shownAt = Date.now();
  await t.setHidden(false);
  await t.waitPill('Live', 5000);
  assert.ok(t.sockets[0].at - shownAt < 800, 'connects at once when shown');
  await title(t, p.id, 'Seen at last');

  // Live and then hidden: refreshes wait; a lost connection is not retried until visible.
  await t.setHidden(true);
  let since = Date.now();
  await env.stack.api('PATCH', `/api/projects/${p.id}`, { name: 'Changed while hidden' });
  await sleep(1000);
  assert.equal(t.count('/api/projects', since, 'GET'), 0, 'no refetch while hidden');
  await env.stack.kill('wsd', 'SIGKILL');
  since = Date.now();
  await sleep(4000);
  assert.equal(t.attempts(since), 0, 'no reconnect attempts while hidden');
  await env.stack.startDaemon();
  await t.setHidden(false);
  await t.waitPill('Live', 5000);
  await title(t, p.id, 'Changed while hidden');
  await t.page.close();
});
