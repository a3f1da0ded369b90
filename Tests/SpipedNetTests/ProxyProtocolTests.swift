// -P / --proxy-protocol end to end, with real receivers from Debian's
// packages (nginx `listen ... proxy_protocol`, haproxy `accept-proxy`), both
// versions, in the two places the option is meant for:
// - behind our -d: the header describes the encrypted peer's connection. The
//   peer (our -e) binds its outgoing socket to 127.0.0.5 and a known port
//   (-b), so the receiver must report exactly that, not the -d's own
//   connection to it (from 127.0.0.1);
// - behind the C -d fed by our -e: the header describes the original
//   client's connection, which the test makes from 127.0.0.7 and a known
//   port; the header travels as the first plaintext through the pipe.
// Each receiver answers with the client it was told about and logs it; both
// must be the real one. Also: a Unix-socket source gives PROXY UNKNOWN, and
// the request is still served (nginx then has no PROXY address).
// Without nginx or haproxy their tests skip (and fail in CI).
import Foundation
import Testing
import SpipedDaemon
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif

extension ProcessTests {
    @Suite struct ProxyProtocol {
        @Test func receiversAreInstalledInCI() {
            guard TestEnvironment.inCI else { return }
            for kit in [ExternalKit.nginx, .haproxy] {
                #expect(kit.isAvailable, "CI=true but \(kit.name) is missing: apt-get install \(kit.packages) (.ci/run does)")
            }
        }

        enum Receiver: String, CustomStringConvertible {
            case nginx, haproxy
            var description: String { rawValue }

            func start(_ scratch: Scratch) throws -> any ProxyReceiver {
                switch self {
                case .nginx: return try NginxReceiver(scratch: scratch)
                case .haproxy: return try HAProxyReceiver(scratch: scratch)
                }
            }
        }

        /// The option for a version: v1 as -P, v2 as --proxy-protocol v2.
        static func option(_ version: ProxyProtocolVersion) -> [String] {
            version == .v1 ? ["-P"] : ["--proxy-protocol", "v2"]
        }

        /// An HTTP/1.0 request over a socket bound to `local` first; the response text.
        static func request(from local: SocketAddress, to address: SocketAddress) -> String {
            let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard fd >= 0 else { return "no socket" }
            defer { close(fd) }
            TestSockets.setTimeouts(fd, 10)
            var one: Int32 = 1
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
            guard local.withSockAddr({ bind(fd, $0, $1) }) == 0 else { return "bind failed: \(SystemError(errno))" }
            guard address.withSockAddr({ connect(fd, $0, $1) }) == 0 else { return "connect failed: \(SystemError(errno))" }
            TestSockets.writeAll(fd, Array("GET / HTTP/1.0\r\nHost: test\r\n\r\n".utf8))
            return String(decoding: TestSockets.readAll(fd).bytes, as: UTF8.self)
        }

        /// Waits for the receiver's log to name a client (logs are written as requests end).
        static func loggedClients(_ receiver: any ProxyReceiver) -> [String] {
            let deadline = Date().addingTimeInterval(3)
            while receiver.loggedClients.isEmpty && Date() < deadline { usleep(20_000) }
            return receiver.loggedClients
        }

        /// our -e (outgoing bound to 127.0.0.5:port) -> our -d -P -> receiver.
        func behindOurDecryptor(_ receiver: Receiver, _ version: ProxyProtocolVersion) throws {
            let scratch = Scratch()
            let server = try receiver.start(scratch)
            let decryptor = try #require(RunningDaemon(.ours, mode: "-d", source: TestSockets.loopback(TestSockets.freePort()),
                                                       target: server.address.text, key: scratch.key,
                                                       extra: Self.option(version), scratch: scratch))
            let peerPort = TestSockets.freePort()
            let encryptor = try #require(RunningDaemon(.ours, mode: "-e", source: TestSockets.loopback(TestSockets.freePort()),
                                                       target: decryptor.sourceText, key: scratch.key,
                                                       extra: ["-b", "[127.0.0.5]:\(peerPort)"], scratch: scratch))
            let client = try #require(SocketAddress(numericHost: "127.0.0.1", port: 0))
            let response = Self.request(from: client, to: encryptor.source)
            let expected = "client=127.0.0.5:\(peerPort)"
            #expect(response.hasPrefix("HTTP/1.1 200") && response.hasSuffix("\r\n\r\n\(expected)\n"),
                    "\(receiver) \(version) answered: \(response); -d: \(decryptor.stderr)")
            #expect(Self.loggedClients(server) == [expected], "\(receiver) logged: \(server.loggedClients)")
        }

        /// client (bound to 127.0.0.7:port) -> our -e -P -> the C -d -> receiver.
        func behindTheReferenceDecryptor(_ receiver: Receiver, _ version: ProxyProtocolVersion) throws {
            let scratch = Scratch()
            let server = try receiver.start(scratch)
            let pair = try #require(EncryptedPair(client: .ours, server: .reference, serverTarget: server.address.text,
                                                  scratch: scratch, clientExtra: Self.option(version)))
            let clientPort = TestSockets.freePort()
            let client = try #require(SocketAddress(numericHost: "127.0.0.7", port: clientPort))
            let response = Self.request(from: client, to: pair.entry)
            let expected = "client=127.0.0.7:\(clientPort)"
            #expect(response.hasPrefix("HTTP/1.1 200") && response.hasSuffix("\r\n\r\n\(expected)\n"),
                    "\(receiver) \(version) answered: \(response); -e: \(pair.encryptor.stderr)")
            #expect(Self.loggedClients(server) == [expected], "\(receiver) logged: \(server.loggedClients)")
        }

        static let versions = ProxyProtocolVersion.allCases

        @Test(ExternalKit.nginx.required, arguments: versions)
        func nginxBehindOurDecryptor(version: ProxyProtocolVersion) throws {
            try behindOurDecryptor(.nginx, version)
        }

        @Test(ExternalKit.haproxy.required, arguments: versions)
        func haproxyBehindOurDecryptor(version: ProxyProtocolVersion) throws {
            try behindOurDecryptor(.haproxy, version)
        }

        @Test(ExternalKit.nginx.required, needsReference, arguments: versions)
        func nginxBehindTheReferenceDecryptorFedByOurEncryptor(version: ProxyProtocolVersion) throws {
            try behindTheReferenceDecryptor(.nginx, version)
        }

        @Test(ExternalKit.haproxy.required, needsReference, arguments: versions)
        func haproxyBehindTheReferenceDecryptorFedByOurEncryptor(version: ProxyProtocolVersion) throws {
            try behindTheReferenceDecryptor(.haproxy, version)
        }

        /// A Unix-socket source: v1 says PROXY UNKNOWN, nginx serves the request without a PROXY address.
        @Test(ExternalKit.nginx.required)
        func unixSourceSendsUnknown() throws {
            let scratch = Scratch()
            let server = try NginxReceiver(scratch: scratch)
            let decryptor = try #require(RunningDaemon(.ours, mode: "-d", source: TestSockets.loopback(TestSockets.freePort()),
                                                       target: server.address.text, key: scratch.key, scratch: scratch))
            let unixEntry = scratch.path("entry.sock")
            let unixAddress = try #require(SocketAddress(unixPath: unixEntry))
            let encryptor = try #require(RunningDaemon(.ours, mode: "-e", source: (unixEntry, unixAddress),
                                                       target: decryptor.sourceText, key: scratch.key,
                                                       extra: ["-P"], scratch: scratch))
            let fd = TestSockets.connect(encryptor.source)
            try #require(fd >= 0)
            defer { close(fd) }
            TestSockets.writeAll(fd, Array("GET / HTTP/1.0\r\nHost: test\r\n\r\n".utf8))
            let response = String(decoding: TestSockets.readAll(fd).bytes, as: UTF8.self)
            #expect(response.hasPrefix("HTTP/1.1 200") && response.hasSuffix("\r\n\r\nclient=:\n"), "nginx answered: \(response)")
        }
    }
}
