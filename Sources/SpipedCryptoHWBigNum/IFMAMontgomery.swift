// Montgomery multiplication of 2048-bit numbers held as 40 digits of 52 bits
// (radix 2^52, R = 2^2080) with AVX-512 IFMA: vpmadd52luq / vpmadd52huq add
// the low / high 52 bits of a 52x52-bit product to 64-bit lanes, eight lanes
// per instruction, so a whole row a * b_i (or n * m) is 5 + 5 instructions
// and carries wait in the spare 12 bits of each lane until the end.
//
// The method is word-serial Montgomery ("almost Montgomery multiplication":
// no final subtraction). For each digit b_i of b: add the low halves of
// a * b_i, pick m = t_0 * k0 mod 2^52 so that t_0 + lo(n_0 m) is divisible by
// 2^52, add the low halves of n * m, shift the lanes down one digit (the
// division by 2^52, the dropped lane's carry moving into the new lane 0), then
// add the high halves of both rows, which belong one digit up, i.e. exactly
// where the shift put their lanes. Then one carry pass normalises to 52-bit
// digits. References for the method: S. Gueron, V. Krasnov, "Accelerating Big
// Integer Arithmetic Using Intel IFMA Extensions", ARITH 2016; the bound below
// is the usual almost-Montgomery argument.
//
// Bound: with a, b < 2^2049 and n < 2^2048 odd, the result is
// (a b + m n) / 2^2080 < 2^2018 + n < 2^2049, so outputs can feed the next
// product without a final subtraction; the caller reduces once at the end.
// Lanes stay below 2^61 (at most 4 x 40 additions of < 2^52 plus carries).
//
// Guarantees (constant-time): fixed instruction sequence and addresses for
// every input value (no branch, no value-dependent index); the table scan
// reads every entry and keeps one with a mask built arithmetically and passed
// through an optimisation barrier. Digits must be < 2^52 on input (the
// instructions read only 52 bits of each lane); outputs are normalised.
// Call only when `HardwareFeatures.ifma` (SpipedCryptoHW) is true.
internal import SpipedCryptoHW
#if arch(x86_64) && !SPIPED_NO_INTRINSICS
internal import _Builtin_intrinsics.intel
#endif

/// Radix-2^52 Montgomery arithmetic on AVX-512 IFMA (2048-bit moduli).
public enum IFMAMontgomery {
    /// Digits per number: 40 x 52 = 2080 bits.
    public static let digitCount = 40
    /// The mask of one 52-bit digit.
    public static let digitMask: UInt64 = (1 << 52) - 1

    /// Whether the CPU and OS can run these kernels.
    public static var isSupported: Bool { HardwareFeatures.ifma }

    /// r = a * b * 2^-2080 mod n, almost reduced (r < 2^2049), for a, b < 2^2049
    /// with normalised digits, n odd below 2^2048 and k0 = -n^-1 mod 2^52.
    /// All buffers hold `digitCount` digits; `r` may alias `a` or `b`.
    /// Constant-time.
    public static func multiply(_ r: UnsafeMutablePointer<UInt64>, _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>,
                                modulus n: UnsafePointer<UInt64>, k0: UInt64) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        almostMontgomeryMultiply(r, a, b, n, k0)
        #endif
    }

    /// out = table[index] (each entry `digitCount` digits), reading all
    /// `entries` entries and keeping the wanted one by mask. Constant-time in `index`.
    public static func select(_ out: UnsafeMutablePointer<UInt64>, table: UnsafePointer<UInt64>, entries: Int, index: UInt64) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        maskedScan(out, table, entries, index)
        #endif
    }
}

#if arch(x86_64) && !SPIPED_NO_INTRINSICS
/// One ZMM register's worth: eight 64-bit lanes (`__m512i` imports as this).
typealias V512 = SIMD8<Int64>

@inline(__always) private func load8(_ p: UnsafePointer<UInt64>, _ k: Int) -> V512 {
    UnsafeRawPointer(p + 8 * k).loadUnaligned(as: V512.self)
}

@inline(__always) private func store8(_ v: V512, _ p: UnsafeMutablePointer<UInt64>, _ k: Int) {
    UnsafeMutableRawPointer(p + 8 * k).storeBytes(of: v, as: V512.self)
}

@inline(__always) private func splat(_ x: UInt64) -> V512 {
    _mm512_set1_epi64(Int64(bitPattern: x))
}

/// Keeps a secret-derived mask a mask (the optimiser cannot see through it).
@inline(never) @_optimize(none)
private func opaqueMask(_ word: UInt64) -> UInt64 { word }

@inline(__always)
private func almostMontgomeryMultiply(_ r: UnsafeMutablePointer<UInt64>, _ a: UnsafePointer<UInt64>, _ b: UnsafePointer<UInt64>,
                                      _ n: UnsafePointer<UInt64>, _ k0: UInt64) {
    let mask = IFMAMontgomery.digitMask
    let a0 = load8(a, 0), a1 = load8(a, 1), a2 = load8(a, 2), a3 = load8(a, 3), a4 = load8(a, 4)
    let n0 = load8(n, 0), n1 = load8(n, 1), n2 = load8(n, 2), n3 = load8(n, 3), n4 = load8(n, 4)
    let zero = V512(repeating: 0)
    // Lane i of the result takes lane i+1 of the first source; lane 7 takes
    // lane 0 of the second (index 8): a one-digit shift across registers.
    let down = V512(1, 2, 3, 4, 5, 6, 7, 8)
    let nLow = n[0], aLow = a[0]
    var t0 = zero, t1 = zero, t2 = zero, t3 = zero, t4 = zero
    // All of b is read before r is written (a and n sit in registers), so r may alias a or b.
    // The serial chain runs through lane 0 of t0 only, so it is kept short: m comes
    // from the scalar lane 0 plus lo(a_0 b_i) computed in a general register, and
    // t0's high halves are formed off the chain and added after the shift.
    for i in 0..<IFMAMontgomery.digitCount {
        let bScalar = b[i]
        let bi = splat(bScalar)
        let lane0 = UInt64(bitPattern: _mm_cvtsi128_si64(_mm512_castsi512_si128(t0)))
        let low = lane0 &+ ((aLow &* bScalar) & mask)
        let m = (low &* k0) & mask
        let mv = splat(m)
        let highA0 = _mm512_madd52hi_epu64(zero, a0, bi)
        t0 = _mm512_madd52lo_epu64(t0, a0, bi)
        t1 = _mm512_madd52lo_epu64(t1, a1, bi)
        t2 = _mm512_madd52lo_epu64(t2, a2, bi)
        t3 = _mm512_madd52lo_epu64(t3, a3, bi)
        t4 = _mm512_madd52lo_epu64(t4, a4, bi)
        let highN0 = _mm512_madd52hi_epu64(highA0, n0, mv)
        t0 = _mm512_madd52lo_epu64(t0, n0, mv)
        t1 = _mm512_madd52lo_epu64(t1, n1, mv)
        t2 = _mm512_madd52lo_epu64(t2, n2, mv)
        t3 = _mm512_madd52lo_epu64(t3, n3, mv)
        t4 = _mm512_madd52lo_epu64(t4, n4, mv)
        // Lane 0 is now a multiple of 2^52: drop it, keep its carry.
        let carry = (low &+ ((nLow &* m) & mask)) >> 52
        t0 = _mm512_permutex2var_epi64(t0, down, t1)
        t1 = _mm512_permutex2var_epi64(t1, down, t2)
        t2 = _mm512_permutex2var_epi64(t2, down, t3)
        t3 = _mm512_permutex2var_epi64(t3, down, t4)
        t4 = _mm512_permutex2var_epi64(t4, down, zero)
        t0 = _mm512_add_epi64(t0, _mm512_add_epi64(highN0, _mm512_maskz_set1_epi64(1, Int64(bitPattern: carry))))
        t1 = _mm512_madd52hi_epu64(t1, a1, bi)
        t2 = _mm512_madd52hi_epu64(t2, a2, bi)
        t3 = _mm512_madd52hi_epu64(t3, a3, bi)
        t4 = _mm512_madd52hi_epu64(t4, a4, bi)
        t1 = _mm512_madd52hi_epu64(t1, n1, mv)
        t2 = _mm512_madd52hi_epu64(t2, n2, mv)
        t3 = _mm512_madd52hi_epu64(t3, n3, mv)
        t4 = _mm512_madd52hi_epu64(t4, n4, mv)
    }
    store8(t0, r, 0); store8(t1, r, 1); store8(t2, r, 2); store8(t3, r, 3); store8(t4, r, 4)
    // Normalise: carry the spare high bits of each lane upward (one pass).
    var carry: UInt64 = 0
    for j in 0..<IFMAMontgomery.digitCount {
        let v = r[j] &+ carry
        r[j] = v & mask
        carry = v >> 52
    }
}

@inline(__always)
private func maskedScan(_ out: UnsafeMutablePointer<UInt64>, _ table: UnsafePointer<UInt64>, _ entries: Int, _ index: UInt64) {
    var o0 = V512(repeating: 0), o1 = o0, o2 = o0, o3 = o0, o4 = o0
    for e in 0..<entries {
        let d = UInt64(e) ^ index
        let nonzero = (d | (0 &- d)) >> 63          // 1 unless e == index
        let m = splat(opaqueMask(nonzero &- 1))     // all-ones for the wanted entry
        let entry = table + e * IFMAMontgomery.digitCount
        o0 |= load8(entry, 0) & m
        o1 |= load8(entry, 1) & m
        o2 |= load8(entry, 2) & m
        o3 |= load8(entry, 3) & m
        o4 |= load8(entry, 4) & m
    }
    store8(o0, out, 0); store8(o1, out, 1); store8(o2, out, 2); store8(o3, out, 3); store8(o4, out, 4)
}
#endif
