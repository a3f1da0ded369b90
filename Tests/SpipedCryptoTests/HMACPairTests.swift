// HMACSHA256.authenticationCodes (two messages at once, interleaved
// compressions): every RFC 4231 record through it, and agreement with the
// one-message HMAC for every body length 0...300 with suffixes of 0, 1, 8,
// 55, 56 and 64 bytes (the tail padding takes one, two or three blocks),
// for every SHA-256 implementation. The two lanes get different messages so
// a mixed-up lane shows.
import SpipedTestSupport
import Testing
import SpipedCrypto

@Suite struct HMACPairTests {
    /// Both codes from the pair API, messages split at `split` into body and suffix.
    func pairCodes(_ keyed: HMACSHA256, _ first: [UInt8], _ second: [UInt8], split: Int) -> ([UInt8], [UInt8]) {
        var codeA = [UInt8](repeating: 0, count: 32), codeB = [UInt8](repeating: 0, count: 32)
        first.withUnsafeBytes { a in
            second.withUnsafeBytes { b in
                codeA.withUnsafeMutableBytes { outA in
                    codeB.withUnsafeMutableBytes { outB in
                        keyed.authenticationCodes(body: UnsafeRawBufferPointer(rebasing: a[..<split]),
                                                  suffix: UnsafeRawBufferPointer(rebasing: a[split...]),
                                                  body: UnsafeRawBufferPointer(rebasing: b[..<split]),
                                                  suffix: UnsafeRawBufferPointer(rebasing: b[split...]),
                                                  into: outA.baseAddress.unsafelyUnwrapped, outB.baseAddress.unsafelyUnwrapped)
                    }
                }
            }
        }
        return (codeA, codeB)
    }

    func single(_ keyed: HMACSHA256, _ message: [UInt8]) -> [UInt8] {
        var mac = keyed
        mac.update(message)
        return mac.finalize()
    }

    @Test("RFC 4231 HMAC-SHA256, every record, two at a time", arguments: availableSHA256Implementations)
    func rfc4231(_ implementation: SHA256.Implementation) throws {
        let records = try loadVectorFile("HMAC/rfc-4231-sha256.txt")
        #expect(records.count == 6)
        for record in records {
            let key = record.bytes("Key"), message = record.bytes("Msg"), expected = record.bytes("MD")
            let keyed = HMACSHA256(key: key, implementation: implementation)
            let suffix = min(message.count, HMACSHA256.maxPairSuffixByteCount)
            let (a, b) = pairCodes(keyed, message, message, split: message.count - suffix)
            #expect(hex(a.prefix(expected.count)) == hex(expected), "line \(record.line), first lane")
            #expect(hex(b.prefix(expected.count)) == hex(expected), "line \(record.line), second lane")
        }
    }

    @Test("Equals the one-message HMAC for every shape", arguments: availableSHA256Implementations)
    func shapes(_ implementation: SHA256.Implementation) {
        let keyed = HMACSHA256(key: testMessage(length: 32, seed: 77), implementation: implementation)
        var keyedWithMessage = keyed
        keyedWithMessage.update(testMessage(length: 10, seed: 1))   // ignored by the pair API
        for suffix in [0, 1, 8, 55, 56, 64] {
            for body in 0...300 {
                let first = testMessage(length: body + suffix, seed: UInt32(body * 100 + suffix))
                let second = testMessage(length: body + suffix, seed: UInt32(body * 100 + suffix) + 50_000)
                let (a, b) = pairCodes(keyedWithMessage, first, second, split: body)
                #expect(a == single(keyed, first), "body \(body) suffix \(suffix), first lane")
                #expect(b == single(keyed, second), "body \(body) suffix \(suffix), second lane")
            }
        }
    }
}
