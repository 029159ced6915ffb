"""A TCP relay on loopback, run as a process of its own so a test can freeze a network hop:
`python3 tcp_relay.py TARGET_PORT` listens on a free 127.0.0.1 port (printed on stdout, one
line) and copies bytes both ways between each client and 127.0.0.1:TARGET_PORT, each connection
in a child process of its own. SIGSTOP to a child freezes that one connection the way a dead
router does (no FIN, no RST: the kernel still takes the bytes sent to it), while the relay keeps
accepting and serving new connections; the children are /proc/PID/task/PID/children.

    relay = Relay(pg_port)          # relay.port; relay.children(); relay.stop()
"""
import os
import selectors
import signal
import socket
import subprocess
import sys


def _pump(client, target_port):
    upstream = socket.create_connection(("127.0.0.1", target_port))
    sel = selectors.DefaultSelector()
    sel.register(client, selectors.EVENT_READ, upstream)
    sel.register(upstream, selectors.EVENT_READ, client)
    while True:
        for key, _ in sel.select():
            data = key.fileobj.recv(65536)
            if not data:
                return
            key.data.sendall(data)


def _serve(target_port):
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    print(listener.getsockname()[1], flush=True)
    while True:
        client, _ = listener.accept()
        if os.fork() == 0:
            listener.close()
            try:
                _pump(client, target_port)
            except OSError:
                pass
            os._exit(0)
        client.close()


class Relay:
    def __init__(self, target_port):
        # Its own session, so stop() ends the children with it.
        self.proc = subprocess.Popen([sys.executable, os.path.abspath(__file__), str(target_port)],
                                     stdout=subprocess.PIPE, text=True, start_new_session=True)
        self.port = int(self.proc.stdout.readline())

    def children(self):
        """The pids of the connections now open through the relay."""
        with open(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children") as f:
            return [int(p) for p in f.read().split()]

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()
        self.proc.stdout.close()


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
