// Where the handshake does its expensive work must not change what it says:
// `precompute()` (this side's public value early) and a fast client's
// `earlySealer()` (data before the server's reply) are replayed against the
// recorded transcripts (Vectors/protocol/transcripts.txt): every byte sent
// must match, and the session must continue exactly as without them.
import SpipedProtocol
import Testing

@Suite("Handshake scheduling: precompute and early sealer")
struct HandshakeSchedulingTests {
    @Test("precompute() changes no byte, for either role", arguments: TranscriptTests.modes)
    func precomputeIsInvisible(mode: String) throws {
        let t = transcript(mode)
        let (client, clientTape) = try makeSide(t, .client)
        client.precompute()
        #expect(client.pendingOutput() == t.bytes("NONCE_C"))
        client.precompute()   // a second call is a no-op
        #expect(clientTape.position == clientTape.bytes.count, "precompute draws no randomness")
        #expect(try feed(client, t.bytes("NONCE_S")) == 32)
        #expect(client.pendingOutput() == t.bytes("CLIENT_YH"))

        let (server, _) = try makeSide(t, .server)
        #expect(server.pendingOutput() == t.bytes("NONCE_S"))
        server.precompute()
        #expect(try feed(server, t.bytes("NONCE_C") + t.bytes("CLIENT_YH")) == 320)
        #expect(server.isComplete)
        #expect(server.pendingOutput() == t.bytes("SERVER_YH"), "the reply is queued before finish()")
        let keys = try #require(server.finish())
        TranscriptTests().checkData(t, sealer: keys.sealer, sends: "S2C", opener: keys.opener, receives: "C2S")
    }

    @Test("a fast client's early sealer is the session's sealer", arguments: ["client-fast", "both-fast"])
    func earlySealerContinuesTheSession(mode: String) throws {
        let t = transcript(mode)
        let (client, _) = try makeSide(t, .client)
        #expect(client.earlySealer() == nil, "no keys before the server's nonce")
        #expect(client.pendingOutput() == t.bytes("NONCE_C"))
        _ = try feed(client, t.bytes("NONCE_S"))
        #expect(client.pendingOutput() == t.bytes("CLIENT_YH"))
        let early = try #require(client.earlySealer())
        #expect(client.earlySealer() === early, "the same sealer on every call")
        // The first recorded messages (0 and 1 bytes) go out before the server's reply is in.
        for n in Transcript.sizes.prefix(2) {
            #expect(early.seal(t.bytes("C2S_PLAIN_\(n)")) == t.bytes("C2S_PACKETS_\(n)"), "\(mode) early size \(n)")
        }
        #expect(early.packetCount == 1)
        #expect(try feed(client, t.bytes("SERVER_YH")) == 288)
        #expect(client.isComplete)
        let keys = try #require(client.finish())
        #expect(keys.sealer === early, "finish() hands out the same sealer: numbering continues")
        #expect(client.earlySealer() == nil, "nothing after finish()")
        for n in Transcript.sizes.dropFirst(2) {
            #expect(keys.sealer.seal(t.bytes("C2S_PLAIN_\(n)")) == t.bytes("C2S_PACKETS_\(n)"), "\(mode) size \(n)")
        }
        for n in Transcript.sizes {
            #expect((try? keys.opener.open(t.bytes("S2C_PACKETS_\(n)"))) == t.bytes("S2C_PLAIN_\(n)"))
        }
    }

    @Test("no early sealer for a server, a PFS client, or after a failure")
    func earlySealerOnlyForFastClients() throws {
        for mode in ["pfs", "server-fast", "client-fast", "both-fast"] {
            let t = transcript(mode)
            let (server, _) = try makeSide(t, .server)
            _ = try feed(server, t.bytes("NONCE_C"))
            #expect(server.earlySealer() == nil, "\(mode): server")
            let (client, _) = try makeSide(t, .client)
            _ = try feed(client, t.bytes("NONCE_S"))
            #expect((client.earlySealer() != nil) == t.flag("CLIENT_FAST"), "\(mode): client")
        }
        // A fast client whose server reply is forged fails, and offers nothing more.
        let t = transcript("client-fast")
        let (client, _) = try makeSide(t, .client)
        _ = try feed(client, t.bytes("NONCE_S"))
        _ = try #require(client.earlySealer())
        var forged = t.bytes("SERVER_YH")
        forged[forged.count - 1] ^= 1
        #expect(throws: HandshakeError.badMAC) { try feed(client, forged) }
        #expect(client.hasFailed)
        #expect(client.earlySealer() == nil)
        #expect(client.finish() == nil)
    }
}
