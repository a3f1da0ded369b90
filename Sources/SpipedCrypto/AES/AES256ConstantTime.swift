// AES-256 in constant time by bitslicing: 4 blocks are held as 8 bit planes
// of 64-bit words and every round is computed with Boolean operations
// (approach of Konighofer, CT-RSA 2008, and Kasper-Schwabe, CHES 2009; S-box
// circuits of Boyar-Peralta; see the other AES256ConstantTime*.swift files).
//
// Which functions promise constant time, and how:
// - `init(key:)` (key expansion): SubWord runs through the S-box circuit;
//   control flow depends only on word indices.
// - `encryptBlock`, `decryptBlock`, `xorKeystream`: pack/unpack, the rounds
//   and the S-box are straight-line code over the bit planes; round keys are
//   read at addresses fixed by the round number. The only branches are on
//   buffer lengths, which are public.
// - `wipe()`: a fixed-length zeroing of the key buffer.
// No function here indexes memory with, or branches on, key or data bits.
//
// Single blocks are processed in a 4-block pass with 3 empty slots. The CTR
// path (`xorKeystream`) runs the kernel CryptoBackends chose: where the CPU
// has SSSE3, the vector-permute AES (SpipedCryptoKernels/AESVectorPermute.swift,
// byte shuffles in registers: 8 blocks in flight with AVX2, 4 with SSSE3),
// which takes every whole block; otherwise the bitsliced circuit over vector
// lanes (8 blocks per pass in SSE2/NEON, and 16 / 32 in AVX2 / AVX-512 when
// asked for), with the last 1...(pass - 1) blocks in 4-block passes. The
// vector-permute kernel keeps its own copy of the round keys (240 bytes, in
// its basis), wiped with the others.
import SpipedCryptoKernels
import SpipedCryptoHWSSE2
import SpipedCryptoHWSSSE3
import SpipedCryptoHWAVX2
import SpipedCryptoHWAVX512

/// AES-256 implemented with bitslicing: no table look-ups, no secret-dependent
/// branches or memory indices, so it does not leak through cache timing.
/// The portable default when the CPU has no AES instructions.
package struct AES256ConstantTime: AES256BlockCipher {
    /// 15 round keys x 8 bit planes (960 bytes), allocated once.
    private let keys: SecretBuffer

    /// Round keys in the SSSE3 and AVX2 kernels' own forms, if one of them is
    /// the kernel: the vector-permute keys (240 bytes) from offset 0 and, for
    /// the byte-layout bitsliced kernel, its planes from ``bytePlaneKeyOffset``.
    private let kernelKeys: SecretBuffer?

    /// Where the byte-layout planes start in ``kernelKeys`` (16-byte aligned).
    private static let bytePlaneKeyOffset = 256
    /// Where that kernel's counter table starts, after its planes.
    private static let counterTableOffset = bytePlaneKeyOffset + aesByteslicedRoundKeyByteCount

    /// The kernel `xorKeystream` uses.
    package let kernel: CTRKernel

    /// Expands a 32-byte key, for the kernel ``CryptoBackends`` chose.
    /// Any other key length is a programming error.
    package init(key: some Collection<UInt8>) {
        self.init(key: key, kernel: CryptoBackends.current.constantTimeAESKernel)
    }

    /// Expands a 32-byte key for the given kernel (one this process may
    /// not run is replaced by ``CTRKernel/simd2``).
    package init(key: some Collection<UInt8>, kernel: CTRKernel) {
        precondition(key.count == 32, "AES-256 needs a 32-byte key")
        self.kernel = kernel.isAvailable ? kernel : .simd2
        keys = SecretBuffer(byteCount: AES256ConstantTime.roundKeyWordCount * 8)
        // The byte-layout bitsliced kernel leaves its last 1...7 blocks to the vector-permute one.
        let bytePlanes = self.kernel == .bitslicedSSSE3
        kernelKeys = self.kernel.isVectorPermute ? SecretBuffer(byteCount: 240)
            : bytePlanes ? SecretBuffer(byteCount: AES256ConstantTime.counterTableOffset + aesByteslicedCounterTableByteCount) : nil
        AES256ConstantTime.expandKey(key, into: keys.bytes.assumingMemoryBound(to: UInt64.self),
                                     vectorPermuteKeys: kernelKeys?.bytes,
                                     bytePlaneKeys: bytePlanes ? kernelKeys.map { $0.bytes + AES256ConstantTime.bytePlaneKeyOffset } : nil)
        if bytePlanes, let k = kernelKeys?.bytes {
            SSSE3Lanes.aesByteslicedPrepareCounterTable(roundKeys: k + AES256ConstantTime.bytePlaneKeyOffset,
                                                        into: k + AES256ConstantTime.counterTableOffset)
        }
    }

    private var roundKeys: UnsafePointer<UInt64> {
        UnsafePointer(keys.bytes.assumingMemoryBound(to: UInt64.self))
    }

    /// Encrypts one 16-byte block; `input` and `output` may be the same.
    package func encryptBlock(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer) {
        var s = AESPlanes<UInt64>()
        s.q0 = UInt64(littleEndian: input.loadUnaligned(as: UInt64.self))
        s.q1 = UInt64(littleEndian: input.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        s = AESPlanes.pack(s)
        s.encryptRounds(roundKeys)
        s = AESPlanes.unpack(s)
        output.storeBytes(of: s.q0.littleEndian, as: UInt64.self)
        output.storeBytes(of: s.q1.littleEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// Decrypts one 16-byte block; `input` and `output` may be the same.
    package func decryptBlock(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer) {
        var s = AESPlanes<UInt64>()
        s.q0 = UInt64(littleEndian: input.loadUnaligned(as: UInt64.self))
        s.q1 = UInt64(littleEndian: input.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
        s = AESPlanes.pack(s)
        s.decryptRounds(roundKeys)
        s = AESPlanes.unpack(s)
        output.storeBytes(of: s.q0.littleEndian, as: UInt64.self)
        output.storeBytes(of: s.q1.littleEndian, toByteOffset: 8, as: UInt64.self)
    }

    /// XORs the spiped CTR keystream into `buffer`: the kernel's passes
    /// first, then 4 counter blocks per bitsliced pass.
    package func xorKeystream(nonce: UInt64, firstBlock: UInt64, _ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        let rk = roundKeys
        let count = buffer.count
        var block = firstBlock
        var offset = 0
        if let vk = kernelKeys?.bytes {
            let vectorPermute = { (buffer: UnsafeMutableRawPointer, first: UInt64, blocks: Int) in
                let tables = AESVectorPermuteTables.pointer
                if self.kernel == .vpermAVX2 {
                    AVX2Lanes.aesVectorPermuteCTR(roundKeys: vk, tables: tables, nonce: nonce, firstBlock: first, buffer: buffer, blocks: blocks)
                } else {
                    SSSE3Lanes.aesCTR(roundKeys: vk, tables: tables, nonce: nonce, firstBlock: first, buffer: buffer, blocks: blocks)
                }
            }
            let blocks = count / 16
            var done = 0
            if kernel == .bitslicedSSSE3, blocks >= 8 {
                SSSE3Lanes.aesByteslicedCTR(roundKeys: vk + AES256ConstantTime.bytePlaneKeyOffset,
                                            counterTable: vk + AES256ConstantTime.counterTableOffset, nonce: nonce,
                                            firstBlock: block, buffer: base, passes: blocks / 8)
                done = blocks / 8 * 8
            }
            if blocks > done { vectorPermute(base + done * 16, block &+ UInt64(done), blocks - done) }
            if count % 16 != 0 {
                // A final partial block: its keystream into zeroed scratch, the prefix used, the scratch wiped.
                var scratch: (UInt64, UInt64) = (0, 0)
                withUnsafeMutableBytes(of: &scratch) { k in
                    guard let kb = k.baseAddress else { return }
                    vectorPermute(kb, block &+ UInt64(blocks), 1)
                    let p = base + blocks * 16
                    for i in 0..<(count % 16) {
                        p.storeBytes(of: p.load(fromByteOffset: i, as: UInt8.self) ^ k[i], toByteOffset: i, as: UInt8.self)
                    }
                    secureZero(k)
                }
            }
            return
        }
        let passes = count / (16 * kernel.blocksPerPass)
        if passes > 0 {
            switch kernel {
            case .avx512: AVX512Lanes.aesCTR(roundKeys: rk, nonce: nonce, firstBlock: block, buffer: base, passes: passes)
            case .avx2: AVX2Lanes.aesCTR(roundKeys: rk, nonce: nonce, firstBlock: block, buffer: base, passes: passes)
            case .simd2, .vpermSSSE3, .vpermAVX2, .bitslicedSSSE3:   // the SSSE3 and AVX2 kernels returned above
                SSE2Lanes.aesCTR(roundKeys: rk, nonce: nonce, firstBlock: block, buffer: base, passes: passes)
            }
            offset = passes * 16 * kernel.blocksPerPass
            block &+= UInt64(passes * kernel.blocksPerPass)
        }
        while count - offset >= 64 {
            let ks = AES256ConstantTime.keystream(nonce, block, rk)
            let p = base + offset
            xorWord(p, 0, ks.q0); xorWord(p, 8, ks.q1); xorWord(p, 16, ks.q2); xorWord(p, 24, ks.q3)
            xorWord(p, 32, ks.q4); xorWord(p, 40, ks.q5); xorWord(p, 48, ks.q6); xorWord(p, 56, ks.q7)
            offset += 64
            block &+= 4
        }
        if offset < count {
            // Last 1...63 bytes: one more pass, only the needed prefix used.
            let k = AES256ConstantTime.keystream(nonce, block, rk)
            var ks = AESPlanes(k.q0.littleEndian, k.q1.littleEndian, k.q2.littleEndian, k.q3.littleEndian,
                               k.q4.littleEndian, k.q5.littleEndian, k.q6.littleEndian, k.q7.littleEndian)
            withUnsafeMutableBytes(of: &ks) { k in
                let p = base + offset
                for i in 0..<(count - offset) {
                    p.storeBytes(of: p.load(fromByteOffset: i, as: UInt8.self) ^ k[i], toByteOffset: i, as: UInt8.self)
                }
                secureZero(k)
            }
        }
    }

    /// Overwrites the expanded key (shared by all copies of this value).
    package mutating func wipe() {
        keys.wipe()
        kernelKeys?.wipe()
    }

    /// 64 bytes of keystream: counter blocks `block ... block + 3` encrypted,
    /// as little-endian words in memory order (the struct's field order).
    @inline(__always)
    private static func keystream(_ nonce: UInt64, _ block: UInt64, _ rk: UnsafePointer<UInt64>) -> AESPlanes<UInt64> {
        // A counter block is be64(nonce) || be64(index); as little-endian
        // words those halves are the byte-swapped integers.
        let n = nonce.byteSwapped
        var s = AESPlanes(n, block.byteSwapped, n, (block &+ 1).byteSwapped,
                          n, (block &+ 2).byteSwapped, n, (block &+ 3).byteSwapped)
        s = AESPlanes.pack(s)
        s.encryptRounds(rk)
        return AESPlanes.unpack(s)
    }

}
