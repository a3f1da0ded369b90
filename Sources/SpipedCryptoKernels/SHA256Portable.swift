// The portable SHA-256 block function: the unrolled generic rounds
// (SHA256Unrolled.swift) on one UInt32 per working variable, instantiated
// here rather than in SpipedCrypto because this module is compiled without
// a frame pointer (Package.swift): the rounds want every general register
// (8 working variables, 16 schedule words, the Maj carry, temporaries), and
// RBP as the 15th measured 2-3% faster.
//
// Guarantees: processes any number of whole 64-byte blocks, at any
// alignment, into the eight chaining words; no allocation (the schedule
// lives in registers and the stack); constant-time: no branch, loop bound
// or memory index depends on the data (only on `blockCount`, which is
// public), so it is safe for keyed (HMAC) use.

/// Compresses `blockCount` consecutive 64-byte blocks at `blocks` into
/// `state` (H0...H7), reading the message words big-endian.
@inline(never)
public func sha256CompressPortable(state: UnsafeMutablePointer<UInt32>, blocks: UnsafeRawPointer, blockCount: Int) {
    var s = SHA256State<UInt32>(broadcast: state)
    sha256CompressUnrolled(&s, blockCount: blockCount) { block, t in
        UInt32(bigEndian: blocks.loadUnaligned(fromByteOffset: block &* 64 &+ t &* 4, as: UInt32.self))
    }
    state[0] = s.h0; state[1] = s.h1; state[2] = s.h2; state[3] = s.h3
    state[4] = s.h4; state[5] = s.h5; state[6] = s.h6; state[7] = s.h7
}
