// The vector-permute AES-256-CTR (SpipedCryptoKernels/AESVectorPermute.swift)
// on XMM registers, one block per register: SSSE3's PSHUFB is the byte
// shuffle. This module alone is compiled with -mssse3 (and nothing newer),
// so it runs on every x86_64 CPU with SSSE3.
//
// Guarantees: constant-time and allocation-free as the generic kernel; a raw
// function with no policy: call it only when the CPU has SSSE3
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
}
