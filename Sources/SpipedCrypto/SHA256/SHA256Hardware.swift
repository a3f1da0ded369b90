// SHA-256 compression with the CPU's SHA extensions (x86 SHA-NI), through
// the raw kernel of SpipedCryptoHW; SHA256 calls it for `.hardware`.
//
// Guarantees: same contract as the portable block function (any number of
// whole 64-byte blocks, any alignment, no allocation, constant-time).
// Calling `compress` where `isSupported` is false is a programming error
// (SHA256 only selects `.hardware` after checking).
import SpipedCryptoHW

/// The SHA-256 compression function using the CPU's SHA extensions.
enum SHA256Hardware {
    /// Whether this CPU and build can run this variant and SPIPED_DISABLE does
    /// not hide it (false in builds made with `SPIPED_PORTABLE=1` and off x86_64).
    static var isSupported: Bool { CryptoBackends.current.features.contains(.shani) }

    /// Compresses `blockCount` 64-byte blocks at `blocks` into `state` (H0...H7).
    @inline(__always)
    static func compress(state: UnsafeMutablePointer<UInt32>, blocks: UnsafeRawPointer, blockCount: Int) {
        SHANI.compress(state: state, blocks: blocks, blockCount: blockCount)
    }

    /// Compresses two independent sequences of `blockCount` blocks each, interleaved.
    @inline(__always)
    static func compress2(stateA: UnsafeMutablePointer<UInt32>, blocksA: UnsafeRawPointer,
                          stateB: UnsafeMutablePointer<UInt32>, blocksB: UnsafeRawPointer, blockCount: Int) {
        SHANI.compress2(stateA: stateA, blocksA: blocksA, stateB: stateB, blocksB: blocksB, blockCount: blockCount)
    }
}
