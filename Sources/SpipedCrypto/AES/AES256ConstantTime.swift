// AES-256 in constant time by bitslicing: 4 blocks are held as 8 bit planes
// of 64-bit words and every round is computed with Boolean operations
// (approach of Konighofer, CT-RSA 2008, and Kasper-Schwabe, CHES 2009; S-box
// circuits of Boyar-Peralta; see the other AES256ConstantTime*.swift files).
//
// Which functions promise constant time, and how:
// - `init(key:)` (key expansion): SubWord runs through the S-box circuit;
//   control flow depends only on word indices.
// - `encryptBlock`, `decryptBlock`, `xorKeystream`: pack/unpack, the rounds
//   and the S-box are straight-line code over the bit planes; round keys are
//   read at addresses fixed by the round number. The only branches are on
//   buffer lengths, which are public.
// - `wipe()`: a fixed-length zeroing of the key buffer.
// No function here indexes memory with, or branches on, key or data bits.
//
// Single blocks are processed in a 4-block pass with 3 empty slots; the CTR
// path (`xorKeystream`) fills all 4 slots with consecutive counter blocks.

/// AES-256 implemented with bitslicing: no table look-ups, no secret-dependent
/// branches or memory indices, so it does not leak through cache timing.
/// The portable default when the CPU has no AES instructions.
public struct AES256ConstantTime: AES256BlockCipher {
    /// 15 round keys x 8 bit planes (960 bytes), allocated once.
    private let keys: SecretBuffer

    /// Expands a 32-byte key. Any other length is a programming error.
    public init(key: some Collection<UInt8>) {
        precondition(key.count == 32, "AES-256 needs a 32-byte key")
        keys = SecretBuffer(byteCount: AES256ConstantTime.roundKeyWordCount * 8)
        AES256ConstantTime.expandKey(key, into: keys.bytes.assumingMemoryBound(to: UInt64.self))
    }

    private var roundKeys: UnsafePointer<UInt64> {
        UnsafePointer(keys.bytes.assumingMemoryBound(to: UInt64.self))
    }

    /// Encrypts one 16-byte block; `input` and `output` may be the same.
    public func encryptBlock(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer) {
        var s = AESPlanes()
        s.q0 = UInt64(littleEndian: input.loadUnaligned(as: UInt64.self))
        s.q1 = UInt64(littleEndian: input.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        s = AESPlanes.pack(s)
        s.encryptRounds(roundKeys)
        s = AESPlanes.unpack(s)
        output.storeBytes(of: s.q0.littleEndian, as: UInt64.self)
        output.storeBytes(of: s.q1.littleEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// Decrypts one 16-byte block; `input` and `output` may be the same.
    public func decryptBlock(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer) {
        var s = AESPlanes()
        s.q0 = UInt64(littleEndian: input.loadUnaligned(as: UInt64.self))
        s.q1 = UInt64(littleEndian: input.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        s = AESPlanes.pack(s)
        s.decryptRounds(roundKeys)
        s = AESPlanes.unpack(s)
        output.storeBytes(of: s.q0.littleEndian, as: UInt64.self)
        output.storeBytes(of: s.q1.littleEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// XORs the spiped CTR keystream into `buffer`, encrypting 4 consecutive
    /// counter blocks per bitsliced pass.
    public func xorKeystream(nonce: UInt64, firstBlock: UInt64, _ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        let rk = roundKeys
        let count = buffer.count
        var block = firstBlock
        var offset = 0
        while count - offset >= 64 {
            let ks = AES256ConstantTime.keystream(nonce, block, rk)
            let p = base + offset
            AES256ConstantTime.xorWord(p, 0, ks.q0); AES256ConstantTime.xorWord(p, 8, ks.q1)
            AES256ConstantTime.xorWord(p, 16, ks.q2); AES256ConstantTime.xorWord(p, 24, ks.q3)
            AES256ConstantTime.xorWord(p, 32, ks.q4); AES256ConstantTime.xorWord(p, 40, ks.q5)
            AES256ConstantTime.xorWord(p, 48, ks.q6); AES256ConstantTime.xorWord(p, 56, ks.q7)
            offset += 64
            block &+= 4
        }
        if offset < count {
            // Last 1...63 bytes: one more pass, only the needed prefix used.
            let k = AES256ConstantTime.keystream(nonce, block, rk)
            var ks = AESPlanes(k.q0.littleEndian, k.q1.littleEndian, k.q2.littleEndian, k.q3.littleEndian,
                               k.q4.littleEndian, k.q5.littleEndian, k.q6.littleEndian, k.q7.littleEndian)
            withUnsafeBytes(of: &ks) { k in
                let p = base + offset
                for i in 0..<(count - offset) {
                    p.storeBytes(of: p.load(fromByteOffset: i, as: UInt8.self) ^ k[i], toByteOffset: i, as: UInt8.self)
                }
            }
            secureZeroValue(&ks)
        }
    }

    /// Overwrites the expanded key (shared by all copies of this value).
    public mutating func wipe() {
        keys.wipe()
    }

    /// 64 bytes of keystream: counter blocks `block ... block + 3` encrypted,
    /// as little-endian words in memory order (the struct's field order).
    @inline(__always)
    private static func keystream(_ nonce: UInt64, _ block: UInt64, _ rk: UnsafePointer<UInt64>) -> AESPlanes {
        // A counter block is be64(nonce) || be64(index); as little-endian
        // words those halves are the byte-swapped integers.
        let n = nonce.byteSwapped
        var s = AESPlanes(n, block.byteSwapped, n, (block &+ 1).byteSwapped,
                          n, (block &+ 2).byteSwapped, n, (block &+ 3).byteSwapped)
        s = AESPlanes.pack(s)
        s.encryptRounds(rk)
        return AESPlanes.unpack(s)
    }

    @inline(__always)
    private static func xorWord(_ p: UnsafeMutableRawPointer, _ offset: Int, _ k: UInt64) {
        let v = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) ^ k
        p.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt64.self)
    }
}
