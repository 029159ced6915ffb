// The real livesync stack for the browser tests, like tests/integration/livesync_stack.py but in
// node: nginx (the project's site template, TLS with a throwaway certificate), the FastCGI pool
// and the live-event daemon on a free loopback port in a fresh temp dir. Each process runs in its
// own process group and is killed group-wide on stop() — and, as a last resort, when this node
// process exits for any reason.
//
// `block: ['ws']`, `['events']` or both renders a modified copy of the site in the temp dir whose
// /ws or /events location answers 403, to exercise the client's fallbacks. The template itself
// is never changed.

import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const SOURCE_DIR = path.resolve(HERE, '..', '..');
export const BUILD_DIR = process.env.LIVESYNC_BUILD_DIR ?? path.join(SOURCE_DIR, 'build');
const NGINX = process.env.LIVESYNC_NGINX ?? '/usr/sbin/nginx';

const live = new Set();
function killAllNow() {
  for (const stack of live) stack.killAllSync();
}
process.on('exit', killAllNow);
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    killAllNow();
    process.exit(1);
  });
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Replaces the body of `location = /NAME { … }` in an nginx config with `return 403;`. */
export function blockLocation(conf, name) {
  const start = conf.indexOf(`location = /${name} {`);
  if (start < 0) throw new Error(`no location /${name} in the site config`);
  let depth = 0;
  let i = conf.indexOf('{', start);
  for (; i < conf.length; i++) {
    if (conf[i] === '{') depth++;
    else if (conf[i] === '}' && --depth === 0) break;
  }
  return `${conf.slice(0, start)}location = /${name} { return 403; }${conf.slice(i + 1)}`;
}

export class Stack {
  constructor({ daemon = true, workers = 2, block = [], config = {} } = {}) {
    this.wantDaemon = daemon;
    this.workers = workers;
    this.block = block;
    this.extraConfig = config;
    this.procs = new Map();
  }

  async start() {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-e2e-'));
    live.add(this);
    try {
      this.port = await freePort();
      this.origin = `https://localhost:${this.port}`;
      this.paths = {
        db: path.join(this.dir, 'livesync.db'),
        fcgi: path.join(this.dir, 'fcgi.sock'),
        signal: path.join(this.dir, 'signal.sock'),
        wsd: path.join(this.dir, 'wsd.sock'),
        cert: path.join(this.dir, 'cert.pem'),
        key: path.join(this.dir, 'key.pem'),
        config: path.join(this.dir, 'livesync.conf'),
      };
      execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
        '-nodes', '-keyout', this.paths.key, '-out', this.paths.cert, '-days', '2', '-subj', '/CN=localhost',
        '-addext', 'subjectAltName=DNS:localhost'], { stdio: 'ignore' });
      this.writeConfig();
      this.renderNginx();
      await this.startPool();
      if (this.wantDaemon) await this.startDaemon();
      await this.startNginx();
      await this.waitReady();
    } catch (err) {
      await this.stop();
      throw err;
    }
    return this;
  }

  writeConfig() {
    const config = {
      database: this.paths.db,
      fcgi_socket: this.paths.fcgi,
      signal_socket: this.paths.signal,
      wsd_socket: this.paths.wsd,
      origins: this.origin,
      workers: String(this.workers),
      ...this.extraConfig,
    };
    fs.writeFileSync(this.paths.config, Object.entries(config).map(([k, v]) => `${k} = ${v}\n`).join(''));
  }

  renderNginx() {
    const render = path.join(SOURCE_DIR, 'nginx', 'render-template');
    let site = execFileSync(render, [path.join(SOURCE_DIR, 'nginx', 'livesync-site.conf.in'),
      `LISTEN=127.0.0.1:${this.port}`, 'SERVER_NAMES=localhost', `TLS_CERT=${this.paths.cert}`,
      `TLS_KEY=${this.paths.key}`, `WEB_ROOT=${path.join(SOURCE_DIR, 'web')}`,
      `FCGI_SOCKET=${this.paths.fcgi}`, `WSD_SOCKET=${this.paths.wsd}`], { encoding: 'utf8' });
    for (const name of this.block) site = blockLocation(site, name);
    const sitePath = path.join(this.dir, 'site.conf');
    fs.writeFileSync(sitePath, site);
    const user = os.userInfo().username;
    const main = execFileSync(render, [path.join(SOURCE_DIR, 'nginx', 'dev-nginx.conf.in'), `PREFIX=${this.dir}`,
      `SITE=${sitePath}`, 'WORKERS=1', `USER=${user}`], { encoding: 'utf8' });
    this.nginxConf = path.join(this.dir, 'nginx.conf');
    fs.writeFileSync(this.nginxConf, main);
  }

  spawn(name, argv) {
    const log = fs.openSync(path.join(this.dir, `${name}.log`), 'a');
    const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', log, log], detached: true });
    fs.closeSync(log);
    child.exited = new Promise((resolve) => child.on('exit', resolve));
    this.procs.set(name, child);
    return child;
  }

  async waitFor(check, what, name, timeoutMs = 10000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (await check()) return;
      const p = this.procs.get(name);
      if (p && p.exitCode !== null) throw new Error(`${name} exited with ${p.exitCode}: ${this.log(name)}`);
      if (Date.now() > deadline) throw new Error(`${what}: ${this.log(name)}`);
      await sleep(20);
    }
  }

  async startPool() {
    fs.rmSync(this.paths.fcgi, { force: true });
    this.spawn('fcgi', [path.join(BUILD_DIR, 'fcgi-app', 'livesync-fcgi'), '--config', this.paths.config]);
    await this.waitFor(() => fs.existsSync(this.paths.fcgi), 'the pool did not create its socket', 'fcgi');
  }

  async startDaemon() {
    this.spawn('wsd', [path.join(BUILD_DIR, 'ws-daemon', 'livesync-wsd'), '--config', this.paths.config]);
    await this.waitFor(() => fs.existsSync(this.paths.wsd), 'the daemon did not create its socket', 'wsd');
  }

  async startNginx() {
    this.spawn('nginx', [NGINX, '-c', this.nginxConf, '-p', this.dir]);
    const connects = () =>
      new Promise((resolve) => {
        const s = net.connect(this.port, '127.0.0.1', () => {
          s.end();
          resolve(true);
        });
        s.on('error', () => resolve(false));
      });
    await this.waitFor(connects, 'nginx did not start', 'nginx');
  }

  async waitReady() {
    await this.waitFor(
      async () => (await this.request('GET', '/api/health').catch(() => ({ status: 0 }))).status === 200,
      'the stack did not become ready',
      'fcgi',
    );
  }

  /** Signals a component's process group; with SIGKILL/SIGTERM waits for it to go. */
  async kill(name, signal = 'SIGTERM') {
    const p = this.procs.get(name);
    if (!p) return;
    try {
      process.kill(-p.pid, signal);
    } catch {
      // already gone
    }
    const timeout = sleep(10000).then(() => 'timeout');
    if ((await Promise.race([p.exited, timeout])) === 'timeout') {
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        // gone
      }
      await p.exited;
    }
    try {
      process.kill(-p.pid, 'SIGKILL'); // stragglers in the group
    } catch {
      // none
    }
    this.procs.delete(name);
    if (name === 'wsd') fs.rmSync(this.paths.wsd, { force: true });
  }

  killAllSync() {
    for (const p of this.procs.values()) {
      try {
        process.kill(-p.pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
    this.procs.clear();
  }

  async stop() {
    for (const name of [...this.procs.keys()]) await this.kill(name, 'SIGKILL');
    live.delete(this);
    if (this.dir && !process.env.LIVESYNC_KEEP_TMP) fs.rmSync(this.dir, { recursive: true, force: true });
  }

  log(name) {
    try {
      return fs.readFileSync(path.join(this.dir, `${name}.log`), 'utf8').slice(-4000);
    } catch {
      return '';
    }
  }

  /** See request() below. */
  request(method, urlPath, opts) {
    return request(this.port, method, urlPath, opts);
  }

  /** See api() below. */
  api(method, urlPath, json, expect, headers, agent) {
    return api(this.port, method, urlPath, json, expect, headers, agent);
  }
}

/**
 * One HTTPS request to the site on 127.0.0.1:port as https://localhost:port; json bodies are
 * encoded. Resolves { status, headers, body }.
 * agent: an https.Agent to reuse connections (default: a fresh connection per request).
 */
export function request(port, method, urlPath, { json, headers = {}, agent = false } = {}) {
  return new Promise((resolve, reject) => {
    const body = json === undefined ? null : Buffer.from(JSON.stringify(json));
    const hdrs = { ...headers };
    if (body) {
      hdrs['Content-Type'] = 'application/json';
      hdrs['Content-Length'] = body.length;
    }
    const req = https.request(
      { host: '127.0.0.1', servername: 'localhost', port, method, path: urlPath,
        headers: { Host: `localhost:${port}`, ...hdrs }, rejectUnauthorized: false, agent },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed = text;
          try {
            parsed = text ? JSON.parse(text) : null;
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode, headers: res.headers, body: parsed });
        });
      },
    );
    req.on('error', reject);
    req.setTimeout(30000, () => req.destroy(new Error('timeout')));
    if (body) req.write(body);
    req.end();
  });
}

/** request() that insists on the expected status; resolves the body. */
export async function api(port, method, urlPath, json, expect = [200, 201, 204], headers = {}, agent = false) {
  const r = await request(port, method, urlPath, { json, headers, agent });
  if (!expect.includes(r.status)) throw new Error(`${method} ${urlPath} → ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
}
