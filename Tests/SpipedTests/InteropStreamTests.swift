// Data through the Spiped API against the C spiped (Debian 1.6.2) both ways,
// and against itself: bytes sent and echoed back, checked by SHA-256, with
// the default handshake, -f and -g, over TCP and Unix sockets.
import Foundation
import Spiped
import SpipedCrypto
import Testing

extension SpipedAPITests {
@Suite("Spiped API interop")
struct InteropStreamTests {
    /// Each way through the C spiped with the default handshake.
    static let bigPayload = 50 * 1024 * 1024
    /// Each way for the option and Unix-socket variants.
    static let smallPayload = 4 * 1024 * 1024

    @Test("our client through the C spiped -d to an echo server", arguments: [
        ([String](), SpipedConnection.Options(), InteropStreamTests.bigPayload),
        (["-f"], SpipedConnection.Options(fast: true), InteropStreamTests.smallPayload),
        (["-g"], SpipedConnection.Options(requirePFS: true), InteropStreamTests.smallPayload),
    ])
    func clientThroughReferenceDecrypt(flags: [String], options: SpipedConnection.Options, size: Int) async throws {
        guard LibraryEnvironment.requireReference() else { return }
        let scratch = LibraryScratch()
        let echo = EchoServer()
        let source = "[127.0.0.1]:\(freePort())"
        let reference = try ReferenceSpiped(["-d", "-s", source, "-t", echo.address, "-k", scratch.keyPath] + flags,
                                            listening: source)
        defer { reference.kill() }
        let payload = LibraryEnvironment.randomBytes(size)
        let connection = try await SpipedConnection.connect(to: source, key: scratch.key, options: options)
        let result = try await libraryRoundTrip(connection, payload)
        #expect(result.count == payload.count)
        #expect(result.hash == SHA256.hash(payload))
        #expect(connection.remoteAddress == source)
        connection.close()
    }

    @Test("our client through the C spiped -d listening on a Unix socket")
    func clientThroughReferenceOverUnixSocket() async throws {
        guard LibraryEnvironment.requireReference() else { return }
        let scratch = LibraryScratch()
        let echo = EchoServer()
        let source = scratch.path("d.sock")
        let reference = try ReferenceSpiped(["-d", "-s", source, "-t", echo.address, "-k", scratch.keyPath], listening: source)
        defer { reference.kill() }
        let payload = LibraryEnvironment.randomBytes(Self.smallPayload)
        let connection = try await SpipedConnection.connect(to: source, key: scratch.key)
        let result = try await libraryRoundTrip(connection, payload)
        #expect(result.count == payload.count && result.hash == SHA256.hash(payload))
        connection.close()
    }

    @Test("the C spiped -e in front of our listener", arguments: [
        ([String](), SpipedListener.Options(), InteropStreamTests.bigPayload),
        (["-f"], SpipedListener.Options(fast: true), InteropStreamTests.smallPayload),
        (["-g"], SpipedListener.Options(requirePFS: true), InteropStreamTests.smallPayload),
    ])
    func referenceEncryptToListener(flags: [String], options: SpipedListener.Options, size: Int) async throws {
        guard LibraryEnvironment.requireReference() else { return }
        let scratch = LibraryScratch()
        let listener = try await SpipedListener.bind(to: "[127.0.0.1]:0", key: scratch.key, options: options)
        let server = echoAll(listener)
        let source = "[127.0.0.1]:\(freePort())"
        let reference = try ReferenceSpiped(["-e", "-s", source, "-t", listener.address, "-k", scratch.keyPath] + flags,
                                            listening: source)
        defer { reference.kill() }
        let payload = LibraryEnvironment.randomBytes(size)
        let result = plainRoundTrip(source, payload)
        #expect(result.count == payload.count)
        #expect(result.hash == SHA256.hash(payload))
        #expect(listener.handshakeFailureCount == 0)
        listener.close()
        await server.value
    }

    @Test("the C spiped -e in front of our listener on a Unix socket")
    func referenceEncryptToListenerOverUnixSocket() async throws {
        guard LibraryEnvironment.requireReference() else { return }
        let scratch = LibraryScratch()
        let listener = try await SpipedListener.bind(to: scratch.path("l.sock"), key: scratch.key)
        #expect(listener.address == scratch.path("l.sock"))
        let server = echoAll(listener)
        let source = "[127.0.0.1]:\(freePort())"
        let reference = try ReferenceSpiped(["-e", "-s", source, "-t", listener.address, "-k", scratch.keyPath], listening: source)
        defer { reference.kill() }
        let payload = LibraryEnvironment.randomBytes(Self.smallPayload)
        let result = plainRoundTrip(source, payload)
        #expect(result.count == payload.count && result.hash == SHA256.hash(payload))
        listener.close()
        await server.value
    }

    @Test("our client to our listener", arguments: [
        ("[127.0.0.1]:0", SpipedConnection.Options(), SpipedListener.Options()),
        ("[127.0.0.1]:0", SpipedConnection.Options(fast: true), SpipedListener.Options(fast: true)),
        ("[127.0.0.1]:0", SpipedConnection.Options(requirePFS: true), SpipedListener.Options(requirePFS: true)),
        ("unix", SpipedConnection.Options(), SpipedListener.Options()),
        ("[::1]:0", SpipedConnection.Options(), SpipedListener.Options()),
    ])
    func clientToListener(address: String, client: SpipedConnection.Options, server: SpipedListener.Options) async throws {
        let scratch = LibraryScratch()
        let bindText = address == "unix" ? scratch.path("s.sock") : address
        let listener: SpipedListener
        do {
            listener = try await SpipedListener.bind(to: bindText, key: scratch.key, options: server)
        } catch SpipedError.listenFailed(let text) where address.hasPrefix("[::1]") {
            print("IPv6 loopback unavailable here (\(text)); skipped")
            return
        }
        let echo = echoAll(listener)
        let payload = LibraryEnvironment.randomBytes(Self.smallPayload * 2)
        let connection = try await SpipedConnection.connect(to: listener.address, key: scratch.key, options: client)
        let result = try await libraryRoundTrip(connection, payload)
        #expect(result.count == payload.count && result.hash == SHA256.hash(payload))
        connection.close()
        listener.close()
        await echo.value
    }
}
}
