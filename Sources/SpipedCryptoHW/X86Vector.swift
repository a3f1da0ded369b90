// Small vector helpers shared by the AES-NI and SHA-NI kernels (x86_64 only).
//
// Why this file exists: the Clang intrinsics whose operand is an immediate
// (`_mm_shuffle_epi32`, `_mm_alignr_epi8`, `_mm_slli_si128`,
// `_mm_aeskeygenassist_si128`, ...) are C function-like macros, which Swift
// cannot import. Element shuffles written with Swift's SIMD types compile to
// the same single instructions (pshufd, palignr, pslldq: checked in the
// generated assembly), so those are spelled here once, as `@inline(__always)`
// functions. Loads and stores are unaligned (movdqu); nothing allocates.
// Guarantees: every helper is branch-free and data-independent in timing.
#if arch(x86_64) && !SPIPED_NO_INTRINSICS
internal import _Builtin_intrinsics.intel
#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// One 128-bit XMM value; the intrinsics import `__m128i` as this type.
typealias V128 = SIMD2<Int64>

/// Reinterprets 128 bits as four 32-bit lanes (lane 0 = lowest address).
@inline(__always) func lanes32(_ x: V128) -> SIMD4<UInt32> { unsafeBitCast(x, to: SIMD4<UInt32>.self) }
/// Reinterprets four 32-bit lanes as 128 bits.
@inline(__always) func v128(_ x: SIMD4<UInt32>) -> V128 { unsafeBitCast(x, to: V128.self) }
/// Reinterprets sixteen bytes as 128 bits.
@inline(__always) func v128(_ x: SIMD16<UInt8>) -> V128 { unsafeBitCast(x, to: V128.self) }

/// Loads 16 bytes from any address.
@inline(__always) func loadV128(_ p: UnsafeRawPointer, _ offset: Int = 0) -> V128 {
    p.loadUnaligned(fromByteOffset: offset, as: V128.self)
}
/// Stores 16 bytes to any address.
@inline(__always) func storeV128(_ x: V128, _ p: UnsafeMutableRawPointer, _ offset: Int = 0) {
    p.storeBytes(of: x, toByteOffset: offset, as: V128.self)
}

/// 32-bit lanes moved up one place, zero in lane 0 (pslldq $4).
@inline(__always) func shiftLanesUp1(_ x: V128) -> V128 {
    let a = lanes32(x); return v128(SIMD4(0, a[0], a[1], a[2]))
}
/// 32-bit lanes moved up two places, zeros in lanes 0-1 (pslldq $8).
@inline(__always) func shiftLanesUp2(_ x: V128) -> V128 {
    let a = lanes32(x); return v128(SIMD4(0, 0, a[0], a[1]))
}
/// Lane 3 copied into all four lanes (pshufd $0xff).
@inline(__always) func broadcastLane3(_ x: V128) -> V128 {
    v128(SIMD4(repeating: lanes32(x)[3]))
}
/// The high 64 bits moved to the low half (pshufd $0x4e).
@inline(__always) func swapHalves(_ x: V128) -> V128 {
    let a = lanes32(x); return v128(SIMD4(a[2], a[3], a[0], a[1]))
}
/// Lanes 1, 2, 3 of `low` then lane 0 of `high` (palignr $4: `_mm_alignr_epi8(high, low, 4)`).
@inline(__always) func alignLanes1(_ high: V128, _ low: V128) -> V128 {
    let a = lanes32(low), b = lanes32(high); return v128(SIMD4(a[1], a[2], a[3], b[0]))
}

/// Bitwise XOR (pxor).
@inline(__always) func xor(_ a: V128, _ b: V128) -> V128 { _mm_xor_si128(a, b) }

/// Overwrites `count` bytes at `p` with zeros through a call the optimiser
/// cannot drop (used for keystream temporaries that reach memory).
@inline(never)
func hwSecureZero(_ p: UnsafeMutableRawPointer, _ count: Int) {
    #if canImport(Darwin)
    _ = memset_s(p, count, 0, count)
    #else
    explicit_bzero(p, count)
    #endif
}
#endif
