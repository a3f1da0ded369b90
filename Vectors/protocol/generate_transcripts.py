#!/usr/bin/env python3
"""Writes Vectors/protocol/transcripts.txt: known-answer spiped handshakes and
first data packets, computed with the independent model in spiped_reference.py.

Run from anywhere:  python3 Vectors/protocol/generate_transcripts.py
(needs the `cryptography` package; output is deterministic, so re-running it
must leave the file unchanged).

File format (the same shape as the NIST/cryptography-vectors files the crypto
tests read): "NAME = VALUE" lines, hex values (lower case; an empty value is
zero bytes), records separated by blank lines, "#" starts a comment line.
One record per handshake mode; its fields:

  MODE          pfs | client-fast | server-fast | both-fast
  CLIENT_FAST   1 if the client sends y = 1 (-f), else 0
  SERVER_FAST   the same for the server
  KEYFILE       the key file's bytes;  K = SHA-256(KEYFILE)
  NONCE_C       client nonce (32 bytes)
  NONCE_S       server nonce
  X_C, X_S      the 32 random bytes behind each side's secret exponent
                2^258 + x; present only for a side that is not fast
  RANDOM_C      everything the client draws from its random source, in order
                (nonce, then x unless fast); RANDOM_S the same for the server
  DHMAC_C       dk1[0:32];  DHMAC_S = dk1[32:64]
  CLIENT_YH     the client's 288-byte y_C || h_C, exactly as sent
  SERVER_YH     the server's y_S || h_S
  Y_SC          the shared value (256 bytes), equal on both sides
  E_C, H_C, E_S, H_S   dk2, 32 bytes each
  C2S_PLAIN_<n>   plaintext of n bytes the client seals in one call, for
                  n = 0, 1, 100, 1023, 1024, 1025, 3000 in that order
                  (packet numbers run on across calls: 0, 1, 2, ...)
  C2S_PACKETS_<n> the exact packets (1060 bytes each, concatenated) that call
                  produces; plaintext is cut into 1024-byte chunks, the last
                  shorter; n = 0 produces nothing
  S2C_PLAIN_<n>, S2C_PACKETS_<n>   the same for the server's direction

The client's first bytes on the wire are NONCE_C then CLIENT_YH then the
C2S packets; the server's are NONCE_S then SERVER_YH then the S2C packets.
"""

import hashlib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spiped_reference as ref  # noqa: E402

SIZES = [0, 1, 100, 1023, 1024, 1025, 3000]


def stream(label, n):
    """n deterministic bytes: SHA-256(label || be32(i)) blocks."""
    out = b""
    i = 0
    while len(out) < n:
        out += hashlib.sha256(label.encode() + i.to_bytes(4, "big")).digest()
        i += 1
    return out[:n]


# Each mode has its own key file (different lengths, one shorter than 32
# bytes, one longer than a SHA-256 block) and its own randomness.
MODES = [
    ("pfs", False, False, stream("keyfile pfs", 32)),
    ("client-fast", True, False, b"correct horse battery staple, a key file of plain text\n"),
    ("server-fast", False, True, stream("keyfile server-fast", 13)),
    ("both-fast", True, True, stream("keyfile both-fast", 100)),
]


def record(mode, client_fast, server_fast, keyfile):
    k = ref.key_from_file_bytes(keyfile)
    nonce_c = stream(mode + " nonce_C", 32)
    nonce_s = stream(mode + " nonce_S", 32)
    x_c = stream(mode + " x_C", 32)
    x_s = stream(mode + " x_S", 32)
    client = ref.Side("client", k, nonce_c, x_c, client_fast)
    server = ref.Side("server", k, nonce_s, x_s, server_fast)

    # Message order of the reference: nonces cross, client sends y_C || h_C,
    # server validates it, then sends y_S || h_S, which the client validates.
    client.on_peer_nonce(nonce_s)
    server.on_peer_nonce(nonce_c)
    server.on_peer_message(client.message)
    client.on_peer_message(server.message)
    assert client.y_sc == server.y_sc and client.keys == server.keys
    assert client.dhmac_c == server.dhmac_c and client.dhmac_s == server.dhmac_s

    fields = [
        ("MODE", mode),
        ("CLIENT_FAST", "1" if client_fast else "0"),
        ("SERVER_FAST", "1" if server_fast else "0"),
        ("KEYFILE", keyfile.hex()),
        ("K", k.hex()),
        ("NONCE_C", nonce_c.hex()),
        ("NONCE_S", nonce_s.hex()),
    ]
    if not client_fast:
        fields.append(("X_C", x_c.hex()))
    if not server_fast:
        fields.append(("X_S", x_s.hex()))
    fields += [
        ("RANDOM_C", (nonce_c + (b"" if client_fast else x_c)).hex()),
        ("RANDOM_S", (nonce_s + (b"" if server_fast else x_s)).hex()),
        ("DHMAC_C", client.dhmac_c.hex()),
        ("DHMAC_S", client.dhmac_s.hex()),
        ("CLIENT_YH", client.message.hex()),
        ("SERVER_YH", server.message.hex()),
        ("Y_SC", client.y_sc.hex()),
    ]
    for name in ("E_C", "H_C", "E_S", "H_S"):
        fields.append((name, client.keys[name].hex()))

    for n in SIZES:
        plain = stream("%s c2s %d" % (mode, n), n)
        packets = client.sealer.seal(plain)
        assert server.opener.open(packets) == plain
        fields.append(("C2S_PLAIN_%d" % n, plain.hex()))
        fields.append(("C2S_PACKETS_%d" % n, packets.hex()))
    for n in SIZES:
        plain = stream("%s s2c %d" % (mode, n), n)
        packets = server.sealer.seal(plain)
        assert client.opener.open(packets) == plain
        fields.append(("S2C_PLAIN_%d" % n, plain.hex()))
        fields.append(("S2C_PACKETS_%d" % n, packets.hex()))
    return "\n".join("%s = %s" % f for f in fields) + "\n"


def self_check():
    """The model refuses what it must (a sanity check of the model itself)."""
    k = ref.key_from_file_bytes(b"self check")
    dh_c, dh_s = ref.derive_dhmac(k, bytes(32), bytes(range(32)))
    # Every value here fits 256 bytes (p + 1 = 2^2048 - 2^1984 + ...).
    for bad in (ref.P, ref.P + 1, 0, ref.P - 1, (1 << 2048) - 1):
        msg = ref.message(dh_c, bad.to_bytes(256, "big"))
        try:
            ref.check_message(dh_c, msg, False)
            raise AssertionError("accepted %x" % bad)
        except ref.Rejected as e:
            assert e.reason == "publicValueOutOfRange", e.reason
    one = ref.message(dh_c, (1).to_bytes(256, "big"))
    ref.check_message(dh_c, one, False)
    try:
        ref.check_message(dh_c, one, True)
        raise AssertionError("accepted y = 1 under -g")
    except ref.Rejected as e:
        assert e.reason == "peerNotUsingPFS"
    try:
        ref.check_message(dh_s, one, False)
        raise AssertionError("accepted a message MACed with the wrong key")
    except ref.Rejected as e:
        assert e.reason == "badMAC"


def main():
    self_check()
    here = os.path.dirname(os.path.abspath(__file__))
    header = (
        "# spiped handshake + packet transcripts, generated by generate_transcripts.py\n"
        "# from the independent Python model spiped_reference.py. Do not edit by hand.\n"
        "# Field meanings: see the generator's header.\n\n"
    )
    body = "\n".join(record(*m) for m in MODES)
    with open(os.path.join(here, "transcripts.txt"), "w") as f:
        f.write(header + body)


if __name__ == "__main__":
    main()
