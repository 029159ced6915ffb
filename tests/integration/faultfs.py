"""faultfs (tests/faultfs/) from the tests: a FUSE mount whose unsynced writes live in memory until
fsync, with a control socket to make syncs fail (`mode eio`), lie (`mode lie`), or to cut the
power (drop everything unsynced and unmount).

    with FaultFs() as fs:                        # mounted at fs.mountpoint
        ... a stack whose database is fs.path("livesync.db") ...
        fs.cut()                                 # the power cut: unsynced data gone, unmounted
        fs.mount()                               # "power back": the same backing directory

Needs root and /dev/fuse; `unavailable()` says why a test must skip.
"""
import os
import shutil
import socket
import subprocess
import tempfile
import time

from livesync_stack import BUILD_DIR

FAULTFS = os.path.join(BUILD_DIR, "tests", "faultfs", "faultfs")


def unavailable():
    """Why faultfs cannot run here (a reason to skip), or None."""
    if os.geteuid() != 0:
        return "faultfs mounts a FUSE filesystem: needs root"
    if not os.path.exists("/dev/fuse"):
        return "no /dev/fuse (a container without the FUSE device)"
    if not os.access(FAULTFS, os.X_OK):
        return f"{FAULTFS} not built (libfuse3-dev missing: scripts/install-deps --test)"
    return None


def is_mounted(path):
    with open("/proc/self/mountinfo") as f:
        return any(line.split()[4] == path for line in f)


class FaultFs:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="faultfs-")
        self.backing = os.path.join(self.dir, "backing")
        self.mountpoint = os.path.join(self.dir, "mnt")
        self.control = os.path.join(self.dir, "control.sock")
        os.mkdir(self.backing)
        os.mkdir(self.mountpoint)
        self.proc = None

    def __enter__(self):
        self.mount()
        return self

    def __exit__(self, *exc):
        self.stop()

    def path(self, name):
        return os.path.join(self.mountpoint, name)

    def mount(self, timeout=10):
        """Mounts the backing directory (again) and waits until the mount is there."""
        log = open(os.path.join(self.dir, "faultfs.log"), "ab")
        self.proc = subprocess.Popen([FAULTFS, self.backing, self.mountpoint, self.control],
                                     stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = time.time() + timeout
        while not (is_mounted(self.mountpoint) and os.path.exists(self.control)):
            if self.proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("faultfs did not mount: " + self.log())
            time.sleep(0.01)

    def command(self, line):
        """Sends one control command; returns the answer (raises unless it is `ok` or stats)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(30)
            s.connect(self.control)
            s.sendall(line.encode() + b"\n")
            chunks = []
            while chunk := s.recv(65536):
                chunks.append(chunk)
        answer = b"".join(chunks).decode()
        if answer.startswith("error"):
            raise RuntimeError(f"faultfs {line!r}: {answer}")
        return answer

    def mode(self, mode):
        """normal, eio (every fsync/fdatasync fails; what it should have written is lost) or lie
        (every sync succeeds and writes nothing)."""
        self.command(f"mode {mode}")

    def stats(self):
        """{(tgid, path): {"writes", "syncs", "failed_syncs", "writes_since_sync"}}."""
        out = {}
        for line in self.command("stats").splitlines():
            tgid, path, *counters = line.split()
            out[(int(tgid), path)] = {k: int(v) for k, v in (c.split("=") for c in counters)}
        return out

    def cut(self, timeout=10):
        """The power cut: everything written since its last sync is gone; unmounted."""
        self.command("cut")
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise RuntimeError("faultfs still running after the cut: " + self.log())
        self.proc = None
        os.unlink(self.control)  # so that mount() waits for the next one's socket
        if is_mounted(self.mountpoint):
            raise RuntimeError("still mounted after the cut")

    def log(self):
        try:
            with open(os.path.join(self.dir, "faultfs.log"), errors="replace") as f:
                return f.read()[-4000:]
        except OSError:
            return ""

    def stop(self):
        """Unmounts (whatever state it is in) and removes the temp dir."""
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        if is_mounted(self.mountpoint):
            subprocess.run(["umount", "-l", self.mountpoint], capture_output=True)
        shutil.rmtree(self.dir, ignore_errors=True)
