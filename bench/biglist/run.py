#!/usr/bin/env python3
"""Large-list refetch benchmark (issue 18, item 7): a list of 100,000 projects (a CSV import),
N subscribers that each keep the list as the browser does and fetch after every refresh event,
and PATCHes of the newest project (the top row of every page) as the changes. Two modes, one
after the other on the same stack and data:

  full   the client before pages and deltas: every event refetches GET /api/projects,
         conditional (If-None-Match), every row
  delta  web/app/cardlist.js: the first page (?limit=100&order=desc), then ?since=<rev held>

The subscribers are livesync-subgen processes in a fetch mode (../subscribers/subgen/README.md):
a wss:// subscriber plus a keep-alive TLS connection for the list, gzip accepted. Prints per mode:
  bytes/page/change  response bytes (head + body as sent, gzip and chunk framing included) the
                     subscribers received for the changes / (subscribers × changes)
  freshness          PATCH sent → each subscriber holds a list at the PATCH's revision or later:
                     p50, p99, max over all subscribers of all changes; delivered / expected
  CPU/change         nginx (master + workers), the pool (all its processes) and the daemon
                     while the changes ran / changes; and the subscriber processes' own

Usage: bench/biglist/run.py [--build DIR] [--rows 100000] [--modes delta,full]
       [--subscribers 1000] [--full-subscribers 50] [--changes 20] [--full-changes 3]
       [--gap 1.5] [--full-gap 30] [--subgen PATH] [--json FILE]
"""
import argparse
import io
import json
import math
import os
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SUBSCRIBERS_DIR = os.path.join(HERE, "..", "subscribers")
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
sys.path.insert(0, SUBSCRIBERS_DIR)
sys.path.insert(0, HERE)

import proccpu  # noqa: E402
import fanout_driver  # noqa: E402
import procmem  # noqa: E402
import projects_csv  # noqa: E402


fanout = fanout_driver.load()


def import_projects(stack, rows):
    """Imports `rows` projects in one CSV file; returns the id of the newest."""
    out = io.StringIO()
    projects_csv.write(out, rows)
    t = time.time()
    r = stack.request("POST", "/api/import/projects", body=out.getvalue(),
                      content_type="text/csv", timeout=600)
    assert r.status == 200, r
    print(f"imported {r.json()['created']} projects in {time.time() - t:.1f} s", flush=True)
    top = stack.request("GET", "/api/projects?limit=1&order=desc").json()["items"][0]
    return top["id"]


def list_sizes(stack):
    """Bytes of the whole list and of the first page, identity and gzip, as one client sees them."""
    sizes = {}
    for name, path in (("full", "/api/projects"),
                       ("first_page", "/api/projects?limit=100&order=desc")):
        for enc in ("identity", "gzip"):
            r = stack.request("GET", path, headers={"Accept-Encoding": enc}, timeout=300)
            assert r.status == 200, r
            sizes[f"{name}_{enc}"] = len(r.body)
    return sizes


class Server:
    """CPU time of the stack's processes (nginx, the pool, the daemon) from /proc."""

    def __init__(self, stack):
        self.stack = stack

    def _tree(self, name):
        pid = self.stack.procs[name].pid
        return [pid] + procmem.children(pid)

    def cpu(self):
        return {name: sum(map(proccpu.cpu_s, self._tree(proc)))
                for name, proc in (("nginx", "nginx"), ("pool", "fcgi"), ("daemon", "wsd"))}


def freshness(sent, histories):
    """For each change (t0, rev) and each subscriber's history [(rev, t), …]: the first time it
    held that rev or a later one, minus t0. Returns the latencies, how many never did, and each
    change's slowest."""
    latencies, missing, last = [], 0, []
    for t0, rev in sent:
        mine = []
        for history in histories:
            t = next((t for r, t in history if r >= rev), None)
            if t is None:
                missing += 1
            else:
                mine.append(t - t0)
        latencies += mine
        last.append(round(max(mine)) if mine else None)
    return latencies, missing, last


def event_latencies(sent, answers):
    """PATCH sent → the refresh event's arrival at each subscriber: the part of freshness before
    the refetch."""
    out = []
    for t0, rev in sent:
        for a in answers:
            out += [t - t0 for t in a["arrivals"].get(str(rev), [])]
    return out


def merge_fetch(answers):
    total = {"responses": 0, "wire_bytes": 0, "head_bytes": 0, "decoded_bytes": 0, "resets": 0,
             "reconnects": 0, "status": {}, "errors": {}}
    for a in answers:
        f = a["fetch"]
        for k in ("responses", "wire_bytes", "head_bytes", "decoded_bytes", "resets", "reconnects"):
            total[k] += f[k]
        for key in ("status", "errors"):
            for k, v in f[key].items():
                total[key][k] = total[key].get(k, 0) + v
    return total


def run_mode(mode, n, changes, gap, stack, server, api, args, run_index):
    processes = math.ceil(n / args.per_process)
    clients = fanout.Clients([args.subgen], processes, stack.port, "ws", stack.origin, "hello",
                             run_index, [str(args.batch_us), mode])
    try:
        t = time.time()
        open_, failed, errors = clients.open(n, args.parallel)
        ramp = time.time() - t
        print(f"{mode}: {open_} subscribers open and loaded in {ramp:.1f} s, failed {failed}"
              + (f" {errors}" if errors else ""), flush=True)
        time.sleep(args.settle)
        clients.dump_answers()  # the loads and anything before the changes
        api.reconnect()
        cpu0, clients_cpu0 = server.cpu(), clients.cpu()
        sent, patch_ms = [], []
        for i in range(changes):
            t0 = fanout.now_ms()
            rev = api.patch(f"{mode} change {i}")
            patch_ms.append(fanout.now_ms() - t0)
            sent.append((t0, rev))
            time.sleep(gap)
        time.sleep(gap)  # the last change's stragglers
        cpu1, clients_cpu1 = server.cpu(), clients.cpu()
        answers = clients.dump_answers()
    finally:
        clients.close()
    histories = [h for a in answers for h in a["held"]]
    fetch = merge_fetch(answers)
    latencies, missing, last = freshness(sent, histories)
    events = event_latencies(sent, answers)
    cpu = {k: round((cpu1[k] - cpu0[k]) * 1000 / changes, 1) for k in cpu1}
    cpu["server"] = round(sum(cpu.values()), 1)
    cpu["clients"] = round((clients_cpu1 - clients_cpu0) * 1000 / changes, 1)
    pages = max(1, len(histories)) * changes
    return {
        "mode": mode, "subscribers": n, "open": open_, "failed": failed, "ramp_s": round(ramp, 1),
        "changes": changes, "gap_s": gap,
        "bytes_per_page_per_change": round(fetch["wire_bytes"] / pages),
        "head_bytes_per_page_per_change": round(fetch["head_bytes"] / pages),
        "decoded_bytes_per_page_per_change": round(fetch["decoded_bytes"] / pages),
        "responses_per_page_per_change": round(fetch["responses"] / pages, 2),
        # Expected of every subscriber asked for: one that failed or dropped counts as missing.
        "delivered": len(latencies), "expected": n * changes, "missing_of_open": missing,
        "p50_ms": fanout.pct(latencies, 50) if latencies else None,
        "p99_ms": fanout.pct(latencies, 99) if latencies else None,
        "max_ms": max(latencies) if latencies else None, "last_per_change_ms": last,
        "event_p50_ms": fanout.pct(events, 50) if events else None,
        "event_p99_ms": fanout.pct(events, 99) if events else None,
        "cpu_ms_per_change": cpu, "patch_ms_p50": round(fanout.pct(patch_ms, 50), 1),
        "fetch": fetch,
    }


def fmt(v):
    return "—" if v is None else f"{v:.1f}"


def print_row(r):
    c = r["cpu_ms_per_change"]
    print(f"{r['mode']:5} N={r['subscribers']:<5} changes={r['changes']:<3} "
          f"bytes/page/change={r['bytes_per_page_per_change']} "
          f"(head {r['head_bytes_per_page_per_change']}, decoded body "
          f"{r['decoded_bytes_per_page_per_change']}, responses {r['responses_per_page_per_change']}) | "
          f"freshness p50={fmt(r['p50_ms'])} p99={fmt(r['p99_ms'])} max={fmt(r['max_ms'])} ms "
          f"delivered={r['delivered']}/{r['expected']} (of it PATCH → event p50="
          f"{fmt(r['event_p50_ms'])} p99={fmt(r['event_p99_ms'])}) | "
          f"CPU ms/change server={c['server']} "
          f"(nginx {c['nginx']}, pool {c['pool']}, daemon {c['daemon']}) clients={c['clients']} | "
          f"PATCH p50 {r['patch_ms_p50']} ms | status {r['fetch']['status']} "
          f"resets {r['fetch']['resets']} reconnects {r['fetch']['reconnects']} | "
          f"slowest per change {r['last_per_change_ms']}"
          + (f" | errors {r['fetch']['errors']}" if r["fetch"]["errors"] else ""), flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--subgen", help="the livesync-subgen to use (default: the --build one; "
                                      "e.g. a sanitizer build's, to check the generator)")
    ap.add_argument("--rows", type=int, default=100000)
    ap.add_argument("--modes", default="delta,full", help="which modes, in this order")
    ap.add_argument("--subscribers", type=int, default=1000, help="delta mode's subscribers")
    ap.add_argument("--full-subscribers", type=int, default=50,
                    help="full mode's: each change makes every one of them download the whole "
                         "list, so 1,000 would take minutes of the two cores per change")
    ap.add_argument("--changes", type=int, default=20, help="PATCHes in delta mode")
    ap.add_argument("--full-changes", type=int, default=3, help="PATCHes in full mode")
    ap.add_argument("--gap", type=float, default=1.5, help="seconds between delta mode's PATCHes")
    ap.add_argument("--full-gap", type=float, default=30.0,
                    help="seconds between full mode's PATCHes (every page's download must fit)")
    ap.add_argument("--settle", type=float, default=1.0, help="seconds after the ramp")
    ap.add_argument("--per-process", type=int, default=1000, help="subscribers per subgen")
    ap.add_argument("--parallel", type=int, default=50, help="handshakes and loads in flight")
    ap.add_argument("--batch-us", type=int, default=0, help="subgen's BATCH_US (README)")
    ap.add_argument("--nginx-workers", type=int, default=2)
    ap.add_argument("--json", help="also write every figure to this file")
    args = ap.parse_args()
    args.subgen = args.subgen or fanout.subgen_path(args.build)
    if not os.access(args.subgen, os.X_OK):
        sys.exit(f"run.py: {args.subgen} is missing (cmake --build {args.build} "
                 "--target livesync-subgen)")
    if not 0 <= args.batch_us <= 100000:
        sys.exit("run.py: --batch-us takes 0 to 100000 (µs)")
    modes = args.modes.split(",")
    if not modes or any(m not in ("full", "delta") for m in modes):
        sys.exit("run.py: --modes takes full and/or delta")
    os.environ["LIVESYNC_BUILD_DIR"] = os.path.abspath(args.build)
    from livesync_stack import Stack  # reads LIVESYNC_BUILD_DIR at import

    t = time.time()
    load0 = os.getloadavg()
    results = []
    with Stack(nginx_workers=args.nginx_workers) as stack:
        target_id = import_projects(stack, args.rows)
        sizes = list_sizes(stack)
        print(f"list sizes in bytes: {sizes}", flush=True)
        server = Server(stack)
        api = fanout.Api(stack, target_id)  # the newest project: the top row of every page
        for i, mode in enumerate(modes):
            if mode == "delta":
                r = run_mode(mode, args.subscribers, args.changes, args.gap, stack, server,
                             api, args, i + 1)
            else:
                r = run_mode(mode, args.full_subscribers, args.full_changes, args.full_gap,
                             stack, server, api, args, i + 1)
            r["rows"], r["list_sizes"] = args.rows, sizes
            results.append(r)
            print_row(r)
    print(f"total {time.time() - t:.0f} s; load average before {load0}, after "
          f"{os.getloadavg()}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
