// SHA-256 known-answer and property tests: every record of the NIST CAVP
// ShortMsg, LongMsg and Monte Carlo files, for every implementation this
// machine can run, plus streaming (any split) and state-cloning checks.
import SpipedTestSupport
import Testing
import SpipedCrypto

/// The SHA-256 implementations this machine can run (portable at least).
let availableSHA256Implementations = SHA256.Implementation.allCases.filter(SHA256.isAvailable)

/// Deterministic test message: bytes of a simple LCG, so failures reproduce.
func testMessage(length: Int, seed: UInt32 = 1) -> [UInt8] {
    var x = seed
    return (0..<length).map { _ in
        x = x &* 1_103_515_245 &+ 12_345
        return UInt8(truncatingIfNeeded: x >> 16)
    }
}

@Suite struct SHA256Tests {
    /// NIST CAVP byte-oriented messages; Len is in bits and Len = 0 has Msg = 00.
    func checkMessageFile(_ file: String, expectedRecords: Int, _ implementation: SHA256.Implementation) throws {
        let records = try loadVectorFile(file)
        #expect(records.count == expectedRecords)
        for record in records {
            let bitLength = record.int("Len")
            let message = bitLength == 0 ? [] : record.bytes("Msg")
            #expect(message.count * 8 == bitLength, "record at line \(record.line)")
            let digest = SHA256.hash(message, implementation: implementation)
            #expect(hex(digest) == record.text("MD").lowercased(), "Len = \(bitLength) (line \(record.line))")
        }
    }

    @Test("CAVP SHA256ShortMsg, every record", arguments: availableSHA256Implementations)
    func shortMessages(_ implementation: SHA256.Implementation) throws {
        try checkMessageFile("SHA256/SHA256ShortMsg.rsp", expectedRecords: 65, implementation)
    }

    @Test("CAVP SHA256LongMsg, every record", arguments: availableSHA256Implementations)
    func longMessages(_ implementation: SHA256.Implementation) throws {
        try checkMessageFile("SHA256/SHA256LongMsg.rsp", expectedRecords: 64, implementation)
    }

    /// CAVP SHAVS Monte Carlo test (SHAVS section 6.4): for each of 100
    /// checkpoints, MD0 = MD1 = MD2 = Seed, then 1000 times
    /// MD_i = SHA(MD_{i-3} || MD_{i-2} || MD_{i-1}); the checkpoint is MD_1002,
    /// which also becomes the next Seed.
    @Test("CAVP SHA256Monte, all 100 checkpoints", arguments: availableSHA256Implementations)
    func monteCarlo(_ implementation: SHA256.Implementation) throws {
        let records = try loadVectorFile("SHA256/SHA256Monte.rsp")
        let seedRecord = records.first { $0.fields["Seed"] != nil }
        let checkpoints = records.filter { $0.fields["COUNT"] != nil }
        #expect(checkpoints.count == 100)
        var seed = seedRecord?.bytes("Seed") ?? []
        #expect(seed.count == 32)
        var window = [UInt8](repeating: 0, count: 96)       // MD_{i-3} || MD_{i-2} || MD_{i-1}
        var next = [UInt8](repeating: 0, count: 32)
        for checkpoint in checkpoints {
            for part in 0..<3 { window.replaceSubrange(part * 32..<(part + 1) * 32, with: seed) }
            for _ in 3..<1003 {
                var hasher = SHA256(implementation: implementation)
                window.withUnsafeBytes { hasher.update($0) }
                next.withUnsafeMutableBytes { hasher.finalize(into: $0) }
                window.removeFirst(32)
                window.append(contentsOf: next)
            }
            seed = next
            #expect(hex(seed) == checkpoint.text("MD").lowercased(), "COUNT = \(checkpoint.text("COUNT"))")
        }
    }

    @Test("Two-way split at every offset equals one-shot (lengths 0...200)", arguments: availableSHA256Implementations)
    func streamingTwoWaySmall(_ implementation: SHA256.Implementation) {
        for length in 0...200 {
            let message = testMessage(length: length, seed: UInt32(length))
            let expected = SHA256.hash(message, implementation: implementation)
            for split in 0...length {
                var hasher = SHA256(implementation: implementation)
                hasher.update(message[..<split])
                hasher.update(message[split...])
                #expect(hasher.finalize() == expected, "length \(length) split \(split)")
            }
        }
    }

    @Test("Splits of a 1000-byte message equal one-shot", arguments: availableSHA256Implementations)
    func streamingLongMessage(_ implementation: SHA256.Implementation) {
        let message = testMessage(length: 1000, seed: 99)
        let expected = SHA256.hash(message, implementation: implementation)
        for split in 0...message.count {
            var hasher = SHA256(implementation: implementation)
            message.withUnsafeBytes { raw in
                hasher.update(UnsafeRawBufferPointer(rebasing: raw[..<split]))
                hasher.update(UnsafeRawBufferPointer(rebasing: raw[split...]))
            }
            #expect(hasher.finalize() == expected, "split \(split)")
        }
        // Three-way splits, sampled on a grid that includes block boundaries.
        for first in stride(from: 0, through: 1000, by: 37) {
            for second in stride(from: first, through: 1000, by: 29) {
                var hasher = SHA256(implementation: implementation)
                hasher.update(message[..<first])
                hasher.update(message[first..<second])
                hasher.update(message[second...])
                #expect(hasher.finalize() == expected, "splits \(first), \(second)")
            }
        }
        // Byte at a time, and a non-contiguous collection (the buffered path).
        var byByte = SHA256(implementation: implementation)
        for byte in message { byByte.update(CollectionOfOne(byte)) }
        #expect(byByte.finalize() == expected)
        var lazy = SHA256(implementation: implementation)
        lazy.update(message.lazy.map { $0 })
        #expect(lazy.finalize() == expected)
    }

    @Test("Copying a hasher clones its state", arguments: availableSHA256Implementations)
    func copyClonesState(_ implementation: SHA256.Implementation) {
        let prefix = testMessage(length: 100, seed: 5)
        let tailA = testMessage(length: 77, seed: 6)
        let tailB = testMessage(length: 3, seed: 7)
        var original = SHA256(implementation: implementation)
        original.update(prefix)
        var copy = original
        original.update(tailA)
        copy.update(tailB)
        #expect(original.finalize() == SHA256.hash(prefix + tailA, implementation: implementation))
        #expect(copy.finalize() == SHA256.hash(prefix + tailB, implementation: implementation))
    }

    @Test("finalize resets to the empty message; finalize(into:) writes 32 bytes", arguments: availableSHA256Implementations)
    func finalizeResets(_ implementation: SHA256.Implementation) {
        var hasher = SHA256(implementation: implementation)
        hasher.update([1, 2, 3] as [UInt8])
        _ = hasher.finalize()
        #expect(hex(hasher.finalize()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        var out = [UInt8](repeating: 0xAA, count: 40)
        hasher.update(Array("abc".utf8))
        out.withUnsafeMutableBytes { hasher.finalize(into: $0) }
        #expect(hex(out[..<32]) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(out[32...].allSatisfy { $0 == 0xAA })
    }

    @Test("Every implementation agrees with the preferred one on random lengths")
    func implementationsAgree() {
        #expect(SHA256.isAvailable(.portable))
        #expect(SHA256.isAvailable(SHA256.preferredImplementation))
        #expect(SHA256().implementation == SHA256.preferredImplementation)
        for length in [0, 1, 55, 56, 63, 64, 65, 119, 120, 128, 4096 + 17] {
            let message = testMessage(length: length, seed: 11)
            let reference = SHA256.hash(message, implementation: .portable)
            for implementation in availableSHA256Implementations {
                #expect(SHA256.hash(message, implementation: implementation) == reference, "length \(length)")
            }
            #expect(SHA256.hash(message) == reference)
        }
    }
}
