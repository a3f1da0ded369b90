// The 16-entry byte tables of the vector-permute AES (AESVectorPermute.swift),
// derived here from the field arithmetic, and the round-key preparation.
//
// The method is Hamburg's ("Accelerating AES with Vector Permute
// Instructions", CHES 2009): write GF(2^8) as a quadratic extension of
// GF(2^4), so that the S-box's inversion becomes a few inversions in GF(2^4),
// each one 16-entry table look-up that a byte-shuffle instruction (SSSE3
// PSHUFB) does for 16 bytes at once, in registers. The representation and the
// formulas below are this file's own derivation:
//
// - GF(16) is the subfield {e : e^16 = e} of AES's GF(2^8) (polynomial 0x11B).
//   A nibble n stands for the sum of the basis elements 1, g, g^2, g^3 (g =
//   0x0C) whose bits are set in n, so nibble XOR is field addition.
// - t = 0x12 satisfies t^2 + t = nu with nu = 0x0D in GF(16), so GF(2^8) =
//   GF(16)(t), and t^16 = t + 1 is t's conjugate. Every byte x is uniquely
//   x = i t + j t^16 with i, j in GF(16); the state holds x as the byte
//   M(x) = nibble(i) << 4 | nibble(k), k = i + j. M is GF(2)-linear.
// - The conjugate of x is x^16 = j t + i t^16, the norm N = x x^16 =
//   nu k^2 + i j, and 1/x = x^16 / N. With F(k) = 1/(nu k):
//     io = 1/(1/i + F(k)) + j = N / (nu k + i)
//     jo = 1/(1/j + F(k)) + i = N / (nu k + j)
//   and 1/io, 1/jo are GF(16)-linear coordinates of 1/x:
//     1/x = (1/io) c1 + (1/jo) c2,  c1 = nu t + (nu + 1) t^16,  c2 = (nu + 1) t + nu t^16.
//   So S(x) = L(1/x) + 0x63 = OU[io] + OT[jo] + 0x63 with OU[n] = L(c1 / n),
//   OT[n] = L(c2 / n), where L is the S-box's linear part.
// - Zero: the inversion table maps nibble 0 to 0x80. PSHUFB returns 0 for an
//   index with bit 7 set, so 0x80 behaves as infinity (1/infinity = 0, and
//   infinity plus a nibble stays infinite); the formulas then hold for i, j
//   or k zero, and x = 0 gives io = jo = infinity, OU + OT = 0. Every byte is
//   checked by the tests through the whole cipher (the NIST vectors, and every
//   length against the table AES).
// - The S-box constant 0x63 is moved into the round keys: MixColumns maps a
//   state of equal bytes c to itself (2 + 3 + 1 + 1 = 1), so adding it after
//   MixColumns is the same. Between rounds the state stays in the M basis
//   (OU, OT and the doubled tables for MixColumns output M(...) directly); the
//   counter block enters through M once, the last round's tables output the
//   standard basis.
// - ShiftRows is never done as a step. After round r the state is stored
//   permuted by sigma_r = ShiftRows^-r (period 4), the round keys likewise;
//   since SubBytes is bytewise, round r's MixColumns then needs only the
//   column rotations conjugated by sigma_r (two tables per layout), and one
//   shuffle after the last round restores the byte order: one shuffle fewer
//   per round.
//
// Guarantees: the tables are public constants (no secret is involved in
// making them); `prepareVectorPermuteRoundKeys` is constant time (bit masks,
// no secret-dependent index or branch).

/// Where each 16-byte table sits in ``AESVectorPermuteTables/pointer``.
public enum AESVectorPermuteTable: Int {
    /// M of the low nibble; `inputHigh`: M of the high nibble (the state enters the M basis).
    case inputLow, inputHigh
    /// F(k) = 1/(nu k), nibble 0 to infinity (0x80).
    case scaledInverse
    /// 1/n in GF(16), nibble 0 to infinity (0x80).
    case inverse
    /// M(L(c1 / n)) and M(L(c2 / n)): the S-box output, in the M basis.
    case outputU, outputT
    /// M(2 L(c1 / n)) and M(2 L(c2 / n)): twice the S-box output, for MixColumns.
    case doubledU, doubledT
    /// L(c1 / n) and L(c2 / n): the last round's S-box output, standard basis.
    case lastU, lastT
    /// The byte order after the last round: sigma_14^-1.
    case finalOrder
    /// 0x0F in every byte.
    case nibbleMask
    /// The first of 8 tables: for each layout n = 0...3 (round r uses n = r
    /// mod 4), the column rotation by one row, then by two rows, as byte
    /// permutations of a state stored in layout n.
    case layoutRotations

    /// Byte offset of the table.
    @inlinable public var offset: Int { rawValue &* 16 }

    /// Byte offset of round `round`'s rotation by `rows` (1 or 2) rows.
    @inlinable public static func rotation(round: Int, rows: Int) -> Int {
        layoutRotations.offset &+ 32 &* (round & 3) &+ 16 &* (rows &- 1)
    }

    /// Tables in all.
    public static let count = layoutRotations.rawValue + 8
}

/// The tables, built once per process.
public enum AESVectorPermuteTables {
    /// 16 bytes per ``AESVectorPermuteTable`` case, in case order; never freed.
    /// Written only inside this initializer (run once), read-only after, so
    /// sharing it across threads is safe.
    nonisolated(unsafe) public static let pointer: UnsafeRawPointer = {
        let p = UnsafeMutableRawPointer.allocate(byteCount: AESVectorPermuteTable.count * 16, alignment: 16)
        func fill(at offset: Int, _ entry: (Int) -> UInt8) {
            for n in 0..<16 { p.storeBytes(of: entry(n), toByteOffset: offset + n, as: UInt8.self) }
        }
        func fill(_ table: AESVectorPermuteTable, _ entry: (Int) -> UInt8) { fill(at: table.offset, entry) }
        let field = TowerField()
        let infinity: UInt8 = 0x80
        fill(.inputLow) { field.basisChange(UInt8(truncatingIfNeeded: $0)) }
        fill(.inputHigh) { field.basisChange(UInt8(truncatingIfNeeded: $0 << 4)) }
        fill(.scaledInverse) { $0 == 0 ? infinity : field.nibble(of: gfInverse(gfMultiply(TowerField.nu, field.element(ofNibble: $0)))) }
        fill(.inverse) { $0 == 0 ? infinity : field.nibble(of: gfInverse(field.element(ofNibble: $0))) }
        // L(c / n) for nibble n (0 for n = 0: only reached as the infinity index, which PSHUFB zeroes anyway).
        func output(_ c: UInt8, _ n: Int) -> UInt8 {
            n == 0 ? 0 : sboxLinear(gfMultiply(c, gfInverse(field.element(ofNibble: n))))
        }
        fill(.outputU) { field.basisChange(output(TowerField.c1, $0)) }
        fill(.outputT) { field.basisChange(output(TowerField.c2, $0)) }
        fill(.doubledU) { field.basisChange(gfMultiply(2, output(TowerField.c1, $0))) }
        fill(.doubledT) { field.basisChange(gfMultiply(2, output(TowerField.c2, $0))) }
        fill(.lastU) { output(TowerField.c1, $0) }
        fill(.lastT) { output(TowerField.c2, $0) }
        fill(.finalOrder) { StateLayout.inverse(StateLayout.sigma(14))[$0] }
        fill(.nibbleMask) { _ in 0x0F }
        for layout in 0..<4 {
            let sigma = StateLayout.sigma(layout), sigmaInverse = StateLayout.inverse(sigma)
            for rows in 1...2 {
                // Q[i] = sigma^-1[R[sigma[i]]]: shuffling the stored state by Q is rotating the true one by R.
                let rotate = StateLayout.rotation(rows)
                fill(at: AESVectorPermuteTable.rotation(round: layout, rows: rows)) { sigmaInverse[Int(rotate[Int(sigma[$0])])] }
            }
        }
        return UnsafeRawPointer(p)
    }()

    /// The 15 AES-256 round keys (`standard`, 240 bytes, FIPS-197 byte order)
    /// as the vector-permute rounds use them (`out`, 240 bytes, not
    /// overlapping `standard`): round 0 in the M basis, rounds 1-13 plus 0x63
    /// in the M basis and permuted by sigma_r, round 14 plus 0x63.
    /// Constant time: M is applied bit by bit under masks; the permutation
    /// depends only on byte positions.
    public static func prepareRoundKeys(_ standard: UnsafeRawPointer, into out: UnsafeMutableRawPointer) {
        let columns = TowerField.basisChangeColumns
        for round in 0..<15 {
            let sigma = StateLayout.sigmas[round == 14 ? 0 : round & 3]
            for position in 0..<16 {
                // Stored byte `position` of the round is true byte sigma[position].
                var byte = standard.load(fromByteOffset: 16 &* round &+ Int(sigma[position]), as: UInt8.self)
                if round > 0 { byte ^= 0x63 }
                var converted: UInt8 = 0
                for bit in 0..<8 {
                    let mask = 0 &- ((byte &>> UInt8(bit)) & 1)
                    converted ^= columns[bit] & mask
                }
                out.storeBytes(of: round == 14 ? byte : converted, toByteOffset: 16 &* round &+ position, as: UInt8.self)
            }
        }
    }
}

/// Byte permutations of the state, as shuffle tables: shuffling v by P gives
/// byte i = v[P[i]]. State byte 4 c + r is row r of column c.
private enum StateLayout {
    /// ShiftRows: row r moves left by r columns.
    static let shiftRows: [UInt8] = (0..<16).map { (i: Int) -> UInt8 in
        let column = i / 4, row = i % 4
        return UInt8(4 * ((column + row) % 4) + row)
    }

    /// Row r of each column takes row r + rows.
    static func rotation(_ rows: Int) -> [UInt8] {
        (0..<16).map { (i: Int) -> UInt8 in UInt8(4 * (i / 4) + (i % 4 + rows) % 4) }
    }

    static func inverse(_ p: [UInt8]) -> [UInt8] {
        var q = [UInt8](repeating: 0, count: 16)
        for i in 0..<16 { q[Int(p[i])] = UInt8(i) }
        return q
    }

    /// sigma_0 ... sigma_3 (sigma_n has period 4), computed once for every key's preparation.
    static let sigmas: [[UInt8]] = (0..<4).map(sigma)

    /// sigma_n = ShiftRows^-n: the order the state is stored in after round n.
    static func sigma(_ n: Int) -> [UInt8] {
        let back = inverse(shiftRows)
        var p = (0..<16).map { UInt8($0) }
        for _ in 0..<n { p = p.map { back[Int($0)] } }
        return p
    }
}

/// GF(2^8) as GF(16)(t), with the constants named in the file comment.
private struct TowerField {
    static let t: UInt8 = 0x12
    static let tConjugate: UInt8 = 0x13                  // t^16 = t + 1
    static let nu: UInt8 = gfMultiply(t, t) ^ t          // 0x0D
    static let g: UInt8 = 0x0C                           // in GF(16), not in GF(4): 1, g, g^2, g^3 are a basis
    static let c1: UInt8 = gfMultiply(nu, t) ^ gfMultiply(nu ^ 1, tConjugate)
    static let c2: UInt8 = gfMultiply(nu ^ 1, t) ^ gfMultiply(nu, tConjugate)
    /// M of each single-bit byte 1 << b.
    static let basisChangeColumns: [UInt8] = {
        let field = TowerField()
        return (0..<8).map { field.basisChange(UInt8(1) << UInt8($0)) }
    }()

    /// The GF(16) elements 1, g, g^2, g^3.
    let basis: [UInt8] = [1, TowerField.g, gfMultiply(TowerField.g, TowerField.g),
                          gfMultiply(TowerField.g, gfMultiply(TowerField.g, TowerField.g))]

    func element(ofNibble n: Int) -> UInt8 {
        var e: UInt8 = 0
        for b in 0..<4 where (n >> b) & 1 == 1 { e ^= basis[b] }
        return e
    }

    func nibble(of e: UInt8) -> UInt8 {
        UInt8((0..<16).first { element(ofNibble: $0) == e } ?? 0)
    }

    /// M(x) = nibble(i) << 4 | nibble(i + j) for x = i t + j t^16.
    func basisChange(_ x: UInt8) -> UInt8 {
        for a in 0..<16 {
            for b in 0..<16 {
                let i = element(ofNibble: a), j = element(ofNibble: b)
                if gfMultiply(i, TowerField.t) ^ gfMultiply(j, TowerField.tConjugate) == x {
                    return UInt8(a << 4) | nibble(of: i ^ j)
                }
            }
        }
        return 0   // unreachable: (i, j) -> i t + j t^16 is a bijection
    }
}

/// Product in AES's GF(2^8) (table building only: branches on public values).
private func gfMultiply(_ a: UInt8, _ b: UInt8) -> UInt8 {
    var r: UInt8 = 0, x = a, y = b
    while y != 0 {
        if y & 1 != 0 { r ^= x }
        x = (x << 1) ^ (x & 0x80 != 0 ? 0x1B : 0)
        y >>= 1
    }
    return r
}

/// 1/a in GF(2^8) as a^254 (0 for 0).
private func gfInverse(_ a: UInt8) -> UInt8 {
    var result: UInt8 = 1, base = a, e = 254
    while e > 0 {
        if e & 1 == 1 { result = gfMultiply(result, base) }
        base = gfMultiply(base, base)
        e >>= 1
    }
    return result
}

/// The S-box's linear part: b + (b <<< 1) + (b <<< 2) + (b <<< 3) + (b <<< 4).
private func sboxLinear(_ b: UInt8) -> UInt8 {
    func rotl(_ n: UInt8) -> UInt8 { (b << n) | (b >> (8 - n)) }
    return b ^ rotl(1) ^ rotl(2) ^ rotl(3) ^ rotl(4)
}
