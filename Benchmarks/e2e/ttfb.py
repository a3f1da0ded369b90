#!/usr/bin/env python3
"""Time to first byte through an -e/-d pair of our spiped, with and without
--connect-after-handshake on -d, for PFS and -f handshakes.

    python3 Benchmarks/e2e/ttfb.py --ours .build/release [--connections 400] [--rounds 5]

Each sample is one fresh connection: connect to -e, send one byte, wait for it
to come back from the echo server behind -d (pairs.py's server.py). Rounds
alternate the configurations (A/B, so drift hits all alike); the figure is the
median over all samples, with the 90th percentile, and the cost of the option
as a difference and a ratio within each handshake mode.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import loadgen  # noqa: E402
import pairs  # noqa: E402


def sample(port, n):
    times = []
    for _ in range(n):
        start = time.perf_counter()
        loadgen.echo_once(port)
        times.append((time.perf_counter() - start) * 1e6)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--ours", required=True, help="directory holding our spiped")
    parser.add_argument("--connections", type=int, default=400, help="connections per configuration and round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    binary = os.path.join(os.path.abspath(args.ours), "spiped")
    configs = [("PFS", False, ()), ("PFS", False, ("--connect-after-handshake",)),
               ("-f", True, ()), ("-f", True, ("--connect-after-handshake",))]
    results = {i: [] for i in range(len(configs))}
    with tempfile.TemporaryDirectory() as work:
        key = os.path.join(work, "key")
        with open(key, "wb") as f:
            f.write(os.urandom(32))
        server = pairs.Server()
        running = []
        try:
            for i, (mode, fast, extra) in enumerate(configs):
                pair = pairs.Pair(binary, f"cfg{i}", key, server.port, work, fast=fast, d_extra=extra)
                running.append(pair)
                pair.wait_ready()
            for r in range(args.rounds):
                for i, pair in enumerate(running):
                    sample(pair.e_port, 20)  # warm-up
                    results[i] += sample(pair.e_port, args.connections)
                print(f"round {r + 1}/{args.rounds} done", file=sys.stderr)
        finally:
            for pair in running:
                pair.stop()
            server.stop()
    print(f"time to first byte, fresh connection, {args.rounds} x {args.connections} samples each (microseconds)")
    print(f"{'handshake':<10} {'-d option':<28} {'median':>8} {'p90':>8}")
    medians = {}
    for i, (mode, fast, extra) in enumerate(configs):
        times = sorted(results[i])
        med = statistics.median(times)
        p90 = times[int(0.9 * (len(times) - 1))]
        medians[i] = med
        print(f"{mode:<10} {(' '.join(extra) or '(default)'):<28} {med:8.1f} {p90:8.1f}")
    for base in (0, 2):
        cost = medians[base + 1] - medians[base]
        print(f"{configs[base][0]}: --connect-after-handshake adds {cost:.1f} us to the median "
              f"({medians[base + 1] / medians[base]:.2f}x)")


if __name__ == "__main__":
    main()
