// HMAC-SHA256 tests: every record of the RFC 4231 file (for every SHA-256
// implementation), agreement with the RFC 2104 formula built from SHA256
// for key lengths around the block size, streaming and keyed-state cloning.
import SpipedTestSupport
import Testing
import SpipedCrypto

@Suite struct HMACTests {
    @Test("RFC 4231 HMAC-SHA256, every record", arguments: availableSHA256Implementations)
    func rfc4231(_ implementation: SHA256.Implementation) throws {
        let records = try loadVectorFile("HMAC/rfc-4231-sha256.txt")
        #expect(records.count == 6)
        for record in records {
            let key = record.bytes("Key")
            let message = record.bytes("Msg")
            let expected = record.bytes("MD")
            #expect(message.count * 8 == record.int("Len"), "line \(record.line)")
            var mac = HMACSHA256(key: key, implementation: implementation)
            mac.update(message)
            let code = mac.finalize()
            // Truncated outputs (RFC 4231 test 5 style) compare the leading bytes.
            #expect(!expected.isEmpty && expected.count <= 32)
            #expect(hex(code.prefix(expected.count)) == hex(expected), "line \(record.line)")
            if implementation == HMACSHA256(key: key).implementation {
                #expect(HMACSHA256.authenticationCode(for: message, key: key).prefix(expected.count) == expected[...])
            }
        }
    }

    /// RFC 2104: H((K0 ^ opad) || H((K0 ^ ipad) || m)), K0 = key (hashed if > 64 bytes) zero-padded.
    func referenceHMAC(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var k0 = key.count > 64 ? SHA256.hash(key) : key
        k0 += [UInt8](repeating: 0, count: 64 - k0.count)
        let inner = SHA256.hash(k0.map { $0 ^ 0x36 } + message)
        return SHA256.hash(k0.map { $0 ^ 0x5c } + inner)
    }

    @Test("Matches the RFC 2104 formula for key lengths 0...200", arguments: availableSHA256Implementations)
    func keyLengths(_ implementation: SHA256.Implementation) {
        let message = testMessage(length: 70, seed: 3)
        for keyLength in 0...200 {
            let key = testMessage(length: keyLength, seed: UInt32(keyLength) + 1000)
            var mac = HMACSHA256(key: key, implementation: implementation)
            mac.update(message)
            #expect(mac.finalize() == referenceHMAC(key: key, message: message), "key length \(keyLength)")
        }
        // A key given as a non-contiguous collection is read the same way.
        let key = testMessage(length: 100, seed: 4)
        var lazyKeyed = HMACSHA256(key: key.lazy.map { $0 }, implementation: implementation)
        lazyKeyed.update(message)
        #expect(lazyKeyed.finalize() == referenceHMAC(key: key, message: message))
    }

    @Test("Streaming at every split equals one-shot", arguments: availableSHA256Implementations)
    func streaming(_ implementation: SHA256.Implementation) {
        for keyLength in [0, 20, 32, 64, 65, 131] {
            let key = testMessage(length: keyLength, seed: 8)
            let message = testMessage(length: 200, seed: 9)
            let expected = referenceHMAC(key: key, message: message)
            let keyed = HMACSHA256(key: key, implementation: implementation)
            for split in 0...message.count {
                var mac = keyed
                message.withUnsafeBytes { raw in
                    mac.update(UnsafeRawBufferPointer(rebasing: raw[..<split]))
                    mac.update(UnsafeRawBufferPointer(rebasing: raw[split...]))
                }
                #expect(mac.finalize() == expected, "key \(keyLength) split \(split)")
            }
        }
    }

    @Test("A copied keyed state gives the same MACs; finalize returns to the keyed state", arguments: availableSHA256Implementations)
    func clonedKeyedState(_ implementation: SHA256.Implementation) {
        let key = testMessage(length: 32, seed: 12)
        let keyed = HMACSHA256(key: key, implementation: implementation)
        var reused = keyed
        for packet in 0..<50 {
            // spiped's packet MAC shape: 1028 bytes then a 64-bit counter.
            let message = testMessage(length: 1028, seed: UInt32(packet))
            var counter = UInt64(packet).bigEndian
            let expected = referenceHMAC(key: key, message: message + withUnsafeBytes(of: &counter) { Array($0) })
            var clone = keyed
            clone.update(message)
            withUnsafeBytes(of: &counter) { clone.update($0) }
            #expect(clone.finalize() == expected, "packet \(packet)")
            reused.update(message)
            withUnsafeBytes(of: &counter) { reused.update($0) }
            var out = [UInt8](repeating: 0, count: 32)
            out.withUnsafeMutableBytes { reused.finalize(into: $0) }
            #expect(out == expected, "reused, packet \(packet)")
        }
        // Cloning mid-message forks the computation.
        var a = keyed
        a.update([1, 2, 3] as [UInt8])
        var b = a
        a.update([4] as [UInt8])
        b.update([5] as [UInt8])
        #expect(a.finalize() == referenceHMAC(key: key, message: [1, 2, 3, 4]))
        #expect(b.finalize() == referenceHMAC(key: key, message: [1, 2, 3, 5]))
    }
}
