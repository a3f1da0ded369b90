// Heap storage for an expanded AES key, shared by the portable AES variants.
//
// Guarantees: the buffer is allocated once (at key expansion), never moves or
// grows, and is overwritten with zeros by `wipe()` and again when the last
// reference goes away (deinit). Keeping the round keys behind one reference
// means copies of a cipher value do not scatter secret copies over the stack,
// and there is exactly one place to wipe.
/// A fixed-size, 16-byte-aligned buffer holding round keys; zeroed on wipe and on deinit.
///
/// Copies of a cipher value share one `AESKeyMaterial`, so wiping any copy
/// wipes the key for all of them (as with a reference type).
final class AESKeyMaterial {
    /// Start of the buffer (16-byte aligned).
    let bytes: UnsafeMutableRawPointer
    /// Size of the buffer in bytes.
    let byteCount: Int

    /// Allocates `byteCount` zeroed bytes.
    init(byteCount: Int) {
        self.byteCount = byteCount
        bytes = UnsafeMutableRawPointer.allocate(byteCount: byteCount, alignment: 16)
        bytes.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
    }

    /// Overwrites the whole buffer with zeros in a way the optimiser keeps.
    func wipe() {
        aesSecureZero(bytes, byteCount)
    }

    deinit {
        wipe()
        bytes.deallocate()
    }
}

/// Zeroes `count` bytes at `pointer` through the project's `secureZero`
/// (stores the optimiser may not remove).
@inline(__always)
func aesSecureZero(_ pointer: UnsafeMutableRawPointer, _ count: Int) {
    secureZero(UnsafeMutableRawBufferPointer(start: pointer, count: count))
}

/// Zeroes a value held in a local variable (key expansion temporaries).
@inline(__always)
func aesSecureZero<T: BitwiseCopyable>(_ value: inout T) {
    withUnsafeMutableBytes(of: &value) { secureZero($0) }
}
