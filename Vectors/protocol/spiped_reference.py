"""Independent reference model of the spiped 1.6 wire protocol, in Python.

Written from ../../../shared/spiped-reference.md (the public spiped design),
not from the Swift code it checks: hashlib/hmac for SHA-256, HMAC and PBKDF2,
the `cryptography` package for AES-256-CTR, built-in pow() for the group-14
Diffie-Hellman arithmetic. It is deliberately plain and slow; it exists only
to produce known-answer transcripts (generate_transcripts.py) and to talk to
the C spiped for a cross-check (check_against_spiped.py).

Protocol summary (see the reference digest for the full text):
  K        = SHA-256(key file)
  dk1      = PBKDF2-HMAC-SHA256(K, nonce_C || nonce_S, 1, 64)
             dhmac_C = dk1[0:32], dhmac_S = dk1[32:64]
  message  = y (256 bytes, big-endian) || HMAC-SHA256(dhmac_side, y)
  y        = 2^(2^258 + x) mod p   (x: 32 secret bytes), or 1 in fast mode
  y_SC     = 1 if this side is fast or the peer sent 1, else y_peer^(2^258 + x) mod p
  dk2      = PBKDF2-HMAC-SHA256(K, nonce_C || nonce_S || y_SC, 1, 128)
             E_C || H_C || E_S || H_S (32 bytes each)
  packet   = enc || HMAC-SHA256(H, enc || be64(packet#)),
             enc = AES-256-CTR(E, M || zeros to 1024 || be32(len M)),
             counter block be64(packet#) || be64(block index from 0)
"""

import hashlib
import hmac
import struct

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

# RFC 3526 section 3: the 2048-bit MODP group (group 14), generator 2.
P_HEX = (
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD1"
    "29024E088A67CC74020BBEA63B139B22514A08798E3404DD"
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245"
    "E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3D"
    "C2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D"
    "670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9"
    "DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
    "15728E5A8AACAA68FFFFFFFFFFFFFFFF"
)
P = int(P_HEX, 16)
G = 2

NONCE_BYTES = 32
Y_BYTES = 256
MAC_BYTES = 32
MESSAGE_BYTES = Y_BYTES + MAC_BYTES
PAYLOAD_MAX = 1024
PADDED_BYTES = PAYLOAD_MAX + 4
PACKET_BYTES = PADDED_BYTES + MAC_BYTES


class Rejected(Exception):
    """The peer's handshake message must be refused; .reason says why."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def key_from_file_bytes(data):
    """K = SHA-256 of the entire key file."""
    return hashlib.sha256(data).digest()


def pbkdf2(password, salt, length):
    """PBKDF2-HMAC-SHA256 with one iteration, as spiped uses it."""
    return hashlib.pbkdf2_hmac("sha256", password, salt, 1, length)


def derive_dhmac(k, nonce_c, nonce_s):
    """dk1 -> (dhmac_C, dhmac_S)."""
    dk1 = pbkdf2(k, nonce_c + nonce_s, 64)
    return dk1[:32], dk1[32:]


def exponent(x):
    """The reference's constant-length exponent 2^258 + x (x: 32 bytes)."""
    return (1 << 258) + int.from_bytes(x, "big")


def public_value(x, fast):
    """y as 256 big-endian bytes: 1 in fast mode, else 2^(2^258+x) mod p."""
    y = 1 if fast else pow(G, exponent(x), P)
    return y.to_bytes(Y_BYTES, "big")


def message(dhmac, y):
    """y || HMAC-SHA256(dhmac, y): the 288-byte handshake message."""
    return y + hmac.new(dhmac, y, hashlib.sha256).digest()


def check_message(dhmac, msg, require_pfs):
    """Validates a peer's y || h; returns y as bytes or raises Rejected.

    The MAC is checked first (constant-time compare), then the range: the
    reference refuses y >= p; this model, like the Swift code, also refuses
    y = 0 and y = p - 1 (which would force the shared value to 0 or +-1),
    and y = 1 when forward secrecy is required (-g).
    """
    if len(msg) != MESSAGE_BYTES:
        raise Rejected("length")
    y, h = msg[:Y_BYTES], msg[Y_BYTES:]
    if not hmac.compare_digest(hmac.new(dhmac, y, hashlib.sha256).digest(), h):
        raise Rejected("badMAC")
    value = int.from_bytes(y, "big")
    if value >= P or value == 0 or value == P - 1:
        raise Rejected("publicValueOutOfRange")
    if require_pfs and value == 1:
        raise Rejected("peerNotUsingPFS")
    return y


def shared_value(x, fast, peer_y):
    """y_SC as 256 big-endian bytes."""
    peer = int.from_bytes(peer_y, "big")
    if fast or peer == 1:
        value = 1
    else:
        value = pow(peer, exponent(x), P)
    return value.to_bytes(Y_BYTES, "big")


def derive_session(k, nonce_c, nonce_s, y_sc):
    """dk2 -> dict with E_C, H_C, E_S, H_S."""
    dk2 = pbkdf2(k, nonce_c + nonce_s + y_sc, 128)
    return {"E_C": dk2[0:32], "H_C": dk2[32:64], "E_S": dk2[64:96], "H_S": dk2[96:128]}


def _ctr(key, packet_number, data):
    """AES-256-CTR with counter block be64(packet#) || be64(0), then +1 per block."""
    iv = struct.pack(">QQ", packet_number, 0)
    enc = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return enc.update(data) + enc.finalize()


def seal_packet(e, h, packet_number, m):
    """One 1060-byte packet carrying 1..1024 bytes of plaintext."""
    assert 1 <= len(m) <= PAYLOAD_MAX
    padded = m + bytes(PAYLOAD_MAX - len(m)) + struct.pack(">I", len(m))
    return seal_padded(e, h, packet_number, padded)


def seal_padded(e, h, packet_number, padded):
    """Encrypts and MACs an already padded 1028-byte block (tests use this
    to build validly MACed packets with impossible lengths)."""
    assert len(padded) == PADDED_BYTES
    enc = _ctr(e, packet_number, padded)
    mac = hmac.new(h, enc + struct.pack(">Q", packet_number), hashlib.sha256).digest()
    return enc + mac


def open_packet(e, h, packet_number, packet):
    """Verifies and decrypts one packet; raises Rejected on a bad MAC or length."""
    assert len(packet) == PACKET_BYTES
    enc, mac = packet[:PADDED_BYTES], packet[PADDED_BYTES:]
    want = hmac.new(h, enc + struct.pack(">Q", packet_number), hashlib.sha256).digest()
    if not hmac.compare_digest(want, mac):
        raise Rejected("badMAC")
    padded = _ctr(e, packet_number, enc)
    (length,) = struct.unpack(">I", padded[PAYLOAD_MAX:])
    if length == 0 or length > PAYLOAD_MAX:
        raise Rejected("badLength")
    return padded[:length]


class Sealer:
    """Cuts plaintext into 1024-byte chunks (the last may be shorter), one
    packet each, with a running packet counter."""

    def __init__(self, e, h):
        self.e, self.h, self.n = e, h, 0

    def seal(self, data):
        out = b""
        for i in range(0, len(data), PAYLOAD_MAX):
            out += seal_packet(self.e, self.h, self.n, data[i:i + PAYLOAD_MAX])
            self.n += 1
        return out


class Opener:
    """Turns a byte stream of packets back into plaintext."""

    def __init__(self, e, h):
        self.e, self.h, self.n, self.buf = e, h, 0, b""

    def open(self, data):
        self.buf += data
        out = b""
        while len(self.buf) >= PACKET_BYTES:
            out += open_packet(self.e, self.h, self.n, self.buf[:PACKET_BYTES])
            self.buf = self.buf[PACKET_BYTES:]
            self.n += 1
        return out


class Side:
    """One end of a handshake with fixed randomness, computed eagerly.

    role: "client" or "server". The message order is the reference's:
    both send a nonce; the client sends y_C || h_C once it has nonce_S; the
    server sends y_S || h_S only after validating the client's message.
    """

    def __init__(self, role, k, nonce, x, fast, require_pfs=False):
        self.role, self.k, self.nonce, self.x = role, k, nonce, x
        self.fast, self.require_pfs = fast, require_pfs
        self.y = public_value(x, fast)

    def on_peer_nonce(self, peer_nonce):
        if self.role == "client":
            self.nonce_c, self.nonce_s = self.nonce, peer_nonce
        else:
            self.nonce_c, self.nonce_s = peer_nonce, self.nonce
        self.dhmac_c, self.dhmac_s = derive_dhmac(self.k, self.nonce_c, self.nonce_s)
        mine = self.dhmac_c if self.role == "client" else self.dhmac_s
        self.message = message(mine, self.y)

    def on_peer_message(self, msg):
        theirs = self.dhmac_s if self.role == "client" else self.dhmac_c
        peer_y = check_message(theirs, msg, self.require_pfs)
        self.y_sc = shared_value(self.x, self.fast, peer_y)
        self.keys = derive_session(self.k, self.nonce_c, self.nonce_s, self.y_sc)
        if self.role == "client":
            self.sealer = Sealer(self.keys["E_C"], self.keys["H_C"])
            self.opener = Opener(self.keys["E_S"], self.keys["H_S"])
        else:
            self.sealer = Sealer(self.keys["E_S"], self.keys["H_S"])
            self.opener = Opener(self.keys["E_C"], self.keys["H_C"])
