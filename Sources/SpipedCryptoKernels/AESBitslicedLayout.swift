// Moving AES blocks into and out of bitsliced form (4 blocks per lane of the
// plane word), for the bitsliced AES.
//
// Constant time: every function here is straight-line shifts, masks and XORs
// with fixed (public) shift counts and masks; no branch or memory index
// depends on the data.
//
// Layout (chosen so ShiftRows and MixColumns are cheap, as in Kasper-Schwabe,
// "Faster and timing-attack resistant AES-GCM", CHES 2009, and Konighofer,
// "A fast and cache-timing resistant implementation of the AES", CT-RSA 2008):
// plane word `q_b` holds bit b of 64 bytes; the byte at row r, column c of
// block k (state byte 4c + r of block k, k = 0...3) sits at bit
//     p = 16 r + 4 c + k.
// So each 16-bit lane of a word is one row of all four blocks; within a lane
// each nibble is one column, with the four blocks side by side.
//
// Packing works in two steps. First byte shuffling: word `w_i` (i = 0...7)
// gets in its byte L the state byte that belongs at bit position 8 L + i.
// Then an 8x8 bit-matrix transpose inside every byte lane across the eight
// words (three "swap-move" steps) turns "byte L of w_i" into "bit 8 L + i of
// plane b". The transpose is its own inverse, so unpacking runs it again and
// undoes the byte shuffle.

extension AESPlanes {
    /// Converts four blocks, given as (lo, hi) little-endian 64-bit halves
    /// in the order (lo0, hi0, lo1, hi1, lo2, hi2, lo3, hi3), to bit planes.
    @inlinable @inline(__always)
    public static func pack(_ b: AESPlanes) -> AESPlanes {
        // From the position formula: w_i takes block k = i & 3; for i < 4
        // it holds state bytes 0, 8, 1, 9, 2, 10, 3, 11 (columns 0 and 2),
        // for i >= 4 bytes 4, 12, 5, 13, 6, 14, 7, 15 (columns 1 and 3).
        var w = AESPlanes(
            interleave(b.q0, b.q1), interleave(b.q2, b.q3), interleave(b.q4, b.q5), interleave(b.q6, b.q7),
            interleave(b.q0 &>> 32, b.q1 &>> 32), interleave(b.q2 &>> 32, b.q3 &>> 32),
            interleave(b.q4 &>> 32, b.q5 &>> 32), interleave(b.q6 &>> 32, b.q7 &>> 32))
        w.transposeBitsInByteLanes()
        return w
    }

    /// The inverse of ``pack(_:)``: bit planes back to (lo, hi) block halves.
    @inlinable @inline(__always)
    public static func unpack(_ q: AESPlanes) -> AESPlanes {
        var w = q
        w.transposeBitsInByteLanes()
        let (a0, b0) = deinterleave(w.q0), (a1, b1) = deinterleave(w.q1)
        let (a2, b2) = deinterleave(w.q2), (a3, b3) = deinterleave(w.q3)
        let (c0, d0) = deinterleave(w.q4), (c1, d1) = deinterleave(w.q5)
        let (c2, d2) = deinterleave(w.q6), (c3, d3) = deinterleave(w.q7)
        return AESPlanes(a0 | c0 &<< 32, b0 | d0 &<< 32, a1 | c1 &<< 32, b1 | d1 &<< 32,
                         a2 | c2 &<< 32, b2 | d2 &<< 32, a3 | c3 &<< 32, b3 | d3 &<< 32)
    }

    /// Transposes, in each of the 8 byte lanes, the 8x8 bit matrix whose row
    /// i is that byte of word i: afterwards bit j of byte L of word i is what
    /// was bit i of byte L of word j.
    @inlinable @inline(__always)
    public mutating func transposeBitsInByteLanes() {
        // Step s swaps bit b (with bit s of b set) of word i (bit s of i
        // clear) with bit b - s of word i + s; s = 1, 2, 4 together transpose.
        AESPlanes.swapMove(&q0, &q1, 0x5555_5555_5555_5555, 1)
        AESPlanes.swapMove(&q2, &q3, 0x5555_5555_5555_5555, 1)
        AESPlanes.swapMove(&q4, &q5, 0x5555_5555_5555_5555, 1)
        AESPlanes.swapMove(&q6, &q7, 0x5555_5555_5555_5555, 1)
        AESPlanes.swapMove(&q0, &q2, 0x3333_3333_3333_3333, 2)
        AESPlanes.swapMove(&q1, &q3, 0x3333_3333_3333_3333, 2)
        AESPlanes.swapMove(&q4, &q6, 0x3333_3333_3333_3333, 2)
        AESPlanes.swapMove(&q5, &q7, 0x3333_3333_3333_3333, 2)
        AESPlanes.swapMove(&q0, &q4, 0x0F0F_0F0F_0F0F_0F0F, 4)
        AESPlanes.swapMove(&q1, &q5, 0x0F0F_0F0F_0F0F_0F0F, 4)
        AESPlanes.swapMove(&q2, &q6, 0x0F0F_0F0F_0F0F_0F0F, 4)
        AESPlanes.swapMove(&q3, &q7, 0x0F0F_0F0F_0F0F_0F0F, 4)
    }

    /// Exchanges the bits of `x` selected by `mask &<< shift` with the bits
    /// of `y` selected by `mask`.
    @inlinable @inline(__always)
    public static func swapMove(_ x: inout W, _ y: inout W, _ mask: UInt64, _ shift: UInt64) {
        let t = ((x &>> shift) ^ y) & mask
        y = y ^ t
        x = x ^ t &<< shift
    }

    /// Bytes 0...3 of `a` go to even bytes, bytes 0...3 of `b` to odd bytes.
    @inlinable @inline(__always)
    public static func interleave(_ a: W, _ b: W) -> W {
        spread(a) | spread(b) &<< 8
    }

    /// Moves byte j (j < 4) of `x` to byte 2 j; the upper half is ignored.
    @inlinable @inline(__always)
    public static func spread(_ x: W) -> W {
        var v = x & 0xFFFF_FFFF
        v = (v | v &<< 16) & 0x0000_FFFF_0000_FFFF
        v = (v | v &<< 8) & 0x00FF_00FF_00FF_00FF
        return v
    }

    /// The inverse of ``interleave(_:_:)``: (even bytes, odd bytes), each packed into 32 bits.
    @inlinable @inline(__always)
    public static func deinterleave(_ x: W) -> (W, W) {
        (gather(x), gather(x &>> 8))
    }

    /// Moves byte 2 j of `x` to byte j (j < 4).
    @inlinable @inline(__always)
    public static func gather(_ x: W) -> W {
        var v = x & 0x00FF_00FF_00FF_00FF
        v = (v | v &>> 8) & 0x0000_FFFF_0000_FFFF
        v = (v | v &>> 16) & 0x0000_0000_FFFF_FFFF
        return v
    }

}

extension AESPlanes where W == UInt64 {
    // MARK: - One 32-bit word (key schedule SubWord)

    /// Bit planes of the 4 bytes of `word`: bit j of plane b is bit b of byte j.
    @inlinable @inline(__always)
    public static func planes(ofWord word: UInt32) -> AESPlanes {
        let t = transpose8x8(UInt64(word))
        return AESPlanes(t & 0xFF, (t &>> 8) & 0xFF, (t &>> 16) & 0xFF, (t &>> 24) & 0xFF,
                         (t &>> 32) & 0xFF, (t &>> 40) & 0xFF, (t &>> 48) & 0xFF, t &>> 56)
    }

    /// The inverse of ``planes(ofWord:)`` (bits 4...7 of each plane ignored).
    @inlinable @inline(__always)
    public static func word(ofPlanes p: AESPlanes) -> UInt32 {
        let m: UInt64 = 0x0F
        let t = (p.q0 & m) | (p.q1 & m) &<< 8 | (p.q2 & m) &<< 16 | (p.q3 & m) &<< 24
            | (p.q4 & m) &<< 32 | (p.q5 & m) &<< 40 | (p.q6 & m) &<< 48 | (p.q7 & m) &<< 56
        return UInt32(truncatingIfNeeded: transpose8x8(t))
    }

    /// Transposes the 8x8 bit matrix whose row j is byte j of `x`: bit
    /// 8 j + b of the result is bit 8 b + j of `x`.
    @inlinable @inline(__always)
    public static func transpose8x8(_ x: UInt64) -> UInt64 {
        var v = x
        var t = (v ^ (v &>> 7)) & 0x00AA_00AA_00AA_00AA
        v = v ^ t ^ (t &<< 7)
        t = (v ^ (v &>> 14)) & 0x0000_CCCC_0000_CCCC
        v = v ^ t ^ (t &<< 14)
        t = (v ^ (v &>> 28)) & 0x0000_0000_F0F0_F0F0
        v = v ^ t ^ (t &<< 28)
        return v
    }
}
