// Choosing the SHA-256 block function at run time: the CPU's SHA extensions
// (SHA256Hardware) when present, else scalar rounds with RORX/ANDN and a
// vector message schedule on AVX2 CPUs (SpipedCryptoHWAVX2SHA256), else the
// portable Swift code (SpipedCryptoKernels/SHA256Portable.swift).
//
// Guarantees: the choice is per value and made at init; a request for an
// implementation this machine cannot run yields the portable one, never a
// crash. Every call hands the chosen block function all whole blocks at
// once (one dispatch per update, not per block).

import SpipedCryptoHWAVX2SHA256
import SpipedCryptoKernels

extension SHA256 {
    /// The SHA-256 block functions this type can use.
    public enum Implementation: CaseIterable, Sendable {
        /// The CPU's SHA extensions (x86 SHA-NI); constant-time.
        case hardware
        /// Scalar rounds with BMI1/BMI2 beside a YMM message schedule, on
        /// CPUs with AVX2 (SpipedCryptoHWAVX2SHA256); constant-time.
        case avx2
        /// Portable Swift; constant-time.
        case portable
    }

    /// Whether `implementation` can run in this process (hardware needs the
    /// CPU feature and a build that includes the hardware kernel).
    public static func isAvailable(_ implementation: Implementation) -> Bool {
        switch implementation {
        case .hardware: return SHA256Hardware.isSupported
        case .avx2: return CryptoBackends.current.features.contains(.avx2)
        case .portable: return true
        }
    }

    /// The implementation ``init()`` uses: hardware when available, else
    /// avx2, else portable, as resolved once by ``CryptoBackends``
    /// (`SPIPED_SHA256=portable` gives portable, `SPIPED_DISABLE=shani` avx2
    /// where the CPU has it, `SPIPED_DISABLE=shani,avx2` portable).
    public static var preferredImplementation: Implementation { CryptoBackends.current.sha256 }

    /// Compresses `blockCount` whole blocks at `blocks` into `state`.
    @inline(__always)
    static func compress(_ state: inout ChainingState, blocks: UnsafeRawPointer, blockCount: Int,
                         _ implementation: Implementation) {
        withUnsafeMutablePointer(to: &state) { tuple in
            // A homogeneous tuple's memory is bound to its element type.
            let words = UnsafeMutableRawPointer(tuple).assumingMemoryBound(to: UInt32.self)
            switch implementation {
            case .hardware: SHA256Hardware.compress(state: words, blocks: blocks, blockCount: blockCount)
            case .avx2: AVX2SHA256.sha256Compress(state: words, blocks: blocks, blockCount: blockCount)
            case .portable: sha256CompressPortable(state: words, blocks: blocks, blockCount: blockCount)
            }
        }
    }

    /// Compresses two independent block sequences of `blockCount` blocks
    /// each, into their own states. The hardware kernel interleaves them
    /// (SHANI.compress2); the others run them one after the other.
    @inline(__always)
    static func compress2(_ stateA: inout ChainingState, blocks blocksA: UnsafeRawPointer,
                          _ stateB: inout ChainingState, blocks blocksB: UnsafeRawPointer,
                          blockCount: Int, _ implementation: Implementation) {
        switch implementation {
        case .hardware:
            withUnsafeMutablePointer(to: &stateA) { a in
                withUnsafeMutablePointer(to: &stateB) { b in
                    SHA256Hardware.compress2(stateA: UnsafeMutableRawPointer(a).assumingMemoryBound(to: UInt32.self),
                                             blocksA: blocksA,
                                             stateB: UnsafeMutableRawPointer(b).assumingMemoryBound(to: UInt32.self),
                                             blocksB: blocksB, blockCount: blockCount)
                }
            }
        case .avx2, .portable:
            compress(&stateA, blocks: blocksA, blockCount: blockCount, implementation)
            compress(&stateB, blocks: blocksB, blockCount: blockCount, implementation)
        }
    }

    /// Compresses the 64-byte inline block `block` into `state`.
    @inline(__always)
    static func compress(_ state: inout ChainingState, pendingBlock block: inout BlockStorage,
                         _ implementation: Implementation) {
        withUnsafeBytes(of: &block) { bytes in
            compress(&state, blocks: bytes.baseAddress.unsafelyUnwrapped, blockCount: 1, implementation)
        }
    }
}

