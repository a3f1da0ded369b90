// AES-256 with the CPU's AES instructions (AES-NI), through the raw kernels
// of SpipedCryptoHW. This file holds the policy those kernels leave out:
// key storage, the block-cipher protocol, wiping.
//
// Guarantees: constant-time (AES-NI has no table look-ups; the kernels'
// instruction sequence depends only on lengths). Round keys for both
// directions live in one 16-byte-aligned heap buffer allocated at init and
// shared by copies (no allocation per call); `wipe()` and the last copy's
// deinit zero it; the key bytes' stack copy is wiped after expansion.
// `xorKeystream` is the bulk path: eight blocks in flight for any length.
// Creating one where ``isSupported`` is false is a programming error (the
// ``AES256`` dispatcher checks first).
import SpipedCryptoHW

/// AES-256 using the CPU's AES instructions (AES-NI). Constant-time.
///
/// Check ``isSupported`` before creating one; ``AES256`` does this for you.
public struct AES256Hardware: AES256BlockCipher {
    /// Whether this CPU and build can run this variant (detected once per
    /// process; false in builds made with `SPIPED_PORTABLE=1` and off x86_64).
    public static var isSupported: Bool { AESNI.isSupported }

    /// 240 bytes of encryption round keys, then 240 bytes of decryption ones.
    private let keys: SecretBuffer

    private static let decryptionOffset = AESNI.roundKeyByteCount

    /// Expands a 32-byte key. Any other length, or a CPU without AES-NI, is a
    /// programming error.
    public init(key: some Collection<UInt8>) {
        precondition(key.count == 32, "AES-256 needs a 32-byte key")
        precondition(AES256Hardware.isSupported, "AES256Hardware needs AES-NI; check isSupported")
        keys = SecretBuffer(byteCount: 2 * AESNI.roundKeyByteCount)
        var raw: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        withUnsafeMutableBytes(of: &raw) { buffer in
            var i = 0
            for byte in key { buffer[i] = byte; i += 1 }
            AESNI.expandKey(UnsafeRawPointer(buffer.baseAddress.unsafelyUnwrapped),
                            encryptionRoundKeys: keys.bytes,
                            decryptionRoundKeys: keys.bytes + AES256Hardware.decryptionOffset)
        }
        secureZeroValue(&raw)
    }

    /// Encrypts one 16-byte block; `input` and `output` may be the same.
    @inline(__always)
    public func encryptBlock(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer) {
        AESNI.encryptBlock(roundKeys: keys.bytes, input, output)
    }

    /// Decrypts one 16-byte block; `input` and `output` may be the same.
    @inline(__always)
    public func decryptBlock(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer) {
        AESNI.decryptBlock(roundKeys: keys.bytes + AES256Hardware.decryptionOffset, input, output)
    }

    /// XORs the spiped CTR keystream (`be64(nonce) || be64(firstBlock + i)`)
    /// into `buffer` in place with the eight-blocks-at-once kernel; a final
    /// partial block uses the leading bytes of its keystream block.
    @inline(__always)
    public func xorKeystream(nonce: UInt64, firstBlock: UInt64, _ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        AESNI.xorCTRKeystream(roundKeys: keys.bytes, nonce: nonce, firstBlock: firstBlock, base, count: buffer.count)
    }

    /// Overwrites the expanded key (for this value and every copy of it).
    public mutating func wipe() {
        keys.wipe()
    }
}
