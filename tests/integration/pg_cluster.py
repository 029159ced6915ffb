"""A throwaway PostgreSQL cluster for integration tests, made by scripts/pg-cluster (which the
unit tests' ctest fixture and `scripts/run --postgres` use too): a fresh temp dir, a free loopback
port, fsync off. Stopped and removed on exit, pass or fail, and at interpreter exit as a last
resort.

    with PgCluster() as pg:
        pg.uri          # postgresql://postgres:PASSWORD@127.0.0.1:PORT/livesync
        pg.psql("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE …")
        pg.stop_server(); …; pg.start_server()   # an outage: same data, same URI if the port is free
"""
import atexit
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.abspath(os.path.join(HERE, "..", "..", "scripts", "pg-cluster"))
_live_clusters = set()


class PgCluster:
    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc):
        self.stop()

    def start(self):
        self.dir = tempfile.mkdtemp(prefix="ls-pg-")
        _live_clusters.add(self)
        try:
            self.uri = self._script("start", "--throwaway")
        except BaseException:
            self.stop()
            raise

    def stop(self):
        """Stops the server and removes everything; safe to call twice."""
        if self in _live_clusters:
            _live_clusters.discard(self)
            self._script("stop", "--remove")

    def stop_server(self, immediate=False):
        """Shuts the server down, keeping its data: fast (connections are closed) or, with
        `immediate`, as in a crash (no checkpoint; recovery on the next start)."""
        self._script("stop", *(["--immediate"] if immediate else []))

    def start_server(self):
        """Starts the stopped server again; returns (and keeps) its URI."""
        self.uri = self._script("start")
        return self.uri

    def psql(self, sql, uri=None):
        """Runs SQL as the superuser; returns psql's unaligned output (rows by line, `|` between
        columns). Raises subprocess.CalledProcessError (with stderr) if it fails."""
        return subprocess.run(["psql", "-X", "-At", "-v", "ON_ERROR_STOP=1", "-d", uri or self.uri,
                               "-c", sql], check=True, capture_output=True, text=True).stdout

    def _script(self, command, *flags):
        r = subprocess.run([SCRIPT, command, *flags, self.dir], capture_output=True, text=True)
        if r.returncode != 0:
            raise RuntimeError(f"pg-cluster {command} failed: {r.stderr.strip()}")
        return r.stdout.strip()


@atexit.register
def _cleanup():
    for cluster in list(_live_clusters):
        cluster.stop()
