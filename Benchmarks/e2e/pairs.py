"""Processes under test: the sink/echo server and one `spiped -e`/`-d` pair
per implementation and handshake mode, all on 127.0.0.1.

    client --plaintext--> spiped -e --encrypted--> spiped -d --plaintext--> server.py

Each daemon runs in the foreground (-F: no fork, no pidfile) with no
connection limit (-n 0, so the 1,000-connection test is not capped) and a
short -o timeout; stdout/stderr go to a log file shown if it dies. The
helpers here also read what /proc says about the daemons: resident memory,
CPU time and open descriptors.
"""

import os
import signal
import socket
import subprocess
import sys
import time

import loadgen

HERE = os.path.dirname(os.path.abspath(__file__))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


class PairError(Exception):
    """A daemon would not start or died; the message includes its log."""


def free_port():
    """A port nothing listens on right now (the daemon binds it just after)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """server.py as a child process; it exits when our end of its stdin closes."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "server.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        line = self.proc.stdout.readline()
        if not line.strip().isdigit():
            raise PairError("the sink/echo server did not start")
        self.port = int(line)

    def stop(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


class Pair:
    """An -e/-d pair of one spiped binary in front of the server."""

    def __init__(self, binary, name, key_path, target_port, workdir, fast=False, timeout_s=2, d_extra=()):
        self.name = name
        self.procs = {}
        self.logs = {}
        self.d_port = free_port()
        self.e_port = free_port()
        common = ["-k", key_path, "-F", "-n", "0", "-o", str(timeout_s)] + (["-f"] if fast else [])
        specs = {
            "d": ["-d", "-s", f"[127.0.0.1]:{self.d_port}", "-t", f"[127.0.0.1]:{target_port}"] + list(d_extra),
            "e": ["-e", "-s", f"[127.0.0.1]:{self.e_port}", "-t", f"[127.0.0.1]:{self.d_port}"],
        }
        for role in ("d", "e"):
            log_path = os.path.join(workdir, f"{name}-{role}.log")
            self.logs[role] = log_path
            with open(log_path, "wb") as log:
                self.procs[role] = subprocess.Popen([binary] + specs[role] + common,
                                                    stdin=subprocess.DEVNULL, stdout=log,
                                                    stderr=subprocess.STDOUT)

    def wait_ready(self, timeout=20.0):
        """Returns once a byte makes the whole round trip through the pair."""
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                loadgen.echo_once(self.e_port, timeout=5.0)
                return
            except (OSError, loadgen.BenchError) as e:
                last = e
                time.sleep(0.05)
        raise PairError(f"{self.name}: no echo through the pair within {timeout:.0f} s "
                        f"(last error: {last})\n{self.log_text()}")

    def check_alive(self):
        for role, p in self.procs.items():
            if p.poll() is not None:
                raise PairError(f"{self.name}: spiped -{role} exited with status "
                                f"{p.returncode}\n{self.log_text()}")

    def log_text(self):
        out = []
        for role, path in self.logs.items():
            try:
                with open(path, "rb") as f:
                    text = f.read()[-2000:].decode(errors="replace").strip()
            except OSError:
                text = ""
            out.append(f"--- spiped -{role} output ---\n{text or '(nothing)'}")
        return "\n".join(out)

    def pids(self):
        return [p.pid for p in self.procs.values()]

    def rss_bytes(self):
        """VmRSS of -e plus -d."""
        return sum(_status_kib(pid, "VmRSS") * 1024 for pid in self.pids())

    def cpu_seconds(self):
        """User + system CPU time consumed so far by -e plus -d (all threads)."""
        total = 0
        for pid in self.pids():
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
        return total / CLOCK_TICKS

    def fd_count(self):
        return sum(len(os.listdir(f"/proc/{pid}/fd")) for pid in self.pids())

    def wait_fds(self, at_most, timeout=30.0):
        """Waits until the daemons hold at most `at_most` descriptors (closes done)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.fd_count() <= at_most:
                return True
            time.sleep(0.05)
        return False

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


def _status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0
