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
}

#if arch(x86_64) && !SPIPED_NO_INTRINSICS
/// Four rounds: W+K for rounds 4g...4g+3 is `msg + k`.
@inline(__always)
private func rounds4(_ abef: inout V128, _ cdgh: inout V128, _ msg: V128, _ k: SIMD4<UInt32>) {
    let wk = _mm_add_epi32(msg, v128(k))
    let next = _mm_sha256rnds2_epu32(cdgh, abef, wk)     // rounds 4g, 4g+1
    cdgh = abef
    abef = _mm_sha256rnds2_epu32(cdgh, next, swapHalves(wk))   // rounds 4g+2, 4g+3
    cdgh = next
}

/// W[t...t+3] from the previous sixteen words held as m0 (oldest) ... m3.
@inline(__always)
private func schedule(_ m0: V128, _ m1: V128, _ m2: V128, _ m3: V128) -> V128 {
    // MSG1: W[t-16] + sigma0(W[t-15]); + W[t-7]; MSG2 adds sigma1(W[t-2]).
    let t = _mm_add_epi32(_mm_sha256msg1_epu32(m0, m1), alignLanes1(m3, m2))
    return _mm_sha256msg2_epu32(t, m3)
}

private func sha256Blocks(_ state: UnsafeMutablePointer<UInt32>, _ blocks: UnsafeRawPointer, _ blockCount: Int) {
    // Big-endian words to native lanes.
    let bswap = v128(SIMD16<UInt8>(3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12))
    var abef = v128(SIMD4(state[5], state[4], state[1], state[0]))   // lanes F, E, B, A
    var cdgh = v128(SIMD4(state[7], state[6], state[3], state[2]))   // lanes H, G, D, C
    var p = blocks
    for _ in 0..<blockCount {
        let savedABEF = abef, savedCDGH = cdgh
        var m0 = _mm_shuffle_epi8(loadV128(p), bswap)
        var m1 = _mm_shuffle_epi8(loadV128(p, 16), bswap)
        var m2 = _mm_shuffle_epi8(loadV128(p, 32), bswap)
        var m3 = _mm_shuffle_epi8(loadV128(p, 48), bswap)
        // Round constants: FIPS 180-4 section 4.2.2.
        rounds4(&abef, &cdgh, m0, SIMD4(0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5))
        rounds4(&abef, &cdgh, m1, SIMD4(0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5))
        rounds4(&abef, &cdgh, m2, SIMD4(0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3))
        rounds4(&abef, &cdgh, m3, SIMD4(0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174))
        m0 = schedule(m0, m1, m2, m3); rounds4(&abef, &cdgh, m0, SIMD4(0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc))
        m1 = schedule(m1, m2, m3, m0); rounds4(&abef, &cdgh, m1, SIMD4(0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da))
        m2 = schedule(m2, m3, m0, m1); rounds4(&abef, &cdgh, m2, SIMD4(0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7))
        m3 = schedule(m3, m0, m1, m2); rounds4(&abef, &cdgh, m3, SIMD4(0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967))
        m0 = schedule(m0, m1, m2, m3); rounds4(&abef, &cdgh, m0, SIMD4(0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13))
        m1 = schedule(m1, m2, m3, m0); rounds4(&abef, &cdgh, m1, SIMD4(0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85))
        m2 = schedule(m2, m3, m0, m1); rounds4(&abef, &cdgh, m2, SIMD4(0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3))
        m3 = schedule(m3, m0, m1, m2); rounds4(&abef, &cdgh, m3, SIMD4(0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070))
        m0 = schedule(m0, m1, m2, m3); rounds4(&abef, &cdgh, m0, SIMD4(0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5))
        m1 = schedule(m1, m2, m3, m0); rounds4(&abef, &cdgh, m1, SIMD4(0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3))
        m2 = schedule(m2, m3, m0, m1); rounds4(&abef, &cdgh, m2, SIMD4(0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208))
        m3 = schedule(m3, m0, m1, m2); rounds4(&abef, &cdgh, m3, SIMD4(0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2))
        abef = _mm_add_epi32(abef, savedABEF)
        cdgh = _mm_add_epi32(cdgh, savedCDGH)
        p += 64
    }
    let a = lanes32(abef), c = lanes32(cdgh)
    state[0] = a[3]; state[1] = a[2]; state[2] = c[3]; state[3] = c[2]
    state[4] = a[1]; state[5] = a[0]; state[6] = c[1]; state[7] = c[0]
}
#endif
