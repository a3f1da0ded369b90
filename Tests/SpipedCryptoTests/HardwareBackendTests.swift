// Cross-checks of the hardware backends (AES-NI, SHA-NI) against the
// portable implementations on many random inputs. The NIST known-answer
// suites already run over every available implementation (AESTests,
// AESCTRTests, SHA256Tests, HMACTests); these tests add volume and the edge
// cases of the hardware kernels: the eight-block CTR groups and their tail,
// counters wrapping mod 2^64, unaligned buffers, and SHA-NI's multi-block
// calls. Each suite is skipped, with a message, where the CPU or the build
// (SPIPED_PORTABLE=1) lacks the instructions.
import SpipedTestSupport
import Testing
import SpipedCrypto

/// `xorKeystream` applied to a copy of `data` placed `misalign` bytes into a
/// larger buffer (so the kernels see unaligned addresses too).
private func keystreamXor(_ cipher: some AES256BlockCipher, nonce: UInt64, firstBlock: UInt64,
                          _ data: [UInt8], misalign: Int) -> [UInt8] {
    var buffer = [UInt8](repeating: 0, count: data.count + misalign)
    buffer.replaceSubrange(misalign..<(misalign + data.count), with: data)
    buffer.withUnsafeMutableBytes { raw in
        cipher.xorKeystream(nonce: nonce, firstBlock: firstBlock,
                            UnsafeMutableRawBufferPointer(rebasing: raw[misalign...]))
    }
    return Array(buffer[misalign...])
}

@Suite("AES-NI backend against the portable variants",
       .enabled(if: AES256Hardware.isSupported, "AES-NI is not available (CPU lacks it, or built with SPIPED_PORTABLE=1)"))
struct AESHardwareBackendTests {
    @Test("Encrypt and decrypt agree with table and constant-time on 3,000 random keys")
    func blocksAgree() {
        var rng = SeededGenerator(seed: 0xAE5)
        for round in 0..<3000 {
            let key = rng.bytes(32)
            let hardware = AES256Hardware(key: key)
            let table = AES256Table(key: key)
            var blocks = rng.bytes(16 * 4)
            var viaHardware = [UInt8](repeating: 0, count: blocks.count)
            var viaTable = viaHardware, decrypted = viaHardware, decryptedTable = viaHardware
            blocks.withUnsafeMutableBytes { input in
                viaHardware.withUnsafeMutableBytes { hw in
                    viaTable.withUnsafeMutableBytes { tb in
                        decrypted.withUnsafeMutableBytes { dec in
                            decryptedTable.withUnsafeMutableBytes { decTable in
                                for i in stride(from: 0, to: 64, by: 16) {
                                    hardware.encryptBlock(input.baseAddress! + i, hw.baseAddress! + i)
                                    table.encryptBlock(input.baseAddress! + i, tb.baseAddress! + i)
                                    hardware.decryptBlock(hw.baseAddress! + i, dec.baseAddress! + i)
                                    table.decryptBlock(input.baseAddress! + i, decTable.baseAddress! + i)
                                }
                            }
                        }
                    }
                }
            }
            #expect(viaHardware == viaTable, "encrypt, key #\(round)")
            #expect(decrypted == blocks, "decrypt(encrypt(x)), key #\(round)")
            var hardwareDecrypt = [UInt8](repeating: 0, count: 64)
            blocks.withUnsafeBytes { input in
                hardwareDecrypt.withUnsafeMutableBytes { out in
                    for i in stride(from: 0, to: 64, by: 16) { hardware.decryptBlock(input.baseAddress! + i, out.baseAddress! + i) }
                }
            }
            #expect(hardwareDecrypt == decryptedTable, "decrypt, key #\(round)")
            // The bitsliced variant is slower; compare it on every tenth key.
            if round % 10 == 0 {
                let constantTime = AES256ConstantTime(key: key)
                var viaCT = [UInt8](repeating: 0, count: 16)
                blocks.withUnsafeBytes { input in
                    viaCT.withUnsafeMutableBytes { constantTime.encryptBlock(input.baseAddress!, $0.baseAddress!) }
                }
                #expect(viaCT == Array(viaHardware[0..<16]), "constant-time vs hardware, key #\(round)")
            }
        }
    }

    @Test("CTR keystream for every length 0...2000 matches the table variant")
    func ctrLengths() {
        var rng = SeededGenerator(seed: 0xC7B)
        let key = rng.bytes(32)
        let hardware = AES256Hardware(key: key)
        let table = AES256Table(key: key)
        for length in 0...2000 {
            let nonce = rng.next()
            // Every eighth start sits just below 2^64 so the counter wraps inside the call.
            let start = length % 8 == 0 ? UInt64.max - UInt64(length % 37) : rng.next()
            let data = rng.bytes(length)
            let misalign = length % 16
            let expected = keystreamXor(table, nonce: nonce, firstBlock: start, data, misalign: 0)
            let actual = keystreamXor(hardware, nonce: nonce, firstBlock: start, data, misalign: misalign)
            #expect(actual == expected, "length \(length), nonce \(nonce), start \(start)")
        }
    }

    @Test("CTR on random keys and one large buffer, through AES256CTR in pieces")
    func ctrRandomKeysAndStreaming() {
        var rng = SeededGenerator(seed: 0x5EED)
        for _ in 0..<200 {
            let key = rng.bytes(32)
            let nonce = rng.next(), start = rng.next() >> 1
            let data = rng.bytes(Int(rng.next() % 1100))
            let expected = keystreamXor(AES256Table(key: key), nonce: nonce, firstBlock: start, data, misalign: 0)
            let actual = keystreamXor(AES256Hardware(key: key), nonce: nonce, firstBlock: start, data, misalign: 3)
            #expect(actual == expected)
        }
        let key = rng.bytes(32)
        let data = rng.bytes(1 << 20)
        let expected = keystreamXor(AES256Table(key: key), nonce: 7, firstBlock: 0, data, misalign: 0)
        var ctr = AES256CTR(cipher: AES256Hardware(key: key), nonce: 7)
        var streamed = data
        var offset = 0
        while offset < streamed.count {
            let n = min(Int(rng.next() % 5000), streamed.count - offset)
            streamed.withUnsafeMutableBytes { ctr.apply(UnsafeMutableRawBufferPointer(rebasing: $0[offset..<(offset + n)])) }
            offset += n
        }
        #expect(streamed == expected)
    }

    @Test("The dispatcher picks the hardware variant by default here (unless SPIPED_AES overrides)")
    func dispatcherDefault() {
        let aes = AES256(key: [UInt8](repeating: 1, count: 32), implementation: .hardware)
        #expect(aes.implementation == .hardware)
        #expect(AES256.isAvailable(.hardware))
    }

    @Test("wipe() zeroes the round keys of every copy")
    func wipe() {
        let key = [UInt8](repeating: 0x5A, count: 32)
        var cipher = AES256Hardware(key: key)
        let copy = cipher
        let block = [UInt8](repeating: 0, count: 16)
        let before = keystreamXor(copy, nonce: 0, firstBlock: 0, block, misalign: 0)
        cipher.wipe()
        let after = keystreamXor(copy, nonce: 0, firstBlock: 0, block, misalign: 0)
        #expect(before != after)
    }
}

@Suite("SHA-NI backend against the portable SHA-256",
       .enabled(if: SHA256.isAvailable(.hardware), "SHA extensions are not available (CPU lacks them, or built with SPIPED_PORTABLE=1)"))
struct SHA256HardwareBackendTests {
    @Test("Digests agree on random messages of every length 0...1100 and some large ones")
    func digestsAgree() {
        var rng = SeededGenerator(seed: 0x5A256)
        var lengths = Array(0...1100)
        lengths += [4095, 4096, 4097, 65_536, 1_000_003]
        for length in lengths {
            let message = rng.bytes(length)
            let hardware = SHA256.hash(message, implementation: .hardware)
            let portable = SHA256.hash(message, implementation: .portable)
            #expect(hardware == portable, "length \(length)")
        }
    }

    @Test("Streaming in random pieces agrees (multi-block calls of every size)")
    func streamingAgrees() {
        var rng = SeededGenerator(seed: 0x57EA)
        for _ in 0..<100 {
            let message = rng.bytes(Int(rng.next() % 20_000))
            var hardware = SHA256(implementation: .hardware)
            #expect(hardware.implementation == .hardware)
            var offset = 0
            while offset < message.count {
                let n = min(Int(rng.next() % 700), message.count - offset)
                message.withUnsafeBytes { hardware.update(UnsafeRawBufferPointer(rebasing: $0[offset..<(offset + n)])) }
                offset += n
            }
            #expect(hardware.finalize() == SHA256.hash(message, implementation: .portable))
        }
    }

    @Test("HMAC with the hardware block function equals the portable one")
    func hmacAgrees() {
        var rng = SeededGenerator(seed: 0x4AC)
        for round in 0..<300 {
            let key = rng.bytes(Int(rng.next() % 130))
            let message = rng.bytes(Int(rng.next() % 300))
            // HMAC uses SHA256's preferred implementation; build the portable
            // reference by the RFC 2104 formula with .portable explicitly.
            var k = key.count > 64 ? SHA256.hash(key, implementation: .portable) : key
            k += [UInt8](repeating: 0, count: 64 - k.count)
            let inner = SHA256.hash(k.map { $0 ^ 0x36 } + message, implementation: .portable)
            let expected = SHA256.hash(k.map { $0 ^ 0x5c } + inner, implementation: .portable)
            #expect(HMACSHA256.authenticationCode(for: message, key: key) == expected, "round \(round)")
        }
    }
}
