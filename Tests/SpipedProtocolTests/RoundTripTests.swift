// A client and a server state machine wired to each other (with the
// system's randomness) complete the handshake and move random data of
// 0 bytes to 3 MB both ways intact, in seeded random write and read sizes.
import SpipedCrypto
import SpipedProtocol
import SpipedTestSupport
import Testing

@Suite("Round trip")
struct RoundTripTests {
    /// Runs both handshakes against each other until both complete.
    static func connect(client clientOptions: HandshakeOptions = HandshakeOptions(),
                        server serverOptions: HandshakeOptions = HandshakeOptions(),
                        key: SpipedKey = SpipedKey(keyFileBytes: Array("round trip key".utf8)))
        throws -> (client: (sealer: PacketSealer, opener: PacketOpener), server: (sealer: PacketSealer, opener: PacketOpener)) {
        let client = try Handshake(role: .client, key: key, options: clientOptions, random: SystemRandom())
        let server = try Handshake(role: .server, key: key, options: serverOptions, random: SystemRandom())
        var toServer: [UInt8] = []
        var toClient: [UInt8] = []
        for _ in 0..<4 {
            toServer += client.pendingOutput()
            toClient += server.pendingOutput()
            toServer.removeFirst(try feed(server, toServer))
            toClient.removeFirst(try feed(client, toClient))
        }
        #expect(client.isComplete && server.isComplete)
        #expect(toServer.isEmpty && toClient.isEmpty)
        let c = try #require(client.finish())
        let s = try #require(server.finish())
        return (c, s)
    }

    /// Sends `data` through `sealer` and `opener` in seeded chunk sizes.
    static func transfer(_ data: [UInt8], _ sealer: PacketSealer, _ opener: PacketOpener, seed: UInt64) throws -> [UInt8] {
        var rng = SeededGenerator(seed: seed)
        var wire = [UInt8](repeating: 0, count: SpipedSession.sealedByteCount(forPlaintextByteCount: 200_000))
        var plain = [UInt8](repeating: 0, count: 64 * 1024)
        var received: [UInt8] = []
        received.reserveCapacity(data.count)
        var sent = 0
        while sent < data.count {
            let n = min(data.count - sent, Int(rng.next() % 200_000) + 1)
            let written = data.withUnsafeBytes { d in
                wire.withUnsafeMutableBytes { sealer.seal(UnsafeRawBufferPointer(rebasing: d[sent..<sent + n]), into: $0) }
            }
            sent += n
            // Deliver the packets in random read sizes.
            var delivered = 0
            while delivered < written {
                let chunk = min(written - delivered, Int(rng.next() % 70_000) + 1)
                var offset = 0
                while offset < chunk {
                    let step = try wire.withUnsafeBytes { w in
                        try plain.withUnsafeMutableBytes {
                            try opener.open(UnsafeRawBufferPointer(rebasing: w[delivered + offset..<delivered + chunk]), into: $0)
                        }
                    }
                    offset += step.consumed
                    received += plain[0..<step.produced]
                }
                delivered += chunk
            }
        }
        #expect(!opener.hasPartialPacket)
        return received
    }

    @Test("PFS handshake, then data of several sizes (0 to 3 MB) both ways",
          arguments: [0, 1, 1023, 1024, 1025, 65_537, 3 * 1024 * 1024])
    func roundTrip(size: Int) throws {
        let (client, server) = try Self.connect()
        var rng = SeededGenerator(seed: UInt64(size) &+ 11)
        let up = rng.bytes(size)
        let down = rng.bytes(size)
        #expect(try Self.transfer(up, client.sealer, server.opener, seed: 1) == up)
        #expect(try Self.transfer(down, server.sealer, client.opener, seed: 2) == down)
        let packets = UInt64((size + 1023) / 1024)
        #expect(client.sealer.packetCount >= packets && server.opener.packetCount == client.sealer.packetCount)
    }

    @Test("every combination of fast and PFS sides agrees on keys",
          arguments: [(false, false), (true, false), (false, true), (true, true)])
    func fastCombinations(clientFast: Bool, serverFast: Bool) throws {
        let (client, server) = try Self.connect(client: HandshakeOptions(fast: clientFast),
                                                server: HandshakeOptions(fast: serverFast))
        let data = Array("hello over spiped".utf8)
        #expect(try server.opener.open(client.sealer.seal(data)) == data)
        #expect(try client.opener.open(server.sealer.seal(data)) == data)
    }

    @Test("different keys: the handshake fails on the server (it checks first)")
    func mismatchedKeys() throws {
        let client = try Handshake(role: .client, key: SpipedKey(keyFileBytes: [1]), options: HandshakeOptions(fast: true),
                                   random: SystemRandom())
        let server = try Handshake(role: .server, key: SpipedKey(keyFileBytes: [2]), options: HandshakeOptions(fast: true),
                                   random: SystemRandom())
        _ = try feed(client, server.pendingOutput())
        #expect(throws: HandshakeError.badMAC) { try feed(server, client.pendingOutput()) }
    }
}
