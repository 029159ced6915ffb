"""A real full filesystem for tests (needs root): a small tmpfs mounted for one test case, and a
file that takes every free byte of it."""
import errno
import os
import subprocess
import tempfile


def mount_small_tmpfs(case, size="8m"):
    """Mounts a tmpfs of `size` on a fresh folder, unmounted by `case`'s cleanups (which run last
    in, first out: add the stack's cleanup after this, so it stops first). Returns the folder."""
    mnt = tempfile.mkdtemp(prefix="ls-full-")
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", mnt], check=True)

    def unmount():
        subprocess.run(["umount", "-l", mnt], check=False)
        os.rmdir(mnt)
    case.addCleanup(unmount)
    return mnt


def fill(path):
    """Writes `path` until the filesystem has no byte left (ENOSPC at every size down to 1)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        for size in (1 << 20, 1 << 12, 1):
            while True:
                try:
                    os.write(fd, b"\0" * size)
                except OSError as e:
                    if e.errno != errno.ENOSPC:
                        raise
                    break
    finally:
        os.close(fd)
