#!/usr/bin/env python3
"""End-to-end comparison of two spiped implementations on loopback (issue 6).

    swift build -c release
    python3 Benchmarks/e2e/compare.py --ours .build/release

A is the reference (Debian's C spiped, /usr/bin/spiped by default), B is
ours. For each it starts an `spiped -e`/`-d` pair with PFS and one with -f
on both daemons, in front of a sink/echo server (server.py), with a fresh
random key in a temporary directory. Then, in alternating A/B order (which
side goes first flips every round), it measures each figure for several
rounds and reports the median of each and the ratio ours/C:

  single-stream and 8-stream throughput (counted at the receiving sink),
  daemon CPU time per GB moved, sequential full connections per second
  (connect, 1 byte echoed through both daemons, close) with PFS and with -f,
  1-byte round-trip latency (median and p99) on an established connection,
  resident memory (VmRSS of -e plus -d) idle and with N open connections.

It ends with machine information and a Markdown table for the README.
`--quick` runs small sizes once (a smoke test). `--ours-env NAME=VALUE`
(repeatable) sets a variable for our daemons only, e.g.
`--ours-env SPIPED_DISABLE=shani,ifma` to run ours as on a CPU without the
SHA extensions while the C pair keeps its SHA-NI; the backends ours then
selects are printed (from spiped-bench beside our binary). Standard library only.
"""

import argparse
import json
import os
import platform
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import loadgen  # noqa: E402
import pairs  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
MB = 1e6
MIB = 1 << 20

# key, title, unit, higher is better, goal on ours/C from issue 6 (or None)
METRICS = [
    ("single", "Single-stream throughput", "MB/s", True, (">=", 2.5)),
    ("multi", "{streams}-stream throughput", "MB/s", True, (">=", 2.5)),
    ("cpu_gb", "Daemon CPU per GB, single stream (-e + -d)", "CPU s", False, None),
    ("hs_pfs", "Sequential connections/s, PFS", "conn/s", True, (">=", 1.5)),
    ("hs_fast", "Sequential connections/s, -f", "conn/s", True, (">=", 1.5)),
    ("cpu_pfs", "Daemon CPU per connection, PFS (-e + -d)", "CPU ms", False, None),
    ("cpu_fast", "Daemon CPU per connection, -f (-e + -d)", "CPU ms", False, None),
    ("lat_med", "1-byte round trip, median", "us", False, ("<=", 1.0)),
    ("lat_p99", "1-byte round trip, p99", "us", False, ("<=", 1.0)),
    ("rss_idle", "RSS idle (-e + -d)", "MiB", False, None),
    ("rss_conns", "RSS with {conns} connections (-e + -d)", "MiB", False, ("<=", 1.0)),
]
TESTS = ["single", "multi", "hs", "hsf", "lat", "mem"]


def parse_args():
    p = argparse.ArgumentParser(description="Compare our spiped with the C spiped end to end.")
    p.add_argument("--ours", default=os.path.join(REPO, ".build", "release"),
                   help="our spiped binary or the directory holding it (default: %(default)s)")
    p.add_argument("--ref", default="/usr/bin/spiped",
                   help="reference C spiped binary or directory (default: %(default)s)")
    p.add_argument("--quick", action="store_true", help="small sizes, 1 round: a smoke test")
    p.add_argument("--rounds", type=int, help="rounds per figure (default 5; 1 with --quick)")
    p.add_argument("--single-mib", type=int, help="MiB through the single stream (default 512)")
    p.add_argument("--streams", type=int, default=8, help="parallel streams (default 8)")
    p.add_argument("--multi-mib", type=int, help="MiB in total over the streams (default 512)")
    p.add_argument("--hs-seconds", type=float, help="seconds per handshake-rate run (default 3)")
    p.add_argument("--pings", type=int, help="timed 1-byte round trips (default 5000)")
    p.add_argument("--conns", type=int, help="open connections for the memory test (default 1000)")
    p.add_argument("--tests", default=",".join(TESTS),
                   help="comma-separated subset of " + ",".join(TESTS) + " (default: all)")
    p.add_argument("--json", metavar="FILE", help="also write every sample as JSON")
    p.add_argument("--ours-env", action="append", default=[], metavar="NAME=VALUE",
                   help="environment variable for our daemons only (repeatable), e.g. SPIPED_DISABLE=shani,ifma")
    a = p.parse_args()
    q = a.quick
    a.rounds = a.rounds or (1 if q else 5)
    a.single_mib = a.single_mib or (64 if q else 512)
    a.multi_mib = a.multi_mib or (64 if q else 512)
    a.hs_seconds = a.hs_seconds or (1.0 if q else 3.0)
    a.pings = a.pings or (1000 if q else 5000)
    a.conns = a.conns or (200 if q else 1000)
    a.tests = [t for t in a.tests.split(",") if t]
    a.ours_env_dict = {}
    for item in a.ours_env:
        name, sep, value = item.partition("=")
        if not sep or not name:
            p.error(f"--ours-env wants NAME=VALUE, got {item!r}")
        a.ours_env_dict[name] = value
    unknown = set(a.tests) - set(TESTS)
    if unknown:
        p.error("unknown test(s): " + ", ".join(sorted(unknown)))
    return a


def resolve_binary(path, what, hint):
    """The spiped executable named by a file or directory path, or exit with advice."""
    named = os.path.isfile(path) or os.path.basename(path.rstrip("/")) == "spiped"
    candidate = path if named else os.path.join(path, "spiped")
    if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
        sys.exit(f"compare.py: {what} spiped not found at {candidate}\n  {hint}")
    return os.path.abspath(candidate)


def version_of(binary):
    try:
        out = subprocess.run([binary, "-v"], capture_output=True, timeout=5)
        return (out.stdout + out.stderr).decode(errors="replace").strip().splitlines()[0]
    except (OSError, subprocess.TimeoutExpired, IndexError):
        return "(version unknown)"


def raise_fd_limit(conns):
    """Children inherit this: the -e daemon needs 2 descriptors per connection."""
    need = 4 * conns + 1024
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < 2 * conns + 256:
        sys.exit(f"compare.py: RLIMIT_NOFILE hard limit {hard} is too low for --conns {conns}")
    if soft != resource.RLIM_INFINITY and soft < need:
        new = need if hard == resource.RLIM_INFINITY else min(need, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))


def machine_info(binaries):
    cpu, flags = "unknown", set()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name") and cpu == "unknown":
                    cpu = line.split(":", 1)[1].strip()
                elif line.startswith("flags") and not flags:
                    flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    crypto = ",".join(x for x in ("aes", "vaes", "sha_ni", "avx2", "avx512f", "bmi2", "adx") if x in flags)
    info = [
        f"date: {time.strftime('%Y-%m-%d %H:%M:%S %Z')}",
        f"cpu: {cpu}; {len(os.sched_getaffinity(0))} usable cores; flags: {crypto or 'none of interest'}",
        f"kernel: {platform.system()} {platform.release()}; python {platform.python_version()}",
        f"load average at start: {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
    ]
    for label, path in binaries:
        info.append(f"{label}: {path} ({version_of(path)}, {os.path.getsize(path)} bytes)")
    return info


def run_test(test, pair, fast_pair, a, out):
    """Runs one test against one implementation, adding samples to `out`."""
    if test == "single":
        cpu0 = pair.cpu_seconds()
        rate, _ = loadgen.single_stream(pair.e_port, a.single_mib * MIB)
        cpu = pair.cpu_seconds() - cpu0
        out["single"].append(rate / MB)
        out["cpu_gb"].append(cpu / (a.single_mib * MIB / 1e9))
    elif test == "multi":
        per = a.multi_mib * MIB // a.streams
        rate, _ = loadgen.multi_stream(pair.e_port, a.streams, per)
        out["multi"].append(rate / MB)
    elif test in ("hs", "hsf"):
        p, suffix = (pair, "pfs") if test == "hs" else (fast_pair, "fast")
        cpu0 = p.cpu_seconds()
        rate, count = loadgen.handshakes(p.e_port, a.hs_seconds)
        out["hs_" + suffix].append(rate)
        out["cpu_" + suffix].append((p.cpu_seconds() - cpu0) * 1e3 / count)
    elif test == "lat":
        med, p99 = loadgen.latency(pair.e_port, a.pings)
        out["lat_med"].append(med * 1e6)
        out["lat_p99"].append(p99 * 1e6)
    elif test == "mem":
        before = pair.fd_count()
        socks = loadgen.open_connections(pair.e_port, a.conns)
        try:
            time.sleep(0.5)
            out["rss_conns"].append(pair.rss_bytes() / MIB)
            out["fds_with_conns"].append(pair.fd_count())
        finally:
            for s in socks:
                s.close()
        if not pair.wait_fds(before + 8):
            print(f"  warning: {pair.name} still holds {pair.fd_count()} descriptors "
                  f"({before} before the memory test)", flush=True)
    pair.check_alive()
    if fast_pair is not None:
        fast_pair.check_alive()


def harness_baseline(port, a):
    """The load generator and server alone, no spiped: the ceiling the harness allows."""
    rate, _ = loadgen.single_stream(port, min(a.single_mib, 256) * MIB)
    conns, _ = loadgen.handshakes(port, min(a.hs_seconds, 1.0))
    med, _ = loadgen.latency(port, min(a.pings, 2000))
    return (f"harness alone (client straight to the sink/echo server, no spiped): "
            f"{rate / MB:.0f} MB/s single stream, {conns:.0f} conn/s, {med * 1e6:.1f} us round trip")


def fmt(value, unit):
    if unit in ("conn/s",):
        return f"{value:.0f}"
    if unit in ("CPU s", "CPU ms"):
        return f"{value:.2f}"
    return f"{value:.1f}"


def title_of(metric, a):
    return metric[1].format(streams=a.streams, conns=f"{a.conns:,}")


def summarize(results, labels, a):
    """Per-figure lines (all samples, medians, ratio) and the Markdown table."""
    lines, table = [], []
    ref, ours = labels
    table.append(f"| figure | {ref['name']} | {ours['name']} | ours/C | goal |")
    table.append("|---|---:|---:|---:|---|")
    for metric in METRICS:
        key, _, unit, higher, goal = metric
        sa, sb = results[ref["key"]][key], results[ours["key"]][key]
        if not sa or not sb:
            continue
        ma, mb = statistics.median(sa), statistics.median(sb)
        ratio = mb / ma if ma else float("nan")
        title = title_of(metric, a)
        better = "higher is better" if higher else "lower is better"
        lines.append(f"{title} [{unit}, {better}]")
        lines.append(f"  C    median {fmt(ma, unit):>9}   samples " + " ".join(fmt(x, unit) for x in sa))
        lines.append(f"  ours median {fmt(mb, unit):>9}   samples " + " ".join(fmt(x, unit) for x in sb))
        lines.append(f"  ratio ours/C = {ratio:.2f}")
        goal_text = "-"
        if goal:
            op, g = goal
            met = ratio >= g if op == ">=" else ratio <= g
            goal_text = f"{op} {g} ({'met' if met else 'not met'})"
        table.append(f"| {title} ({unit}) | {fmt(ma, unit)} | {fmt(mb, unit)} | {ratio:.2f} | {goal_text} |")
    return lines, table


def main():
    a = parse_args()
    ref_bin = resolve_binary(a.ref, "reference (C)",
                             "Install Debian's package (apt-get install spiped) or pass --ref /path/to/spiped.")
    ours_bin = resolve_binary(a.ours, "our",
                              "Build it first (swift build -c release, in the package root) or pass "
                              "--ours DIR; --ours /usr/bin runs C against C to validate the harness.")
    raise_fd_limit(a.conns)
    info = machine_info([("A = C (reference)", ref_bin), ("B = ours", ours_bin)])
    labels = [{"key": "C", "name": f"C ({version_of(ref_bin)})", "bin": ref_bin, "env": None},
              {"key": "ours", "name": "ours", "bin": ours_bin, "env": a.ours_env_dict}]
    if a.ours_env_dict:
        info.append("ours runs with " + " ".join(f"{k}={v}" for k, v in a.ours_env_dict.items()))
    bench = os.path.join(os.path.dirname(ours_bin), "spiped-bench")
    if os.access(bench, os.X_OK):
        try:
            shown = subprocess.run([bench, "backends"], capture_output=True, timeout=10,
                                   env=dict(os.environ, **a.ours_env_dict)).stdout.decode().split("\n")
            info.append("ours selects: " + ", ".join(x for x in shown if x))
        except (OSError, subprocess.TimeoutExpired):
            pass
    print("spiped end-to-end comparison" + (" (--quick)" if a.quick else ""))
    print("\n".join("  " + x for x in info))
    print(f"  sizes: single {a.single_mib} MiB, {a.streams} streams x {a.multi_mib // a.streams} MiB, "
          f"handshakes {a.hs_seconds:g} s, {a.pings} pings, {a.conns} connections; "
          f"{a.rounds} round(s); MB = 10^6 bytes", flush=True)
    if os.getloadavg()[0] > len(os.sched_getaffinity(0)) * 0.5:
        print("  warning: the machine is busy; figures will be noisy", flush=True)

    workdir = tempfile.mkdtemp(prefix="spiped-e2e-")
    results = {l["key"]: {m[0]: [] for m in METRICS} | {"fds_with_conns": []} for l in labels}
    server, started = None, []
    try:
        key_path = os.path.join(workdir, "key")
        with open(os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as f:
            f.write(secrets.token_bytes(32))
        server = pairs.Server()
        base = harness_baseline(server.port, a)
        print("  " + base, flush=True)
        info.append(base)
        for l in labels:
            l["pair"] = pairs.Pair(l["bin"], l["key"] + "-pfs", key_path, server.port, workdir, env=l["env"])
            started.append(l["pair"])
            l["fast"] = None
            if "hsf" in a.tests:
                l["fast"] = pairs.Pair(l["bin"], l["key"] + "-fast", key_path, server.port, workdir, fast=True,
                                       env=l["env"])
                started.append(l["fast"])
        for l in labels:
            l["pair"].wait_ready()
            if l["fast"]:
                l["fast"].wait_ready()
        time.sleep(0.3)
        for l in labels:
            results[l["key"]]["rss_idle"].append(l["pair"].rss_bytes() / MIB)

        for r in range(a.rounds):
            order = labels if r % 2 == 0 else labels[::-1]
            for test in [t for t in TESTS if t in a.tests]:
                for l in order:
                    run_test(test, l["pair"], l["fast"], a, results[l["key"]])
                shown = {"single": "single", "multi": "multi", "hs": "hs_pfs", "hsf": "hs_fast",
                         "lat": "lat_med", "mem": "rss_conns"}[test]
                metric = next(m for m in METRICS if m[0] == shown)
                print(f"round {r + 1}/{a.rounds} {title_of(metric, a)}: "
                      + ", ".join(f"{l['key']} {fmt(results[l['key']][shown][-1], metric[2])}"
                                  for l in labels) + f" {metric[2]}", flush=True)
    except (pairs.PairError, loadgen.BenchError, OSError) as e:
        print(f"compare.py: benchmark failed: {e}", file=sys.stderr)
        if not isinstance(e, pairs.PairError):  # a PairError already carries the logs
            for p in started:
                if any(x.poll() is not None for x in p.procs.values()):
                    print(f"{p.name}:\n{p.log_text()}", file=sys.stderr)
        sys.exit(2)
    finally:
        for p in started:
            p.stop()
        if server:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)

    lines, table = summarize(results, labels, a)
    print("\nResults (median over rounds)")
    print("\n".join(lines))
    fds = {l["key"]: results[l["key"]]["fds_with_conns"] for l in labels}
    if all(fds.values()):
        print(f"  descriptors held with {a.conns} connections (-e + -d): "
              + ", ".join(f"{k} {max(v)}" for k, v in fds.items()))
    print(f"load average at end: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print("\nMarkdown summary\n")
    print("\n".join(table))
    print("\n" + "\n".join(f"- {x}" for x in info))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"info": info, "args": vars(a), "results": results}, f, indent=1)


if __name__ == "__main__":
    main()
