// The byte-level front of modular exponentiation: big-endian buffers in and
// out, base reduction, Montgomery conversions, one workspace allocation per
// call (wiped before it is freed), then the constant-time window engine.
//
// Guarantees: constant-time in the values of base and exponent; the lengths
// of the three buffers and the modulus value are public. Bad arguments (an
// even or zero modulus, or one wider than 2048 bits) return an empty array
// rather than trapping.

/// base^exponent mod modulus, all big-endian.
///
/// - Parameters:
///   - base: any length; values >= modulus are reduced first.
///   - exponent: any length; its length in bits (8 x bytes) is treated as
///     public and fixes the amount of work, its value is not (leading zero
///     bytes cost the same as other bytes). An empty exponent means 0.
///   - modulus: an odd number of at most 2048 bits (leading zero bytes allowed).
/// - Returns: the result with the same byte length as `modulus` (so exponent
///   0 gives 1 mod m); an empty array if the modulus is even, zero or wider
///   than 2048 bits.
///
/// Constant-time in the base and exponent values. Runs on
/// ``ModularExponentiationImplementation/preferred``.
package func modularExponentiation(base: [UInt8], exponent: [UInt8], modulus: [UInt8]) -> [UInt8] {
    var counts = ModExpOperationCounts()
    return modularExponentiation(base: base, exponent: exponent, modulus: modulus,
                                 implementation: .preferred, counts: &counts)
}

/// ``modularExponentiation(base:exponent:modulus:)`` on a chosen engine (for
/// tests and benchmarks); an unavailable one is replaced by `.portable`.
package func modularExponentiation(base: [UInt8], exponent: [UInt8], modulus: [UInt8],
                                  implementation: ModularExponentiationImplementation) -> [UInt8] {
    var counts = ModExpOperationCounts()
    return modularExponentiation(base: base, exponent: exponent, modulus: modulus,
                                 implementation: implementation, counts: &counts)
}

/// For tests: ``modularExponentiation(base:exponent:modulus:)`` that also
/// reports how many squarings, multiplications and table scans it ran, so a
/// test can check that these depend only on the buffer lengths.
package func modularExponentiationCountingOperations(
    base: [UInt8], exponent: [UInt8], modulus: [UInt8],
    implementation: ModularExponentiationImplementation = .preferred
) -> (result: [UInt8], counts: ModExpOperationCounts) {
    var counts = ModExpOperationCounts()
    let result = modularExponentiation(base: base, exponent: exponent, modulus: modulus,
                                       implementation: implementation, counts: &counts)
    return (result, counts)
}

func modularExponentiation(base: [UInt8], exponent: [UInt8], modulus: [UInt8],
                           implementation: ModularExponentiationImplementation,
                           counts: inout ModExpOperationCounts) -> [UInt8] {
    guard let n = UInt2048(bigEndianBytes: modulus), let context = MontgomeryModulus(modulus: n) else { return [] }
    let bits = exponent.count * 8
    let exponentLimbs = (bits + 63) / 64 + 1                // + a zero limb for digit reads
    let workspace = UnsafeMutablePointer<UInt64>.allocate(capacity: exponentLimbs)
    workspace.initialize(repeating: 0, count: exponentLimbs)
    defer {
        secureZero(UnsafeMutableRawBufferPointer(start: workspace, count: exponentLimbs * 8))
        workspace.deallocate()
    }
    exponent.withUnsafeBytes { bytes in
        for index in 0..<bytes.count {
            let position = bytes.count - 1 - index
            workspace[position >> 3] |= UInt64(bytes[index]) << UInt64((position & 7) << 3)
        }
    }
    var out = [UInt8](repeating: 0, count: modulus.count)
    base.withUnsafeBytes { baseBytes in
        out.withUnsafeMutableBytes { outBytes in
            let low = UnsafeMutableRawBufferPointer(rebasing: outBytes[(outBytes.count - min(outBytes.count, UInt2048.byteCount))...])
            context.power(baseBytes: baseBytes, exponent: workspace, bits: bits, into: low,
                          implementation: implementation, counts: &counts)
        }
    }
    return out
}

extension MontgomeryModulus {
    /// Writes (base^e mod n), big-endian, into the low bytes of `output`
    /// (at most 256). `exponent` holds e in its low `bits` bits as
    /// little-endian limbs followed by a zero limb. Constant-time in base and e.
    /// `implementation` picks the engine (an unavailable one means portable).
    func power(baseBytes: UnsafeRawBufferPointer, exponent: UnsafePointer<UInt64>, bits: Int,
               into output: UnsafeMutableRawBufferPointer,
               implementation: ModularExponentiationImplementation = .preferred,
               counts: inout ModExpOperationCounts) {
        let s = limbCount
        let width = windowWidth(forExponentBits: bits)
        let useIFMA = implementation == .avx512IFMA && implementation.isAvailable
        let engineWords = useIFMA ? MontgomeryModulus.ifmaWorkspaceCount(width: width)
                                  : MontgomeryModulus.workspaceLimbCount(width: width)
        let total = 3 * s + max(engineWords, MontgomeryModulus.workspaceLimbCount(width: 1))
        let space = UnsafeMutablePointer<UInt64>.allocate(capacity: total)
        space.initialize(repeating: 0, count: total)
        defer {
            secureZero(UnsafeMutableRawBufferPointer(start: space, count: total * 8))
            space.deallocate()
        }
        let baseM = space, result = space + s, chunk = space + 2 * s, work = space + 3 * s
        modulus.withLimbs { n in
            rSquared.withLimbs { r2 in
                // Base into Montgomery form, 256 bytes at a time from the top:
                // B*R = (B_high*2^2048 + B_low)*R = (B_high*R)*R^2/R + B_low*R^2/R.
                // Multiplying a value < 2^2048 by R^2 also reduces it mod n.
                let chunks = max(1, (baseBytes.count + UInt2048.byteCount - 1) / UInt2048.byteCount)
                var end = baseBytes.count - (chunks - 1) * UInt2048.byteCount
                var start = 0
                for c in 0..<chunks {
                    for j in 0..<s { chunk[j] = 0 }
                    for index in start..<end {
                        let position = end - 1 - index
                        chunk[position >> 3] |= UInt64(baseBytes[index]) << UInt64((position & 7) << 3)
                    }
                    montgomeryMultiply(chunk, chunk, r2, modulus: n, n0: n0, scratch: work)
                    if c == 0 {
                        for j in 0..<s { baseM[j] = chunk[j] }
                        counts.multiplications += 1
                    } else {
                        montgomeryMultiply(baseM, baseM, r2, modulus: n, n0: n0, scratch: work)
                        modularAdd(baseM, baseM, chunk, modulus: n, scratch: work, count: s)
                        counts.multiplications += 2
                    }
                    start = end
                    end += UInt2048.byteCount
                }
                if useIFMA {
                    // Leaves the fully reduced value (not Montgomery form) in result.
                    exponentiateIFMA(result, baseM: baseM, exponent: exponent, bits: bits,
                                     workspace: work, counts: &counts)
                    return
                }
                exponentiate(result, base: baseM, exponent: exponent, bits: bits, modulus: n,
                             workspace: work, counts: &counts)
                // Out of Montgomery form: reduce result (zero-extended to 64 limbs).
                let product = work
                for j in 0..<s { product[j] = result[j]; product[s + j] = 0 }
                montgomeryReduce(result, product, modulus: n, n0: n0, scratch: work + 2 * s)
                counts.multiplications += 1
            }
        }
        let count = min(output.count, UInt2048.byteCount)
        for position in 0..<count {
            output[output.count - 1 - position] =
                UInt8(truncatingIfNeeded: result[position >> 3] >> UInt64((position & 7) << 3))
        }
    }
}
