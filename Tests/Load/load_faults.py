#!/usr/bin/env python3
"""Load and fault tests of an spiped -e/-d pair on loopback (issue 7).

    nice -n 10 python3 Tests/Load/load_faults.py [--spiped PATH]

Starts a target server (target.py, its own process) and, per scenario, a
fresh `spiped -e`/`-d` pair of the binary under test (-F -n 0, -o 5; -o 2 in
scenario 4; one random 32-byte key per run), then runs:
  1  1,000 concurrent connections echoing 256 KiB of random bytes each way;
  2  10,000 idle connections (as many as the fd limit allows): memory;
  3  one connection moving 4.5 GiB one way, SHA-256 at source and target;
  4  faults next to a healthy connection: target reset, client reset,
     target refusing, target black-holing the connect, a stalled and a forged
     handshake, target never reading;
  5  SIGTERM to both daemons while 50 connections move data.
Each scenario prints PASS or FAIL with its figures; the exit status is 0 only
if all pass. Python 3 standard library only; Linux (it reads /proc).
See Tests/Load/README.md for what each check means.
"""

import argparse
import os
import platform
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import traceback

sys.dont_write_bytecode = True  # leave no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loadlib  # noqa: E402
import scenarios_data  # noqa: E402
import scenarios_faults  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCENARIOS = {
    "1": scenarios_data.concurrent,
    "2": scenarios_data.idle,
    "3": scenarios_data.big,
    "4": scenarios_faults.faults,
    "5": scenarios_faults.sigterm,
}


def parse_args():
    p = argparse.ArgumentParser(description="Load and fault tests of an spiped pair.")
    p.add_argument("--spiped", default=os.path.join(REPO, ".build", "release", "spiped"),
                   help="spiped binary under test (default: %(default)s)")
    p.add_argument("--scenarios", default="1,2,3,4,5", help="subset to run (default: all)")
    p.add_argument("--conns", type=int, default=1000, help="scenario 1 connections")
    p.add_argument("--size-kib", type=int, default=256, help="scenario 1 KiB each way")
    p.add_argument("--idle", type=int, default=10000, help="scenario 2 connections asked")
    p.add_argument("--big-gib", type=float, default=4.5, help="scenario 3 GiB")
    p.add_argument("--o", type=int, default=2, help="-o of the daemons in scenario 4 (s)")
    p.add_argument("--data-o", type=int, default=5,
                   help="-o of the daemons in scenarios 1, 2, 3, 5 (s): a burst of 1,000 PFS "
                        "handshakes on 2 busy cores can outlast -o 2")
    p.add_argument("--push-seconds", type=float, default=4.0, help="4e: seconds of pushing")
    p.add_argument("--push-mib", type=int, default=1024, help="4e: MiB the sender attempts")
    p.add_argument("--rss-bound-mib", type=int, default=64,
                   help="4e: allowed VmRSS growth per daemon (MiB)")
    p.add_argument("--term-conns", type=int, default=50, help="scenario 5 connections")
    p.add_argument("--term-mib", type=int, default=4, help="scenario 5 MiB each way")
    p.add_argument("--term-seconds", type=float, default=3.0,
                   help="scenario 5: seconds each connection's sending is spread over")
    p.add_argument("--term-after", type=float, default=1.0, help="scenario 5: SIGTERM at (s)")
    p.add_argument("--io-timeout", type=float, default=300.0, help="per-scenario I/O bound (s)")
    p.add_argument("--keep", action="store_true", help="keep the daemons' logs (path printed)")
    p.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    a = p.parse_args()
    if a.quick:
        a.conns, a.size_kib, a.idle, a.big_gib, a.push_seconds = 100, 64, 500, 0.25, 2.0
    return a


class Context:
    """What every scenario gets: arguments, the target, and a pair factory."""

    def __init__(self, args, workdir, key_path, target):
        self.args, self.workdir, self.key_path, self.target = args, workdir, key_path, target
        self.pairs = []

    def pair(self, name, faults=False):
        """A fresh pair: -o --o for the fault scenario, -o --data-o for the others."""
        o = self.args.o if faults else self.args.data_o
        p = loadlib.Pair(self.args.spiped, self.key_path, self.target.port, self.workdir,
                         timeout_s=o, name=name)
        self.pairs.append(p)
        return p

    def stop_pairs(self):
        """Stops what a scenario left running (after an exception)."""
        for p in self.pairs:
            p.stop()
        self.pairs = []


def version(binary):
    try:
        out = subprocess.run([binary, "-v"], capture_output=True, text=True, timeout=5)
        return (out.stdout or out.stderr).strip()
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"? ({e})"


def main():
    args = parse_args()
    hard = loadlib.raise_nofile()
    print(f"spiped under test: {args.spiped} ({version(args.spiped)})")
    print(f"machine: {platform.platform()}, {os.cpu_count()} CPUs, load "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}; RLIMIT_NOFILE {hard}; "
          f"daemons: -F -n 0, -o {args.data_o} (-o {args.o} in scenario 4)")
    workdir = tempfile.mkdtemp(prefix="spiped-load-")
    key_path = os.path.join(workdir, "key")
    with open(key_path, "wb") as f:
        f.write(secrets.token_bytes(32))
    target = loadlib.Target()
    ctx = Context(args, workdir, key_path, target)
    results = []
    start = time.monotonic()
    try:
        for key in args.scenarios.split(","):
            t0 = time.monotonic()
            try:
                lines = SCENARIOS[key.strip()](ctx)
            except Exception as e:  # a harness or daemon failure is a FAIL, not a crash
                detail = traceback.format_exc().strip().splitlines()[-1]
                lines = [(False, f"{key} (scenario raised)", f"{detail}\n{e}")]
            finally:
                ctx.stop_pairs()
            for i, (ok, name, figures) in enumerate(lines):
                took = f" [scenario took {time.monotonic() - t0:.0f} s]" if i == len(lines) - 1 else ""
                print(f"{'PASS' if ok else 'FAIL'}  {name}: {figures}{took}", flush=True)
                results.append(ok)
    finally:
        target.stop()
        if args.keep:
            print(f"daemon logs kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    passed = sum(results)
    print(f"{'ALL PASS' if all(results) else 'FAILED'}: {passed}/{len(results)} checks passed "
          f"in {time.monotonic() - start:.0f} s; load "
          f"{' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0 if results and all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
