"""Target server for the load and fault tests: the plaintext end behind
`spiped -d`, run by load_faults.py as its own process (its own descriptor
budget of RLIMIT_NOFILE, and no GIL shared with the load generator).

It listens on 127.0.0.1, prints its port, then serves one epoll loop. Every
connection starts with a 9-byte header: a mode byte and an 8-byte id.
  E  echo: send back everything, header included; close after EOF.
  H  hash sink: SHA-256 of every byte after the header; at EOF reply with
     be64(count) || digest (40 bytes) and close.
  R  reset: read, and once 1 MiB after the header has arrived close with
     SO_LINGER 0 (the kernel sends RST): a target dying mid-stream.
  N  never read: after the header the socket leaves epoll and is never read
     again (back-pressure); `closeall` resets them.
Events go to stdout as lines, with time.monotonic() (CLOCK_MONOTONIC, the
same clock in every process) so the controller can time what the daemons do:
  end <id-hex> <reason> <bytes> <t>     reason: eof, error, reset-sent
Commands on stdin (one per line, each answered `ok <command>`):
  refuse     close the listener: connects to the port are refused
  blackhole  listen on the port with backlog 0 and fill the accept queue
             with one connection of our own that is never accepted: the
             kernel then drops further SYNs, so a connect hangs (no RST, no
             answer), as with a host that black-holes packets
  open       back to the normal listener
  closeall   reset every never-read (N) connection
EOF on stdin ends the process.
"""

import hashlib
import os
import resource
import select
import socket
import struct
import sys
import time

HEADER = 9
RESET_AFTER = 1 << 20
BUFFER = bytearray(1 << 20)
VIEW = memoryview(BUFFER)
LINGER0 = struct.pack("ii", 1, 0)


class Conn:
    __slots__ = ("sock", "head", "mode", "ident", "count", "pending", "hash")

    def __init__(self, sock):
        self.sock = sock
        self.head = b""
        self.mode = None
        self.ident = ""
        self.count = 0
        self.pending = b""
        self.hash = None


class Target:
    def __init__(self):
        self.ep = select.epoll()
        self.conns = {}
        self.never_read = []
        self.listener = None
        self.port = 0
        self.fill = []  # black-hole listener's own queued connection
        self.listen(4096)
        self.ep.register(sys.stdin.fileno(), select.EPOLLIN)

    def listen(self, backlog, accept=True):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", self.port))
        s.listen(backlog)
        s.setblocking(False)
        self.port = s.getsockname()[1]
        self.listener = s
        if accept:
            self.ep.register(s.fileno(), select.EPOLLIN)

    def close_listener(self):
        if self.listener is not None:
            try:
                self.ep.unregister(self.listener.fileno())
            except (OSError, KeyError, ValueError):
                pass
            self.listener.close()
            self.listener = None
        for s in self.fill:
            s.close()
        self.fill = []

    def command(self, line):
        cmd = line.strip()
        if cmd == "refuse":
            self.close_listener()
        elif cmd == "blackhole":
            self.close_listener()
            self.listen(0, accept=False)
            # Two queued connections: the first fills the queue of a backlog-0
            # listener; the second's SYN is already dropped (it stays pending).
            for _ in range(2):
                c = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                c.setblocking(False)
                c.connect_ex(("127.0.0.1", self.port))
                self.fill.append(c)
        elif cmd == "open":
            self.close_listener()
            self.listen(4096)
        elif cmd == "closeall":
            for s in self.never_read:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
                s.close()
            self.never_read = []
        print(f"ok {cmd}", flush=True)

    def end(self, fd, reason, linger0=False):
        c = self.conns.pop(fd)
        self.ep.unregister(fd)
        if linger0:
            c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
        c.sock.close()
        print(f"end {c.ident or '-'} {reason} {c.count} {time.monotonic():.6f}", flush=True)

    def run(self):
        stdin = sys.stdin.fileno()
        while True:
            for fd, _ in self.ep.poll():
                if fd == stdin:
                    line = sys.stdin.readline()
                    if not line:
                        return
                    self.command(line)
                elif self.listener is not None and fd == self.listener.fileno():
                    self.accept_all()
                elif fd in self.conns:
                    self.serve(fd, self.conns[fd])

    def accept_all(self):
        while True:
            try:
                sock, _ = self.listener.accept()
            except OSError:
                return
            sock.setblocking(False)
            self.conns[sock.fileno()] = Conn(sock)
            self.ep.register(sock.fileno(), select.EPOLLIN)

    def serve(self, fd, c):
        if c.pending:
            try:
                sent = c.sock.send(c.pending)
            except BlockingIOError:
                return
            except OSError:
                return self.end(fd, "error")
            c.pending = c.pending[sent:]
            if not c.pending:
                self.ep.modify(fd, select.EPOLLIN)
            return
        try:
            n = c.sock.recv_into(BUFFER)
        except BlockingIOError:
            return
        except OSError:
            return self.end(fd, "error")
        if n == 0:
            if c.mode == "H":
                try:
                    c.sock.send(struct.pack(">Q", c.count) + c.hash.digest())
                except OSError:
                    pass
            return self.end(fd, "eof")
        data = VIEW[:n]
        if c.mode is None:
            prev = c.head
            need = HEADER - len(c.head)
            c.head += bytes(data[:need])
            if len(c.head) < HEADER:
                return
            c.mode = chr(c.head[0])
            c.ident = c.head[1:].hex()
            if c.mode == "H":
                c.hash = hashlib.sha256()
            elif c.mode == "N":
                self.ep.unregister(fd)
                del self.conns[fd]
                self.never_read.append(c.sock)
                return
            elif c.mode == "E":
                # Echo the header too, with any part of it from earlier reads.
                return self.echo(fd, c, prev + bytes(data) if prev else data)
            data = data[need:]
        c.count += len(data)
        if c.mode == "E":
            self.echo(fd, c, data)
        elif c.mode == "H":
            c.hash.update(data)
        elif c.mode == "R" and c.count >= RESET_AFTER:
            self.end(fd, "reset-sent", linger0=True)

    def echo(self, fd, c, data):
        try:
            sent = c.sock.send(data)
        except BlockingIOError:
            sent = 0
        except OSError:
            return self.end(fd, "error")
        if sent < len(data):
            c.pending = bytes(data[sent:])
            self.ep.modify(fd, select.EPOLLOUT)


def main():
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    t = Target()
    print(t.port, flush=True)
    t.run()


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
    os._exit(0)
