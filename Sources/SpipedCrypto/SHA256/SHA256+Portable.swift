// The SHA-256 block function (compression) in portable Swift: the generic
// rounds of SpipedCryptoKernels (FIPS 180-4 section 6.2.2) on one 32-bit
// word per variable, compiled here for the baseline CPU.
//
// Guarantees: processes any number of whole 64-byte blocks into the eight
// chaining words; no heap allocation (the 16-word message schedule lives in
// local variables, i.e. registers and stack); constant-time: no branch,
// loop bound or memory index depends on the data (only on `blockCount`,
// which is public), so it is safe for keyed (HMAC) use.
import SpipedCryptoKernels

extension SHA256 {
    /// Compresses `blockCount` consecutive 64-byte blocks at `blocks` into the
    /// chaining state `state` (H0...H7). Constant-time in the data.
    static func compressPortable(state: UnsafeMutablePointer<UInt32>, blocks: UnsafeRawPointer, blockCount: Int) {
        var s = SHA256State<UInt32>(broadcast: state)
        sha256CompressUnrolled(&s, blockCount: blockCount) { block, t in
            UInt32(bigEndian: blocks.loadUnaligned(fromByteOffset: block &* 64 &+ t &* 4, as: UInt32.self))
        }
        state[0] = s.h0; state[1] = s.h1; state[2] = s.h2; state[3] = s.h3
        state[4] = s.h4; state[5] = s.h5; state[6] = s.h6; state[7] = s.h7
    }
}
