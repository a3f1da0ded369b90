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
// any byte permutation of the state is one byte shuffle per plane, and "the
// next row" is the next 32-bit lane.
//
// Fixsliced (after Adomnicai and Peyrin, "Fixslicing AES-like ciphers",
// TCHES 2021/1): ShiftRows is never applied. After round i the planes hold
// the state with its first i ShiftRows undone, a known byte permutation of
// period 4, so MixColumns' "row r + k of the same column" becomes one PSHUFB
// whose index depends on i mod 4 (at i = 0 mod 4, the lane rotations),
// round key i is laid out with that permutation when it is prepared, and
// the last permutation is undone by the final transpose's shuffle: 8 byte
// shuffles fewer per round.
//
// Counter table: a spiped packet's counter blocks 0...63 differ only in byte
// 15, so the state after round 1's S-box is block 0's except at that byte.
// A per-key table holds the S-box output for byte 15 of every such counter,
// and a pass inside that range starts from block 0's planes and one shuffle
// of the table per plane, skipping the input transpose, round 0 and one S-box.
//
// Guarantees: constant time. Everything is straight-line XOR/AND/NOT, fixed
// shifts and shuffles with constant indices; round keys and shuffle indices
// are read at addresses fixed by the round number; loop counts depend only
// on `passes`; which path runs depends only on the counter, which is public.
// No allocation. Keystream reaches memory only in `buffer`; the stack
// scratch (counter blocks, block 0's round-1 planes, shuffle indices) is
// zeroed before returning. The counter table is as secret as the key.

/// A 128-bit plane word with the byte shuffle the byte-layout rounds need,
/// beside the Boolean operations of ``AESPlaneWord`` (whose shifts and masks
/// act on 64-bit halves, which the bit transpose is indifferent to).
public protocol AESBytePlaneWord: AESPlaneWord {
    /// 16 bytes from any address.
    init(bytes p: UnsafeRawPointer)
    /// 16 bytes from a 16-byte-aligned address (a round-key plane or a
    /// shuffle index: the load can be the instruction's memory operand).
    init(alignedBytes p: UnsafeRawPointer)
    /// Byte n of the result is byte `index[n]` of `self` (every index < 16).
    func shuffled(_ index: Self) -> Self
}

/// Round keys for ``aesByteslicedCTR(_:roundKeys:nonce:firstBlock:buffer:passes:)``:
/// 15 keys x 8 planes x 16 bytes.
public let aesByteslicedRoundKeyByteCount = 15 * 8 * 16

/// Spreads the 15 FIPS-197 round keys (240 bytes, each in block byte order)
/// into planes: byte 4 r + c of plane i of key `round` is 0xFF where bit i
/// of key byte r + 4 ((c - round r) mod 4) is set, the state's position
/// after `round` ShiftRows left out. Rounds 1...14 also take the S-box's
/// constant 0x63 (the kernel's S-box leaves it out). Branch-free in the key bytes.
public func aesByteslicedPrepareRoundKeys(_ standard: UnsafeRawPointer, into out: UnsafeMutableRawPointer) {
    for round in 0..<15 {
        let constant: UInt8 = round == 0 ? 0 : 0x63
        for row in 0..<4 {
            for column in 0..<4 {
                let source = AESByteslicedIndex.skippedShiftRows(round, row, column)
                let byte = standard.load(fromByteOffset: 16 &* round &+ row &+ 4 &* source, as: UInt8.self) ^ constant
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
    /// After `round` ShiftRows left out, the true state's byte (r, c) sits
    /// in column (c + round r) mod 4 of row r; this is the inverse: the true
    /// column of the byte stored at (r, c).
    static func skippedShiftRows(_ round: Int, _ r: Int, _ c: Int) -> Int { (c &- round &* r) & 3 }

    /// Block byte r + 4 c <-> row-major byte 4 r + c (a 4 x 4 transpose, its own inverse).
    @usableFromInline static let transpose: (UInt64, UInt64) = index { r, c in r &+ 4 &* c }
    /// The output transpose after round 14 (14 = 2 mod 4 ShiftRows left
    /// out): block byte r + 4 c takes stored byte (c, (r + 2 c) mod 4).
    @usableFromInline static let finalTranspose: (UInt64, UInt64) = index { r, c in 4 &* c &+ (r &+ 2 &* c) & 3 }
    /// MixColumns' row r + k of the same column after `round` ShiftRows left
    /// out (k = 1, 2): byte (r, c) takes byte (r + k, c + k round), mod 4.
    @usableFromInline static let nextRow: [(UInt64, UInt64)] = (0..<4).map { j in index { r, c in 4 &* ((r &+ 1) & 3) &+ (c &+ j) & 3 } }
    @usableFromInline static let rowAfterNext: [(UInt64, UInt64)] = (0..<4).map { j in index { r, c in 4 &* ((r &+ 2) & 3) &+ (c &+ 2 &* j) & 3 } }

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
    /// Every plane through the byte shuffle `index`.
    @inlinable @inline(__always)
    mutating func shuffleBytes(_ index: W) {
        q0 = q0.shuffled(index); q1 = q1.shuffled(index); q2 = q2.shuffled(index); q3 = q3.shuffled(index)
        q4 = q4.shuffled(index); q5 = q5.shuffled(index); q6 = q6.shuffled(index); q7 = q7.shuffled(index)
    }

    /// MixColumns as in AESBitslicedRounds.swift (out_r = 2 (a_0 + a_1) + a_1 +
    /// (a_2 + a_3)), with the next row and the row after it fetched by the
    /// round's shuffles.
    @inlinable @inline(__always)
    mutating func byteMixColumns(nextRow: W, rowAfterNext: W) {
        let r0 = q0.shuffled(nextRow), r1 = q1.shuffled(nextRow), r2 = q2.shuffled(nextRow), r3 = q3.shuffled(nextRow)
        let r4 = q4.shuffled(nextRow), r5 = q5.shuffled(nextRow), r6 = q6.shuffled(nextRow), r7 = q7.shuffled(nextRow)
        let t = AESPlanes(q0 ^ r0, q1 ^ r1, q2 ^ r2, q3 ^ r3, q4 ^ r4, q5 ^ r5, q6 ^ r6, q7 ^ r7)
        let d = t.timesTwo()
        q0 = d.q0 ^ r0 ^ t.q0.shuffled(rowAfterNext); q1 = d.q1 ^ r1 ^ t.q1.shuffled(rowAfterNext)
        q2 = d.q2 ^ r2 ^ t.q2.shuffled(rowAfterNext); q3 = d.q3 ^ r3 ^ t.q3.shuffled(rowAfterNext)
        q4 = d.q4 ^ r4 ^ t.q4.shuffled(rowAfterNext); q5 = d.q5 ^ r5 ^ t.q5.shuffled(rowAfterNext)
        q6 = d.q6 ^ r6 ^ t.q6.shuffled(rowAfterNext); q7 = d.q7 ^ r7 ^ t.q7.shuffled(rowAfterNext)
    }

    /// XORs the 8 planes of one round key at `k` (128 bytes, 16-byte aligned).
    @inlinable @inline(__always)
    mutating func addBytePlaneKey(_ k: UnsafeRawPointer) {
        q0 = q0 ^ W(alignedBytes: k); q1 = q1 ^ W(alignedBytes: k + 16)
        q2 = q2 ^ W(alignedBytes: k + 32); q3 = q3 ^ W(alignedBytes: k + 48)
        q4 = q4 ^ W(alignedBytes: k + 64); q5 = q5 ^ W(alignedBytes: k + 80)
        q6 = q6 ^ W(alignedBytes: k + 96); q7 = q7 ^ W(alignedBytes: k + 112)
    }

    /// Rounds 1...14 from round 1's MixColumns on (round 1's S-box already
    /// applied), then the output transpose: plane k ends holding keystream
    /// block k. `roundKeys` as for ``aesByteslicedCTR(_:roundKeys:counterTable:nonce:firstBlock:buffer:passes:)``,
    /// `words` its scratch with the shuffle indices in slots 9...17.
    @inlinable @inline(__always)
    mutating func byteRoundsAfterFirstSubstitution(_ roundKeys: UnsafeRawPointer, _ words: UnsafeRawPointer) {
        @inline(__always) func mixColumns(_ round: Int) {
            byteMixColumns(nextRow: W(alignedBytes: words + 16 &* (10 &+ round & 3)),
                           rowAfterNext: W(alignedBytes: words + 16 &* (14 &+ round & 3)))
        }
        mixColumns(1)
        addBytePlaneKey(roundKeys + 128)
        var key = roundKeys + 256
        for round in 2..<14 {
            substituteWithoutAffineConstant()
            mixColumns(round)
            addBytePlaneKey(key)
            key += 128
        }
        substituteWithoutAffineConstant()
        addBytePlaneKey(key)
        shuffleBytes(W(alignedBytes: words + 16 &* 9))
        transposeBitsInByteLanes()
    }
}

/// XORs `passes * 128` bytes of the spiped CTR keystream into `buffer`, for
/// counter blocks from `firstBlock` (block i is be64(nonce) || be64(firstBlock + i)),
/// with round keys from ``aesByteslicedPrepareRoundKeys(_:into:)`` at a
/// 16-byte-aligned `roundKeys`.
///
/// With a `counterTable` from ``aesByteslicedPrepareCounterTable(_:roundKeys:into:)``
/// and whole passes inside blocks 0...63 (a spiped packet's), round 1's
/// S-box runs once per call instead of once per pass: those counter blocks
/// differ only in byte 15, so the state after that S-box is block 0's
/// everywhere else, computed once, and the table's entry for byte 15. Which
/// path runs depends only on the public counter.
@inlinable @inline(__always)
public func aesByteslicedCTR<W: AESBytePlaneWord>(_: W.Type, roundKeys: UnsafeRawPointer, counterTable: UnsafeRawPointer?,
                                                  nonce: UInt64, firstBlock: UInt64, buffer: UnsafeMutableRawPointer, passes: Int) {
    let n = nonce.byteSwapped
    let cached = counterTable != nil && firstBlock & 7 == 0 && firstBlock <= 64 && passes <= Int(truncatingIfNeeded: (64 &- firstBlock) / 8)
    // The scratch in 16-byte slots: 0...7 the counter blocks, then the
    // transpose, the final transpose, nextRow[4] and rowAfterNext[4]; for
    // the cached path 18...25 round 1's S-box output for block 0 with byte
    // 15 cleared, 26 the table shuffle, 27 the mask clearing byte 15.
    withUnsafeTemporaryAllocation(of: SIMD2<UInt64>.self, capacity: 28) { scratch in
        let words = UnsafeMutableRawPointer(scratch.baseAddress.unsafelyUnwrapped)
        @inline(__always) func put(_ value: (UInt64, UInt64), _ slot: Int) {
            words.storeBytes(of: value, toByteOffset: 16 &* slot, as: (UInt64, UInt64).self)
        }
        @inline(__always) func slot(_ k: Int) -> W { W(alignedBytes: words + 16 &* k) }
        put(AESByteslicedIndex.transpose, 8)
        put(AESByteslicedIndex.finalTranspose, 9)
        for j in 0..<4 {
            put(AESByteslicedIndex.nextRow[j], 10 &+ j)
            put(AESByteslicedIndex.rowAfterNext[j], 14 &+ j)
        }
        let transpose = slot(8)
        // Counter blocks block...block + 7 through round 0 and round 1's S-box.
        @inline(__always) func firstSubstitution(_ block: UInt64) -> AESPlanes<W> {
            for k in 0..<8 {
                words.storeBytes(of: n, toByteOffset: 16 &* k, as: UInt64.self)
                words.storeBytes(of: (block &+ UInt64(truncatingIfNeeded: k)).byteSwapped, toByteOffset: 16 &* k &+ 8, as: UInt64.self)
            }
            var s = AESPlanes(slot(0), slot(1), slot(2), slot(3), slot(4), slot(5), slot(6), slot(7))
            s.shuffleBytes(transpose)
            s.transposeBitsInByteLanes()
            s.addBytePlaneKey(roundKeys)
            s.substituteWithoutAffineConstant()
            return s
        }
        if cached {
            put((UInt64.max, UInt64.max >> 8), 27)
            let clear = slot(27)
            let c = firstSubstitution(0)
            (c.q0 & clear).store(to: words + 16 &* 18); (c.q1 & clear).store(to: words + 16 &* 19)
            (c.q2 & clear).store(to: words + 16 &* 20); (c.q3 & clear).store(to: words + 16 &* 21)
            (c.q4 & clear).store(to: words + 16 &* 22); (c.q5 & clear).store(to: words + 16 &* 23)
            (c.q6 & clear).store(to: words + 16 &* 24); (c.q7 & clear).store(to: words + 16 &* 25)
        }
        var block = firstBlock
        var p = buffer
        for _ in 0..<passes {
            var s: AESPlanes<W>
            if cached, let table = counterTable {
                // Byte 15 of every plane from table byte block / 8, the rest block 0's.
                put((0x8080_8080_8080_8080, 0x0080_8080_8080_8080 | (block &>> 3) &<< 56), 26)
                let pick = slot(26)
                @inline(__always) func plane(_ i: Int) -> W {
                    slot(18 &+ i) | W(alignedBytes: table + 16 &* i).shuffled(pick)
                }
                s = AESPlanes(plane(0), plane(1), plane(2), plane(3), plane(4), plane(5), plane(6), plane(7))
            } else {
                s = firstSubstitution(block)
            }
            s.byteRoundsAfterFirstSubstitution(roundKeys, words)
            // Plane k now holds keystream block k.
            @inline(__always) func xorBlock(_ k: Int, _ keystream: W) {
                (W(bytes: p + 16 &* k) ^ keystream).store(to: p + 16 &* k)
            }
            xorBlock(0, s.q0); xorBlock(1, s.q1); xorBlock(2, s.q2); xorBlock(3, s.q3)
            xorBlock(4, s.q4); xorBlock(5, s.q5); xorBlock(6, s.q6); xorBlock(7, s.q7)
            block &+= 8
            p += 128
        }
        kernelSecureZero(words, 16 &* 28)
    }
}

/// Bytes of ``aesByteslicedPrepareCounterTable(_:roundKeys:into:)``'s table: 8 planes x 16 bytes.
public let aesByteslicedCounterTableByteCount = 8 * 16

/// Fills the counter table for ``aesByteslicedCTR(_:roundKeys:counterTable:nonce:firstBlock:buffer:passes:)``
/// from its round keys: bit k of byte p < 8 of plane i is bit i of
/// S(key byte 15 ^ (8 p + k)), the S-box without its affine constant, that
/// is, round 1's S-box output at counter byte 15 for blocks 0...63. The
/// table is as secret as the key. Constant time: one pass of the S-box
/// circuit over planes built with fixed shuffles.
@inlinable @inline(__always)
public func aesByteslicedPrepareCounterTable<W: AESBytePlaneWord>(_: W.Type, roundKeys: UnsafeRawPointer,
                                                                  into table: UnsafeMutableRawPointer) {
    withUnsafeTemporaryAllocation(of: SIMD2<UInt64>.self, capacity: 1) { scratch in
        let index = UnsafeMutableRawPointer(scratch.baseAddress.unsafelyUnwrapped)
        index.storeBytes(of: (0x0F0F_0F0F_0F0F_0F0F as UInt64, 0x0F0F_0F0F_0F0F_0F0F as UInt64), as: (UInt64, UInt64).self)
        let byte15 = W(alignedBytes: index)
        // Plane i of key byte 15 in every byte, XORed with plane i of the
        // counter byte 8 p + k: bits 0...2 are k's (0xAA, 0xCC, 0xF0 in
        // every byte), bits 3...5 are p's (whole bytes), bits 6 and 7 zero.
        @inline(__always) func plane(_ i: Int, _ counter: UInt64) -> W {
            W(alignedBytes: roundKeys + 16 &* i).shuffled(byte15) ^ W(broadcast: counter)
        }
        var s = AESPlanes(plane(0, 0xAAAA_AAAA_AAAA_AAAA), plane(1, 0xCCCC_CCCC_CCCC_CCCC), plane(2, 0xF0F0_F0F0_F0F0_F0F0),
                          plane(3, 0xFF00_FF00_FF00_FF00), plane(4, 0xFFFF_0000_FFFF_0000), plane(5, 0xFFFF_FFFF_0000_0000),
                          plane(6, 0), plane(7, 0))
        s.substituteWithoutAffineConstant()
        s.q0.store(to: table); s.q1.store(to: table + 16); s.q2.store(to: table + 32); s.q3.store(to: table + 48)
        s.q4.store(to: table + 64); s.q5.store(to: table + 80); s.q6.store(to: table + 96); s.q7.store(to: table + 112)
        kernelSecureZero(index, 16)
    }
}
