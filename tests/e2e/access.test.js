// A site closed with basic auth (nginx/access/basic.conf.in), in Chromium: signed in with the
// context's credentials, the page goes Live over the WebSocket and shows an outside change; without
// them it gets nothing. A row shows who changed it (updated_by), and a conflicting save names them.
// The same through `scripts/run --access basic`, which makes the user and prints its password.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Browser } from './browser.js';
import { Stack, api, basicAuth, request } from './stack.js';
import { RunCommand } from './run_command.js';

let stack;
before(async () => {
  stack = await new Stack({ access: 'basic', users: ['ann', 'ben'] }).start();
});
after(async () => {
  await stack?.stop();
});

/** Signed in as name/password: the page goes Live on a WebSocket, and a change made by someone
 * else through the API appears without a reload. */
async function seesLiveUpdates(origin, port, name, password) {
  const browser = await Browser.launch({ httpCredentials: { username: name, password } });
  try {
    const tab = await browser.tab(`${origin}/`);
    await tab.waitPill('Live');
    assert.ok(tab.sockets.some((s) => s.url.endsWith('/ws')), 'live over the WebSocket');
    assert.equal(tab.count('/api/revisions'), 0, 'not polling');
    await tab.page.evaluate(() => (window.__noReload = true));
    const p = await api(port, 'POST', '/api/projects', { name: 'Made elsewhere' }, [201],
      { ...basicAuth(name, password), Origin: origin });
    await tab.page.locator(`.card[data-id="${p.id}"] .card-title`).filter({ hasText: 'Made elsewhere' })
      .waitFor({ timeout: 5000 });
    assert.equal(await tab.page.evaluate(() => window.__noReload), true, 'no reload');
    assert.equal(await tab.pill(), 'Live');
    assert.deepEqual(tab.errors, []);
  } finally {
    await browser.close();
  }
}

test('signed in with basic auth, Chromium goes Live and sees an outside change', async () => {
  await seesLiveUpdates(stack.origin, stack.port, 'ann', stack.passwords.ann);
});

test('a row shows who changed it, live, and a conflicting save names who saved first', async () => {
  const signIn = (name) => Browser.launch({ httpCredentials: { username: name, password: stack.passwords[name] } });
  const [ann, ben] = await Promise.all([signIn('ann'), signIn('ben')]);
  try {
    const p = await api(stack.port, 'POST', '/api/projects', { name: 'Shared', description: 'first' }, [201],
      { ...basicAuth('ann', stack.passwords.ann), Origin: stack.origin });
    assert.equal(p.updated_by, 'ann');
    const annTab = await ann.tab(`${stack.origin}/`);
    const benTab = await ben.tab(`${stack.origin}/`);
    await Promise.all([annTab.waitPill('Live'), benTab.waitPill('Live')]);
    const annCard = annTab.page.locator(`.card[data-id="${p.id}"]`);
    await annCard.locator('.card-meta').filter({ hasText: /Changed by ann at / }).waitFor({ timeout: 5000 });

    // Ann starts editing; Ben saves first, through the page in his own browser context.
    await annCard.getByRole('button', { name: /^Edit/ }).click();
    await annCard.locator('textarea[name=description]').fill('mine');
    const benCard = benTab.page.locator(`.card[data-id="${p.id}"]`);
    await benCard.getByRole('button', { name: /^Edit/ }).click();
    await benCard.locator('input[name=name]').fill('Shared by Ben');
    await benCard.locator('input[name=name]').press('Enter');
    await benCard.locator('.card-meta').filter({ hasText: /Changed by ben at / }).waitFor({ timeout: 5000 });

    // Ann's page is told who changed the row under her form, and her save names him.
    await annCard.locator('.form-notice').filter({ hasText: /^ben changed this project while you were editing/ })
      .waitFor({ timeout: 5000 });
    await annCard.getByRole('button', { name: 'Save' }).click();
    await annCard.getByRole('button', { name: 'Discard mine, load theirs' }).waitFor();
    assert.match(await annCard.locator('.form-error').textContent(), /^ben saved a newer version just now\. Your changes are still in the form\./);
    await annCard.getByRole('button', { name: 'Discard mine, load theirs' }).click();
    await annCard.locator('.card-title').filter({ hasText: 'Shared by Ben' }).waitFor();
    assert.match(await annCard.locator('.card-meta').textContent(), /Changed by ben at /);
    assert.deepEqual(annTab.errors, []);
    assert.deepEqual(benTab.errors, []);
  } finally {
    await Promise.all([ann.close(), ben.close()]);
  }
});

test('without credentials, or with a wrong password, Chromium gets no page', async () => {
  for (const httpCredentials of [undefined, { username: 'ann', password: 'wrong' }]) {
    const browser = await Browser.launch({ httpCredentials });
    try {
      const page = await browser.context.newPage();
      // Chromium either shows the 401 or gives up on the navigation (it has no right credentials
      // to answer the challenge with); which one varies between runs.
      const res = await page.goto(`${stack.origin}/`).catch((err) => {
        assert.match(err.message, /ERR_INVALID_AUTH_CREDENTIALS/);
        return null;
      });
      if (res) assert.equal(res.status(), 401);
      assert.equal(await page.locator('#live-status').count(), 0, 'no app rendered');
    } finally {
      await browser.close();
    }
  }
});

/** Resolves once nginx answers at all (the run command announces the site as it starts it). */
async function answering(port, timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await request(port, 'GET', '/api/health').catch(() => null))) {
    if (Date.now() > deadline) throw new Error('nginx does not answer');
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('scripts/run --access basic makes a user, prints its password, and refuses anonymous requests', async () => {
  const run = await new RunCommand().start(['--access', 'basic']);
  try {
    const [, name, password] = run.output.match(/^run: made the user (\S+) with the password (\S+)$/m);
    assert.match(run.output, new RegExp(`^run: the site asks for a name and password: ${name} `, 'm'));
    await answering(run.port);
    for (const path of ['/', '/api/projects', '/events']) {
      assert.equal((await request(run.port, 'GET', path)).status, 401, path);
      assert.equal((await request(run.port, 'GET', path, { headers: basicAuth(name, 'wrong') })).status, 401, path);
    }
    await seesLiveUpdates(run.origins[0], run.port, name, password);
  } finally {
    await run.cleanUp();
  }
});
