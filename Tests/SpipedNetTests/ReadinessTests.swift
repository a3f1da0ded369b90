// systemd readiness: with $NOTIFY_SOCKET naming a datagram socket, our
// spiped sends READY=1 once its source listens. The listener here is a real
// AF_UNIX datagram socket (a path, and an abstract "@name").
import Foundation
import Testing
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif
import SpipedTestSupport

extension ProcessTests {
    @Suite struct Readiness {
        let scratch = Scratch()

        /// Binds a datagram socket at `name` (a path, or "@abstract") with a receive timeout.
        func notifyListener(_ name: String) -> Int32 {
            let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            var storage = sockaddr_storage()
            var bytes = Array(name.utf8)
            if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
            let length = withUnsafeMutablePointer(to: &storage) { p in
                p.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { un -> Int in
                    un.pointee.sun_family = sa_family_t(AF_UNIX)
                    withUnsafeMutableBytes(of: &un.pointee.sun_path) { raw in
                        for (i, b) in bytes.enumerated() { raw[i] = b }
                    }
                    return MemoryLayout<sa_family_t>.size + bytes.count + (name.hasPrefix("@") ? 0 : 1)
                }
            }
            _ = SocketAddress(storage: storage, length: socklen_t(length)).withSockAddr { bind(fd, $0, $1) }
            TestSockets.setTimeouts(fd, 10)
            return fd
        }

        func expectReady(notifySocket name: String) throws {
            let listener = notifyListener(name)
            defer { close(listener) }
            var environment = ProcessInfo.processInfo.environment
            environment["NOTIFY_SOCKET"] = name
            let source = TestSockets.loopback(TestSockets.freePort())
            let daemon = try ChildProcess(TestEnvironment.ourSpiped,
                                          ["-d", "-F", "-s", source.text, "-t", "[127.0.0.1]:9", "-k", scratch.key],
                                          environment: environment, stderr: .file(scratch.path("n.err")))
            var buffer = [UInt8](repeating: 0, count: 512)
            let n = buffer.withUnsafeMutableBytes { recv(listener, $0.baseAddress, $0.count, 0) }
            try #require(n > 0, "no notification received; stderr: \(scratch.text("n.err"))")
            let message = String(decoding: buffer[0..<n], as: UTF8.self)
            #expect(message.split(separator: "\n").contains("READY=1"), "message: \(message)")
            #expect(message.contains("MAINPID=\(daemon.pid)"))
            #expect(TestSockets.isListening(source.address), "READY=1 sent before the source listened")
            daemon.send(SIGTERM)
            #expect(daemon.wait(timeout: 5) == 0)
        }

        @Test func readyIsSentToPathSocket() throws {
            try expectReady(notifySocket: scratch.path("notify"))
        }

        @Test func readyIsSentToAbstractSocket() throws {
            try expectReady(notifySocket: "@spiped-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        }
    }
}
