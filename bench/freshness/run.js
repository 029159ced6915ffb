// Freshness benchmark (not a test): the time from a change committed through the API to another
// browser tab showing it, over 20 isolated edits (one every 1.2 s, beyond the client's 500 ms
// throttle window), first alone and then with 1,000 other WebSocket subscribers connected.
//
//   LIVESYNC_BUILD_DIR=build [LIVESYNC_CROWD=subgen|node] [LIVESYNC_CROWD_BATCH_US=1000] \
//     node bench/freshness/run.js [edits] [subscribers]
//
// The other subscribers (the crowd) are held by livesync-subgen from the build directory when it
// is there (LIVESYNC_CROWD=subgen requires it), else by this node process (LIVESYNC_CROWD=node).
//
// The edits are PATCHes sent by this script on a warm keep-alive connection; the observing tab
// records, with a MutationObserver, when the row's title becomes the new name (the DOM update; the
// next frame follows within one display refresh). All times come from one system clock. Figures:
//   stamped → shown  from the row's updated_at (the server's clock inside the write transaction,
//                    1 ms resolution) to the DOM update: commit (an fsync with synchronous=FULL),
//                    signal, daemon, WebSocket, the tab's conditional refetch and render
//   sent → shown     from sending the PATCH: adds the request's way in and its parsing
//   event → shown    inside the tab only: refresh event received → refetched and rendered
//   patch            the PATCH round trip as this script sees it (for comparison)

import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { BUILD_DIR, Stack } from '../../tests/e2e/stack.js';
import { Browser, sleep } from '../../tests/e2e/browser.js';
import { openGenerator, openSubscribers } from './subscribers.js';

const EDITS = Number(process.argv[2] ?? 20);
const SUBSCRIBERS = Number(process.argv[3] ?? 1000);
const SUBGEN = path.resolve(BUILD_DIR, 'bench', 'subscribers', 'subgen', 'livesync-subgen');
const CROWD = process.env.LIVESYNC_CROWD ?? (fs.existsSync(SUBGEN) ? 'subgen' : 'node');
// The crowd reads in batches this many µs apart (livesync-subgen's BATCH_US; 0: one wake-up per message).
const CROWD_BATCH_US = Number(process.env.LIVESYNC_CROWD_BATCH_US ?? 0);
if (!Number.isInteger(CROWD_BATCH_US) || CROWD_BATCH_US < 0 || CROWD_BATCH_US > 100000) {
  throw new Error(`LIVESYNC_CROWD_BATCH_US=${process.env.LIVESYNC_CROWD_BATCH_US}: an integer from 0 to 100000 (µs)`);
}
if (CROWD !== 'subgen' && CROWD !== 'node') throw new Error(`LIVESYNC_CROWD=${CROWD}: subgen or node`);
if (CROWD === 'subgen' && !fs.existsSync(SUBGEN)) throw new Error(`${SUBGEN} is missing (cmake --build … --target livesync-subgen, or LIVESYNC_CROWD=node)`);
const now = () => performance.timeOrigin + performance.now();
// One warm keep-alive connection for the edits, so t0 → commit is not a TLS handshake.
const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });

function pct(values, p) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

async function round(stack, tab, id, label) {
  const stamped = [];
  const acks = [];
  const sent = [];
  const events = [];
  const waits = [];
  for (let i = 0; i < EDITS; i++) {
    const name = `${label} edit ${i}`;
    const seen = tab.page.evaluate(
      ([rowId, text]) =>
        new Promise((resolve) => {
          const sel = `[data-id="${rowId}"] .card-title`;
          const obs = new MutationObserver(() => {
            if (document.querySelector(sel)?.textContent === text) {
              obs.disconnect();
              resolve(performance.timeOrigin + performance.now());
            }
          });
          obs.observe(document.body, { childList: true, characterData: true, subtree: true });
        }),
      [id, name],
    );
    await sleep(50); // the observer is installed
    const t0 = now();
    const row = await stack.api('PATCH', `/api/projects/${id}`, { name }, [200], {}, agent);
    const tAck = now();
    const t1 = await seen;
    const tEvent = await tab.page.evaluate(() => window.__lastHint ?? null);
    stamped.push(t1 - Date.parse(row.updated_at));
    sent.push(t1 - t0);
    acks.push(tAck - t0);
    if (tEvent !== null) events.push(t1 - tEvent);
    // The refetch's wait for its first byte (Resource Timing): how long the server side took.
    const wait = await tab.page.evaluate(() => {
      const e = performance.getEntriesByType('resource').filter((r) => r.name.includes('/api/projects')).pop();
      performance.clearResourceTimings();
      return e && e.requestStart > 0 ? e.responseStart - e.requestStart : null;
    });
    if (wait !== null) waits.push(wait);
    await sleep(1200);
  }
  return { stamped, sent, event: events, refetch_wait: waits, patch: acks };
}

/**
 * For comparison: a client as the original design note sketches it (refetch the whole list on
 * every refresh event after a 500 ms debounce), injected into a bare same-origin page. Resolves
 * a tab whose #list holds one <li data-id> per project with the name as text.
 */
async function baselineTab(browser, stack) {
  const tab = await browser.tab(`${stack.origin}/api/health`);
  await tab.page.evaluate(() => new Promise((resolve) => {
    document.body.replaceChildren();
    const list = document.createElement('ul');
    list.id = 'list';
    document.body.append(list);
    const load = async () => {
      const body = await (await fetch('/api/projects', { cache: 'no-store' })).json();
      list.replaceChildren(...body.items.map((p) => {
        const li = document.createElement('li');
        li.dataset.id = p.id;
        const span = document.createElement('span');
        span.className = 'card-title';
        span.textContent = p.name;
        li.append(span);
        return li;
      }));
    };
    let timer = null;
    const ws = new WebSocket(`wss://${location.host}/ws`);
    ws.onmessage = (ev) => {
      const msg = JSON.parse(ev.data);
      if (msg.type === 'hello') load().then(resolve);
      if (msg.type !== 'refresh') return;
      clearTimeout(timer);
      timer = setTimeout(load, 500);
    };
  }));
  return tab;
}

function summary(values) {
  const r = (v) => Math.round(v * 10) / 10;
  return { p50: r(pct(values, 50)), p95: r(pct(values, 95)), min: r(Math.min(...values)), max: r(Math.max(...values)) };
}

function report(label, samples) {
  const out = {};
  for (const [k, v] of Object.entries(samples)) if (v.length) out[k] = summary(v);
  for (const [k, v] of Object.entries(out)) {
    console.log(`${label.padEnd(22)} ${k.padEnd(10)} n=${samples[k].length} p50=${v.p50} ms p95=${v.p95} ms min=${v.min} max=${v.max}`);
  }
  return out;
}

const stack = await new Stack().start();
const browser = await Browser.launch();
let subs = [];
let crowd = null;
try {
  const p = await stack.api('POST', '/api/projects', { name: 'Freshness' }, [201], {}, agent);
  const tab = await browser.tab(`${stack.origin}/`);
  await tab.waitPill('Live');
  // When the refresh event reached the page (for the breakdown "event": committed → event).
  await tab.page.evaluate(() => {
    const r = window.livesync.refresher;
    const hint = r.hint.bind(r);
    r.hint = (...a) => {
      window.__lastHint = performance.timeOrigin + performance.now();
      return hint(...a);
    };
  });
  await sleep(1000);
  const alone = report('alone', await round(stack, tab, p.id, 'alone'));
  await tab.page.close();
  const naive = await baselineTab(browser, stack);
  const baseline = report('design-note client', await round(stack, naive, p.id, 'naive'));
  await naive.page.close();
  const tab2 = await browser.tab(`${stack.origin}/`);
  await tab2.waitPill('Live');
  await tab2.page.evaluate(() => {
    const r = window.livesync.refresher;
    const hint = r.hint.bind(r);
    r.hint = (...a) => {
      window.__lastHint = performance.timeOrigin + performance.now();
      return hint(...a);
    };
  });
  const t = Date.now();
  let connected;
  if (CROWD === 'subgen') {
    crowd = await openGenerator(SUBGEN, SUBSCRIBERS, stack.port, stack.origin, { batchUs: CROWD_BATCH_US });
    connected = crowd.length;
  } else {
    subs = await openSubscribers(SUBSCRIBERS, stack.port, stack.origin);
    connected = subs.length;
  }
  console.log(`${connected} subscribers connected in ${Date.now() - t} ms, held by ${CROWD === 'subgen' ? SUBGEN : 'this node process'}${CROWD_BATCH_US ? `, reading in batches ${CROWD_BATCH_US} µs apart` : ''}`);
  await sleep(1000);
  const before = crowd ? (await crowd.counts()).received : subs.reduce((n, s) => n + s.messages, 0);
  const crowded = report(`with ${SUBSCRIBERS} subscribers`, await round(stack, tab2, p.id, 'crowd'));
  await sleep(500);
  let delivered;
  let open;
  if (crowd) {
    ({ received: delivered, open } = await crowd.counts());
    if (before) console.log(`(the crowd had ${before} refreshes before the edits)`);
  } else {
    delivered = subs.reduce((n, s) => n + s.messages, 0) - before;
    open = subs.filter((s) => !s.closed).length;
  }
  console.log(`subscribers still open: ${open}; refresh messages they received: ${delivered} (expected ${EDITS * SUBSCRIBERS})`);
  console.log(JSON.stringify({ edits: EDITS, subscribers: SUBSCRIBERS, crowd: CROWD, alone, baseline, crowded, delivered, open }));
} finally {
  agent.destroy();
  for (const s of subs) s.close();
  await crowd?.close();
  await browser.close();
  await stack.stop();
}
