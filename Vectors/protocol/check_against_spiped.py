#!/usr/bin/env python3
"""Cross-checks the Python model (spiped_reference.py) against the C spiped.

Not part of the Swift test suite: run it by hand where `spiped` (the C
reference, e.g. Debian's 1.6.2) is installed:
    python3 Vectors/protocol/check_against_spiped.py
For each mode (PFS, model fast, C fast, both fast) and both roles it starts
`spiped -F` on loopback with a random key file and runs the model as the
other end: as a client through `spiped -d` to an echo server, and as a
server behind `spiped -e`. Data must arrive intact both ways. Success here
means the transcripts the model writes are what the C code would send.
"""

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import spiped_reference as ref  # noqa: E402


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def read_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise EOFError("peer closed after %d of %d bytes" % (len(out), n))
        out += chunk
    return out


def start_spiped(mode_flag, src, dst, keypath, extra):
    cmd = ["spiped", mode_flag, "-F", "-s", "[127.0.0.1]:%d" % src,
           "-t", "[127.0.0.1]:%d" % dst, "-k", keypath] + extra
    proc = subprocess.Popen(cmd)
    # Wait until the source port is taken (bind fails) rather than probing
    # it with a connection, which would start a real proxied connection.
    for _ in range(100):
        probe = socket.socket()
        try:
            probe.bind(("127.0.0.1", src))
        except OSError:
            return proc
        finally:
            probe.close()
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("spiped did not start")


def run_handshake(sock, side):
    sock.sendall(side.nonce)
    peer_nonce = read_exact(sock, 32)
    side.on_peer_nonce(peer_nonce)
    if side.role == "client":
        sock.sendall(side.message)
        side.on_peer_message(read_exact(sock, ref.MESSAGE_BYTES))
    else:
        side.on_peer_message(read_exact(sock, ref.MESSAGE_BYTES))
        sock.sendall(side.message)


def exchange(sock, side, payload):
    """Send payload sealed, read back as many packets as the echo returns."""
    sock.sendall(side.sealer.seal(payload))
    got = b""
    while len(got) < len(payload):
        got += side.opener.open(read_exact(sock, ref.PACKET_BYTES))
    return got


def echo_server(listener):
    conn, _ = listener.accept()
    with conn:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            conn.sendall(data)


def check(model_fast, c_fast, keyfile, keypath):
    k = ref.key_from_file_bytes(keyfile)
    payload = os.urandom(5000)
    extra = ["-f"] if c_fast else []

    # Model as client -> spiped -d -> echo.
    echo_port, src = free_port(), free_port()
    listener = socket.create_server(("127.0.0.1", echo_port))
    threading.Thread(target=echo_server, args=(listener,), daemon=True).start()
    proc = start_spiped("-d", src, echo_port, keypath, extra)
    try:
        with socket.create_connection(("127.0.0.1", src)) as sock:
            side = ref.Side("client", k, os.urandom(32), os.urandom(32), model_fast)
            run_handshake(sock, side)
            assert exchange(sock, side, payload) == payload
    finally:
        proc.terminate()
        proc.wait()
        listener.close()

    # plain client -> spiped -e -> model as server (echoing decrypted data).
    model_port, src = free_port(), free_port()
    listener = socket.create_server(("127.0.0.1", model_port))
    result = {}

    def model_server():
        conn, _ = listener.accept()
        with conn:
            side = ref.Side("server", k, os.urandom(32), os.urandom(32), model_fast)
            run_handshake(conn, side)
            got = b""
            while len(got) < len(payload):
                got += side.opener.open(read_exact(conn, ref.PACKET_BYTES))
            conn.sendall(side.sealer.seal(got))
            result["ok"] = got == payload

    proc = start_spiped("-e", src, model_port, keypath, extra)
    try:
        server = threading.Thread(target=model_server, daemon=True)
        server.start()
        with socket.create_connection(("127.0.0.1", src)) as sock:
            sock.sendall(payload)
            assert read_exact(sock, len(payload)) == payload
        server.join(timeout=10)
        assert result.get("ok")
    finally:
        proc.terminate()
        proc.wait()
        listener.close()


def main():
    with tempfile.TemporaryDirectory() as tmp:
        keyfile = os.urandom(48)
        keypath = os.path.join(tmp, "key")
        with open(keypath, "wb") as f:
            f.write(keyfile)
        for model_fast in (False, True):
            for c_fast in (False, True):
                check(model_fast, c_fast, keyfile, keypath)
                print("ok: model fast=%s, C spiped fast=%s, both roles" % (model_fast, c_fast))


if __name__ == "__main__":
    main()
