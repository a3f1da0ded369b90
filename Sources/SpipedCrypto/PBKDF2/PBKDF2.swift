// PBKDF2 with HMAC-SHA256 as the PRF (RFC 8018 section 5.2), as spiped uses
// it to derive its handshake and session keys.
//
// Guarantees: any iteration count >= 1 and any output length up to
// (2^32 - 1) * 32 bytes (the RFC's limit); the password is keyed into HMAC
// once and the salt absorbed once, then each block and iteration clones
// those states. Intermediate values live in inline tuples that are wiped
// before returning. Timing depends only on lengths and the iteration count.

/// Password-based key derivation (RFC 8018).
public enum PBKDF2 {
    /// PBKDF2-HMAC-SHA256(password, salt, iterations, derivedKeyByteCount).
    ///
    /// - Precondition: `iterations >= 1` and
    ///   `0 <= derivedKeyByteCount <= (2^32 - 1) * 32`; these are the
    ///   caller's constants, never peer input.
    public static func hmacSHA256(password: some Collection<UInt8>, salt: some Collection<UInt8>,
                                  iterations: Int, derivedKeyByteCount: Int) -> [UInt8] {
        precondition(iterations >= 1, "PBKDF2 needs at least one iteration")
        precondition(derivedKeyByteCount >= 0
                     && UInt64(derivedKeyByteCount) <= UInt64(UInt32.max) * UInt64(HMACSHA256.byteCount),
                     "PBKDF2 output length out of range")
        var derived = [UInt8](repeating: 0, count: derivedKeyByteCount)
        guard derivedKeyByteCount > 0 else { return derived }

        var keyed = HMACSHA256(key: password)     // PRF(P, .)
        var salted = keyed                        // PRF(P, S || .)
        salted.update(salt)
        var iterating = keyed                     // reused: finalize returns it to the keyed state
        var u: Digest = (0, 0, 0, 0)              // U_j
        var t: Digest = (0, 0, 0, 0)              // T_i = U_1 ^ ... ^ U_c

        var blockIndex: UInt32 = 1
        var offset = 0
        derived.withUnsafeMutableBytes { output in
            while offset < derivedKeyByteCount {
                // U_1 = PRF(P, S || INT(i)), INT(i) a 32-bit big-endian counter.
                var first = salted
                var counter = blockIndex.bigEndian
                withUnsafeBytes(of: &counter) { first.update($0) }
                withUnsafeMutableBytes(of: &u) { first.finalize(into: $0) }
                first.wipe()
                t = u
                // U_j = PRF(P, U_{j-1}); T_i ^= U_j.
                var j = 1
                while j < iterations {
                    withUnsafeBytes(of: &u) { iterating.update($0) }
                    withUnsafeMutableBytes(of: &u) { iterating.finalize(into: $0) }
                    t.0 ^= u.0; t.1 ^= u.1; t.2 ^= u.2; t.3 ^= u.3
                    j += 1
                }
                let take = min(HMACSHA256.byteCount, derivedKeyByteCount - offset)
                withUnsafeBytes(of: &t) { block in
                    (output.baseAddress.unsafelyUnwrapped + offset)
                        .copyMemory(from: block.baseAddress.unsafelyUnwrapped, byteCount: take)
                }
                offset += take
                blockIndex &+= 1
            }
        }
        secureZeroValue(&u)
        secureZeroValue(&t)
        keyed.wipe()
        salted.wipe()
        iterating.wipe()
        return derived
    }

    /// One PRF output held inline (32 bytes).
    private typealias Digest = (UInt64, UInt64, UInt64, UInt64)
}
