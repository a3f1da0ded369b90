// An odd modulus prepared for Montgomery arithmetic with R = 2^2048:
// the modulus limbs, n0' = -n^-1 mod 2^64, R mod n (1 in Montgomery form)
// and R^2 mod n (to convert into Montgomery form).
//
// Guarantees: the modulus is public, so setting it up may take
// value-dependent time (its bit length decides how many doublings run).
// The public `multiply`/`square` helpers are constant-time in their
// operands; they exist so tests and benchmarks can reach the kernels.

/// An odd modulus below 2^2048 with its Montgomery constants.
package struct MontgomeryModulus: Sendable {
    /// The modulus n (odd).
    package let modulus: UInt2048
    /// -n^-1 mod 2^64.
    let n0: UInt64
    /// R mod n, i.e. 1 in Montgomery form.
    let one: UInt2048
    /// R^2 mod n: Montgomery-multiplying by it converts into Montgomery form.
    let rSquared: UInt2048

    /// Prepares `modulus` for Montgomery arithmetic; nil if it is even (or zero).
    package init?(modulus: UInt2048) {
        guard modulus.isOdd else { return nil }
        self.modulus = modulus
        n0 = negatedInverseModWord(modulus.limbs.0)
        (one, rSquared) = MontgomeryModulus.constants(for: modulus, n0: n0)
    }

    /// Computes R mod n and R^2 mod n. R mod n: from 2^(bits-1) (< n), double
    /// up to 2^2048 with modular doublings (none are needed for a full
    /// 2048-bit n, where R mod n = R - n). R^2 mod n: double R mod n 64 more
    /// times to get R*2^64, then five Montgomery squarings, each taking
    /// R*2^k to R*2^(2k): 2^64 -> 2^128 -> ... -> 2^2048.
    private static func constants(for modulus: UInt2048, n0: UInt64) -> (UInt2048, UInt2048) {
        let bits = modulus.significantBitCount
        var one = UInt2048()
        if bits <= 1 { return (one, one) }                 // n = 1: every residue is 0
        var rr = UInt2048()
        var n = modulus
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: montgomeryScratchLimbCount) { scratchBuffer in
            guard let scratch = scratchBuffer.baseAddress else { return }
            n.withMutableLimbs { nl in
                one.withMutableLimbs { x in
                    if bits == 2048 {
                        // R - n, as the two's complement of n.
                        var zero = UInt2048()
                        zero.withMutableLimbs { z in _ = subtractLimbs(x, z, nl, count: limbCount) }
                    } else {
                        x[(bits - 1) >> 6] = 1 << UInt64((bits - 1) & 63)
                        for _ in 0..<(2048 - (bits - 1)) { modularDouble(x, modulus: nl, scratch: scratch, count: limbCount) }
                    }
                }
                rr = one
                rr.withMutableLimbs { x in
                    for _ in 0..<64 { modularDouble(x, modulus: nl, scratch: scratch, count: limbCount) }
                    for _ in 0..<5 { montgomerySquare(x, x, modulus: nl, n0: n0, scratch: scratch) }
                }
            }
        }
        return (one, rr)
    }

    /// a * b mod n, for any a, b < 2^2048 with b < n (constant-time).
    ///
    /// Runs the Montgomery multiplication kernel twice (a*b/R, then *R^2/R).
    /// Meant for tests and benchmarks; exponentiation stays in Montgomery form.
    package func multiply(_ a: UInt2048, _ b: UInt2048) -> UInt2048 {
        var result = a
        withContext { n, scratch in
            result.withMutableLimbs { r in
                b.withLimbs { bl in montgomeryMultiply(r, r, bl, modulus: n, n0: n0, scratch: scratch) }
                rSquared.withLimbs { r2 in montgomeryMultiply(r, r, r2, modulus: n, n0: n0, scratch: scratch) }
            }
        }
        return result
    }

    /// a^2 mod n, for a < n (constant-time). Runs the squaring kernel once
    /// (a^2/R) and converts back with one multiplication by R^2.
    package func square(_ a: UInt2048) -> UInt2048 {
        var result = a
        withContext { n, scratch in
            result.withMutableLimbs { r in
                montgomerySquare(r, r, modulus: n, n0: n0, scratch: scratch)
                rSquared.withLimbs { r2 in montgomeryMultiply(r, r, r2, modulus: n, n0: n0, scratch: scratch) }
            }
        }
        return result
    }

    /// Calls `body` with the modulus limbs and kernel scratch space (on the
    /// stack when the compiler can, wiped afterwards).
    func withContext<R>(_ body: (UnsafePointer<UInt64>, UnsafeMutablePointer<UInt64>) -> R) -> R {
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: montgomeryScratchLimbCount) { buffer in
            let scratch = buffer.baseAddress.unsafelyUnwrapped
            scratch.initialize(repeating: 0, count: montgomeryScratchLimbCount)
            defer { secureZero(UnsafeMutableRawBufferPointer(buffer)) }
            return modulus.withLimbs { n in body(n, scratch) }
        }
    }
}
