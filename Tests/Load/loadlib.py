"""Building blocks of load_faults.py: the target process, the spiped pair,
/proc readings, and an epoll client that drives many echo connections and
checks every byte.

    client --plaintext--> spiped -e --encrypted--> spiped -d --plaintext--> target.py

Descriptor limits: RLIMIT_NOFILE's hard limit here is 20000 and cannot be
raised (setrlimit/prlimit answer EPERM: the container lacks CAP_SYS_RESOURCE
even for root), so every process (this one, target.py, both daemons) gets its
soft limit raised to the hard one, and the client and the target are
separate processes so that each has its own 20000.
"""

import os
import resource
import select
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
LINGER0 = struct.pack("ii", 1, 0)


class LoadError(Exception):
    """Something the harness needs failed (a daemon died, no echo, ...)."""


def raise_nofile():
    """Soft RLIMIT_NOFILE up to the hard one (also the preexec of every child)."""
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def try_raise_hard(limit):
    """Tries to raise the hard limit; returns the error text or None."""
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, limit))
        return None
    except (ValueError, OSError) as e:
        return str(e)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def status_kib(pid, field):
    """A `field:` of /proc/<pid>/status in KiB (VmRSS, RssAnon, ...)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def header(mode, ident):
    return mode.encode() + struct.pack(">Q", ident)


def connect(port, timeout=10.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def wait_end(sock, deadline):
    """Reads until EOF or error; returns (reason, time.monotonic()) or (None, None)."""
    sock.settimeout(0.05)
    while time.monotonic() < deadline:
        try:
            if not sock.recv(65536):
                return "eof", time.monotonic()
        except socket.timeout:
            continue
        except OSError as e:
            return type(e).__name__, time.monotonic()
    return None, None


class Target:
    """target.py as a child process; events and command replies read by a thread."""

    def __init__(self):
        self.proc = subprocess.Popen([sys.executable, os.path.join(HERE, "target.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.port = int(self.proc.stdout.readline())
        self.ends = {}
        self.cond = threading.Condition()
        self.replies = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            parts = line.split()
            with self.cond:
                if parts[0] == "end":
                    self.ends[parts[1]] = (parts[2], int(parts[3]), float(parts[4]))
                else:
                    self.replies.append(line.strip())
                self.cond.notify_all()

    def command(self, cmd, timeout=10.0):
        with self.cond:
            self.replies.clear()
            self.proc.stdin.write(cmd + "\n")
            self.proc.stdin.flush()
            if not self.cond.wait_for(lambda: self.replies, timeout):
                raise LoadError(f"target did not answer {cmd!r}")

    def wait_end(self, ident, timeout):
        """(reason, bytes, t) of the target's end of connection `ident`, or None."""
        key = struct.pack(">Q", ident).hex()
        with self.cond:
            self.cond.wait_for(lambda: key in self.ends, timeout)
            return self.ends.get(key)

    def stop(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()


class Pair:
    """`spiped -e` and `spiped -d` in the foreground, -n 0, raised fd limits."""

    def __init__(self, binary, key_path, target_port, workdir, timeout_s=2, name="pair"):
        self.d_port, self.e_port = free_port(), free_port()
        common = ["-k", key_path, "-F", "-n", "0", "-o", str(timeout_s)]
        specs = {
            "e": ["-e", "-s", f"[127.0.0.1]:{self.e_port}", "-t", f"[127.0.0.1]:{self.d_port}"],
            "d": ["-d", "-s", f"[127.0.0.1]:{self.d_port}", "-t", f"[127.0.0.1]:{target_port}"],
        }
        self.procs, self.logs = {}, {}
        for role in ("d", "e"):
            self.logs[role] = os.path.join(workdir, f"{name}-{role}.log")
            with open(self.logs[role], "wb") as log:
                self.procs[role] = subprocess.Popen(
                    [binary] + specs[role] + common, stdin=subprocess.DEVNULL, stdout=log,
                    stderr=subprocess.STDOUT, preexec_fn=raise_nofile)
        self.wait_ready()
        self.base_fds = self.fds()

    def wait_ready(self, timeout=20.0):
        deadline = time.monotonic() + timeout
        last = None
        while time.monotonic() < deadline:
            self.check_alive()
            try:
                with connect(self.e_port, 5.0) as s:
                    s.sendall(header("E", 0))
                    if s.recv(9) == header("E", 0):
                        return
            except OSError as e:
                last = e
            time.sleep(0.05)
        raise LoadError(f"no echo through the pair ({last})\n{self.log_text()}")

    def check_alive(self):
        for role, p in self.procs.items():
            if p.poll() is not None:
                raise LoadError(f"spiped -{role} exited with {p.returncode}\n{self.log_text()}")

    def alive(self):
        return all(p.poll() is None for p in self.procs.values())

    def log_text(self):
        out = []
        for role, path in self.logs.items():
            with open(path, "rb") as f:
                text = f.read()[-1500:].decode(errors="replace").strip()
            out.append(f"--- spiped -{role} ---\n{text or '(nothing)'}")
        return "\n".join(out)

    def pid(self, role):
        return self.procs[role].pid

    def mem(self, role):
        """(VmRSS, RssAnon) in KiB."""
        pid = self.pid(role)
        return status_kib(pid, "VmRSS"), status_kib(pid, "RssAnon")

    def fds(self):
        return {r: len(os.listdir(f"/proc/{p.pid}/fd")) for r, p in self.procs.items()}

    def wait_fds(self, extra=0, timeout=10.0):
        """Waits until each daemon holds at most its idle count + 2*extra fds."""
        deadline = time.monotonic() + timeout
        while True:
            now = self.fds()
            if all(now[r] <= self.base_fds[r] + 2 * extra for r in now):
                return True, now
            if time.monotonic() > deadline:
                return False, now
            time.sleep(0.05)

    def stop(self):
        for p in self.procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs.values():
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


class EchoConn:
    __slots__ = ("sock", "data", "sent", "got", "state", "error", "closed_w", "t_fail")

    def __init__(self, sock, data):
        self.sock, self.data = sock, data
        self.sent = self.got = 0
        self.state = "open"  # open -> ok | failed
        self.error = None
        self.closed_w = False
        self.t_fail = None  # seconds after the start of echo_load


def echo_load(port, payloads, rate=None, timeout=120.0, on_tick=None):
    """Drives one echo connection per payload (bytes starting with an E header)
    concurrently through one epoll loop: sends it, half-closes, and checks that
    exactly the same bytes come back followed by EOF. `rate` (bytes/s per
    connection) paces the sending. on_tick(elapsed) is called every loop turn.
    Returns the list of EchoConn (state "ok" or "failed" with error)."""
    ep = select.epoll()
    conns = {}
    buf = bytearray(1 << 18)
    view = memoryview(buf)
    for data in payloads:
        s = socket.socket()
        s.setblocking(False)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        s.connect_ex(("127.0.0.1", port))
        c = EchoConn(s, memoryview(data))
        conns[s.fileno()] = c
        ep.register(s.fileno(), select.EPOLLIN | select.EPOLLOUT)
    start = time.monotonic()
    open_count = len(conns)
    throttled = set()

    def fail(fd, c, why):
        nonlocal open_count
        c.state, c.error = "failed", why
        c.t_fail = time.monotonic() - start
        ep.unregister(fd)
        c.sock.close()
        open_count -= 1

    while open_count:
        elapsed = time.monotonic() - start
        if elapsed > timeout:
            for fd, c in conns.items():
                if c.state == "open":
                    fail(fd, c, f"timeout after {c.sent} sent, {c.got} echoed")
            break
        if on_tick:
            on_tick(elapsed)
        for fd in list(throttled):
            c = conns[fd]
            if rate * elapsed > c.sent and c.state == "open":
                ep.modify(fd, select.EPOLLIN | select.EPOLLOUT)
                throttled.discard(fd)
        for fd, ev in ep.poll(0.01 if (throttled or on_tick) else 0.5):
            c = conns[fd]
            if c.state != "open":
                continue
            if ev & select.EPOLLOUT and not c.closed_w:
                limit = len(c.data)
                if rate is not None:
                    limit = min(limit, max(int(rate * (time.monotonic() - start)), 9))
                if c.sent < limit:
                    try:
                        c.sent += c.sock.send(c.data[c.sent:min(limit, c.sent + 65536)])
                    except BlockingIOError:
                        pass
                    except OSError as e:
                        fail(fd, c, f"send: {e}")
                        continue
                if c.sent == len(c.data):
                    c.sock.shutdown(socket.SHUT_WR)
                    c.closed_w = True
                    ep.modify(fd, select.EPOLLIN)
                elif c.sent >= limit:
                    ep.modify(fd, select.EPOLLIN)
                    throttled.add(fd)
            if ev & (select.EPOLLIN | select.EPOLLHUP | select.EPOLLERR):
                try:
                    n = c.sock.recv_into(buf)
                except BlockingIOError:
                    continue
                except OSError as e:
                    fail(fd, c, f"recv after {c.got} bytes: {e}")
                    continue
                if n == 0:
                    if c.got == len(c.data) and c.closed_w:
                        c.state = "ok"
                        ep.unregister(fd)
                        c.sock.close()
                        open_count -= 1
                    else:
                        fail(fd, c, f"EOF after {c.got} of {len(c.data)} bytes")
                    continue
                if view[:n] != c.data[c.got:c.got + n]:
                    fail(fd, c, f"wrong bytes at offset {c.got}")
                    continue
                c.got += n
    ep.close()
    return list(conns.values())


class Pinger:
    """A healthy connection next to a fault: echoes 1 KiB every 20 ms from a
    thread and records failures and the slowest round trip."""

    def __init__(self, port, ident=0xFEED):
        self.sock = connect(port)
        self.sock.sendall(header("E", ident))
        if self.sock.recv(9) != header("E", ident):
            raise LoadError("healthy connection: no echo")
        self.count, self.errors, self.slowest = 0, [], 0.0
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        self.sock.settimeout(5.0)
        while not self.stopping.is_set():
            data = os.urandom(1024)
            t0 = time.monotonic()
            try:
                self.sock.sendall(data)
                got = b""
                while len(got) < len(data):
                    part = self.sock.recv(len(data) - len(got))
                    if not part:
                        raise LoadError("EOF")
                    got += part
                if got != data:
                    raise LoadError("wrong bytes")
            except (OSError, LoadError) as e:
                self.errors.append(str(e) or type(e).__name__)
                return
            self.slowest = max(self.slowest, time.monotonic() - t0)
            self.count += 1
            time.sleep(0.02)

    def healthy(self):
        return not self.errors and self.thread.is_alive()

    def stop(self):
        self.stopping.set()
        self.thread.join(10)
        self.sock.close()


class RssSampler:
    """Samples VmRSS of both daemons every 50 ms from a thread; keeps the maxima (KiB)."""

    def __init__(self, pair):
        self.pair = pair
        self.max = {"e": 0, "d": 0}
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while not self.stopping.is_set():
            for role in self.max:
                try:
                    self.max[role] = max(self.max[role], self.pair.mem(role)[0])
                except OSError:
                    pass
            time.sleep(0.05)

    def stop(self):
        self.stopping.set()
        self.thread.join()
        return self.max
