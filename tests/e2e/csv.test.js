// CSV import and export from the browser: the import dialog uploads a file, shows the result or
// the server's per-line errors, and the other open tab refreshes by itself.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sleep } from './browser.js';
import { stackAndBrowser } from './fixture.js';

const env = stackAndBrowser();

const url = (p) => `${env.stack.origin}${p}`;
const csvFile = (name, text) => ({ name, mimeType: 'text/csv', buffer: Buffer.from(text) });

async function openImport(tab) {
  await tab.page.locator('.list-projects .io-slot').getByRole('button', { name: 'Import CSV' }).click();
  const dialog = tab.page.locator('dialog.import-dialog');
  await dialog.waitFor();
  return dialog;
}

test('an import through the dialog shows its result here and appears in the other tab', async () => {
  const a = await env.browser.tab(url('/'));
  const b = await env.browser.tab(url('/'));
  await Promise.all([a.waitPill('Live'), b.waitPill('Live')]);
  await sleep(700);

  const dialog = await openImport(a);
  const since = Date.now();
  await dialog.locator('input[type=file]').setInputFiles(
    csvFile('portfolio.csv', 'name,status,owner\r\nImported One,active,ann\r\n"Imported, Two",,bob\r\n'),
  );
  await dialog.locator('.import-ok').waitFor();
  assert.match(await dialog.locator('.import-ok').textContent(), /2 created, 0 updated/);
  assert.equal(await dialog.locator('progress').evaluate((p) => p.value), 1);
  for (const tab of [a, b])
    await tab.page.waitForFunction(
      () => [...document.querySelectorAll('.card-title')].map((e) => e.textContent).includes('Imported, Two'),
      null,
      { timeout: 5000 },
    );
  assert.equal(a.count('/api/import/projects', since, 'POST'), 1);
  await sleep(1000);
  assert.equal(b.count('/api/projects', since, 'GET'), 1, 'one refetch in the other tab for the whole file');
  assert.deepEqual([...a.errors, ...b.errors], []);
  assert.deepEqual(await a.cspViolations(), []);
  await a.page.close();
  await b.page.close();
});

test('a file with bad rows lists every bad line and changes nothing', async () => {
  const before = (await env.stack.api('GET', '/api/projects')).items.length;
  const a = await env.browser.tab(url('/'));
  await a.waitPill('Live');
  const dialog = await openImport(a);
  await dialog.locator('input[type=file]').setInputFiles(
    csvFile('bad.csv', 'name,status\nGood,active\nBad,sideways\n,planned\n'),
  );
  await dialog.locator('.import-failed').waitFor();
  const rows = await dialog.locator('table.import-errors tbody tr').evaluateAll((trs) =>
    trs.map((tr) => [...tr.cells].map((c) => c.textContent)),
  );
  assert.deepEqual(
    rows.map((r) => r.slice(0, 2)),
    [
      ['3', 'status'],
      ['4', 'name'],
    ],
  );
  assert.equal((await env.stack.api('GET', '/api/projects')).items.length, before, 'nothing was imported');
  await dialog.getByRole('button', { name: 'Close' }).click();
  await a.page.close();
});

test('the export link downloads the list as CSV', async () => {
  const a = await env.browser.tab(url('/'));
  const link = a.page.locator('.list-projects .io-slot a', { hasText: 'Export CSV' });
  assert.equal(await link.getAttribute('href'), '/api/export/projects.csv');
  const text = await a.page.evaluate(async () => (await fetch('/api/export/projects.csv')).text());
  assert.match(text.split('\r\n')[0], /^id,/);
  assert.match(text, /"Imported, Two"/);
  await a.page.close();
});
