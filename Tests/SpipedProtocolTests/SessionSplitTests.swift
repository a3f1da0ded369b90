// SpipedSession takes its peer's bytes in any fragmentation: for both roles
// and each handshake mode, the whole stream the peer sends (nonce, y || h and
// the first packets) is split in two at every byte boundary, and fed one byte
// at a time; what the session sends and delivers must equal a run fed whole
// messages.
import SpipedCrypto
import SpipedProtocol
import Testing

@Suite("SpipedSession: every split of the peer's stream")
struct SessionSplitTests {
    struct Mode: CustomStringConvertible, Sendable {
        var description: String
        var client: HandshakeOptions
        var server: HandshakeOptions
    }

    static let modes = [
        Mode(description: "default", client: HandshakeOptions(), server: HandshakeOptions()),
        Mode(description: "-f both", client: HandshakeOptions(fast: true), server: HandshakeOptions(fast: true)),
        Mode(description: "-g both", client: HandshakeOptions(requirePFS: true), server: HandshakeOptions(requirePFS: true)),
        Mode(description: "-f client, default server", client: HandshakeOptions(fast: true), server: HandshakeOptions()),
    ]

    static let key = SpipedKey(keyFileBytes: Array("session split test key".utf8))
    static let clientData = (0..<2500).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
    static let serverData = (0..<1500).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) }
    static let clientSeed: UInt64 = 11
    static let serverSeed: UInt64 = 22

    /// A side that sends its data as soon as it may (the client under -f before the reply).
    final class Side {
        let driver: SessionDriver
        let data: [UInt8]
        var sent = false
        init(_ driver: SessionDriver, data: [UInt8]) {
            self.driver = driver
            self.data = data
            sendIfPossible()
        }
        func feed(_ bytes: some Collection<UInt8>) {
            driver.feed(bytes)
            sendIfPossible()
        }
        func sendIfPossible() {
            if !sent && driver.session.canSeal { sent = driver.send(data) }
        }
    }

    static func client(_ mode: Mode) -> Side {
        Side(SessionDriver(role: .client, key: key, options: mode.client, seed: clientSeed), data: clientData)
    }

    static func server(_ mode: Mode) -> Side {
        Side(SessionDriver(role: .server, key: key, options: mode.server, seed: serverSeed), data: serverData)
    }

    /// The reference run: whole messages each way until both are established.
    static func reference(_ mode: Mode) -> (clientToServer: [UInt8], serverToClient: [UInt8]) {
        let c = client(mode), s = server(mode)
        var cRead = 0, sRead = 0
        for _ in 0..<8 {
            let toServer = c.driver.toPeer[sRead...]
            sRead = c.driver.toPeer.count
            s.feed(toServer)
            let toClient = s.driver.toPeer[cRead...]
            cRead = s.driver.toPeer.count
            c.feed(toClient)
        }
        #expect(c.driver.session.isEstablished && s.driver.session.isEstablished, "\(mode)")
        #expect(c.driver.delivered == serverData && s.driver.delivered == clientData, "\(mode)")
        return (c.driver.toPeer, s.driver.toPeer)
    }

    @Test("server role", arguments: modes)
    func serverSplits(mode: Mode) {
        let (stream, expectedReply) = Self.reference(mode)
        // The handshake and the first two packets.
        let length = min(stream.count, 320 + 2 * SpipedSession.packetByteCount)
        let expectedData = Self.clientData.prefix(2 * SpipedSession.maxPayloadByteCount)
        for split in 0...length {
            let s = Self.server(mode)
            s.feed(stream[0..<split])
            s.feed(stream[split..<length])
            if s.driver.toPeer != expectedReply || s.driver.delivered != Array(expectedData) || !s.driver.session.isEstablished {
                Issue.record("\(mode): split at \(split): state \(s.driver.session.state), \(s.driver.delivered.count) bytes delivered")
                return
            }
        }
        let s = Self.server(mode)
        for byte in stream { s.feed([byte]) }
        #expect(s.driver.toPeer == expectedReply && s.driver.delivered == Self.clientData, "\(mode): one byte at a time")
    }

    @Test("client role", arguments: modes)
    func clientSplits(mode: Mode) {
        let (expectedReply, stream) = Self.reference(mode)
        let length = min(stream.count, 320 + 2 * SpipedSession.packetByteCount)
        let expectedData = Self.serverData.prefix(2 * SpipedSession.maxPayloadByteCount)
        for split in 0...length {
            let c = Self.client(mode)
            c.feed(stream[0..<split])
            c.feed(stream[split..<length])
            if c.driver.toPeer != expectedReply || c.driver.delivered != Array(expectedData) || !c.driver.session.isEstablished {
                Issue.record("\(mode): split at \(split): state \(c.driver.session.state), \(c.driver.delivered.count) bytes delivered")
                return
            }
        }
        let c = Self.client(mode)
        for byte in stream { c.feed([byte]) }
        #expect(c.driver.toPeer == expectedReply && c.driver.delivered == Self.serverData, "\(mode): one byte at a time")
    }

    @Test("a fast client seals before the server's reply, a default one only after")
    func earlySealing() {
        let fast = Self.client(Self.modes[1])
        let server = Self.server(Self.modes[1])
        server.feed(fast.driver.toPeer)           // the client's nonce
        fast.feed(server.driver.toPeer.prefix(32)) // the server's nonce only
        #expect(fast.driver.session.state == .sendingEarly && fast.sent)
        let slow = Self.client(Self.modes[0])
        let slowServer = Self.server(Self.modes[0])
        slow.feed(slowServer.driver.toPeer.prefix(32))
        #expect(slow.driver.session.state == .handshaking && !slow.sent)
    }
}
