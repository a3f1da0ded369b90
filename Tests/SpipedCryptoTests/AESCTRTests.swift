// Tests of spiped's AES-256-CTR (AES256CTR and the variants' xorKeystream):
// RFC 3686 and SP 800-38A known answers through every variant, and the
// stream properties spiped relies on (bulk = block by block, starting at any
// block or byte, applying twice restores the input).
import SpipedTestSupport
import Testing
import SpipedCrypto

/// Big-endian UInt64 from 8 bytes.
func be64(_ bytes: ArraySlice<UInt8>) -> UInt64 {
    bytes.reduce(0) { $0 << 8 | UInt64($1) }
}

/// Runs AES256CTR over `data`, split into pieces at `cuts` (byte offsets).
func ctr<C: AES256BlockCipher>(_ cipher: C, nonce: UInt64, start: UInt64, _ data: [UInt8], cuts: [Int] = []) -> [UInt8] {
    var stream = AES256CTR(cipher: cipher, nonce: nonce, startingBlock: start)
    var out = data
    out.withUnsafeMutableBytes { buffer in
        var from = 0
        for cut in cuts.sorted() + [buffer.count] where cut >= from && cut <= buffer.count {
            stream.apply(UnsafeMutableRawBufferPointer(rebasing: buffer[from..<cut]))
            from = cut
        }
    }
    return out
}

@Suite("AES-256-CTR")
struct AESCTRTests {
    static let ctrFiles = ["aes-256-ctr.txt", "sp800-38a-ctr-aes256.txt"]

    @Test("CTR known answers (RFC 3686, SP 800-38A), every variant",
          arguments: AESCipherKind.available, AESCTRTests.ctrFiles)
    func knownAnswers(kind: AESCipherKind, file: String) throws {
        let records = try loadVectorFile("AES/" + file)
        #expect(!records.isEmpty)
        for record in records {
            let cipher = kind.make(key: record.bytes("KEY"))
            let iv = record.bytes("IV")
            #expect(iv.count == 16)
            let nonce = be64(iv[0..<8]), start = be64(iv[8..<16])
            let plaintext = record.bytes("PLAINTEXT"), ciphertext = record.bytes("CIPHERTEXT")
            let (input, expected) = record.section == "DECRYPT" ? (ciphertext, plaintext) : (plaintext, ciphertext)
            let got = ctr(cipher, nonce: nonce, start: start, input)
            #expect(got == expected, "\(kind) \(file) line \(record.line): got \(hex(got))")
            // The same through byte-by-byte and odd-sized pieces.
            let bytewise = ctr(cipher, nonce: nonce, start: start, input, cuts: Array(0..<input.count))
            #expect(bytewise == expected, "\(kind) \(file) line \(record.line), byte by byte")
            let ragged = ctr(cipher, nonce: nonce, start: start, input, cuts: [3, 17, 18, 33])
            #expect(ragged == expected, "\(kind) \(file) line \(record.line), ragged pieces")
        }
    }

    @Test("xorKeystream over N blocks equals encrypting each counter block", arguments: AESCipherKind.available)
    func bulkMatchesBlocks(kind: AESCipherKind) {
        var rng = SeededGenerator(seed: 0xC7 &+ UInt64(kind.rawValue.count))
        let starts: [UInt64] = [0, 1, 0x00FF_FFFF_FFFF_FFFE, UInt64.max - 2, UInt64.max]
        for trial in 0..<40 {
            let cipher = kind.make(key: rng.bytes(32))
            let nonce = rng.next()
            let first = trial < starts.count ? starts[trial] : rng.next()
            let length = trial < 17 ? trial * 16 : Int.random(in: 0...(16 * 70 + 15), using: &rng)
            let data = rng.bytes(length)

            // Expected: data XOR E(be64(nonce) || be64(first + i)), block by block.
            var expected = data
            for i in 0..<(length + 15) / 16 {
                var counter = [UInt8](repeating: 0, count: 16)
                for j in 0..<8 {
                    counter[j] = UInt8(truncatingIfNeeded: nonce >> (56 - 8 * j))
                    counter[8 + j] = UInt8(truncatingIfNeeded: (first &+ UInt64(i)) >> (56 - 8 * j))
                }
                let keystream = ecb(cipher, counter, decrypt: false)
                for j in 0..<min(16, length - 16 * i) { expected[16 * i + j] ^= keystream[j] }
            }

            var got = data
            got.withUnsafeMutableBytes { cipher.xorKeystream(nonce: nonce, firstBlock: first, $0) }
            #expect(got == expected, "\(kind) trial \(trial), \(length) bytes from block \(first)")
        }
    }

    @Test("CTR started at any block or byte equals the slice of a full run", arguments: AESCipherKind.available)
    func midStream(kind: AESCipherKind) {
        var rng = SeededGenerator(seed: 0x317D)
        let cipher = kind.make(key: rng.bytes(32))
        let nonce = rng.next()
        let data = rng.bytes(16 * 40 + 9)
        let full = ctr(cipher, nonce: nonce, start: 0, data)
        #expect(full != data)
        // Starting at block s gives the keystream from byte 16 s.
        for s in [1, 2, 3, 4, 5, 7, 8, 13, 39, 40] {
            let tail = Array(data[(16 * s)...])
            #expect(ctr(cipher, nonce: nonce, start: UInt64(s), tail) == Array(full[(16 * s)...]), "\(kind) start block \(s)")
        }
        // Any byte offset: split the stream into random pieces.
        for trial in 0..<60 {
            let cuts = (0..<Int.random(in: 1...8, using: &rng)).map { _ in Int.random(in: 0...data.count, using: &rng) }
            #expect(ctr(cipher, nonce: nonce, start: 0, data, cuts: cuts) == full, "\(kind) trial \(trial), cuts \(cuts.sorted())")
        }
        // Different nonces give different keystreams.
        #expect(ctr(cipher, nonce: nonce ^ 1, start: 0, data) != full)
    }

    @Test("Applying CTR twice is the identity", arguments: AESCipherKind.available)
    func twiceIsIdentity(kind: AESCipherKind) {
        var rng = SeededGenerator(seed: 0x7A1CE)
        for length in [0, 1, 15, 16, 17, 63, 64, 65, 1028, 4099] {
            let cipher = kind.make(key: rng.bytes(32))
            let nonce = rng.next(), start = rng.next() >> 1
            let data = rng.bytes(length)
            let once = ctr(cipher, nonce: nonce, start: start, data, cuts: [length / 3])
            #expect(ctr(cipher, nonce: nonce, start: start, once, cuts: [length / 2]) == data, "\(kind) \(length) bytes")
        }
    }

    @Test("Array convenience and wipe")
    func arrayAndWipe() {
        let key = [UInt8](repeating: 7, count: 32)
        var stream = AES256CTR(cipher: AES256(key: key), nonce: 3)
        var bytes = [UInt8](repeating: 0, count: 21)
        stream.apply(&bytes)
        #expect(bytes == ctr(AES256(key: key), nonce: 3, start: 0, [UInt8](repeating: 0, count: 21)))
        stream.wipe()
    }
}
