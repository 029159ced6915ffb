"""CPU time of a server's processes from /proc, for the fan-out benchmark's per-event cost."""
import os

_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_s(pid):
    """User + system CPU seconds the process has used so far (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            # The command name (field 2) is parenthesised and may hold spaces.
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime: fields 14 and 15
