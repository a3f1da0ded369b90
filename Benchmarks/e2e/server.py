"""Sink/echo server at the plaintext end of the benchmarked spiped pairs.

Run by compare.py as its own process (so its CPU use is not tangled with the
load generator's GIL). It listens on 127.0.0.1, prints its port on stdout,
and serves until its stdin reaches EOF (the parent exited or closed it).

The first byte of every connection selects the mode:
  b"S"  sink: read and discard everything until EOF, then reply with the
        number of bytes received after the mode byte (8 bytes, big-endian)
        and close. The benchmark counts throughput at this receiver.
  b"E"  echo: send back everything, the mode byte included; close at EOF.

Why it is cheap enough not to be the bottleneck: one epoll loop, no threads,
every read goes into one preallocated 1 MiB buffer (recv_into, no
allocation), and a sink socket gets SO_RCVLOWAT = 256 KiB so the loop wakes
once per 256 KiB rather than once per 1 KiB spiped packet. Socket buffers
are left to the kernel's autotuning (tcp_rmem's maximum is far above what
SO_RCVBUF may request without privileges).
"""

import os
import select
import socket
import struct
import sys

SINK_LOWAT = 256 * 1024
BUFFER = bytearray(1 << 20)
VIEW = memoryview(BUFFER)


class Conn:
    """One accepted connection: its mode, sink byte count, unsent echo bytes."""

    __slots__ = ("sock", "mode", "count", "pending")

    def __init__(self, sock):
        self.sock = sock
        self.mode = None
        self.count = 0
        self.pending = b""


def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(4096)
    listener.setblocking(False)
    print(listener.getsockname()[1], flush=True)

    ep = select.epoll()
    lfd = listener.fileno()
    ep.register(lfd, select.EPOLLIN)
    ep.register(sys.stdin.fileno(), select.EPOLLIN)
    conns = {}

    def drop(fd):
        c = conns.pop(fd)
        ep.unregister(fd)
        c.sock.close()

    while True:
        for fd, events in ep.poll():
            if fd == lfd:
                accept_all(listener, ep, conns)
                continue
            if fd == sys.stdin.fileno():
                return
            c = conns.get(fd)
            if c is None:
                continue
            if c.pending:
                if flush(c):
                    ep.modify(fd, select.EPOLLIN)
                continue
            try:
                n = c.sock.recv_into(BUFFER)
            except BlockingIOError:
                continue
            except OSError:
                drop(fd)
                continue
            if n == 0:
                if c.mode == 0x53:  # "S": report the count, then close
                    try:
                        c.sock.send(struct.pack(">Q", c.count))
                    except OSError:
                        pass
                drop(fd)
                continue
            if c.mode is None:
                c.mode = BUFFER[0]
                if c.mode == 0x53:
                    c.count = n - 1
                    c.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVLOWAT, SINK_LOWAT)
                    continue
            if c.mode == 0x53:
                c.count += n
            else:
                try:
                    sent = c.sock.send(VIEW[:n])
                except BlockingIOError:
                    sent = 0
                except OSError:
                    drop(fd)
                    continue
                if sent < n:
                    # Stop reading until the peer has taken what we owe it.
                    c.pending = bytes(VIEW[sent:n])
                    ep.modify(fd, select.EPOLLOUT)


def accept_all(listener, ep, conns):
    while True:
        try:
            sock, _ = listener.accept()
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return  # e.g. EMFILE: the benchmark will report the shortfall
        sock.setblocking(False)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conns[sock.fileno()] = Conn(sock)
        ep.register(sock.fileno(), select.EPOLLIN)


def flush(c):
    """Sends pending echo bytes; True once nothing is pending."""
    try:
        sent = c.sock.send(c.pending)
    except BlockingIOError:
        return False
    except OSError:
        c.pending = b""
        return True
    c.pending = c.pending[sent:]
    return not c.pending


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
    os._exit(0)
