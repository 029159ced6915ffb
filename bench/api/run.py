#!/usr/bin/env python3
"""CRUD benchmark (issues 2 and 16): wrk through nginx over HTTPS on loopback, 64 keep-alive
connections, against GET /api/projects (100 rows), the same with If-None-Match (304),
GET /api/projects/{id}, PATCH /api/projects/{id} and POST /api/projects, on each store named by
--stores (a fresh stack of its own each: nginx, pool, daemon, all started at once; each case runs
on the stores one after the other, --rounds times, so that they meet the same load of a shared
machine). SQLite runs with synchronous=FULL; PostgreSQL on a private cluster with its durable
defaults (fsync on, synchronous_commit=on). Prints req/s and latency percentiles per run, then the
stores side by side: medians, and the median of each round's ratio.

Usage: bench/api/run.py [--build DIR] [--stores sqlite,postgresql] [--duration 10] [--rounds 1]
                        [--cases GET,PATCH] [--connections 64] [--workers N]
Build the Release binaries first: cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build
"""
import argparse
import contextlib
import os
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
from stores import STORES, loadavg, parse_stores, stack_for  # noqa: E402


def wrk(url, duration, connections, extra):
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", *extra, url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)$", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    return rps, lat, int(non2xx.group(1)) if non2xx else 0, errors.group(1) if errors else "none"


def cases_of(stack, etag):
    base = f"https://localhost:{stack.port}"
    return [
        ("GET /api/projects (100 rows)", base + "/api/projects", []),
        ("GET /api/projects If-None-Match (304)", base + "/api/projects",
         ["-H", f"If-None-Match: {etag}"]),
        ("GET /api/projects/50", base + "/api/projects/50", []),
        ("PATCH /api/projects/50", base + "/api/projects/50",
         ["-s", os.path.join(HERE, "patch.lua")]),
        # Last: it grows the table the GETs read.
        ("POST /api/projects", base + "/api/projects",
         ["-s", os.path.join(HERE, "post.lua")]),
    ]


def seeded(stack):
    """100 projects on `stack`; returns the list's ETag."""
    for i in range(100):
        r = stack.request("POST", "/api/projects",
                          json={"name": f"Project {i}", "description": "x" * 80, "owner": "ann"})
        assert r.status == 201, r
    return stack.request("GET", "/api/projects").headers["etag"]


def run(args):
    """Every store's stack at once; each case runs on every store in turn, `rounds` times (the
    order of the stores reversed every other round), so that the stores of one case meet the same
    load of a shared machine. Returns {store: {case: [(rps, lat, non2xx, errors) per round]}}."""
    results = {store: {} for store in args.stores}
    with contextlib.ExitStack() as stacks:
        cases = {}
        for store in args.stores:
            stack = stacks.enter_context(stack_for(store, workers=args.workers))
            cases[store] = [c for c in cases_of(stack, seeded(stack))
                            if any(word in c[0] for word in args.cases)]
        print(f"{'store':10} {'case':42} {'req/s':>9} {'p50':>9} {'p90':>9} {'p99':>9}  "
              "non-2xx  socket errors  load average")
        for i in range(len(cases[args.stores[0]])):
            for r in range(args.rounds):
                order = args.stores if r % 2 == 0 else list(reversed(args.stores))
                for store in order:
                    name, url, extra = cases[store][i]
                    # What a run leaves behind (a checkpoint, autovacuum) settles before the next.
                    time.sleep(3)
                    rps, lat, bad, errors = got = wrk(url, args.duration, args.connections, extra)
                    results[store].setdefault(name, []).append(got)
                    print(f"{store:10} {name:42} {rps:9.0f} {lat.get('50','?'):>9} "
                          f"{lat.get('90','?'):>9} {lat.get('99','?'):>9}  {bad:7}  "
                          f"{errors:13}  {loadavg()}", flush=True)
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--stores", type=parse_stores, default=["sqlite"],
                    help="comma-separated: " + ",".join(STORES))
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=1,
                    help="runs of each case per store, interleaved; figures are their medians")
    ap.add_argument("--cases", type=lambda text: text.split(","), default=[""],
                    help="comma-separated words; only the cases whose name has one, e.g. GET")
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--workers", type=int, default=0)
    args = ap.parse_args()
    os.environ["LIVESYNC_BUILD_DIR"] = os.path.abspath(args.build)

    results = run(args)
    if len(args.stores) < 2:
        return
    first = args.stores[0]
    print(f"\nside by side: median req/s (p99 of that run), and each store's req/s against "
          f"{first}'s, the median of the rounds' ratios")
    print(f"{'case':42}" + "".join(f" {s:>22}" for s in args.stores)
          + "".join(f" {s + '/' + first:>20}" for s in args.stores[1:]))
    for case in results[first]:
        row = f"{case:42}"
        for s in args.stores:
            runs = sorted(results[s][case], key=lambda got: got[0])
            rps, lat = runs[len(runs) // 2][:2]
            cell = f"{rps:.0f} ({lat.get('99', '?')})"
            row += f" {cell:>22}"
        for s in args.stores[1:]:
            ratios = sorted(mine[0] / theirs[0]
                            for mine, theirs in zip(results[s][case], results[first][case]))
            row += f" {statistics.median(ratios):20.2f}"
        print(row)


if __name__ == "__main__":
    main()
