// The AES S-box and inverse S-box as Boolean circuits over bit planes, for the
// bitsliced constant-time AES (SpipedCrypto's AES256ConstantTime), written
// once over the plane word: `UInt64` holds one bit position of 64 bytes
// (4 blocks); `SIMD2/4/8<UInt64>` hold 2, 4 or 8 such groups side by side
// (8, 16 or 32 blocks per pass), instantiated by the module whose vector
// unit runs them (`@inlinable`, so each compiles this with its own flags).
//
// Constant time: both functions below are straight-line code made only of
// XOR, AND and NOT on the plane words: no branch, no loop, no memory access
// that depends on the data.
//
// Circuits (published; transcribed here as equations, checked against the
// S-box computed from the field arithmetic for all 256 inputs):
// - Forward: the small S-box straight-line program of J. Boyar and
//   R. Peralta (115 gates as listed: 32 AND, 79 XOR, 4 XNOR), from "A new
//   combinational logic minimization technique with applications to
//   cryptology", SEA 2010, LNCS 6049; listing "AES_SBox.txt" in the Circuit
//   Minimization Team collection, http://www.cs.yale.edu/homes/peralta/CircuitStuff/CMT.html
// - Inverse: the depth-16 inverse S-box of Boyar-Peralta, ePrint 2011/332,
//   Figures 6 (top linear map), 7 (shared middle, with D = Y5) and 9 (bottom).
// In both papers U0/S0 is the most significant bit of the byte, so U0 is
// plane 7 and U7 is plane 0 here.

/// A plane word: 64 bits, or several 64-bit lanes that each hold their own
/// group of 4 blocks (every operation is lane-wise).
public protocol AESPlaneWord {
    static func ^ (a: Self, b: Self) -> Self
    static func & (a: Self, b: Self) -> Self
    static func | (a: Self, b: Self) -> Self
    static prefix func ~ (a: Self) -> Self
    static func & (a: Self, mask: UInt64) -> Self
    static func &>> (a: Self, n: UInt64) -> Self
    static func &<< (a: Self, n: UInt64) -> Self
    /// `value` in every lane.
    init(broadcast value: UInt64)
    /// 64-bit lanes in one word.
    static var laneCount: Int { get }
    /// `laneCount` native 64-bit words from `p` (any alignment), lane 0 first.
    init(loading p: UnsafeRawPointer)
    /// Writes the lanes to `p` (any alignment), lane 0 first.
    func store(to p: UnsafeMutableRawPointer)
}

extension UInt64: AESPlaneWord {
    @inlinable @inline(__always) public init(broadcast value: UInt64) { self = value }
    @inlinable public static var laneCount: Int { 1 }
    @inlinable @inline(__always) public init(loading p: UnsafeRawPointer) { self = p.loadUnaligned(as: UInt64.self) }
    @inlinable @inline(__always) public func store(to p: UnsafeMutableRawPointer) { p.storeBytes(of: self, as: UInt64.self) }
}

/// Swift's SIMD types as plane words: the portable wide form (aarch64 and
/// builds without intrinsics). Their bitwise operators are per-lane loops that
/// LLVM has to re-vectorize, which it does only in part for the S-box circuit,
/// so on x86_64 the kernel modules use intrinsic-backed words instead.
extension SIMD2: AESPlaneWord where Scalar == UInt64 {
    @inlinable @inline(__always) public init(broadcast value: UInt64) { self.init(repeating: value) }
    @inlinable public static var laneCount: Int { 2 }
    @inlinable @inline(__always) public init(loading p: UnsafeRawPointer) { self = p.loadUnaligned(as: Self.self) }
    @inlinable @inline(__always) public func store(to p: UnsafeMutableRawPointer) { p.storeBytes(of: self, as: Self.self) }
}

/// Eight plane words. In bitsliced form `q_b` holds bit `b` (0 = least
/// significant) of 64 bytes per lane; before packing and after unpacking the
/// same struct simply carries 64 bytes of blocks per lane as little-endian words.
@frozen public struct AESPlanes<W: AESPlaneWord> {
    public var q0: W, q1: W, q2: W, q3: W
    public var q4: W, q5: W, q6: W, q7: W

    /// All zero.
    @inlinable @inline(__always)
    public init() {
        let zero = W(broadcast: 0)
        q0 = zero; q1 = zero; q2 = zero; q3 = zero; q4 = zero; q5 = zero; q6 = zero; q7 = zero
    }

    @inlinable @inline(__always)
    public init(_ q0: W, _ q1: W, _ q2: W, _ q3: W, _ q4: W, _ q5: W, _ q6: W, _ q7: W) {
        self.q0 = q0; self.q1 = q1; self.q2 = q2; self.q3 = q3
        self.q4 = q4; self.q5 = q5; self.q6 = q6; self.q7 = q7
    }

    /// Applies the AES S-box to every byte slot (constant time).
    @inlinable @inline(__always)
    public mutating func substitute() {
        substituteWithoutAffineConstant()
        q0 = ~q0; q1 = ~q1; q5 = ~q5; q6 = ~q6           // + 0x63
    }

    /// The S-box without its affine constant 0x63 (the four XNORs of the
    /// circuit become XORs). Why: ShiftRows and MixColumns map a state of
    /// all-0x63 bytes to itself, so a kernel may add the constant with the
    /// next round key instead, four operations fewer per round.
    @inlinable @inline(__always)
    public mutating func substituteWithoutAffineConstant() {
        let x0 = q7, x1 = q6, x2 = q5, x3 = q4, x4 = q3, x5 = q2, x6 = q1, x7 = q0

        // Top linear transformation (23 XOR).
        let y14 = x3 ^ x5, y13 = x0 ^ x6, y9 = x0 ^ x3, y8 = x0 ^ x5
        let t0 = x1 ^ x2, y1 = t0 ^ x7, y4 = y1 ^ x3, y12 = y13 ^ y14
        let y2 = y1 ^ x0, y5 = y1 ^ x6, y3 = y5 ^ y8, t1 = x4 ^ y12
        let y15 = t1 ^ x5, y20 = t1 ^ x1, y6 = y15 ^ x7, y10 = y15 ^ t0
        let y11 = y20 ^ y9, y7 = x7 ^ y11, y17 = y10 ^ y11, y19 = y10 ^ y8
        let y16 = t0 ^ y11, y21 = y13 ^ y16, y18 = x0 ^ y16

        // Middle, non-linear part: inversion in GF(2^8) via GF(2^4).
        let t2 = y12 & y15, t3 = y3 & y6, t4 = t3 ^ t2, t5 = y4 & x7
        let t6 = t5 ^ t2, t7 = y13 & y16, t8 = y5 & y1, t9 = t8 ^ t7
        let t10 = y2 & y7, t11 = t10 ^ t7, t12 = y9 & y11, t13 = y14 & y17
        let t14 = t13 ^ t12, t15 = y8 & y10, t16 = t15 ^ t12, t17 = t4 ^ t14
        let t18 = t6 ^ t16, t19 = t9 ^ t14, t20 = t11 ^ t16, t21 = t17 ^ y20
        let t22 = t18 ^ y19, t23 = t19 ^ y21, t24 = t20 ^ y18
        let t25 = t21 ^ t22, t26 = t21 & t23, t27 = t24 ^ t26, t28 = t25 & t27
        let t29 = t28 ^ t22, t30 = t23 ^ t24, t31 = t22 ^ t26, t32 = t31 & t30
        let t33 = t32 ^ t24, t34 = t23 ^ t33, t35 = t27 ^ t33, t36 = t24 & t35
        let t37 = t36 ^ t34, t38 = t27 ^ t36, t39 = t29 & t38, t40 = t25 ^ t39
        let t41 = t40 ^ t37, t42 = t29 ^ t33, t43 = t29 ^ t40, t44 = t33 ^ t37
        let t45 = t42 ^ t41
        let z0 = t44 & y15, z1 = t37 & y6, z2 = t33 & x7, z3 = t43 & y16
        let z4 = t40 & y1, z5 = t29 & y7, z6 = t42 & y11, z7 = t45 & y17
        let z8 = t41 & y10, z9 = t44 & y12, z10 = t37 & y3, z11 = t33 & y4
        let z12 = t43 & y13, z13 = t40 & y5, z14 = t29 & y2, z15 = t42 & y9
        let z16 = t45 & y14, z17 = t41 & y8

        // Bottom linear transformation (the circuit's XNORs for s1, s2, s6,
        // s7 are XORs here; substitute() adds the constant).
        let t46 = z15 ^ z16, t47 = z10 ^ z11, t48 = z5 ^ z13, t49 = z9 ^ z10
        let t50 = z2 ^ z12, t51 = z2 ^ z5, t52 = z7 ^ z8, t53 = z0 ^ z3
        let t54 = z6 ^ z7, t55 = z16 ^ z17, t56 = z12 ^ t48, t57 = t50 ^ t53
        let t58 = z4 ^ t46, t59 = z3 ^ t54, t60 = t46 ^ t57, t61 = z14 ^ t57
        let t62 = t52 ^ t58, t63 = t49 ^ t58, t64 = z4 ^ t59, t65 = t61 ^ t62
        let t66 = z1 ^ t63
        let s0 = t59 ^ t63, s6 = t56 ^ t62, s7 = t48 ^ t60, t67 = t64 ^ t65
        let s3 = t53 ^ t66, s4 = t51 ^ t66, s5 = t47 ^ t65, s1 = t64 ^ s3
        let s2 = t55 ^ t67

        q7 = s0; q6 = s1; q5 = s2; q4 = s3; q3 = s4; q2 = s5; q1 = s6; q0 = s7
    }

    /// Applies the inverse AES S-box to every byte slot (constant time).
    @inlinable @inline(__always)
    public mutating func substituteInverse() {
        let u0 = q7, u1 = q6, u2 = q5, u3 = q4, u4 = q3, u5 = q2, u6 = q1, u7 = q0

        // Top linear transformation for the inverse (Figure 6).
        let t23 = u0 ^ u3, t22 = ~(u1 ^ u3), t2 = ~(u0 ^ u1), t1 = u3 ^ u4
        let t24 = ~(u4 ^ u7), r5 = u6 ^ u7, t8 = ~(u1 ^ t23), t19 = t22 ^ r5
        let t9 = ~(u7 ^ t1), t10 = t2 ^ t24, t13 = t2 ^ r5, t3 = t1 ^ r5
        let t25 = ~(u2 ^ t1), r13 = u1 ^ u6, t17 = ~(u2 ^ t19), t20 = t24 ^ r13
        let t4 = u4 ^ t8, r17 = ~(u2 ^ u5), r18 = ~(u5 ^ u6), r19 = ~(u2 ^ u4)
        let y5 = u0 ^ r17, t6 = t22 ^ r17, t16 = r13 ^ r19, t27 = t1 ^ r18
        let t15 = t10 ^ t27, t14 = t10 ^ r18, t26 = t3 ^ t16
        let d = y5

        // Shared non-linear middle (Figure 7).
        let m1 = t13 & t6, m2 = t23 & t8, m3 = t14 ^ m1, m4 = t19 & d
        let m5 = m4 ^ m1, m6 = t3 & t16, m7 = t22 & t9, m8 = t26 ^ m6
        let m9 = t20 & t17, m10 = m9 ^ m6, m11 = t1 & t15, m12 = t4 & t27
        let m13 = m12 ^ m11, m14 = t2 & t10, m15 = m14 ^ m11, m16 = m3 ^ m2
        let m17 = m5 ^ t24, m18 = m8 ^ m7, m19 = m10 ^ m15, m20 = m16 ^ m13
        let m21 = m17 ^ m15, m22 = m18 ^ m13, m23 = m19 ^ t25, m24 = m22 ^ m23
        let m25 = m22 & m20, m26 = m21 ^ m25, m27 = m20 ^ m21, m28 = m23 ^ m25
        let m29 = m28 & m27, m30 = m26 & m24, m31 = m20 & m23, m32 = m27 & m31
        let m33 = m27 ^ m25, m34 = m21 & m22, m35 = m24 & m34, m36 = m24 ^ m25
        let m37 = m21 ^ m29, m38 = m32 ^ m33, m39 = m23 ^ m30, m40 = m35 ^ m36
        let m41 = m38 ^ m40, m42 = m37 ^ m39, m43 = m37 ^ m38, m44 = m39 ^ m40
        let m45 = m42 ^ m41
        let m46 = m44 & t6, m47 = m40 & t8, m48 = m39 & d, m49 = m43 & t16
        let m50 = m38 & t9, m51 = m37 & t17, m52 = m42 & t15, m53 = m45 & t27
        let m54 = m41 & t10, m55 = m44 & t13, m56 = m40 & t23, m57 = m39 & t19
        let m58 = m43 & t3, m59 = m38 & t22, m60 = m37 & t20, m61 = m42 & t1
        let m62 = m45 & t4, m63 = m41 & t2

        // Bottom linear transformation for the inverse (Figure 9).
        let p0 = m52 ^ m61, p1 = m58 ^ m59, p2 = m54 ^ m62, p3 = m47 ^ m50
        let p4 = m48 ^ m56, p5 = m46 ^ m51, p6 = m49 ^ m60, p7 = p0 ^ p1
        let p8 = m50 ^ m53, p9 = m55 ^ m63, p10 = m57 ^ p4, p11 = p0 ^ p3
        let p12 = m46 ^ m48, p13 = m49 ^ m51, p14 = m49 ^ m62, p15 = m54 ^ m59
        let p16 = m57 ^ m61, p17 = m58 ^ p2, p18 = m63 ^ p5, p19 = p2 ^ p3
        let p20 = p4 ^ p6, p22 = p2 ^ p7, p23 = p7 ^ p8, p24 = p5 ^ p7
        let p25 = p6 ^ p10, p26 = p9 ^ p11, p27 = p10 ^ p18, p28 = p11 ^ p25
        let p29 = p15 ^ p20

        q7 = p13 ^ p22; q6 = p26 ^ p29; q5 = p17 ^ p28; q4 = p12 ^ p22
        q3 = p23 ^ p27; q2 = p19 ^ p24; q1 = p14 ^ p23; q0 = p9 ^ p16
    }
}
