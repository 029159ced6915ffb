"""The Debian package, end to end: build it (packaging/build-deb), check it with lintian, then in a
clean Debian 12 root booted with systemd-nspawn (real systemd, real units, a private network):
install it with apt, reach the site over HTTPS through the packaged nginx, create data and see
the refresh event arrive on wss://, upgrade to a newer version (data kept, services restarted, nginx
only reloaded), edit the conffile and the generated nginx site and upgrade again (both edits kept
and in force), `apt remove` (services stopped, site disabled, configuration and data kept) and
install again (the same data served), close the site with basic auth (livesync-access basic NAME:
anonymous requests and streams refused, the printed password let in), purge (data, configuration
and site gone, the system user kept), and an install beside another site that owns port 443's
default_server (ours left disabled, with a message saying how). The newer versions are the first
build restamped (packaging/build-deb --restamp), so only one build is compiled and packaged.

Needs root, debootstrap and systemd-container (scripts/install-deps --test) and, the first time,
network access to a Debian mirror. Caches, shared between runs (LIVESYNC_PKG_CACHE, default
/var/cache/livesync-test): the debootstrapped root as a tarball, apt's package lists and the
downloaded .debs. Delete the folder to start over.
"""
import base64
import contextlib
import ctypes
import fcntl
import hashlib
import http.client
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCE_DIR = os.path.abspath(os.path.join(HERE, "..", ".."))
BUILD_DIR = os.environ.get("LIVESYNC_BUILD_DIR", os.path.join(SOURCE_DIR, "build"))
WORK = os.path.join(BUILD_DIR, "packaging-test")
CACHE = os.environ.get("LIVESYNC_PKG_CACHE", "/var/cache/livesync-test")
MIRROR = os.environ.get("LIVESYNC_DEBIAN_MIRROR", "http://deb.debian.org/debian")
# The clean root: a minimal bookworm with systemd as init (nspawn boots it). Changing this list
# changes the cache key, so the next run builds a new root.
BASE_PACKAGES = ["systemd", "systemd-sysv"]
KEEP = bool(os.environ.get("LIVESYNC_KEEP_TMP"))

sys.path.insert(0, os.path.join(SOURCE_DIR, "tests", "integration"))
from wsclient import WebSocket  # noqa: E402


def log(message):
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def run(argv, timeout=900, **kwargs):
    """Runs a command; on failure raises with its output, which is what one needs to debug."""
    r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kwargs)
    if r.returncode != 0:
        raise AssertionError(f"{argv} exited {r.returncode}\n--- stdout\n{r.stdout[-6000:]}"
                             f"\n--- stderr\n{r.stderr[-6000:]}")
    return r.stdout


@contextlib.contextmanager
def locked(path):
    with open(path, "w") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        yield


def build_packages():
    """Builds the package as its changelog says, then stamps two newer versions of that build
    (packaging/build-deb --restamp: the same files, in seconds) for the two upgrades."""
    started = time.time()
    build_deb = os.path.join(SOURCE_DIR, "packaging", "build-deb")
    out = os.path.join(WORK, "debs")
    first = run([build_deb, "--out", out, "--work", os.path.join(WORK, "deb")],
                timeout=1800).strip().splitlines()[-1]
    log(f"built {os.path.basename(first)} in {time.time() - started:.0f} s")
    base = dpkg_version(first)
    debs = [first]
    for n in (1, 2):
        debs.append(run([build_deb, "--restamp", first, "--version", f"{base}+upgradetest{n}",
                         "--out", out]).strip().splitlines()[-1])
    log(f"stamped {', '.join(os.path.basename(d) for d in debs[1:])}")
    return debs


def dpkg_version(deb):
    return run(["dpkg-deb", "-f", deb, "Version"]).strip()


def base_rootfs():
    """The cached tarball of a freshly debootstrapped bookworm root (made on first use)."""
    os.makedirs(CACHE, exist_ok=True)
    key = hashlib.sha256(f"bookworm minbase {' '.join(BASE_PACKAGES)} {MIRROR}".encode())
    tarball = os.path.join(CACHE, f"bookworm-root-{key.hexdigest()[:12]}.tar")
    with locked(os.path.join(CACHE, "rootfs.lock")):
        if not os.path.exists(tarball):
            started = time.time()
            tmp = tempfile.mkdtemp(dir=CACHE, prefix="debootstrap-")
            try:
                root = os.path.join(tmp, "root")
                run(["debootstrap", "--variant=minbase", "--include=" + ",".join(BASE_PACKAGES),
                     "bookworm", root, MIRROR], timeout=1800)
                run(["tar", "--numeric-owner", "--xattrs", "-C", root, "-cf", tarball + ".part",
                     "."])
                os.rename(tarball + ".part", tarball)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            log(f"debootstrapped and cached {tarball} in {time.time() - started:.0f} s")
    return tarball


CLONE_NEWNET = 0x40000000
_libc = ctypes.CDLL(None, use_errno=True)


@contextlib.contextmanager
def network_of(pid):
    """Runs the block inside the network namespace of process `pid` (the container's loopback),
    then returns to ours. The test is single-threaded, so switching the process is safe."""
    own = os.open("/proc/self/ns/net", os.O_RDONLY)
    target = os.open(f"/proc/{pid}/ns/net", os.O_RDONLY)
    try:
        if _libc.setns(target, CLONE_NEWNET) != 0:
            raise OSError(ctypes.get_errno(), "setns(container network)")
        try:
            yield
        finally:
            if _libc.setns(own, CLONE_NEWNET) != 0:
                raise OSError(ctypes.get_errno(), "setns(back to own network)")
    finally:
        os.close(own)
        os.close(target)


class Container:
    """A Debian root unpacked from the cached tarball and booted with systemd-nspawn."""

    def __init__(self, tarball, debs_dir):
        self.dir = tempfile.mkdtemp(prefix="livesync-pkgtest-", dir="/var/tmp")
        self.root = os.path.join(self.dir, "root")
        self.debs_dir = debs_dir
        self.proc = None
        self.leader = None
        self.ns_flags = None  # nsenter's flags, read once the container's init is known
        os.makedirs(self.root)
        run(["tar", "--numeric-owner", "--xattrs", "-C", self.root, "-xf", tarball])
        apt = os.path.join(CACHE, "apt")
        os.makedirs(os.path.join(apt, "archives", "partial"), exist_ok=True)
        os.makedirs(os.path.join(apt, "lists", "partial"), exist_ok=True)
        self.binds = [f"--bind={apt}/archives:/var/cache/apt/archives",
                      f"--bind={apt}/lists:/var/lib/apt/lists",
                      f"--bind-ro={debs_dir}:/debs"]
        self.hostname = "livesync-pkgtest"
        # The booted systemd takes its name from /etc/hostname (debootstrap copied the host's),
        # not from --hostname; the package derives the site's names from it.
        with open(os.path.join(self.root, "etc", "hostname"), "w") as f:
            f.write(self.hostname + "\n")

    def nspawn(self, *extra):
        return ["systemd-nspawn", "--quiet", "--register=no", "--keep-unit", "-D", self.root,
                f"--hostname={self.hostname}", *self.binds, *extra]

    def prefetch(self, deb):
        """With the host's network (before booting): refreshes apt's lists and downloads every
        dependency of `deb` into the shared cache, so the install itself needs no network."""
        started = time.time()
        with locked(os.path.join(CACHE, "apt.lock")):
            run(self.nspawn("--pipe", "--", "/bin/sh", "-ec",
                            "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get "
                            "install -qq -y --download-only /debs/" + os.path.basename(deb)),
                timeout=900)
        log(f"apt lists and dependencies ready in {time.time() - started:.0f} s")

    def boot(self):
        self.log_path = os.path.join(self.dir, "console.log")
        with open(self.log_path, "wb") as logf:
            self.proc = subprocess.Popen(self.nspawn("--private-network", "--boot"),
                                         stdin=subprocess.DEVNULL, stdout=logf,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.time() + 60
        while self.leader is None:
            if self.proc.poll() is not None or time.time() > deadline:
                raise AssertionError("nspawn did not boot:\n" + self.console())
            self.leader = self.container_init()
            time.sleep(0.1)
        # Just after the fork, systemd may not answer yet ("offline" or nothing): ask again.
        deadline = time.time() + 120
        state = ""
        while state not in ("running", "degraded") and time.time() < deadline:
            state = self.sh("systemctl is-system-running --wait 2>/dev/null || true",
                            timeout=120).strip()
            if state not in ("running", "degraded"):
                time.sleep(0.5)
        if state not in ("running", "degraded"):
            raise AssertionError(f"container state {state}:\n" + self.console())
        if state == "degraded":
            log("container degraded; failed units:\n" + self.sh("systemctl --failed --no-pager"))

    def sh(self, script, check=True, timeout=300):
        """Runs a shell script inside the booted container (as root, in all its namespaces)."""
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C.UTF-8",
               "DEBIAN_FRONTEND": "noninteractive"}
        if self.ns_flags is None:
            self.ns_flags = self.namespace_flags()
        r = subprocess.run(["nsenter", "-t", str(self.leader), *self.ns_flags,
                            "/bin/sh", "-c", script],
                           capture_output=True, text=True, env=env, timeout=timeout)
        if check and r.returncode != 0:
            raise AssertionError(f"in container: {script}\nexit {r.returncode}\n--- stdout\n"
                                 f"{r.stdout[-6000:]}\n--- stderr\n{r.stderr[-6000:]}")
        return r.stdout + (r.stderr if not check else "")

    def container_init(self):
        """The container's PID 1 as seen from the host: the child of nspawn that runs in a PID
        namespace of its own (nspawn's short-lived setup child does not)."""
        own = os.readlink("/proc/self/ns/pid")
        # ps exits 1 while nspawn has no child yet.
        children = subprocess.run(["ps", "-o", "pid=", "--ppid", str(self.proc.pid)],
                                  capture_output=True, text=True).stdout.split()
        for pid in children:
            try:
                if os.readlink(f"/proc/{pid}/ns/pid") != own:
                    return int(pid)
            except OSError:
                continue
        return None

    def namespace_flags(self):
        """nsenter's flags for every namespace the container has (`-a` fails on kernels built
        without user namespaces, where /proc/PID/ns/user does not exist)."""
        flags = {"mnt": "-m", "uts": "-u", "ipc": "-i", "net": "-n", "pid": "-p",
                 "cgroup": "-C", "user": "-U"}
        own = os.listdir("/proc/self/ns")
        return [flag for ns, flag in flags.items()
                if ns in own and os.readlink(f"/proc/{self.leader}/ns/{ns}")
                != os.readlink(f"/proc/self/ns/{ns}")]

    def console(self):
        if not hasattr(self, "log_path"):
            return "(not booted)"
        with open(self.log_path, errors="replace") as f:
            return f.read()[-4000:]

    def file(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # nspawn: orderly shutdown of the container
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if KEEP:
            log(f"kept {self.dir}")
        else:
            shutil.rmtree(self.dir, ignore_errors=True)


class Site:
    """HTTPS to the packaged nginx in the container, verifying its snakeoil certificate."""

    def __init__(self, container):
        self.c = container
        self.name = container.hostname
        self.origin = f"https://{self.name}"
        self.ctx = ssl.create_default_context(
            cafile=container.file("/etc/ssl/certs/ssl-cert-snakeoil.pem"))

    def request(self, method, path, body=None, headers=None, host=None):
        with network_of(self.c.leader):
            sock = socket.create_connection(("127.0.0.1", 443), timeout=10)
            conn = http.client.HTTPSConnection(self.name, 443, timeout=10)
            conn.sock = self.ctx.wrap_socket(sock, server_hostname=self.name)
            hdrs = {"Host": host or self.name, **(headers or {})}
            if body is not None:
                body = json.dumps(body)
                hdrs["Content-Type"] = "application/json"
            try:
                conn.request(method, path, body=body, headers=hdrs)
                r = conn.getresponse()
                return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
            finally:
                conn.close()

    def websocket(self, headers=None):
        # wsclient speaks to "localhost" (one of the site's names and origins) without checking
        # the certificate; the HTTPS requests above check it.
        with network_of(self.c.leader):
            return WebSocket.connect("localhost", 443, "/ws", origin="https://localhost",
                                     headers=headers)

    def recv(self, ws, timeout=5):
        with network_of(self.c.leader):
            return ws.recv_json(timeout=timeout)

    def port_open(self, port):
        with network_of(self.c.leader):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=3).close()
                return True
            except OSError:
                return False


class PackageTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise unittest.SkipTest("needs root (debootstrap, systemd-nspawn)")
        os.makedirs(WORK, exist_ok=True)
        cls.debs = build_packages()

    def test_lintian_has_no_errors_or_warnings(self):
        for deb in self.debs[:1]:
            started = time.time()
            r = subprocess.run(["lintian", "--fail-on", "error,warning", "--display-info",
                                "--tag-display-limit", "0", deb],
                               capture_output=True, text=True, timeout=600)
            log(f"lintian in {time.time() - started:.0f} s")
            self.assertEqual(r.returncode, 0, r.stdout + r.stderr)

    def test_install_live_upgrade_remove_purge_in_clean_bookworm(self):
        first, second, third = self.debs
        started = time.time()
        c = Container(base_rootfs(), os.path.dirname(first))
        try:
            c.prefetch(first)
            c.boot()
            log(f"container booted ({time.time() - started:.0f} s since start)")
            self._install(c, first)
            site = Site(c)
            pid_before, project = self._check_live_site(c, site)
            self._upgrade(c, site, second, pid_before, project)
            self._edit_config_and_upgrade(c, site, third, project)
            self._remove_and_reinstall(c, site, third, project)
            self._close_with_basic_auth(c, site, project)
            self._purge(c, site)
            self._install_beside_another_default_server(c, first)
        except BaseException:
            log("container console:\n" + c.console())
            if c.leader:
                log(c.sh("journalctl --no-pager -n 200 -u livesync-fcgi -u livesync-wsd "
                         "-u nginx", check=False))
            raise
        finally:
            c.stop()
        log(f"container phase took {time.time() - started:.0f} s")

    # --- phases ---------------------------------------------------------------------------------
    def _install(self, c, deb):
        out = c.sh(f"apt-get install -y /debs/{os.path.basename(deb)} 2>&1")
        self.assertIn("enabled the nginx site", out)
        self.assertIn("the site is OPEN", out)
        self.assertIn("livesync-access basic NAME", out)
        self.assertIn("Add 'worker_shutdown_timeout 30s;' to /etc/nginx/nginx.conf", out)
        self.assertEqual(c.sh("livesync-access").strip(), "open")
        self.nginx_pid = c.sh("systemctl show -P MainPID nginx.service").strip()
        self.assertNotIn(self.nginx_pid, ("", "0"), "nginx is not running")
        for unit in ("livesync-fcgi.socket", "livesync-fcgi.service", "livesync-wsd.service"):
            self.assertEqual(c.sh(f"systemctl is-enabled {unit}").strip(), "enabled", unit)
            self.assertEqual(c.sh(f"systemctl is-active {unit}").strip(), "active", unit)
        c.sh("systemd-analyze verify livesync-fcgi.socket livesync-fcgi.service "
             "livesync-wsd.service")
        log("systemd-analyze security:\n" + c.sh(
            "systemd-analyze security --no-pager livesync-fcgi.service livesync-wsd.service"))
        # Who may reach what: nginx (www-data) the pool's and the daemon's sockets, only the pool
        # (user livesync) the daemon's signal socket, only livesync the database.
        stat = c.sh("stat -c '%n %a %U %G' /run/livesync/fcgi.sock /run/livesync/www "
                    "/run/livesync/www/wsd.sock /run/livesync/signal.sock /var/lib/livesync "
                    "/var/lib/livesync/livesync.db").splitlines()
        self.assertEqual(stat, ["/run/livesync/fcgi.sock 660 livesync www-data",
                                "/run/livesync/www 2750 livesync www-data",
                                "/run/livesync/www/wsd.sock 660 livesync www-data",
                                "/run/livesync/signal.sock 660 livesync livesync",
                                "/var/lib/livesync 750 livesync livesync",
                                "/var/lib/livesync/livesync.db 640 livesync livesync"])
        self.assertEqual(c.sh("id -nG www-data").split(), ["www-data"])
        # The owners of every running pool and daemon process (the clean root has no procps).
        self.assertEqual(c.sh("for d in /proc/[0-9]*; do case $(cat $d/comm 2>/dev/null) in "
                              "livesync-fcgi|livesync-wsd) stat -c %U $d;; esac; done | sort -u"
                              ).split(),
                         ["livesync"])
        self.assertEqual(c.sh("readlink /etc/nginx/sites-enabled/livesync").strip(),
                         "/etc/nginx/sites-available/livesync")
        with open(c.file("/etc/livesync/site.conf")) as f:
            self.assertIn("https://localhost", f.read())

    def _check_live_site(self, c, site):
        status, headers, body = site.request("GET", "/")
        self.assertEqual(status, 200, body[:300])
        self.assertIn("text/html", headers["content-type"])
        self.assertIn("default-src 'self'", headers["content-security-policy"])
        status, _, body = site.request("GET", "/api/health")
        self.assertEqual(status, 200, body)
        status, _, _ = site.request("GET", "/api/projects", host="not-this-site.example")
        self.assertEqual(status, 421)

        ws = site.websocket()
        try:
            hello = site.recv(ws)
            self.assertEqual(hello["type"], "hello", hello)
            status, headers, body = site.request(
                "POST", "/api/projects", {"name": "Packaged project"},
                headers={"Origin": site.origin, "X-Client-Id": "pkgtest"})
            self.assertEqual(status, 201, body)
            project = json.loads(body)
            event = site.recv(ws)
            self.assertEqual(event["type"], "refresh", event)
            self.assertIn(event["entity"], ("projects", "all"))
            self.assertGreaterEqual(event["rev"], project["rev"])
        finally:
            ws.close()
        status, _, body = site.request("POST", "/api/projects", {"name": "x"},
                                       headers={"Origin": "https://evil.example"})
        self.assertEqual(status, 403, body)
        return c.sh("systemctl show -P MainPID livesync-fcgi.service").strip(), project

    def _upgrade(self, c, site, deb, pid_before, project):
        # The administrator bounds nginx's reloads as the install said (docs/install.md).
        main_conf = c.file("/etc/nginx/nginx.conf")
        with open(main_conf) as f:
            text = f.read()
        self.assertIn("pid /run/nginx.pid;\n", text)
        with open(main_conf, "w") as f:
            f.write(text.replace("pid /run/nginx.pid;\n",
                                 "pid /run/nginx.pid;\nworker_shutdown_timeout 30s;\n", 1))
        c.sh("nginx -t 2>&1 && systemctl reload nginx")
        out = c.sh(f"apt-get install -y /debs/{os.path.basename(deb)} 2>&1")
        self.assertEqual(c.sh("dpkg-query -W -f '${Version}' livesync"),
                         dpkg_version(deb), out)
        self.assertNotIn("worker_shutdown_timeout", out)
        for unit in ("livesync-fcgi.socket", "livesync-fcgi.service", "livesync-wsd.service"):
            self.assertEqual(c.sh(f"systemctl is-active {unit}").strip(), "active", unit)
        self.assertNotEqual(c.sh("systemctl show -P MainPID livesync-fcgi.service").strip(),
                            pid_before, "the pool was not restarted by the upgrade")
        self.assertEqual(c.sh("systemctl show -P MainPID nginx.service").strip(), self.nginx_pid,
                         "nginx was restarted, not reloaded")
        status, _, body = site.request("GET", f"/api/projects/{project['id']}")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["name"], "Packaged project")
        ws = site.websocket()
        try:
            hello = site.recv(ws)
            self.assertGreaterEqual(hello["revs"]["projects"], project["rev"], hello)
        finally:
            ws.close()

    def _edit_config_and_upgrade(self, c, site, deb, project):
        """The administrator edits the conffile and the generated nginx site; the next upgrade
        keeps both edits, in force, and the data."""
        # The one conffile (dpkg keeps its local edit); the nginx site and site.conf are generated
        # by postinst, which keeps an edit by its checksum line (docs/install.md, Upgrade).
        self.assertEqual(c.sh("dpkg-query -W -f '${Conffiles}' livesync").split()[0::2],
                         ["/etc/livesync/livesync.conf"])
        with self.assertRaises(Exception) as refused:
            self._websocket_without_origin(site)
        self.assertEqual(getattr(refused.exception, "status", None), 403, refused.exception)
        with open(c.file("/etc/livesync/livesync.conf"), "a") as f:
            f.write("allow_missing_origin_ws = true\n")
        site_file = c.file("/etc/nginx/sites-available/livesync")
        with open(site_file) as f:
            text = f.read()
        self.assertIn("    location / {", text)
        with open(site_file, "w") as f:
            f.write(text.replace("    location / {",
                                 '    location = /local-edit { return 200 "kept"; }\n\n'
                                 "    location / {", 1))
        c.sh("nginx -t 2>&1 && systemctl reload nginx")
        self._wait_for_status(site, "/local-edit", 200)

        out = c.sh(f"apt-get install -y /debs/{os.path.basename(deb)} 2>&1")
        self.assertEqual(c.sh("dpkg-query -W -f '${Version}' livesync"), dpkg_version(deb), out)
        self.assertIn("keeping your edited /etc/nginx/sites-available/livesync", out)
        self.assertNotIn("livesync.conf", out, "dpkg asked about the conffile")
        self.assertIn("allow_missing_origin_ws = true", c.sh("cat /etc/livesync/livesync.conf"))
        self.assertEqual(c.sh("test -e /etc/livesync/livesync.conf.dpkg-dist || echo none").strip(),
                         "none")
        self.assertNotIn("/local-edit", c.sh("cat /etc/nginx/sites-available/livesync.dpkg-dist"))
        self.assertEqual(c.sh("systemctl show -P MainPID nginx.service").strip(), self.nginx_pid,
                         "nginx was restarted, not reloaded")
        status, _, body = site.request("GET", "/local-edit")
        self.assertEqual((status, body), (200, b"kept"))
        # The restarted daemon read the edited conffile.
        ws = self._websocket_without_origin(site)
        try:
            self.assertEqual(site.recv(ws)["type"], "hello")
        finally:
            ws.close()
        status, _, body = site.request("GET", f"/api/projects/{project['id']}")
        self.assertEqual(status, 200, body)
        self.assertEqual(json.loads(body)["name"], "Packaged project")

    def _remove_and_reinstall(self, c, site, deb, project):
        """`apt remove` stops the services and disables the site, keeping configuration (edits
        included) and data; installing again serves the same data on the same site."""
        c.sh("apt-get remove -y livesync 2>&1")
        self.assertEqual(c.sh("dpkg-query -W -f '${db:Status-Abbrev}' livesync").strip(), "rc")
        for unit in ("livesync-fcgi.socket", "livesync-fcgi.service", "livesync-wsd.service"):
            self.assertNotEqual(c.sh(f"systemctl is-active {unit}", check=False).strip(),
                                "active", unit)
        kept = ["/var/lib/livesync/livesync.db", "/etc/livesync/livesync.conf",
                "/etc/livesync/site.conf", "/etc/livesync/access.conf",
                "/etc/nginx/sites-available/livesync"]
        self.assertEqual(c.sh(" ; ".join(f"test -e {p} || echo {p}" for p in kept)).split(), [],
                         "removed by apt remove")
        self.assertEqual(c.sh("test -L /etc/nginx/sites-enabled/livesync || echo gone").strip(),
                         "gone")
        self.assertEqual(c.sh("systemctl show -P MainPID nginx.service").strip(), self.nginx_pid,
                         "nginx was restarted, not reloaded")
        deadline = time.time() + 15
        while site.port_open(443) and time.time() < deadline:
            time.sleep(0.2)
        self.assertFalse(site.port_open(443), "port 443 still served after apt remove")

        out = c.sh(f"apt-get install -y /debs/{os.path.basename(deb)} 2>&1")
        self.assertIn("enabled the nginx site", out)
        self._wait_for_status(site, f"/api/projects/{project['id']}", 200)
        status, _, body = site.request("GET", f"/api/projects/{project['id']}")
        self.assertEqual(json.loads(body)["name"], "Packaged project")
        self.assertIn("allow_missing_origin_ws = true", c.sh("cat /etc/livesync/livesync.conf"))
        status, _, body = site.request("GET", "/local-edit")
        self.assertEqual((status, body), (200, b"kept"))
        ws = site.websocket()
        try:
            hello = site.recv(ws)
            self.assertGreaterEqual(hello["revs"]["projects"], project["rev"], hello)
        finally:
            ws.close()

    def _websocket_without_origin(self, site):
        with network_of(site.c.leader):
            return WebSocket.connect("localhost", 443, "/ws")

    @staticmethod
    def _wait_for_status(site, path, status, timeout=15):
        """Waits for `path` to answer `status`: a reload returns before nginx's old workers have
        stopped taking requests."""
        deadline = time.time() + timeout
        while site.request("GET", path)[0] != status and time.time() < deadline:
            time.sleep(0.2)

    def _close_with_basic_auth(self, c, site, project):
        """The one command the install names closes the site: anonymous requests and streams are
        refused, the user it made gets in; nginx only reloaded; the upgrade kept the mode open."""
        out = c.sh("livesync-access basic alice 2>&1")
        password = out.split("password: ", 1)[1].split()[0]
        self.assertIn("access mode is now basic", out)
        self.assertEqual(c.sh("livesync-access").strip(), "basic")
        self.assertEqual(c.sh("livesync-users list").split(), ["alice"])
        self.assertEqual(c.sh("stat -c '%a %U %G' /etc/livesync/htpasswd").strip(),
                         "640 root www-data")
        self.assertEqual(c.sh("systemctl show -P MainPID nginx.service").strip(), self.nginx_pid,
                         "nginx was restarted, not reloaded")
        self.assertIn("include /etc/livesync/access.conf;",
                      c.sh("cat /etc/nginx/sites-available/livesync"))
        self._wait_for_status(site, "/", 401)
        for path in ("/", "/api/health", f"/api/projects/{project['id']}", "/events"):
            status, headers, body = site.request("GET", path)
            self.assertEqual(status, 401, f"{path}: {body[:200]!r}")
            self.assertEqual(headers["www-authenticate"], 'Basic realm="livesync"')
        with self.assertRaises(Exception) as refused:
            site.websocket()
        self.assertEqual(getattr(refused.exception, "status", None), 401, refused.exception)
        alice = {"Authorization": "Basic " + base64.b64encode(f"alice:{password}".encode()).decode()}
        status, _, body = site.request("GET", f"/api/projects/{project['id']}", headers=alice)
        self.assertEqual(status, 200, body)
        ws = site.websocket(alice)
        try:
            self.assertEqual(site.recv(ws)["type"], "hello")
        finally:
            ws.close()
        out = c.sh("livesync-users remove alice 2>&1 && livesync-access basic 2>&1", check=False)
        self.assertIn("nobody could sign in", out)
        self.assertEqual(c.sh("livesync-access").strip(), "basic")

    def _purge(self, c, site):
        c.sh("apt-get purge -y livesync 2>&1")
        for path in ("/var/lib/livesync", "/etc/livesync", "/etc/nginx/sites-available/livesync",
                     "/etc/nginx/sites-enabled/livesync", "/usr/sbin/livesync-fcgi",
                     "/run/livesync"):
            self.assertEqual(c.sh(f"test -e {path} || test -L {path} || echo gone").strip(),
                             "gone", f"{path} survived the purge")
        for unit in ("livesync-fcgi.socket", "livesync-fcgi.service", "livesync-wsd.service"):
            self.assertNotEqual(c.sh(f"systemctl is-active {unit}", check=False).strip(),
                                "active", unit)
        self.assertEqual(c.sh("systemctl show -P MainPID nginx.service").strip(), self.nginx_pid,
                         "nginx was restarted, not reloaded")
        self.assertFalse(site.port_open(443), "port 443 still served after the purge")
        # Debian keeps system users (docs/install.md, Uninstall).
        self.assertEqual(c.sh("id -nu livesync").strip(), "livesync")

    def _install_beside_another_default_server(self, c, deb):
        """Another site already owns port 443's default_server: the package installs and runs, but
        leaves its site disabled and says how to enable it; nginx keeps serving, reloaded only."""
        c.sh("printf 'server {\\n listen 443 default_server;\\n return 444;\\n}\\n' "
             ">/etc/nginx/sites-enabled/other && nginx -t 2>&1 && systemctl reload nginx")
        out = c.sh(f"apt-get install -y /debs/{os.path.basename(deb)} 2>&1")
        self.assertIn("NOT enabling the nginx site: /etc/nginx/sites-enabled/other already has a "
                      "default_server on port 443", out)
        self.assertIn("ln -s /etc/nginx/sites-available/livesync /etc/nginx/sites-enabled/livesync",
                      out)
        self.assertEqual(c.sh("test -L /etc/nginx/sites-enabled/livesync || echo absent").strip(),
                         "absent")
        for unit in ("livesync-fcgi.service", "livesync-wsd.service", "nginx.service"):
            self.assertEqual(c.sh(f"systemctl is-active {unit}").strip(), "active", unit)
        self.assertEqual(c.sh("systemctl show -P MainPID nginx.service").strip(), self.nginx_pid,
                         "nginx was restarted, not reloaded")
        c.sh("apt-get purge -y livesync 2>&1 && rm /etc/nginx/sites-enabled/other")


if __name__ == "__main__":
    unittest.main()
