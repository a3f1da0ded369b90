// The one heap home for secret bytes (AES round keys, the spiped key K, the
// handshake's dk1 and dk2): allocated once, never moved or grown, wiped.
//
// Guarantees: the bytes live in exactly one 16-byte-aligned allocation made
// at init (no stale copy left behind by growth); `wipe()` and deinit
// overwrite them with `secureZero`. Copies of a value holding one share it,
// so wiping any copy wipes the secret for all of them, and there is exactly
// one place to wipe.

/// A fixed-size, zero-initialised buffer for secret bytes; zeroed on wipe and on deinit.
package final class SecretBuffer: @unchecked Sendable {
    // @unchecked Sendable: shared across threads only by SpipedKey, which
    // never writes after init.

    /// Start of the buffer (16-byte aligned).
    package let bytes: UnsafeMutableRawPointer
    /// Size of the buffer in bytes.
    package let byteCount: Int

    /// Allocates `byteCount` zeroed bytes.
    package init(byteCount: Int) {
        self.byteCount = byteCount
        bytes = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 16)
        bytes.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
    }

    /// The whole buffer, for copying in.
    package var buffer: UnsafeMutableRawBufferPointer { UnsafeMutableRawBufferPointer(start: bytes, count: byteCount) }

    /// Reads `range` of the secret inside `body`.
    package func withBytes<R, E: Error>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(buffer)[range]))
    }

    /// Reads the whole secret inside `body`.
    package func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(buffer))
    }

    /// Overwrites the whole buffer with zeros in a way the optimiser keeps.
    package func wipe() {
        secureZero(buffer)
    }

    deinit {
        wipe()
        bytes.deallocate()
    }
}
