"""Memory of a server's processes from /proc, for the fan-out benchmark's per-connection figures.

VmRSS counts every resident page a process maps, so pages shared between nginx's workers (the
shared-memory zones: Nchan's channel and message store, the TLS session cache) are counted once
per worker that touched them. Pss splits each shared page between the processes mapping it, so
the Pss of the master and all workers, summed, counts each page exactly once: that sum is the
honest total of an nginx with shared zones. Anonymous shared mappings (nginx's zones, which
appear as "/dev/zero (deleted)") are also summed alone, to show how much of it is shared memory.
"""
import os


def children(pid):
    """Pids whose parent is pid (nginx's workers of a master)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                # The command name (field 2) is parenthesised and may hold spaces.
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        if ppid == pid:
            out.append(int(name))
    return sorted(out)


def _kib_fields(path, names):
    values = dict.fromkeys(names, 0)
    with open(path) as f:
        for line in f:
            key, _, rest = line.partition(":")
            if key in values:
                values[key] += int(rest.split()[0])
    return values


def rss_kib(pid):
    return _kib_fields(f"/proc/{pid}/status", ["VmRSS"])["VmRSS"]


def pss_kib(pid):
    return _kib_fields(f"/proc/{pid}/smaps_rollup", ["Pss"])["Pss"]


def shared_zone_pss_kib(pid):
    """Pss of the process's anonymous shared mappings (nginx's shared-memory zones)."""
    total = 0
    in_zone = False
    with open(f"/proc/{pid}/smaps") as f:
        for line in f:
            head = line.split()
            if head and "-" in head[0] and len(head) >= 5:  # a mapping's header line
                in_zone = line.rstrip().endswith("/dev/zero (deleted)")
            elif in_zone and head and head[0] == "Pss:":
                total += int(head[1])
    return total


def nginx_memory(master):
    """KiB: the workers' VmRSS summed, and master + workers' Pss and shared-zone Pss summed."""
    workers = children(master)
    everyone = [master, *workers]
    return {
        "workers": len(workers),
        "workers_rss": sum(rss_kib(p) for p in workers),
        "pss": sum(pss_kib(p) for p in everyone),
        "zones_pss": sum(shared_zone_pss_kib(p) for p in everyone),
    }


def open_fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))
