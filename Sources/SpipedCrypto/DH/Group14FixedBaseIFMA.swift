// The Lim-Lee comb of Group14FixedBase.swift (2^E mod p, E = 2^258 + x) on
// the AVX-512 IFMA engine: the same four 32-entry tables, converted once (on
// first use, public data only) into the radix-2^52 Montgomery form of
// SpipedCryptoHWBigNum (value * 2^2080 mod p), and the same Horner loop of
// 12 squarings, 52 masked table scans and 52 multiplications.
//
// Guarantees (constant-time in x): as the portable comb, the loop shape is
// fixed, digits come from public bit positions, every lookup scans all 32
// entries by mask, and the result leaves Montgomery form through one
// multiplication by 1 and one masked subtraction. Used only when
// `ModularExponentiationImplementation.avx512IFMA` is available.
import SpipedCryptoHWBigNum

/// The comb tables in IFMA form (immutable once built).
final class Group14CombTableIFMA: @unchecked Sendable {
    // @unchecked: `entries` is written only in init, then only read.
    private static let d = IFMAMontgomery.digitCount

    /// blocks x entriesPerTable x 40 digits; then the prime's 40 digits.
    private let entries: UnsafeMutablePointer<UInt64>
    private let primeDigits: UnsafeMutablePointer<UInt64>
    private let k0: UInt64

    static let shared = Group14CombTableIFMA(portable: Group14CombTable.shared, context: DiffieHellmanGroup14.montgomery)

    private init(portable: Group14CombTable, context: MontgomeryModulus) {
        let d = Self.d
        let count = Group14CombTable.blocks * Group14CombTable.entriesPerTable
        entries = UnsafeMutablePointer<UInt64>.allocate(capacity: count * d)
        entries.initialize(repeating: 0, count: count * d)
        primeDigits = UnsafeMutablePointer<UInt64>.allocate(capacity: d)
        k0 = context.n0 & IFMAMontgomery.digitMask
        let n = primeDigits, k0 = self.k0, entries = self.entries
        context.withContext { limbsN, scratch in
            limbsToDigits(n, limbsN)
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: limbCount + 2 * d) { buffer in
                let limbs = buffer.baseAddress.unsafelyUnwrapped, conv = limbs + limbCount, tmp = conv + d
                // conv = 2^2112 mod p: AMM(v * 2^2048, conv) = v * 2^2080.
                context.one.withLimbs { o in for j in 0..<limbCount { limbs[j] = o[j] } }
                for _ in 0..<64 { modularDouble(limbs, modulus: limbsN, scratch: scratch, count: limbCount) }
                limbsToDigits(conv, limbs)
                for index in 0..<count {
                    limbsToDigits(tmp, portable.entries + index * limbCount)
                    IFMAMontgomery.multiply(entries + index * d, tmp, conv, modulus: n, k0: k0)
                }
            }
        }
    }

    /// Writes 2^E mod p (big-endian, 256 bytes) into `output`; E as in
    /// `Group14CombTable.power`. Constant-time in E.
    func power(exponent: UnsafePointer<UInt64>, into output: UnsafeMutableRawBufferPointer,
               counts: inout ModExpOperationCounts) {
        let d = Self.d, perTable = Group14CombTable.entriesPerTable * d
        let entryCount = Group14CombTable.entriesPerTable
        let context = DiffieHellmanGroup14.montgomery
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 3 * d + 2 * limbCount) { buffer in
            let acc = buffer.baseAddress.unsafelyUnwrapped, entry = acc + d, one = entry + d
            let limbs = one + d, scratch = limbs + limbCount
            defer { secureZero(UnsafeMutableRawBufferPointer(buffer)) }
            for column in stride(from: Group14CombTable.blockBits - 1, through: 0, by: -1) {
                if column != Group14CombTable.blockBits - 1 {
                    IFMAMontgomery.multiply(acc, acc, acc, modulus: primeDigits, k0: k0)
                    counts.squarings += 1
                }
                for block in 0..<Group14CombTable.blocks {
                    let digit = Group14CombTable.digit(exponent, block: block, column: column)
                    let first = column == Group14CombTable.blockBits - 1 && block == 0
                    IFMAMontgomery.select(first ? acc : entry, table: entries + block * perTable,
                                          entries: entryCount, index: digit)
                    counts.tableScans += 1
                    counts.tableEntriesRead += entryCount
                    if !first {
                        IFMAMontgomery.multiply(acc, acc, entry, modulus: primeDigits, k0: k0)
                        counts.multiplications += 1
                    }
                }
            }
            // Out of Montgomery form: AMM(acc, 1) <= p, then one masked subtraction.
            for j in 0..<d { one[j] = 0 }
            one[0] = 1
            IFMAMontgomery.multiply(acc, acc, one, modulus: primeDigits, k0: k0)
            counts.multiplications += 1
            digitsToLimbs(limbs, acc)
            context.modulus.withLimbs { n in
                conditionalSubtract(limbs, high: 0, modulus: n, scratch: scratch, count: limbCount)
            }
            let count = min(output.count, UInt2048.byteCount)
            for position in 0..<count {
                output[output.count - 1 - position] =
                    UInt8(truncatingIfNeeded: limbs[position >> 3] >> UInt64((position & 7) << 3))
            }
        }
    }
}
