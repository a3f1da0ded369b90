// SHA-256 of one message (FIPS 180-4 section 6.2.2) for CPUs with AVX2 and
// BMI1/BMI2 but no SHA extensions: the rounds stay scalar, each rotation a
// non-destructive RORX and Ch an AND plus an ANDN, while the message
// schedule runs beside them in YMM registers, four words of each of two
// blocks at a time. The schedule only depends on the message, so its vector
// work overlaps the scalar round chain on otherwise idle vector ports, and
// each round reads its W[t] + K[t] with one memory operand; the second
// block of a pair finds its whole schedule ready and runs rounds only.
//
// Guarantees: the same result as the portable compression for any number
// of whole 64-byte blocks at any alignment; no allocation (the W + K
// schedule is 512 bytes on the stack, wiped before returning);
// constant-time: straight-line rounds with no branch, loop bound or memory
// index that depends on the data (only on `blockCount`, which is public).
// A raw kernel with no policy: call it only when the CPU has AVX2, BMI1 and
// BMI2 (SpipedCrypto's CryptoBackends) and `AVX2SHA256.isCompiledIn` is true.
//
// Its own module, apart from the AVX2 lanes, for its flags: it is compiled
// without a frame pointer (Package.swift), so the rounds have RBP as a 15th
// general register, which took 3% here and cost the AVX2 module's bitsliced
// AES a third.
#if arch(x86_64) && !SPIPED_NO_INTRINSICS
internal import _Builtin_intrinsics.intel
import SpipedCryptoKernels

private typealias YMM = SIMD4<Int64>                // __m256i

@inline(__always) private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 &- n)) }

/// One round; the caller rotates the variables' roles, so only `a`, `d`
/// and `h` change. Two carries link the rounds: this round's b ^ c is the
/// previous round's a ^ b (`bc`), saving one operation for Maj; and Σ0 of
/// the new a is added one round late, as the first step of the next round
/// (`s0`, zero before the first round; the caller adds the last one).
///
/// Why this shape: LLVM keeps much of the statements' order, and written so
/// (Σ1 and d's update before Σ0, Σ0 one round late) the kernel measured
/// 2.7% faster than with one sum per variable (in-process A/B, Zen 4). The
/// same late Σ0 written as sums was 1% slower, so the order is what helps,
/// and reordering is not neutral: random orders of these statements ran
/// 2-24% slower than this one (DESIGN.md).
@inline(__always)
private func round(_ a: inout UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                   _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ wk: UInt32,
                   _ bc: inout UInt32, _ s0: inout UInt32) {
    // Ch(e,f,g) = (e & f) + (~e & g): the two halves never share a bit, so
    // they can be added separately, shortening the chain through e.
    var t = h &+ wk
    let ef = e & f
    let r25 = rotr(e, 25), r11 = rotr(e, 11)
    a = a &+ s0
    t = t &+ ef
    let ng = ~e & g
    var sigma1 = r25 ^ r11
    let r6 = rotr(e, 6)
    t = t &+ ng
    sigma1 = sigma1 ^ r6
    let ab = a ^ b
    let r22 = rotr(a, 22)
    d = d &+ t
    t = t &+ sigma1                                   // T1
    let r13 = rotr(a, 13), r2 = rotr(a, 2)
    d = d &+ sigma1
    let maj = (bc & ab) ^ b
    var sigma0 = r13 ^ r22
    sigma0 = sigma0 ^ r2
    h = t &+ maj                                      // T1 + T2, less Σ0
    s0 = sigma0
    bc = ab
}

// The schedule words of two blocks, one per 128-bit half of a YMM register
// (AVX2's shuffles and byte shifts act on each half alone), through
// functions Swift imports (the byte-shift and alignment intrinsics are C
// macros it cannot).
@inline(__always) private func add(_ a: YMM, _ b: YMM) -> YMM { _mm256_add_epi32(a, b) }
@inline(__always) private func xor(_ a: YMM, _ b: YMM) -> YMM { _mm256_xor_si256(a, b) }
@inline(__always) private func shr(_ a: YMM, _ n: Int32) -> YMM { _mm256_srli_epi32(a, n) }
@inline(__always) private func shl(_ a: YMM, _ n: Int32) -> YMM { _mm256_slli_epi32(a, n) }

/// σ0 and σ1 of eight words with shifts only (no vector rotate below
/// AVX-512), nested so that each XOR meets two distinct shift amounts.
@inline(__always) private func sigma0(_ x: YMM) -> YMM {
    xor(shr(xor(x, shr(xor(x, shr(x, 11)), 4)), 3), shl(xor(x, shl(x, 11)), 14))
}
@inline(__always) private func sigma1(_ x: YMM) -> YMM {
    xor(shr(xor(x, shr(xor(x, shr(x, 2)), 7)), 10), shl(xor(x, shl(x, 2)), 13))
}

/// Per half: [a1, a2, a3, b0], four consecutive words starting one into `a` (VPALIGNR).
@inline(__always) private func shiftedByOne(_ a: YMM, _ b: YMM) -> YMM {
    let x = unsafeBitCast(a, to: SIMD8<UInt32>.self), y = unsafeBitCast(b, to: SIMD8<UInt32>.self)
    return unsafeBitCast(SIMD8<UInt32>(x[1], x[2], x[3], y[0], x[5], x[6], x[7], y[4]), to: YMM.self)
}

/// Per half, W[t...t+3] from the previous 16 words w0 = W[t-16...t-13] ... w3 = W[t-4...t-1].
@inline(__always) private func nextWords(_ w0: YMM, _ w1: YMM, _ w2: YMM, _ w3: YMM) -> YMM {
    let zero = _mm256_setzero_si256()
    // W[t-16] + σ0(W[t-15]) + W[t-7], four at a time.
    let p = add(add(w0, sigma0(shiftedByOne(w0, w1))), shiftedByOne(w2, w3))
    // σ1(W[t-2]) exists now only for the first two words; the last two
    // need the first two new words, so σ1 runs twice on half-filled
    // vectors (σ1(0) = 0 leaves the other half unchanged).
    let low = add(p, sigma1(_mm256_unpackhi_epi64(w3, zero)))       // [W[t], W[t+1], -, -]
    return add(low, sigma1(_mm256_unpacklo_epi64(zero, low)))       // [0, 0, W[t], W[t+1]] -> W[t+2], W[t+3]
}

/// Four rounds on the W + K words at `wk`, variables in the roles of the
/// first of them (the next four rounds swap a...d with e...h).
@inline(__always)
private func fourRounds(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32,
                        _ e: inout UInt32, _ f: inout UInt32, _ g: inout UInt32, _ h: inout UInt32,
                        _ wk: UnsafeRawPointer, _ bc: inout UInt32, _ s0: inout UInt32) {
    round(&a, b, c, &d, e, f, g, &h, wk.load(as: UInt32.self), &bc, &s0)
    round(&h, a, b, &c, d, e, f, &g, wk.load(fromByteOffset: 4, as: UInt32.self), &bc, &s0)
    round(&g, h, a, &b, c, d, e, &f, wk.load(fromByteOffset: 8, as: UInt32.self), &bc, &s0)
    round(&f, g, h, &a, b, c, d, &e, wk.load(fromByteOffset: 12, as: UInt32.self), &bc, &s0)
}

/// 64 rounds on a block's W + K words: `wk` + 32 i + 0...15 holds W + K for
/// rounds 4 i ... 4 i + 3 (the other 16 bytes of each slot are the other block's).
@inline(__always)
private func sixtyFourRounds(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32,
                             _ e: inout UInt32, _ f: inout UInt32, _ g: inout UInt32, _ h: inout UInt32,
                             _ wk: UnsafeRawPointer) {
    var bc = b ^ c, s0: UInt32 = 0
    for i in stride(from: 0, to: 16, by: 2) {
        fourRounds(&a, &b, &c, &d, &e, &f, &g, &h, wk + i &* 32, &bc, &s0)
        fourRounds(&e, &f, &g, &h, &a, &b, &c, &d, wk + (i &* 32 &+ 32), &bc, &s0)
    }
    a = a &+ s0
}

/// W + K for both blocks' 64 rounds: 16 slots of 32 bytes.
private struct Schedule {
    var s0: YMM, s1: YMM, s2: YMM, s3: YMM, s4: YMM, s5: YMM, s6: YMM, s7: YMM
    var s8: YMM, s9: YMM, s10: YMM, s11: YMM, s12: YMM, s13: YMM, s14: YMM, s15: YMM
    init() {
        let z = YMM()
        (s0, s1, s2, s3, s4, s5, s6, s7) = (z, z, z, z, z, z, z, z)
        (s8, s9, s10, s11, s12, s13, s14, s15) = (z, z, z, z, z, z, z, z)
    }
}

/// SHA-256 of one message with AVX2 and BMI2: scalar RORX rounds beside a
/// YMM message schedule.
public enum AVX2SHA256 {
    /// Whether this build compiled the module for AVX2 and BMI2 (false with
    /// SPIPED_PORTABLE=1 and off x86_64).
    public static let isCompiledIn = true

    /// Compresses `blockCount` 64-byte blocks at `blocks` into `state` (H0...H7).
    ///
    /// Blocks go in pairs: while the first block's rounds run, both blocks'
    /// schedules are computed in the two halves of YMM registers and stored;
    /// the second block's rounds then only read them. A lone last block runs
    /// the same code with itself as the (discarded) partner.
    @inline(never)
    public static func sha256Compress(state: UnsafeMutablePointer<UInt32>, blocks: UnsafeRawPointer, blockCount: Int) {
        guard blockCount > 0 else { return }
        var storage = Schedule()
        withUnsafeMutableBytes(of: &storage) { scheduleBytes in
        sha256RoundConstants.withUnsafeBufferPointer { constants in
            guard let k = constants.baseAddress else { return }
            // The schedule's address goes to an opaque call first (the
            // kernels' wipe, of zero bytes): the compiler must then keep it in
            // memory, where each round reads its W + K with one memory
            // operand; a schedule it can see whole would stay in registers,
            // each word coming out with VPEXTRD (two micro-ops). The last
            // call wipes the message words.
            let wk = scheduleBytes.baseAddress.unsafelyUnwrapped
            kernelSecureZero(wk, 0)
            defer { kernelSecureZero(wk, 512) }
            let kw = UnsafeRawPointer(k)
            // Big-endian words: reverse the bytes of each 32-bit lane.
            let byteSwap = _mm256_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3,
                                           12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3)
            @inline(__always) func roundConstants(_ t: Int) -> YMM {
                let p = kw + t &* 4
                let four = p.loadUnaligned(as: SIMD2<Int64>.self)
                return _mm256_set_m128i(four, four)
            }
            @inline(__always) func store(_ x: YMM, _ slot: Int) {
                (wk + slot &* 32).storeBytes(of: add(x, roundConstants(slot &* 4)), as: YMM.self)
            }
            var a = state[0], b = state[1], c = state[2], d = state[3]
            var e = state[4], f = state[5], g = state[6], h = state[7]
            var block = 0
            while block < blockCount {
                let first = blocks + block &* 64
                let paired = block &+ 1 < blockCount
                let second = paired ? first + 64 : first
                @inline(__always) func load(_ offset: Int) -> YMM {
                    _mm256_shuffle_epi8(_mm256_set_m128i(second.loadUnaligned(fromByteOffset: offset, as: SIMD2<Int64>.self),
                                                         first.loadUnaligned(fromByteOffset: offset, as: SIMD2<Int64>.self)),
                                        byteSwap)
                }
                var w0 = load(0), w1 = load(16), w2 = load(32), w3 = load(48)
                store(w0, 0); store(w1, 1); store(w2, 2); store(w3, 3)
                var (a0, b0, c0, d0, e0, f0, g0, h0) = (a, b, c, d, e, f, g, h)
                var bc = b ^ c, s0: UInt32 = 0
                // The first block's rounds 0...47: while each four run, the
                // schedule for four rounds 16 later is computed and stored.
                for slot in stride(from: 0, to: 12, by: 4) {
                    fourRounds(&a, &b, &c, &d, &e, &f, &g, &h, wk + slot &* 32, &bc, &s0)
                    w0 = nextWords(w0, w1, w2, w3); store(w0, slot &+ 4)
                    fourRounds(&e, &f, &g, &h, &a, &b, &c, &d, wk + (slot &* 32 &+ 32), &bc, &s0)
                    w1 = nextWords(w1, w2, w3, w0); store(w1, slot &+ 5)
                    fourRounds(&a, &b, &c, &d, &e, &f, &g, &h, wk + (slot &* 32 &+ 64), &bc, &s0)
                    w2 = nextWords(w2, w3, w0, w1); store(w2, slot &+ 6)
                    fourRounds(&e, &f, &g, &h, &a, &b, &c, &d, wk + (slot &* 32 &+ 96), &bc, &s0)
                    w3 = nextWords(w3, w0, w1, w2); store(w3, slot &+ 7)
                }
                // Rounds 48...63: no schedule left to compute.
                fourRounds(&a, &b, &c, &d, &e, &f, &g, &h, wk + 12 &* 32, &bc, &s0)
                fourRounds(&e, &f, &g, &h, &a, &b, &c, &d, wk + 13 &* 32, &bc, &s0)
                fourRounds(&a, &b, &c, &d, &e, &f, &g, &h, wk + 14 &* 32, &bc, &s0)
                fourRounds(&e, &f, &g, &h, &a, &b, &c, &d, wk + 15 &* 32, &bc, &s0)
                a = a &+ s0 &+ a0; b = b &+ b0; c = c &+ c0; d = d &+ d0
                e = e &+ e0; f = f &+ f0; g = g &+ g0; h = h &+ h0
                block &+= 1
                guard paired else { break }
                // The second block, from the upper halves.
                (a0, b0, c0, d0, e0, f0, g0, h0) = (a, b, c, d, e, f, g, h)
                sixtyFourRounds(&a, &b, &c, &d, &e, &f, &g, &h, wk + 16)
                a = a &+ a0; b = b &+ b0; c = c &+ c0; d = d &+ d0
                e = e &+ e0; f = f &+ f0; g = g &+ g0; h = h &+ h0
                block &+= 1
            }
            state[0] = a; state[1] = b; state[2] = c; state[3] = d
            state[4] = e; state[5] = f; state[6] = g; state[7] = h
        }
        }
    }
}
#else
public enum AVX2SHA256 {
    public static let isCompiledIn = false

    public static func sha256Compress(state: UnsafeMutablePointer<UInt32>, blocks: UnsafeRawPointer, blockCount: Int) {
        preconditionFailure("the AVX2 SHA-256 kernel is not compiled into this build")
    }
}
#endif
