// Packet framing: every tampered byte is refused before anything is
// written, impossible lengths (built with the crypto primitives and a valid
// MAC) are refused, failures are final, and the opener's buffer rules hold.
import SpipedCrypto
import SpipedProtocol
import SpipedTestSupport
import Testing

@Suite("Packet sealer and opener")
struct PacketTests {
    let t = transcript("pfs")

    /// An opener for the client-to-server direction of the PFS transcript.
    func serverOpener() -> PacketOpener {
        PacketOpener(encryptionKey: t.bytes("E_C"), macKey: t.bytes("H_C"))
    }

    /// Opens `input` into a 4 KiB buffer filled with 0xAA; returns the result
    /// (or error) and the buffer afterwards.
    func openCapturing(_ opener: PacketOpener, _ input: [UInt8]) -> (Result<(consumed: Int, produced: Int), PacketError>, [UInt8]) {
        var out = [UInt8](repeating: 0xAA, count: 4096)
        var result: Result<(consumed: Int, produced: Int), PacketError> = .failure(.failedEarlier)
        input.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { target in
                do throws(PacketError) { result = .success(try opener.open(source, into: target)) }
                catch { result = .failure(error) }
            }
        }
        return (result, out)
    }

    /// A validly encrypted and MACed packet whose padded block is `padded`
    /// (1028 bytes), built from the primitives rather than PacketSealer.
    func forgePacket(padded: [UInt8], packetNumber: UInt64 = 0) -> [UInt8] {
        var enc = padded
        var ctr = AES256CTR(cipher: AES256(key: t.bytes("E_C")), nonce: packetNumber)
        ctr.apply(&enc)
        var counter = [UInt8](repeating: 0, count: 8)
        for i in 0..<8 { counter[i] = UInt8(truncatingIfNeeded: packetNumber >> (56 - 8 * UInt64(i))) }
        return enc + HMACSHA256.authenticationCode(for: enc + counter, key: t.bytes("H_C"))
    }

    func padded(payload: [UInt8], length: UInt32) -> [UInt8] {
        payload + [UInt8](repeating: 0, count: 1024 - payload.count)
            + [UInt8(length >> 24), UInt8(length >> 16 & 0xFF), UInt8(length >> 8 & 0xFF), UInt8(length & 0xFF)]
    }

    @Test("sealedByteCount: one 1060-byte packet per started 1024 bytes")
    func sizes() {
        #expect(SpipedSession.packetByteCount == 1060)
        #expect(SpipedSession.maxPayloadByteCount == 1024)
        let cases = [(0, 0), (1, 1060), (1024, 1060), (1025, 2120), (3000, 3180), (1 << 20, 1024 * 1060)]
        for (n, expected) in cases {
            #expect(SpipedSession.sealedByteCount(forPlaintextByteCount: n) == expected, "n = \(n)")
        }
    }

    @Test("the primitives' forged packet equals the recorded one (the forging helper is right)")
    func forgeMatchesTranscript() {
        let plain = t.bytes("C2S_PLAIN_1")
        #expect(forgePacket(padded: padded(payload: plain, length: 1)) == t.bytes("C2S_PACKETS_1"))
    }

    @Test("a flipped byte at every offset of a packet: badMAC, nothing written")
    func tamperEveryOffset() {
        let good = t.bytes("C2S_PACKETS_1")
        #expect(good.count == 1060)
        for offset in 0..<good.count {
            var bad = good
            bad[offset] ^= UInt8(1 << (offset % 8))
            let opener = serverOpener()
            let (result, out) = openCapturing(opener, bad)
            guard case .failure(let error) = result else {
                Issue.record("offset \(offset): tampered packet accepted")
                continue
            }
            #expect(error == .badMAC, "offset \(offset)")
            #expect(out.allSatisfy { $0 == 0xAA }, "offset \(offset): output written")
            #expect(opener.hasFailed)
        }
    }

    @Test("validly MACed packets with length 0, 1025, 0xFFFFFFFF: badLength, nothing written",
          arguments: [UInt32(0), 1025, 0x8000_0000, 0xFFFF_FFFF])
    func badLength(length: UInt32) throws {
        let packet = forgePacket(padded: padded(payload: [UInt8](repeating: 0x41, count: 1024), length: length))
        let opener = serverOpener()
        let (result, out) = openCapturing(opener, packet)
        guard case .failure(let error) = result else {
            Issue.record("length \(length) accepted")
            return
        }
        #expect(error == .badLength)
        #expect(out.allSatisfy { $0 == 0xAA })
        // Lengths 1 and 1024 on the same packet body are fine.
        for valid in [UInt32(1), 1024] {
            let ok = forgePacket(padded: padded(payload: [UInt8](repeating: 0x41, count: 1024), length: valid))
            #expect(try serverOpener().open(ok) == [UInt8](repeating: 0x41, count: Int(valid)))
        }
    }

    @Test("after any failure the opener refuses everything with failedEarlier")
    func failedEarlier() {
        let good = t.bytes("C2S_PACKETS_1")
        var bad = good
        bad[0] ^= 1
        let opener = serverOpener()
        #expect(throws: PacketError.badMAC) { try opener.open(bad) }
        #expect(throws: PacketError.failedEarlier) { try opener.open(good) }
        #expect(throws: PacketError.failedEarlier) { try opener.open([UInt8]()) }
        #expect(throws: PacketError.failedEarlier) { try opener.open([UInt8](good[0..<10])) }

        let lengthFailure = serverOpener()
        let zero = forgePacket(padded: padded(payload: [], length: 0))
        #expect(throws: PacketError.badLength) { try lengthFailure.open(zero) }
        #expect(throws: PacketError.failedEarlier) { try lengthFailure.open(good) }
    }

    @Test("openAvailable keeps the plaintext of good packets before a bad one; open() does not")
    func goodPacketsBeforeABadOne() {
        // Packet 0 (valid, payload 0x41 x 100), then packet 1 with a flipped MAC bit, in one input.
        let first = forgePacket(padded: padded(payload: [UInt8](repeating: 0x41, count: 100), length: 100))
        var second = forgePacket(padded: padded(payload: [UInt8](repeating: 0x42, count: 5), length: 5), packetNumber: 1)
        second[second.count - 1] ^= 1
        let input = first + second
        var out = [UInt8](repeating: 0, count: 4096)

        let opener = serverOpener()
        let result = input.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { opener.openAvailable(source, into: $0) }
        }
        #expect(result.consumed == input.count && result.produced == 100 && result.failure == .badMAC)
        #expect(Array(out[0..<100]) == [UInt8](repeating: 0x41, count: 100))
        #expect(opener.hasFailed)
        let after = input.withUnsafeBytes { source in
            out.withUnsafeMutableBytes { opener.openAvailable(source, into: $0) }
        }
        #expect(after.consumed == 0 && after.produced == 0 && after.failure == .failedEarlier)

        // The throwing form reports the failure and hands back nothing.
        #expect(throws: PacketError.badMAC) { try serverOpener().open(input) }
    }

    @Test("a bad packet at any position among 1...5 in one input: the ones before it are delivered, nothing after",
          arguments: ["badMAC", "badLength"])
    func badPacketAtEveryPosition(kind: String) {
        // The opener MACs whole packets two at a time; a bad first or second
        // of a pair, or a bad odd last packet, must all end the same way.
        for count in 1...5 {
            for bad in 0..<count {
                var input: [UInt8] = []
                var expected: [UInt8] = []
                for n in 0..<count {
                    let payload = [UInt8](repeating: UInt8(0x30 + n), count: 100 + n)
                    var packet: [UInt8]
                    if n == bad && kind == "badLength" {
                        packet = forgePacket(padded: padded(payload: payload, length: 1025), packetNumber: UInt64(n))
                    } else {
                        packet = forgePacket(padded: padded(payload: payload, length: UInt32(payload.count)),
                                             packetNumber: UInt64(n))
                        if n == bad { packet[500] ^= 0x10 }
                        if n < bad { expected += payload }
                    }
                    input += packet
                }
                var out = [UInt8](repeating: 0, count: 8192)
                let opener = serverOpener()
                let result = input.withUnsafeBytes { source in
                    out.withUnsafeMutableBytes { opener.openAvailable(source, into: $0) }
                }
                let label = "\(count) packets, bad one at \(bad)"
                #expect(result.failure == (kind == "badMAC" ? .badMAC : .badLength), "\(label)")
                #expect(result.consumed == (bad + 1) * 1060, "\(label)")
                #expect(Array(out[0..<result.produced]) == expected, "\(label)")
                #expect(opener.packetCount == UInt64(bad), "\(label)")
            }
            // And all good: every packet, in order, whatever the count's parity.
            var input: [UInt8] = []
            var expected: [UInt8] = []
            for n in 0..<count {
                let payload = [UInt8](repeating: UInt8(0x30 + n), count: 100 + n)
                input += forgePacket(padded: padded(payload: payload, length: UInt32(payload.count)), packetNumber: UInt64(n))
                expected += payload
            }
            #expect((try? serverOpener().open(input)) == expected, "\(count) good packets")
        }
    }

    @Test("packets out of order, replayed or for the other direction fail the MAC")
    func wrongNumberOrDirection() throws {
        let packets = t.bytes("C2S_PACKETS_1025")             // packets 4 and 5
        #expect(throws: PacketError.badMAC) { try serverOpener().open(packets) }
        let first = t.bytes("C2S_PACKETS_1")
        let opener = serverOpener()
        #expect(try opener.open(first) == t.bytes("C2S_PLAIN_1"))
        #expect(throws: PacketError.badMAC) { try opener.open(first) }   // replay as packet 1
        let other = PacketOpener(encryptionKey: t.bytes("E_S"), macKey: t.bytes("H_S"))
        #expect(throws: PacketError.badMAC) { try other.open(first) }
    }

    @Test("with less than 1024 bytes free the opener consumes nothing")
    func smallOutput() throws {
        let opener = serverOpener()
        let packet = t.bytes("C2S_PACKETS_1")
        var out = [UInt8](repeating: 0, count: 1023)
        let step = try packet.withUnsafeBytes { input in
            try out.withUnsafeMutableBytes { try opener.open(input, into: $0) }
        }
        #expect(step.consumed == 0 && step.produced == 0)
        #expect(try opener.open(packet) == t.bytes("C2S_PLAIN_1"))
    }

    @Test("the opener stops when its output is full and resumes from the rest")
    func outputFullResumes() throws {
        let all = t.allPackets("C2S")
        let opener = serverOpener()
        var out = [UInt8](repeating: 0, count: 2047)   // full after one big packet or a few small ones
        var opened: [UInt8] = []
        var offset = 0
        while offset < all.count {
            let step = try all.withUnsafeBytes { input in
                try out.withUnsafeMutableBytes {
                    try opener.open(UnsafeRawBufferPointer(rebasing: input[offset...]), into: $0)
                }
            }
            #expect(step.consumed % 1060 == 0 && step.consumed > 0, "only whole packets, while 1024 bytes are free")
            offset += step.consumed
            opened += out[0..<step.produced]
        }
        #expect(opened == t.allPlaintext("C2S"))
    }

    @Test("opener fed in seeded random chunks, and byte by byte, produces the same plaintext",
          arguments: [UInt64(1), 2, 3, 4])
    func fragmentedPackets(seed: UInt64) throws {
        let all = t.allPackets("S2C")
        let expected = t.allPlaintext("S2C")
        var rng = SeededGenerator(seed: seed)
        let opener = PacketOpener(encryptionKey: t.bytes("E_S"), macKey: t.bytes("H_S"))
        var opened: [UInt8] = []
        var offset = 0
        var pending: [UInt8] = []
        while offset < all.count || !pending.isEmpty {
            let size = seed == 4 ? 1 : Int(rng.next() % 3000) + 1
            pending += all[offset..<min(all.count, offset + size)]
            offset = min(all.count, offset + size)
            var out = [UInt8](repeating: 0, count: 1024 * (1 + Int(rng.next() % 4)))
            let step = try pending.withUnsafeBytes { input in
                try out.withUnsafeMutableBytes { try opener.open(input, into: $0) }
            }
            opened += out[0..<step.produced]
            pending.removeFirst(step.consumed)
        }
        #expect(opened == expected)
        #expect(!opener.hasPartialPacket)
    }

    @Test("one seal call writes many packets; the sealer continues numbering across calls")
    func sealMany() throws {
        let sealer = PacketSealer(encryptionKey: t.bytes("E_C"), macKey: t.bytes("H_C"))
        // All C2S plaintexts sealed in the recorded call pattern equal the recorded packets...
        var sealed: [UInt8] = []
        for n in Transcript.sizes { sealed += sealer.seal(t.bytes("C2S_PLAIN_\(n)")) }
        #expect(sealed == t.allPackets("C2S"))
        #expect(sealer.packetCount == 9)
        // ... and with the buffer API into an exactly sized buffer.
        let again = PacketSealer(encryptionKey: t.bytes("E_C"), macKey: t.bytes("H_C"))
        let plain = t.bytes("C2S_PLAIN_1")
        var out = [UInt8](repeating: 0xEE, count: 1060)
        let written = plain.withUnsafeBytes { p in out.withUnsafeMutableBytes { again.seal(p, into: $0) } }
        #expect(written == 1060 && out == t.bytes("C2S_PACKETS_1"))
        let none = [UInt8]().withUnsafeBytes { p in out.withUnsafeMutableBytes { again.seal(p, into: $0) } }
        #expect(none == 0 && again.packetCount == 1)
    }
}
