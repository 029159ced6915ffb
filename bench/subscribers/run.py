#!/usr/bin/env python3
"""Subscriber fan-out benchmark (issue 3): N idle subscribers through nginx over wss:// (/ws) and,
separately, SSE (/events), against livesync (nginx → livesync-wsd) and against Nchan (an nginx
with the Nchan module, nchan.conf.in) on the same box. For each N, ~10 PATCHes through the API
spaced apart are the triggers (for Nchan the bench publishes the same refresh message after each
PATCH, as an application would after its commit). Prints, per server, transport and N:
  latency  from sending the PATCH to each subscriber receiving the refresh (all subscribers of
           all triggers pooled): p50, p99, max; and each trigger's last delivery
  delivered  refreshes received of N × triggers expected
  memory   per connection: (value with N subscribers − value before the first) / N, for the
           daemon's VmRSS, the nginx workers' VmRSS summed, and nginx's Pss (master + workers,
           shared zones counted once; see procmem.py)
  CPU      per trigger: the CPU time the daemon and the nginx workers used while the triggers
           ran (heartbeats included) / triggers; for Nchan its nginx workers (publish included);
           and, as "clients", the subscriber processes' own

Usage: bench/subscribers/run.py [--build DIR] [--counts 1000,10000,18000] [--triggers 10]
       [--gap 1.5] [--servers livesync,nchan] [--transports ws,sse] [--nginx-workers 4]
       [--client subgen|node] [--batch-us US] [--json FILE]
Subscribers are held by processes of at most --per-process each: livesync-subgen (subgen/, the
default: C, epoll and OpenSSL in one thread) or node (client.js), with the same protocol.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))

import proccpu  # noqa: E402
import procmem  # noqa: E402


def now_ms():
    # CLOCK_MONOTONIC, the clock the clients stamp arrivals with (clock_gettime, process.hrtime).
    return time.monotonic_ns() / 1e6


def pct(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, math.ceil(p / 100 * len(s)) - 1))]


def client_label(args):
    return f"{args.client}/{args.batch_us}us" if args.batch_us else args.client


def subgen_path(build):
    return os.path.join(os.path.abspath(build), "bench", "subscribers", "subgen", "livesync-subgen")


class Clients:
    """The subscriber processes (`command` + client.js's arguments); process i binds its sockets
    to 127.0.<run>.<i + 2>."""

    def __init__(self, command, count, port, transport, origin, ready_on, run, tail=()):
        self.procs = [subprocess.Popen(command + [str(port), transport, origin,
                                                  f"127.0.{run}.{i + 2}", ready_on, *tail],
                                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
                      for i in range(count)]

    def cpu(self):
        """CPU seconds the subscriber processes have used so far."""
        return sum(proccpu.cpu_s(p.pid) for p in self.procs)

    def _ask(self, commands):
        for p, cmd in zip(self.procs, commands):
            p.stdin.write(json.dumps(cmd) + "\n")
            p.stdin.flush()
        return [json.loads(p.stdout.readline()) for p in self.procs]

    def open(self, total, parallel):
        """Opens `total` more subscribers spread evenly over the processes."""
        share = [total // len(self.procs) + (i < total % len(self.procs))
                 for i in range(len(self.procs))]
        answers = self._ask([{"cmd": "open", "count": n, "parallel": parallel} for n in share])
        errors = {}
        for a in answers:
            for k, v in a["errors"].items():
                errors[k] = errors.get(k, 0) + v
        return sum(a["open"] for a in answers), sum(a["failed"] for a in answers), errors

    def dump_answers(self):
        """Every process's dump answer (see subgen/README.md); forgets them in the processes."""
        return self._ask([{"cmd": "dump"}] * len(self.procs))

    def dump(self):
        """Arrival times by rev, over all processes; forgets them in the processes."""
        merged = {}
        for a in self.dump_answers():
            for rev, times in a["arrivals"].items():
                merged.setdefault(int(rev), []).extend(times)
        return merged

    def close(self):
        for p in self.procs:
            p.stdin.close()
        for p in self.procs:
            p.wait(timeout=30)


class Livesync:
    """The project's stack: subscribers through nginx to livesync-wsd, a PATCH as the trigger."""
    name = "livesync"

    def __init__(self, nginx_workers):
        # Imported late: livesync_stack reads LIVESYNC_BUILD_DIR (set in main) at import.
        from livesync_stack import Stack
        self.stack = Stack(nginx_workers=nginx_workers)
        self.stack.start()
        self.api = Api(self.stack)
        self.port, self.origin = self.stack.port, self.stack.origin

    ws_ready_on = "hello"

    def trigger(self, name):
        t0 = now_ms()
        rev = self.api.patch(name)
        return t0, rev, {"patch_ms": now_ms() - t0}

    @property
    def nginx_master(self):
        return self.stack.procs["nginx"].pid

    def cpu(self):
        return {"daemon": proccpu.cpu_s(self.stack.procs["wsd"].pid),
                "nginx": sum(map(proccpu.cpu_s, procmem.children(self.nginx_master)))}

    def pacing(self):
        """The daemon's fan-out pauses so far (docs/daemon.md, "Paced fan-out")."""
        m = self.stack.daemon_metrics()
        return {"waits": m["fanout_waits_total"], "timeouts": m["fanout_wait_timeouts_total"]}

    def memory(self):
        m = procmem.nginx_memory(self.nginx_master)
        m["daemon_rss"] = procmem.rss_kib(self.stack.procs["wsd"].pid)
        m["daemon_fds"] = procmem.open_fds(self.stack.procs["wsd"].pid)
        return m

    def stop(self):
        self.stack.stop()


class NchanServer:
    """Nchan's nginx for the subscribers; the API (no daemon) takes the PATCH, then the bench
    publishes the refresh message to Nchan."""
    name = "nchan"

    def __init__(self, nginx_workers):
        from livesync_stack import Stack  # late, as in Livesync
        from nchan import Nchan
        self.stack = Stack(daemon=False)
        self.stack.start()
        try:
            self.nchan = Nchan(self.stack, nginx_workers)
        except BaseException:
            self.stack.stop()
            raise
        self.api = Api(self.stack)
        self.port, self.origin = self.nchan.port, f"https://localhost:{self.nchan.port}"

    ws_ready_on = "upgrade"  # Nchan sends nothing on connect

    def trigger(self, name):
        t0 = now_ms()
        rev = self.api.patch(name)
        t1 = now_ms()
        msg = json.dumps({"type": "refresh", "entity": "projects", "rev": rev})
        status = self.nchan.publish(msg)
        assert status in (201, 202), status
        return t0, rev, {"patch_ms": t1 - t0, "publish_ms": now_ms() - t1}

    @property
    def nginx_master(self):
        return self.nchan.master

    def cpu(self):
        return {"nginx": sum(map(proccpu.cpu_s, procmem.children(self.nginx_master)))}

    def memory(self):
        m = procmem.nginx_memory(self.nginx_master)
        m["nchan_shm_used"] = self.nchan.status().get("shared memory used")
        return m

    def stop(self):
        self.nchan.stop()
        self.stack.stop()


class Api:
    """PATCHes one project on a warm keep-alive connection (no TLS handshake in the timing):
    `row_id`, or a new one."""

    def __init__(self, stack, row_id=None):
        self.stack = stack
        self.conn = stack.connection()
        if row_id is None:
            r = stack.request("POST", "/api/projects", json={"name": "Fan-out"}, conn=self.conn)
            assert r.status == 201, r
            row_id = r.json()["id"]
        self.id = row_id

    def reconnect(self):
        """A fresh warm connection: nginx closes one idle for keepalive_timeout (65 s), and a
        ramp of thousands of handshakes can take that long on a busy machine."""
        self.conn.close()
        self.conn = self.stack.connection()
        assert self.stack.request("GET", "/api/health", conn=self.conn).status == 200

    def patch(self, name):
        r = self.stack.request("PATCH", f"/api/projects/{self.id}", json={"name": name},
                               conn=self.conn)
        assert r.status == 200, r
        return r.json()["rev"]


def worker_fds(master):
    return [procmem.open_fds(p) for p in procmem.children(master)]


def measure(server, clients, n, base, args):
    """Triggers args.triggers refreshes with n subscribers open; returns the figures."""
    clients.dump()  # anything before these triggers
    server.api.reconnect()
    cpu0 = server.cpu()
    clients_cpu0 = clients.cpu()
    pacing0 = server.pacing() if hasattr(server, "pacing") else None
    sent = []
    for i in range(args.triggers):
        t0, rev, detail = server.trigger(f"fan-out {server.name} {n} {i}")
        sent.append((t0, rev, detail))
        time.sleep(args.gap)
    time.sleep(args.gap)  # stragglers of the last trigger
    # Everything the servers did while the triggers ran (heartbeats included), per trigger.
    cpu_ms = {k: round((v - cpu0[k]) * 1000 / args.triggers, 1) for k, v in server.cpu().items()}
    cpu_ms["clients"] = round((clients.cpu() - clients_cpu0) * 1000 / args.triggers, 1)
    arrivals = clients.dump()
    mem = server.memory()
    pacing = ({k: v - pacing0[k] for k, v in server.pacing().items()}
              if pacing0 is not None else None)
    latencies = []
    last = []  # per trigger: when its last subscriber had it
    for t0, rev, _ in sent:
        mine = [t - t0 for t in arrivals.get(rev, [])]
        latencies += mine
        last.append(round(max(mine)) if mine else None)
    per_conn = {k: (mem[k] - base[k]) / n
                for k in ("daemon_rss", "workers_rss", "pss", "zones_pss") if k in mem}
    details = {k: round(pct([d[k] for _, _, d in sent], 50), 2) for k in sent[0][2]}
    slowest = {k: round(max(d[k] for _, _, d in sent), 2) for k in sent[0][2]}
    return {
        "delivered": len(latencies), "expected": n * args.triggers,
        "p50": pct(latencies, 50) if latencies else None,
        "p99": pct(latencies, 99) if latencies else None,
        "max": max(latencies) if latencies else None, "last_per_trigger": last,
        "kib_per_conn": per_conn, "memory": mem, "base": base, "trigger_p50": details,
        "trigger_max": slowest, "cpu_ms_per_trigger": cpu_ms, "fanout_pauses": pacing,
    }


def run(server_cls, transport, args, run_index):
    server = server_cls(args.nginx_workers)
    results = []
    clients = None
    try:
        server.trigger("warm-up")  # first event and allocations before the baseline
        time.sleep(1)
        base = server.memory()
        clients = Clients(args.client_command, math.ceil(max(args.counts) / args.per_process),
                          server.port, transport, server.origin, server.ws_ready_on, run_index,
                          args.client_tail)
        have = 0
        for n in args.counts:
            t = time.time()
            open_, failed, errors = clients.open(n - have, args.parallel)
            ramp = time.time() - t
            have = n
            time.sleep(args.settle)
            r = measure(server, clients, n, base, args)
            r.update(server=server.name, transport=transport, client=client_label(args), n=n,
                     open=open_, failed=failed,
                     errors=errors, ramp_s=round(ramp, 1),
                     nginx_worker_fds=worker_fds(server.nginx_master))
            results.append(r)
            print_row(r)
    finally:
        if clients:
            clients.close()
        server.stop()
    return results


def fmt(v):
    return "—" if v is None else f"{v:.1f}"


def print_row(r):
    k = r["kib_per_conn"]
    print(f"{r['server']:8} {r['transport']:3} {r['client']:12} N={r['n']:<6} open={r['open']:<6} "
          f"failed={r['failed']:<4} ramp={r['ramp_s']:5.1f}s "
          f"delivered={r['delivered']}/{r['expected']} p50={fmt(r['p50'])} p99={fmt(r['p99'])} "
          f"max={fmt(r['max'])} ms | KiB/conn: daemon={fmt(k.get('daemon_rss'))} "
          f"nginx-workers-rss={fmt(k['workers_rss'])} nginx-pss={fmt(k['pss'])} "
          f"(zones {fmt(k['zones_pss'])}) | CPU ms/trigger {r['cpu_ms_per_trigger']} | "
          f"trigger p50 {r['trigger_p50']} max {r['trigger_max']} | "
          f"last per trigger {r['last_per_trigger']} | "
          f"nginx worker fds {r['nginx_worker_fds']}"
          + (f" | fan-out pauses {r['fanout_pauses']}" if r.get("fanout_pauses") else "")
          + (f" | errors {r['errors']}" if r["errors"] else ""), flush=True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--counts", default="1000,10000,18000")
    ap.add_argument("--triggers", type=int, default=10)
    ap.add_argument("--gap", type=float, default=1.5, help="seconds between triggers")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds after a ramp")
    ap.add_argument("--servers", default="livesync,nchan")
    ap.add_argument("--transports", default="ws,sse")
    ap.add_argument("--nginx-workers", type=int, default=4)
    ap.add_argument("--per-process", type=int, default=5000)
    ap.add_argument("--parallel", type=int, default=50, help="handshakes in flight per process")
    ap.add_argument("--client", choices=("subgen", "node"), default="subgen",
                    help="what holds the subscribers: livesync-subgen from --build (the default) "
                         "or node client.js")
    ap.add_argument("--batch-us", type=int, default=0,
                    help="subgen only: sleep this long between reads that found few events, so "
                         "the clients take a stream in batches rather than one wake-up per "
                         "message (adds up to that much to each latency)")
    ap.add_argument("--json", help="also write every figure to this file")
    args = ap.parse_args()
    if not 0 <= args.batch_us <= 100000:
        sys.exit("run.py: --batch-us takes 0 to 100000 (µs)")
    if args.client == "subgen":
        binary = subgen_path(args.build)
        if not os.access(binary, os.X_OK):
            sys.exit(f"run.py: {binary} is missing; build it (cmake --build {args.build} "
                     "--target livesync-subgen) or use --client node")
        args.client_command = [binary]
        args.client_tail = [str(args.batch_us)] if args.batch_us else []
    else:
        if args.batch_us:
            sys.exit("run.py: --batch-us is for --client subgen")
        args.client_command = ["node", os.path.join(HERE, "client.js")]
        args.client_tail = []
    args.counts = [int(c) for c in args.counts.split(",")]
    os.environ["LIVESYNC_BUILD_DIR"] = os.path.abspath(args.build)
    servers = {"livesync": Livesync, "nchan": NchanServer}
    results = []
    t = time.time()
    run_index = 1
    for name in args.servers.split(","):
        for transport in args.transports.split(","):
            results += run(servers[name], transport, args, run_index)
            run_index += 1
    print(f"total {time.time() - t:.0f} s")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
