// The SHA-256 block function (compression) in portable Swift: the generic
// rounds of SpipedCryptoKernels (FIPS 180-4 section 6.2.2) on one 32-bit
// word per variable, compiled there for the baseline CPU
// (`sha256CompressPortable`, SpipedCryptoKernels/SHA256Portable.swift).
//
// Guarantees: processes any number of whole 64-byte blocks into the eight
// chaining words; no heap allocation; constant-time: no branch, loop bound
// or memory index depends on the data (only on `blockCount`, which is
// public), so it is safe for keyed (HMAC) use.
import SpipedCryptoKernels

extension SHA256 {
    /// Compresses `blockCount` consecutive 64-byte blocks at `blocks` into the
    /// chaining state `state` (H0...H7). Constant-time in the data.
    @inline(__always)
    static func compressPortable(state: UnsafeMutablePointer<UInt32>, blocks: UnsafeRawPointer, blockCount: Int) {
        sha256CompressPortable(state: state, blocks: blocks, blockCount: blockCount)
    }
}
