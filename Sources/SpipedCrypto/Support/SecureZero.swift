// Wiping secrets from memory in a way the optimizer may not remove.
//
// Guarantees: after `secureZero` returns, every byte of the given buffer is
// zero, and the stores are not elided even if the buffer is never read again
// (the usual "dead store" the compiler would otherwise drop).
//
// Limits (best effort, as in every language without a memory model for
// secrets): only the bytes you pass are wiped. Copies the compiler or the
// program made earlier -- registers, spilled stack slots, struct copies,
// the old storage of an Array that grew, pages swapped to disk -- are out of
// reach. Callers keep secrets in few, fixed places (inline tuples, buffers
// allocated once) so that wiping those places means something.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Overwrites every byte of `buffer` with zero; the stores survive optimization.
///
/// On Linux this calls the C library's `explicit_bzero`, on Darwin `memset_s`:
/// both are specified so the compiler may not remove them. Elsewhere a store
/// loop behind an optimization barrier is used.
public func secureZero(_ buffer: UnsafeMutableRawBufferPointer) {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return }
    #if canImport(Glibc) || canImport(Musl)
    explicit_bzero(base, buffer.count)
    #elseif canImport(Darwin)
    _ = memset_s(base, buffer.count, 0, buffer.count)
    #else
    opaqueZero(base, buffer.count)
    #endif
}

/// Overwrites every element of `bytes` with zero in place (the count is kept).
///
/// Only the array's current storage is wiped; if it was reallocated while it
/// grew, the earlier storage was freed without wiping.
public func secureZero(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { secureZero($0) }
}

/// Overwrites the raw bytes of a value held inline (a tuple of bytes, a
/// struct of integers) with zero. `T` must hold no references.
@inline(__always)
func secureZeroValue<T: BitwiseCopyable>(_ value: inout T) {
    withUnsafeMutableBytes(of: &value) { secureZero($0) }
}

/// Portable fallback: never inlined and never optimized, so the compiler
/// cannot see that the stores are dead and drop them.
@inline(never) @_optimize(none)
func opaqueZero(_ base: UnsafeMutableRawPointer, _ count: Int) {
    var i = 0
    while i < count {
        base.storeBytes(of: 0, toByteOffset: i, as: UInt8.self)
        i += 1
    }
}
