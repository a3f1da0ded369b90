// Replays the known-answer transcripts (Vectors/protocol/transcripts.txt,
// written by the independent Python model) against both roles in all four
// modes: every byte this side sends must match, the peer's packets must
// open to the recorded plaintext.
import SpipedCrypto
import SpipedProtocol
import Testing

@Suite("Handshake and packet transcripts")
struct TranscriptTests {
    static let modes = ["pfs", "client-fast", "server-fast", "both-fast"]

    @Test("the transcript file holds all four modes")
    func fileIsComplete() {
        #expect(transcripts.map(\.mode) == TranscriptTests.modes)
    }

    @Test("K and the derived keys agree with the Swift primitives", arguments: modes)
    func derivedKeys(mode: String) {
        let t = transcript(mode)
        let key = t.key
        key.withUnsafeKeyBytes { #expect(Array($0) == t.bytes("K")) }
        #expect(key.isShort == (t.bytes("KEYFILE").count < 32))
        let dk1 = PBKDF2.hmacSHA256(password: t.bytes("K"), salt: t.bytes("NONCE_C") + t.bytes("NONCE_S"),
                                    iterations: 1, derivedKeyByteCount: 64)
        #expect(dk1 == t.bytes("DHMAC_C") + t.bytes("DHMAC_S"))
        let dk2 = PBKDF2.hmacSHA256(password: t.bytes("K"),
                                    salt: t.bytes("NONCE_C") + t.bytes("NONCE_S") + t.bytes("Y_SC"),
                                    iterations: 1, derivedKeyByteCount: 128)
        #expect(dk2 == t.bytes("E_C") + t.bytes("H_C") + t.bytes("E_S") + t.bytes("H_S"))
    }

    @Test("client replay: exact bytes sent, server packets opened", arguments: modes)
    func client(mode: String) throws {
        let t = transcript(mode)
        let (handshake, tape) = try makeSide(t, .client)
        #expect(tape.position == tape.bytes.count, "the client drew exactly nonce (+ x unless fast)")
        #expect(handshake.pendingOutput() == t.bytes("NONCE_C"))
        #expect(try feed(handshake, t.bytes("NONCE_S")) == 32)
        #expect(handshake.pendingOutput() == t.bytes("CLIENT_YH"))
        #expect(!handshake.isComplete)
        // The server's y || h arrives together with its first data packets.
        let serverStream = t.bytes("SERVER_YH") + t.allPackets("S2C")
        #expect(try feed(handshake, serverStream) == 288)
        #expect(handshake.isComplete)
        #expect(handshake.pendingOutput().isEmpty)
        let keys = try #require(handshake.finish())
        #expect(handshake.finish() == nil, "keys are handed out once")
        checkData(t, sealer: keys.sealer, sends: "C2S", opener: keys.opener, receives: "S2C")
    }

    @Test("server replay: exact bytes sent, client packets opened", arguments: modes)
    func server(mode: String) throws {
        let t = transcript(mode)
        let (handshake, tape) = try makeSide(t, .server)
        #expect(tape.position == tape.bytes.count, "the server drew exactly nonce (+ x unless fast)")
        #expect(handshake.pendingOutput() == t.bytes("NONCE_S"))
        #expect(try feed(handshake, t.bytes("NONCE_C")) == 32)
        #expect(handshake.pendingOutput().isEmpty, "the server waits for the client's y before sending its own")
        #expect(try feed(handshake, t.bytes("CLIENT_YH")) == 288)
        #expect(handshake.isComplete)
        #expect(handshake.pendingOutput() == t.bytes("SERVER_YH"))
        #expect(try feed(handshake, [1, 2, 3]) == 0, "after completion input belongs to the data phase")
        let keys = try #require(handshake.finish())
        checkData(t, sealer: keys.sealer, sends: "S2C", opener: keys.opener, receives: "C2S")
    }

    /// Seals this side's plaintexts (one call per size, as recorded) and
    /// opens the peer's packets size by size.
    func checkData(_ t: Transcript, sealer: PacketSealer, sends: String, opener: PacketOpener, receives: String) {
        var packets: UInt64 = 0
        for n in Transcript.sizes {
            let sealed = sealer.seal(t.bytes("\(sends)_PLAIN_\(n)"))
            #expect(sealed == t.bytes("\(sends)_PACKETS_\(n)"), "\(t.mode) \(sends) size \(n)")
            #expect(sealed.count == SpipedSession.sealedByteCount(forPlaintextByteCount: n))
            packets += UInt64((n + 1023) / 1024)
            #expect(sealer.packetCount == packets)
            let opened = try? opener.open(t.bytes("\(receives)_PACKETS_\(n)"))
            #expect(opened == t.bytes("\(receives)_PLAIN_\(n)"), "\(t.mode) \(receives) size \(n)")
        }
        #expect(opener.packetCount == packets)
        #expect(!opener.hasPartialPacket)
    }

    @Test("requirePFS refuses a fast peer's transcript, on both roles")
    func requirePFSRefusesRecordedFastPeer() throws {
        // client-fast: the server with -g must refuse the client's y = 1.
        let clientFast = transcript("client-fast")
        let (server, _) = try makeSide(clientFast, .server, requirePFS: true)
        _ = try feed(server, clientFast.bytes("NONCE_C"))
        #expect(throws: HandshakeError.peerNotUsingPFS) { try feed(server, clientFast.bytes("CLIENT_YH")) }
        #expect(server.pendingOutput().isEmpty)
        // server-fast: the client with -g must refuse the server's y = 1.
        let serverFast = transcript("server-fast")
        let (client, _) = try makeSide(serverFast, .client, requirePFS: true)
        #expect(client.pendingOutput() == serverFast.bytes("NONCE_C"))
        _ = try feed(client, serverFast.bytes("NONCE_S"))
        #expect(client.pendingOutput() == serverFast.bytes("CLIENT_YH"))
        #expect(throws: HandshakeError.peerNotUsingPFS) { try feed(client, serverFast.bytes("SERVER_YH")) }
        #expect(client.finish() == nil)
        // And a PFS peer is accepted under -g (both roles).
        let pfs = transcript("pfs")
        let (strictServer, _) = try makeSide(pfs, .server, requirePFS: true)
        _ = try feed(strictServer, pfs.bytes("NONCE_C") + pfs.bytes("CLIENT_YH"))
        #expect(strictServer.isComplete)
        #expect(strictServer.pendingOutput() == pfs.bytes("NONCE_S") + pfs.bytes("SERVER_YH"))
    }
}
