// Wire compatibility with Debian's spiped 1.6.2, end to end through real
// processes: client -> -e daemon -> -d daemon -> echo server, for every
// pairing (ours/theirs on each side; theirs/theirs is the control), in PFS
// mode and with -f on either side; -g refusing an -f peer; wrong keys
// refused. Payloads of 0, 1, 1024, 1025 bytes and 4 MB travel both ways at
// once (the client writes while it reads the echo) and must come back byte
// for byte, ending with a clean EOF (half-close carried through).
import Foundation
import Testing
import SpipedNet

/// One pairing of implementations.
struct Pairing: CustomStringConvertible, Sendable {
    let client: Implementation
    let server: Implementation
    var description: String { "\(client)-e -> \(server)-d" }

    /// Pairings that involve the reference (theirs/theirs is the control).
    static let withReference: [Pairing] = [
        Pairing(client: .ours, server: .reference), Pairing(client: .reference, server: .ours),
        Pairing(client: .reference, server: .reference),
    ]
    /// Ours on both sides.
    static let oursOnly = Pairing(client: .ours, server: .ours)
}

/// Handshake flags for a run.
struct HandshakeMode: CustomStringConvertible, Sendable {
    let name: String
    let client: [String]
    let server: [String]
    var description: String { name }

    static let all: [HandshakeMode] = [
        HandshakeMode(name: "PFS", client: [], server: []),
        HandshakeMode(name: "-f client", client: ["-f"], server: []),
        HandshakeMode(name: "-f server", client: [], server: ["-f"]),
        HandshakeMode(name: "-f both", client: ["-f"], server: ["-f"]),
        HandshakeMode(name: "-g both", client: ["-g"], server: ["-g"]),
    ]
}

/// Payload sizes every working pipe must carry.
let interopPayloadSizes = [0, 1, 1024, 1025, 4 << 20]

extension ProcessTests {
    @Suite struct Interop {
        @Test(needsReference, arguments: Pairing.withReference, HandshakeMode.all)
        func payloadsWithReference(_ pairing: Pairing, _ mode: HandshakeMode) throws {
            try payloadsTravelBothWaysByteForByte(pairing, mode)
        }

        @Test(arguments: HandshakeMode.all)
        func payloadsOursToOurs(_ mode: HandshakeMode) throws {
            try payloadsTravelBothWaysByteForByte(.oursOnly, mode)
        }

        func payloadsTravelBothWaysByteForByte(_ pairing: Pairing, _ mode: HandshakeMode) throws {
            let scratch = Scratch()
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let pair = try #require(EncryptedPair(client: pairing.client, server: pairing.server, serverTarget: echo.text,
                                                  scratch: scratch, clientExtra: mode.client, serverExtra: mode.server))
            for size in interopPayloadSizes {
                let payload = TestEnvironment.randomBytes(size)
                let reply = try #require(TestSockets.exchange(pair.entry, payload), "connect failed (\(size) bytes)")
                #expect(reply.clean, "no clean EOF for \(size) bytes")
                #expect(reply.bytes.count == payload.count, "\(size) bytes sent, \(reply.bytes.count) back")
                #expect(reply.bytes == payload, "\(size)-byte payload corrupted")
            }
        }

        @Test(needsReference, arguments: Pairing.withReference)
        func requirePFSRefusesFastPeerWithReference(_ pairing: Pairing) throws { try requirePFSRefusesFastPeer(pairing) }

        @Test func requirePFSRefusesFastPeerOursToOurs() throws { try requirePFSRefusesFastPeer(.oursOnly) }

        func requirePFSRefusesFastPeer(_ pairing: Pairing) throws {
            let scratch = Scratch()
            let echo = TestServer(.echo)
            defer { echo.stop() }
            // -g on the server refuses an -f client, and -g on the client refuses an -f server.
            for (clientFlags, serverFlags) in [(["-f"], ["-g"]), (["-g"], ["-f"])] {
                let pair = try #require(EncryptedPair(client: pairing.client, server: pairing.server, serverTarget: echo.text,
                                                      scratch: scratch, clientExtra: clientFlags + ["-o", "2"],
                                                      serverExtra: serverFlags + ["-o", "2"]))
                let reply = TestSockets.exchange(pair.entry, Array("hello".utf8), timeout: 10)
                #expect(reply?.bytes.isEmpty ?? true, "-g accepted an -f peer (\(clientFlags) -> \(serverFlags))")
            }
        }

        @Test(needsReference, arguments: Pairing.withReference)
        func wrongKeyIsRefusedWithReference(_ pairing: Pairing) throws { try wrongKeyIsRefused(pairing) }

        @Test func wrongKeyIsRefusedOursToOurs() throws { try wrongKeyIsRefused(.oursOnly) }

        func wrongKeyIsRefused(_ pairing: Pairing) throws {
            let scratch = Scratch()
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let pair = try #require(EncryptedPair(client: pairing.client, server: pairing.server, serverTarget: echo.text,
                                                  scratch: scratch, clientKey: scratch.otherKey,
                                                  clientExtra: ["-o", "2"], serverExtra: ["-o", "2"]))
            let reply = TestSockets.exchange(pair.entry, Array("secret".utf8), timeout: 10)
            #expect(reply?.bytes.isEmpty ?? true)
            #expect(echo.bytesReceived == 0, "plaintext reached the target with a wrong key")
        }

        @Test(needsReference, arguments: Pairing.withReference)
        func halfCloseIsHonouredWithReference(_ pairing: Pairing) throws { try halfCloseIsHonoured(pairing) }

        @Test func halfCloseIsHonouredOursToOurs() throws { try halfCloseIsHonoured(.oursOnly) }

        func halfCloseIsHonoured(_ pairing: Pairing) throws {
            let scratch = Scratch()
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let pair = try #require(EncryptedPair(client: pairing.client, server: pairing.server, serverTarget: echo.text, scratch: scratch))
            // Half-close first, then keep reading: the echo must still arrive, then EOF.
            let fd = TestSockets.connect(pair.entry)
            try #require(fd >= 0)
            defer { close(fd) }
            let payload = TestEnvironment.randomBytes(3000)
            #expect(TestSockets.writeAll(fd, payload))
            shutdown(fd, Int32(SHUT_WR))
            let reply = TestSockets.readAll(fd)
            #expect(reply.clean && reply.bytes == payload)
        }
    }
}
