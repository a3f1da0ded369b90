"""Scenarios 1-3 of load_faults.py: many concurrent connections, many idle
connections, one connection of more than 4 GiB. Each function takes the run
context and returns a list of (passed, name, figures) lines; it raises only
for a harness failure (reported as FAIL by the caller)."""

import os
import random
import select
import socket
import struct
import hashlib
import threading
import time

from loadlib import (LoadError, RssSampler, connect, echo_load, header, raise_nofile,
                     try_raise_hard)

MIB = 1 << 20


def concurrent(ctx):
    """1: N connections at once, each echoing random bytes both ways."""
    n, size = ctx.args.conns, ctx.args.size_kib * 1024
    pair = ctx.pair("s1")
    pool = os.urandom(16 * MIB)
    rnd = random.Random(1)
    payloads = []
    for i in range(n):
        off = rnd.randrange(len(pool) - size)
        payloads.append(header("E", 1_000_000 + i) + pool[off:off + size])
    sampler = RssSampler(pair)
    t0 = time.monotonic()
    conns = echo_load(pair.e_port, payloads, timeout=ctx.args.io_timeout)
    seconds = time.monotonic() - t0
    peak = sampler.stop()
    ok = sum(c.state == "ok" for c in conns)
    bad = [c.error for c in conns if c.state != "ok"]
    freed, fds = pair.wait_fds(timeout=15)
    alive = pair.alive()
    total = sum(len(c.data) for c in conns if c.state == "ok") * 2
    figures = (f"{ok}/{n} connections echoed {size // 1024} KiB each way, every byte compared; "
               f"{total / MIB:.0f} MiB moved in {seconds:.1f} s ({total / 1e6 / seconds:.0f} MB/s); "
               f"peak VmRSS -e {peak['e'] / 1024:.1f} MiB, -d {peak['d'] / 1024:.1f} MiB; "
               f"fds back to idle: {'yes' if freed else fds}")
    if bad:
        failed = [c for c in conns if c.state != "ok"]
        figures += (f"; {len(failed)} failed between {min(c.t_fail for c in failed):.2f} and "
                    f"{max(c.t_fail for c in failed):.2f} s, {sum(c.got == 0 for c in failed)} "
                    f"of them before any byte came back; first: {bad[0]}\n{pair.log_text()}")
    pair.stop()
    return [(ok == n and freed and alive, f"1 {n} concurrent connections", figures)]


def open_idle(port, n, first_id, window=256, timeout=10.0):
    """Opens n connections, each proven by one echoed header; <= window at once.
    Returns (open sockets, failures)."""
    ep = select.epoll()
    pending, done, failures = {}, [], 0
    next_id, started = first_id, {}
    while len(done) + failures < n:
        while len(pending) < window and next_id < first_id + n:
            s = socket.socket()
            s.setblocking(False)
            s.connect_ex(("127.0.0.1", port))
            pending[s.fileno()] = (s, header("E", next_id), None)
            started[s.fileno()] = time.monotonic()
            ep.register(s.fileno(), select.EPOLLOUT)
            next_id += 1
        for fd, ev in ep.poll(0.1):
            s, want, got = pending[fd]
            try:
                if got is None:  # connecting: send the header once writable
                    if ev & select.EPOLLERR:
                        raise LoadError("connect failed")
                    s.send(want)
                    pending[fd] = (s, want, b"")
                    ep.modify(fd, select.EPOLLIN)
                    continue
                part = s.recv(9 - len(got))
                got += part
                if not part or want[:len(got)] != got:
                    raise LoadError("no echo")
                if len(got) < 9:
                    pending[fd] = (s, want, got)
                    continue
                ep.unregister(fd)
                del pending[fd]
                done.append(s)
            except (OSError, LoadError):
                ep.unregister(fd)
                del pending[fd]
                s.close()
                failures += 1
        now = time.monotonic()
        for fd in [fd for fd in pending if now - started[fd] > timeout]:
            ep.unregister(fd)
            pending.pop(fd)[0].close()
            failures += 1
    ep.close()
    return done, failures


def sample_echo(socks, count, rnd):
    """Echoes 64 random bytes on `count` random sockets; returns how many worked."""
    good = 0
    for s in rnd.sample(socks, min(count, len(socks))):
        data = os.urandom(64)
        try:
            s.setblocking(True)
            s.settimeout(5.0)
            s.sendall(data)
            got = b""
            while len(got) < 64:
                part = s.recv(64 - len(got))
                if not part:
                    break
                got += part
            good += got == data
        except OSError:
            pass
    return good


def idle(ctx):
    """2: as many idle connections as the fd limit allows (10,000 asked)."""
    want = ctx.args.idle
    hard = raise_nofile()
    asked = max(2 * hard, 4 * want + 1000)
    err = try_raise_hard(asked)
    limit_note = (f"fd hard limit {hard} (raising it to {asked} failed: {err})" if err
                  else f"fd hard limit raised to {asked}")
    hard = raise_nofile()
    pair = ctx.pair("s2")
    base = pair.base_fds
    # Each daemon holds 2 fds per connection on top of its idle set.
    n = min(want, (hard - max(base.values()) - 10) // 2)
    before = {r: pair.mem(r) for r in ("e", "d")}
    t0 = time.monotonic()
    socks, failures = open_idle(pair.e_port, n, 2_000_000)
    opened = time.monotonic() - t0
    time.sleep(1.0)
    during = {r: pair.mem(r) for r in ("e", "d")}
    fds_during = pair.fds()
    # Beyond the limit: the daemons run out of descriptors; they must survive it.
    extra = max(10, want - n)
    over, over_fail = open_idle(pair.e_port, extra, 2_900_000, timeout=3.0)
    for s in over:
        s.close()
    rnd = random.Random(2)
    sampled = sample_echo(socks, 200, rnd)
    alive = pair.alive()
    for s in socks:
        s.close()
    freed, fds = pair.wait_fds(timeout=30)

    def mem_text(role):
        (rss0, anon0), (rss1, anon1) = before[role], during[role]
        per = (rss1 - rss0) * 1024 / max(1, len(socks))
        per_anon = (anon1 - anon0) * 1024 / max(1, len(socks))
        return (f"-{role} VmRSS {rss0 / 1024:.1f} -> {rss1 / 1024:.1f} MiB, RssAnon "
                f"{anon0 / 1024:.1f} -> {anon1 / 1024:.1f} MiB "
                f"({per / 1024:.1f} KiB/conn RSS, {per_anon / 1024:.1f} KiB/conn anon)")

    ok = len(socks) == n and failures == 0 and sampled == min(200, n) and alive and freed
    figures = (f"{len(socks)}/{n} idle connections open in {opened:.1f} s "
               f"(each proven by an echo; {want} asked, {limit_note}; daemon fds with them: "
               f"-e {fds_during['e']}, -d {fds_during['d']}); {mem_text('e')}; {mem_text('d')}; "
               f"{sampled}/{min(200, n)} sampled connections still echo; "
               f"{extra} more attempts past the fd limit: {len(over)} served, {over_fail} not, "
               f"daemons alive: {'yes' if alive else 'NO'}; fds back to idle: "
               f"{'yes' if freed else fds}")
    pair.stop()
    return [(ok, f"2 {n} idle connections", figures)]


def chunk_maker(pool):
    """Chunk i of the big stream: the random pool with i in its first 8 bytes
    (so a lost, repeated or reordered MiB changes the hash)."""
    buf = bytearray(pool)

    def chunk(i):
        buf[:8] = struct.pack(">Q", i)
        return buf
    return chunk


def big(ctx):
    """3: one connection moving more than 4 GiB one way, hashed at both ends."""
    total_mib = int(ctx.args.big_gib * 1024)
    pair = ctx.pair("s3")
    pool = os.urandom(MIB)
    expected = {}

    def hash_source():
        h, chunk = hashlib.sha256(), chunk_maker(pool)
        for i in range(total_mib):
            h.update(chunk(i))
        expected["digest"] = h.digest()
    hasher = threading.Thread(target=hash_source)
    hasher.start()
    sampler = RssSampler(pair)
    chunk = chunk_maker(pool)
    t0 = time.monotonic()
    s = connect(pair.e_port, timeout=ctx.args.io_timeout)
    reply, error = b"", None
    try:
        s.sendall(header("H", 3_000_000))
        for i in range(total_mib):
            s.sendall(chunk(i))
        s.shutdown(socket.SHUT_WR)
        while len(reply) < 40:
            part = s.recv(40 - len(reply))
            if not part:
                break
            reply += part
    except OSError as e:
        error = str(e)
    seconds = time.monotonic() - t0
    s.close()
    peak = sampler.stop()
    hasher.join()
    nbytes = total_mib * MIB
    count = struct.unpack(">Q", reply[:8])[0] if len(reply) == 40 else None
    same = count == nbytes and reply[8:] == expected.get("digest")
    figures = (f"{nbytes / 2**30:.2f} GiB one way in {seconds:.1f} s = {nbytes / 1e6 / seconds:.0f} MB/s; "
               f"target counted {count} bytes, SHA-256 "
               f"{'matches the source' if same else 'DIFFERS'}"
               f" ({reply[8:16].hex() if len(reply) == 40 else 'no reply'}...); "
               f"peak VmRSS -e {peak['e'] / 1024:.1f} MiB, -d {peak['d'] / 1024:.1f} MiB")
    if error:
        figures += f"; error: {error}"
    alive = pair.alive()
    pair.stop()
    return [(same and alive, "3 one connection > 4 GiB", figures)]
