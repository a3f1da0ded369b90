// Fast 2^E mod p for group 14 with E = 2^258 + x (259 bits): a Lim-Lee comb
// over precomputed powers of the fixed generator 2.
//
// The 259-bit exponent (padded to 260 = 5 x 52) is written as 5 rows
// ("teeth") of 52 bits; each row is cut into 4 blocks of 13 bits. For block
// k and column c (0 <= c < 13) the 5 bits E[52j + 13k + c], j = 0..4, form
// a digit I, and table_k[I] = prod_{j in I} 2^(2^(52j + 13k)). Then
//   2^E = prod_c ( prod_k table_k[I(k, c)] )^(2^c),
// evaluated by Horner: 12 squarings and 52 multiplications, against about
// 259 squarings + 65 multiplications for a plain windowed exponentiation.
// The four 32-entry tables (32 KiB) are built once, on first use, from
// public data only. (C. H. Lim and P. J. Lee, "More Flexible
// Exponentiation with Precomputation", CRYPTO '94.)
//
// Guarantees (constant-time in x): the loop shape is fixed; each digit is
// gathered from public bit positions; each table lookup is a full masked
// scan of its 32 entries (`scanTable`); the kernels end with masked
// subtractions. `ModExpOperationCounts` lets tests confirm the counts.

/// The comb tables for base 2 modulo the group-14 prime (immutable once built).
final class Group14CombTable: @unchecked Sendable {
    // @unchecked: `entries` is written only in init, then only read.
    static let teeth = 5, blocks = 4, blockBits = 13
    static let rowBits = blocks * blockBits            // 52
    static let entriesPerTable = 1 << teeth            // 32
    static let exponentBits = 259                      // 2^258 + x

    /// blocks x entriesPerTable x limbCount limbs, Montgomery form.
    let entries: UnsafeMutablePointer<UInt64>

    static let shared = Group14CombTable(context: DiffieHellmanGroup14.montgomery)

    private init(context: MontgomeryModulus) {
        let s = limbCount, perTable = Group14CombTable.entriesPerTable * s
        let count = Group14CombTable.blocks * perTable
        entries = UnsafeMutablePointer<UInt64>.allocate(capacity: count)
        entries.initialize(repeating: 0, count: count)
        context.withContext { n, scratch in
            // power = 2^(2^i) in Montgomery form, for i = 0, 1, ...: start
            // from 2 = one doubled, then square once per step.
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: s) { buffer in
                let power = buffer.baseAddress.unsafelyUnwrapped
                context.one.withLimbs { o in for j in 0..<s { power[j] = o[j] } }
                modularDouble(power, modulus: n, scratch: scratch, count: s)
                for i in 0..<(Group14CombTable.teeth * Group14CombTable.rowBits) {
                    let (row, rest) = i.quotientAndRemainder(dividingBy: Group14CombTable.rowBits)
                    let (block, column) = rest.quotientAndRemainder(dividingBy: Group14CombTable.blockBits)
                    if column == 0 {
                        // 2^(2^(52 row + 13 block)) is table_block[1 << row].
                        let slot = entries + block * perTable + (1 << row) * s
                        for j in 0..<s { slot[j] = power[j] }
                    }
                    montgomerySquare(power, power, modulus: n, n0: context.n0, scratch: scratch)
                }
            }
            // Fill each table: [0] = 1, single bits set above, the rest as
            // the product of the lowest set bit's entry and the remainder's.
            for block in 0..<Group14CombTable.blocks {
                let table = entries + block * perTable
                context.one.withLimbs { o in for j in 0..<s { table[j] = o[j] } }
                for index in 3..<Group14CombTable.entriesPerTable where index & (index - 1) != 0 {
                    let lowest = index & -index
                    montgomeryMultiply(table + index * s, table + lowest * s, table + (index - lowest) * s,
                                       modulus: n, n0: context.n0, scratch: scratch)
                }
            }
        }
    }

    /// The 5-bit comb digit for block `block`, column `column` of the
    /// exponent limbs (bit positions are public, the bits are not).
    @inline(__always)
    static func digit(_ exponent: UnsafePointer<UInt64>, block: Int, column: Int) -> UInt64 {
        var digit: UInt64 = 0
        for row in 0..<teeth {
            let position = row * rowBits + block * blockBits + column
            digit |= ((exponent[position >> 6] >> UInt64(position & 63)) & 1) << UInt64(row)
        }
        return digit
    }

    /// Writes 2^E mod p (big-endian, 256 bytes) into `output`, where E is the
    /// low 259 bits of `exponent` (little-endian limbs; 5 limbs are read, bits
    /// 259...319 must be zero). Constant-time in E.
    func power(exponent: UnsafePointer<UInt64>, into output: UnsafeMutableRawBufferPointer,
               counts: inout ModExpOperationCounts) {
        let context = DiffieHellmanGroup14.montgomery
        let s = limbCount, perTable = Group14CombTable.entriesPerTable * s
        let entryCount = Group14CombTable.entriesPerTable
        context.withContext { n, scratch in
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 2 * s) { buffer in
                let acc = buffer.baseAddress.unsafelyUnwrapped, entry = acc + s
                defer { secureZero(UnsafeMutableRawBufferPointer(buffer)) }
                for column in stride(from: Group14CombTable.blockBits - 1, through: 0, by: -1) {
                    if column != Group14CombTable.blockBits - 1 {
                        montgomerySquare(acc, acc, modulus: n, n0: context.n0, scratch: scratch)
                        counts.squarings += 1
                    }
                    for block in 0..<Group14CombTable.blocks {
                        let digit = Group14CombTable.digit(exponent, block: block, column: column)
                        let first = column == Group14CombTable.blockBits - 1 && block == 0
                        scanTable(first ? acc : entry, table: entries + block * perTable,
                                  entries: entryCount, digit: digit)
                        counts.tableScans += 1
                        counts.tableEntriesRead += entryCount
                        if !first {
                            montgomeryMultiply(acc, acc, entry, modulus: n, n0: context.n0, scratch: scratch)
                            counts.multiplications += 1
                        }
                    }
                }
                // Out of Montgomery form: acc * 1 / R.
                for j in 0..<s { entry[j] = 0 }
                entry[0] = 1
                montgomeryMultiply(acc, acc, entry, modulus: n, n0: context.n0, scratch: scratch)
                counts.multiplications += 1
                let count = min(output.count, UInt2048.byteCount)
                for position in 0..<count {
                    output[output.count - 1 - position] =
                        UInt8(truncatingIfNeeded: acc[position >> 3] >> UInt64((position & 7) << 3))
                }
            }
        }
    }
}
