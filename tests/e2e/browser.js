// Debian's Chromium driven by playwright-core (never a downloaded browser): a fresh user-data
// dir per launch, every tab instrumented to record its API requests, connection attempts,
// dialogs, page errors and Content-Security-Policy violations.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const CHROMIUM = process.env.LIVESYNC_CHROMIUM ?? '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
  '--ignore-certificate-errors'];

// Headless Chromium under automation keeps every page "visible" (minimised windows and
// background tabs included), so a tab that should be hidden gets document.visibilityState
// overridden before any page script runs; __setHidden() flips it and fires visibilitychange
// exactly as the browser would.
function instrument() {
  window.__csp = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    window.__csp.push(`${e.violatedDirective} ${e.blockedURI}`);
  });
  if (sessionStorage.getItem('e2e.hidden') === '1') {
    let hidden = true;
    Object.defineProperty(Document.prototype, 'visibilityState', { configurable: true, get: () => (hidden ? 'hidden' : 'visible') });
    Object.defineProperty(Document.prototype, 'hidden', { configurable: true, get: () => hidden });
    window.__setHidden = (h) => {
      hidden = h;
      document.dispatchEvent(new Event('visibilitychange'));
    };
  }
}

export class Browser {
  /** httpCredentials: { username, password } the browser answers basic auth with. */
  static async launch({ httpCredentials } = {}) {
    const b = new Browser();
    b.userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-chromium-'));
    b.context = await chromium.launchPersistentContext(b.userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: ARGS,
      ignoreHTTPSErrors: true,
      viewport: { width: 1100, height: 800 },
      httpCredentials,
    });
    await b.context.addInitScript(instrument);
    return b;
  }

  /** Opens a tab on url. hidden: the tab starts hidden (see instrument()). */
  async tab(url, { hidden = false } = {}) {
    const page = await this.context.newPage();
    const t = new Tab(page);
    if (hidden) {
      // sessionStorage is per tab: set it on a blank same-origin page first.
      await page.goto(new URL('/api/health', url).href); // same origin, no app script
      await page.evaluate(() => sessionStorage.setItem('e2e.hidden', '1'));
    }
    await page.goto(url);
    return t;
  }

  async close() {
    await this.context?.close().catch(() => {});
    fs.rmSync(this.userDataDir, { recursive: true, force: true });
  }
}

export class Tab {
  constructor(page) {
    this.page = page;
    this.requests = []; // { method, path, at }
    this.sockets = []; // WebSocket attempts
    this.dialogs = [];
    this.errors = [];
    this.console = [];
    page.on('request', (r) => {
      const u = new URL(r.url());
      this.requests.push({ method: r.method(), path: u.pathname + u.search, at: Date.now() });
    });
    page.on('websocket', (ws) => this.sockets.push({ url: ws.url(), at: Date.now() }));
    page.on('dialog', (d) => {
      this.dialogs.push(d.message());
      d.dismiss().catch(() => {});
    });
    page.on('pageerror', (e) => this.errors.push(e.message));
    page.on('console', (m) => this.console.push(`${m.type()}: ${m.text()}`));
  }

  pill() {
    return this.page.textContent('#live-status');
  }

  async waitPill(text, timeout = 15000) {
    await this.page.waitForFunction((t) => document.getElementById('live-status')?.textContent === t, text, { timeout });
  }

  /** Requests made since `since` (ms timestamp) whose path starts with prefix (and method, if given). */
  count(prefix, since = 0, method = null) {
    return this.requests.filter((r) => r.at >= since && r.path.startsWith(prefix) && (!method || r.method === method)).length;
  }

  /** Connection attempts (WebSocket, /events, /api/revisions) since `since`. */
  attempts(since = 0) {
    return this.sockets.filter((s) => s.at >= since).length + this.count('/events', since) + this.count('/api/revisions', since);
  }

  async cspViolations() {
    const fromPage = await this.page.evaluate(() => window.__csp ?? []);
    return [...fromPage, ...this.console.filter((c) => /Content Security Policy/i.test(c))];
  }

  setHidden(hidden) {
    return this.page.evaluate((h) => window.__setHidden(h), hidden);
  }
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
