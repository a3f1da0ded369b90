// The AES round transformations on bitsliced state (4 blocks per lane of the
// plane word) and the full 14-round encryption and decryption.
//
// Constant time: everything here is straight-line XOR/AND/NOT/shift code on
// the bit planes, with loop counts fixed at 14 rounds and round keys read at
// addresses that depend only on the round number. Nothing depends on the key
// or the data except the values computed.
//
// Layout (see AES256ConstantTimeLayout.swift): bit 16 r + 4 c + k of each
// plane is row r, column c of block k.

extension AESPlanes {
    /// ShiftRows: row r moves left by r columns, i.e. the 16-bit lane of row
    /// r rotates right by 4 r bits (new column c takes old column c + r).
    @inlinable @inline(__always)
    public static func shiftRows(_ x: W) -> W {
        (x & 0x0000_0000_0000_FFFF)
            | (x &>> 4) & 0x0000_0000_0FFF_0000 | (x &<< 12) & 0x0000_0000_F000_0000
            | (x &>> 8) & 0x0000_00FF_0000_0000 | (x &<< 8) & 0x0000_FF00_0000_0000
            | (x &>> 12) & 0x000F_0000_0000_0000 | (x &<< 4) & 0xFFF0_0000_0000_0000
    }

    /// InvShiftRows: the 16-bit lane of row r rotates left by 4 r bits.
    @inlinable @inline(__always)
    public static func inverseShiftRows(_ x: W) -> W {
        (x & 0x0000_0000_0000_FFFF)
            | (x &<< 4) & 0x0000_0000_FFF0_0000 | (x &>> 12) & 0x0000_0000_000F_0000
            | (x &>> 8) & 0x0000_00FF_0000_0000 | (x &<< 8) & 0x0000_FF00_0000_0000
            | (x &>> 4) & 0x0FFF_0000_0000_0000 | (x &<< 12) & 0xF000_0000_0000_0000
    }

    @inlinable @inline(__always)
    public mutating func shiftRows() {
        q0 = AESPlanes.shiftRows(q0); q1 = AESPlanes.shiftRows(q1)
        q2 = AESPlanes.shiftRows(q2); q3 = AESPlanes.shiftRows(q3)
        q4 = AESPlanes.shiftRows(q4); q5 = AESPlanes.shiftRows(q5)
        q6 = AESPlanes.shiftRows(q6); q7 = AESPlanes.shiftRows(q7)
    }

    @inlinable @inline(__always)
    public mutating func inverseShiftRows() {
        q0 = AESPlanes.inverseShiftRows(q0); q1 = AESPlanes.inverseShiftRows(q1)
        q2 = AESPlanes.inverseShiftRows(q2); q3 = AESPlanes.inverseShiftRows(q3)
        q4 = AESPlanes.inverseShiftRows(q4); q5 = AESPlanes.inverseShiftRows(q5)
        q6 = AESPlanes.inverseShiftRows(q6); q7 = AESPlanes.inverseShiftRows(q7)
    }

    /// Rotation right by `n` bits; rotating by 16 brings row r + 1 of every
    /// column into the lane of row r.
    @inlinable @inline(__always)
    public static func rotr(_ x: W, _ n: UInt64) -> W {
        (x &>> n) | (x &<< (64 &- n))
    }

    /// Multiplies every byte slot by x (= 2) in GF(2^8): the planes move up
    /// one bit and the carried-out bit 7 is reduced by x^8 = x^4 + x^3 + x + 1.
    @inlinable @inline(__always)
    public func timesTwo() -> AESPlanes {
        AESPlanes(q7, q0 ^ q7, q1, q2 ^ q7, q3 ^ q7, q4, q5, q6)
    }

    /// MixColumns. With a_i the byte in row r + i of the same column:
    /// out_r = 2 a_0 + 3 a_1 + a_2 + a_3 = 2 (a_0 + a_1) + a_1 + (a_2 + a_3),
    /// and a_2 + a_3 is (a_0 + a_1) rotated down two rows.
    @inlinable @inline(__always)
    public mutating func mixColumns() {
        let r0 = AESPlanes.rotr(q0, 16), r1 = AESPlanes.rotr(q1, 16), r2 = AESPlanes.rotr(q2, 16), r3 = AESPlanes.rotr(q3, 16)
        let r4 = AESPlanes.rotr(q4, 16), r5 = AESPlanes.rotr(q5, 16), r6 = AESPlanes.rotr(q6, 16), r7 = AESPlanes.rotr(q7, 16)
        // t = a_0 + a_1 for every row.
        let t = AESPlanes(q0 ^ r0, q1 ^ r1, q2 ^ r2, q3 ^ r3, q4 ^ r4, q5 ^ r5, q6 ^ r6, q7 ^ r7)
        let d = t.timesTwo()
        q0 = d.q0 ^ r0 ^ AESPlanes.rotr(t.q0, 32)
        q1 = d.q1 ^ r1 ^ AESPlanes.rotr(t.q1, 32)
        q2 = d.q2 ^ r2 ^ AESPlanes.rotr(t.q2, 32)
        q3 = d.q3 ^ r3 ^ AESPlanes.rotr(t.q3, 32)
        q4 = d.q4 ^ r4 ^ AESPlanes.rotr(t.q4, 32)
        q5 = d.q5 ^ r5 ^ AESPlanes.rotr(t.q5, 32)
        q6 = d.q6 ^ r6 ^ AESPlanes.rotr(t.q6, 32)
        q7 = d.q7 ^ r7 ^ AESPlanes.rotr(t.q7, 32)
    }

    /// InvMixColumns as MixColumns after the map a_r -> 5 a_r + 4 a_{r+2}
    /// (the circulant (14, 11, 13, 9) equals (2, 3, 1, 1) times (5, 0, 4, 0)).
    @inlinable @inline(__always)
    public mutating func inverseMixColumns() {
        let u = AESPlanes(q0 ^ AESPlanes.rotr(q0, 32), q1 ^ AESPlanes.rotr(q1, 32),
                          q2 ^ AESPlanes.rotr(q2, 32), q3 ^ AESPlanes.rotr(q3, 32),
                          q4 ^ AESPlanes.rotr(q4, 32), q5 ^ AESPlanes.rotr(q5, 32),
                          q6 ^ AESPlanes.rotr(q6, 32), q7 ^ AESPlanes.rotr(q7, 32)).timesTwo().timesTwo()
        q0 = q0 ^ u.q0; q1 = q1 ^ u.q1; q2 = q2 ^ u.q2; q3 = q3 ^ u.q3
        q4 = q4 ^ u.q4; q5 = q5 ^ u.q5; q6 = q6 ^ u.q6; q7 = q7 ^ u.q7
        mixColumns()
    }

    /// XORs the 8 round-key planes stored at `k` (the same key in every lane).
    @inlinable @inline(__always)
    public mutating func addRoundKey(_ k: UnsafePointer<UInt64>) {
        q0 = q0 ^ W(broadcast: k[0]); q1 = q1 ^ W(broadcast: k[1])
        q2 = q2 ^ W(broadcast: k[2]); q3 = q3 ^ W(broadcast: k[3])
        q4 = q4 ^ W(broadcast: k[4]); q5 = q5 ^ W(broadcast: k[5])
        q6 = q6 ^ W(broadcast: k[6]); q7 = q7 ^ W(broadcast: k[7])
    }

    /// The 14 AES-256 rounds on packed state; `keys` holds 15 x 8 planes.
    @inlinable @inline(__always)
    public mutating func encryptRounds(_ keys: UnsafePointer<UInt64>) {
        addRoundKey(keys)
        var k = keys + 8
        for _ in 1..<14 {
            substitute()
            shiftRows()
            mixColumns()
            addRoundKey(k)
            k += 8
        }
        substitute()
        shiftRows()
        addRoundKey(k)
    }

    /// The inverse cipher (FIPS-197 section 5.3) on packed state.
    @inlinable @inline(__always)
    public mutating func decryptRounds(_ keys: UnsafePointer<UInt64>) {
        var k = keys + 8 * 14
        addRoundKey(k)
        for _ in 1..<14 {
            k -= 8
            inverseShiftRows()
            substituteInverse()
            addRoundKey(k)
            inverseMixColumns()
        }
        inverseShiftRows()
        substituteInverse()
        addRoundKey(keys)
    }
}
