// A fixed-size 2048-bit unsigned integer held inline (32 UInt64 limbs,
// least significant first, in a tuple: no heap storage), with big-endian
// byte import/export, constant-time comparison, and wiping.
//
// Guarantees: import, export, `==`, `isLess(than:)` and `isZero` are
// constant-time in the value (they read every limb/byte and decide with
// masks); only buffer lengths, which are public, shape the loops. The only
// exception is `significantBitCount`, meant for public moduli and documented
// as variable-time.

/// The inline storage: 32 limbs of 64 bits, least significant limb first.
typealias Limbs2048 = (
    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
    UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64
)

/// A 2048-bit unsigned integer with inline storage (no heap allocation).
///
/// Comparisons are constant-time, so values may be secrets. Arithmetic lives
/// in ``MontgomeryModulus`` and ``modularExponentiation(base:exponent:modulus:)``.
package struct UInt2048: Sendable, Equatable, BitwiseCopyable {
    /// Size of the big-endian byte form.
    package static let byteCount = 256

    var limbs: Limbs2048 = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                            0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)

    /// Zero.
    package init() {}

    /// A value from a single word.
    package init(_ word: UInt64) { limbs.0 = word }

    /// Reads a big-endian number of any length.
    ///
    /// Returns nil if the value needs more than 2048 bits (bytes beyond the
    /// last 256 that are not zero). Constant-time in the byte values.
    package init?(bigEndianBytes bytes: some Collection<UInt8>) {
        let ok: Bool? = bytes.withContiguousStorageIfAvailable { buffer in
            UInt2048.load(&self, from: UnsafeRawBufferPointer(buffer))
        }
        if let ok {
            if !ok { return nil }
            return
        }
        var copy = Array(bytes)
        defer { secureZero(&copy) }
        guard copy.withUnsafeBytes({ UInt2048.load(&self, from: $0) }) else { return nil }
    }

    /// Loads `bytes` (big-endian, any length) into `value`; false if a byte
    /// beyond the low 256 is nonzero. Every byte is read in every case.
    static func load(_ value: inout UInt2048, from bytes: UnsafeRawBufferPointer) -> Bool {
        value = UInt2048()
        var overflow: UInt8 = 0
        let count = bytes.count
        value.withMutableLimbs { limbs in
            for index in 0..<count {
                let byte = bytes[index]
                let position = count - 1 - index          // byte significance, public
                if position < UInt2048.byteCount {
                    limbs[position >> 3] |= UInt64(byte) << UInt64((position & 7) << 3)
                } else {
                    overflow |= byte
                }
            }
        }
        return opaqueWord(UInt64(overflow)) == 0
    }

    /// The value as exactly 256 big-endian bytes.
    package func bigEndianBytes() -> [UInt8] {
        var out = [UInt8](repeating: 0, count: UInt2048.byteCount)
        out.withUnsafeMutableBytes { store(into: $0) }
        return out
    }

    /// Writes the low `buffer.count` bytes (at most 256) of the value,
    /// big-endian, into `buffer`. Higher bytes are dropped.
    func store(into buffer: UnsafeMutableRawBufferPointer) {
        let count = Swift.min(buffer.count, UInt2048.byteCount)
        withLimbs { limbs in
            for position in 0..<count {
                let byte = UInt8(truncatingIfNeeded: limbs[position >> 3] >> UInt64((position & 7) << 3))
                buffer[buffer.count - 1 - position] = byte
            }
        }
    }

    /// Whether the value is zero (constant-time).
    package var isZero: Bool {
        let folded = withLimbs { limbs in
            var acc: UInt64 = 0
            for i in 0..<limbCount { acc |= limbs[i] }
            return acc
        }
        return maskIfEqual(folded, 0) != 0
    }

    /// Whether `self < other` (constant-time: full subtraction, borrow out).
    package func isLess(than other: UInt2048) -> Bool {
        var scratch = UInt2048()
        let borrow = withLimbs { a in
            other.withLimbs { b in
                scratch.withMutableLimbs { r in subtractLimbs(r, a, b, count: limbCount) }
            }
        }
        scratch.wipe()
        return opaqueWord(borrow) == 1
    }

    /// Equality in constant time (every limb is compared).
    package static func == (lhs: UInt2048, rhs: UInt2048) -> Bool {
        let difference = lhs.withLimbs { a in
            rhs.withLimbs { b in
                var acc: UInt64 = 0
                for i in 0..<limbCount { acc |= a[i] ^ b[i] }
                return acc
            }
        }
        return maskIfEqual(difference, 0) != 0
    }

    /// Number of bits up to and including the highest set bit (0 for zero).
    ///
    /// Variable-time: use only on public values such as a modulus.
    package var significantBitCount: Int {
        withLimbs { limbs in
            for i in stride(from: limbCount - 1, through: 0, by: -1) where limbs[i] != 0 {
                return i * 64 + (64 - limbs[i].leadingZeroBitCount)
            }
            return 0
        }
    }

    /// Whether the lowest bit is set.
    package var isOdd: Bool { limbs.0 & 1 == 1 }

    /// Overwrites the value with zero in a way the optimiser keeps.
    package mutating func wipe() {
        withUnsafeMutableBytes(of: &limbs) { secureZero($0) }
    }

    /// Calls `body` with the 32 limbs (least significant first).
    @inline(__always)
    func withLimbs<R>(_ body: (UnsafePointer<UInt64>) throws -> R) rethrows -> R {
        try withUnsafePointer(to: limbs) { tuple in
            try tuple.withMemoryRebound(to: UInt64.self, capacity: limbCount) { try body($0) }
        }
    }

    /// Calls `body` with the 32 limbs, writable.
    @inline(__always)
    mutating func withMutableLimbs<R>(_ body: (UnsafeMutablePointer<UInt64>) throws -> R) rethrows -> R {
        try withUnsafeMutablePointer(to: &limbs) { tuple in
            try tuple.withMemoryRebound(to: UInt64.self, capacity: limbCount) { try body($0) }
        }
    }
}
