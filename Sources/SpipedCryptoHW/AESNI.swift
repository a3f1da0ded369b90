// AES-256 with the x86 AES instructions: key expansion and single blocks.
// The bulk CTR kernel is in AESNICTR.swift.
//
// Round-key layout (the contract with callers): 15 round keys of 16 bytes,
// in the byte order of FIPS-197 (round key 0 is the first 16 key bytes),
// 240 bytes per direction. Decryption keys are for the "equivalent inverse
// cipher" (FIPS-197 section 5.3.5): encryption keys in reverse order with
// InvMixColumns (AESIMC) applied to rounds 1-13, as AESDEC expects.
//
// Key expansion without AESKEYGENASSIST: that intrinsic takes its round
// constant as an immediate, so Clang spells it as a macro Swift cannot
// import. SubWord is computed with AESENCLAST instead: when a word is copied
// into all four columns, ShiftRows leaves the state unchanged, so
// AESENCLAST(x, rcon-in-every-column) = SubBytes(x) ^ rcon. RotWord is
// folded into the byte shuffle that does the copying.
//
// Constant-time: every function here runs the same instructions whatever
// the key and data (the AES instructions themselves are constant-time);
// no branch, loop bound or memory index depends on a secret.
// Memory: nothing allocates; callers own the round-key buffers and wipe them.
#if arch(x86_64) && !SPIPED_NO_INTRINSICS
internal import _Builtin_intrinsics.intel
#endif

/// AES-256 kernels using AES-NI. Raw functions with no policy: call them only
/// when ``isSupported`` is true (the build has them and the CPU runs them).
public enum AESNI {
    /// Whether this build contains the kernels and this CPU can run them.
    public static var isSupported: Bool { HardwareFeatures.aes }

    /// Bytes of round keys per direction (15 round keys of 16 bytes).
    public static let roundKeyByteCount = 240

    /// Expands the 32-byte `key` into 240 bytes of encryption round keys and
    /// 240 bytes of decryption round keys (equivalent inverse cipher).
    /// Buffers may have any alignment. Constant-time.
    public static func expandKey(_ key: UnsafeRawPointer, encryptionRoundKeys: UnsafeMutableRawPointer,
                                 decryptionRoundKeys: UnsafeMutableRawPointer) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        expandKey256(key, encryptionRoundKeys, decryptionRoundKeys)
        #else
        preconditionFailure("AES-NI kernels are not compiled into this build")
        #endif
    }

    /// Encrypts one 16-byte block with encryption round keys; `input` and
    /// `output` may be the same. Constant-time.
    public static func encryptBlock(roundKeys: UnsafeRawPointer, _ input: UnsafeRawPointer,
                                    _ output: UnsafeMutableRawPointer) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        storeV128(encrypt1(roundKeys, loadV128(input)), output)
        #else
        preconditionFailure("AES-NI kernels are not compiled into this build")
        #endif
    }

    /// Decrypts one 16-byte block with decryption round keys (from
    /// ``expandKey(_:encryptionRoundKeys:decryptionRoundKeys:)``); `input`
    /// and `output` may be the same. Constant-time.
    public static func decryptBlock(roundKeys: UnsafeRawPointer, _ input: UnsafeRawPointer,
                                    _ output: UnsafeMutableRawPointer) {
        #if arch(x86_64) && !SPIPED_NO_INTRINSICS
        var x = xor(loadV128(input), loadV128(roundKeys))
        for round in 1..<14 { x = _mm_aesdec_si128(x, loadV128(roundKeys, 16 &* round)) }
        storeV128(_mm_aesdeclast_si128(x, loadV128(roundKeys, 224)), output)
        #else
        preconditionFailure("AES-NI kernels are not compiled into this build")
        #endif
    }
}

#if arch(x86_64) && !SPIPED_NO_INTRINSICS
/// One block through the 14 rounds with encryption round keys `rk`.
@inline(__always)
func encrypt1(_ rk: UnsafeRawPointer, _ block: V128) -> V128 {
    var x = xor(block, loadV128(rk))
    for round in 1..<14 { x = _mm_aesenc_si128(x, loadV128(rk, 16 &* round)) }
    return _mm_aesenclast_si128(x, loadV128(rk, 224))
}

/// XOR of every prefix of 32-bit lanes: lane i becomes x0 ^ ... ^ xi, which
/// is how each new key word folds in the one before it (FIPS-197 5.2).
@inline(__always)
private func prefixXor(_ x: V128) -> V128 {
    let y = xor(x, shiftLanesUp1(x))
    return xor(y, shiftLanesUp2(y))
}

/// SubWord(RotWord(w7)) ^ rcon in every lane, w7 being lane 3 of `k`.
@inline(__always)
private func rotSubWord(_ k: V128, _ rcon: UInt32) -> V128 {
    // Bytes 13, 14, 15, 12 (RotWord of the last word) into every column.
    let rotBroadcast = v128(SIMD16<UInt8>(13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12, 13, 14, 15, 12))
    return _mm_aesenclast_si128(_mm_shuffle_epi8(k, rotBroadcast), v128(SIMD4<UInt32>(repeating: rcon)))
}

/// SubWord(w) in every lane, w being lane 3 of `k` (the extra step of Nk = 8).
@inline(__always)
private func subWord(_ k: V128) -> V128 {
    _mm_aesenclast_si128(broadcastLane3(k), V128(0, 0))
}

/// FIPS-197 5.2 key expansion for Nk = 8, two round keys (eight words) per step.
private func expandKey256(_ key: UnsafeRawPointer, _ ek: UnsafeMutableRawPointer, _ dk: UnsafeMutableRawPointer) {
    var k0 = loadV128(key), k1 = loadV128(key, 16)
    storeV128(k0, ek)
    storeV128(k1, ek, 16)
    var rcon: UInt32 = 1
    for step in 1...7 {
        k0 = xor(prefixXor(k0), rotSubWord(k1, rcon))
        storeV128(k0, ek, 32 &* step)
        if step < 7 {
            k1 = xor(prefixXor(k1), subWord(k0))
            storeV128(k1, ek, 32 &* step &+ 16)
        }
        rcon <<= 1                                 // 01, 02, ... 40: no reduction needed for 7 steps
    }
    // Equivalent inverse cipher: reversed order, AESIMC on the middle rounds.
    storeV128(loadV128(ek, 224), dk)
    for round in 1..<14 { storeV128(_mm_aesimc_si128(loadV128(ek, 16 &* (14 &- round))), dk, 16 &* round) }
    storeV128(loadV128(ek), dk, 224)
}
#endif
