// AES-256-CTR bitsliced over 128-bit planes laid out by bytes, 8 blocks per
// pass: the Kasper-Schwabe arrangement ("Faster and timing-attack resistant
// AES-GCM", CHES 2009), for vector units with a byte shuffle (SSSE3's
// PSHUFB). The S-box is the same Boyar-Peralta circuit as the 64-bit
// bitsliced kernel (AESBitslicedSbox.swift); what differs is where the bits
// sit, which makes the linear layer a few instructions per plane.
//
// Layout: plane q_i holds bit i of every state byte of the 8 blocks. Byte
// 4 r + c of a plane is row r, column c (row-major, unlike FIPS-197's
// column-major block bytes), and bit k of that byte belongs to block k. So
// ShiftRows is one byte shuffle per plane, and "the next row of the same
// column" is the next 32-bit lane: MixColumns' rotations are PSHUFD.
//
// Guarantees: constant time. Everything is straight-line XOR/AND/NOT, fixed
// shifts and shuffles with constant indices; round keys are read at
// addresses fixed by the round number; loop counts depend only on `passes`.
// No allocation. Keystream reaches memory only in a stack scratch that is
// zeroed before returning.

/// A 128-bit plane word with the byte and lane shuffles the byte-layout
/// rounds need, beside the Boolean operations of ``AESPlaneWord`` (whose
/// shifts and masks act on 64-bit halves, which the bit transpose is
/// indifferent to).
public protocol AESBytePlaneWord: AESPlaneWord {
    /// 16 bytes from any address.
    init(bytes p: UnsafeRawPointer)
    /// 16 bytes from a 16-byte-aligned address (a round-key plane: the load
    /// can be the XOR's memory operand).
    init(alignedBytes p: UnsafeRawPointer)
    /// Byte n of the result is byte `index[n]` of `self` (every index < 16).
    func shuffled(_ index: Self) -> Self
    /// 32-bit lane r of the result is lane (r + 1) mod 4 of `self`.
    func lanesRotatedByOne() -> Self
    /// 32-bit lane r of the result is lane (r + 2) mod 4 of `self`.
    func lanesRotatedByTwo() -> Self
}

/// Round keys for ``aesByteslicedCTR(_:roundKeys:nonce:firstBlock:buffer:passes:)``:
/// 15 keys x 8 planes x 16 bytes.
public let aesByteslicedRoundKeyByteCount = 15 * 8 * 16

/// Spreads the 15 FIPS-197 round keys (240 bytes, each in block byte order)
/// into planes: byte 4 r + c of plane i is 0xFF where bit i of key byte
/// r + 4 c is set. Rounds 1...14 also take the S-box's constant 0x63 (the
/// kernel's S-box leaves it out). Branch-free in the key bytes.
public func aesByteslicedPrepareRoundKeys(_ standard: UnsafeRawPointer, into out: UnsafeMutableRawPointer) {
    for round in 0..<15 {
        let constant: UInt8 = round == 0 ? 0 : 0x63
        for row in 0..<4 {
            for column in 0..<4 {
                let byte = standard.load(fromByteOffset: 16 &* round &+ row &+ 4 &* column, as: UInt8.self) ^ constant
                for bit in 0..<8 {
                    let set = 0 &- ((byte &>> UInt8(bit)) & 1)         // 0x00 or 0xFF
                    out.storeBytes(of: set, toByteOffset: 128 &* round &+ 16 &* bit &+ 4 &* row &+ column, as: UInt8.self)
                }
            }
        }
    }
}

/// The shuffle indices, as 16 bytes each.
@usableFromInline
enum AESByteslicedIndex {
    /// Block byte r + 4 c <-> row-major byte 4 r + c (a 4 x 4 transpose, its own inverse).
    @usableFromInline static let transpose: (UInt64, UInt64) = index { r, c in r &+ 4 &* c }
    /// ShiftRows in the row-major layout: byte (r, c) takes byte (r, c + r mod 4).
    @usableFromInline static let shiftRows: (UInt64, UInt64) = index { r, c in 4 &* r &+ (c &+ r) & 3 }

    /// Byte 4 r + c of the index is `source(r, c)`.
    static func index(_ source: (Int, Int) -> Int) -> (UInt64, UInt64) {
        var halves: (UInt64, UInt64) = (0, 0)
        for b in 0..<16 {
            let value = UInt64(truncatingIfNeeded: source(b >> 2, b & 3)) &<< UInt64(8 &* (b & 7))
            if b < 8 { halves.0 |= value } else { halves.1 |= value }
        }
        return halves
    }
}

extension AESPlanes where W: AESBytePlaneWord {
    /// Eight blocks (FIPS-197 byte order) into byte-layout planes, or back:
    /// the 4 x 4 byte transpose and the 8 x 8 bit transpose are both their
    /// own inverses, and they commute.
    @inlinable @inline(__always)
    mutating func transposeByteLayout(_ transpose: W) {
        q0 = q0.shuffled(transpose); q1 = q1.shuffled(transpose); q2 = q2.shuffled(transpose); q3 = q3.shuffled(transpose)
        q4 = q4.shuffled(transpose); q5 = q5.shuffled(transpose); q6 = q6.shuffled(transpose); q7 = q7.shuffled(transpose)
        transposeBitsInByteLanes()
    }

    @inlinable @inline(__always)
    mutating func byteShiftRows(_ index: W) {
        q0 = q0.shuffled(index); q1 = q1.shuffled(index); q2 = q2.shuffled(index); q3 = q3.shuffled(index)
        q4 = q4.shuffled(index); q5 = q5.shuffled(index); q6 = q6.shuffled(index); q7 = q7.shuffled(index)
    }

    /// MixColumns as in AESBitslicedRounds.swift (out_r = 2 (a_0 + a_1) + a_1 +
    /// (a_2 + a_3)), with rows as 32-bit lanes.
    @inlinable @inline(__always)
    mutating func byteMixColumns() {
        let r0 = q0.lanesRotatedByOne(), r1 = q1.lanesRotatedByOne(), r2 = q2.lanesRotatedByOne(), r3 = q3.lanesRotatedByOne()
        let r4 = q4.lanesRotatedByOne(), r5 = q5.lanesRotatedByOne(), r6 = q6.lanesRotatedByOne(), r7 = q7.lanesRotatedByOne()
        let t = AESPlanes(q0 ^ r0, q1 ^ r1, q2 ^ r2, q3 ^ r3, q4 ^ r4, q5 ^ r5, q6 ^ r6, q7 ^ r7)
        let d = t.timesTwo()
        q0 = d.q0 ^ r0 ^ t.q0.lanesRotatedByTwo(); q1 = d.q1 ^ r1 ^ t.q1.lanesRotatedByTwo()
        q2 = d.q2 ^ r2 ^ t.q2.lanesRotatedByTwo(); q3 = d.q3 ^ r3 ^ t.q3.lanesRotatedByTwo()
        q4 = d.q4 ^ r4 ^ t.q4.lanesRotatedByTwo(); q5 = d.q5 ^ r5 ^ t.q5.lanesRotatedByTwo()
        q6 = d.q6 ^ r6 ^ t.q6.lanesRotatedByTwo(); q7 = d.q7 ^ r7 ^ t.q7.lanesRotatedByTwo()
    }

    /// XORs the 8 planes of one round key at `k` (128 bytes, 16-byte aligned).
    @inlinable @inline(__always)
    mutating func addBytePlaneKey(_ k: UnsafeRawPointer) {
        q0 = q0 ^ W(alignedBytes: k); q1 = q1 ^ W(alignedBytes: k + 16)
        q2 = q2 ^ W(alignedBytes: k + 32); q3 = q3 ^ W(alignedBytes: k + 48)
        q4 = q4 ^ W(alignedBytes: k + 64); q5 = q5 ^ W(alignedBytes: k + 80)
        q6 = q6 ^ W(alignedBytes: k + 96); q7 = q7 ^ W(alignedBytes: k + 112)
    }
}

/// XORs `passes * 128` bytes of the spiped CTR keystream into `buffer`, for
/// counter blocks from `firstBlock` (block i is be64(nonce) || be64(firstBlock + i)),
/// with round keys from ``aesByteslicedPrepareRoundKeys(_:into:)`` at a 16-byte-aligned `roundKeys`.
@inlinable @inline(__always)
public func aesByteslicedCTR<W: AESBytePlaneWord>(_: W.Type, roundKeys: UnsafeRawPointer, nonce: UInt64,
                                                  firstBlock: UInt64, buffer: UnsafeMutableRawPointer, passes: Int) {
    let n = nonce.byteSwapped
    withUnsafeTemporaryAllocation(of: (UInt64, UInt64).self, capacity: 9) { scratch in
        let words = UnsafeMutableRawPointer(scratch.baseAddress.unsafelyUnwrapped)
        // The shuffle indices in the scratch's last slot, loaded as words.
        words.storeBytes(of: AESByteslicedIndex.transpose, toByteOffset: 128, as: (UInt64, UInt64).self)
        let transpose = W(bytes: words + 128)
        words.storeBytes(of: AESByteslicedIndex.shiftRows, toByteOffset: 128, as: (UInt64, UInt64).self)
        let shiftRows = W(bytes: words + 128)
        var block = firstBlock
        var p = buffer
        for _ in 0..<passes {
            for k in 0..<8 {
                words.storeBytes(of: n, toByteOffset: 16 &* k, as: UInt64.self)
                words.storeBytes(of: (block &+ UInt64(truncatingIfNeeded: k)).byteSwapped, toByteOffset: 16 &* k &+ 8, as: UInt64.self)
            }
            var s = AESPlanes(W(bytes: words), W(bytes: words + 16), W(bytes: words + 32), W(bytes: words + 48),
                              W(bytes: words + 64), W(bytes: words + 80), W(bytes: words + 96), W(bytes: words + 112))
            s.transposeByteLayout(transpose)
            s.addBytePlaneKey(roundKeys)
            var key = roundKeys + 128
            for _ in 1..<14 {
                s.substituteWithoutAffineConstant()
                s.byteShiftRows(shiftRows)
                s.byteMixColumns()
                s.addBytePlaneKey(key)
                key += 128
            }
            s.substituteWithoutAffineConstant()
            s.byteShiftRows(shiftRows)
            s.addBytePlaneKey(key)
            s.transposeByteLayout(transpose)
            // Plane k now holds keystream block k.
            @inline(__always) func xorBlock(_ k: Int, _ keystream: W) {
                (W(bytes: p + 16 &* k) ^ keystream).store(to: p + 16 &* k)
            }
            xorBlock(0, s.q0); xorBlock(1, s.q1); xorBlock(2, s.q2); xorBlock(3, s.q3)
            xorBlock(4, s.q4); xorBlock(5, s.q5); xorBlock(6, s.q6); xorBlock(7, s.q7)
            block &+= 8
            p += 128
        }
        kernelSecureZero(words, 144)
    }
}
