// The README's `scripts/run`, started for real on a free port with a temp state dir and this
// build's binaries (LIVESYNC_PORT, LIVESYNC_RUN_DIR, LIVESYNC_BUILD_DIR), and the processes it
// runs, read from /proc. Whatever happens, every process it started is killed when this node
// process exits: its own process group and the session of every part it was seen to run.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { BUILD_DIR, SOURCE_DIR, freePort } from './stack.js';

const started = new Set();
process.on('exit', () => {
  for (const run of started) run.killAllSync();
});

/** Every process on the machine: { pid, comm, state, ppid, pgrp, sid }, from /proc/PID/stat. */
export function processes() {
  const out = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat;
    try {
      stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    // "pid (comm) state ppid pgrp session ..."; comm may hold spaces and parentheses.
    const close = stat.lastIndexOf(')');
    const [state, ppid, pgrp, sid] = stat.slice(close + 2).split(' ');
    out.push({ pid: Number(entry), comm: stat.slice(stat.indexOf('(') + 1, close), state, ppid: Number(ppid),
      pgrp: Number(pgrp), sid: Number(sid) });
  }
  return out;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Whether 127.0.0.1:port can be bound now. */
function canBind(port) {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.on('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** The first of `count` consecutive free loopback ports. */
async function freePorts(count) {
  for (;;) {
    const first = await freePort();
    let free = true;
    for (let i = 1; i < count && free; i++) free = await canBind(first + i);
    if (free) return first;
  }
}

export class RunCommand {
  /** args: the command line, e.g. ['--access', 'basic']; ports: how many consecutive free ports
   * it needs from LIVESYNC_PORT on (`--hosts N` takes N). */
  async start(args = [], { ports = 1 } = {}) {
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ls-run-'));
    // As root, `--postgres` runs the server as the postgres user, who must reach its folder.
    fs.chmodSync(this.dir, 0o755);
    this.port = await freePorts(ports);
    this.output = '';
    this.sessions = new Set(); // the sessions of every part seen, i.e. their first pids
    // Its own process group, so that the last-resort kill reaches its timers too.
    this.child = spawn(path.join(SOURCE_DIR, 'scripts', 'run'), args, {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, LIVESYNC_PORT: String(this.port), LIVESYNC_RUN_DIR: path.join(this.dir, 'state'),
        LIVESYNC_BUILD_DIR: BUILD_DIR },
    });
    started.add(this);
    for (const stream of [this.child.stdout, this.child.stderr]) {
      stream.on('data', (d) => {
        this.output += d.toString();
      });
    }
    this.exited = new Promise((resolve) => this.child.on('exit', (code, signal) => resolve({ code, signal })));
    const line = await this.waitForOutput(/^run: livesync is on (.*)$/m, 60000);
    this.origins = line[1].match(/https:\/\/\S+/g);
    for (const name of ['livesync-fcgi', 'livesync-wsd', 'nginx']) await this.waitForPart(name);
    return this;
  }

  /** Resolves the first match of re in the run command's output (stdout and stderr). */
  async waitForOutput(re, timeoutMs = 15000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.output.match(re);
      if (m) return m;
      if (this.child.exitCode !== null || this.child.signalCode !== null)
        throw new Error(`run exited (${this.child.exitCode ?? this.child.signalCode}) before ${re}:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`no ${re} in the run command's output:\n${this.tail()}`);
      await sleep(20);
    }
  }

  /** The pid of the part named name (a direct child of the run command), or undefined. */
  part(name) {
    return processes().find((p) => p.ppid === this.child.pid && p.comm === name && p.state !== 'Z')?.pid;
  }

  /** Resolves the pid of the part named name once it runs, and is not `not`. */
  async waitForPart(name, { not, timeoutMs = 15000 } = {}) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const pid = this.part(name);
      if (pid !== undefined && pid !== not) {
        this.sessions.add(pid);
        return pid;
      }
      if (this.child.exitCode !== null) throw new Error(`run exited before ${name} ran:\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${name} is not running:\n${this.tail()}`);
      await sleep(20);
    }
  }

  /**
   * Live processes of the run command: its process group and the sessions of its parts. (Not
   * zombies: an orphan's is reaped by init, which in a container may never do it.)
   */
  leftovers() {
    return processes().filter((p) => p.state !== 'Z' && (p.pgrp === this.child.pid || this.sessions.has(p.sid)));
  }

  tail() {
    return this.output.split('\n').filter((l) => !l.startsWith('ts=')).slice(-30).join('\n');
  }

  killAllSync() {
    for (const id of [this.child.pid, ...this.sessions]) {
      try {
        process.kill(-id, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }

  /** Last resort after a test: kills whatever is left and deletes the temp dir. */
  async cleanUp() {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.child.kill('SIGTERM');
      await Promise.race([this.exited, sleep(20000)]);
    }
    this.killAllSync();
    started.delete(this);
    if (this.dir && !process.env.LIVESYNC_KEEP_TMP) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
