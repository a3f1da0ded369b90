// The AVX-512 IFMA variant of the window exponentiation: the same fixed
// window, masked table scans and operation sequence as `exponentiate`
// (ModularExponentiation.swift), with every product done by the radix-2^52
// kernel of SpipedCryptoHWBigNum (R' = 2^2080, almost-Montgomery: values stay
// below 2^2049 and are reduced once at the end). About 3-4x faster than the
// portable 64-bit kernels where the CPU has IFMA.
//
// Choosing it: `ModularExponentiationImplementation.preferred` is this variant
// when the CPU and OS support it, as resolved once by CryptoBackends
// (SPIPED_MODEXP=portable|ifma and SPIPED_DISABLE=ifma change it); tests run
// every available variant on the vectors.
//
// Guarantees (constant-time, as the portable path): conversions between
// 64-bit limbs and 52-bit digits use only public indices; the window count,
// squarings, scans and products depend only on the exponent's bit length;
// the final reduction is a masked subtraction.
import SpipedCryptoHWBigNum

/// The engines behind ``modularExponentiation(base:exponent:modulus:implementation:)``.
package enum ModularExponentiationImplementation: Sendable, CaseIterable, CustomStringConvertible {
    /// Portable Swift: 64-bit Montgomery kernels (CIOS multiply, dedicated squaring).
    case portable
    /// AVX-512 IFMA radix-2^52 kernel (x86_64 builds without SPIPED_PORTABLE=1, on CPUs that have it).
    case avx512IFMA

    /// Whether this engine can run here.
    package var isAvailable: Bool {
        switch self {
        case .portable: return true
        case .avx512IFMA: return CryptoBackends.current.features.contains(.ifma)
        }
    }

    /// The fastest available engine, unless SPIPED_MODEXP=portable|ifma says
    /// otherwise (asking for an unavailable one gives the portable engine);
    /// resolved once by ``CryptoBackends``.
    package static var preferred: ModularExponentiationImplementation { CryptoBackends.current.modexp }

    /// A short name for logs and benchmarks.
    package var description: String {
        switch self {
        case .portable: return "portable"
        case .avx512IFMA: return "avx512-ifma"
        }
    }
}

/// Digits per number in the IFMA representation.
private let digitCount = IFMAMontgomery.digitCount

/// d = x (32 limbs of 64 bits) as 40 digits of 52 bits. Public indices only.
@inline(__always)
func limbsToDigits(_ d: UnsafeMutablePointer<UInt64>, _ x: UnsafePointer<UInt64>) {
    for j in 0..<digitCount {
        let bit = 52 * j, q = bit >> 6, r = bit & 63
        var word = q < limbCount ? x[q] >> UInt64(r) : 0
        if r > 12 && q + 1 < limbCount { word |= x[q + 1] << UInt64(64 - r) }
        d[j] = word & IFMAMontgomery.digitMask
    }
}

/// x = d (40 normalised digits, value < 2^2048) as 32 limbs. Public indices only.
@inline(__always)
func digitsToLimbs(_ x: UnsafeMutablePointer<UInt64>, _ d: UnsafePointer<UInt64>) {
    for i in 0..<limbCount {
        let bit = 64 * i, q = bit / 52, r = bit % 52
        var word = d[q] >> UInt64(r)
        if q + 1 < digitCount { word |= d[q + 1] << UInt64(52 - r) }
        if r > 40 && q + 2 < digitCount { word |= d[q + 2] << UInt64(104 - r) }
        x[i] = word
    }
}

extension MontgomeryModulus {
    /// Limbs (UInt64 words) the IFMA exponentiation needs as workspace.
    static func ifmaWorkspaceCount(width: Int) -> Int {
        ((1 << width) + 6) * digitCount + 2 * limbCount
    }

    /// result = base^e mod n, fully reduced, as 32 limbs, where `baseM` is
    /// base * 2^2048 mod n (the portable Montgomery form) and e is the low
    /// `bits` bits of `exponent` (little-endian limbs plus a zero limb).
    /// `workspace` needs `ifmaWorkspaceCount(width:)` words; the caller wipes it.
    /// Call only when `IFMAMontgomery.isSupported`. Constant-time in base and e.
    func exponentiateIFMA(_ result: UnsafeMutablePointer<UInt64>, baseM: UnsafePointer<UInt64>,
                          exponent: UnsafePointer<UInt64>, bits: Int, workspace: UnsafeMutablePointer<UInt64>,
                          counts: inout ModExpOperationCounts) {
        let width = windowWidth(forExponentBits: bits)
        let entries = 1 << width
        let d = digitCount
        let table = workspace
        let nD = table + entries * d, convD = nD + d, acc = convD + d, entry = acc + d, tmp = entry + d
        let limbs = tmp + d, scratch = limbs + limbCount
        let k0 = n0 & IFMAMontgomery.digitMask           // -n^-1 mod 2^52
        modulus.withLimbs { n in
            limbsToDigits(nD, n)
            // conv = 2^2112 mod n: AMM(x * 2^2048, conv) = x * 2^2080, the IFMA Montgomery form.
            one.withLimbs { o in for j in 0..<limbCount { limbs[j] = o[j] } }
            for _ in 0..<64 { modularDouble(limbs, modulus: n, scratch: scratch, count: limbCount) }
            limbsToDigits(convD, limbs)
            // table[0] = 1 and table[1] = base, in IFMA Montgomery form.
            one.withLimbs { o in limbsToDigits(tmp, o) }
            IFMAMontgomery.multiply(table, tmp, convD, modulus: nD, k0: k0)
            // table[0] += n: the same residue (AMM gave at most n, so the sum stays
            // below 2n < 2^2049, the kernel's input bound). Why: 2^2080 mod p is
            // below 2^2015 for the group-14 prime, so the plain value has a zero
            // top digit, and a window digit of 0 would multiply by a visibly
            // "short" operand; spiped-dudect measured that as a few ns per
            // exponentiation at x = 0 (operand-dependent hardware timing, not a
            // branch). Digit-wise add with carries: public indices only.
            var carry: UInt64 = 0
            for j in 0..<d {
                let sum = table[j] &+ nD[j] &+ carry
                table[j] = sum & IFMAMontgomery.digitMask
                carry = sum >> 52
            }
            limbsToDigits(tmp, baseM)
            IFMAMontgomery.multiply(table + d, tmp, convD, modulus: nD, k0: k0)
            counts.multiplications += 2
            for k in 2..<entries {
                if k & 1 == 0 {
                    IFMAMontgomery.multiply(table + k * d, table + (k / 2) * d, table + (k / 2) * d, modulus: nD, k0: k0)
                    counts.squarings += 1
                } else {
                    IFMAMontgomery.multiply(table + k * d, table + (k - 1) * d, table + d, modulus: nD, k0: k0)
                    counts.multiplications += 1
                }
            }
            if bits > 0 {
                let windows = (bits + width - 1) / width
                let topWidth = bits - (windows - 1) * width
                IFMAMontgomery.select(acc, table: table, entries: entries,
                                      index: exponentDigit(exponent, offset: (windows - 1) * width, width: topWidth))
                counts.tableScans += 1
                counts.tableEntriesRead += entries
                for window in stride(from: windows - 2, through: 0, by: -1) {
                    for _ in 0..<width {
                        IFMAMontgomery.multiply(acc, acc, acc, modulus: nD, k0: k0)
                    }
                    counts.squarings += width
                    IFMAMontgomery.select(entry, table: table, entries: entries,
                                          index: exponentDigit(exponent, offset: window * width, width: width))
                    counts.tableScans += 1
                    counts.tableEntriesRead += entries
                    IFMAMontgomery.multiply(acc, acc, entry, modulus: nD, k0: k0)
                    counts.multiplications += 1
                }
            } else {
                for j in 0..<d { acc[j] = table[j] }
            }
            // Out of Montgomery form: AMM(acc, 1) = acc / 2^2080 <= n, then one masked subtraction.
            for j in 0..<d { tmp[j] = 0 }
            tmp[0] = 1
            IFMAMontgomery.multiply(acc, acc, tmp, modulus: nD, k0: k0)
            counts.multiplications += 1
            digitsToLimbs(result, acc)
            conditionalSubtract(result, high: 0, modulus: n, scratch: scratch, count: limbCount)
        }
    }
}
