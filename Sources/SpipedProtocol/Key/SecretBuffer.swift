// A fixed-size heap buffer for secret bytes that is wiped when released.
//
// Guarantees: the bytes live in exactly one allocation made at init (never
// reallocated, so no stale copy is left behind by growth); `wipe()` and
// deinit overwrite them with `secureZero`. The buffer never leaves this
// module: callers reach it only through `withBytes` closures.
import SpipedCrypto

/// Secret bytes in one allocation, zeroed on `wipe()` and on deinit.
final class SecretBuffer: @unchecked Sendable {
    // @unchecked Sendable: only SpipedKey shares one across threads, and it
    // never writes to it after init.

    /// The storage (count fixed at init).
    let bytes: UnsafeMutableRawBufferPointer

    /// Allocates `count` zero bytes.
    init(count: Int) {
        bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: count, alignment: 16)
        bytes.initializeMemory(as: UInt8.self, repeating: 0)
    }

    /// Allocates a copy of `source`.
    convenience init(copying source: UnsafeRawBufferPointer) {
        self.init(count: source.count)
        if let base = source.baseAddress, source.count > 0 {
            bytes.baseAddress.unsafelyUnwrapped.copyMemory(from: base, byteCount: source.count)
        }
    }

    /// Number of bytes held.
    var count: Int { bytes.count }

    /// Read access to bytes `range` (must lie inside the buffer).
    func withBytes<R, E: Error>(_ range: Range<Int>, _ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(rebasing: bytes[range]))
    }

    /// Read access to all bytes.
    func withBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try body(UnsafeRawBufferPointer(bytes))
    }

    /// Overwrites every byte with zero.
    func wipe() { secureZero(bytes) }

    deinit {
        secureZero(bytes)
        bytes.deallocate()
    }
}
