// The AVX-512 vector word for the generic kernels: eight 64-bit AES plane
// lanes in one ZMM register, each operation one intrinsic (LLVM fuses the
// XOR/AND chains of the S-box into VPTERNLOGQ). Why not SIMD8<UInt64>: see
// SpipedCryptoHWAVX2/AVX2Words.swift.
//
// Guarantees: branch-free, data-independent timing; unaligned loads/stores.
#if arch(x86_64) && !SPIPED_NO_INTRINSICS
internal import _Builtin_intrinsics.intel
import SpipedCryptoKernels

struct ZMMPlanes: AESPlaneWord {
    var v: SIMD8<Int64>                          // __m512i
    @inline(__always) init(_ v: SIMD8<Int64>) { self.v = v }
    @inline(__always) init(broadcast value: UInt64) { v = _mm512_set1_epi64(Int64(bitPattern: value)) }
    static var laneCount: Int { 8 }
    @inline(__always) init(loading p: UnsafeRawPointer) { v = p.loadUnaligned(as: SIMD8<Int64>.self) }
    @inline(__always) func store(to p: UnsafeMutableRawPointer) { p.storeBytes(of: v, as: SIMD8<Int64>.self) }
    @inline(__always) static func ^ (a: Self, b: Self) -> Self { Self(_mm512_xor_si512(a.v, b.v)) }
    @inline(__always) static func & (a: Self, b: Self) -> Self { Self(_mm512_and_si512(a.v, b.v)) }
    @inline(__always) static func | (a: Self, b: Self) -> Self { Self(_mm512_or_si512(a.v, b.v)) }
    @inline(__always) static prefix func ~ (a: Self) -> Self { Self(_mm512_xor_si512(a.v, _mm512_set1_epi64(-1))) }
    @inline(__always) static func & (a: Self, mask: UInt64) -> Self {
        Self(_mm512_and_si512(a.v, _mm512_set1_epi64(Int64(bitPattern: mask))))
    }
    @inline(__always) static func &>> (a: Self, n: UInt64) -> Self { Self(_mm512_srli_epi64(a.v, UInt32(n))) }
    @inline(__always) static func &<< (a: Self, n: UInt64) -> Self { Self(_mm512_slli_epi64(a.v, UInt32(n))) }
}
#endif

#if arch(x86_64) && !SPIPED_NO_INTRINSICS
/// Sixteen 32-bit SHA-256 lanes: Swift's SIMD16<UInt32>, which LLVM turns
/// into single ZMM instructions here (rotations VPROLD, three-input logic
/// VPTERNLOGD), with message loads of its own. Why not SIMD16<UInt32>
/// itself: its default load gathers each word lane by lane, sixteen scalar
/// loads and fifteen VPINSRDs per word (a fifth of the kernel's
/// instructions); here each register takes four words of lanes i, i + 4,
/// i + 8 and i + 12 (four 16-byte loads), and a 4 x 4 transpose inside each
/// 128-bit lane turns four such rows into four words of all sixteen lanes.
struct ZMMWords: SHA256Word {
    var v: SIMD16<UInt32>
    @inline(__always) init(_ v: SIMD16<UInt32>) { self.v = v }
    @inline(__always) init(broadcast value: UInt32) { v = SIMD16(repeating: value) }
    static var laneCount: Int { 16 }
    @inline(__always) init(gathering word: (_ lane: Int) -> UInt32) {
        v = SIMD16()
        for i in 0..<16 { v[i] = word(i) }
    }
    @inline(__always) func lane(_ i: Int) -> UInt32 { v[i] }
    @inline(__always) static func loadEightWords(_ lanes: UnsafePointer<UnsafeRawPointer>,
                                                 byteOffset: Int) -> (Self, Self, Self, Self, Self, Self, Self, Self) {
        let byteSwap = _mm256_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3,
                                       12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3)
        @inline(__always) func half(_ i: Int, _ offset: Int) -> SIMD4<Int64> {
            _mm256_shuffle_epi8(_mm256_set_m128i(lanes[i &+ 4].loadUnaligned(fromByteOffset: offset, as: SIMD2<Int64>.self),
                                                 lanes[i].loadUnaligned(fromByteOffset: offset, as: SIMD2<Int64>.self)),
                                byteSwap)
        }
        @inline(__always) func row(_ i: Int, _ offset: Int) -> SIMD8<Int64> {
            SIMD8(lowHalf: half(i, offset), highHalf: half(i &+ 8, offset))
        }
        @inline(__always) func word(_ x: SIMD8<Int64>) -> Self { Self(unsafeBitCast(x, to: SIMD16<UInt32>.self)) }
        @inline(__always) func fourWords(_ offset: Int) -> (Self, Self, Self, Self) {
            let r0 = row(0, offset), r1 = row(1, offset), r2 = row(2, offset), r3 = row(3, offset)
            let t0 = _mm512_unpacklo_epi32(r0, r1), t1 = _mm512_unpackhi_epi32(r0, r1)   // [0 0 1 1], [2 2 3 3]
            let t2 = _mm512_unpacklo_epi32(r2, r3), t3 = _mm512_unpackhi_epi32(r2, r3)
            return (word(_mm512_unpacklo_epi64(t0, t2)), word(_mm512_unpackhi_epi64(t0, t2)),
                    word(_mm512_unpacklo_epi64(t1, t3)), word(_mm512_unpackhi_epi64(t1, t3)))
        }
        let (w0, w1, w2, w3) = fourWords(byteOffset)
        let (w4, w5, w6, w7) = fourWords(byteOffset &+ 16)
        return (w0, w1, w2, w3, w4, w5, w6, w7)
    }
    @inline(__always) static func &+ (a: Self, b: Self) -> Self { Self(a.v &+ b.v) }
    @inline(__always) static func ^ (a: Self, b: Self) -> Self { Self(a.v ^ b.v) }
    @inline(__always) static func & (a: Self, b: Self) -> Self { Self(a.v & b.v) }
    @inline(__always) static func | (a: Self, b: Self) -> Self { Self(a.v | b.v) }
    @inline(__always) static func &>> (a: Self, n: UInt32) -> Self { Self(a.v &>> n) }
    @inline(__always) static func &<< (a: Self, n: UInt32) -> Self { Self(a.v &<< n) }
}
#endif
