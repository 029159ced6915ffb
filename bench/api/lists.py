#!/usr/bin/env python3
"""Large-list benchmark (issue 18): wrk through nginx over HTTPS on loopback against a table of
10,000 projects, for what an open page asks after a refresh event:

- the whole list, as every page refetched it before pages and deltas (identity and gzip);
- the first page of 100 rows, newest first;
- `?since=R` right after one change, and right after an import of 1,000 rows, asked by every page
  at once (the refetch herd): all connections ask the same query at the same revision.

Prints req/s, latency percentiles and bytes per answer. Run it against two builds to compare.

Usage: bench/api/lists.py [--build DIR] [--rows 10000] [--duration 8] [--connections 64]
"""
import argparse
import csv
import io
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tests", "integration"))


def wrk(url, duration, connections, headers):
    extra = [a for h in headers for a in ("-H", h)]
    cmd = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--timeout", "60s", "--latency",
           *extra, url]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|90|99)%\s+(\S+)\s*$", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, lat, int(non2xx.group(1)) if non2xx else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    ap.add_argument("--rows", type=int, default=10000)
    ap.add_argument("--duration", type=int, default=8)
    ap.add_argument("--connections", type=int, default=64)
    ap.add_argument("--workers", type=int, default=0)
    args = ap.parse_args()
    os.environ["LIVESYNC_BUILD_DIR"] = os.path.abspath(args.build)
    from livesync_stack import Stack

    with Stack(daemon=False, workers=args.workers) as s:
        out = io.StringIO()
        w = csv.writer(out)
        w.writerow(["name", "description", "status", "owner"])
        for i in range(args.rows):
            w.writerow([f"Project {i}", f"Description of project {i}, " + "words " * 20,
                        "active", f"owner{i % 50}"])
        r = s.request("POST", "/api/import/projects", body=out.getvalue(), content_type="text/csv")
        assert r.status == 200, r
        before_import = r.json()["rev"]
        # The events every open page refreshes after: an import of 1,000 rows, then one change.
        more = "name,description\r\n" + "".join(f"Imported {i},words\r\n" for i in range(1000))
        r = s.request("POST", "/api/import/projects", body=more, content_type="text/csv")
        assert r.status == 200, r
        r = s.request("PATCH", "/api/projects/1", json={"name": "changed"})
        assert r.status == 200, r
        since = r.json()["rev"] - 1
        base = f"https://localhost:{s.port}/api/projects"
        gz = ["Accept-Encoding: gzip"]
        cases = [
            ("whole list (before: every refresh)", base, []),
            ("whole list, gzip", base, gz),
            ("first page ?limit=100&order=desc, gzip", base + "?limit=100&order=desc", gz),
            (f"?since={since} (one change), gzip", base + f"?since={since}", gz),
            (f"?since={before_import} (1,001 rows), gzip", base + f"?since={before_import}", gz),
        ]
        probe = s.request("GET", f"/api/projects?since={since}")
        supported = probe.status == 200 and "items" in probe.json() and \
            len(probe.json()["items"]) == 1
        print(f"{'case':42} {'bytes':>9} {'req/s':>9} {'p50':>9} {'p90':>9} {'p99':>9}  non-2xx")
        for name, url, headers in cases:
            if not supported and "?" in url:
                print(f"{name:42} (not supported by this build)")
                continue
            path = url[url.index("/api/"):]
            size = len(s.request("GET", path, headers=dict(h.split(": ") for h in headers)).body)
            rps, lat, bad = wrk(url, args.duration, args.connections, headers)
            print(f"{name:42} {size:9} {rps:9.0f} {lat.get('50','?'):>9} {lat.get('90','?'):>9} "
                  f"{lat.get('99','?'):>9}  {bad:7}", flush=True)


if __name__ == "__main__":
    main()
