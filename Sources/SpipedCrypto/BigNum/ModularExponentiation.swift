// Modular exponentiation, constant-time in the exponent (and in the base):
// fixed-window method with a masked scan of the whole window table.
//
// Guarantees (constant-time): for a given modulus and exponent *buffer
// length* (both public), the sequence of squarings, multiplications, table
// scans and memory addresses is the same for every exponent and base value:
// - the window width and the number of windows depend only on the bit length;
// - every window does exactly `width` squarings, one scan, one multiplication
//   (a zero digit multiplies by the table's 1, it is not skipped);
// - the scan reads every table entry and keeps the wanted one with a mask
//   (`maskIfEqual`), so no memory index depends on the exponent;
// - the Montgomery kernels end with a masked, never branched, subtraction.
// `ModExpOperationCounts` lets tests check the first three claims.
// Leading zero bytes in the exponent buffer are processed like any other.

/// How many operations one exponentiation performed (for tests: the counts
/// must not depend on the exponent's value, only on its length).
package struct ModExpOperationCounts: Equatable, Sendable {
    /// Montgomery multiplications (table building, window products, conversions).
    package var multiplications = 0
    /// Montgomery squarings.
    package var squarings = 0
    /// Masked scans over a whole precomputed table.
    package var tableScans = 0
    /// Table entries read by those scans (all of them, every time).
    package var tableEntriesRead = 0
    /// No operations yet.
    package init() {}
}

/// The window width that minimises squarings + multiplications + table
/// building for an exponent of `bits` bits (a public length). 1...6.
func windowWidth(forExponentBits bits: Int) -> Int {
    var best = 1, bestCost = Int.max
    for width in 1...6 {
        let cost = bits + (bits + width - 1) / width + (1 << width) - 2
        if cost < bestCost { best = width; bestCost = cost }
    }
    return best
}

/// The `width` (<= 6) bits of the exponent starting at bit `offset`.
/// `exponent` must have a zero limb past the last used one. Offsets are public.
@inline(__always)
func exponentDigit(_ exponent: UnsafePointer<UInt64>, offset: Int, width: Int) -> UInt64 {
    let q = offset >> 6, r = offset & 63
    var word = exponent[q] >> UInt64(r)
    if r != 0 && r + width > 64 { word |= exponent[q + 1] << UInt64(64 - r) }
    return word & ((1 << UInt64(width)) - 1)
}

/// out = table[digit], reading all `entries` entries of `limbCount` limbs
/// and keeping the one whose index equals `digit` with a mask.
@inline(__always)
func scanTable(_ out: UnsafeMutablePointer<UInt64>, table: UnsafePointer<UInt64>, entries: Int, digit: UInt64) {
    for j in 0..<limbCount { out[j] = 0 }
    for index in 0..<entries {
        let mask = maskIfEqual(UInt64(index), digit)
        let entry = table + index * limbCount
        for j in 0..<limbCount { out[j] |= entry[j] & mask }
    }
}

extension MontgomeryModulus {
    /// Limbs of workspace `exponentiate` needs for a window of `width` bits.
    static func workspaceLimbCount(width: Int) -> Int {
        ((1 << width) + 2) * limbCount + montgomeryScratchLimbCount
    }

    /// result = base^e in Montgomery form, where `base` is in Montgomery form
    /// and e is the low `bits` bits of `exponent` (little-endian limbs, with
    /// at least one zero limb beyond bit `bits`).
    ///
    /// `workspace` needs `workspaceLimbCount(width:)` limbs for
    /// `width = windowWidth(forExponentBits: bits)`; the caller wipes it.
    /// Constant-time in `base` and in the exponent's value (see file header).
    func exponentiate(_ result: UnsafeMutablePointer<UInt64>, base: UnsafePointer<UInt64>,
                      exponent: UnsafePointer<UInt64>, bits: Int,
                      modulus n: UnsafePointer<UInt64>, workspace: UnsafeMutablePointer<UInt64>,
                      counts: inout ModExpOperationCounts) {
        let s = limbCount
        let width = windowWidth(forExponentBits: bits)
        let entries = 1 << width
        let table = workspace
        let entry = table + entries * s
        let scratch = entry + s
        // table[k] = base^k (Montgomery form); table[0] = 1.
        one.withLimbs { o in for j in 0..<s { table[j] = o[j] } }
        for j in 0..<s { table[s + j] = base[j] }
        for k in 2..<entries {
            if k & 1 == 0 {
                montgomerySquare(table + k * s, table + (k / 2) * s, modulus: n, n0: n0, scratch: scratch)
                counts.squarings += 1
            } else {
                montgomeryMultiply(table + k * s, table + (k - 1) * s, base, modulus: n, n0: n0, scratch: scratch)
                counts.multiplications += 1
            }
        }
        guard bits > 0 else {
            one.withLimbs { o in for j in 0..<s { result[j] = o[j] } }
            return
        }
        // Windows from the top; the top one takes the leftover bits.
        let windows = (bits + width - 1) / width
        let topWidth = bits - (windows - 1) * width
        scanTable(result, table: table, entries: entries,
                  digit: exponentDigit(exponent, offset: (windows - 1) * width, width: topWidth))
        counts.tableScans += 1
        counts.tableEntriesRead += entries
        for window in stride(from: windows - 2, through: 0, by: -1) {
            for _ in 0..<width {
                montgomerySquare(result, result, modulus: n, n0: n0, scratch: scratch)
            }
            counts.squarings += width
            scanTable(entry, table: table, entries: entries,
                      digit: exponentDigit(exponent, offset: window * width, width: width))
            counts.tableScans += 1
            counts.tableEntriesRead += entries
            montgomeryMultiply(result, result, entry, modulus: n, n0: n0, scratch: scratch)
            counts.multiplications += 1
        }
    }
}
