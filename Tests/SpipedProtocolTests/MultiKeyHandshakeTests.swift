// A server handshake with several candidate keys (key rotation): a client
// with any candidate is accepted and the session runs under that key, a
// client with none is refused, the first matching candidate wins, and the
// server's bytes are exactly the single-key server's. Also the refusals at
// creation (HandshakeSetupError), and the same through SpipedSession
// (keyIndex; a refused setup starts the session ended).
import SpipedCrypto
import SpipedProtocol
import SpipedTestSupport
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
        let many = (0..<SpipedSession.maxCandidateKeys).map { SpipedKey(keyFileBytes: Array("key \($0)".utf8)) }
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
            try Handshake(role: .server, candidateKeys: Array(repeating: Self.keyA, count: SpipedSession.maxCandidateKeys + 1),
                          options: HandshakeOptions(), random: random)
        }
        #expect(throws: HandshakeSetupError.clientTakesOneKey) {
            try Handshake(role: .client, candidateKeys: [Self.keyA, Self.keyB], options: HandshakeOptions(), random: random)
        }
    }

    /// A client session with `clientKey` against a server session with `serverKeys`, driven to the end of the handshake.
    func sessions(clientKey: SpipedKey, serverKeys: [SpipedKey]) -> (client: SessionDriver, server: SessionDriver) {
        let client = SessionDriver(role: .client, key: clientKey, options: HandshakeOptions(), seed: 3)
        let server = SessionDriver(role: .server, candidateKeys: serverKeys, options: HandshakeOptions(), seed: 4)
        var (toServer, toClient) = (0, 0)
        for _ in 0..<4 {
            server.feed(client.toPeer[toServer...]); toServer = client.toPeer.count
            client.feed(server.toPeer[toClient...]); toClient = server.toPeer.count
        }
        return (client, server)
    }

    @Test("SpipedSession: -k A --accept-key B accepts A (keyIndex 0) and B (keyIndex 1), refuses C")
    func sessionThreeKeys() {
        for (key, index) in [(Self.keyA, 0), (Self.keyB, 1)] {
            let (client, server) = sessions(clientKey: key, serverKeys: [Self.keyA, Self.keyB])
            #expect(server.session.isEstablished && client.session.isEstablished)
            #expect(server.session.keyIndex == index)
            client.send(Array("hello".utf8))
            server.feed(client.toPeer[(client.toPeer.count - SpipedSession.packetByteCount)...])
            #expect(server.delivered == Array("hello".utf8))
        }
        let (_, refused) = sessions(clientKey: Self.keyC, serverKeys: [Self.keyA, Self.keyB])
        #expect(refused.session.state == .ended(.handshakeRefused(.badMAC)))
        #expect(refused.session.keyIndex == nil)
    }

    @Test("SpipedSession: arguments that cannot work start the session ended with setupRefused")
    func sessionSetupRefused() {
        let fastStrict = SpipedSession(role: .client, key: Self.keyA, options: HandshakeOptions(fast: true, requirePFS: true))
        #expect(fastStrict.state == .ended(.setupRefused(.fastWithRequirePFS)))
        #expect(!fastStrict.canSeal && fastStrict.takePeerOutput().isEmpty)
        #expect(SpipedSession(role: .server, candidateKeys: []).state == .ended(.setupRefused(.noKeys)))
        #expect(SpipedSession(role: .client, candidateKeys: [Self.keyA, Self.keyB]).state == .ended(.setupRefused(.clientTakesOneKey)))
        let nine = Array(repeating: Self.keyA, count: SpipedSession.maxCandidateKeys + 1)
        #expect(SpipedSession(role: .server, candidateKeys: nine).state == .ended(.setupRefused(.tooManyKeys)))
    }
}
