// Two constant-time AES-256-CTR kernels on XMM registers, both needing
// SSSE3's PSHUFB byte shuffle: the vector-permute AES
// (SpipedCryptoKernels/AESVectorPermute.swift), one block per register, and
// the byte-layout bitsliced AES (SpipedCryptoKernels/AESByteslicedCTR.swift),
// 8 blocks as 8 bit planes, where PSHUFB fetches MixColumns' other rows in
// one instruction per plane (ShiftRows is folded into those shuffles). This
// module alone is compiled with -mssse3 (and nothing newer), so it runs on
// every x86_64 CPU with SSSE3.
//
// Guarantees: constant-time and allocation-free as the generic kernels; raw
// functions with no policy: call them only when the CPU has SSSE3
// (SpipedCrypto's CryptoBackends checks) and `isCompiledIn` is true.
import SpipedCryptoKernels
#if arch(x86_64) && !SPIPED_NO_INTRINSICS
internal import _Builtin_intrinsics.intel

struct XMMBytes: AESByteShuffleWord {
    var v: SIMD2<Int64>                          // __m128i
    @inline(__always) init(_ v: SIMD2<Int64>) { self.v = v }
    static var blockCount: Int { 1 }
    @inline(__always) init(loading p: UnsafeRawPointer) { v = p.loadUnaligned(as: SIMD2<Int64>.self) }
    @inline(__always) init(lane p: UnsafeRawPointer) { v = p.loadUnaligned(as: SIMD2<Int64>.self) }
    @inline(__always) func store(to p: UnsafeMutableRawPointer) { p.storeBytes(of: v, as: SIMD2<Int64>.self) }
    @inline(__always) static func ^ (a: Self, b: Self) -> Self { Self(_mm_xor_si128(a.v, b.v)) }
    @inline(__always) static func & (a: Self, b: Self) -> Self { Self(_mm_and_si128(a.v, b.v)) }
    @inline(__always) func shiftedRight4() -> Self { Self(_mm_srli_epi16(v, 4)) }
    @inline(__always) static func shuffle(_ table: Self, _ index: Self) -> Self { Self(_mm_shuffle_epi8(table.v, index.v)) }
}

/// A bit plane of 8 blocks for the byte-layout bitsliced AES. Its Boolean
/// operators repeat SSE2's `XMMPlanes` on purpose: a word type is compiled
/// by its own module, with that module's flags, and sharing one would mean
/// public inlinable intrinsics in the SSE2 module's interface.
struct XMMBytePlanes: AESBytePlaneWord {
    var v: SIMD2<Int64>                          // __m128i
    @inline(__always) init(_ v: SIMD2<Int64>) { self.v = v }
    @inline(__always) init(broadcast value: UInt64) { v = _mm_set1_epi64x(Int64(bitPattern: value)) }
    static var laneCount: Int { 2 }
    @inline(__always) init(loading p: UnsafeRawPointer) { v = p.loadUnaligned(as: SIMD2<Int64>.self) }
    @inline(__always) init(bytes p: UnsafeRawPointer) { v = p.loadUnaligned(as: SIMD2<Int64>.self) }
    @inline(__always) init(alignedBytes p: UnsafeRawPointer) { v = p.load(as: SIMD2<Int64>.self) }
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
    @inline(__always) func shuffled(_ index: Self) -> Self { Self(_mm_shuffle_epi8(v, index.v)) }
}
#endif

/// SSSE3 kernels.
public enum SSSE3Lanes {
    /// Whether this build compiled the module for SSSE3 (false with SPIPED_PORTABLE=1 and off x86_64).
    public static let isCompiledIn: Bool = {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        return true
        #else
        return false
        #endif
    }()

    /// Vector-permute AES-256-CTR, one block per XMM register, four in flight:
    /// XORs `blocks * 16` bytes of keystream into `buffer`.
    @inline(never)
    public static func aesCTR(roundKeys: UnsafeRawPointer, tables: UnsafeRawPointer, nonce: UInt64, firstBlock: UInt64,
                              buffer: UnsafeMutableRawPointer, blocks: Int) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        aesVectorPermuteCTR(XMMBytes.self, roundKeys: roundKeys, tables: tables, nonce: nonce, firstBlock: firstBlock,
                            buffer: buffer, blocks: blocks)
        #else
        preconditionFailure("the SSSE3 kernels are not compiled into this build")
        #endif
    }

    /// Bitsliced AES-256-CTR over byte-layout planes, 8 blocks per pass:
    /// XORs `passes * 128` bytes of keystream into `buffer`; `roundKeys` from
    /// `aesByteslicedPrepareRoundKeys`, `counterTable` (optional) from
    /// ``aesByteslicedPrepareCounterTable(roundKeys:into:)``.
    @inline(never)
    public static func aesByteslicedCTR(roundKeys: UnsafeRawPointer, counterTable: UnsafeRawPointer?, nonce: UInt64,
                                        firstBlock: UInt64, buffer: UnsafeMutableRawPointer, passes: Int) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        SpipedCryptoKernels.aesByteslicedCTR(XMMBytePlanes.self, roundKeys: roundKeys, counterTable: counterTable,
                                             nonce: nonce, firstBlock: firstBlock, buffer: buffer, passes: passes)
        #else
        preconditionFailure("the SSSE3 kernels are not compiled into this build")
        #endif
    }

    /// The bitsliced kernel's counter table (`aesByteslicedCounterTableByteCount`
    /// bytes at a 16-byte-aligned `table`) from its round keys.
    @inline(never)
    public static func aesByteslicedPrepareCounterTable(roundKeys: UnsafeRawPointer, into table: UnsafeMutableRawPointer) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        SpipedCryptoKernels.aesByteslicedPrepareCounterTable(XMMBytePlanes.self, roundKeys: roundKeys, into: table)
        #else
        preconditionFailure("the SSSE3 kernels are not compiled into this build")
        #endif
    }
}
