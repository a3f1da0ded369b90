"""Load generator for the end-to-end benchmark: the client side of each test.

Every function talks to the plaintext source port of an `spiped -e` whose
pair ends at server.py (first byte b"S" = sink, b"E" = echo) and returns a
measurement. They raise BenchError when the pair loses or corrupts data, so a
broken implementation never produces a flattering number.

Why the client is not the bottleneck: sends come from one preallocated
1 MiB buffer with sendall (the GIL is released inside the syscall, so the
8-stream test's threads really send in parallel), socket buffers are left to
the kernel's autotuning (it grows them far beyond what SO_SNDBUF may ask for
without privileges), and per-operation Python work is a few microseconds
against milliseconds of daemon work.
"""

import socket
import struct
import threading
import time

CHUNK = bytes(range(256)) * 4096  # 1 MiB, any content: the cipher does not care
CHUNK_VIEW = memoryview(CHUNK)
IO_TIMEOUT = 60.0


class BenchError(Exception):
    """A measurement could not be made (lost data, refused connection, ...)."""


def connect(port, timeout=IO_TIMEOUT):
    """A blocking socket connected to 127.0.0.1:port.

    The timeout is set with SO_RCVTIMEO/SO_SNDTIMEO (they bound connect too)
    rather than Python's settimeout, which would add a poll(2) before every
    send and receive: fewer syscalls per connection for the handshake test."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    tv = struct.pack("ll", int(timeout), int((timeout % 1) * 1e6))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, tv)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDTIMEO, tv)
    try:
        s.connect(("127.0.0.1", port))
    except OSError:
        s.close()
        raise
    return s


def recv_exact(s, n):
    data = b""
    while len(data) < n:
        part = s.recv(n - len(data))
        if not part:
            raise BenchError(f"connection closed after {len(data)} of {n} reply bytes")
        data += part
    return data


def echo_once(port, timeout=IO_TIMEOUT):
    """One full connection: connect, send b"E", read it back, close."""
    s = connect(port, timeout)
    try:
        s.sendall(b"E")
        if s.recv(1) != b"E":
            raise BenchError("echo did not come back")
    finally:
        s.close()


def _send_stream(s, nbytes):
    """Sends the sink mode byte and nbytes, half-closes, returns the sink's count."""
    s.sendall(b"S")
    left = nbytes
    while left >= len(CHUNK):
        s.sendall(CHUNK_VIEW)
        left -= len(CHUNK)
    if left:
        s.sendall(CHUNK_VIEW[:left])
    s.shutdown(socket.SHUT_WR)
    (count,) = struct.unpack(">Q", recv_exact(s, 8))
    if count != nbytes:
        raise BenchError(f"sink received {count} bytes, {nbytes} were sent")
    return count


def single_stream(port, nbytes):
    """One connection, nbytes one way; returns (bytes/s, seconds).

    Timed from connect to the sink's count coming back (so the spiped
    handshake and the final reply are inside the time; both are tiny against
    hundreds of megabytes)."""
    start = time.perf_counter()
    s = connect(port)
    try:
        _send_stream(s, nbytes)
    finally:
        s.close()
    seconds = time.perf_counter() - start
    return nbytes / seconds, seconds


def multi_stream(port, streams, per_stream):
    """`streams` parallel connections (one thread each), per_stream bytes each.

    Connections are opened first; the clock runs from a common start signal
    to the last sink count; returns (aggregate bytes/s, seconds)."""
    socks = [connect(port) for _ in range(streams)]
    errors = []
    go = threading.Barrier(streams + 1)

    def run(s):
        try:
            go.wait()
            _send_stream(s, per_stream)
        except Exception as e:  # reported below; a thread must not die silently
            errors.append(e)
        finally:
            s.close()

    threads = [threading.Thread(target=run, args=(s,)) for s in socks]
    for t in threads:
        t.start()
    go.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    if errors:
        raise BenchError(f"{len(errors)} of {streams} streams failed: {errors[0]}")
    return streams * per_stream / seconds, seconds


def handshakes(port, duration):
    """Sequential full connections (echo_once) for `duration` seconds.

    Returns (connections per second, connections completed)."""
    count = 0
    failures = 0
    start = time.perf_counter()
    end = start + duration
    now = start
    while now < end:
        try:
            echo_once(port, timeout=10.0)
            count += 1
        except (OSError, BenchError) as e:
            failures += 1
            if failures > 10 and failures > count // 100:
                raise BenchError(f"{failures} failed connections ({e})")
        now = time.perf_counter()
    if count == 0:
        raise BenchError("no connection completed")
    return count / (now - start), count


def latency(port, pings, warmup=200):
    """1-byte ping-pongs through one established connection.

    Returns (median seconds, p99 seconds) over `pings` timed round trips."""
    s = connect(port)
    try:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        samples = []
        clock = time.perf_counter_ns
        for i in range(warmup + pings):
            t0 = clock()
            s.send(b"E")
            if s.recv(1) != b"E":
                raise BenchError("echo lost during latency test")
            if i >= warmup:
                samples.append(clock() - t0)
    finally:
        s.close()
    samples.sort()
    median = samples[len(samples) // 2]
    p99 = samples[min(len(samples) - 1, (len(samples) * 99) // 100)]
    return median / 1e9, p99 / 1e9


def open_connections(port, n):
    """Opens n connections through the pair, each proven end to end by one echo.

    Opened one at a time: the C daemon listens with a backlog of 10, and a
    burst would measure SYN retries instead of memory. Returns the sockets
    (the caller closes them); raises if any fails."""
    socks = []
    try:
        for i in range(n):
            s = connect(port, timeout=15.0)
            socks.append(s)
            s.sendall(b"E")
            if s.recv(1) != b"E":
                raise BenchError(f"connection {i + 1} of {n} did not echo")
    except (OSError, BenchError) as e:
        for s in socks:
            s.close()
        raise BenchError(f"opened only {len(socks) - 1} of {n} connections: {e}") from e
    return socks
