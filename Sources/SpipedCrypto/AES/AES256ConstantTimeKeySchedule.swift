// AES-256 key expansion for the bitsliced constant-time AES, producing the 15
// round keys already in bit-plane form (each replicated for the 4 block slots),
// and on request the same keys prepared for the vector-permute kernel.
//
// Constant time: SubWord uses the bitsliced S-box circuit (no table), the
// schedule's branches and Rcon depend only on the word index, and all memory
// indices are fixed by the loop counters. The 60-word schedule is kept in a
// stack buffer that is wiped before returning.
import SpipedCryptoKernels

extension AES256ConstantTime {
    /// Number of 64-bit words of round-key material: 15 rounds x 8 planes.
    static let roundKeyWordCount = 15 * 8

    /// Expands a 32-byte key into `out` (``roundKeyWordCount`` words) and, if
    /// given, 240 bytes of vector-permute round keys into `vectorPermuteKeys`
    /// and the byte-layout planes (`aesByteslicedRoundKeyByteCount` bytes) into `bytePlaneKeys`.
    static func expandKey(_ key: some Collection<UInt8>, into out: UnsafeMutablePointer<UInt64>,
                          vectorPermuteKeys: UnsafeMutableRawPointer? = nil, bytePlaneKeys: UnsafeMutableRawPointer? = nil) {
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 60) { w in
            // FIPS-197 section 5.2, Nk = 8; words are little-endian by byte
            // (byte 0 of the word is its least significant byte).
            for i in 0..<8 { w[i] = 0 }
            var i = 0
            for byte in key.prefix(32) {
                w[i >> 2] |= UInt32(byte) << UInt32(8 * (i & 3))
                i += 1
            }
            var rcon: UInt32 = 1
            for i in 8..<60 {
                var t = w[i - 1]
                if i % 8 == 0 {                      // public index: not secret-dependent
                    t = (t >> 8) | (t << 24)         // RotWord
                    t = subWord(t) ^ rcon
                    rcon = (rcon << 1) ^ ((rcon >> 7) &* 0x11b)
                } else if i % 8 == 4 {
                    t = subWord(t)
                }
                w[i] = w[i - 8] ^ t
            }
            // Each round key, the same for all four block slots, in bit planes.
            for round in 0..<15 {
                let lo = UInt64(w[4 * round]) | UInt64(w[4 * round + 1]) << 32
                let hi = UInt64(w[4 * round + 2]) | UInt64(w[4 * round + 3]) << 32
                let p = AESPlanes<UInt64>.pack(AESPlanes(lo, hi, lo, hi, lo, hi, lo, hi))
                let k = out + 8 * round
                k[0] = p.q0; k[1] = p.q1; k[2] = p.q2; k[3] = p.q3
                k[4] = p.q4; k[5] = p.q5; k[6] = p.q6; k[7] = p.q7
            }
            if vectorPermuteKeys != nil || bytePlaneKeys != nil {
                // FIPS-197 byte order: byte n of a round key is byte n % 4 of its word n / 4.
                withUnsafeTemporaryAllocation(byteCount: 240, alignment: 16) { standard in
                    guard let bytes = standard.baseAddress else { return }
                    for i in 0..<240 {
                        bytes.storeBytes(of: UInt8(truncatingIfNeeded: w[i >> 2] >> UInt32(8 * (i & 3))), toByteOffset: i, as: UInt8.self)
                    }
                    if let vk = vectorPermuteKeys { AESVectorPermuteTables.prepareRoundKeys(UnsafeRawPointer(bytes), into: vk) }
                    if let bk = bytePlaneKeys { aesByteslicedPrepareRoundKeys(UnsafeRawPointer(bytes), into: bk) }
                    secureZero(standard)
                }
            }
            if let base = w.baseAddress { secureZero(UnsafeMutableRawBufferPointer(start: UnsafeMutableRawPointer(base), count: 60 * 4)) }
        }
    }

    /// SubWord through the S-box circuit, one byte per bit slot.
    @inline(__always)
    static func subWord(_ word: UInt32) -> UInt32 {
        var p = AESPlanes<UInt64>.planes(ofWord: word)
        p.substitute()
        return AESPlanes<UInt64>.word(ofPlanes: p)
    }
}
