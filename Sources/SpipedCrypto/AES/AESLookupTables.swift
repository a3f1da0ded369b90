// Lookup tables for the T-table AES (AES256Table), computed once on first use
// from the field arithmetic of FIPS-197 section 4-5 rather than typed in, so
// no hand-copied constant can be wrong without every known-answer test failing.
//
// NOT constant-time to use: the tables are indexed by secret-dependent bytes.
// Only AES256Table reads them; the constant-time and hardware variants never do.

/// The S-box, its inverse and the combined SubBytes+MixColumns ("T") tables.
///
/// Word layout is little-endian by column: byte 0 (lowest) of a word is row 0.
/// `te[256*i + x]` is the contribution of input byte `x` at row `i` of a
/// column to the whole output column after SubBytes and MixColumns; `td` is
/// the same for InvSubBytes and InvMixColumns.
final class AESLookupTables: @unchecked Sendable {
    // @unchecked Sendable: the buffers are written only in init, before the
    // object is published, and are read-only afterwards.

    /// The process-wide tables, built on first use (Swift globals/statics are
    /// initialised lazily and thread-safely).
    static let shared = AESLookupTables()

    /// Encryption tables Te0..Te3, 4 x 256 words.
    let te: UnsafePointer<UInt32>
    /// Decryption tables Td0..Td3, 4 x 256 words.
    let td: UnsafePointer<UInt32>
    /// The S-box (256 bytes).
    let sbox: UnsafePointer<UInt8>
    /// The inverse S-box (256 bytes).
    let inverseSbox: UnsafePointer<UInt8>

    private init() {
        // Exponent and logarithm tables of GF(2^8) with generator 3 (= x + 1),
        // modulo the AES polynomial x^8 + x^4 + x^3 + x + 1.
        var exp = [UInt8](repeating: 0, count: 256)
        var log = [Int](repeating: 0, count: 256)
        var x: UInt8 = 1
        for i in 0..<255 {
            exp[i] = x
            log[Int(x)] = i
            x ^= AESLookupTables.xtime(x)
        }
        func multiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
            if a == 0 || b == 0 { return 0 }
            return exp[(log[Int(a)] + log[Int(b)]) % 255]
        }

        let s = UnsafeMutablePointer<UInt8>.allocate(capacity: 512)
        for a in 0..<256 {
            // Multiplicative inverse (0 maps to 0), then the affine map
            // b ^ rotl(b,1) ^ rotl(b,2) ^ rotl(b,3) ^ rotl(b,4) ^ 0x63.
            let inv: UInt8 = a == 0 ? 0 : exp[(255 - log[a]) % 255]
            var b = inv
            for r in 1...4 { b ^= (inv << UInt8(r)) | (inv >> UInt8(8 - r)) }
            b ^= 0x63
            s[a] = b
            s[256 + Int(b)] = UInt8(a)
        }

        let e = UnsafeMutablePointer<UInt32>.allocate(capacity: 1024)
        let d = UnsafeMutablePointer<UInt32>.allocate(capacity: 1024)
        for a in 0..<256 {
            let f = s[a]
            // MixColumns column (2, 1, 1, 3) for the byte at row 0.
            let e0 = UInt32(multiply(f, 2)) | UInt32(f) << 8 | UInt32(f) << 16 | UInt32(multiply(f, 3)) << 24
            let g = s[256 + a]
            // InvMixColumns column (14, 9, 13, 11) for the byte at row 0.
            let d0 = UInt32(multiply(g, 14)) | UInt32(multiply(g, 9)) << 8
                | UInt32(multiply(g, 13)) << 16 | UInt32(multiply(g, 11)) << 24
            // A byte at row i contributes the same column rotated down by i rows.
            for i in 0..<4 {
                e[256 * i + a] = AESLookupTables.rotateLeft(e0, 8 * i)
                d[256 * i + a] = AESLookupTables.rotateLeft(d0, 8 * i)
            }
        }
        te = UnsafePointer(e)
        td = UnsafePointer(d)
        sbox = UnsafePointer(s)
        inverseSbox = UnsafePointer(s + 256)
    }

    /// Multiplication by x (that is, 2) in GF(2^8).
    static func xtime(_ a: UInt8) -> UInt8 {
        (a << 1) ^ ((a >> 7) &* 0x1b)
    }

    @inline(__always)
    static func rotateLeft(_ w: UInt32, _ n: Int) -> UInt32 {
        n == 0 ? w : (w << UInt32(n)) | (w >> UInt32(32 - n))
    }
}
