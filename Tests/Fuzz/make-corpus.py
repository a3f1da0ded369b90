#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into Tests/Fuzz/Corpus/<target>/.

Handshake seeds come from the first ("pfs") record of
Vectors/protocol/transcripts.txt, packet seeds from its "both-fast" record:
the fuzz targets use their keys and randomness
(Tests/Fuzz/Support/FuzzSupport.swift). Run from anywhere; rewrites the
seed files (named seed-*), leaves other files (crash reproducers) alone.
"""
import os, struct

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))

def record(mode):
    rec = {}
    with open(os.path.join(root, "Vectors/protocol/transcripts.txt")) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("MODE = "):
                if rec:
                    break
                if line != "MODE = " + mode:
                    continue
            if (rec or line == "MODE = " + mode) and " = " in line:
                k, v = line.split(" = ", 1)
                rec[k] = v
    return {k: bytes.fromhex(v) if k not in ("MODE", "CLIENT_FAST", "SERVER_FAST") else v for k, v in rec.items()}

def write(target, name, data):
    d = os.path.join(here, "Corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)

r = record("pfs")
fast = record("both-fast")
c2s = r["C2S_PACKETS_1"] + r["C2S_PACKETS_100"]
s2c = r["S2C_PACKETS_1"] + r["S2C_PACKETS_100"]
client_stream = r["NONCE_C"] + r["CLIENT_YH"]
server_stream = r["NONCE_S"] + r["SERVER_YH"]

for target, stream, data in (("FuzzHandshakeServer", client_stream, c2s),
                             ("FuzzHandshakeClient", server_stream, s2c)):
    write(target, "transcript-whole", bytes([0, 0]) + stream + data)
    write(target, "transcript-bytewise", bytes([0, 0x08]) + stream + data)
    write(target, "transcript-fragments", bytes([0, 0x83]) + stream + data)
    write(target, "transcript-own-fast", bytes([1, 0x02]) + stream)
    write(target, "transcript-require-pfs", bytes([2, 0x04]) + stream + data[:1060])
    write(target, "transcript-truncated", bytes([0, 0x01]) + stream[:200])
    write(target, "transcript-bad-mac", bytes([0, 0]) + stream[:-1] + bytes([stream[-1] ^ 1]))
    for mode, name in ((1, "one"), (2, "zero"), (3, "p-minus-1"), (4, "p"), (5, "all-ff"), (6, "honest")):
        write(target, "assist-y-" + name, bytes([0x04 | mode << 4, 0x05]) + stream[:32])
    write(target, "assist-y-one-require-pfs", bytes([0x06 | 1 << 4, 0]) + stream[:32])
    write(target, "assist-fast-early-sealer", bytes([0x85 | 6 << 4, 0x02]) + stream[:32])

    write(target, "transcript-probes", bytes([0x80, 0x03]) + stream + data)
    write(target, "transcript-data-truncated", bytes([0, 0x03]) + stream + data + data[:100])
    write(target, "transcript-second-packet-bad", bytes([0, 0]) + stream + data[:1060] + bytes([data[1060] ^ 1]) + data[1061:])
    write(target, "transcript-probes-own-fast", bytes([0x81, 0x02]) + stream + data)
    plain = bytearray(1028)
    plain[1024:1028] = struct.pack(">I", 5); plain[0:5] = b"hello"
    write(target, "assist-packets-length-5", bytes([0x0C | 6 << 4, 0x05]) + stream[:32] + bytes(288) + bytes(plain) + bytes(32))
    plain[1024:1028] = struct.pack(">I", 1025)
    write(target, "assist-packets-length-1025", bytes([0x0C | 6 << 4, 0]) + stream[:32] + bytes(288) + bytes(plain) + bytes(32) + bytes(plain[:100]))
    write(target, "assist-fast-packets-probes", bytes([0x8D | 6 << 4, 0x03]) + stream[:32] + bytes(288) + bytes(plain[:1028]) + bytes(32))

# Session data path: byte 0 fragmentation seed, byte 1 direction and modes,
# then operations (see FuzzPacketOpener.swift): 0 honest, 1 forged, 2 corrupt, 3 raw/truncate.
def honest(data):
    n = len(data)
    return bytes([(n >> 8) << 2 | 0, n & 0xff]) + data
def forged(length, text=b""):
    block = bytearray(1028)
    block[0:len(text)] = text
    block[1024:1028] = struct.pack(">I", length)
    return bytes([1]) + bytes(block)
def corrupt(position, mask):
    return bytes([2, position >> 8, position & 0xff, mask])
def raw(data):
    v = len(data) - 1
    return bytes([((v >> 8) << 1) << 2 | 3, v & 0xff]) + data
def truncate(count):
    v = count - 1
    return bytes([((v >> 8) << 1 | 1) << 2 | 3, v & 0xff])
fc2s = [fast["C2S_PACKETS_1"], fast["C2S_PACKETS_100"], fast["C2S_PACKETS_1023"]]
fs2c = [fast["S2C_PACKETS_1"], fast["S2C_PACKETS_100"]]
text = bytes(range(256)) * 12
seeds = {
    "transcript-c2s": bytes([0, 0]) + b"".join(raw(p) for p in fc2s),
    "transcript-s2c-fragmented": bytes([0x03, 1]) + b"".join(raw(p) for p in fs2c),
    "transcript-c2s-truncated": bytes([0x01, 0]) + b"".join(raw(p) for p in fc2s) + raw(fc2s[0][:500]),
    "honest-sizes": bytes([0, 0]) + honest(b"x") + honest(text[:1024]) + honest(text[:1025]) + honest(text[:3000]),
    "honest-small-buffers": bytes([0x02, 1 << 1]) + honest(text[:2500]) + honest(text[:10]),
    "honest-buffer-1025": bytes([0x04, 5 << 1 | 1]) + honest(text[:3072]),
    "honest-replies": bytes([0x05, 0x80 | 1]) + honest(text[:700]) + honest(text[:2000]),
    "corrupt-second": bytes([0, 0]) + honest(text[:100]) + honest(text[:100]) + corrupt(1060 + 7, 0x40) + honest(text[:5]),
    "corrupt-mac": bytes([0x03, 0x10]) + honest(text[:1024]) + corrupt(1059, 1) + honest(text[:3]),
    "forged-length-0": bytes([0, 0x10]) + honest(text[:50]) + forged(0),
    "forged-length-1025": bytes([0x01, 0x30]) + honest(text[:50]) + forged(1025),
    "forged-length-5": bytes([0, 0x50]) + forged(5, b"hello") + forged(1024, text[:1024]),
    "forged-then-honest": bytes([0, 0]) + forged(3, b"abc") + honest(text[:20]),
    "truncated": bytes([0x06, 0]) + honest(text[:1500]) + truncate(100),
    "raw-partial": bytes([0x07, 0x10 | 0x40 | 7 << 1]) + honest(text[:40]) + raw(b"\0" * 33),
    "opener-throwing-small": bytes([0x02, 0x70 | 2 << 1]) + honest(text[:2048]) + corrupt(2100, 0x80),
}
for name, data in seeds.items():
    write("FuzzPacketOpener", name, data)

# Command lines: byte 0 bit 0 picks spipe; words separated by NUL.
def argv(program, *words):
    return bytes([1 if program == "spipe" else 0]) + b"\0".join(w.encode() for w in words)
lines = [
    ("spiped", "-e", "-s", "[127.0.0.1]:8025", "-t", "example.com:25", "-k", "/etc/spiped/smtp.key"),
    ("spiped", "-d", "-s", "[0.0.0.0]:8022", "-t", "[127.0.0.1]:22", "-k", "keyfile", "-F", "-n", "0x10", "-o", "2.5", "-r", "30"),
    ("spiped", "-dFj", "-s/tmp/s.sock", "-t/tmp/t.sock", "-kkey", "-g", "-R", "--syslog", "-u", "nobody:nogroup", "-p", "/run/x.pid"),
    ("spiped", "-e", "-f", "-s", "[::1]:1", "-t", "[::1]:2", "-k", "-", "-b", "10.0.0.1", "-D", "--log-connections", "--", "extra"),
    ("spiped", "-v"),
    ("spiped", "-e", "-e", "-x", "--foo=bar"),
    ("spiped", "-o", "inf", "-n", "-1", "-r", "nan", "-o"),
    ("spipe", "-t", "[127.0.0.1]:8022", "-k", "/etc/spiped/ssh.key"),
    ("spipe", "-t", "host:ssh", "-k", "k", "-f", "-j", "-o", "0x1p3", "-b", "[::1]:0", "--log-connections"),
    ("spipe", "-gk", "k", "-t", "a:1", "-o", "0"),
    ("spipe", "-v"),
    ("spiped", "-d", "-s", "[0.0.0.0]:8022", "-t", "[127.0.0.1]:22", "-k", "k", "--connect-after-handshake", "--idle-timeout", "300"),
    ("spiped", "-e", "-s", "[::1]:1", "-t", "[::1]:2", "-k", "k", "--connect-after-handshake", "--idle-timeout", "0"),
    ("spiped", "-d", "-s", "/s", "-t", "/t", "-k", "k", "--idle-timeout", "nan", "--idle-timeout", "1e-300"),
]
for i, line in enumerate(lines):
    write("FuzzCommandLine", "line-%02d" % i, argv(*line))

# Addresses: byte 0 bit 0 allows port 0 (as for -b).
for i, (zero, text) in enumerate([
        (0, "/var/run/spiped.sock"), (0, "[127.0.0.1]:8025"), (0, "[::1]:22"), (0, "[fe80::1%eth0]:22"),
        (0, "example.com:25"), (0, "localhost:ssh"), (1, "[0.0.0.0]:0"), (0, "[1.2.3.4]: +080"),
        (0, "[1.2.3.4]:65536"), (0, "[::ffff:1.2.3.4]:1"), (0, "[]:1"), (0, "no-port"), (1, "10.0.0.1"),
        (0, "/" + "x" * 120), (0, "[1.2.3.4:5")]):
    write("FuzzAddress", "address-%02d" % i, bytes([zero]) + text.encode())

# Key files: the whole input is the file, repeated 1 + byte0 % 40 times.
write("FuzzKeyFile", "transcript-key", r["KEYFILE"])
write("FuzzKeyFile", "text-key", b"correct horse battery staple\n")
write("FuzzKeyFile", "short-key", b"\x00k")
write("FuzzKeyFile", "big-key", bytes([39]) + bytes(range(256)) * 8)
