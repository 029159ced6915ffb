// N idle WebSocket subscribers for the freshness benchmark: each does the RFC 6455 handshake
// over TLS with the site's Origin, answers pings, and counts the JSON messages it receives
// (hello, refresh). Stdlib only. The fan-out benchmark (bench/subscribers/) uses the same class
// with options, also against Nchan, which sends no hello.

import tls from 'node:tls';
import crypto from 'node:crypto';
import readline from 'node:readline';
import { spawn } from 'node:child_process';

function frame(opcode, payload = Buffer.alloc(0)) {
  // Client frames are masked (RFC 6455 §5.3); payloads here are < 126 bytes.
  const mask = crypto.randomBytes(4);
  const out = Buffer.alloc(2 + 4 + payload.length);
  out[0] = 0x80 | opcode;
  out[1] = 0x80 | payload.length;
  mask.copy(out, 2);
  for (let i = 0; i < payload.length; i++) out[6 + i] = payload[i] ^ mask[i % 4];
  return out;
}

export class Subscriber {
  /**
   * Options: `host` (default 127.0.0.1), `localAddress` (bind the client end there, e.g. one
   * 127.0.0.x per process, so many processes do not share one ephemeral-port range), `onText`
   * (called with each text message's payload), `readyOn` ('hello', the default: ready once the
   * livesync hello arrived; 'upgrade': ready at the 101 response).
   */
  constructor(port, origin, { host = '127.0.0.1', localAddress, onText, readyOn = 'hello' } = {}) {
    this.onText = onText;
    this.messages = 0;
    this.hello = false;
    this.closed = false;
    this.buf = Buffer.alloc(0);
    this.ready = new Promise((resolve, reject) => {
      this.sock = tls.connect({ host, port, localAddress, servername: 'localhost', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
        const key = crypto.randomBytes(16).toString('base64');
        this.sock.write(`GET /ws HTTP/1.1\r\nHost: localhost:${port}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
          `Sec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\nOrigin: ${origin}\r\n\r\n`);
      });
      let upgraded = false;
      this.sock.on('data', (chunk) => {
        this.buf = Buffer.concat([this.buf, chunk]);
        if (!upgraded) {
          const end = this.buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = this.buf.subarray(0, end).toString('latin1');
          this.buf = this.buf.subarray(end + 4);
          if (!/^HTTP\/1\.1 101/.test(head)) return reject(new Error(head.split('\r\n')[0]));
          upgraded = true;
          if (readyOn === 'upgrade') resolve();
        }
        this.parse(resolve);
      });
      this.sock.on('error', (e) => {
        this.closed = true;
        reject(e);
      });
      this.sock.on('close', () => (this.closed = true));
    });
  }

  parse(onHello) {
    for (;;) {
      if (this.buf.length < 2) return;
      const opcode = this.buf[0] & 0x0f;
      let len = this.buf[1] & 0x7f;
      let off = 2;
      if (len === 126) {
        if (this.buf.length < 4) return;
        len = this.buf.readUInt16BE(2);
        off = 4;
      } else if (len === 127) {
        if (this.buf.length < 10) return;
        len = Number(this.buf.readBigUInt64BE(2));
        off = 10;
      }
      if (this.buf.length < off + len) return;
      const payload = this.buf.subarray(off, off + len);
      this.buf = this.buf.subarray(off + len);
      if (opcode === 0x9) this.sock.write(frame(0xa, payload));
      else if (opcode === 0x1) {
        this.messages += 1;
        this.onText?.(payload);
        if (!this.hello && payload.toString().includes('"hello"')) {
          this.hello = true;
          onHello();
        }
      } else if (opcode === 0x8) this.sock.end();
    }
  }

  close() {
    try {
      this.sock.write(frame(0x8, Buffer.from([0x03, 0xe8])));
    } catch {
      // already gone
    }
    this.sock.destroy();
  }
}

/** Opens n subscribers (in batches) and resolves once each has its hello. */
export async function openSubscribers(n, port, origin, batch = 100) {
  const subs = [];
  for (let i = 0; i < n; i += batch) {
    const group = [];
    for (let j = i; j < Math.min(n, i + batch); j++) group.push(new Subscriber(port, origin));
    await Promise.all(group.map((s) => s.ready));
    subs.push(...group);
  }
  return subs;
}

/**
 * The same crowd held by one livesync-subgen process (bench/subscribers/subgen/) instead of this
 * node process, so the subscribers' TLS costs a fraction of the CPU the stack needs on the same
 * cores. Resolves once `n` are open (ready at their hello), driven over the generator's stdin
 * protocol (bench/subscribers/subgen/README.md).
 */
export async function openGenerator(binary, n, port, origin, { localAddress = '127.0.0.1', parallel = 100, batchUs = 0 } = {}) {
  const args = [String(port), 'ws', origin, localAddress, 'hello', ...(batchUs ? [String(batchUs)] : [])];
  const proc = spawn(binary, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: proc.stdout });
  const answers = [];
  const waiting = [];
  lines.on('line', (line) => (waiting.length ? waiting.shift().resolve(JSON.parse(line)) : answers.push(JSON.parse(line))));
  const exited = new Promise((resolve) => proc.on('exit', resolve));
  exited.then((code) => {
    for (const w of waiting.splice(0)) w.reject(new Error(`livesync-subgen exited (${code})`));
  });
  const ask = (cmd) =>
    new Promise((resolve, reject) => {
      if (proc.exitCode !== null) return reject(new Error(`livesync-subgen exited (${proc.exitCode})`));
      waiting.push({ resolve, reject });
      proc.stdin.write(`${JSON.stringify(cmd)}\n`);
    });
  const opened = await ask({ cmd: 'open', count: n, parallel });
  if (opened.failed) console.warn(`livesync-subgen: ${opened.failed} failed`, opened.errors);
  return {
    length: opened.open,
    /** Refreshes received since the last call, and how many subscribers are still open. */
    async counts() {
      const { arrivals, open } = await ask({ cmd: 'dump' });
      return { received: Object.values(arrivals).reduce((sum, times) => sum + times.length, 0), open };
    },
    async close() {
      proc.stdin.end();
      await exited;
    },
  };
}
