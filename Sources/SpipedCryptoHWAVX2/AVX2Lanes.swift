// Eight HMAC-SHA256 computations at once in the 32-bit lanes of AVX2's YMM
// registers: SpipedCryptoKernels' generic lane code instantiated for
// SIMD8<UInt32> in this module, which alone is compiled with -mavx2.
//
// Guarantees: constant-time and allocation-free as the generic kernel;
// a raw function with no policy: call it only when the CPU and OS support
// AVX2 (SpipedCrypto's CryptoBackends checks) and `isCompiledIn` is true.
import SpipedCryptoKernels

/// AVX2 multi-buffer HMAC-SHA256 (8 lanes).
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
        sha256HMACLanes(SIMD8<UInt32>.self, job)
        #else
        preconditionFailure("the AVX2 kernels are not compiled into this build")
        #endif
    }
}
