// The AVX2 vector words for the generic kernels, each operation one
// intrinsic: four 64-bit AES plane lanes, two vector-permute AES blocks, or
// eight 32-bit SHA-256 lanes, in one YMM register. Why not SIMD4<UInt64> / SIMD8<UInt32>: Swift's SIMD
// bitwise operators are per-lane loops that LLVM re-vectorizes only in part
// (on the bitsliced S-box: slower than the scalar code); intrinsics are
// vector IR from the start.
//
// Guarantees: branch-free, data-independent timing; unaligned loads/stores.
#if arch(x86_64) && !SPIPED_NO_INTRINSICS
internal import _Builtin_intrinsics.intel
import SpipedCryptoKernels

struct YMMPlanes: AESPlaneWord {
    var v: SIMD4<Int64>                          // __m256i
    @inline(__always) init(_ v: SIMD4<Int64>) { self.v = v }
    @inline(__always) init(broadcast value: UInt64) { v = _mm256_set1_epi64x(Int64(bitPattern: value)) }
    static var laneCount: Int { 4 }
    @inline(__always) init(loading p: UnsafeRawPointer) { v = p.loadUnaligned(as: SIMD4<Int64>.self) }
    @inline(__always) func store(to p: UnsafeMutableRawPointer) { p.storeBytes(of: v, as: SIMD4<Int64>.self) }
    @inline(__always) static func ^ (a: Self, b: Self) -> Self { Self(_mm256_xor_si256(a.v, b.v)) }
    @inline(__always) static func & (a: Self, b: Self) -> Self { Self(_mm256_and_si256(a.v, b.v)) }
    @inline(__always) static func | (a: Self, b: Self) -> Self { Self(_mm256_or_si256(a.v, b.v)) }
    @inline(__always) static prefix func ~ (a: Self) -> Self { Self(_mm256_xor_si256(a.v, _mm256_set1_epi64x(-1))) }
    @inline(__always) static func & (a: Self, mask: UInt64) -> Self {
        Self(_mm256_and_si256(a.v, _mm256_set1_epi64x(Int64(bitPattern: mask))))
    }
    @inline(__always) static func &>> (a: Self, n: UInt64) -> Self { Self(_mm256_srli_epi64(a.v, Int32(n))) }
    @inline(__always) static func &<< (a: Self, n: UInt64) -> Self { Self(_mm256_slli_epi64(a.v, Int32(n))) }
}

/// Two AES blocks, one per 128-bit lane, for the vector-permute AES (VPSHUFB shuffles within each lane).
struct YMMBytes: AESByteShuffleWord {
    var v: SIMD4<Int64>                          // __m256i
    @inline(__always) init(_ v: SIMD4<Int64>) { self.v = v }
    static var blockCount: Int { 2 }
    @inline(__always) init(loading p: UnsafeRawPointer) { v = p.loadUnaligned(as: SIMD4<Int64>.self) }
    @inline(__always) init(lane p: UnsafeRawPointer) {
        v = _mm256_broadcastsi128_si256(p.loadUnaligned(as: SIMD2<Int64>.self))
    }
    @inline(__always) func store(to p: UnsafeMutableRawPointer) { p.storeBytes(of: v, as: SIMD4<Int64>.self) }
    @inline(__always) static func ^ (a: Self, b: Self) -> Self { Self(_mm256_xor_si256(a.v, b.v)) }
    @inline(__always) static func & (a: Self, b: Self) -> Self { Self(_mm256_and_si256(a.v, b.v)) }
    @inline(__always) func shiftedRight4() -> Self { Self(_mm256_srli_epi16(v, 4)) }
    @inline(__always) static func shuffle(_ table: Self, _ index: Self) -> Self { Self(_mm256_shuffle_epi8(table.v, index.v)) }
}

struct YMMWords: SHA256Word {
    var v: SIMD4<Int64>                          // __m256i
    @inline(__always) init(_ v: SIMD4<Int64>) { self.v = v }
    @inline(__always) init(broadcast value: UInt32) { v = _mm256_set1_epi32(Int32(bitPattern: value)) }
    static var laneCount: Int { 8 }
    @inline(__always) init(gathering word: (_ lane: Int) -> UInt32) {
        v = _mm256_set_epi32(Int32(bitPattern: word(7)), Int32(bitPattern: word(6)),
                             Int32(bitPattern: word(5)), Int32(bitPattern: word(4)),
                             Int32(bitPattern: word(3)), Int32(bitPattern: word(2)),
                             Int32(bitPattern: word(1)), Int32(bitPattern: word(0)))
    }
    @inline(__always) func lane(_ i: Int) -> UInt32 { unsafeBitCast(v, to: SIMD8<UInt32>.self)[i] }
    /// Rows, not words: each register takes four words of lane i in its low
    /// half and of lane i + 4 in its high half (two 16-byte loads), and a
    /// 4 x 4 transpose inside each half (eight unpacks) turns four such rows
    /// into four words of all eight lanes; one VPSHUFB per word swaps the
    /// bytes. Why: gathering a word lane by lane took seven VPINSRDs and an
    /// insert, on the same two shuffle ports the rotations' shifts need.
    @inline(__always) static func loadEightWords(_ lanes: UnsafePointer<UnsafeRawPointer>,
                                                 byteOffset: Int) -> (Self, Self, Self, Self, Self, Self, Self, Self) {
        let byteSwap = _mm256_set_epi8(12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3,
                                       12, 13, 14, 15, 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3)
        @inline(__always) func row(_ i: Int, _ offset: Int) -> SIMD4<Int64> {
            _mm256_set_m128i(lanes[i &+ 4].loadUnaligned(fromByteOffset: offset, as: SIMD2<Int64>.self),
                             lanes[i].loadUnaligned(fromByteOffset: offset, as: SIMD2<Int64>.self))
        }
        @inline(__always) func fourWords(_ offset: Int) -> (Self, Self, Self, Self) {
            let r0 = row(0, offset), r1 = row(1, offset), r2 = row(2, offset), r3 = row(3, offset)
            let t0 = _mm256_unpacklo_epi32(r0, r1), t1 = _mm256_unpackhi_epi32(r0, r1)   // [0 0 1 1], [2 2 3 3]
            let t2 = _mm256_unpacklo_epi32(r2, r3), t3 = _mm256_unpackhi_epi32(r2, r3)
            return (Self(_mm256_shuffle_epi8(_mm256_unpacklo_epi64(t0, t2), byteSwap)),
                    Self(_mm256_shuffle_epi8(_mm256_unpackhi_epi64(t0, t2), byteSwap)),
                    Self(_mm256_shuffle_epi8(_mm256_unpacklo_epi64(t1, t3), byteSwap)),
                    Self(_mm256_shuffle_epi8(_mm256_unpackhi_epi64(t1, t3), byteSwap)))
        }
        let (w0, w1, w2, w3) = fourWords(byteOffset)
        let (w4, w5, w6, w7) = fourWords(byteOffset &+ 16)
        return (w0, w1, w2, w3, w4, w5, w6, w7)
    }
    @inline(__always) static func &+ (a: Self, b: Self) -> Self { Self(_mm256_add_epi32(a.v, b.v)) }
    @inline(__always) static func ^ (a: Self, b: Self) -> Self { Self(_mm256_xor_si256(a.v, b.v)) }
    @inline(__always) static func & (a: Self, b: Self) -> Self { Self(_mm256_and_si256(a.v, b.v)) }
    @inline(__always) static func | (a: Self, b: Self) -> Self { Self(_mm256_or_si256(a.v, b.v)) }
    @inline(__always) static func &>> (a: Self, n: UInt32) -> Self { Self(_mm256_srli_epi32(a.v, Int32(n))) }
    @inline(__always) static func &<< (a: Self, n: UInt32) -> Self { Self(_mm256_slli_epi32(a.v, Int32(n))) }
    /// Rotations as shift pairs joined by OR (on these intrinsics LLVM keeps
    /// them as two shifts and an OR): one operation fewer per sigma than the
    /// nested-shift form and a shorter dependency chain; measured 3-5% faster
    /// on the 8-lane HMAC here (Zen 4). SSE2 keeps the nested form: its
    /// two-operand instructions need a register copy per shift pair.
    @inline(__always) static func rot(_ x: Self, _ n: Int32) -> Self {
        Self(_mm256_or_si256(_mm256_srli_epi32(x.v, n), _mm256_slli_epi32(x.v, 32 - n)))
    }
    @inline(__always) static func bigSigma0(_ x: Self) -> Self { rot(x, 2) ^ rot(x, 13) ^ rot(x, 22) }
    @inline(__always) static func bigSigma1(_ x: Self) -> Self { rot(x, 6) ^ rot(x, 11) ^ rot(x, 25) }
    @inline(__always) static func smallSigma0(_ x: Self) -> Self { rot(x, 7) ^ rot(x, 18) ^ (x &>> 3) }
    @inline(__always) static func smallSigma1(_ x: Self) -> Self { rot(x, 17) ^ rot(x, 19) ^ (x &>> 10) }
}
#endif

