// The SHA-256 compression function (FIPS 180-4 section 6.2.2) with the x86
// SHA extensions: SHA256RNDS2 does two rounds, SHA256MSG1/MSG2 the message
// schedule (Intel SDM vol. 2, "SHA256RNDS2", "SHA256MSG1", "SHA256MSG2").
//
// State layout: SHA256RNDS2 wants the working variables as two registers,
// ABEF = (A, B, E, F) and CDGH = (C, D, G, H) with A in the top lane, so
// the eight words H0...H7 are regrouped on entry and ungrouped on exit (once
// per call, not per block). Each group of four rounds runs RNDS2 twice:
// the first produces the new ABEF while the old ABEF becomes CDGH; the
// second repeats that with the upper two W+K words.
//
// Two kernels share the round code (`Lane`, `forEachRoundGroup`): one
// message, and two independent messages of equal block count with their
// rounds interleaved. SHA256RNDS2's result latency is about twice its issue
// interval on current cores, so one message leaves the unit half idle; the
// spiped packet MACs are independent, so the packet layer feeds them in pairs.
//
// Guarantees: any number of whole 64-byte blocks, any alignment, no
// allocation; constant-time (the instruction sequence depends only on
// `blockCount`), so it is safe for HMAC keys.
#if arch(x86_64) && !SPIPED_NO_INTRINSICS
internal import _Builtin_intrinsics.intel
#endif

/// SHA-256 compression using the SHA extensions. Raw function with no
/// policy: call it only when ``isSupported`` is true.
public enum SHANI {
    /// Whether this build contains the kernel and this CPU can run it.
    public static var isSupported: Bool { HardwareFeatures.sha }

    /// Compresses `blockCount` consecutive 64-byte blocks at `blocks` into the
    /// chaining state `state` (eight words H0...H7, native integers).
    /// Constant-time in the data.
    public static func compress(state: UnsafeMutablePointer<UInt32>, blocks: UnsafeRawPointer, blockCount: Int) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        guard blockCount > 0 else { return }
        sha256Blocks(state, blocks, blockCount)
        #else
        preconditionFailure("SHA-NI kernel is not compiled into this build")
        #endif
    }

    /// Compresses two independent block sequences of equal length at once:
    /// `blockCount` blocks at `blocksA` into `stateA` and as many at
    /// `blocksB` into `stateB`, their rounds interleaved (about twice the
    /// throughput of two ``compress(state:blocks:blockCount:)`` calls where
    /// SHA256RNDS2's latency is twice its issue interval). Constant-time in
    /// the data.
    public static func compress2(stateA: UnsafeMutablePointer<UInt32>, blocksA: UnsafeRawPointer,
                                 stateB: UnsafeMutablePointer<UInt32>, blocksB: UnsafeRawPointer,
                                 blockCount: Int) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        guard blockCount > 0 else { return }
        sha256Blocks2(stateA, blocksA, stateB, blocksB, blockCount)
        #else
        preconditionFailure("SHA-NI kernel is not compiled into this build")
        #endif
    }
}

#if arch(x86_64) && !SPIPED_NO_INTRINSICS
/// One message's working registers: the chaining halves and the sixteen
/// message-schedule words W[t...t+15] as four vectors, oldest first.
private struct Lane {
    var abef: V128
    var cdgh: V128
    var m0 = V128(), m1 = V128(), m2 = V128(), m3 = V128()

    /// Registers from the eight chaining words H0...H7.
    @inline(__always) init(_ state: UnsafeMutablePointer<UInt32>) {
        abef = v128(SIMD4(state[5], state[4], state[1], state[0]))   // lanes F, E, B, A
        cdgh = v128(SIMD4(state[7], state[6], state[3], state[2]))   // lanes H, G, D, C
    }

    /// Writes the chaining words back.
    @inline(__always) func store(_ state: UnsafeMutablePointer<UInt32>) {
        let a = lanes32(abef), c = lanes32(cdgh)
        state[0] = a[3]; state[1] = a[2]; state[2] = c[3]; state[3] = c[2]
        state[4] = a[1]; state[5] = a[0]; state[6] = c[1]; state[7] = c[0]
    }

    /// Loads one 64-byte block as W[0...15] (big-endian words to native lanes).
    @inline(__always) mutating func load(_ p: UnsafeRawPointer) {
        let bswap = v128(SIMD16<UInt8>(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12))
        m0 = _mm_shuffle_epi8(loadV128(p), bswap)
        m1 = _mm_shuffle_epi8(loadV128(p, 16), bswap)
        m2 = _mm_shuffle_epi8(loadV128(p, 32), bswap)
        m3 = _mm_shuffle_epi8(loadV128(p, 48), bswap)
    }

    /// Four rounds on W[t...t+3] = m0 with round constants `k`; then the
    /// window moves on by four words, computing W[t+16...t+19] when
    /// `extends` (rounds 0...47; the last four groups need no new words).
    @inline(__always) mutating func step(_ k: SIMD4<UInt32>, extends: Bool) {
        let wk = _mm_add_epi32(m0, v128(k))
        let next = _mm_sha256rnds2_epu32(cdgh, abef, wk)             // rounds t, t+1
        cdgh = abef
        abef = _mm_sha256rnds2_epu32(cdgh, next, swapHalves(wk))     // rounds t+2, t+3
        cdgh = next
        // MSG1: W[t] + sigma0(W[t+1]); + W[t+9]; MSG2 adds sigma1(W[t+14]).
        let newest = extends
            ? _mm_sha256msg2_epu32(_mm_add_epi32(_mm_sha256msg1_epu32(m0, m1), alignLanes1(m3, m2)), m3)
            : m0
        m0 = m1; m1 = m2; m2 = m3; m3 = newest
    }
}

/// Calls `body` once per group of four rounds with that group's constants
/// (FIPS 180-4 section 4.2.2) and whether the message schedule extends.
/// Inlined with its closure, so each kernel below is straight-line code.
@inline(__always)
private func forEachRoundGroup(_ body: (_ k: SIMD4<UInt32>, _ extends: Bool) -> Void) {
    body(SIMD4(0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5), true)
    body(SIMD4(0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5), true)
    body(SIMD4(0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3), true)
    body(SIMD4(0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174), true)
    body(SIMD4(0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc), true)
    body(SIMD4(0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da), true)
    body(SIMD4(0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7), true)
    body(SIMD4(0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967), true)
    body(SIMD4(0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13), true)
    body(SIMD4(0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85), true)
    body(SIMD4(0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3), true)
    body(SIMD4(0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070), true)
    body(SIMD4(0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5), false)
    body(SIMD4(0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3), false)
    body(SIMD4(0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208), false)
    body(SIMD4(0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2), false)
}

private func sha256Blocks(_ state: UnsafeMutablePointer<UInt32>, _ blocks: UnsafeRawPointer, _ blockCount: Int) {
    var lane = Lane(state)
    var p = blocks
    for _ in 0..<blockCount {
        let savedABEF = lane.abef, savedCDGH = lane.cdgh
        lane.load(p)
        forEachRoundGroup { k, extends in lane.step(k, extends: extends) }
        lane.abef = _mm_add_epi32(lane.abef, savedABEF)
        lane.cdgh = _mm_add_epi32(lane.cdgh, savedCDGH)
        p += 64
    }
    lane.store(state)
}

/// Two independent messages, block by block, their rounds interleaved: each
/// SHA256RNDS2 waits for the previous one of its own message only, so the
/// other message's instruction fills the wait (one message alone is bound by
/// that latency, not by the instruction's throughput).
private func sha256Blocks2(_ stateA: UnsafeMutablePointer<UInt32>, _ blocksA: UnsafeRawPointer,
                           _ stateB: UnsafeMutablePointer<UInt32>, _ blocksB: UnsafeRawPointer,
                           _ blockCount: Int) {
    var a = Lane(stateA), b = Lane(stateB)
    var pa = blocksA, pb = blocksB
    for _ in 0..<blockCount {
        let savedA = (a.abef, a.cdgh), savedB = (b.abef, b.cdgh)
        a.load(pa)
        b.load(pb)
        forEachRoundGroup { k, extends in
            a.step(k, extends: extends)
            b.step(k, extends: extends)
        }
        a.abef = _mm_add_epi32(a.abef, savedA.0); a.cdgh = _mm_add_epi32(a.cdgh, savedA.1)
        b.abef = _mm_add_epi32(b.abef, savedB.0); b.cdgh = _mm_add_epi32(b.cdgh, savedB.1)
        pa += 64
        pb += 64
    }
    a.store(stateA)
    b.store(stateB)
}
#endif
