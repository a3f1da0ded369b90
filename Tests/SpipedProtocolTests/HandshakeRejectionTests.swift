// Every way a peer's handshake message must be refused, on both roles:
// bad MAC, y out of range (p, > p, 0, p - 1), y = 1 under requirePFS, a
// wrong key, and a flipped bit at every offset of y || h. Also: a failure
// is final, nothing is sent after it, and no keys come out.
import SpipedCrypto
import SpipedProtocol
import SpipedTestSupport
import Testing

@Suite("Handshake rejections")
struct HandshakeRejectionTests {
    /// A server of the PFS transcript that has seen the client nonce; the
    /// test then supplies the client's message.
    func serverAwaitingMessage(requirePFS: Bool = false) throws -> Handshake {
        let t = transcript("pfs")
        let (server, _) = try makeSide(t, .server, requirePFS: requirePFS)
        _ = server.pendingOutput()
        #expect(try feed(server, t.bytes("NONCE_C")) == 32)
        return server
    }

    /// A client (fast, so no modular exponentiation: cheap) of the
    /// client-fast transcript that has seen the server nonce.
    func clientAwaitingMessage(requirePFS: Bool = false, transcriptMode: String = "client-fast") throws -> Handshake {
        let t = transcript(transcriptMode)
        let (client, _) = try makeSide(t, .client, requirePFS: requirePFS)
        _ = client.pendingOutput()
        #expect(try feed(client, t.bytes("NONCE_S")) == 32)
        #expect(client.pendingOutput() == t.bytes("CLIENT_YH"))
        return client
    }

    static let outOfRange: [(String, [UInt8])] = [
        ("y = p", group14Prime),
        ("y = p + 1", adding(group14Prime, 1)),
        ("y = 2^2048 - 1", [UInt8](repeating: 0xFF, count: 256)),
        ("y = 0", [UInt8](repeating: 0, count: 256)),
        ("y = p - 1", adding(group14Prime, -1)),
    ]

    /// Checks a handshake is dead: further input throws `.failed`, nothing to
    /// send, no keys.
    func expectDead(_ handshake: Handshake) {
        #expect(handshake.hasFailed)
        #expect(!handshake.isComplete)
        #expect(handshake.pendingOutput().isEmpty)
        #expect(throws: HandshakeError.failed) { try feed(handshake, [0]) }
        #expect(throws: HandshakeError.failed) { try feed(handshake, []) }
        #expect(handshake.finish() == nil)
    }

    @Test("the server refuses an out-of-range y carrying a valid MAC",
          arguments: outOfRange.map(\.0))
    func serverRefusesRange(name: String) throws {
        let y = try #require(Self.outOfRange.first { $0.0 == name }?.1)
        let server = try serverAwaitingMessage()
        let message = handshakeMessage(y: y, macKey: transcript("pfs").bytes("DHMAC_C"))
        #expect(throws: HandshakeError.publicValueOutOfRange) { try feed(server, message) }
        expectDead(server)
    }

    @Test("the client refuses an out-of-range y carrying a valid MAC",
          arguments: outOfRange.map(\.0))
    func clientRefusesRange(name: String) throws {
        let y = try #require(Self.outOfRange.first { $0.0 == name }?.1)
        let client = try clientAwaitingMessage()
        let message = handshakeMessage(y: y, macKey: transcript("client-fast").bytes("DHMAC_S"))
        #expect(throws: HandshakeError.publicValueOutOfRange) { try feed(client, message) }
        expectDead(client)
    }

    @Test("y = 1 is refused under requirePFS and accepted without it, on both roles")
    func yEqualsOne() throws {
        let one = [UInt8](repeating: 0, count: 255) + [1]
        let dhmacC = transcript("pfs").bytes("DHMAC_C")
        let strictServer = try serverAwaitingMessage(requirePFS: true)
        #expect(throws: HandshakeError.peerNotUsingPFS) { try feed(strictServer, handshakeMessage(y: one, macKey: dhmacC)) }
        expectDead(strictServer)
        let server = try serverAwaitingMessage()
        #expect(try feed(server, handshakeMessage(y: one, macKey: dhmacC)) == 288)
        #expect(server.isComplete)

        let dhmacS = transcript("client-fast").bytes("DHMAC_S")
        // -f with -g cannot be created, so the strict client is a PFS one.
        let strictClient = try clientAwaitingMessage(requirePFS: true, transcriptMode: "pfs")
        #expect(throws: HandshakeError.peerNotUsingPFS) {
            try feed(strictClient, handshakeMessage(y: one, macKey: transcript("pfs").bytes("DHMAC_S")))
        }
        expectDead(strictClient)
        let client = try clientAwaitingMessage()
        #expect(try feed(client, handshakeMessage(y: one, macKey: dhmacS)) == 288)
        #expect(client.isComplete)
    }

    @Test("a message MACed with the other direction's key is refused")
    func wrongDirectionMAC() throws {
        let t = transcript("pfs")
        let server = try serverAwaitingMessage()
        // The client's y under dhmac_S (a reflected server message) must fail.
        let y = Array(t.bytes("CLIENT_YH")[0..<256])
        #expect(throws: HandshakeError.badMAC) { try feed(server, handshakeMessage(y: y, macKey: t.bytes("DHMAC_S"))) }
        expectDead(server)
    }

    @Test("a different key file fails the handshake with badMAC, on both roles")
    func wrongKey() throws {
        let t = transcript("pfs")
        let wrong = SpipedKey(keyFileBytes: t.bytes("KEYFILE") + [0])
        let (server, _) = try makeSide(t, .server, key: wrong)
        _ = try feed(server, t.bytes("NONCE_C"))
        #expect(throws: HandshakeError.badMAC) { try feed(server, t.bytes("CLIENT_YH")) }
        expectDead(server)

        let f = transcript("client-fast")
        let (client, _) = try makeSide(f, .client, key: SpipedKey(keyFileBytes: [1, 2, 3]))
        _ = try feed(client, f.bytes("NONCE_S"))
        #expect(client.pendingOutput() != f.bytes("CLIENT_YH"))
        #expect(throws: HandshakeError.badMAC) { try feed(client, f.bytes("SERVER_YH")) }
        expectDead(client)
    }

    @Test("a flipped byte at any offset of the client's y || h: the server refuses, sends nothing")
    func serverTamperEveryOffset() throws {
        let good = transcript("pfs").bytes("CLIENT_YH")
        for offset in 0..<good.count {
            var bad = good
            bad[offset] ^= UInt8(1 << (offset % 8))
            let server = try serverAwaitingMessage()
            #expect(throws: HandshakeError.badMAC, "offset \(offset)") { try feed(server, bad) }
            #expect(server.pendingOutput().isEmpty)
            #expect(server.hasFailed)
        }
    }

    @Test("a flipped byte at any offset of the server's y || h: the client refuses")
    func clientTamperEveryOffset() throws {
        let good = transcript("client-fast").bytes("SERVER_YH")
        for offset in 0..<good.count {
            var bad = good
            bad[offset] ^= 0x80 >> UInt8(offset % 8)
            let client = try clientAwaitingMessage()
            #expect(throws: HandshakeError.badMAC, "offset \(offset)") { try feed(client, bad) }
            #expect(client.finish() == nil)
            #expect(client.hasFailed)
        }
    }

    @Test("a tampered nonce changes dk1, so the peer's message no longer verifies")
    func tamperedNonce() throws {
        let t = transcript("pfs")
        let (server, _) = try makeSide(t, .server)
        var nonce = t.bytes("NONCE_C")
        nonce[7] ^= 1
        _ = try feed(server, nonce)
        #expect(throws: HandshakeError.badMAC) { try feed(server, t.bytes("CLIENT_YH")) }
    }

    @Test("a failing random source makes init throw")
    func randomFailure() {
        #expect(throws: TapeExhausted.self) {
            _ = try Handshake(role: .client, key: SpipedKey(keyFileBytes: [1]), options: HandshakeOptions(),
                              random: ScriptedRandom(RandomTape([UInt8](repeating: 0, count: 40))))
        }
        #expect(throws: TapeExhausted.self) {
            _ = try Handshake(role: .server, key: SpipedKey(keyFileBytes: [1]), options: HandshakeOptions(fast: true),
                              random: ScriptedRandom(RandomTape([UInt8](repeating: 0, count: 31))))
        }
    }
}
