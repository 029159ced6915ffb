"""The stores a benchmark can run on (`--stores sqlite,postgresql`), each as durable as its
default: SQLite with synchronous=FULL, PostgreSQL on a private cluster of its own with fsync and
synchronous_commit on (tests/integration/pg_cluster.py, durable=True)."""
import argparse
import os

# name on the command line → Stack arguments
STORES = {
    "sqlite": {"store": "sqlite", "config": {"synchronous": "FULL"}},
    "postgresql": {"store": "postgres", "pg_durable": True},
}


def parse_stores(text):
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in STORES]
    if unknown or not names:
        raise argparse.ArgumentTypeError(
            f"unknown store {','.join(unknown) or '(none)'}; known: {','.join(STORES)}")
    return names


def loadavg():
    with open("/proc/loadavg") as f:
        return " ".join(f.read().split()[:3])


def stack_for(store, **kw):
    """A Stack (tests/integration/livesync_stack.py) on `store`, with the daemon; `kw` adds to
    or overrides the store's arguments (workers=0: the pool's default)."""
    from livesync_stack import Stack
    args = dict(STORES[store], daemon=True)
    args["config"] = dict(args.get("config", {}), **kw.pop("config", {}))
    args.update(kw)
    return Stack(**args)
