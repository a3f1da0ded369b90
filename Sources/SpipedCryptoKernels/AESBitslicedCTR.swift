// spiped's AES-256-CTR keystream, bitsliced, with N groups of 4 counter
// blocks in the N lanes of a vector of plane words: 8 blocks per pass in
// SSE2/NEON (2 lanes), 16 in AVX2 (4), 32 in AVX-512 (8).
// Counter block i is be64(nonce) || be64(firstBlock + i), mod 2^64.
//
// Guarantees: constant-time (the bitsliced rounds; addresses and the loop
// count depend only on `passes`); no allocation. The keystream exists only
// in registers, their spill slots and one stack scratch that is zeroed.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// XORs `passes * 64 * V.laneCount` bytes of keystream into `buffer`, for
/// counter blocks from `firstBlock`, with the 15 x 8 round-key planes at `roundKeys`.
@inlinable @inline(__always)
public func aesBitslicedCTR<V: AESPlaneWord>(_: V.Type, roundKeys: UnsafePointer<UInt64>, nonce: UInt64,
                                             firstBlock: UInt64, buffer: UnsafeMutableRawPointer, passes: Int) {
    let lanes = V.laneCount
    // As little-endian words, a counter block's halves are the byte-swapped integers.
    let n = V(broadcast: nonce.byteSwapped)
    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: 8 * lanes) { scratch in
        let words = scratch.baseAddress.unsafelyUnwrapped
        var block = firstBlock
        var p = buffer
        for _ in 0..<passes {
            // words[k * lanes + lane] = counter k of the lane's group of four.
            for lane in 0..<lanes {
                let b = block &+ UInt64(truncatingIfNeeded: 4 &* lane)
                for k in 0..<4 { words[k &* lanes &+ lane] = (b &+ UInt64(truncatingIfNeeded: k)).byteSwapped }
            }
            let c0 = V(loading: words), c1 = V(loading: words + lanes)
            let c2 = V(loading: words + 2 &* lanes), c3 = V(loading: words + 3 &* lanes)
            var s = AESPlanes<V>.pack(AESPlanes(n, c0, n, c1, n, c2, n, c3))
            s.encryptRounds(roundKeys)
            s = AESPlanes.unpack(s)
            // Plane i holds word i of every lane's 64 bytes.
            s.q0.store(to: words); s.q1.store(to: words + lanes)
            s.q2.store(to: words + 2 &* lanes); s.q3.store(to: words + 3 &* lanes)
            s.q4.store(to: words + 4 &* lanes); s.q5.store(to: words + 5 &* lanes)
            s.q6.store(to: words + 6 &* lanes); s.q7.store(to: words + 7 &* lanes)
            for lane in 0..<lanes {
                for i in 0..<8 { xorWord(p, 64 &* lane &+ 8 &* i, words[i &* lanes &+ lane]) }
            }
            block &+= UInt64(truncatingIfNeeded: 4 &* lanes)
            p += 64 &* lanes
        }
        kernelSecureZero(UnsafeMutableRawPointer(words), 64 &* lanes)
    }
}

/// Overwrites `count` bytes at `p` through a call the optimiser cannot drop.
@inline(never)
public func kernelSecureZero(_ p: UnsafeMutableRawPointer, _ count: Int) {
    #if canImport(Darwin)
    _ = memset_s(p, count, 0, count)
    #else
    explicit_bzero(p, count)
    #endif
}

/// XORs the little-endian word `k` into the 8 bytes at `p + offset`.
@inlinable @inline(__always)
public func xorWord(_ p: UnsafeMutableRawPointer, _ offset: Int, _ k: UInt64) {
    let v = UInt64(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) ^ k
    p.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt64.self)
}
