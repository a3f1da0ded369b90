// SHA-256 of one message (FIPS 180-4 section 6.2.2) for CPUs with AVX2 and
// BMI1/BMI2 but no SHA extensions: the rounds stay scalar, each rotation a
// non-destructive RORX and Ch an AND plus an ANDN, while the message
// schedule runs four words at a time in XMM registers beside them. The
// schedule only depends on the message, so its vector work overlaps the
// scalar round chain (whose length, about five cycles a round, bounds any
// scalar SHA-256) on otherwise idle vector ports, and each round reads its
// W[t] + K[t] with one memory operand.
//
// Guarantees: the same result as the portable compression for any number
// of whole 64-byte blocks at any alignment; no allocation (the W + K ring
// is 64 bytes of the caller's scratch, which then holds message words:
// the caller's to wipe or reuse); constant-time: straight-line rounds with no
// branch, loop bound or memory index that depends on the data (only on
// `blockCount`, which is public). A raw kernel with no policy: call it only
// when the CPU has AVX2, BMI1 and BMI2 (SpipedCrypto's CryptoBackends) and
// `AVX2Lanes.isCompiledIn` is true.
#if arch(x86_64) && !SPIPED_NO_INTRINSICS
internal import _Builtin_intrinsics.intel
import SpipedCryptoKernels

private typealias XMM = SIMD2<Int64>                // __m128i

@inline(__always) private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 &- n)) }

/// Σ1, Ch and Σ0/Maj of one round; the caller rotates the variables' roles,
/// so only `d` and `h` change (d += T1, h = T1 + T2), and this round's
/// b ^ c is the previous round's a ^ b (`bc`), saving one operation for Maj.
@inline(__always)
private func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                   _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ wk: UInt32, _ bc: inout UInt32) {
    // Ch(e,f,g) = (e & f) + (~e & g): the two halves never share a bit, so
    // they can be added separately, shortening the chain through e.
    let t1 = h &+ wk &+ (rotr(e, 6) ^ rotr(e, 11) ^ rotr(e, 25)) &+ (e & f) &+ (~e & g)
    d = d &+ t1
    let ab = a ^ b
    h = t1 &+ (rotr(a, 2) ^ rotr(a, 13) ^ rotr(a, 22)) &+ (b ^ (ab & bc))
    bc = ab
}

// The schedule words as XMM values, through functions Swift imports (the
// byte-shift and alignment intrinsics are C macros it cannot).
@inline(__always) private func add(_ a: XMM, _ b: XMM) -> XMM { _mm_add_epi32(a, b) }
@inline(__always) private func xor(_ a: XMM, _ b: XMM) -> XMM { _mm_xor_si128(a, b) }
@inline(__always) private func shr(_ a: XMM, _ n: Int32) -> XMM { _mm_srli_epi32(a, n) }
@inline(__always) private func shl(_ a: XMM, _ n: Int32) -> XMM { _mm_slli_epi32(a, n) }

/// σ0 and σ1 of four words with shifts only (no vector rotate below
/// AVX-512), nested so that each XOR meets two distinct shift amounts.
@inline(__always) private func sigma0(_ x: XMM) -> XMM {
    xor(shr(xor(x, shr(xor(x, shr(x, 11)), 4)), 3), shl(xor(x, shl(x, 11)), 14))
}
@inline(__always) private func sigma1(_ x: XMM) -> XMM {
    xor(shr(xor(x, shr(xor(x, shr(x, 2)), 7)), 10), shl(xor(x, shl(x, 2)), 13))
}

/// [a1, a2, a3, b0]: four consecutive words starting one into `a` (PALIGNR).
@inline(__always) private func shiftedByOne(_ a: XMM, _ b: XMM) -> XMM {
    let x = unsafeBitCast(a, to: SIMD4<UInt32>.self), y = unsafeBitCast(b, to: SIMD4<UInt32>.self)
    return unsafeBitCast(SIMD4<UInt32>(x[1], x[2], x[3], y[0]), to: XMM.self)
}

/// W[t...t+3] from the previous 16 words w0 = W[t-16...t-13] ... w3 = W[t-4...t-1].
@inline(__always) private func nextWords(_ w0: XMM, _ w1: XMM, _ w2: XMM, _ w3: XMM) -> XMM {
    let zero = _mm_setzero_si128()
    // W[t-16] + σ0(W[t-15]) + W[t-7], four at a time.
    let p = add(add(w0, sigma0(shiftedByOne(w0, w1))), shiftedByOne(w2, w3))
    // σ1(W[t-2]) exists now only for the first two words; the last two
    // need the first two new words, so σ1 runs twice on half-filled
    // vectors (σ1(0) = 0 leaves the other half unchanged).
    let low = add(p, sigma1(_mm_unpackhi_epi64(w3, zero)))       // [W[t], W[t+1], -, -]
    return add(low, sigma1(_mm_unpacklo_epi64(zero, low)))       // [0, 0, W[t], W[t+1]] -> W[t+2], W[t+3]
}

/// Four rounds on ring words `first ... first + 3`, variables in the roles
/// of the first of them (the next four rounds swap a...d with e...h).
@inline(__always)
private func fourRounds(_ a: inout UInt32, _ b: inout UInt32, _ c: inout UInt32, _ d: inout UInt32,
                        _ e: inout UInt32, _ f: inout UInt32, _ g: inout UInt32, _ h: inout UInt32,
                        _ ring: UnsafeMutableRawPointer, _ first: Int, _ bc: inout UInt32) {
    @inline(__always) func wk(_ i: Int) -> UInt32 { ring.load(fromByteOffset: (first &+ i) &* 4, as: UInt32.self) }
    round(a, b, c, &d, e, f, g, &h, wk(0), &bc)
    round(h, a, b, &c, d, e, f, &g, wk(1), &bc)
    round(g, h, a, &b, c, d, e, &f, wk(2), &bc)
    round(f, g, h, &a, b, c, d, &e, wk(3), &bc)
}

extension AVX2Lanes {
    /// Bytes of scratch memory ``sha256Compress(state:blocks:blockCount:ring:)`` needs.
    public static let sha256RingByteCount = 64

    /// Compresses `blockCount` 64-byte blocks at `blocks` into `state` (H0...H7).
    /// `ring` is 64 bytes of scratch for W + K. Why the caller provides it:
    /// in memory the compiler cannot see into, each round reads its word
    /// with one memory operand; a local ring would be kept in XMM registers
    /// and each word moved out with VPEXTRD (two micro-ops).
    @inline(never)
    public static func sha256Compress(state: UnsafeMutablePointer<UInt32>, blocks: UnsafeRawPointer, blockCount: Int,
                                      ring: UnsafeMutableRawPointer) {
        sha256RoundConstants.withUnsafeBufferPointer { constants in
            guard let k = constants.baseAddress, blockCount > 0 else { return }
            let kw = UnsafeRawPointer(k)
            // Big-endian words: reverse the bytes of each 32-bit lane.
            let byteSwap = _mm_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3)
            var a = state[0], b = state[1], c = state[2], d = state[3]
            var e = state[4], f = state[5], g = state[6], h = state[7]
            for block in 0..<blockCount {
                let p = blocks + block &* 64
                var w0 = _mm_shuffle_epi8(p.loadUnaligned(as: XMM.self), byteSwap)
                var w1 = _mm_shuffle_epi8(p.loadUnaligned(fromByteOffset: 16, as: XMM.self), byteSwap)
                var w2 = _mm_shuffle_epi8(p.loadUnaligned(fromByteOffset: 32, as: XMM.self), byteSwap)
                var w3 = _mm_shuffle_epi8(p.loadUnaligned(fromByteOffset: 48, as: XMM.self), byteSwap)
                ring.storeBytes(of: add(w0, kw.loadUnaligned(as: XMM.self)), as: XMM.self)
                ring.storeBytes(of: add(w1, kw.loadUnaligned(fromByteOffset: 16, as: XMM.self)), toByteOffset: 16, as: XMM.self)
                ring.storeBytes(of: add(w2, kw.loadUnaligned(fromByteOffset: 32, as: XMM.self)), toByteOffset: 32, as: XMM.self)
                ring.storeBytes(of: add(w3, kw.loadUnaligned(fromByteOffset: 48, as: XMM.self)), toByteOffset: 48, as: XMM.self)
                let (a0, b0, c0, d0, e0, f0, g0, h0) = (a, b, c, d, e, f, g, h)
                var bc = b ^ c
                // Rounds 0...47: while each four run, the next pass's four
                // schedule words replace the ring slot they have just read.
                var nextK = kw
                for _ in 0..<3 {
                    nextK += 64
                    fourRounds(&a, &b, &c, &d, &e, &f, &g, &h, ring, 0, &bc)
                    w0 = nextWords(w0, w1, w2, w3)
                    ring.storeBytes(of: add(w0, nextK.loadUnaligned(as: XMM.self)), as: XMM.self)
                    fourRounds(&e, &f, &g, &h, &a, &b, &c, &d, ring, 4, &bc)
                    w1 = nextWords(w1, w2, w3, w0)
                    ring.storeBytes(of: add(w1, nextK.loadUnaligned(fromByteOffset: 16, as: XMM.self)), toByteOffset: 16, as: XMM.self)
                    fourRounds(&a, &b, &c, &d, &e, &f, &g, &h, ring, 8, &bc)
                    w2 = nextWords(w2, w3, w0, w1)
                    ring.storeBytes(of: add(w2, nextK.loadUnaligned(fromByteOffset: 32, as: XMM.self)), toByteOffset: 32, as: XMM.self)
                    fourRounds(&e, &f, &g, &h, &a, &b, &c, &d, ring, 12, &bc)
                    w3 = nextWords(w3, w0, w1, w2)
                    ring.storeBytes(of: add(w3, nextK.loadUnaligned(fromByteOffset: 48, as: XMM.self)), toByteOffset: 48, as: XMM.self)
                }
                // Rounds 48...63: no schedule left to compute.
                fourRounds(&a, &b, &c, &d, &e, &f, &g, &h, ring, 0, &bc)
                fourRounds(&e, &f, &g, &h, &a, &b, &c, &d, ring, 4, &bc)
                fourRounds(&a, &b, &c, &d, &e, &f, &g, &h, ring, 8, &bc)
                fourRounds(&e, &f, &g, &h, &a, &b, &c, &d, ring, 12, &bc)
                a = a &+ a0; b = b &+ b0; c = c &+ c0; d = d &+ d0
                e = e &+ e0; f = f &+ f0; g = g &+ g0; h = h &+ h0
            }
            state[0] = a; state[1] = b; state[2] = c; state[3] = d
            state[4] = e; state[5] = f; state[6] = g; state[7] = h
        }
    }
}
#else
extension AVX2Lanes {
    public static let sha256RingByteCount = 64
    public static func sha256Compress(state: UnsafeMutablePointer<UInt32>, blocks: UnsafeRawPointer, blockCount: Int,
                                      ring: UnsafeMutableRawPointer) {
        preconditionFailure("the AVX2 kernels are not compiled into this build")
    }
}
#endif
