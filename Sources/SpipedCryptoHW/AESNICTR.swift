// The bulk AES-256-CTR kernel with AES-NI: spiped's counter layout
// be64(nonce) || be64(block index), eight blocks in flight.
//
// Why eight: AESENC has a latency of several cycles but the CPU can start
// one or two per cycle, so eight independent blocks keep the AES units busy
// where one block at a time would wait on each round.
// Counters cost almost nothing: the counter is kept as the native-endian
// pair (nonce, block) in one XMM register, stepped with PADDQ (the low 64
// bits wrap mod 2^64 without touching the nonce, as spiped's counter does)
// and turned into the big-endian counter block by one PSHUFB per block.
//
// Guarantees: in place on any length and alignment; a final partial block
// uses the leading bytes of its keystream block. Constant-time: the work
// depends only on `count`, never on key, counter or data. The keystream of
// a partial last block passes through a 16-byte stack slot that is wiped.
#if arch(x86_64) && !SPIPED_NO_INTRINSICS
internal import _Builtin_intrinsics.intel
#endif

extension AESNI {
    /// XORs the CTR keystream into `buffer[0..<count]` in place: block `i`
    /// uses the counter block `be64(nonce) || be64(firstBlock + i)` (mod 2^64)
    /// encrypted with the encryption `roundKeys`. Constant-time.
    public static func xorCTRKeystream(roundKeys: UnsafeRawPointer, nonce: UInt64, firstBlock: UInt64,
                                       _ buffer: UnsafeMutableRawPointer, count: Int) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        guard count > 0 else { return }
        ctrXor(roundKeys, nonce, firstBlock, buffer, count)
        #else
        preconditionFailure("AES-NI kernels are not compiled into this build")
        #endif
    }
}

#if arch(x86_64) && !SPIPED_NO_INTRINSICS
/// XORs eight keystream blocks, for counters `ctr + 0 ... ctr + 7`
/// (native-endian (nonce, block) lanes), into the 128 bytes at `p + offset`.
/// The data XOR rides on the last round: AESENCLAST ends with "XOR round
/// key", so using (last round key ^ data) as that key yields the output
/// directly (one PXOR per block saved, and off the critical path).
@inline(__always)
private func xorGroup8(_ rk: UnsafeRawPointer, _ ctr: V128, _ p: UnsafeMutableRawPointer, _ offset: Int) {
    // Byte-reverse each 64-bit lane: (nonce, block) -> be64(nonce) || be64(block).
    let swap = v128(SIMD16<UInt8>(7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8))
    let k0 = loadV128(rk)
    var x0 = xor(_mm_shuffle_epi8(ctr, swap), k0)
    var x1 = xor(_mm_shuffle_epi8(_mm_add_epi64(ctr, V128(0, 1)), swap), k0)
    var x2 = xor(_mm_shuffle_epi8(_mm_add_epi64(ctr, V128(0, 2)), swap), k0)
    var x3 = xor(_mm_shuffle_epi8(_mm_add_epi64(ctr, V128(0, 3)), swap), k0)
    var x4 = xor(_mm_shuffle_epi8(_mm_add_epi64(ctr, V128(0, 4)), swap), k0)
    var x5 = xor(_mm_shuffle_epi8(_mm_add_epi64(ctr, V128(0, 5)), swap), k0)
    var x6 = xor(_mm_shuffle_epi8(_mm_add_epi64(ctr, V128(0, 6)), swap), k0)
    var x7 = xor(_mm_shuffle_epi8(_mm_add_epi64(ctr, V128(0, 7)), swap), k0)
    for round in 1..<14 {
        let k = loadV128(rk, 16 &* round)
        x0 = _mm_aesenc_si128(x0, k); x1 = _mm_aesenc_si128(x1, k)
        x2 = _mm_aesenc_si128(x2, k); x3 = _mm_aesenc_si128(x3, k)
        x4 = _mm_aesenc_si128(x4, k); x5 = _mm_aesenc_si128(x5, k)
        x6 = _mm_aesenc_si128(x6, k); x7 = _mm_aesenc_si128(x7, k)
    }
    let k14 = loadV128(rk, 224)
    storeV128(_mm_aesenclast_si128(x0, xor(k14, loadV128(p, offset))), p, offset)
    storeV128(_mm_aesenclast_si128(x1, xor(k14, loadV128(p, offset &+ 16))), p, offset &+ 16)
    storeV128(_mm_aesenclast_si128(x2, xor(k14, loadV128(p, offset &+ 32))), p, offset &+ 32)
    storeV128(_mm_aesenclast_si128(x3, xor(k14, loadV128(p, offset &+ 48))), p, offset &+ 48)
    storeV128(_mm_aesenclast_si128(x4, xor(k14, loadV128(p, offset &+ 64))), p, offset &+ 64)
    storeV128(_mm_aesenclast_si128(x5, xor(k14, loadV128(p, offset &+ 80))), p, offset &+ 80)
    storeV128(_mm_aesenclast_si128(x6, xor(k14, loadV128(p, offset &+ 96))), p, offset &+ 96)
    storeV128(_mm_aesenclast_si128(x7, xor(k14, loadV128(p, offset &+ 112))), p, offset &+ 112)
}

/// XORs 16 bytes of `k` into `p + offset`.
@inline(__always)
private func xorInto(_ p: UnsafeMutableRawPointer, _ offset: Int, _ k: V128) {
    storeV128(xor(loadV128(p, offset), k), p, offset)
}

private func ctrXor(_ rk: UnsafeRawPointer, _ nonce: UInt64, _ firstBlock: UInt64,
                    _ p: UnsafeMutableRawPointer, _ count: Int) {
    let start = V128(Int64(bitPattern: nonce), Int64(bitPattern: firstBlock))
    let groupBytes = count & ~127
    // The fewer-than-eight blocks after the last whole group go FIRST (for
    // a 1028-byte spiped packet: the last 4 bytes). Each is one independent
    // dependency chain of 14 rounds; issued before the groups, the CPU runs
    // them alongside the first group instead of exposing their latency at
    // the end (and a padded eight-block group would cost a whole group).
    if groupBytes < count {
        tailXor(rk, _mm_add_epi64(start, V128(0, Int64(groupBytes >> 4))), p, groupBytes, count)
    }
    // Whole groups of eight blocks straight into the buffer.
    var ctr = start
    let step = V128(0, 8)
    var offset = 0
    while offset < groupBytes {
        xorGroup8(rk, ctr, p, offset)
        ctr = _mm_add_epi64(ctr, step)
        offset &+= 128
    }
}

/// Bytes `offset..<count` (fewer than 128), one block at a time from
/// counter `ctr`. The iterations do not depend on each other, so the CPU
/// overlaps their rounds.
@inline(__always)
private func tailXor(_ rk: UnsafeRawPointer, _ ctr: V128, _ p: UnsafeMutableRawPointer, _ offset: Int, _ count: Int) {
    let swap = v128(SIMD16<UInt8>(7, 6, 5, 4, 3, 2, 1, 0, 15, 14, 13, 12, 11, 10, 9, 8))
    let one = V128(0, 1)
    var ctr = ctr, offset = offset
    while count &- offset >= 16 {
        xorInto(p, offset, encrypt1(rk, _mm_shuffle_epi8(ctr, swap)))
        ctr = _mm_add_epi64(ctr, one)
        offset &+= 16
    }
    guard offset < count else { return }
    // A partial block: its keystream goes through a stack slot that is wiped.
    var stream = encrypt1(rk, _mm_shuffle_epi8(ctr, swap))
    withUnsafeMutableBytes(of: &stream) { s in
        let ks = UnsafeRawPointer(s.baseAddress.unsafelyUnwrapped)
        var used = 0
        while offset < count {
            let byte = p.load(fromByteOffset: offset, as: UInt8.self) ^ ks.load(fromByteOffset: used, as: UInt8.self)
            p.storeBytes(of: byte, toByteOffset: offset, as: UInt8.self)
            offset &+= 1; used &+= 1
        }
        hwSecureZero(s.baseAddress.unsafelyUnwrapped, s.count)
    }
}
#endif
