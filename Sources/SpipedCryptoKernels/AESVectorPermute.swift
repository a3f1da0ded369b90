// AES-256-CTR by vector permutes: every S-box is computed with 16-entry byte
// shuffles (SSSE3 PSHUFB, AVX2 VPSHUFB) on whole blocks in registers, with
// the tables and the derivation of AESVectorPermuteTables.swift. One 128-bit
// lane holds one block, in FIPS-197 byte order; four words are in flight per
// pass so the shuffles' latency overlaps.
//
// Guarantees: constant time. The only look-ups are byte shuffles inside
// registers, whose timing does not depend on the index bytes; the tables and
// round keys are read at addresses fixed by the round number; branches and
// loop counts depend only on the block count. No allocation. Keystream
// reaches memory only in the stack scratch of a final short pass, which is
// zeroed.

/// A vector of one or more 128-bit lanes, each an AES block, with the byte
/// shuffle the vector-permute rounds need.
public protocol AESByteShuffleWord {
    /// 16-byte blocks per word.
    static var blockCount: Int { get }
    /// `blockCount * 16` bytes from any address.
    init(loading p: UnsafeRawPointer)
    /// 16 bytes from any address, repeated in every 128-bit lane.
    init(lane p: UnsafeRawPointer)
    /// Stores `blockCount * 16` bytes at any address.
    func store(to p: UnsafeMutableRawPointer)
    static func ^ (a: Self, b: Self) -> Self
    static func & (a: Self, b: Self) -> Self
    /// Every 16-bit lane shifted right by 4 (bytes then need masking).
    func shiftedRight4() -> Self
    /// PSHUFB in each 128-bit lane: byte n of the result is `table[index[n] & 15]`,
    /// or 0 if bit 7 of `index[n]` is set.
    static func shuffle(_ table: Self, _ index: Self) -> Self
}

/// The tables as words, loaded once per call.
@usableFromInline
struct AESVectorPermuteConstants<W: AESByteShuffleWord> {
    @usableFromInline let inputLow, inputHigh, scaledInverse, inverse: W
    @usableFromInline let outputU, outputT, doubledU, doubledT, lastU, lastT: W
    @usableFromInline let finalOrder, nibbleMask: W
    @usableFromInline let tables: UnsafeRawPointer

    @inlinable @inline(__always)
    init(_ p: UnsafeRawPointer) {
        func load(_ table: AESVectorPermuteTable) -> W { W(lane: p + table.offset) }
        inputLow = load(.inputLow); inputHigh = load(.inputHigh)
        scaledInverse = load(.scaledInverse); inverse = load(.inverse)
        outputU = load(.outputU); outputT = load(.outputT)
        doubledU = load(.doubledU); doubledT = load(.doubledT)
        lastU = load(.lastU); lastT = load(.lastT)
        finalOrder = load(.finalOrder); nibbleMask = load(.nibbleMask)
        tables = p
    }

    /// A block in the standard basis, moved into the M basis.
    @inlinable @inline(__always)
    func enter(_ x: W) -> W {
        W.shuffle(inputLow, x & nibbleMask) ^ W.shuffle(inputHigh, x.shiftedRight4() & nibbleMask)
    }

    /// The inversion of every byte: the (io, jo) indices of the output tables.
    @inlinable @inline(__always)
    func invert(_ y: W) -> (io: W, jo: W) {
        let k = y & nibbleMask
        let i = y.shiftedRight4() & nibbleMask
        let j = i ^ k
        let ak = W.shuffle(scaledInverse, k)
        let iak = W.shuffle(inverse, i) ^ ak
        let jak = W.shuffle(inverse, j) ^ ak
        return (W.shuffle(inverse, iak) ^ j, W.shuffle(inverse, jak) ^ i)
    }

    /// Round r's column rotations by one and two rows in its stored layout.
    @inlinable @inline(__always)
    func rotations(_ r: Int) -> (W, W) {
        (W(lane: tables + AESVectorPermuteTable.rotation(round: r, rows: 1)),
         W(lane: tables + AESVectorPermuteTable.rotation(round: r, rows: 2)))
    }

    /// One full round (SubBytes, ShiftRows, MixColumns, AddRoundKey) in the
    /// M basis, with the round's `rotate1`, `rotate2` from ``rotations(_:)``.
    @inlinable @inline(__always)
    func round(_ state: W, _ key: W, _ rotate1: W, _ rotate2: W) -> W {
        let (io, jo) = invert(state)
        let s = W.shuffle(outputU, io) ^ W.shuffle(outputT, jo)
        let d = W.shuffle(doubledU, io) ^ W.shuffle(doubledT, jo)
        // Row r of a column: 2 a_r + 3 a_(r+1) + a_(r+2) + a_(r+3).
        let twoAndThree = d ^ W.shuffle(d ^ s, rotate1)
        let oneAndOne = W.shuffle(s ^ W.shuffle(s, rotate1), rotate2)
        return twoAndThree ^ oneAndOne ^ key
    }

    /// The last round (no MixColumns), leaving the standard basis and layout.
    @inlinable @inline(__always)
    func lastRound(_ state: W, _ key: W) -> W {
        let (io, jo) = invert(state)
        return W.shuffle(W.shuffle(lastU, io) ^ W.shuffle(lastT, jo), finalOrder) ^ key
    }
}

/// XORs the spiped CTR keystream of `blocks` blocks from `firstBlock` into
/// `buffer` (`blocks * 16` bytes): counter block i is be64(nonce) ||
/// be64(firstBlock + i). `roundKeys` holds 240 bytes from
/// ``AESVectorPermuteTables/prepareRoundKeys(_:into:)``, `tables` is
/// ``AESVectorPermuteTables/pointer``.
@inlinable @inline(__always)
public func aesVectorPermuteCTR<W: AESByteShuffleWord>(_: W.Type, roundKeys: UnsafeRawPointer, tables: UnsafeRawPointer,
                                                       nonce: UInt64, firstBlock: UInt64,
                                                       buffer: UnsafeMutableRawPointer, blocks: Int) {
    let c = AESVectorPermuteConstants<W>(tables)
    let lanes = W.blockCount
    let wordBytes = 16 &* lanes
    let n = nonce.byteSwapped
    // Counter blocks for four words, then (after a short final pass) their keystream.
    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 8 &* lanes) { scratch in
        let words = UnsafeMutableRawPointer(scratch.baseAddress.unsafelyUnwrapped)
        var block = firstBlock
        var p = buffer
        var left = blocks
        while left > 0 {
            // Four words when there are that many blocks, else one word at a time.
            let count = left >= 4 &* lanes ? 4 : 1
            for b in 0..<(count &* lanes) {
                words.storeBytes(of: n, toByteOffset: 16 &* b, as: UInt64.self)
                words.storeBytes(of: (block &+ UInt64(truncatingIfNeeded: b)).byteSwapped, toByteOffset: 16 &* b &+ 8, as: UInt64.self)
            }
            let k0 = W(lane: roundKeys)
            var y0 = c.enter(W(loading: words)) ^ k0
            if count == 4 {
                var y1 = c.enter(W(loading: words + wordBytes)) ^ k0
                var y2 = c.enter(W(loading: words + 2 &* wordBytes)) ^ k0
                var y3 = c.enter(W(loading: words + 3 &* wordBytes)) ^ k0
                for r in 1..<14 {
                    let k = W(lane: roundKeys + 16 &* r)
                    let (q1, q2) = c.rotations(r)
                    y0 = c.round(y0, k, q1, q2); y1 = c.round(y1, k, q1, q2)
                    y2 = c.round(y2, k, q1, q2); y3 = c.round(y3, k, q1, q2)
                }
                let k14 = W(lane: roundKeys + 224)
                y0 = c.lastRound(y0, k14); y1 = c.lastRound(y1, k14)
                y2 = c.lastRound(y2, k14); y3 = c.lastRound(y3, k14)
                (W(loading: p) ^ y0).store(to: p)
                (W(loading: p + wordBytes) ^ y1).store(to: p + wordBytes)
                (W(loading: p + 2 &* wordBytes) ^ y2).store(to: p + 2 &* wordBytes)
                (W(loading: p + 3 &* wordBytes) ^ y3).store(to: p + 3 &* wordBytes)
            } else {
                for r in 1..<14 {
                    let (q1, q2) = c.rotations(r)
                    y0 = c.round(y0, W(lane: roundKeys + 16 &* r), q1, q2)
                }
                y0 = c.lastRound(y0, W(lane: roundKeys + 224))
                if left >= lanes {
                    (W(loading: p) ^ y0).store(to: p)
                } else {
                    // Fewer blocks than a word holds: XOR only those.
                    y0.store(to: words)
                    for i in 0..<(16 &* left) {
                        let v = p.load(fromByteOffset: i, as: UInt8.self) ^ words.load(fromByteOffset: i, as: UInt8.self)
                        p.storeBytes(of: v, toByteOffset: i, as: UInt8.self)
                    }
                    kernelSecureZero(words, wordBytes)
                }
            }
            let done = min(left, count &* lanes)
            block &+= UInt64(truncatingIfNeeded: done)
            p += 16 &* done
            left &-= done
        }
    }
}
