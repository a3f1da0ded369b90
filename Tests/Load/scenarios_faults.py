"""Scenarios 4-5 of load_faults.py: faults on one connection while a healthy
one keeps working, and SIGTERM under load. Same conventions as
scenarios_data.py: each returns a list of (passed, name, figures)."""

import os
import select
import signal
import socket
import threading
import time

from loadlib import (LINGER0, Pinger, RssSampler, connect, echo_load, header,
                     wait_end)

MIB = 1 << 20
# Slack on top of -o, and the bound for faults no timeout applies to.
SLACK = 1.0
# A connection made during the SIGTERM drain must be refused or reset this fast.
REFUSE_S = 0.5


def push_until_end(sock, deadline):
    """Sends as fast as the socket takes until it fails or EOF arrives.
    Returns (reason, end time, bytes accepted by the kernel)."""
    sock.setblocking(False)
    chunk = memoryview(os.urandom(MIB))
    sent = 0
    while time.monotonic() < deadline:
        r, w, _ = select.select([sock], [sock], [], 0.05)
        try:
            if r:
                if not sock.recv(65536):
                    return "eof", time.monotonic(), sent
            if w:
                sent += sock.send(chunk)
        except BlockingIOError:
            continue
        except OSError as e:
            return type(e).__name__, time.monotonic(), sent
    return None, None, sent


def faults(ctx):
    """4: five faults, each must end only its own connection."""
    o = ctx.args.o
    pair = ctx.pair("s4", faults=True)
    target = ctx.target
    pinger = Pinger(pair.e_port)
    lines = []

    def check(name, ended, seconds, bound, figures, label="ended after"):
        before = pinger.count
        time.sleep(0.3)  # the healthy connection must still move data afterwards
        freed, fds = pair.wait_fds(extra=1, timeout=o + 5)
        healthy = pinger.healthy() and pinger.count > before
        ok = ended and seconds is not None and seconds <= bound and healthy and freed \
            and pair.alive()
        secs = f"{seconds:.3f} s" if seconds is not None else "never"
        figures = (f"{figures}; {label} {secs} (bound {bound:.1f} s); healthy connection "
                   f"{'kept working' if healthy else 'FAILED ' + str(pinger.errors)} "
                   f"({pinger.count} echoes so far, slowest {pinger.slowest * 1000:.0f} ms); "
                   f"daemon fds back to idle: {'yes' if freed else fds}")
        lines.append((ok, f"4 fault: {name}", figures))

    # a) The target resets mid-stream (SO_LINGER 0 after 1 MiB).
    s = connect(pair.e_port)
    s.sendall(header("R", 4_000_041))
    reason, t_end, sent = push_until_end(s, time.monotonic() + 10 + o)
    s.close()
    ev = target.wait_end(4_000_041, 5)
    seconds = t_end - ev[2] if ev and t_end else None
    check("target resets mid-stream", reason is not None, seconds, SLACK,
          f"target sent RST after {ev[1] if ev else '?'} bytes; client saw {reason} "
          f"after sending {sent / MIB:.1f} MiB")

    # b) The client resets mid-stream.
    s = connect(pair.e_port)
    s.sendall(header("H", 4_000_042) + os.urandom(2 * MIB))
    time.sleep(0.2)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
    t0 = time.monotonic()
    s.close()
    ev = target.wait_end(4_000_042, 10)
    seconds = ev[2] - t0 if ev else None
    check("client resets mid-stream", ev is not None, seconds, SLACK,
          f"target saw {ev[0] if ev else 'nothing'} after {ev[1] if ev else '?'} bytes")

    # c) The target refuses (its listener is closed: connect gets RST).
    for name, cmd, bound in (("target refuses", "refuse", SLACK),
                             ("target black-holes the connect", "blackhole", o + SLACK)):
        target.command(cmd)
        t0 = time.monotonic()
        s = connect(pair.e_port)
        s.sendall(header("E", 4_000_043) + b"x")
        reason, t_end = wait_end(s, t0 + o + 10)
        s.close()
        target.command("open")
        seconds = t_end - t0 if t_end else None
        note = f"client saw {reason}, no data"
        if cmd == "blackhole" and seconds is not None:
            note += (" (the connect hung until -o, as intended)" if seconds >= 0.8 * o
                     else " (ended before -o: the connect did not hang)")
        check(name, reason is not None, seconds, bound, note)

    # f) A peer connects to -d and never sends its handshake (-o applies);
    # g) a peer sends a nonce and a garbage DH value (the MAC fails at once).
    for name, junk, bound in (("peer stalls the handshake (to -d)", b"", o + SLACK),
                              ("peer sends a forged handshake (to -d)",
                               os.urandom(32 + 256 + 32), SLACK)):
        t0 = time.monotonic()
        s = connect(pair.d_port)
        if junk:
            s.sendall(junk)
        reason, t_end = wait_end(s, t0 + o + 10)
        s.close()
        seconds = t_end - t0 if t_end else None
        note = f"-d closed it ({reason})"
        if not junk and seconds is not None:
            note += (", at the -o timeout" if seconds >= 0.8 * o else ", before -o")
        check(name, reason is not None, seconds, bound, note)

    # e) The target never reads: the daemons must not buffer without bound.
    base = {r: pair.mem(r)[0] for r in ("e", "d")}
    sampler = RssSampler(pair)
    s = connect(pair.e_port)
    s.sendall(header("N", 4_000_045))
    s.setblocking(False)
    chunk = memoryview(os.urandom(MIB))
    sent, t0, history = 0, time.monotonic(), []
    while time.monotonic() - t0 < ctx.args.push_seconds and sent < ctx.args.push_mib * MIB:
        select.select([], [s], [], 0.05)
        try:
            sent += s.send(chunk)
        except BlockingIOError:
            pass
        history.append((time.monotonic() - t0, sent))
    peak = sampler.stop()
    last_second = sent - max([b for t, b in history if t <= history[-1][0] - 1.0] or [0])
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
    t_close = time.monotonic()
    s.close()
    target.command("closeall")
    growth = {r: (peak[r] - base[r]) / 1024 for r in peak}
    bounded = max(growth.values()) < ctx.args.rss_bound_mib and last_second < MIB
    freed, _ = pair.wait_fds(extra=1, timeout=o + 5)
    figures = (f"sender pushed for {history[-1][0]:.1f} s: {sent / MIB:.1f} MiB accepted, "
               f"{last_second / 1024:.0f} KiB in the last second (stalled: "
               f"{'yes' if last_second < MIB else 'NO'}); peak VmRSS -e {base['e'] / 1024:.1f} -> "
               f"{peak['e'] / 1024:.1f} MiB, -d {base['d'] / 1024:.1f} -> {peak['d'] / 1024:.1f} MiB "
               f"(bound +{ctx.args.rss_bound_mib} MiB each)")
    check("peer stops reading (back-pressure)", bounded, time.monotonic() - t_close if freed
          else None, o + SLACK, figures, label="after the client's reset the daemons freed it in")
    pinger.stop()
    pair.stop()
    return lines


def probe(port, results, key, t_term):
    """A new connection during shutdown. Refused (or reset within REFUSE_S of
    connecting) passes; accepted by the kernel and left waiting in the
    backlog until the drain ends does not: such a client hangs for as long as
    the longest open connection lasts."""
    try:
        s = connect(port, timeout=2.0)
    except OSError as e:
        results[key] = (True, f"refused ({type(e).__name__})")
        return
    t_conn = time.monotonic()
    try:
        s.sendall(header("E", 5_900_000) + b"x")
        reason, t = wait_end(s, time.monotonic() + 3.0)
    except OSError as e:
        reason, t = type(e).__name__, time.monotonic()
    s.close()
    if t is not None and t - t_conn <= REFUSE_S:
        results[key] = (True, f"reset at once ({reason} {t - t_conn:.2f} s after connect)")
    else:
        when = f"{reason} {t - t_term:.1f} s after SIGTERM" if t else "no answer in 3 s"
        results[key] = (False, f"NOT refused: connect succeeded and it waited unserved "
                               f"({when})")


def sigterm(ctx):
    """5: SIGTERM to both daemons while connections move data."""
    n, size = ctx.args.term_conns, ctx.args.term_mib * MIB
    pair = ctx.pair("s5")
    rate = size / ctx.args.term_seconds
    payloads = [header("E", 5_000_000 + i) + os.urandom(size) for i in range(n)]
    state = {"term": None}
    probes = {}
    threads = []

    def on_tick(elapsed):
        if state["term"] is None and elapsed >= ctx.args.term_after:
            state["term"] = time.monotonic()
            for role in ("e", "d"):
                pair.procs[role].send_signal(signal.SIGTERM)
            time.sleep(0.1)
            for role, port in (("e", pair.e_port), ("d", pair.d_port)):
                t = threading.Thread(target=probe, args=(port, probes, role, state["term"]))
                t.start()
                threads.append(t)

    t0 = time.monotonic()
    conns = echo_load(pair.e_port, payloads, rate=rate, timeout=ctx.args.io_timeout,
                      on_tick=on_tick)
    t_done = time.monotonic()
    for t in threads:
        t.join()
    codes = {}
    for role in ("e", "d"):
        try:
            codes[role] = pair.procs[role].wait(timeout=20)
        except Exception:
            codes[role] = "still running after 20 s"
    t_exit = time.monotonic()
    ok_conns = sum(c.state == "ok" for c in conns)
    bad = [c.error for c in conns if c.state != "ok"]
    refused = len(probes) == 2 and all(ok for ok, _ in probes.values())
    term = state["term"]
    drained = ok_conns == n and codes == {"e": 0, "d": 0} and term is not None
    refusal = (f"new connection {0.1:.1f} s after SIGTERM to -e: "
               f"{probes.get('e', (0, '?'))[1]}; to -d: {probes.get('d', (0, '?'))[1]}")
    figures = (f"{n} connections echoing {size / MIB:.0f} MiB each at {rate / MIB:.1f} MiB/s; "
               f"SIGTERM to both at {term - t0 if term else float('nan'):.1f} s; "
               f"{ok_conns}/{n} completed "
               f"with every byte right, the last {t_done - term if term else 0:.1f} s after "
               f"SIGTERM; exit status -e {codes['e']}, -d {codes['d']}, both gone "
               f"{t_exit - term if term else 0:.1f} s after SIGTERM "
               f"({t_exit - t_done:.2f} s after the last connection)")
    if bad:
        figures += f"; first failure: {bad[0]}"
    pair.stop()
    return [(drained, "5 SIGTERM under load: open connections drain, exit 0", figures),
            (refused and term is not None, "5 SIGTERM under load: new connections refused",
             refusal)]
