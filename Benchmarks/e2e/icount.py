#!/usr/bin/env python3
"""Instructions per byte and per connection of spiped binaries, counted by
valgrind's callgrind: a figure that does not move with the machine's load, for
comparing two builds of ours on a busy machine (wall-clock ratios from
compare.py need a quiet one).

    python3 Benchmarks/e2e/icount.py BINARY [BINARY ...] [--mib 32] [--connections 200]

For each binary it starts an -e/-d pair under callgrind in front of
server.py, sends --mib MiB through one stream, then makes --connections
sequential connections (1 byte echoed each, PFS), and stops the daemons; it
reports the instructions both daemons executed, per MiB (the stream, with the
connection part subtracted) and per connection, and each binary's ratio to the
first. Counts vary by a fraction of a percent from run to run (epoll batching
depends on scheduling); crypto dominates.
"""

import argparse
import glob
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import loadgen  # noqa: E402
import pairs  # noqa: E402


def run_pair(binary, work, server_port, mib, connections, tag):
    key = os.path.join(work, "key")
    d_port, e_port = pairs.free_port(), pairs.free_port()
    common = ["-k", key, "-F", "-n", "0", "-o", "30"]
    specs = {"d": ["-d", "-s", f"[127.0.0.1]:{d_port}", "-t", f"[127.0.0.1]:{server_port}"],
             "e": ["-e", "-s", f"[127.0.0.1]:{e_port}", "-t", f"[127.0.0.1]:{d_port}"]}
    procs = {}
    for role, args in specs.items():
        out = os.path.join(work, f"{tag}-{role}.callgrind")
        procs[role] = subprocess.Popen(["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}",
                                        "--dump-instr=no", binary] + args + common,
                                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while True:
        try:
            loadgen.echo_once(e_port, timeout=30)
            break
        except (OSError, loadgen.BenchError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)
    loadgen.single_stream(e_port, mib << 20)
    for _ in range(connections):
        loadgen.echo_once(e_port, timeout=30)
    for p in procs.values():
        p.send_signal(signal.SIGTERM)
    for p in procs.values():
        p.wait(timeout=120)
    total = 0
    for role in specs:
        for path in glob.glob(os.path.join(work, f"{tag}-{role}.callgrind*")):
            with open(path) as f:
                for line in f:
                    m = re.match(r"(summary|totals):\s+(\d+)", line)
                    if m:
                        total += int(m.group(2))
                        break
    return total


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("--mib", type=int, default=32)
    parser.add_argument("--connections", type=int, default=200)
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as work:
        with open(os.path.join(work, "key"), "wb") as f:
            f.write(secrets.token_bytes(32))
        server = pairs.Server()
        try:
            for i, binary in enumerate(args.binaries):
                # Connections alone, then the stream plus the same connections.
                base = run_pair(binary, work, server.port, 0, args.connections, f"b{i}c")
                full = run_pair(binary, work, server.port, args.mib, args.connections, f"b{i}s")
                per_conn = base / (args.connections + 1)
                per_mib = (full - base) / args.mib
                rows.append((binary, per_mib, per_conn))
        finally:
            server.stop()
    print(f"instructions executed by -e + -d (callgrind), {args.mib} MiB stream, {args.connections} connections")
    print(f"{'binary':<50} {'per MiB':>14} {'ratio':>7} {'per conn':>12} {'ratio':>7}")
    for binary, per_mib, per_conn in rows:
        print(f"{binary:<50} {per_mib:14.0f} {per_mib / rows[0][1]:7.3f} {per_conn:12.0f} {per_conn / rows[0][2]:7.3f}")


if __name__ == "__main__":
    main()
