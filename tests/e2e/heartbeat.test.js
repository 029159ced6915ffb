// The heartbeat a page can see, on a stack whose daemon beats every second: an idle tab stays
// `Live` on beats alone (WebSocket and SSE), beats showing a tab's own edit cost it no refetch
// (its refresh event was skipped as its own), and a link that goes silent without closing (the
// daemon frozen with SIGSTOP, as a half-open connection looks to the browser) takes the pill out
// of `Live` within 2.5 intervals; once the daemon runs again the tab is `Live` again and shows the
// change made meanwhile, with one refetch of the list.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from './browser.js';
import { stackAndBrowser } from './fixture.js';

const BEAT_MS = 1000;
// Chromium's timers and the loaded test machine: how late the pill may change beyond its bound.
const SLACK_MS = 1500;

const env = stackAndBrowser({ config: { heartbeat_s: BEAT_MS / 1000 } });

const title = (t, id, text) =>
  t.page.locator(`.card[data-id="${id}"] .card-title`).filter({ hasText: text }).waitFor({ timeout: 10000 });

/** Every pill text the tab shows during `ms`, sampled every 50 ms. */
async function pillsDuring(t, ms) {
  const seen = new Set();
  const end = Date.now() + ms;
  while (Date.now() < end) {
    seen.add(await t.pill());
    await sleep(50);
  }
  return [...seen];
}

/** A tab on the project list whose transport is `mode` ('ws', or 'sse' as if remembered). */
async function liveTab(mode) {
  const t = await env.browser.tab(`${env.stack.origin}/api/health`); // same origin, no app script
  if (mode === 'sse') await t.page.evaluate(() => sessionStorage.setItem('livesync.transport', 'sse'));
  await t.page.goto(`${env.stack.origin}/`);
  await t.waitPill('Live');
  await sleep(700); // the start-up catch-up is over
  await t.page.evaluate(() => (window.__noReload = true));
  return t;
}

for (const mode of ['ws', 'sse']) {
  test(`an idle ${mode} tab stays Live on beats alone, without reconnecting or refetching`, async () => {
    const t = await liveTab(mode);
    const since = Date.now();
    assert.deepEqual(await pillsDuring(t, 4 * BEAT_MS), ['Live']);
    assert.equal(t.attempts(since), 0, 'no reconnect');
    assert.equal(t.count('/api/', since), 0, 'beats that show nothing new refetch nothing');
    await t.page.close();
  });
}

test("the beats after a tab's own edit do not make it refetch that edit", async () => {
  const p = await env.stack.api('POST', '/api/projects', { name: 'Mine' });
  const t = await liveTab('ws');
  const card = t.page.locator(`.card[data-id="${p.id}"]`);
  await card.getByRole('button', { name: /^Edit/ }).click();
  await card.locator('input[name=name]').fill('Mine, edited');
  const since = Date.now();
  await card.locator('input[name=name]').press('Enter');
  await title(t, p.id, 'Mine, edited');
  await sleep(3 * BEAT_MS); // beats carrying the edit's revision arrive meanwhile
  assert.equal(t.count('/api/projects', since, 'PATCH'), 1);
  assert.equal(t.count('/api/projects', since, 'GET'), 0, 'no refetch of its own edit');
  await t.page.close();
});

test('a frozen daemon: the pill leaves Live within 2.5 beats, and comes back with the change', async () => {
  const p = await env.stack.api('POST', '/api/projects', { name: 'Before the freeze' });
  const t = await liveTab('ws');
  await title(t, p.id, 'Before the freeze');

  const frozenAt = Date.now();
  env.stack.signal('wsd', 'SIGSTOP');
  let since;
  try {
    // The socket stays open and says nothing: only the missing beats can tell.
    await t.waitPill('Reconnecting…', 2.5 * BEAT_MS + SLACK_MS);
    since = Date.now();
    await env.stack.api('PATCH', `/api/projects/${p.id}`, { name: 'Changed while frozen' });
    await sleep(frozenAt + 3 * BEAT_MS - Date.now());
    assert.notEqual(await t.pill(), 'Live', 'nothing can be live while the daemon is frozen');
  } finally {
    env.stack.signal('wsd', 'SIGCONT');
  }
  await t.waitPill('Live', 10000);
  await title(t, p.id, 'Changed while frozen');
  await sleep(1500); // past the refresher's 500 ms throttle: a second refetch would show up
  assert.equal(t.count('/api/projects', since, 'GET'), 1, 'one refetch of the list');
  assert.equal(await t.page.evaluate(() => window.__noReload), true, 'no page reload');
  await t.page.close();
});
