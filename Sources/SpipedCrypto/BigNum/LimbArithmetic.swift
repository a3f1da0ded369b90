// Word-level building blocks for the 2048-bit arithmetic: add/subtract with
// carry over little-endian UInt64 limb vectors, mask-based selection, and the
// optimisation barrier that keeps masks from being turned back into branches.
//
// Guarantees (constant-time): every function here runs the same instructions
// and touches the same addresses whatever the limb values are; only the limb
// count (always public: 32, or a public length) decides the loop bounds.
// Masks are all-ones or all-zero words built arithmetically, never by `if`.

/// Number of 64-bit limbs in a 2048-bit number.
@usableFromInline let limbCount = 32

/// Returns `word` through a call the optimiser cannot see into, so a mask
/// derived from secret data stays a mask (and/or) instead of becoming a
/// compare-and-branch. Called a handful of times per Montgomery product,
/// which costs nothing measurable next to the 2,048 word multiplications.
@inline(never) @_optimize(none)
func opaqueWord(_ word: UInt64) -> UInt64 { word }

/// All-ones if `bit` (0 or 1) is 1, else zero.
@inline(__always)
func maskFromBit(_ bit: UInt64) -> UInt64 { 0 &- bit }

/// All-ones if `a == b`, else zero, without a branch (valid for any words).
@inline(__always)
func maskIfEqual(_ a: UInt64, _ b: UInt64) -> UInt64 {
    let d = a ^ b
    // (d | -d) has its top bit set iff d != 0.
    let nonzero = (d | (0 &- d)) >> 63
    return opaqueWord(nonzero &- 1)
}

/// a + b + carryIn, returning (sum, carryOut) with carries 0 or 1.
@inline(__always)
func addWithCarry(_ a: UInt64, _ b: UInt64, _ carry: UInt64) -> (UInt64, UInt64) {
    let (s1, c1) = a.addingReportingOverflow(b)
    let (s2, c2) = s1.addingReportingOverflow(carry)
    return (s2, UInt64(c1 ? 1 : 0) | UInt64(c2 ? 1 : 0))
}

/// a - b - borrowIn, returning (difference, borrowOut) with borrows 0 or 1.
@inline(__always)
func subtractWithBorrow(_ a: UInt64, _ b: UInt64, _ borrow: UInt64) -> (UInt64, UInt64) {
    let (d1, b1) = a.subtractingReportingOverflow(b)
    let (d2, b2) = d1.subtractingReportingOverflow(borrow)
    return (d2, UInt64(b1 ? 1 : 0) | UInt64(b2 ? 1 : 0))
}

/// r = a - b over `count` limbs; returns the final borrow (1 if a < b).
/// `r` may alias `a` or `b`.
@inline(__always)
func subtractLimbs(_ r: UnsafeMutablePointer<UInt64>, _ a: UnsafePointer<UInt64>,
                   _ b: UnsafePointer<UInt64>, count: Int) -> UInt64 {
    var borrow: UInt64 = 0
    for i in 0..<count {
        (r[i], borrow) = subtractWithBorrow(a[i], b[i], borrow)
    }
    return borrow
}

/// r = a + b over `count` limbs; returns the final carry. `r` may alias `a` or `b`.
@inline(__always)
func addLimbs(_ r: UnsafeMutablePointer<UInt64>, _ a: UnsafePointer<UInt64>,
              _ b: UnsafePointer<UInt64>, count: Int) -> UInt64 {
    var carry: UInt64 = 0
    for i in 0..<count {
        (r[i], carry) = addWithCarry(a[i], b[i], carry)
    }
    return carry
}

/// r = mask ? a : b, limb by limb (mask all-ones or zero). `r` may alias either.
@inline(__always)
func selectLimbs(_ r: UnsafeMutablePointer<UInt64>, mask: UInt64, _ a: UnsafePointer<UInt64>,
                 _ b: UnsafePointer<UInt64>, count: Int) {
    for i in 0..<count {
        r[i] = (a[i] & mask) | (b[i] & ~mask)
    }
}

/// Reduces x (held as `count` limbs plus a top word `high` that is 0 or 1)
/// from [0, 2n) into [0, n), with the subtraction always performed and the
/// result chosen by mask. `scratch` needs `count` limbs.
///
/// Constant-time: the same subtraction and selection run whatever x is.
@inline(__always)
func conditionalSubtract(_ x: UnsafeMutablePointer<UInt64>, high: UInt64, modulus n: UnsafePointer<UInt64>,
                         scratch: UnsafeMutablePointer<UInt64>, count: Int) {
    let borrow = subtractLimbs(scratch, x, n, count: count)
    // Keep x - n when x >= n: either the top word is set (x >= 2^(64*count) > n)
    // or the subtraction did not borrow.
    let mask = opaqueWord(maskFromBit(high | (borrow ^ 1)))
    selectLimbs(x, mask: mask, scratch, x, count: count)
}

/// x = 2x mod n for x < n (constant-time). `scratch` needs `count` limbs.
@inline(__always)
func modularDouble(_ x: UnsafeMutablePointer<UInt64>, modulus n: UnsafePointer<UInt64>,
                   scratch: UnsafeMutablePointer<UInt64>, count: Int) {
    var carry: UInt64 = 0
    for i in 0..<count {
        let word = x[i]
        x[i] = (word << 1) | carry
        carry = word >> 63
    }
    conditionalSubtract(x, high: carry, modulus: n, scratch: scratch, count: count)
}

/// r = (a + b) mod n for a, b < n (constant-time). `scratch` needs `count` limbs.
@inline(__always)
func modularAdd(_ r: UnsafeMutablePointer<UInt64>, _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>,
                modulus n: UnsafePointer<UInt64>, scratch: UnsafeMutablePointer<UInt64>, count: Int) {
    let carry = addLimbs(r, a, b, count: count)
    conditionalSubtract(r, high: carry, modulus: n, scratch: scratch, count: count)
}

/// Multiplicative inverse of an odd word modulo 2^64, negated: the n0' of
/// Montgomery reduction (m = t0 * n0' makes t0 + m*n0 divisible by 2^64).
/// Newton's iteration x <- x(2 - n x) doubles the number of correct low
/// bits; the start x = 3n xor 2 is already right in 5 bits, so 4 steps give
/// 80 >= 64. The modulus is public, so nothing here needs to be constant-time.
func negatedInverseModWord(_ n0: UInt64) -> UInt64 {
    var x = (3 &* n0) ^ 2
    for _ in 0..<4 { x = x &* (2 &- n0 &* x) }
    return 0 &- x
}
