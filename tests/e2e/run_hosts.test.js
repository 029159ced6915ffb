// `scripts/run --postgres --hosts 2` as a user runs it (with this build, a temp state dir and two
// free ports): two complete hosts over one private PostgreSQL, one site. A tab on each host goes
// Live, and an edit made in the tab on one host appears in the tab on the other, and back; a
// killed daemon is restarted under its host's name; SIGTERM stops both hosts and the server.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { Browser } from './browser.js';
import { api } from './stack.js';
import { RunCommand, processes } from './run_command.js';

let run;
let browser;
before(async () => {
  run = await new RunCommand().start(['--postgres', '--hosts', '2'], { ports: 2 });
  browser = await Browser.launch();
});
after(async () => {
  await browser?.close();
  await run?.cleanUp();
});

const titled = (t, id, text) =>
  t.page.locator(`.card[data-id="${id}"] .card-title`).filter({ hasText: text }).waitFor({ timeout: 10000 });

/** Renames project `id` through the page's own edit form. */
async function rename(t, id, name) {
  const card = t.page.locator(`.card[data-id="${id}"]`);
  await card.getByRole('button', { name: /^Edit/ }).click();
  await card.locator('input[name=name]').fill(name);
  await card.locator('input[name=name]').press('Enter');
}

test('an edit in a tab on one host appears in a tab on the other', async () => {
  const hosts = [`https://localhost:${run.port}`, `https://localhost:${run.port + 1}`];
  assert.deepEqual(run.origins, hosts);
  // Each host is its own nginx, pool and daemon.
  assert.equal(run.output.match(/^run: host \d: nginx, pool and daemon on port \d+/gm)?.length, 2);
  const p = await api(run.port, 'POST', '/api/projects', { name: 'Made on host 1' }, [201],
    { Origin: hosts[0] });
  const [a, b] = [await browser.tab(`${hosts[0]}/`), await browser.tab(`${hosts[1]}/`)];
  await Promise.all([a.waitPill('Live'), b.waitPill('Live')]);
  await titled(b, p.id, 'Made on host 1');

  await rename(a, p.id, 'Renamed on host 1');
  await titled(b, p.id, 'Renamed on host 1');
  await rename(b, p.id, 'Renamed on host 2');
  await titled(a, p.id, 'Renamed on host 2');
  assert.deepEqual([...a.errors, ...b.errors], []);
  await a.page.close();
  await b.page.close();
});

test('a part is restarted under its host\'s name; SIGTERM stops both hosts and the server', async () => {
  const parts = processes().filter((p) => p.ppid === run.child.pid && p.comm !== 'sleep');
  for (const p of parts) run.sessions.add(p.pid); // so that leftovers() covers every host
  assert.equal(parts.length, 6, 'a pool, a daemon and nginx per host');
  const daemons = parts.filter((p) => p.comm === 'livesync-wsd');
  const pidFile = path.join(run.dir, 'state', 'pg', 'data', 'postmaster.pid');
  assert.ok(fs.existsSync(pidFile), 'the server runs');
  // The daemon of host 2 reads its configuration from host 2's folder.
  const host2 = daemons.find((p) => fs.readFileSync(`/proc/${p.pid}/cmdline`, 'utf8').includes('/host2/'));
  process.kill(host2.pid, 'SIGKILL');
  await run.waitForOutput(/^run: livesync-wsd@2 killed by SIGKILL; restarting it in 1 s$/m);
  run.child.kill('SIGTERM');
  const { code } = await run.exited;
  assert.equal(code, 0, run.tail());
  assert.deepEqual(run.leftovers(), []);
  assert.ok(!fs.existsSync(pidFile), 'the server was stopped');
});
