// The SHA-256 block function (compression) in portable Swift, per FIPS 180-4
// section 6.2.2, with the round constants of section 4.2.2.
//
// Guarantees: processes any number of whole 64-byte blocks into the eight
// chaining words; no heap allocation (the 16-word message schedule lives in
// local variables, i.e. registers and stack); constant-time: no branch,
// loop bound or memory index depends on the data (only on `blockCount`,
// which is public), so it is safe for keyed (HMAC) use.

/// FIPS 180-4 section 4.2.2: the first 32 bits of the fractional parts of
/// the cube roots of the first 64 primes.
let sha256RoundConstants: [UInt32] = [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
]

@inline(__always) private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 { (x &>> n) | (x &<< (32 &- n)) }
/// FIPS 180-4 (4.4)-(4.7).
@inline(__always) private func bigSigma0(_ x: UInt32) -> UInt32 { rotr(x, 2) ^ rotr(x, 13) ^ rotr(x, 22) }
@inline(__always) private func bigSigma1(_ x: UInt32) -> UInt32 { rotr(x, 6) ^ rotr(x, 11) ^ rotr(x, 25) }
@inline(__always) private func smallSigma0(_ x: UInt32) -> UInt32 { rotr(x, 7) ^ rotr(x, 18) ^ (x &>> 3) }
@inline(__always) private func smallSigma1(_ x: UInt32) -> UInt32 { rotr(x, 17) ^ rotr(x, 19) ^ (x &>> 10) }

/// One round. Instead of shifting the eight working variables each round,
/// the caller rotates which variable plays which role, so only `d` and `h`
/// change: d += T1, h = T1 + T2 (the new "e" and "a").
@inline(__always)
private func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                   _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32, _ kw: UInt32) {
    let t1 = h &+ bigSigma1(e) &+ (g ^ (e & (f ^ g))) &+ kw          // Ch(e,f,g)
    d &+= t1
    h = t1 &+ bigSigma0(a) &+ ((a & b) | (c & (a | b)))               // Maj(a,b,c)
}

@inline(__always)
private func loadBigEndian(_ p: UnsafeRawPointer, _ word: Int) -> UInt32 {
    UInt32(bigEndian: p.loadUnaligned(fromByteOffset: word &* 4, as: UInt32.self))
}

extension SHA256 {
    /// Compresses `blockCount` consecutive 64-byte blocks at `blocks` into the
    /// chaining state `state` (H0...H7). Constant-time in the data.
    static func compressPortable(state: UnsafeMutablePointer<UInt32>, blocks: UnsafeRawPointer, blockCount: Int) {
        sha256RoundConstants.withUnsafeBufferPointer { constants in
            guard let k0 = constants.baseAddress, blockCount > 0 else { return }
            var h0 = state[0], h1 = state[1], h2 = state[2], h3 = state[3]
            var h4 = state[4], h5 = state[5], h6 = state[6], h7 = state[7]
            var p = blocks
            for _ in 0..<blockCount {
                var w0 = loadBigEndian(p, 0), w1 = loadBigEndian(p, 1), w2 = loadBigEndian(p, 2), w3 = loadBigEndian(p, 3)
                var w4 = loadBigEndian(p, 4), w5 = loadBigEndian(p, 5), w6 = loadBigEndian(p, 6), w7 = loadBigEndian(p, 7)
                var w8 = loadBigEndian(p, 8), w9 = loadBigEndian(p, 9), w10 = loadBigEndian(p, 10), w11 = loadBigEndian(p, 11)
                var w12 = loadBigEndian(p, 12), w13 = loadBigEndian(p, 13), w14 = loadBigEndian(p, 14), w15 = loadBigEndian(p, 15)
                var a = h0, b = h1, c = h2, d = h3, e = h4, f = h5, g = h6, h = h7
                var k = k0
                var pass = 0
                while true {
                    // 16 rounds on the current 16 schedule words.
                    round(a, b, c, &d, e, f, g, &h, k[0] &+ w0)
                    round(h, a, b, &c, d, e, f, &g, k[1] &+ w1)
                    round(g, h, a, &b, c, d, e, &f, k[2] &+ w2)
                    round(f, g, h, &a, b, c, d, &e, k[3] &+ w3)
                    round(e, f, g, &h, a, b, c, &d, k[4] &+ w4)
                    round(d, e, f, &g, h, a, b, &c, k[5] &+ w5)
                    round(c, d, e, &f, g, h, a, &b, k[6] &+ w6)
                    round(b, c, d, &e, f, g, h, &a, k[7] &+ w7)
                    round(a, b, c, &d, e, f, g, &h, k[8] &+ w8)
                    round(h, a, b, &c, d, e, f, &g, k[9] &+ w9)
                    round(g, h, a, &b, c, d, e, &f, k[10] &+ w10)
                    round(f, g, h, &a, b, c, d, &e, k[11] &+ w11)
                    round(e, f, g, &h, a, b, c, &d, k[12] &+ w12)
                    round(d, e, f, &g, h, a, b, &c, k[13] &+ w13)
                    round(c, d, e, &f, g, h, a, &b, k[14] &+ w14)
                    round(b, c, d, &e, f, g, h, &a, k[15] &+ w15)
                    pass &+= 1
                    if pass == 4 { break }
                    // Next 16 schedule words in place (FIPS 180-4 6.2.2 step 1):
                    // W[t] = s1(W[t-2]) + W[t-7] + s0(W[t-15]) + W[t-16].
                    w0 &+= smallSigma1(w14) &+ w9 &+ smallSigma0(w1)
                    w1 &+= smallSigma1(w15) &+ w10 &+ smallSigma0(w2)
                    w2 &+= smallSigma1(w0) &+ w11 &+ smallSigma0(w3)
                    w3 &+= smallSigma1(w1) &+ w12 &+ smallSigma0(w4)
                    w4 &+= smallSigma1(w2) &+ w13 &+ smallSigma0(w5)
                    w5 &+= smallSigma1(w3) &+ w14 &+ smallSigma0(w6)
                    w6 &+= smallSigma1(w4) &+ w15 &+ smallSigma0(w7)
                    w7 &+= smallSigma1(w5) &+ w0 &+ smallSigma0(w8)
                    w8 &+= smallSigma1(w6) &+ w1 &+ smallSigma0(w9)
                    w9 &+= smallSigma1(w7) &+ w2 &+ smallSigma0(w10)
                    w10 &+= smallSigma1(w8) &+ w3 &+ smallSigma0(w11)
                    w11 &+= smallSigma1(w9) &+ w4 &+ smallSigma0(w12)
                    w12 &+= smallSigma1(w10) &+ w5 &+ smallSigma0(w13)
                    w13 &+= smallSigma1(w11) &+ w6 &+ smallSigma0(w14)
                    w14 &+= smallSigma1(w12) &+ w7 &+ smallSigma0(w15)
                    w15 &+= smallSigma1(w13) &+ w8 &+ smallSigma0(w0)
                    k += 16
                }
                h0 &+= a; h1 &+= b; h2 &+= c; h3 &+= d
                h4 &+= e; h5 &+= f; h6 &+= g; h7 &+= h
                p += 64
            }
            state[0] = h0; state[1] = h1; state[2] = h2; state[3] = h3
            state[4] = h4; state[5] = h5; state[6] = h6; state[7] = h7
        }
    }
}
