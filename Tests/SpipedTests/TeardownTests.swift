// Cancellation and teardown: cancelled reads, writes and connects; a
// listener closed with live connections; the C peer killed mid-stream; and
// error texts. Each checks that no descriptor is left open (/proc/self/fd).
import Foundation
import Spiped
import SpipedCrypto
import Testing
#if canImport(Glibc)
import Glibc
#endif

extension SpipedAPITests {
@Suite("Spiped API cancellation, teardown and errors")
struct TeardownTests {
    @Test("a cancelled read abandons the wait; the connection still works")
    func cancelledRead() async throws {
        let scratch = LibraryScratch()
        let listener = try await SpipedListener.bind(to: "[127.0.0.1]:0", key: scratch.key)
        let ports = [port(of: listener.address)]
        let server = echoAll(listener)
        let connection = try await SpipedConnection.connect(to: listener.address, key: scratch.key)
        let reader = Task { try await connection.read() }
        try await Task.sleep(nanoseconds: 50_000_000)
        reader.cancel()
        await #expect(throws: CancellationError.self) { try await reader.value }
        try await connection.write(Array("still here".utf8))
        #expect(try await connection.read() == Array("still here".utf8))
        connection.close()
        listener.close()
        await server.value
        #expect(await settledSockets(ports: ports) == 0)
    }

    @Test("a cancelled write closes the connection")
    func cancelledWrite() async throws {
        let scratch = LibraryScratch()
        let listener = try await SpipedListener.bind(to: "[127.0.0.1]:0", key: scratch.key)
        let ports = [port(of: listener.address)]
        let held = Task { () -> SpipedConnection? in
            for try await connection in listener.connections { return connection }
            return nil
        }
        let connection = try await SpipedConnection.connect(to: listener.address, key: scratch.key)
        let server = try await held.value
        let big = LibraryEnvironment.randomBytes(64 * 1024 * 1024)   // more than the socket buffers take
        let writer = Task { try await connection.write(big) }
        try await Task.sleep(nanoseconds: 200_000_000)
        writer.cancel()
        await #expect(throws: CancellationError.self) { try await writer.value }
        await #expect(throws: SpipedError.closed) { try await connection.write([1]) }
        server?.close()
        listener.close()
        #expect(await settledSockets(ports: ports) == 0)
    }

    @Test("a cancelled connect closes its socket")
    func cancelledConnect() async throws {
        let scratch = LibraryScratch()
        // A plain listener that never answers the handshake (connects complete in its backlog).
        let (silent, silentPort) = loopbackSocket(listening: 16)
        defer { close(silent) }
        let address = "[127.0.0.1]:\(silentPort)"
        let ports = [silentPort]
        #expect(socketsOpen(ports: ports) == 1)   // the silent listener itself (its backlog holds no descriptor)
        let key = scratch.key
        let started = ContinuousClock.now
        let connect = Task { try await SpipedConnection.connect(to: address, key: key, options: .init(timeout: 30)) }
        try await Task.sleep(nanoseconds: 100_000_000)
        connect.cancel()
        await #expect(throws: CancellationError.self) { _ = try await connect.value }
        #expect(ContinuousClock.now - started < .seconds(5))
        #expect(await settledSockets(ports: ports, expected: 1) == 1)
        // And the -o timeout, when nobody cancels.
        await #expect(throws: SpipedError.handshakeTimedOut) {
            _ = try await SpipedConnection.connect(to: address, key: key, options: .init(timeout: 0.2))
        }
        #expect(await settledSockets(ports: ports, expected: 1) == 1)
    }

    @Test("a listener closed with live connections: they keep working, the sequence ends")
    func listenerClosedWithLiveConnections() async throws {
        let scratch = LibraryScratch()
        let listener = try await SpipedListener.bind(to: scratch.path("live.sock"), key: scratch.key)
        let server = echoAll(listener)
        let connections = try await (0..<5).asyncMap { _ in
            try await SpipedConnection.connect(to: listener.address, key: scratch.key)
        }
        // Our client is done once it verified the server; the server may still be
        // finishing its side (closing now would drop it): wait for all five.
        for _ in 0..<200 where listener.acceptedCount < 5 { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(listener.acceptedCount == 5)
        listener.close()
        await server.value   // the sequence ended
        #expect(!FileManager.default.fileExists(atPath: scratch.path("live.sock")))
        for (i, connection) in connections.enumerated() {
            let payload = LibraryEnvironment.randomBytes(100_000 + i)
            let result = try await libraryRoundTrip(connection, payload)
            #expect(result.hash == SHA256.hash(payload))
            connection.close()
        }
        await #expect(throws: SpipedError.self) {
            _ = try await SpipedConnection.connect(to: scratch.path("live.sock"), key: scratch.key)
        }
        #expect(await settledSockets(paths: [scratch.path("live.sock")]) == 0)
    }

    @Test("the C spiped -d killed mid-stream: the transfer fails, nothing hangs or leaks")
    func referenceKilledMidStream() async throws {
        guard LibraryEnvironment.requireReference() else { return }
        let scratch = LibraryScratch()
        let echo = EchoServer()
        let source = "[127.0.0.1]:\(freePort())"
        let reference = try ReferenceSpiped(["-d", "-s", source, "-t", echo.address, "-k", scratch.keyPath], listening: source)
        let connection = try await SpipedConnection.connect(to: source, key: scratch.key)
        // The C daemon bound a port another test may also hold (as an
        // ephemeral port on another address): count our connection by both ends.
        let ends = (port(of: connection.localAddress), port(of: source))
        #expect(connectionSocketsOpen(ends.0, ends.1) == 1)
        let transfer = Task { try await libraryRoundTrip(connection, LibraryEnvironment.randomBytes(512 * 1024 * 1024)) }
        try await Task.sleep(nanoseconds: 200_000_000)
        reference.kill()
        await #expect(throws: SpipedError.self) { _ = try await transfer.value }
        connection.close()
        var open = connectionSocketsOpen(ends.0, ends.1)
        for _ in 0..<200 where open > 0 {
            try await Task.sleep(nanoseconds: 10_000_000)
            open = connectionSocketsOpen(ends.0, ends.1)
        }
        #expect(open == 0)
    }

    @Test("errors say what happened")
    func errorTexts() async throws {
        let scratch = LibraryScratch()
        await #expect(throws: SpipedError.invalidAddress("Address must contain port number: nohostport")) {
            _ = try await SpipedConnection.connect(to: "nohostport", key: scratch.key)
        }
        await #expect(throws: SpipedError.invalidAddress("Invalid port number: 99999")) {
            _ = try await SpipedListener.bind(to: "[127.0.0.1]:99999", key: scratch.key)
        }
        await #expect(throws: SpipedError.connectFailed("Connection refused")) {
            _ = try await SpipedConnection.connect(to: "[127.0.0.1]:\(freePort())", key: scratch.key)
        }
        // A wrong key: the client hears why, the listener counts and logs it.
        let lines = LogLines()
        let listener = try await SpipedListener.bind(to: "[127.0.0.1]:0", key: scratch.key,
                                                     options: .init(log: { lines.append($0) }))
        // (The server drops the connection on a bad MAC, so the client hears the close.)
        await #expect(throws: SpipedError.handshakeFailed("connection closed by peer")) {
            _ = try await SpipedConnection.connect(to: listener.address, key: scratch.otherKey)
        }
        for _ in 0..<100 where listener.handshakeFailureCount == 0 { try await Task.sleep(nanoseconds: 10_000_000) }
        #expect(listener.handshakeFailureCount == 1)
        #expect(lines.all.count == 1 && lines.all.first?.contains("Handshake failed: bad MAC (wrong key?)") == true, "\(lines.all)")
        #expect(listener.acceptedCount == 0)
        // -g against -f is refused, with the reason.
        let pfs = try await SpipedListener.bind(to: "[127.0.0.1]:0", key: scratch.key, options: .init(requirePFS: true))
        await #expect(throws: SpipedError.self) {
            _ = try await SpipedConnection.connect(to: pfs.address, key: scratch.key, options: .init(fast: true))
        }
        listener.close()
        pfs.close()
    }

    @Test("options and overloads: bind address, buffer writes, one read at a time")
    func optionsAndOverloads() async throws {
        let scratch = LibraryScratch()
        let listener = try await SpipedListener.bind(to: "[127.0.0.1]:0", key: scratch.key)
        let server = echoAll(listener)
        let connection = try await SpipedConnection.connect(to: listener.address, key: scratch.key,
                                                            options: .init(bindAddress: "127.0.0.1", keepAlive: false))
        #expect(connection.localAddress.hasPrefix("[127.0.0.1]:"))
        #expect(connection.remoteAddress == listener.address)
        let bytes: [UInt8] = [1, 2, 3, 4]
        let raw = UnsafeMutableRawBufferPointer.allocate(byteCount: bytes.count, alignment: 1)
        raw.copyBytes(from: bytes)
        try await connection.write(UnsafeRawBufferPointer(raw))   // copied before the call suspends
        raw.deallocate()
        try await connection.write(bytes[2...])
        var got: [UInt8] = []
        while got.count < 6, let chunk = try await connection.read() { got += chunk }
        #expect(got == [1, 2, 3, 4, 3, 4])
        // A second read while one waits is refused, not interleaved.
        let first = Task { try await connection.read() }
        try await Task.sleep(nanoseconds: 50_000_000)
        await #expect(throws: SpipedError.concurrentOperation("read")) { _ = try await connection.read() }
        try await connection.write([9])
        #expect(try await first.value == [9])
        await #expect(throws: SpipedError.invalidAddress("Error parsing IP address: nonsense")) {
            _ = try await SpipedConnection.connect(to: listener.address, key: scratch.key,
                                                   options: .init(bindAddress: "[nonsense]"))
        }
        connection.close()
        listener.close()
        await server.value
    }

    @Test("an in-process pipe (SpipedPipe) decrypts for our client and stops on request")
    func pipe() async throws {
        let scratch = LibraryScratch()
        let echo = EchoServer()
        let decrypt = try SpipedPipe(mode: .decrypt, source: "[127.0.0.1]:0", target: echo.address, key: scratch.key)
        let encrypt = try SpipedPipe(mode: .encrypt, source: scratch.path("e.sock"), target: decrypt.sourceAddress,
                                     key: scratch.key)
        let runs = [Task { try await decrypt.run() }, Task { try await encrypt.run() }]
        // Through both pipes with a plaintext client.
        var ready = false
        for _ in 0..<200 where !ready { ready = canConnect(encrypt.sourceAddress); if !ready { usleep(10_000) } }
        let payload = LibraryEnvironment.randomBytes(2 * 1024 * 1024)
        let plain = plainRoundTrip(encrypt.sourceAddress, payload)
        #expect(plain.hash == SHA256.hash(payload))
        // Our client straight to the decrypting pipe.
        let connection = try await SpipedConnection.connect(to: decrypt.sourceAddress, key: scratch.key)
        let result = try await libraryRoundTrip(connection, payload)
        #expect(result.hash == SHA256.hash(payload))
        connection.close()
        decrypt.stop()
        runs[1].cancel()
        for run in runs { try await run.value }
        #expect(throws: SpipedError.invalidAddress("Address must contain port number: nowhere")) {
            _ = try SpipedPipe(mode: .encrypt, source: "[127.0.0.1]:0", target: "nowhere", key: scratch.key)
        }
    }
}
}

/// Log lines collected from the listener's log callback.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [String] = []
    func append(_ line: String) { lock.lock(); lines.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return lines }
}

extension Sequence where Element: Sendable {
    func asyncMap<T>(_ transform: (Element) async throws -> T) async rethrows -> [T] {
        var out: [T] = []
        for element in self { out.append(try await transform(element)) }
        return out
    }
}
