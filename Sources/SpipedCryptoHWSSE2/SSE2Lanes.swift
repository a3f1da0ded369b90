// The baseline-vector kernels: HMAC-SHA256 of 4 messages at once (32-bit
// lanes) and bitsliced AES-256-CTR with 8 blocks per pass (two 64-bit plane
// lanes per XMM register), through SSE2 intrinsics, which
// every x86_64 CPU has, so this module needs no extra compiler flags and no
// run-time check. Elsewhere (aarch64, SPIPED_PORTABLE=1 builds) the same
// kernels run on Swift's SIMD4<UInt32> / SIMD2<UInt64>, which LLVM maps to NEON.
// Why intrinsics on x86_64: see SpipedCryptoHWAVX2/AVX2Words.swift.
//
// Guarantees: constant-time and allocation-free as the generic kernel.
import SpipedCryptoKernels
#if arch(x86_64) && !SPIPED_NO_INTRINSICS
internal import _Builtin_intrinsics.intel

struct XMMPlanes: AESPlaneWord {
    var v: SIMD2<Int64>                          // __m128i
    @inline(__always) init(_ v: SIMD2<Int64>) { self.v = v }
    @inline(__always) init(broadcast value: UInt64) { v = _mm_set1_epi64x(Int64(bitPattern: value)) }
    static var laneCount: Int { 2 }
    @inline(__always) init(loading p: UnsafeRawPointer) { v = p.loadUnaligned(as: SIMD2<Int64>.self) }
    @inline(__always) func store(to p: UnsafeMutableRawPointer) { p.storeBytes(of: v, as: SIMD2<Int64>.self) }
    @inline(__always) static func ^ (a: Self, b: Self) -> Self { Self(_mm_xor_si128(a.v, b.v)) }
    @inline(__always) static func & (a: Self, b: Self) -> Self { Self(_mm_and_si128(a.v, b.v)) }
    @inline(__always) static func | (a: Self, b: Self) -> Self { Self(_mm_or_si128(a.v, b.v)) }
    @inline(__always) static prefix func ~ (a: Self) -> Self { Self(_mm_xor_si128(a.v, _mm_set1_epi64x(-1))) }
    @inline(__always) static func & (a: Self, mask: UInt64) -> Self {
        Self(_mm_and_si128(a.v, _mm_set1_epi64x(Int64(bitPattern: mask))))
    }
    @inline(__always) static func &>> (a: Self, n: UInt64) -> Self { Self(_mm_srli_epi64(a.v, Int32(n))) }
    @inline(__always) static func &<< (a: Self, n: UInt64) -> Self { Self(_mm_slli_epi64(a.v, Int32(n))) }
}

struct XMMWords: SHA256Word {
    var v: SIMD2<Int64>                          // __m128i
    @inline(__always) init(_ v: SIMD2<Int64>) { self.v = v }
    @inline(__always) init(broadcast value: UInt32) { v = _mm_set1_epi32(Int32(bitPattern: value)) }
    static var laneCount: Int { 4 }
    @inline(__always) init(gathering word: (_ lane: Int) -> UInt32) {
        v = _mm_set_epi32(Int32(bitPattern: word(3)), Int32(bitPattern: word(2)),
                          Int32(bitPattern: word(1)), Int32(bitPattern: word(0)))
    }
    @inline(__always) func lane(_ i: Int) -> UInt32 { unsafeBitCast(v, to: SIMD4<UInt32>.self)[i] }
    @inline(__always) static func &+ (a: Self, b: Self) -> Self { Self(_mm_add_epi32(a.v, b.v)) }
    @inline(__always) static func ^ (a: Self, b: Self) -> Self { Self(_mm_xor_si128(a.v, b.v)) }
    @inline(__always) static func & (a: Self, b: Self) -> Self { Self(_mm_and_si128(a.v, b.v)) }
    @inline(__always) static func | (a: Self, b: Self) -> Self { Self(_mm_or_si128(a.v, b.v)) }
    @inline(__always) static func &>> (a: Self, n: UInt32) -> Self { Self(_mm_srli_epi32(a.v, Int32(n))) }
    @inline(__always) static func &<< (a: Self, n: UInt32) -> Self { Self(_mm_slli_epi32(a.v, Int32(n))) }
    @inline(__always) static func bigSigma0(_ x: Self) -> Self { shiftedBigSigma0(x) }
    @inline(__always) static func bigSigma1(_ x: Self) -> Self { shiftedBigSigma1(x) }
    @inline(__always) static func smallSigma0(_ x: Self) -> Self { shiftedSmallSigma0(x) }
    @inline(__always) static func smallSigma1(_ x: Self) -> Self { shiftedSmallSigma1(x) }
}
#endif

/// Kernels for the vector unit every CPU of the architecture has.
public enum SSE2Lanes {
    /// Messages per HMAC call.
    public static let laneCount = 4

    /// The job's HMAC-SHA256 codes; its pointer arrays have 4 entries.
    @inline(never)
    public static func hmacSHA256(_ job: SHA256LaneJob) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        sha256HMACLanes(XMMWords.self, job)
        #else
        sha256HMACLanes(SIMD4<UInt32>.self, job)
        #endif
    }

    /// Bitsliced AES-256-CTR, 8 blocks per pass: XORs `passes * 128` bytes
    /// of keystream into `buffer`.
    @inline(never)
    public static func aesCTR(roundKeys: UnsafePointer<UInt64>, nonce: UInt64, firstBlock: UInt64,
                              buffer: UnsafeMutableRawPointer, passes: Int) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        aesBitslicedCTR(XMMPlanes.self, roundKeys: roundKeys, nonce: nonce, firstBlock: firstBlock,
                        buffer: buffer, passes: passes)
        #else
        aesBitslicedCTR(SIMD2<UInt64>.self, roundKeys: roundKeys, nonce: nonce, firstBlock: firstBlock,
                        buffer: buffer, passes: passes)
        #endif
    }
}
