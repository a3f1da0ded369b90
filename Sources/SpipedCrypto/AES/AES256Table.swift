// AES-256 with the classic combined lookup tables ("T-tables", as described
// in the Rijndael proposal, section 5.2.1): each round is 16 table look-ups
// and XORs per block.
//
// *** NOT CONSTANT-TIME. *** The table look-ups are indexed by bytes that
// depend on the key and the data, so the cache lines touched leak information
// to anything that can measure cache timing on the same machine (Bernstein
// 2005; Osvik-Shamir-Tromer 2006). This variant exists for speed comparisons
// and for users who explicitly choose it (`AES256(key:implementation: .table)`
// or SPIPED_AES=table); the dispatcher never picks it by itself.
//
// Guarantees: correct FIPS-197 AES-256 for any key and block; round keys live
// in one heap buffer allocated at init (no allocation per call) that `wipe()`
// and deinit zero; key-expansion temporaries are wiped.

/// AES-256 using 4 KB lookup tables per direction: fast, but **not
/// constant-time** (its memory accesses depend on the key and data, which
/// leaks through cache timing). Used only when explicitly requested.
public struct AES256Table: AES256BlockCipher {
    /// 60 encryption round-key words, then 60 decryption round-key words
    /// (the "equivalent inverse cipher" keys, FIPS-197 section 5.3.5).
    private let keys: SecretBuffer
    private let tables: AESLookupTables

    private static let roundCount = 14
    private static let wordCount = 4 * (roundCount + 1)   // 60

    /// Expands a 32-byte key. Any other length is a programming error.
    public init(key: some Collection<UInt8>) {
        precondition(key.count == 32, "AES-256 needs a 32-byte key")
        tables = AESLookupTables.shared
        keys = SecretBuffer(byteCount: 2 * AES256Table.wordCount * 4)
        let ek = keys.bytes.assumingMemoryBound(to: UInt32.self)
        let dk = ek + AES256Table.wordCount
        var i = 0
        var word: UInt32 = 0
        for byte in key {
            word |= UInt32(byte) << UInt32(8 * (i & 3))
            if i & 3 == 3 { ek[i >> 2] = word; word = 0 }
            i += 1
        }
        AES256Table.expand(ek, tables.sbox)
        AES256Table.makeDecryptionKeys(ek, dk, tables)
    }

    /// FIPS-197 section 5.2 key expansion for Nk = 8, words little-endian by byte.
    private static func expand(_ w: UnsafeMutablePointer<UInt32>, _ sbox: UnsafePointer<UInt8>) {
        var rcon: UInt32 = 1
        for i in 8..<wordCount {
            var t = w[i - 1]
            if i % 8 == 0 {
                t = (t >> 8) | (t << 24)              // RotWord (bytes move down one place)
                t = subWord(t, sbox) ^ rcon
                rcon = UInt32(AESLookupTables.xtime(UInt8(truncatingIfNeeded: rcon)))
            } else if i % 8 == 4 {
                t = subWord(t, sbox)
            }
            w[i] = w[i - 8] ^ t
        }
    }

    @inline(__always)
    private static func subWord(_ w: UInt32, _ s: UnsafePointer<UInt8>) -> UInt32 {
        UInt32(s[Int(w & 0xff)]) | UInt32(s[Int((w >> 8) & 0xff)]) << 8
            | UInt32(s[Int((w >> 16) & 0xff)]) << 16 | UInt32(s[Int(w >> 24)]) << 24
    }

    /// Decryption keys in reverse round order, with InvMixColumns applied to
    /// the middle rounds so decryption can use the same round shape.
    private static func makeDecryptionKeys(_ ek: UnsafeMutablePointer<UInt32>, _ dk: UnsafeMutablePointer<UInt32>,
                                           _ t: AESLookupTables) {
        for round in 0...roundCount {
            for c in 0..<4 {
                let w = ek[4 * (roundCount - round) + c]
                if round == 0 || round == roundCount {
                    dk[4 * round + c] = w
                } else {
                    // Td[i][S[b]] is InvMixColumns of byte b at row i.
                    let s = t.sbox, td = t.td
                    dk[4 * round + c] = td[Int(s[Int(w & 0xff)])] ^ td[256 + Int(s[Int((w >> 8) & 0xff)])]
                        ^ td[512 + Int(s[Int((w >> 16) & 0xff)])] ^ td[768 + Int(s[Int(w >> 24)])]
                }
            }
        }
    }

    /// Encrypts one 16-byte block; `input` and `output` may be the same.
    public func encryptBlock(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer) {
        let rk = UnsafePointer(keys.bytes.assumingMemoryBound(to: UInt32.self))
        let (a, b, c, d) = AES256Table.encrypt(load(input), rk, tables.te, tables.sbox)
        store(a, b, c, d, output)
    }

    /// Decrypts one 16-byte block; `input` and `output` may be the same.
    public func decryptBlock(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer) {
        let rk = UnsafePointer(keys.bytes.assumingMemoryBound(to: UInt32.self)) + AES256Table.wordCount
        let (s0, s1, s2, s3) = load(input)
        let td = tables.td, inv = tables.inverseSbox
        var x0 = s0 ^ rk[0], x1 = s1 ^ rk[1], x2 = s2 ^ rk[2], x3 = s3 ^ rk[3]
        var k = rk + 4
        // InvShiftRows: row r of column c comes from column c - r.
        for _ in 1..<AES256Table.roundCount {
            let y0 = AES256Table.column(x0, x3, x2, x1, td) ^ k[0]
            let y1 = AES256Table.column(x1, x0, x3, x2, td) ^ k[1]
            let y2 = AES256Table.column(x2, x1, x0, x3, td) ^ k[2]
            let y3 = AES256Table.column(x3, x2, x1, x0, td) ^ k[3]
            x0 = y0; x1 = y1; x2 = y2; x3 = y3
            k += 4
        }
        store(AES256Table.lastColumn(x0, x3, x2, x1, inv) ^ k[0], AES256Table.lastColumn(x1, x0, x3, x2, inv) ^ k[1],
              AES256Table.lastColumn(x2, x1, x0, x3, inv) ^ k[2], AES256Table.lastColumn(x3, x2, x1, x0, inv) ^ k[3],
              output)
    }

    /// XORs the spiped CTR keystream into `buffer`, one table-encrypted
    /// counter block at a time, 8 bytes at a time.
    public func xorKeystream(nonce: UInt64, firstBlock: UInt64, _ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        let rk = UnsafePointer(keys.bytes.assumingMemoryBound(to: UInt32.self))
        let te = tables.te, s = tables.sbox
        // Column words (little-endian by byte) of the big-endian counter block.
        let n0 = UInt32(truncatingIfNeeded: nonce >> 32).byteSwapped
        let n1 = UInt32(truncatingIfNeeded: nonce).byteSwapped
        var block = firstBlock
        var offset = 0
        let count = buffer.count
        while offset < count {
            let (k0, k1, k2, k3) = AES256Table.encrypt(
                (n0, n1, UInt32(truncatingIfNeeded: block >> 32).byteSwapped, UInt32(truncatingIfNeeded: block).byteSwapped),
                rk, te, s)
            let lo = UInt64(littleEndian: UInt64(k0) | UInt64(k1) << 32)
            let hi = UInt64(littleEndian: UInt64(k2) | UInt64(k3) << 32)
            let p = base + offset
            if count - offset >= 16 {
                p.storeBytes(of: p.loadUnaligned(as: UInt64.self) ^ lo, as: UInt64.self)
                p.storeBytes(of: p.loadUnaligned(fromByteOffset: 8, as: UInt64.self) ^ hi, toByteOffset: 8, as: UInt64.self)
                offset += 16
            } else {
                var ks = (lo, hi)
                withUnsafeBytes(of: &ks) { k in
                    for i in 0..<(count - offset) { p.storeBytes(of: p.load(fromByteOffset: i, as: UInt8.self) ^ k[i], toByteOffset: i, as: UInt8.self) }
                }
                secureZeroValue(&ks)
                offset = count
            }
            block &+= 1
        }
    }

    /// Overwrites the expanded key (shared by all copies of this value).
    public mutating func wipe() {
        keys.wipe()
    }

    // MARK: - Round function

    /// The 14 rounds on four little-endian column words.
    @inline(__always)
    private static func encrypt(_ s: (UInt32, UInt32, UInt32, UInt32), _ rk: UnsafePointer<UInt32>,
                                _ te: UnsafePointer<UInt32>, _ sbox: UnsafePointer<UInt8>) -> (UInt32, UInt32, UInt32, UInt32) {
        var x0 = s.0 ^ rk[0], x1 = s.1 ^ rk[1], x2 = s.2 ^ rk[2], x3 = s.3 ^ rk[3]
        var k = rk + 4
        // ShiftRows: row r of column c comes from column c + r.
        for _ in 1..<roundCount {
            let y0 = column(x0, x1, x2, x3, te) ^ k[0]
            let y1 = column(x1, x2, x3, x0, te) ^ k[1]
            let y2 = column(x2, x3, x0, x1, te) ^ k[2]
            let y3 = column(x3, x0, x1, x2, te) ^ k[3]
            x0 = y0; x1 = y1; x2 = y2; x3 = y3
            k += 4
        }
        return (lastColumn(x0, x1, x2, x3, sbox) ^ k[0], lastColumn(x1, x2, x3, x0, sbox) ^ k[1],
                lastColumn(x2, x3, x0, x1, sbox) ^ k[2], lastColumn(x3, x0, x1, x2, sbox) ^ k[3])
    }

    /// One output column of a full round: row i's byte is taken from the i-th argument.
    @inline(__always)
    private static func column(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ t: UnsafePointer<UInt32>) -> UInt32 {
        t[Int(a & 0xff)] ^ t[256 + Int((b >> 8) & 0xff)] ^ t[512 + Int((c >> 16) & 0xff)] ^ t[768 + Int(d >> 24)]
    }

    /// One output column of the last round (no MixColumns).
    @inline(__always)
    private static func lastColumn(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ s: UnsafePointer<UInt8>) -> UInt32 {
        UInt32(s[Int(a & 0xff)]) | UInt32(s[Int((b >> 8) & 0xff)]) << 8
            | UInt32(s[Int((c >> 16) & 0xff)]) << 16 | UInt32(s[Int(d >> 24)]) << 24
    }
}

@inline(__always)
private func load(_ p: UnsafeRawPointer) -> (UInt32, UInt32, UInt32, UInt32) {
    (UInt32(littleEndian: p.loadUnaligned(as: UInt32.self)),
     UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 4, as: UInt32.self)),
     UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 8, as: UInt32.self)),
     UInt32(littleEndian: p.loadUnaligned(fromByteOffset: 12, as: UInt32.self)))
}

@inline(__always)
private func store(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ p: UnsafeMutableRawPointer) {
    p.storeBytes(of: a.littleEndian, as: UInt32.self)
    p.storeBytes(of: b.littleEndian, toByteOffset: 4, as: UInt32.self)
    p.storeBytes(of: c.littleEndian, toByteOffset: 8, as: UInt32.self)
    p.storeBytes(of: d.littleEndian, toByteOffset: 12, as: UInt32.self)
}
