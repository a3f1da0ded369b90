// Where the PROXY header goes in the stream, byte for byte, with our own
// capturing target (no external receiver needed):
// - -e -P: the target behind our -d gets exactly the header for the client's
//   connection (127.0.0.7:<port> -> our source) before the client has sent
//   anything (a server that speaks first still gets it), then the client's
//   bytes; the same with -f (the early sealer) and with v2;
// - -d -P: the target gets exactly the header for the encrypted peer's
//   connection, then the plaintext;
// - -d -P and a peer with the wrong key: the target never sees a header;
// - the connection log counts only the source's bytes, not the header.
import Foundation
import Testing
import SpipedDaemon
import SpipedTestSupport
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif

/// A target that accepts one connection and records what arrives.
final class CapturingTarget: @unchecked Sendable {
    let address: (text: String, address: SocketAddress)
    private let listener: Int32
    private let lock = NSLock()
    private var bytes: [UInt8] = []
    private var accepted = false
    private var thread: JoinableThread?

    init() {
        address = TestSockets.loopback(TestSockets.freePort())
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = address.address.withSockAddr { bind(listener, $0, $1) }
        _ = listen(listener, 8)
        TestSockets.setTimeouts(listener, 5)
        thread = JoinableThread { [self] in
            let fd = accept(listener, nil, nil)
            guard fd >= 0 else { return }
            lock.withLock { accepted = true }
            TestSockets.setTimeouts(fd, 5)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n <= 0 { break }
                lock.withLock { bytes += buffer[0..<n] }
            }
            close(fd)
        }
    }

    /// What arrived so far.
    var received: [UInt8] { lock.withLock { bytes } }
    /// Whether a connection came in.
    var wasConnected: Bool { lock.withLock { accepted } }

    /// Waits until at least `count` bytes arrived (or `seconds` passed).
    func waitFor(_ count: Int, seconds: Double = 5) -> [UInt8] {
        let deadline = Date().addingTimeInterval(seconds)
        while received.count < count && Date() < deadline { usleep(10_000) }
        return received
    }

    deinit {
        close(listener)
        thread?.join()
    }
}

extension ProcessTests {
    @Suite struct ProxyProtocolStream {
        /// Connects from 127.0.0.7:<port> and returns the socket and the address used.
        static func connect(from port: UInt16, to address: SocketAddress) throws -> Int32 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            TestSockets.setTimeouts(fd, 5)
            let local = try #require(SocketAddress(numericHost: "127.0.0.7", port: port))
            try #require(local.withSockAddr { bind(fd, $0, $1) } == 0)
            try #require(address.withSockAddr { Glibc.connect(fd, $0, $1) } == 0)
            return fd
        }

        @Test(arguments: [(ProxyProtocolVersion.v1, false), (.v1, true), (.v2, false), (.v2, true)])
        func encryptorSendsTheHeaderFirstWithoutWaitingForTheClient(version: ProxyProtocolVersion, fast: Bool) throws {
            let scratch = Scratch()
            let target = CapturingTarget()
            let option = version == .v1 ? ["-P"] : ["--proxy-protocol", "v2"]
            let pair = try #require(EncryptedPair(client: .ours, server: .ours, serverTarget: target.address.text, scratch: scratch,
                                                  clientExtra: option + (fast ? ["-f"] : [])))
            let port = TestSockets.freePort()
            let fd = try Self.connect(from: port, to: pair.entry)
            defer { close(fd) }
            let expected = ProxyProtocolHeader.encode(version, source: SocketAddress(numericHost: "127.0.0.7", port: port),
                                                      destination: pair.entry)
            // Nothing sent by the client yet: the header alone arrives.
            #expect(target.waitFor(expected.count) == expected)
            TestSockets.writeAll(fd, Array("hello".utf8))
            #expect(target.waitFor(expected.count + 5) == expected + Array("hello".utf8))
        }

        @Test(arguments: ProxyProtocolVersion.allCases)
        func decryptorWritesThePeersHeaderBeforeThePlaintext(version: ProxyProtocolVersion) throws {
            let scratch = Scratch()
            let target = CapturingTarget()
            let option = version == .v1 ? ["-P"] : ["--proxy-protocol", "v2"]
            let decryptor = try #require(RunningDaemon(.ours, mode: "-d", source: TestSockets.loopback(TestSockets.freePort()),
                                                       target: target.address.text, key: scratch.key, extra: option, scratch: scratch))
            let peerPort = TestSockets.freePort()
            let encryptor = try #require(RunningDaemon(.ours, mode: "-e", source: TestSockets.loopback(TestSockets.freePort()),
                                                       target: decryptor.sourceText, key: scratch.key,
                                                       extra: ["-b", "[127.0.0.5]:\(peerPort)"], scratch: scratch))
            let fd = TestSockets.connect(encryptor.source)
            defer { close(fd) }
            TestSockets.writeAll(fd, Array("data".utf8))
            let expected = ProxyProtocolHeader.encode(version, source: SocketAddress(numericHost: "127.0.0.5", port: peerPort),
                                                      destination: decryptor.source)
            #expect(target.waitFor(expected.count + 4) == expected + Array("data".utf8))
        }

        @Test func theLogCountsOnlyTheSourcesBytes() throws {
            let scratch = Scratch()
            let echo = TestServer(.echo)
            let pair = try #require(EncryptedPair(client: .ours, server: .ours, serverTarget: echo.text, scratch: scratch,
                                                  clientExtra: ["-P", "--log-connections"]))
            _ = TestSockets.exchange(pair.entry, Array("hello".utf8), timeout: 5)
            let deadline = Date().addingTimeInterval(5)
            while !pair.encryptor.stderr.contains("closed after") && Date() < deadline { usleep(10_000) }
            #expect(pair.encryptor.stderr.contains(" 5 bytes from source, "), "log: \(pair.encryptor.stderr)")
        }

        @Test func aPeerWithoutTheKeyNeverMakesTheTargetSeeAHeader() throws {
            let scratch = Scratch()
            let target = CapturingTarget()
            let decryptor = try #require(RunningDaemon(.ours, mode: "-d", source: TestSockets.loopback(TestSockets.freePort()),
                                                       target: target.address.text, key: scratch.key, extra: ["-P"], scratch: scratch))
            let encryptor = try #require(RunningDaemon(.ours, mode: "-e", source: TestSockets.loopback(TestSockets.freePort()),
                                                       target: decryptor.sourceText, key: scratch.otherKey, scratch: scratch))
            _ = TestSockets.exchange(encryptor.source, Array("data".utf8), timeout: 5)
            // The -d connects to the target alongside the handshake (as the reference does), but writes nothing.
            #expect(target.waitFor(1, seconds: 1).isEmpty)
        }
    }
}
