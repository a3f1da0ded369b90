// A server handshake with several candidate keys (key rotation): a client
// with any candidate is accepted and the session runs under that key, a
// client with none is refused, the first matching candidate wins, and the
// server's bytes are exactly the single-key server's. Also the refusals at
// creation (HandshakeSetupError).
import SpipedCrypto
import SpipedProtocol
import Testing

@Suite("Multi-key server handshake")
struct MultiKeyHandshakeTests {
    static let keyA = SpipedKey(keyFileBytes: Array("key A, the -k key".utf8))
    static let keyB = SpipedKey(keyFileBytes: Array("key B, an --accept-key".utf8))
    static let keyC = SpipedKey(keyFileBytes: Array("key C, unknown to the server".utf8))

    /// Runs a client with `clientKey` against a server with `serverKeys`
    /// (fast on the client so the test is cheap, PFS on the server side);
    /// returns the server's chosen index and whether data crossed both ways.
    func connect(clientKey: SpipedKey, serverKeys: [SpipedKey], seed: UInt64 = 1)
        throws -> (index: Int?, error: HandshakeError?) {
        var random = SeededGenerator(seed: seed)
        let client = try Handshake(role: .client, key: clientKey, options: HandshakeOptions(fast: true), random: random)
        _ = random.next()
        let server = try Handshake(role: .server, candidateKeys: serverKeys, options: HandshakeOptions(),
                                   random: SeededGenerator(seed: seed &+ 99))
        do throws(HandshakeError) {
            _ = try feed(server, client.pendingOutput())
            _ = try feed(client, server.pendingOutput())
            _ = try feed(server, client.pendingOutput())   // y_C || h_C
            _ = try feed(client, server.pendingOutput())   // y_S || h_S
        } catch {
            #expect(server.verifiedKeyIndex == nil)
            return (nil, error)
        }
        #expect(client.isComplete && server.isComplete)
        #expect(client.verifiedKeyIndex == 0)
        let c = try #require(client.finish()), s = try #require(server.finish())
        let up = Array("to the server".utf8), down = Array("to the client".utf8)
        #expect(try s.opener.open(c.sealer.seal(up)) == up)
        #expect(try c.opener.open(s.sealer.seal(down)) == down)
        return (server.verifiedKeyIndex, nil)
    }

    @Test("-k A --accept-key B: A and B are accepted, each under its own key; C is refused")
    func threeKeys() throws {
        #expect(try connect(clientKey: Self.keyA, serverKeys: [Self.keyA, Self.keyB]).index == 0)
        #expect(try connect(clientKey: Self.keyB, serverKeys: [Self.keyA, Self.keyB]).index == 1)
        #expect(try connect(clientKey: Self.keyC, serverKeys: [Self.keyA, Self.keyB]).error == .badMAC)
    }

    @Test("the first candidate that verifies is used; every slot up to the limit works")
    func firstMatchAndEverySlot() throws {
        #expect(try connect(clientKey: Self.keyB, serverKeys: [Self.keyB, Self.keyA, Self.keyB]).index == 0)
        let many = (0..<Handshake.maxCandidateKeys).map { SpipedKey(keyFileBytes: Array("key \($0)".utf8)) }
        for slot in many.indices {
            #expect(try connect(clientKey: many[slot], serverKeys: many, seed: UInt64(slot)).index == slot)
        }
    }

    @Test("a multi-key server sends exactly the single-key server's bytes (pfs transcript)")
    func sameBytesAsSingleKey() throws {
        let t = transcript("pfs")
        let other = SpipedKey(keyFileBytes: Array("not the transcript's key".utf8))
        let server = try Handshake(role: .server, candidateKeys: [other, t.key, other], options: HandshakeOptions(),
                                   random: ScriptedRandom(RandomTape(t.bytes("RANDOM_S"))))
        #expect(server.pendingOutput() == t.bytes("NONCE_S"))
        #expect(try feed(server, t.bytes("NONCE_C")) == 32)
        #expect(try feed(server, t.bytes("CLIENT_YH")) == 288)
        #expect(server.pendingOutput() == t.bytes("SERVER_YH"))
        #expect(server.verifiedKeyIndex == 1)
        let keys = try #require(server.finish())
        #expect(try keys.opener.open(t.allPackets("C2S")) == t.allPlaintext("C2S"))
    }

    @Test("creation refuses -f with -g, no key, too many keys and a client with several")
    func setupErrors() {
        let random = SeededGenerator(seed: 7)
        #expect(throws: HandshakeSetupError.fastWithRequirePFS) {
            try Handshake(role: .client, key: Self.keyA, options: HandshakeOptions(fast: true, requirePFS: true), random: random)
        }
        #expect(throws: HandshakeSetupError.fastWithRequirePFS) {
            try Handshake(role: .server, key: Self.keyA, options: HandshakeOptions(fast: true, requirePFS: true), random: random)
        }
        #expect(throws: HandshakeSetupError.noKeys) {
            try Handshake(role: .server, candidateKeys: [], options: HandshakeOptions(), random: random)
        }
        #expect(throws: HandshakeSetupError.tooManyKeys) {
            try Handshake(role: .server, candidateKeys: Array(repeating: Self.keyA, count: Handshake.maxCandidateKeys + 1),
                          options: HandshakeOptions(), random: random)
        }
        #expect(throws: HandshakeSetupError.clientTakesOneKey) {
            try Handshake(role: .client, candidateKeys: [Self.keyA, Self.keyB], options: HandshakeOptions(), random: random)
        }
    }
}
