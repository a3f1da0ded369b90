// HMACSHA256.authenticationCodes(count:...) (many messages side by side):
// every RFC 4231 record through every lane kind this process may run, and
// agreement with the one-message HMAC for batch sizes 1...17 (full, partial
// and multiple kernel calls, and the narrower kinds a short batch falls to),
// body lengths 0...300 and suffixes of 0, 1, 8, 55, 56 and 64 bytes (the
// padded tail takes one, two or three blocks). Every lane gets a different
// message so a mixed-up lane shows. Run the suite under SPIPED_DISABLE to
// see the selection change; the explicit kinds here cover every kernel the
// CPU has whatever the environment hides.
import SpipedTestSupport
import Testing
import SpipedCrypto

let availableLanes = HMACSHA256.Lanes.allCases.filter(\.isAvailable)

/// The codes of `messages` (all split at `split`) computed in one batch.
func laneCodes(_ keyed: HMACSHA256, _ messages: [[UInt8]], split: Int, lanes: HMACSHA256.Lanes) -> [[UInt8]] {
    let count = messages.count
    var joined = messages.flatMap { $0 }
    let length = messages.first?.count ?? 0
    var codes = [UInt8](repeating: 0, count: 32 * count)
    joined.withUnsafeMutableBytes { input in
        codes.withUnsafeMutableBytes { out in
            let base = UnsafeRawPointer(input.baseAddress ?? UnsafeMutableRawPointer(out.baseAddress!))
            let bodies = (0..<count).map { base + $0 * length }
            let suffixes = (0..<count).map { base + $0 * length + split }
            let outputs = (0..<count).map { out.baseAddress! + $0 * 32 }
            keyed.authenticationCodes(count: count, bodies: bodies, bodyByteCount: split,
                                      suffixes: suffixes, suffixByteCount: length - split,
                                      codes: outputs, lanes: lanes)
        }
    }
    return (0..<count).map { Array(codes[($0 * 32)..<($0 * 32 + 32)]) }
}

/// The one-message HMAC from a keyed state: the reference the batch APIs are checked against.
func singleHMAC(_ keyed: HMACSHA256, _ message: [UInt8]) -> [UInt8] {
    var mac = keyed
    mac.update(message)
    return mac.finalize()
}

@Suite struct HMACLaneTests {
    @Test("RFC 4231 HMAC-SHA256, every record, in every lane of a full batch", arguments: availableLanes)
    func rfc4231(_ lanes: HMACSHA256.Lanes) throws {
        let records = try loadVectorFile("HMAC/rfc-4231-sha256.txt")
        #expect(records.count == 6)
        for record in records {
            let key = record.bytes("Key"), message = record.bytes("Msg"), expected = record.bytes("MD")
            let keyed = HMACSHA256(key: key)
            let suffix = min(message.count, HMACSHA256.maxLaneSuffixByteCount)
            let codes = laneCodes(keyed, Array(repeating: message, count: lanes.laneCount),
                                  split: message.count - suffix, lanes: lanes)
            for (lane, code) in codes.enumerated() {
                #expect(hex(code.prefix(expected.count)) == hex(expected), "line \(record.line), lane \(lane)")
            }
        }
    }

    @Test("Equals the one-message HMAC for every shape and batch size 1...17", arguments: availableLanes)
    func shapes(_ lanes: HMACSHA256.Lanes) {
        let keyed = HMACSHA256(key: testMessage(length: 32, seed: 77))
        var keyedWithMessage = keyed
        keyedWithMessage.update(testMessage(length: 10, seed: 1))   // ignored by the batch API
        for suffix in [0, 1, 8, 55, 56, 64] {
            for body in 0...300 {
                let count = body % 17 + 1
                let messages = (0..<count).map { testMessage(length: body + suffix, seed: UInt32(body * 100 + suffix + $0 * 7919)) }
                let codes = laneCodes(keyedWithMessage, messages, split: body, lanes: lanes)
                for i in 0..<count {
                    #expect(codes[i] == singleHMAC(keyed, messages[i]), "body \(body) suffix \(suffix), message \(i) of \(count)")
                }
            }
        }
    }

    @Test("Lane kinds report their width and instruction set")
    func names() {
        #expect(HMACSHA256.Lanes.avx512.laneCount == 16 && HMACSHA256.Lanes.avx512.backendName == "avx512-x16")
        #expect(HMACSHA256.Lanes.avx2.laneCount == 8 && HMACSHA256.Lanes.avx2.backendName == "avx2-x8")
        #expect(HMACSHA256.Lanes.shaniPairs.laneCount == 2 && HMACSHA256.Lanes.shaniPairs.backendName == "shani-x2")
        #expect(HMACSHA256.Lanes.simd4.laneCount == 4 && HMACSHA256.Lanes.simd4.isAvailable)
        #expect(HMACSHA256.preferredLanes.isAvailable)
    }
}
