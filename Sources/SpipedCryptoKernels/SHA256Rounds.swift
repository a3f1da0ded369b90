// The SHA-256 compression function (FIPS 180-4 section 6.2.2, round
// constants of section 4.2.2) written once over the word type: `UInt32` for
// one message, or a vector of 4, 8 or 16 words, one per independent message
// (multi-buffer hashing): SpipedCryptoHWSSE2/AVX2's intrinsic words on
// x86_64, Swift's SIMD4<UInt32> elsewhere, and SIMD16<UInt32> inside
// SpipedCryptoHWAVX512's word type for AVX-512.
//
// Why a module of its own: everything here is `@inlinable`, so each module
// that instantiates a word type compiles these rounds with its own compiler
// flags: SpipedCrypto gets the portable scalar code, SpipedCryptoHWSSE2 4
// lanes on the baseline vector unit (SSE2; NEON on aarch64),
// SpipedCryptoHWAVX2 8 lanes in YMM registers, SpipedCryptoHWAVX512 16 lanes
// in ZMM registers (where the rotations become single VPROLD instructions).
// This module itself has no flags and no policy.
//
// Guarantees: constant-time: the rounds are straight-line code with no
// branch, loop bound or memory index that depends on the data (only on
// `blockCount`, which is public); no allocation.

/// A value the SHA-256 rounds run on: one 32-bit word, or one word of each
/// of N messages side by side.
public protocol SHA256Word {
    static func &+ (a: Self, b: Self) -> Self
    static func ^ (a: Self, b: Self) -> Self
    static func & (a: Self, b: Self) -> Self
    static func | (a: Self, b: Self) -> Self
    static func &>> (a: Self, n: UInt32) -> Self
    static func &<< (a: Self, n: UInt32) -> Self
    /// The word `value` (in every lane).
    init(broadcast value: UInt32)
    /// Messages side by side (1 for a plain word).
    static var laneCount: Int { get }
    /// Lane i holds `word(i)`.
    init(gathering word: (_ lane: Int) -> UInt32)
    /// The word in lane `i`.
    func lane(_ i: Int) -> UInt32
    /// Message words t ... t + 7 of every lane's message (`lanes[i]` +
    /// `byteOffset`, big-endian in memory), one word per lane in each.
    /// The default gathers each word lane by lane; a vector type may load
    /// whole rows and transpose them instead.
    static func loadEightWords(_ lanes: UnsafePointer<UnsafeRawPointer>, byteOffset: Int) -> (Self, Self, Self, Self, Self, Self, Self, Self)
    /// FIPS 180-4 (4.4)-(4.7), per lane.
    static func bigSigma0(_ x: Self) -> Self
    static func bigSigma1(_ x: Self) -> Self
    static func smallSigma0(_ x: Self) -> Self
    static func smallSigma1(_ x: Self) -> Self
}

extension SHA256Word {
    @inlinable @inline(__always)
    public static func loadEightWords(_ lanes: UnsafePointer<UnsafeRawPointer>, byteOffset: Int) -> (Self, Self, Self, Self, Self, Self, Self, Self) {
        @inline(__always) func word(_ t: Int) -> Self {
            Self { lane in UInt32(bigEndian: lanes[lane].loadUnaligned(fromByteOffset: byteOffset &+ 4 &* t, as: UInt32.self)) }
        }
        return (word(0), word(1), word(2), word(3), word(4), word(5), word(6), word(7))
    }

    /// The sigma functions as rotations: one instruction each where the unit
    /// has a rotate (scalar ROR, AVX-512 VPROLD).
    @inlinable @inline(__always) public static func bigSigma0(_ x: Self) -> Self { rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22) }
    @inlinable @inline(__always) public static func bigSigma1(_ x: Self) -> Self { rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25) }
    @inlinable @inline(__always) public static func smallSigma0(_ x: Self) -> Self { rotr(x, 7) ^ rotr(x, 18) ^ (x &>> 3) }
    @inlinable @inline(__always) public static func smallSigma1(_ x: Self) -> Self { rotr(x, 17) ^ rotr(x, 19) ^ (x &>> 10) }

    /// The same with shifts only, nested so that no two shifts of one value
    /// meet in one XOR: (x>>a ^ x>>b ^ x>>c) = (x ^ (x ^ x>>(c-b)) >> (b-a)) >> a,
    /// and likewise to the left. Why: SSE2 and AVX2 have no vector rotate,
    /// and given a shift pair it can fuse, LLVM moved the lanes to scalar
    /// registers for ROL (SSE2: slower than one scalar message) or spent
    /// shuffles on the pair; nested, the shifts stay plain vector shifts.
    @inlinable @inline(__always) public static func shiftedBigSigma0(_ x: Self) -> Self {
        ((x ^ ((x ^ (x &>> 9)) &>> 11)) &>> 2) ^ ((x ^ ((x ^ (x &<< 11)) &<< 9)) &<< 10)
    }
    @inlinable @inline(__always) public static func shiftedBigSigma1(_ x: Self) -> Self {
        ((x ^ ((x ^ (x &>> 14)) &>> 5)) &>> 6) ^ ((x ^ ((x ^ (x &<< 5)) &<< 14)) &<< 7)
    }
    @inlinable @inline(__always) public static func shiftedSmallSigma0(_ x: Self) -> Self {
        ((x ^ ((x ^ (x &>> 11)) &>> 4)) &>> 3) ^ ((x ^ (x &<< 11)) &<< 14)
    }
    @inlinable @inline(__always) public static func shiftedSmallSigma1(_ x: Self) -> Self {
        ((x ^ ((x ^ (x &>> 2)) &>> 7)) &>> 10) ^ ((x ^ (x &<< 2)) &<< 13)
    }
}

extension UInt32: SHA256Word {
    @inlinable @inline(__always) public init(broadcast value: UInt32) { self = value }
    @inlinable public static var laneCount: Int { 1 }
    @inlinable @inline(__always) public init(gathering word: (_ lane: Int) -> UInt32) { self = word(0) }
    @inlinable @inline(__always) public func lane(_ i: Int) -> UInt32 { self }

    /// The sigmas with the rotations nested, rotr(x ^ rotr(x ^ rotr(x, c - b), b - a), a)
    /// = rotr(x, a) ^ rotr(x, b) ^ rotr(x, c). Why: x86's ROR overwrites its
    /// operand, so each rotation of one shared value needs a copy first; nested,
    /// every rotation acts on a fresh value (1 copy per sigma instead of 3).
    @inlinable @inline(__always) public static func bigSigma0(_ x: Self) -> Self { rotr(x ^ rotr(x ^ rotr(x, 9), 11), 2) }
    @inlinable @inline(__always) public static func bigSigma1(_ x: Self) -> Self { rotr(x ^ rotr(x ^ rotr(x, 14), 5), 6) }
    @inlinable @inline(__always) public static func smallSigma0(_ x: Self) -> Self { rotr(x ^ rotr(x, 11), 7) ^ (x &>> 3) }
    @inlinable @inline(__always) public static func smallSigma1(_ x: Self) -> Self { rotr(x ^ rotr(x, 2), 17) ^ (x &>> 10) }
}

/// Swift's SIMD types as lane words: the portable wide form (aarch64, builds
/// without intrinsics).
extension SIMD where Scalar == UInt32 {
    @inlinable public static var laneCount: Int { scalarCount }
    @inlinable @inline(__always) public init(gathering word: (_ lane: Int) -> UInt32) {
        self.init()
        for i in 0..<Self.scalarCount { self[i] = word(i) }
    }
    @inlinable @inline(__always) public func lane(_ i: Int) -> UInt32 { self[i] }
}
extension SIMD4: SHA256Word where Scalar == UInt32 {
    @inlinable @inline(__always) public init(broadcast value: UInt32) { self.init(repeating: value) }
    @inlinable @inline(__always) public static func bigSigma0(_ x: Self) -> Self { shiftedBigSigma0(x) }
    @inlinable @inline(__always) public static func bigSigma1(_ x: Self) -> Self { shiftedBigSigma1(x) }
    @inlinable @inline(__always) public static func smallSigma0(_ x: Self) -> Self { shiftedSmallSigma0(x) }
    @inlinable @inline(__always) public static func smallSigma1(_ x: Self) -> Self { shiftedSmallSigma1(x) }
}

/// The eight chaining words H0...H7 (of one message, or of N in lanes).
@frozen public struct SHA256State<W: SHA256Word> {
    public var h0: W, h1: W, h2: W, h3: W, h4: W, h5: W, h6: W, h7: W

    @inlinable @inline(__always)
    public init(_ h0: W, _ h1: W, _ h2: W, _ h3: W, _ h4: W, _ h5: W, _ h6: W, _ h7: W) {
        self.h0 = h0; self.h1 = h1; self.h2 = h2; self.h3 = h3
        self.h4 = h4; self.h5 = h5; self.h6 = h6; self.h7 = h7
    }

    /// The same chaining words `words[0...7]` in every lane.
    @inlinable @inline(__always)
    public init(broadcast words: UnsafePointer<UInt32>) {
        self.init(W(broadcast: words[0]), W(broadcast: words[1]), W(broadcast: words[2]), W(broadcast: words[3]),
                  W(broadcast: words[4]), W(broadcast: words[5]), W(broadcast: words[6]), W(broadcast: words[7]))
    }
}

/// FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of
/// the cube roots of the first 64 primes.
public let sha256RoundConstants: [UInt32] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]

@inlinable @inline(__always) func rotr<W: SHA256Word>(_ x: W, _ n: UInt32) -> W { (x &>> n) | (x &<< (32 &- n)) }
@inlinable @inline(__always) func bigSigma0<W: SHA256Word>(_ x: W) -> W { W.bigSigma0(x) }
@inlinable @inline(__always) func bigSigma1<W: SHA256Word>(_ x: W) -> W { W.bigSigma1(x) }
@inlinable @inline(__always) func smallSigma0<W: SHA256Word>(_ x: W) -> W { W.smallSigma0(x) }
@inlinable @inline(__always) func smallSigma1<W: SHA256Word>(_ x: W) -> W { W.smallSigma1(x) }

/// One round. Instead of shifting the eight working variables each round,
/// the caller rotates which variable plays which role, so only `d` and `h`
/// change: d += T1, h = T1 + T2 (the new "e" and "a").
/// Maj(a,b,c) = b ^ ((a ^ b) & (b ^ c)), and this round's b ^ c is the
/// previous round's a ^ b, carried in `bc` (one operation fewer per round).
@inlinable @inline(__always)
func sha256Round<W: SHA256Word>(_ a: W, _ b: W, _ c: W, _ d: inout W,
                                _ e: W, _ f: W, _ g: W, _ h: inout W, _ k: UInt32, _ w: W, _ bc: inout W) {
    let t1 = h &+ bigSigma1(e) &+ (g ^ (e & (f ^ g))) &+ W(broadcast: k) &+ w    // Ch(e,f,g)
    d = d &+ t1
    let ab = a ^ b
    h = t1 &+ bigSigma0(a) &+ (b ^ (ab & bc))                                    // Maj(a,b,c)
    bc = ab
}

/// Compresses `blockCount` 64-byte blocks into `state`. `word(block, t)`
/// gives message word W[t] (t = 0...15, native integer value) of block
/// `block`; it is called for t = 0...15 in order at the start of each block.
/// Constant-time in the data.
///
/// Rounds 16...63 run in a loop of three passes of 16, each schedule word
/// computed just before the round that first uses it (FIPS 180-4 6.2.2
/// step 1, in place over W[t-16]). Why: the vector units then see the
/// schedule's shifts spread among the rounds' additions and logic instead of
/// in a burst of 16 words that keeps the two shift ports busy while the
/// others wait; measured 2-6% faster on every lane width here (Zen 4).
@inlinable @inline(__always)
public func sha256Compress<W: SHA256Word>(_ state: inout SHA256State<W>, blockCount: Int,
                                         word: (_ block: Int, _ t: Int) -> W) {
    sha256RoundConstants.withUnsafeBufferPointer { constants in
        guard let k0 = constants.baseAddress, blockCount > 0 else { return }
        var s = state
        for block in 0..<blockCount {
            var w0 = word(block, 0), w1 = word(block, 1), w2 = word(block, 2), w3 = word(block, 3)
            var w4 = word(block, 4), w5 = word(block, 5), w6 = word(block, 6), w7 = word(block, 7)
            var w8 = word(block, 8), w9 = word(block, 9), w10 = word(block, 10), w11 = word(block, 11)
            var w12 = word(block, 12), w13 = word(block, 13), w14 = word(block, 14), w15 = word(block, 15)
            var a = s.h0, b = s.h1, c = s.h2, d = s.h3, e = s.h4, f = s.h5, g = s.h6, h = s.h7
            var bc = b ^ c
            var k = k0
            // Rounds 0...15 on the message words.
            sha256Round(a, b, c, &d, e, f, g, &h, k[0], w0, &bc)
            sha256Round(h, a, b, &c, d, e, f, &g, k[1], w1, &bc)
            sha256Round(g, h, a, &b, c, d, e, &f, k[2], w2, &bc)
            sha256Round(f, g, h, &a, b, c, d, &e, k[3], w3, &bc)
            sha256Round(e, f, g, &h, a, b, c, &d, k[4], w4, &bc)
            sha256Round(d, e, f, &g, h, a, b, &c, k[5], w5, &bc)
            sha256Round(c, d, e, &f, g, h, a, &b, k[6], w6, &bc)
            sha256Round(b, c, d, &e, f, g, h, &a, k[7], w7, &bc)
            sha256Round(a, b, c, &d, e, f, g, &h, k[8], w8, &bc)
            sha256Round(h, a, b, &c, d, e, f, &g, k[9], w9, &bc)
            sha256Round(g, h, a, &b, c, d, e, &f, k[10], w10, &bc)
            sha256Round(f, g, h, &a, b, c, d, &e, k[11], w11, &bc)
            sha256Round(e, f, g, &h, a, b, c, &d, k[12], w12, &bc)
            sha256Round(d, e, f, &g, h, a, b, &c, k[13], w13, &bc)
            sha256Round(c, d, e, &f, g, h, a, &b, k[14], w14, &bc)
            sha256Round(b, c, d, &e, f, g, h, &a, k[15], w15, &bc)
            // Rounds 16...63: W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16].
            for _ in 0..<3 {
                k += 16
                w0 = w0 &+ smallSigma1(w14) &+ w9 &+ smallSigma0(w1)
                sha256Round(a, b, c, &d, e, f, g, &h, k[0], w0, &bc)
                w1 = w1 &+ smallSigma1(w15) &+ w10 &+ smallSigma0(w2)
                sha256Round(h, a, b, &c, d, e, f, &g, k[1], w1, &bc)
                w2 = w2 &+ smallSigma1(w0) &+ w11 &+ smallSigma0(w3)
                sha256Round(g, h, a, &b, c, d, e, &f, k[2], w2, &bc)
                w3 = w3 &+ smallSigma1(w1) &+ w12 &+ smallSigma0(w4)
                sha256Round(f, g, h, &a, b, c, d, &e, k[3], w3, &bc)
                w4 = w4 &+ smallSigma1(w2) &+ w13 &+ smallSigma0(w5)
                sha256Round(e, f, g, &h, a, b, c, &d, k[4], w4, &bc)
                w5 = w5 &+ smallSigma1(w3) &+ w14 &+ smallSigma0(w6)
                sha256Round(d, e, f, &g, h, a, b, &c, k[5], w5, &bc)
                w6 = w6 &+ smallSigma1(w4) &+ w15 &+ smallSigma0(w7)
                sha256Round(c, d, e, &f, g, h, a, &b, k[6], w6, &bc)
                w7 = w7 &+ smallSigma1(w5) &+ w0 &+ smallSigma0(w8)
                sha256Round(b, c, d, &e, f, g, h, &a, k[7], w7, &bc)
                w8 = w8 &+ smallSigma1(w6) &+ w1 &+ smallSigma0(w9)
                sha256Round(a, b, c, &d, e, f, g, &h, k[8], w8, &bc)
                w9 = w9 &+ smallSigma1(w7) &+ w2 &+ smallSigma0(w10)
                sha256Round(h, a, b, &c, d, e, f, &g, k[9], w9, &bc)
                w10 = w10 &+ smallSigma1(w8) &+ w3 &+ smallSigma0(w11)
                sha256Round(g, h, a, &b, c, d, e, &f, k[10], w10, &bc)
                w11 = w11 &+ smallSigma1(w9) &+ w4 &+ smallSigma0(w12)
                sha256Round(f, g, h, &a, b, c, d, &e, k[11], w11, &bc)
                w12 = w12 &+ smallSigma1(w10) &+ w5 &+ smallSigma0(w13)
                sha256Round(e, f, g, &h, a, b, c, &d, k[12], w12, &bc)
                w13 = w13 &+ smallSigma1(w11) &+ w6 &+ smallSigma0(w14)
                sha256Round(d, e, f, &g, h, a, b, &c, k[13], w13, &bc)
                w14 = w14 &+ smallSigma1(w12) &+ w7 &+ smallSigma0(w15)
                sha256Round(c, d, e, &f, g, h, a, &b, k[14], w14, &bc)
                w15 = w15 &+ smallSigma1(w13) &+ w8 &+ smallSigma0(w0)
                sha256Round(b, c, d, &e, f, g, h, &a, k[15], w15, &bc)
            }
            s.h0 = s.h0 &+ a; s.h1 = s.h1 &+ b; s.h2 = s.h2 &+ c; s.h3 = s.h3 &+ d
            s.h4 = s.h4 &+ e; s.h5 = s.h5 &+ f; s.h6 = s.h6 &+ g; s.h7 = s.h7 &+ h
        }
        state = s
    }
}
