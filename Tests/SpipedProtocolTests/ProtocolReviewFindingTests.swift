// The code review's protocol findings, one test each (issue #17 part 3):
// 6. fast (-f) with requirePFS (-g) is refused at creation, so no early
//    sealer without forward secrecy can come out of such a handshake;
// 8. the expected MAC of a handshake message lives only in the caller's
//    secret scratch and is zero once the check returns (good or bad MAC);
// 9. packet counters fail closed at 2^64 - 1 instead of wrapping to 0
//    (which would reuse CTR nonces and MAC inputs), sealer and opener alike.
import SpipedCrypto
import SpipedProtocol
import SpipedTestSupport
import Testing

@Suite("Review findings (protocol)")
struct ProtocolReviewFindingTests {
    @Test("6: fast with requirePFS is refused on both roles; no early sealer exists")
    func fastWithRequirePFSRefused() {
        let key = SpipedKey(keyFileBytes: Array("finding 6".utf8))
        for role in [HandshakeRole.client, .server] {
            #expect(throws: HandshakeSetupError.fastWithRequirePFS) {
                try Handshake(role: role, key: key, options: HandshakeOptions(fast: true, requirePFS: true),
                              random: SeededGenerator(seed: 6))
            }
        }
    }

    @Test("8: the expected MAC is computed into the scratch and wiped there, for a good and a bad MAC")
    func expectedMACIsWiped() {
        let macKey = [UInt8](repeating: 0x42, count: 32)
        let y = [UInt8](repeating: 0, count: 255) + [2]
        let good = handshakeMessage(y: y, macKey: macKey)
        var bad = good
        bad[287] ^= 1
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 32, alignment: 16)
        defer { scratch.deallocate() }
        for (message, expected) in [(good, true), (bad, false)] {
            scratch.initializeMemory(as: UInt8.self, repeating: 0xEE)
            let verified = message.withUnsafeBytes { m in
                macKey.withUnsafeBytes { HandshakeMessage.verify(m, macKey: $0, scratch: scratch) }
            }
            #expect(verified == expected)
            #expect(scratch.allSatisfy { $0 == 0 }, "expected MAC left in memory: \(hex(scratch))")
        }
    }

    static let keys = (e: [UInt8](repeating: 1, count: 32), h: [UInt8](repeating: 2, count: 32))

    @Test("9: the sealer seals packet 2^64 - 1 and then nothing; no partial batch crosses the limit")
    func sealerFailsClosed() {
        let sealer = PacketSealer(encryptionKey: Self.keys.e, macKey: Self.keys.h, firstPacketNumber: UInt64.max - 1)
        #expect(sealer.seal([UInt8](repeating: 7, count: 3000)).isEmpty, "three packets from 2^64 - 2 would wrap")
        #expect(!sealer.isExhausted)
        #expect(sealer.seal([UInt8](repeating: 7, count: 2000)).count == 2 * SpipedSession.packetByteCount)
        #expect(sealer.isExhausted)
        #expect(sealer.seal([UInt8](repeating: 7, count: 1)).isEmpty, "a packet after 2^64 - 1 was sealed")
    }

    @Test("9: the opener accepts packet 2^64 - 1 and then refuses with packetLimitReached")
    func openerFailsClosed() throws {
        let sealer = PacketSealer(encryptionKey: Self.keys.e, macKey: Self.keys.h, firstPacketNumber: UInt64.max - 1)
        let opener = PacketOpener(encryptionKey: Self.keys.e, macKey: Self.keys.h, firstPacketNumber: UInt64.max - 1)
        let plain = TestRandom.bytes(2048)
        let packets = sealer.seal(plain)
        #expect(try opener.open(packets) == plain)
        // What a wrapped peer would send next: packet 0 under the same keys.
        let wrapped = PacketSealer(encryptionKey: Self.keys.e, macKey: Self.keys.h).seal([1, 2, 3])
        #expect(throws: PacketError.packetLimitReached) { try opener.open(wrapped) }
        #expect(opener.hasFailed)
    }
}

/// Random bytes for payloads.
enum TestRandom {
    static func bytes(_ count: Int) -> [UInt8] {
        var generator = SeededGenerator(seed: UInt64(count))
        return generator.bytes(count)
    }
}
