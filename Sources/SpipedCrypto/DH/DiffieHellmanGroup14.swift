// The 2048-bit MODP group 14 of RFC 3526 as spiped uses it: the prime, its
// Montgomery constants, and the validation of a peer's public value.
//
// Policy for peer values (see DESIGN.md): a value must be exactly 256 bytes
// and < p. 0 is refused (it would make the shared value 0 whatever our
// secret). p - 1 is refused: it has order 2, so the shared value would be
// +-1 and carry no secret; an honest peer's 2^e never equals it (2 generates
// the subgroup of order q = (p-1)/2, which does not contain -1), so refusing
// it costs no interoperability. 1 is accepted here because spiped's fast
// mode (-f) sends 1 in place of a DH value; refusing it under -g is the
// protocol layer's job.
//
// Guarantees: validation is constant-time in the value (one full subtraction
// and two full comparisons, all run every time), though peer values are public.

/// Why a peer's Diffie-Hellman public value was refused.
public enum DiffieHellmanError: Error, Equatable, Sendable {
    /// Not exactly 256 bytes.
    case wrongLength
    /// The value is >= p.
    case notLessThanPrime
    /// The value is 0.
    case zero
    /// The value is p - 1 (order 2: the shared value would carry no secret).
    case primeMinusOne
}

/// Diffie-Hellman in the 2048-bit MODP group 14 (RFC 3526), generator 2.
public enum DiffieHellmanGroup14 {
    /// Byte length of public values and shared values (big-endian, zero-padded).
    public static let publicValueByteCount = 256

    /// The RFC 3526 group-14 prime p = 2^2048 - 2^1984 - 1 + 2^64 * (floor(2^1918 pi) + 124476),
    /// big-endian. (Hex from RFC 3526 section 3; the tests check it against
    /// Vectors/DH/rfc3526.txt.)
    public static let primeBytes: [UInt8] = parseHex(
        "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD"
        + "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED"
        + "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F"
        + "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B"
        + "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510"
        + "15728E5A8AACAA68FFFFFFFFFFFFFFFF")

    /// p as a number.
    static let prime: UInt2048 = UInt2048(bigEndianBytes: primeBytes) ?? UInt2048()

    /// p - 1 (p is odd, so this only clears the low bit).
    static let primeMinusOne: UInt2048 = {
        var value = prime
        value.limbs.0 &= ~1
        return value
    }()

    /// p prepared for Montgomery arithmetic (p is odd, so this always succeeds).
    static let montgomery: MontgomeryModulus = MontgomeryModulus(modulus: prime)!

    /// Checks a peer's public value: exactly 256 bytes and 1 <= y < p - 1.
    ///
    /// 0 and p - 1 are refused; 1 is accepted because spiped's fast mode
    /// sends it (refusing it under `-g` is the protocol layer's job).
    ///
    /// - Throws: ``DiffieHellmanError/wrongLength``, ``DiffieHellmanError/notLessThanPrime``,
    ///   ``DiffieHellmanError/zero`` or ``DiffieHellmanError/primeMinusOne``, checked in that order.
    public static func validate(peerPublicValue: [UInt8]) throws(DiffieHellmanError) {
        guard peerPublicValue.count == publicValueByteCount,
              var value = UInt2048(bigEndianBytes: peerPublicValue) else { throw .wrongLength }
        defer { value.wipe() }
        let less = value.isLess(than: prime)
        let zero = value.isZero
        let minusOne = value == primeMinusOne
        if !less { throw .notLessThanPrime }
        if zero { throw .zero }
        if minusOne { throw .primeMinusOne }
    }

    /// Parses a hex literal written in this file (not user input).
    private static func parseHex(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var high: UInt8 = 0, haveHigh = false
        for c in text.utf8 {
            let v: UInt8 = c <= 57 ? c - 48 : (c | 0x20) - 87
            if haveHigh { out.append(high << 4 | v) } else { high = v }
            haveHigh.toggle()
        }
        return out
    }
}
