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
