"""An nginx with Nchan (nchan.conf.in) on free loopback ports, beside a livesync Stack whose temp
dir, certificate and key it borrows; for the fan-out benchmark's comparison. Its process group is
killed on stop, like the Stack's."""
import http.client
import os
import pwd
import signal
import socket
import subprocess
import time

from livesync_stack import NGINX, SOURCE_DIR, free_port

HERE = os.path.dirname(os.path.abspath(__file__))


class Nchan:
    def __init__(self, stack, workers):
        self.dir = os.path.join(stack.dir, "nchan")
        os.makedirs(self.dir)
        self.port = free_port()
        self.pub_port = free_port()
        conf = os.path.join(self.dir, "nginx.conf")
        with open(conf, "w") as f:
            subprocess.run([os.path.join(SOURCE_DIR, "nginx", "render-template"),
                            os.path.join(HERE, "nchan.conf.in"), f"PREFIX={self.dir}",
                            f"USER={pwd.getpwuid(os.getuid()).pw_name}", f"WORKERS={workers}",
                            f"PORT={self.port}", f"PUB_PORT={self.pub_port}",
                            f"TLS_CERT={stack.cert}", f"TLS_KEY={stack.key}"],
                           stdout=f, check=True)
        with open(os.path.join(self.dir, "nginx.log"), "ab") as log:
            self.proc = subprocess.Popen([NGINX, "-c", conf, "-p", self.dir], stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)
        self._wait_listening()
        self.publisher = http.client.HTTPConnection("127.0.0.1", self.pub_port, timeout=30)

    def _wait_listening(self):
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.pub_port), timeout=1).close()
                return
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    with open(os.path.join(self.dir, "error.log"), errors="replace") as f:
                        raise RuntimeError("nginx with nchan did not start: " + f.read()[-2000:])
                time.sleep(0.02)

    @property
    def master(self):
        return self.proc.pid

    def publish(self, body):
        """POSTs one message to the channel on a kept-alive connection; returns the status."""
        self.publisher.request("POST", "/pub", body=body,
                               headers={"Content-Type": "application/json"})
        r = self.publisher.getresponse()
        r.read()
        return r.status

    def status(self):
        """nchan_stub_status as a dict (subscribers, shared memory used, …)."""
        self.publisher.request("GET", "/status")
        r = self.publisher.getresponse()
        lines = r.read().decode().splitlines()
        return dict(line.split(": ", 1) for line in lines if ": " in line)

    def stop(self):
        self.publisher.close()
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
