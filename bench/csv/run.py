#!/usr/bin/env python3
"""CSV benchmark (issues 5 and 16): import through nginx over HTTPS of 100,000 projects rows and of
20,000 and 100,000 subcomponents with 5-item checklists, and export of the same, on each store
named by --stores in turn (fresh stacks of its own: bench/stores.py); prints seconds per request
and the pool workers' peak memory above idle (VmRSS sampled every 5 ms), then the stores side by
side.

Usage: bench/csv/run.py [--build DIR] [--stores sqlite,postgresql] [--no-subcomponents]
Build the Release binaries first: cmake -S . -B build -DCMAKE_BUILD_TYPE=Release && cmake --build build
"""
import argparse
import json
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))
from stores import STORES, loadavg, parse_stores, stack_for  # noqa: E402


def workers(master):
    with open(f"/proc/{master}/task/{master}/children") as f:
        return [int(p) for p in f.read().split()]


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class PeakRss:
    """The largest RSS increase of any worker over its value when sampling began."""

    def __init__(self, master):
        self.pids = workers(master)
        self.idle = {p: rss_kib(p) for p in self.pids}
        self.peak = 0
        self.running = True
        self.thread = threading.Thread(target=self.sample, daemon=True)

    def sample(self):
        while self.running:
            for p in self.pids:
                self.peak = max(self.peak, rss_kib(p) - self.idle[p])
            time.sleep(0.005)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.thread.join()


def projects_csv(n):
    rows = ["name,description,status,owner"]
    statuses = ["planned", "active", "on_hold", "done"]
    for i in range(n):
        rows.append(f"Project {i},\"Imported, row {i}\",{statuses[i % 4]},owner{i % 50}")
    return "\r\n".join(rows) + "\r\n"


def subcomponents_csv(n, solution_id):
    rows = ["solution_id,name,status,owner,checklist"]
    for i in range(n):
        items = json.dumps([{"label": f"step {k}", "done": k % 2 == 0} for k in range(5)])
        rows.append(f"{solution_id},Part {i},active,ann,\"{items.replace(chr(34), chr(34) * 2)}\"")
    return "\r\n".join(rows) + "\r\n"


def timed(s, conn, method, path, body=None):
    with PeakRss(s.procs["fcgi"].pid) as mem:
        started = time.perf_counter()
        r = s.request(method, path, body=body, conn=conn, timeout=300,
                      content_type="text/csv" if body is not None else None)
        elapsed = time.perf_counter() - started
    assert r.status == 200, (r.status, r.body[:500])
    return elapsed, mem.peak, r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--stores", type=parse_stores, default=["sqlite"],
                    help="comma-separated: " + ",".join(STORES))
    ap.add_argument("--subcomponents", action=argparse.BooleanOptionalAction, default=True,
                    help="also the subcomponent files (row by row on a slow store: minutes)")
    args = ap.parse_args()
    os.environ["LIVESYNC_BUILD_DIR"] = os.path.abspath(args.build)

    runs = ((100_000, 20_000), (None, 100_000)) if args.subcomponents else ((100_000, None),)
    results = {}
    for store in args.stores:
        print(f"\n{store} (load average {loadavg()})")
        print(f"{'case':38} {'seconds':>8} {'MiB body':>9} {'worker +MiB':>12}")
        results[store] = {}
        # The 100,000-subcomponent file gets a database of its own, so that its export is of
        # the same 100,000 rows (as the "export of the same" asks), not of 120,000.
        for sizes in runs:
            with stack_for(store) as s:
                results[store].update(run_cases(s, *sizes))
    if len(args.stores) < 2:
        return
    first = args.stores[0]
    print("\nside by side: seconds (worker +MiB)")
    print(f"{'case':38}" + "".join(f" {s:>18}" for s in args.stores))
    for case in results[first]:
        cells = [f"{results[s][case][0]:.3f} ({results[s][case][1]:.1f})" for s in args.stores]
        print(f"{case:38}" + "".join(f" {c:>18}" for c in cells))


def run_cases(s, projects, subcomponents):
    conn = s.connection(timeout=300)
    s.request("GET", "/api/health", conn=conn)  # TLS handshake outside the timings
    project = s.request("POST", "/api/projects", json={"name": "Host"}, conn=conn).json()
    solution = s.request("POST", "/api/solutions", conn=conn,
                         json={"project_id": project["id"], "name": "Host"}).json()
    cases = []
    if projects:
        cases += [
            (f"import {projects:,} projects", "POST", "/api/import/projects",
             projects_csv(projects)),
            (f"export projects ({projects + 1:,} rows)", "GET", "/api/export/projects.csv", None),
        ]
    if subcomponents:
        cases += [
            (f"import {subcomponents:,} subcomponents", "POST", "/api/import/subcomponents",
             subcomponents_csv(subcomponents, solution["id"])),
            (f"export subcomponents ({subcomponents:,} rows)", "GET",
             "/api/export/subcomponents.csv", None),
        ]
    results = {}
    for name, method, path, body in cases:
        elapsed, peak_kib, r = timed(s, conn, method, path, body)
        size = len(body) if body is not None else len(r.body)
        print(f"{name:38} {elapsed:8.3f} {size / 2**20:9.1f} {peak_kib / 1024:12.1f}",
              flush=True)
        results[name] = (elapsed, peak_kib / 1024)
    return results

if __name__ == "__main__":
    main()
