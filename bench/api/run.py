#!/usr/bin/env python3
"""CRUD benchmark (issues 2 and 16): wrk through nginx over HTTPS on loopback, 64 keep-alive
connections, against GET /api/projects (100 rows), the same with If-None-Match (304),
GET /api/projects/{id}, PATCH /api/projects/{id} and POST /api/projects, on each store named by
--stores in turn (a fresh stack of its own each: nginx, pool, daemon). SQLite runs with
synchronous=FULL; PostgreSQL on a private cluster with its durable defaults (fsync on,
synchronous_commit=on). Prints req/s and latency percentiles per store, then the stores side by
side.

Usage: bench/api/run.py [--build DIR] [--stores sqlite,postgresql] [--duration 10]
                        [--connections 64] [--workers N]
Build the Release binaries first: cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build
"""
import argparse
import os
import re
import subprocess
import sys

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


def run_store(store, args):
    """Runs every case on a fresh stack of `store`; returns {case: (rps, lat, non2xx, errors)}."""
    results = {}
    with stack_for(store, workers=args.workers) as s:
        for i in range(100):
            r = s.request("POST", "/api/projects",
                          json={"name": f"Project {i}", "description": "x" * 80, "owner": "ann"})
            assert r.status == 201, r
        etag = s.request("GET", "/api/projects").headers["etag"]
        base = f"https://localhost:{s.port}"
        cases = [
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
        print(f"\n{store} (load average {loadavg()})")
        print(f"{'case':42} {'req/s':>9} {'p50':>9} {'p90':>9} {'p99':>9}  non-2xx  socket errors")
        for name, url, extra in cases:
            rps, lat, bad, errors = results[name] = wrk(url, args.duration, args.connections,
                                                        extra)
            print(f"{name:42} {rps:9.0f} {lat.get('50','?'):>9} {lat.get('90','?'):>9} "
                  f"{lat.get('99','?'):>9}  {bad:7}  {errors}", flush=True)
    return results


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--stores", type=parse_stores, default=["sqlite"],
                    help="comma-separated: " + ",".join(STORES))
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--workers", type=int, default=0)
    args = ap.parse_args()
    os.environ["LIVESYNC_BUILD_DIR"] = os.path.abspath(args.build)

    results = {store: run_store(store, args) for store in args.stores}
    if len(args.stores) < 2:
        return
    first = args.stores[0]
    print(f"\nside by side: req/s (p99), and each store's req/s against {first}'s")
    print(f"{'case':42}" + "".join(f" {s:>22}" for s in args.stores)
          + "".join(f" {s + '/' + first:>20}" for s in args.stores[1:]))
    for case in results[first]:
        row = f"{case:42}"
        for s in args.stores:
            rps, lat = results[s][case][:2]
            cell = f"{rps:.0f} ({lat.get('99', '?')})"
            row += f" {cell:>22}"
        for s in args.stores[1:]:
            row += f" {results[s][case][0] / results[first][case][0]:20.2f}"
        print(row)


if __name__ == "__main__":
    main()
