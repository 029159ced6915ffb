// The README's `scripts/run` as a user runs it (with this build, a temp state dir and a free
// port): every origin it announces opens in Chromium and goes Live; it restarts a part that dies
// (the daemon, the pool's master) while pages stay open and catch up; SIGTERM stops everything;
// a part that keeps dying stops the whole stack with a non-zero exit.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { Browser } from './browser.js';
import { api, request } from './stack.js';
import { RunCommand } from './run_command.js';

let run;
let browser;
before(async () => {
  run = await new RunCommand().start();
  browser = await Browser.launch();
});
after(async () => {
  await browser?.close();
  await run?.cleanUp();
});

const title = (t, id, text) =>
  t.page.locator(`.card[data-id="${id}"] .card-title`).filter({ hasText: text }).waitFor({ timeout: 10000 });

/** GET /api/health on url's host, verifying the certificate against ca (SNI only for a name). */
function verifiedHealth(url, ca) {
  return new Promise((resolve, reject) => {
    const req = https.get(new URL('/api/health', url), { ca, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
    });
    req.on('error', reject);
  });
}

async function untilHealthy(timeoutMs = 15000) {
  const deadline = Date.now() + timeoutMs;
  while ((await request(run.port, 'GET', '/api/health').catch(() => ({ status: 0 }))).status !== 200) {
    if (Date.now() > deadline) throw new Error(`the API did not come back:\n${run.tail()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('every origin the run command announces opens in Chromium and goes Live', async () => {
  assert.deepEqual(run.origins, [`https://localhost:${run.port}`, `https://127.0.0.1:${run.port}`]);
  const ca = fs.readFileSync(path.join(run.dir, 'state', 'tls', 'cert.pem'));
  for (const origin of run.origins) {
    // The certificate made on first run names it, and a handshake without SNI (an IP address)
    // gets it too.
    assert.equal(await verifiedHealth(origin, ca), 200, origin);
    const p = await api(run.port, 'POST', '/api/projects', { name: `Opened at ${origin}` }, [201],
      { Origin: origin });
    const t = await browser.tab(`${origin}/`);
    await t.waitPill('Live');
    await title(t, p.id, `Opened at ${origin}`);
    assert.deepEqual(t.errors, [], origin);
    await t.page.close();
  }
});

test('the daemon killed: run restarts it; the page goes Reconnecting…, Live, and catches up', async () => {
  const p = await api(run.port, 'POST', '/api/projects', { name: 'Steady' });
  const t = await browser.tab(`${run.origins[0]}/`);
  await t.waitPill('Live');
  await t.page.evaluate(() => (window.__noReload = true));
  const wsd = await run.waitForPart('livesync-wsd');
  process.kill(wsd, 'SIGKILL');
  await t.waitPill('Reconnecting…', 5000);
  await api(run.port, 'PATCH', `/api/projects/${p.id}`, { name: 'Changed while the daemon was down' });
  await run.waitForOutput(/^run: livesync-wsd killed by SIGKILL; restarting it in 1 s$/m);
  await run.waitForPart('livesync-wsd', { not: wsd });
  await t.waitPill('Live', 15000);
  await title(t, p.id, 'Changed while the daemon was down');
  assert.equal(await t.page.evaluate(() => window.__noReload), true, 'the page was not reloaded');
  await t.page.close();
});

test("the pool's master killed: run restarts the pool, its workers go, the page shows a later change", async () => {
  const p = await api(run.port, 'POST', '/api/projects', { name: 'Pooled' });
  const t = await browser.tab(`${run.origins[1]}/`);
  await t.waitPill('Live');
  await title(t, p.id, 'Pooled');
  const master = await run.waitForPart('livesync-fcgi');
  const workers = () => run.leftovers().filter((w) => w.sid === master && w.pid !== master);
  assert.ok(workers().length > 0, 'the pool has workers');
  process.kill(master, 'SIGKILL');
  await run.waitForOutput(/^run: livesync-fcgi killed by SIGKILL; restarting it in 1 s$/m);
  await run.waitForPart('livesync-fcgi', { not: master });
  await untilHealthy();
  assert.deepEqual(workers(), [], 'the old workers are gone');
  await api(run.port, 'PATCH', `/api/projects/${p.id}`, { name: 'Changed after the pool came back' });
  await title(t, p.id, 'Changed after the pool came back');
  await t.page.close();
});

test('SIGTERM stops everything and leaves no process behind', async () => {
  assert.ok(run.leftovers().length >= 3, 'the parts run');
  run.child.kill('SIGTERM');
  const { code } = await run.exited;
  assert.equal(code, 0, run.tail());
  assert.deepEqual(run.leftovers(), []);
});

test('a part that keeps dying is given up on: everything stops, exit status 1', async () => {
  const crashing = await new RunCommand().start();
  try {
    for (let i = 1; i <= 5; i++) {
      const wsd = await crashing.waitForPart('livesync-wsd');
      process.kill(wsd, 'SIGKILL');
      if (i < 5) await crashing.waitForPart('livesync-wsd', { not: wsd });
    }
    await crashing.waitForOutput(/^run: livesync-wsd killed by SIGKILL, its 5th exit within 30 s; giving up$/m);
    const { code } = await crashing.exited;
    assert.equal(code, 1, crashing.tail());
    assert.deepEqual(crashing.leftovers(), []);
  } finally {
    await crashing.cleanUp();
  }
});
