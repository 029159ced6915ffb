// First page of a large list in Chromium (issue 18, item 7; not a test): the time from navigation
// to the first project card on screen, with 100,000 projects imported, over several loads of a
// fresh tab each.
//
//   LIVESYNC_BUILD_DIR=build [LIVESYNC_OLD_WEB=DIR] node bench/biglist/first_page.js [rows] [loads]
//   # defaults: 100000 rows, 9 loads
//
// Per load, from the navigation's start (performance.timeOrigin), in the page's own clock:
//   first row      the first card of the projects list is in the DOM (a MutationObserver
//                  installed before any page script runs)
//   first frame    the next animation frame after that: the row is painted
//   first page     the first-page request (?limit=100&order=desc): asked (the app's scripts
//                  have run), its first byte, done (Resource Timing)
// The first load starts with an empty cache (scripts and styles fetched); the others reuse it, as
// a returning user's would. The API is never cached (the client asks with cache: 'no-store').
// For contrast, the old client's first step: fetching and parsing the whole list in the same
// tab (`fetch('/api/projects')` + `res.json()`), before it rendered every row; that render is
// what took the 56 s. With LIVESYNC_OLD_WEB set to a checkout of the old client's web/
// (e.g. `git archive 09f979c web | tar -x -C /tmp/old`, then /tmp/old/web), one load of it is
// measured too, on a second stack with the same projects: it renders every row before any shows.

import { execFileSync } from 'node:child_process';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Stack } from '../../tests/e2e/stack.js';
import { Browser } from '../../tests/e2e/browser.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROWS = Number(process.argv[2] ?? 100000);
const LOADS = Number(process.argv[3] ?? 9);
if (!Number.isInteger(ROWS) || ROWS < 1 || !Number.isInteger(LOADS) || LOADS < 1) {
  throw new Error('usage: first_page.js [rows ≥ 1] [loads ≥ 1]');
}
const FIRST_CARD = '.list-projects .cards > li';

function pct(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

/** POSTs the benchmark's projects (projects_csv.py) as one CSV import. */
function importProjects(stack) {
  const csv = execFileSync('python3', [path.join(HERE, 'projects_csv.py'), String(ROWS)], { maxBuffer: 1 << 30 });
  return new Promise((resolve, reject) => {
    const req = https.request(
      { host: '127.0.0.1', servername: 'localhost', port: stack.port, method: 'POST', path: '/api/import/projects',
        headers: { Host: `localhost:${stack.port}`, 'Content-Type': 'text/csv', 'Content-Length': csv.length },
        rejectUnauthorized: false },
      (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`import → ${res.statusCode} ${text}`))));
      },
    );
    req.on('error', reject);
    req.setTimeout(600000, () => req.destroy(new Error('import timed out')));
    req.end(csv);
  });
}

// Runs in the page before its scripts: stamps the first card's arrival and the frame after it.
function watchFirstRow(selector) {
  window.__firstRow = null;
  const obs = new MutationObserver(() => {
    if (window.__firstRow || !document.querySelector(selector)) return;
    obs.disconnect();
    const row = performance.now();
    window.__firstRow = { row, frame: null };
    requestAnimationFrame(() => (window.__firstRow.frame = performance.now()));
  });
  obs.observe(document, { childList: true, subtree: true });
}

async function load(browser, origin) {
  const page = await browser.context.newPage();
  await page.addInitScript(watchFirstRow, FIRST_CARD);
  await page.goto(`${origin}/`);
  await page.waitForFunction(() => window.__firstRow?.frame != null, null, { timeout: 600000 });
  const t = await page.evaluate(() => {
    const firstPage = performance.getEntriesByType('resource').find((e) => e.name.includes('/api/projects?') && e.name.includes('limit=100'));
    return {
      ...window.__firstRow,
      asked: firstPage?.startTime ?? null,
      firstByte: firstPage?.responseStart ?? null,
      firstPage: firstPage?.responseEnd ?? null,
      cards: document.querySelectorAll('.list-projects .cards > li').length,
    };
  });
  return { page, t };
}

async function wholeList(page) {
  return page.evaluate(async () => {
    const t0 = performance.now();
    const res = await fetch('/api/projects', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    const body = await res.json();
    return { ms: performance.now() - t0, rows: body.items.length };
  });
}

/** One load of the old client on its own stack: navigation → its first (and every) row. */
async function oldClient(browser, webRoot) {
  const old = await new Stack({ webRoot }).start();
  try {
    await importProjects(old);
    const { page, t } = await load(browser, old.origin);
    await page.close();
    return t;
  } finally {
    await old.stop();
  }
}

const stack = await new Stack().start();
let browser;
try {
  const t0 = Date.now();
  const imported = await importProjects(stack);
  console.log(`imported ${imported.created} projects in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  browser = await Browser.launch();
  const rows = [];
  let lastPage = null;
  for (let i = 0; i < LOADS; i++) {
    const { page, t } = await load(browser, stack.origin);
    rows.push(t);
    console.log(`load ${i + 1}: first row ${t.row.toFixed(1)} ms, first frame ${t.frame.toFixed(1)} ms, first page asked ${t.asked?.toFixed(1)}, first byte ${t.firstByte?.toFixed(1)}, done ${t.firstPage?.toFixed(1)} ms, cards ${t.cards}`);
    await lastPage?.close();
    lastPage = page;
  }
  const whole = await wholeList(lastPage);
  const col = (k) => rows.map((r) => r[k]);
  const fmt = (v) => v.toFixed(1);
  console.log(`navigation → first row: p50 ${fmt(pct(col('row'), 50))} ms, max ${fmt(Math.max(...col('row')))} ms; ` +
    `→ first frame: p50 ${fmt(pct(col('frame'), 50))} ms, max ${fmt(Math.max(...col('frame')))} ms; ` +
    `first page asked / done p50 ${fmt(pct(col('asked'), 50))} / ${fmt(pct(col('firstPage'), 50))} ms (${LOADS} loads, ${ROWS} rows)`);
  console.log(`old client's first step, the whole list fetched and parsed in the tab: ${fmt(whole.ms)} ms for ${whole.rows} rows`);
  if (process.env.LIVESYNC_OLD_WEB) {
    await lastPage.close();
    const t = await oldClient(browser, path.resolve(process.env.LIVESYNC_OLD_WEB));
    console.log(`old client (${process.env.LIVESYNC_OLD_WEB}), one load: first row ${fmt(t.row)} ms, first frame ${fmt(t.frame)} ms, cards ${t.cards}`);
  }
} finally {
  await browser?.close();
  await stack.stop();
}
