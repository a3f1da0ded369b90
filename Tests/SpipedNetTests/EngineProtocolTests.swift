// The -d engine against a hand-driven protocol client (SpipedProtocol's own
// Handshake, sealer and opener over a blocking socket): the wire format
// matches, a packet with a damaged MAC drops the connection without
// delivering anything, and a stream cut off mid-packet is dropped too.
import Foundation
import Glibc
import Testing
import SpipedCrypto
import SpipedNet
import SpipedProtocol

/// A protocol client session on a blocking socket.
private struct ManualSession {
    let fd: Int32
    let sealer: PacketSealer
    let opener: PacketOpener

    /// Connects to `port` and completes the client handshake; nil on failure.
    static func open(port: UInt16, key: [UInt8]) -> ManualSession? {
        let fd = TestNet.connect(port: port, receiveTimeout: 10)
        guard fd >= 0,
              let handshake = try? Handshake(role: .client, key: SpipedKey(keyFileBytes: key),
                                             options: HandshakeOptions(), random: SystemRandom())
        else { return nil }
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !handshake.isComplete {
            guard TestNet.sendAll(fd, handshake.pendingOutput()) else { return nil }
            if handshake.isComplete { break }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { return nil }
            var offset = 0
            while offset < n && !handshake.isComplete {
                guard let used = try? buffer.withUnsafeBytes({ try handshake.receive(UnsafeRawBufferPointer(rebasing: $0[offset..<n])) }),
                      used > 0 else { return nil }
                offset += used
            }
            guard offset == n else { return nil }   // the server sends no data before we do
        }
        guard TestNet.sendAll(fd, handshake.pendingOutput()), let keys = handshake.finish() else { return nil }
        return ManualSession(fd: fd, sealer: keys.sealer, opener: keys.opener)
    }

    func seal(_ plaintext: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: SpipedSession.sealedByteCount(forPlaintextByteCount: plaintext.count))
        let n = plaintext.withUnsafeBytes { p in out.withUnsafeMutableBytes { sealer.seal(p, into: $0) } }
        return Array(out[0..<n])
    }

    /// Receives and opens until `count` plaintext bytes arrived (or the stream ends).
    func receivePlaintext(count: Int) -> [UInt8] {
        var plain: [UInt8] = []
        var out = [UInt8](repeating: 0, count: 8 * 1024)
        while plain.count < count {
            let chunk = TestNet.receive(fd, count: SpipedSession.packetByteCount)
            if chunk.isEmpty { break }
            let opened: (consumed: Int, produced: Int)? = chunk.withUnsafeBytes { c in
                out.withUnsafeMutableBytes { o in try? opener.open(c, into: o) }
            }
            guard let result = opened else { break }
            plain += out[0..<result.produced]
        }
        return plain
    }
}

@Suite("Engine: protocol edge", .serialized)
struct EngineProtocolTests {
    @Test("a hand-driven client talks to -d: data echoes back through the real packets")
    func manualClientRoundTrip() throws {
        let key = TestNet.randomBytes(32)
        let echo = TargetServer(mode: .echo)
        let engine = try RunningEngine(role: .server, key: key, target: echo.address)
        defer { engine.stop(); echo.stop() }
        let session = try #require(ManualSession.open(port: engine.port, key: key))
        defer { close(session.fd) }
        let message = TestNet.randomBytes(3000)
        #expect(TestNet.sendAll(session.fd, session.seal(message)))
        #expect(session.receivePlaintext(count: message.count) == message)
    }

    @Test("a packet with a damaged MAC drops the connection and delivers nothing")
    func damagedPacket() throws {
        let key = TestNet.randomBytes(32)
        let sink = TargetServer(mode: .replyAfterEOF)
        let engine = try RunningEngine(role: .server, key: key, target: sink.address)
        defer { engine.stop(); sink.stop() }
        let session = try #require(ManualSession.open(port: engine.port, key: key))
        defer { close(session.fd) }
        var packet = session.seal(Array("hello".utf8))
        packet[1030] ^= 0x01
        #expect(TestNet.sendAll(session.fd, packet))
        let waited = TestNet.secondsUntilClosed(session.fd, limit: 5)
        #expect(waited != nil, "connection was not dropped")
    }

    @Test("a stream cut off mid-packet is dropped, not treated as a clean end")
    func truncatedPacket() throws {
        let key = TestNet.randomBytes(32)
        let sink = TargetServer(mode: .replyAfterEOF)
        let engine = try RunningEngine(role: .server, key: key, target: sink.address)
        defer { engine.stop(); sink.stop() }
        let session = try #require(ManualSession.open(port: engine.port, key: key))
        defer { close(session.fd) }
        let packet = session.seal(Array("hello".utf8))
        #expect(TestNet.sendAll(session.fd, Array(packet[0..<500])))
        shutdown(session.fd, Int32(SHUT_WR))
        // A clean end would bring the sink's "got 0" reply back; a drop brings nothing.
        let reply = session.receivePlaintext(count: 5)
        #expect(reply.isEmpty)
    }
}
