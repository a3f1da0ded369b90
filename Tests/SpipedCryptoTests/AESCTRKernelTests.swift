// The constant-time AES's CTR kernels (bitsliced, 8, 16 and 32 blocks per
// pass: SSE2/NEON, AVX2, AVX-512; vector permutes: SSSE3, AVX2), each this
// machine can run forced through AES256ConstantTime(key:kernel:) whatever
// CryptoBackends chose: the CTR known-answer files, and agreement with the
// table variant for every length 0...2100 (whole passes, the remainders, the
// partial last block), counters that wrap mod 2^64 inside a pass, a
// packet's counters (blocks 0...64) from every start, and unaligned buffers.
import SpipedTestSupport
import Testing
import SpipedCrypto

let availableCTRKernels = AES256ConstantTime.CTRKernel.allCases.filter(\.isAvailable)

@Suite struct AESCTRKernelTests {
    @Test("CTR known answers (RFC 3686, SP 800-38A) with every kernel",
          arguments: availableCTRKernels, AESCTRTests.ctrFiles)
    func knownAnswers(width: AES256ConstantTime.CTRKernel, file: String) throws {
        let records = try loadVectorFile("AES/" + file)
        #expect(!records.isEmpty)
        for record in records {
            let cipher = AES256ConstantTime(key: record.bytes("KEY"), kernel: width)
            #expect(cipher.kernel == width)
            let iv = record.bytes("IV")
            let nonce = be64(iv[0..<8]), start = be64(iv[8..<16])
            let plaintext = record.bytes("PLAINTEXT"), ciphertext = record.bytes("CIPHERTEXT")
            let (input, expected) = record.section == "DECRYPT" ? (ciphertext, plaintext) : (plaintext, ciphertext)
            #expect(ctr(cipher, nonce: nonce, start: start, input) == expected, "\(width) \(file) line \(record.line)")
        }
    }

    @Test("Every length 0...2100 equals the table variant, counters wrapping, unaligned", arguments: availableCTRKernels)
    func lengths(width: AES256ConstantTime.CTRKernel) {
        var rng = SeededGenerator(seed: 0x71DE &+ UInt64(AES256ConstantTime.CTRKernel.allCases.firstIndex(of: width) ?? 0))
        let key = rng.bytes(32)
        let wide = AES256ConstantTime(key: key, kernel: width)
        let table = AES256Table(key: key)
        for length in 0...2100 {
            let nonce = rng.next()
            // Every seventh start sits just below 2^64 so the counter wraps inside a pass.
            let start = length % 7 == 0 ? UInt64.max - UInt64(length % 41) : rng.next()
            let data = rng.bytes(length)
            let expected = keystreamXor(table, nonce: nonce, firstBlock: start, data, misalign: 0)
            let actual = keystreamXor(wide, nonce: nonce, firstBlock: start, data, misalign: length % 13)
            #expect(actual == expected, "\(width), \(length) bytes from block \(start)")
        }
    }

    @Test("Packet counters (every start 0...72, lengths to 1100) equal the table variant", arguments: availableCTRKernels)
    func packetCounters(width: AES256ConstantTime.CTRKernel) {
        // The byte-layout kernel's counter table covers whole passes inside
        // blocks 0...63; these starts and lengths run it, run past it, and
        // start off its 8-block grid.
        var rng = SeededGenerator(seed: 0x9AC7 &+ UInt64(AES256ConstantTime.CTRKernel.allCases.firstIndex(of: width) ?? 0))
        for _ in 0..<2 {
            let key = rng.bytes(32)
            let wide = AES256ConstantTime(key: key, kernel: width)
            let table = AES256Table(key: key)
            for start in UInt64(0)...72 {
                for length in Array(stride(from: 0, through: 1100, by: 43)) + [128, 1024, 1028, 1040] {
                    let nonce = rng.next()
                    let data = rng.bytes(length)
                    let expected = keystreamXor(table, nonce: nonce, firstBlock: start, data, misalign: 0)
                    let actual = keystreamXor(wide, nonce: nonce, firstBlock: start, data, misalign: length % 5)
                    #expect(actual == expected, "\(width), \(length) bytes from block \(start)")
                }
            }
        }
    }

    @Test("Kernels report their blocks per pass")
    func names() {
        #expect(AES256ConstantTime.CTRKernel.avx512.blocksPerPass == 32)
        #expect(AES256ConstantTime.CTRKernel.avx2.blocksPerPass == 16)
        #expect(AES256ConstantTime.CTRKernel.simd2.blocksPerPass == 8 && AES256ConstantTime.CTRKernel.simd2.isAvailable)
        #expect(AES256ConstantTime(key: [UInt8](repeating: 3, count: 32)).kernel == CryptoBackends.current.constantTimeAESKernel)
        #expect(AES256ConstantTime.CTRKernel.vpermAVX2.blocksPerPass == 8 && AES256ConstantTime.CTRKernel.vpermSSSE3.blocksPerPass == 4)
        #expect(AES256ConstantTime.CTRKernel.allCases.filter(\.isVectorPermute) == [.vpermSSSE3, .vpermAVX2])
        #expect(AES256ConstantTime.CTRKernel.bitslicedSSSE3.blocksPerPass == 8)
        #expect(AES256ConstantTime.CTRKernel.bitslicedSSSE3.backendName == "bitsliced-ssse3-x8")
    }
}
