// The README's example of running spiped over any transport, compiled and
// run here so it cannot rot. `Transport` is the example's stand-in for a
// socket; the test implements it with an in-memory server session.
import SpipedNet
import SpipedProtocol
import Testing

// --- README example begins ---
import SpipedNet        // SpipedKey(contentsOfFile:)
import SpipedProtocol   // SpipedSession

/// Any byte stream: a socket, a pipe, a serial line...
protocol Transport {
    func send(_ bytes: [UInt8]) throws
    func receive() throws -> [UInt8]          // blocks; [] at end of stream
}

/// Why the session ended early (a refused handshake, a bad packet...).
struct SpipedFailure: Error { var reason: SessionEnd }

/// Runs the client side of spiped over `transport` and sends `request`;
/// returns the first bytes the server sends back.
func spipedRequest(_ request: [UInt8], over transport: Transport, keyFile: String) throws -> [UInt8] {
    let session = SpipedSession(role: .client, key: try SpipedKey(contentsOfFile: keyFile))
    try transport.send(session.takePeerOutput())                    // our nonce
    var reply: [UInt8] = []
    var requestSent = false
    while reply.isEmpty {
        if session.canSeal && !requestSent {                        // the keys are there
            var packets = [UInt8](repeating: 0, count: SpipedSession.sealedByteCount(forPlaintextByteCount: request.count))
            let n = request.withUnsafeBytes { r in packets.withUnsafeMutableBytes { session.seal(r, into: $0) } }
            try transport.send(Array(packets[..<n]))                // 1060-byte packets
            requestSent = true
        }
        let bytes = try transport.receive()
        if bytes.isEmpty {                                          // end of stream
            if case .ended(let reason) = session.peerInputEnded() { throw SpipedFailure(reason: reason) }
            break
        }
        var plaintext = [UInt8](repeating: 0, count: SpipedSession.plaintextCapacity(forPeerByteCount: bytes.count))
        var offset = 0
        repeat {                                                     // handshake, then packets
            let step = bytes.withUnsafeBytes { input in
                plaintext.withUnsafeMutableBytes { session.receive(UnsafeRawBufferPointer(rebasing: input[offset...]), into: $0) }
            }
            offset += step.consumed
            reply += plaintext[..<step.produced]
            try transport.send(session.takePeerOutput())            // y_C || h_C once the nonce is in
        } while offset < bytes.count || session.state == .verified
        if case .ended(let reason) = session.state { throw SpipedFailure(reason: reason) }
    }
    return reply
}
// --- README example ends ---

/// A server session answering on the other end of an in-memory transport
/// (single-threaded: it runs whenever the client waits for input).
final class LoopbackServer: Transport {
    let session: SpipedSession
    var toClient: [UInt8] = []

    init(key: SpipedKey) {
        session = SpipedSession(role: .server, key: key)
        toClient = session.takePeerOutput()
    }

    func send(_ bytes: [UInt8]) throws {          // the client's bytes arrive at the server
        var request: [UInt8] = []
        var plaintext = [UInt8](repeating: 0, count: SpipedSession.plaintextCapacity(forPeerByteCount: bytes.count))
        var offset = 0
        repeat {
            let step = bytes.withUnsafeBytes { input in
                plaintext.withUnsafeMutableBytes { session.receive(UnsafeRawBufferPointer(rebasing: input[offset...]), into: $0) }
            }
            offset += step.consumed
            request += plaintext[..<step.produced]
            toClient += session.takePeerOutput()
        } while offset < bytes.count || session.state == .verified
        if !request.isEmpty {
            let reply = Array("reply to: ".utf8) + request
            var packets = [UInt8](repeating: 0, count: SpipedSession.sealedByteCount(forPlaintextByteCount: reply.count))
            let n = reply.withUnsafeBytes { r in packets.withUnsafeMutableBytes { session.seal(r, into: $0) } }
            toClient += packets[..<n]
        }
    }

    func receive() throws -> [UInt8] {
        defer { toClient = [] }
        return toClient
    }
}

@Suite("README example")
struct ReadmeExampleTests {
    @Test("the README's client runs against a server over an in-memory transport")
    func example() throws {
        let path = "/tmp/spiped-readme-example-\(getpid()).key"
        let keyBytes = Array("a README key file with enough bytes in it".utf8)
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        #expect(fd >= 0)
        _ = keyBytes.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        defer { unlink(path) }
        let server = LoopbackServer(key: SpipedKey(keyFileBytes: keyBytes))
        let reply = try spipedRequest(Array("ping".utf8), over: server, keyFile: path)
        #expect(reply == Array("reply to: ping".utf8))
    }

    @Test("a wrong key ends the client's session with a refused handshake")
    func wrongKey() throws {
        let path = "/tmp/spiped-readme-example-wrong-\(getpid()).key"
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        _ = Array("one key".utf8).withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
        close(fd)
        defer { unlink(path) }
        let server = LoopbackServer(key: SpipedKey(keyFileBytes: Array("another key".utf8)))
        #expect(throws: SpipedFailure.self) { try spipedRequest(Array("ping".utf8), over: server, keyFile: path) }
    }
}

#if canImport(Glibc)
import Glibc
#endif
