// One idle Server-Sent Events subscriber over TLS (stdlib only), the /events twin of
// bench/freshness/subscribers.js: a GET with Accept: text/event-stream and no Origin, as a
// same-origin EventSource sends it, over HTTP/1.1 (each subscriber here stands for one browser,
// so HTTP/2's sharing of one connection between tabs does not apply). nginx relays the endless
// stream chunked, so the body is de-chunked before the events are split.

import tls from 'node:tls';

export class SseSubscriber {
  /** Options as the WebSocket Subscriber's: host, localAddress, onData (each event's data). */
  constructor(port, { host = '127.0.0.1', localAddress, onData } = {}) {
    this.onData = onData;
    this.messages = 0;
    this.closed = false;
    this.raw = Buffer.alloc(0); // bytes not yet de-chunked (or the head, before it ends)
    this.text = ''; // de-chunked body not yet split into events
    this.chunked = false;
    this.ready = new Promise((resolve, reject) => {
      this.sock = tls.connect({ host, port, localAddress, servername: 'localhost', rejectUnauthorized: false, ALPNProtocols: ['http/1.1'] }, () => {
        this.sock.write(`GET /events HTTP/1.1\r\nHost: localhost:${port}\r\nAccept: text/event-stream\r\n` +
          'Cache-Control: no-cache\r\n\r\n');
      });
      let headed = false;
      this.sock.on('data', (chunk) => {
        this.raw = this.raw.length ? Buffer.concat([this.raw, chunk]) : chunk;
        if (!headed) {
          const end = this.raw.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = this.raw.subarray(0, end).toString('latin1');
          this.raw = this.raw.subarray(end + 4);
          if (!/^HTTP\/1\.1 200/.test(head)) return reject(new Error(head.split('\r\n')[0]));
          this.chunked = /^transfer-encoding:\s*chunked/im.test(head);
          headed = true;
          resolve();
        }
        this.dechunk();
        this.split();
      });
      this.sock.on('error', (e) => {
        this.closed = true;
        reject(e);
      });
      this.sock.on('close', () => (this.closed = true));
    });
  }

  dechunk() {
    if (!this.chunked) {
      this.text += this.raw.toString('utf8');
      this.raw = Buffer.alloc(0);
      return;
    }
    for (;;) {
      const eol = this.raw.indexOf('\r\n');
      if (eol < 0) return;
      const size = parseInt(this.raw.subarray(0, eol).toString('latin1'), 16);
      if (this.raw.length < eol + 2 + size + 2) return;
      this.text += this.raw.subarray(eol + 2, eol + 2 + size).toString('utf8');
      this.raw = this.raw.subarray(eol + 2 + size + 2);
      if (size === 0) this.sock.end();
    }
  }

  split() {
    for (;;) {
      const end = this.text.indexOf('\n\n');
      if (end < 0) return;
      const event = this.text.slice(0, end);
      this.text = this.text.slice(end + 2);
      const data = event.split('\n').filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trimStart());
      if (!data.length) continue; // a comment (heartbeat) or a bare retry:
      this.messages += 1;
      this.onData?.(data.join('\n'));
    }
  }

  close() {
    this.sock.destroy();
  }
}
