// Eight HMAC-SHA256 computations at once in the 32-bit lanes of AVX2's YMM
// registers, bitsliced AES-256-CTR 16 blocks per pass, and vector-permute
// AES-256-CTR two blocks per register: SpipedCryptoKernels'
// generic code instantiated for the YMM words of AVX2Words.swift in this
// module, which alone is compiled with -mavx2.
//
// Guarantees: constant-time and allocation-free as the generic kernel;
// a raw function with no policy: call it only when the CPU and OS support
// AVX2 (SpipedCrypto's CryptoBackends checks) and `isCompiledIn` is true.
import SpipedCryptoKernels

/// AVX2 multi-buffer HMAC-SHA256 (8 lanes) and wide bitsliced AES.
///
/// Each kernel module has its own non-generic entry points (the SSE2 and
/// AVX-512 ones look the same): a generic entry would be specialized in the
/// caller's module, compiled without this module's flags.
public enum AVX2Lanes {
    /// Messages per call.
    public static let laneCount = 8

    /// Whether this build compiled the module for AVX2 (false with SPIPED_PORTABLE=1 and off x86_64).
    public static let isCompiledIn: Bool = {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        return true
        #else
        return false
        #endif
    }()

    /// The job's codes; its pointer arrays have 8 entries.
    @inline(never)
    public static func hmacSHA256(_ job: SHA256LaneJob) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        sha256HMACLanes(YMMWords.self, job)
        #else
        preconditionFailure("the AVX2 kernels are not compiled into this build")
        #endif
    }

    /// Bitsliced AES-256-CTR, 16 blocks per pass (YMM plane words):
    /// XORs `passes * 256` bytes of keystream into `buffer`.
    @inline(never)
    public static func aesCTR(roundKeys: UnsafePointer<UInt64>, nonce: UInt64, firstBlock: UInt64,
                              buffer: UnsafeMutableRawPointer, passes: Int) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        aesBitslicedCTR(YMMPlanes.self, roundKeys: roundKeys, nonce: nonce, firstBlock: firstBlock,
                        buffer: buffer, passes: passes)
        #else
        preconditionFailure("the AVX2 kernels are not compiled into this build")
        #endif
    }

    /// Vector-permute AES-256-CTR, two blocks per YMM register, eight in
    /// flight: XORs `blocks * 16` bytes of keystream into `buffer`.
    @inline(never)
    public static func aesVectorPermuteCTR(roundKeys: UnsafeRawPointer, tables: UnsafeRawPointer, nonce: UInt64,
                                           firstBlock: UInt64, buffer: UnsafeMutableRawPointer, blocks: Int) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        SpipedCryptoKernels.aesVectorPermuteCTR(YMMBytes.self, roundKeys: roundKeys, tables: tables, nonce: nonce,
                                                firstBlock: firstBlock, buffer: buffer, blocks: blocks)
        #else
        preconditionFailure("the AVX2 kernels are not compiled into this build")
        #endif
    }
}
