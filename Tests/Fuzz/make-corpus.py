#!/usr/bin/env python3
"""Writes the seed corpus of every fuzz target into Tests/Fuzz/Corpus/<target>/.

Handshake and packet seeds come from the first ("pfs") record of
Vectors/protocol/transcripts.txt, whose key and randomness the fuzz targets
use (Tests/Fuzz/Support/FuzzSupport.swift). Run from anywhere; rewrites the
seed files (named seed-*), leaves other files (crash reproducers) alone.
"""
import os, struct

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))

def first_record():
    rec = {}
    with open(os.path.join(root, "Vectors/protocol/transcripts.txt")) as f:
        for line in f:
            line = line.rstrip("\n")
            if line.startswith("MODE = ") and rec:
                break
            if " = " in line:
                k, v = line.split(" = ", 1)
                rec[k] = v
    return {k: bytes.fromhex(v) if k not in ("MODE", "CLIENT_FAST", "SERVER_FAST") else v for k, v in rec.items()}

def write(target, name, data):
    d = os.path.join(here, "Corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "seed-" + name), "wb") as f:
        f.write(data)

r = first_record()
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

# Packet opener: byte 0 fragmentation seed, byte 1 output size and modes.
write("FuzzPacketOpener", "transcript-packets", bytes([0, 7]) + c2s)
write("FuzzPacketOpener", "transcript-packets-fragmented", bytes([0x03, 3]) + r["C2S_PACKETS_1"] + r["C2S_PACKETS_100"] + r["C2S_PACKETS_1023"][:500])
write("FuzzPacketOpener", "transcript-small-output", bytes([0x01, 0]) + c2s)
write("FuzzPacketOpener", "transcript-array-api", bytes([0, 0x27]) + c2s)
plain = bytearray(1060)
plain[1024:1028] = struct.pack(">I", 5); plain[0:5] = b"hello"
write("FuzzPacketOpener", "assist-encrypt-length-5", bytes([0, 0x1B]) + bytes(plain))
plain[1024:1028] = struct.pack(">I", 0)
write("FuzzPacketOpener", "assist-encrypt-length-0", bytes([0, 0x1B]) + bytes(plain))
plain[1024:1028] = struct.pack(">I", 1025)
write("FuzzPacketOpener", "assist-encrypt-length-1025", bytes([0x02, 0x1B]) + bytes(plain))
write("FuzzPacketOpener", "assist-mac-only", bytes([0, 0x0B]) + bytes(1060 * 2))

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
