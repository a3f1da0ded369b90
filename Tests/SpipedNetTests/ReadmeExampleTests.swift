// The README's example of running spiped over any transport, compiled and
// run here so it cannot rot. `Transport` is the example's stand-in for a
// socket; the test implements it with two in-memory queues.
import SpipedCrypto
import SpipedNet
import SpipedProtocol
import Testing

// --- README example begins ---
/// Any byte stream: a socket, a pipe, a serial line...
protocol Transport {
    func send(_ bytes: [UInt8]) throws
    func receive() throws -> [UInt8]          // blocks; [] at end of stream
}

/// Runs the client side of spiped over `transport` and sends `request`;
/// returns the first bytes the server sends back.
func spipedRequest(_ request: [UInt8], over transport: Transport, keyFile: String) throws -> [UInt8] {
    let key = try SpipedKey(contentsOfFile: keyFile)
    let handshake = try Handshake(role: .client, key: key,
                                  options: HandshakeOptions(), random: SystemRandom())
    try transport.send(handshake.pendingOutput())              // our nonce
    var leftover: [UInt8] = []
    while !handshake.isComplete {
        let bytes = try transport.receive()
        guard !bytes.isEmpty else { throw HandshakeError.failed }
        let used = try bytes.withUnsafeBytes { try handshake.receive($0) }
        try transport.send(handshake.pendingOutput())          // y_C || h_C once the nonce is in
        leftover = Array(bytes[used...])                       // data packets may follow
    }
    guard let (sealer, opener) = handshake.finish() else { throw HandshakeError.failed }
    try transport.send(sealer.seal(request))                   // 1060-byte packets
    var reply = try opener.open(leftover)
    while reply.isEmpty {
        let bytes = try transport.receive()
        guard !bytes.isEmpty else { break }
        reply += try opener.open(bytes)                        // throws PacketError on tampering
    }
    return reply
}
// --- README example ends ---

/// A server driven by the same sans-I/O API, answering on the other end of
/// an in-memory transport (single-threaded: it runs whenever the client
/// waits for input).
final class LoopbackServer: Transport {
    let handshake: Handshake
    var session: (sealer: PacketSealer, opener: PacketOpener)?
    var toClient: [UInt8] = []

    init(key: SpipedKey) throws {
        handshake = try Handshake(role: .server, key: key, options: HandshakeOptions(), random: SystemRandom())
        toClient = handshake.pendingOutput()
    }

    func send(_ bytes: [UInt8]) throws {          // the client's bytes arrive at the server
        var input = bytes
        if session == nil {
            let used = try input.withUnsafeBytes { try handshake.receive($0) }
            toClient += handshake.pendingOutput()
            input.removeFirst(used)
            if handshake.isComplete { session = handshake.finish() }
        }
        if let session, !input.isEmpty {
            let request = try session.opener.open(input)
            toClient += session.sealer.seal(Array("reply to: ".utf8) + request)
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
        let server = try LoopbackServer(key: SpipedKey(keyFileBytes: keyBytes))
        let reply = try spipedRequest(Array("ping".utf8), over: server, keyFile: path)
        #expect(reply == Array("reply to: ping".utf8))
    }
}

#if canImport(Glibc)
import Glibc
#endif
