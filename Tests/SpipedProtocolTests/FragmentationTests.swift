// The same transcripts fed in seeded random chunk sizes (and one byte at a
// time) must give byte-for-byte the same output and plaintext: the state
// machines may not depend on how the transport splits the stream.
import SpipedProtocol
import SpipedTestSupport
import Testing

@Suite("Fragmentation")
struct FragmentationTests {
    static let modes = ["pfs", "client-fast", "server-fast", "both-fast"]

    /// Chunk patterns: whole stream, single bytes, and seeded random sizes.
    static func chunkings() -> [(String, [Int])] {
        var result: [(String, [Int])] = [("whole", []), ("1 byte", [1]), ("7 bytes", [7])]
        for seed in UInt64(1)...3 {
            var rng = SeededGenerator(seed: seed)
            result.append(("seed \(seed)", (0..<500).map { _ in Int(rng.next() % 1500) + 1 }))
        }
        return result
    }

    @Test("client side: same bytes sent and same plaintext for any chunking", arguments: modes)
    func client(mode: String) throws {
        let t = transcript(mode)
        let stream = t.bytes("NONCE_S") + t.bytes("SERVER_YH") + t.allPackets("S2C")
        for (name, chunks) in Self.chunkings() {
            let (handshake, _) = try makeSide(t, .client)
            let result = try runSide(handshake, stream: stream, chunks: chunks, outCapacity: 1024 * 3)
            #expect(result.sent == t.bytes("NONCE_C") + t.bytes("CLIENT_YH"), "\(mode) \(name)")
            #expect(result.opened == t.allPlaintext("S2C"), "\(mode) \(name)")
            let sealer = try #require(result.sealer)
            #expect(sealer.seal(t.bytes("C2S_PLAIN_1")) == t.bytes("C2S_PACKETS_1"))
        }
    }

    @Test("server side: same bytes sent and same plaintext for any chunking", arguments: modes)
    func server(mode: String) throws {
        let t = transcript(mode)
        let stream = t.bytes("NONCE_C") + t.bytes("CLIENT_YH") + t.allPackets("C2S")
        for (name, chunks) in Self.chunkings() {
            let (handshake, _) = try makeSide(t, .server)
            let result = try runSide(handshake, stream: stream, chunks: chunks, outCapacity: 1024 * 5)
            #expect(result.sent == t.bytes("NONCE_S") + t.bytes("SERVER_YH"), "\(mode) \(name)")
            #expect(result.opened == t.allPlaintext("C2S"), "\(mode) \(name)")
            let sealer = try #require(result.sealer)
            #expect(sealer.seal(t.bytes("S2C_PLAIN_1")) == t.bytes("S2C_PACKETS_1"))
        }
    }

    @Test("a tampered byte is caught whatever the chunking")
    func tamperedFragmented() throws {
        let t = transcript("pfs")
        var stream = t.bytes("NONCE_C") + t.bytes("CLIENT_YH")
        stream[32 + 100] ^= 4
        let (handshake, _) = try makeSide(t, .server)
        #expect(throws: HandshakeError.badMAC) { try runSide(handshake, stream: stream, chunks: [1]) }
        #expect(handshake.hasFailed)
    }
}
