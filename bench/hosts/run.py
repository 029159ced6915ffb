#!/usr/bin/env python3
"""Cross-host benchmark (issue 17, item 9): two livesync hosts on one PostgreSQL, each host a
whole stack (nginx, the pool, the daemon) as docs/scaling.md draws them, on loopback ports of
this machine, both listing both origins (tests/integration/multi_host.py), and one durable
PostgreSQL cluster (fsync on, made by scripts/pg-cluster without --throwaway).

  freshness  N wss:// subscribers on one host; PATCHes sent through host A, spaced out; PATCH
             sent → its refresh event at each subscriber, p50 / p99 / max and delivered /
             expected. Twice in the same run, with the same stacks: the subscribers on host A
             (one host: the pool's NOTIFY reaches its own daemon) and on host B (across hosts:
             A's pool → PostgreSQL → B's daemon).
  write rate wrk PATCHing one project through host A (`--writers` connections, `--write-s`
             seconds, every request a committed write): requests/s and latency, with the stacks
             on `notify = on`, then again after restarting both on `notify = off` (each daemon
             polls the revisions every `poll_ms`). With `notify = off` the cross-host freshness
             is measured again too, for what the polling costs.

Usage: bench/hosts/run.py [--build DIR] [--subscribers 1000] [--changes 20] [--gap 1.0]
       [--writers 16] [--write-s 10] [--json FILE]
"""
import argparse
import json
import math
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
SUBSCRIBERS_DIR = os.path.join(HERE, "..", "subscribers")
sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
sys.path.insert(0, SUBSCRIBERS_DIR)

import proccpu  # noqa: E402
import fanout_driver  # noqa: E402
import procmem  # noqa: E402
from pg_cluster import PgCluster  # noqa: E402


fanout = fanout_driver.load()


def start_hosts(uri, notify):
    """Hosts A and B (tests/integration/multi_host.py) on the durable cluster `uri`."""
    from multi_host import Hosts  # imported late: livesync_stack reads the environment set in main
    hosts = Hosts(2, {"notify": notify}, database=uri)
    hosts.start()
    return hosts


def cpu_s(hosts):
    """CPU seconds so far of each host's nginx, pool and daemon (each with its children)."""
    out = {}
    for name, stack in zip("AB", hosts.stacks):
        for proc, key in (("nginx", "nginx"), ("fcgi", "pool"), ("wsd", "daemon")):
            pid = stack.procs[proc].pid
            out[f"{name} {key}"] = sum(map(proccpu.cpu_s, [pid] + procmem.children(pid)))
    return out


def freshness(label, target, api, args, run_index):
    """N subscribers on `target`; `args.changes` PATCHes through `api` (host A)."""
    processes = math.ceil(args.subscribers / args.per_process)
    clients = fanout.Clients([args.subgen], processes, target.port, "ws", target.origin, "hello",
                             run_index, [str(args.batch_us)] if args.batch_us else [])
    try:
        t = time.time()
        open_, failed, errors = clients.open(args.subscribers, args.parallel)
        ramp = time.time() - t
        print(f"{label}: {open_} subscribers open in {ramp:.1f} s, failed {failed}"
              + (f" {errors}" if errors else ""), flush=True)
        time.sleep(args.settle)
        clients.dump()  # the hellos and anything before the changes
        api.reconnect()
        sent, patch_ms = [], []
        for i in range(args.changes):
            t0 = fanout.now_ms()
            rev = api.patch(f"{label} change {i}")
            patch_ms.append(fanout.now_ms() - t0)
            sent.append((t0, rev))
            time.sleep(args.gap)
        time.sleep(args.gap)  # the last change's stragglers
        arrivals = clients.dump()
    finally:
        clients.close()
    latencies, last = [], []
    for t0, rev in sent:
        mine = [t - t0 for t in arrivals.get(rev, [])]
        latencies += mine
        last.append(round(max(mine)) if mine else None)
    return {
        "case": label, "subscribers": args.subscribers, "open": open_, "failed": failed,
        "changes": args.changes, "delivered": len(latencies),
        "expected": args.subscribers * args.changes,
        "p50_ms": fanout.pct(latencies, 50) if latencies else None,
        "p99_ms": fanout.pct(latencies, 99) if latencies else None,
        "max_ms": max(latencies) if latencies else None,
        "patch_ms_p50": round(fanout.pct(patch_ms, 50), 1), "last_per_change_ms": last,
    }


def write_rate(label, stack, args):
    """wrk PATCHing one project through `stack` (bench/api/patch.lua: every request a write)."""
    r = stack.request("POST", "/api/projects", json={"name": f"{label} writes"})
    assert r.status == 201, r
    url = f"https://localhost:{stack.port}/api/projects/{r.json()['id']}"
    out = subprocess.run(["wrk", "-t2", f"-c{args.writers}", f"-d{args.write_s}s", "--latency",
                          "-s", os.path.join(HERE, "..", "api", "patch.lua"), url],
                         capture_output=True, text=True, check=True).stdout
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return {"case": label, "writers": args.writers, "seconds": args.write_s,
            "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "p50": lat.get("50"), "p99": lat.get("99"),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0,
            "socket_errors": errors.group(1) if errors else "none"}


def fmt(v):
    return "—" if v is None else f"{v:.1f}"


def print_freshness(r):
    print(f"{r['case']:28} N={r['subscribers']:<5} changes={r['changes']:<3} "
          f"p50={fmt(r['p50_ms'])} p99={fmt(r['p99_ms'])} max={fmt(r['max_ms'])} ms "
          f"delivered={r['delivered']}/{r['expected']} | PATCH p50 {r['patch_ms_p50']} ms | "
          f"slowest per change {r['last_per_change_ms']}", flush=True)


def print_writes(r):
    print(f"{r['case']:28} {r['writers']} connections {r['seconds']} s: {r['rps']:.0f} writes/s "
          f"p50 {r['p50']} p99 {r['p99']} non-2xx {r['non_2xx']} socket errors "
          f"{r['socket_errors']}", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(SOURCE_DIR, "build"))
    ap.add_argument("--subgen", help="the livesync-subgen to use (default: the --build one)")
    ap.add_argument("--subscribers", type=int, default=1000)
    ap.add_argument("--changes", type=int, default=20)
    ap.add_argument("--gap", type=float, default=1.0, help="seconds between PATCHes")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds after the ramp")
    ap.add_argument("--per-process", type=int, default=1000, help="subscribers per subgen")
    ap.add_argument("--parallel", type=int, default=50, help="handshakes in flight")
    ap.add_argument("--batch-us", type=int, default=0, help="subgen's BATCH_US")
    ap.add_argument("--writers", type=int, default=16, help="wrk connections for the write rate")
    ap.add_argument("--write-s", type=int, default=10, help="seconds of each write-rate run")
    ap.add_argument("--json", help="also write every figure to this file")
    args = ap.parse_args()
    args.subgen = args.subgen or fanout.subgen_path(args.build)
    if not os.access(args.subgen, os.X_OK):
        sys.exit(f"run.py: {args.subgen} is missing (cmake --build {args.build} "
                 "--target livesync-subgen)")
    os.environ["LIVESYNC_BUILD_DIR"] = os.path.abspath(args.build)
    # Each host is given the one cluster; a stack must not make a throwaway one of its own.
    os.environ["LIVESYNC_TEST_STORE"] = "sqlite"

    t = time.time()
    load0 = os.getloadavg()
    results = []
    with PgCluster(durable=True) as pg:  # fsync and synchronous_commit on
        hosts = start_hosts(pg.uri, "on")
        try:
            a, b = hosts.stacks
            api = fanout.Api(a)
            cpu0 = cpu_s(hosts)
            for i, (label, target) in enumerate((("one host (A → A)", a),
                                                 ("across hosts (A → B)", b))):
                r = freshness(label, target, api, args, i + 1)
                results.append(r)
                print_freshness(r)
            cpu1 = cpu_s(hosts)
            print("CPU s during both freshness runs (ramps included): "
                  + ", ".join(f"{k} {cpu1[k] - cpu0[k]:.2f}" for k in cpu1), flush=True)
            r = write_rate("writes, notify = on", a, args)
            results.append(r)
            print_writes(r)
        finally:
            hosts.stop()
        hosts = start_hosts(pg.uri, "off")
        try:
            a, b = hosts.stacks
            r = write_rate("writes, notify = off", a, args)
            results.append(r)
            print_writes(r)
            r = freshness("across hosts, notify = off", b, fanout.Api(a), args, 3)
            results.append(r)
            print_freshness(r)
        finally:
            hosts.stop()
    print(f"total {time.time() - t:.0f} s; load average before {load0}, after "
          f"{os.getloadavg()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
