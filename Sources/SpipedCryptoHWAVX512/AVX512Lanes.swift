// Sixteen HMAC-SHA256 computations at once in the 32-bit lanes of AVX-512 ZMM
// registers, and bitsliced AES-256-CTR 32 blocks per pass: SpipedCryptoKernels'
// generic code instantiated for the ZMM words of AVX512Words.swift
// (SIMD16<UInt32>, which LLVM vectorizes cleanly here, with row loads) and
// its ZMM plane words, in this module, which
// alone is compiled with -mavx512f
// (rotations are single VPROLD instructions, three-input XORs VPTERNLOGD).
//
// Guarantees: constant-time and allocation-free as the generic kernel;
// a raw function with no policy: call it only when the CPU and OS support
// AVX-512F (SpipedCrypto's CryptoBackends checks) and `isCompiledIn` is true.
import SpipedCryptoKernels

/// AVX-512 multi-buffer HMAC-SHA256 (16 lanes).
public enum AVX512Lanes {
    /// Messages per call.
    public static let laneCount = 16

    /// Whether this build compiled the module for AVX-512F (false with SPIPED_PORTABLE=1 and off x86_64).
    public static let isCompiledIn: Bool = {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        return true
        #else
        return false
        #endif
    }()

    /// The job's codes; its pointer arrays have 16 entries.
    @inline(never)
    public static func hmacSHA256(_ job: SHA256LaneJob) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        sha256HMACLanes(ZMMWords.self, job)
        #else
        preconditionFailure("the AVX-512 kernels are not compiled into this build")
        #endif
    }

    /// Bitsliced AES-256-CTR, 32 blocks per pass (ZMM plane words):
    /// XORs `passes * 512` bytes of keystream into `buffer`.
    @inline(never)
    public static func aesCTR(roundKeys: UnsafePointer<UInt64>, nonce: UInt64, firstBlock: UInt64,
                              buffer: UnsafeMutableRawPointer, passes: Int) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        aesBitslicedCTR(ZMMPlanes.self, roundKeys: roundKeys, nonce: nonce, firstBlock: firstBlock,
                        buffer: buffer, passes: passes)
        #else
        preconditionFailure("the AVX512 kernels are not compiled into this build")
        #endif
    }
}
