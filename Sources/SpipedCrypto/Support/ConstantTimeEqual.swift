// Comparing secrets (MACs) without leaking where they first differ.
//
// Guarantees (constant-time): for two buffers of equal length the running
// time depends only on that length, never on the contents: every byte pair
// is read and folded into one accumulator, with no early exit and no
// data-dependent branch or index. Lengths are treated as public: buffers of
// different length compare unequal at once.

/// Whether `a` and `b` hold the same bytes, in time that depends only on
/// their lengths (which are public).
public func constantTimeEqual(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
    guard a.count == b.count else { return false }
    var difference: UInt8 = 0
    for i in 0..<a.count {
        difference |= a[i] ^ b[i]
    }
    // Fold to one bit without a branch on the data; only the final
    // yes/no answer (which the caller acts on anyway) leaves the function.
    let folded = (UInt32(difference) &- 1) >> 8   // 0xFFFFFF if difference == 0, else 0
    return opaqueBit(folded & 1) == 1
}

/// Whether two byte arrays are equal, in time that depends only on their lengths.
public func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    a.withUnsafeBytes { ra in b.withUnsafeBytes { rb in constantTimeEqual(ra, rb) } }
}

/// Returns its argument through a call the optimizer cannot look into, so
/// the comparison loop above is not turned into an early-exit search.
@inline(never) @_optimize(none)
func opaqueBit(_ value: UInt32) -> UInt32 { value }
