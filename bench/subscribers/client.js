// One subscriber process of the fan-out benchmark (bench/subscribers/run.py starts several: each
// process may hold at most 20,000 open files, and one source address per process keeps them off
// each other's ephemeral ports). Holds many idle subscribers over TLS and stamps, on the
// CLOCK_MONOTONIC clock the driver also reads, when each refresh reaches each of them.
//
//   node client.js PORT ws|sse ORIGIN LOCAL_ADDRESS hello|upgrade
//
// Commands on stdin, one JSON object a line; one JSON answer a line on stdout:
//   {"cmd":"open","count":K,"parallel":P}  opens K more subscribers, at most P handshakes at a time
//        → {"open":N,"failed":F,"errors":{message:count},"ms":T}
//   {"cmd":"dump"}  → {"arrivals":{"<rev>":[ms,…]},"open":N}, and forgets the arrivals
// It exits when stdin closes.

import readline from 'node:readline';
import { Subscriber } from '../freshness/subscribers.js';
import { SseSubscriber } from './sse.js';

const [port, transport, origin, localAddress, readyOn] = process.argv.slice(2);
const CONNECT_TIMEOUT_MS = 30000;
const subs = [];
let arrivals = new Map(); // rev → receive times (ms)

const nowMs = () => Number(process.hrtime.bigint()) / 1e6;

function onMessage(text) {
  const t = nowMs();
  let msg;
  try {
    msg = JSON.parse(text);
  } catch {
    return;
  }
  if (msg.type !== 'refresh') return;
  if (!arrivals.has(msg.rev)) arrivals.set(msg.rev, []);
  arrivals.get(msg.rev).push(t);
}

function connect() {
  const opts = { localAddress, onText: (p) => onMessage(p.toString()), onData: onMessage, readyOn };
  const s = transport === 'ws' ? new Subscriber(Number(port), origin, opts) : new SseSubscriber(Number(port), opts);
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error('connect timeout')), CONNECT_TIMEOUT_MS);
  });
  return Promise.race([s.ready, timeout])
    .then(() => s)
    .catch((e) => {
      s.sock.destroy();
      throw e;
    })
    .finally(() => clearTimeout(timer));
}

async function open(count, parallel) {
  const t0 = nowMs();
  const errors = {};
  let failed = 0;
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next += 1;
      try {
        subs.push(await connect());
      } catch (e) {
        failed += 1;
        errors[e.message] = (errors[e.message] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, lane));
  return { open: subs.filter((s) => !s.closed).length, failed, errors, ms: Math.round(nowMs() - t0) };
}

function dump() {
  const out = Object.fromEntries(arrivals);
  arrivals = new Map();
  return { arrivals: out, open: subs.filter((s) => !s.closed).length };
}

const reply = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
const rl = readline.createInterface({ input: process.stdin });
// Commands run one at a time: the driver waits for each answer before it sends the next.
rl.on('line', async (line) => {
  const cmd = JSON.parse(line);
  if (cmd.cmd === 'open') reply(await open(cmd.count, cmd.parallel));
  else if (cmd.cmd === 'dump') reply(dump());
});
rl.on('close', () => {
  for (const s of subs) s.close();
  process.exit(0);
});
