// --idle-timeout: a connection on which no byte moves either way for that
// long is closed (and logged with --log-connections); one that keeps moving
// bytes is not, whatever its age.
import Foundation
import Testing
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif

extension ProcessTests {
    @Suite struct IdleTimeout {
        let scratch = Scratch()

        func pair(_ extra: [String], echo: TestServer) throws -> EncryptedPair {
            try #require(EncryptedPair(client: .ours, server: .ours, serverTarget: echo.text, scratch: scratch,
                                       serverExtra: extra + ["--log-connections"]))
        }

        @Test func anIdleConnectionIsClosedAndLogged() throws {
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let pair = try pair(["--idle-timeout", "0.5"], echo: echo)
            let fd = TestSockets.connect(pair.entry)
            try #require(fd >= 0)
            defer { close(fd) }
            TestSockets.setTimeouts(fd, 5)
            #expect(TestSockets.writeAll(fd, Array("ping".utf8)))
            var buffer = [UInt8](repeating: 0, count: 16)
            #expect(recv(fd, &buffer, 4, Int32(MSG_WAITALL)) == 4)
            let start = Date()
            // Nothing more is sent: the -d side closes, -e passes the end on.
            let n = recv(fd, &buffer, buffer.count, 0)
            let waited = Date().timeIntervalSince(start)
            #expect(n == 0, "expected the connection to end, got \(n)")
            #expect(waited >= 0.4 && waited < 3, "closed after \(waited) s")
            let deadline = Date().addingTimeInterval(3)
            while !pair.decryptor.stderr.contains("idle for") && Date() < deadline { usleep(20_000) }
            #expect(pair.decryptor.stderr.contains("spiped: connection 1: idle for"), "log: \(pair.decryptor.stderr)")
        }

        @Test func aBusyConnectionOutlivesTheTimeout() throws {
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let pair = try pair(["--idle-timeout", "0.6"], echo: echo)
            let fd = TestSockets.connect(pair.entry)
            try #require(fd >= 0)
            defer { close(fd) }
            TestSockets.setTimeouts(fd, 5)
            var buffer = [UInt8](repeating: 0, count: 16)
            // A byte every 0.2 s for 2 s: never idle for 0.6 s.
            for _ in 0..<10 {
                #expect(TestSockets.writeAll(fd, [7]))
                #expect(recv(fd, &buffer, 1, Int32(MSG_WAITALL)) == 1)
                usleep(200_000)
            }
            #expect(!pair.decryptor.stderr.contains("idle for"), "log: \(pair.decryptor.stderr)")
        }

        @Test func withoutTheOptionNothingTimesOut() throws {
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let pair = try pair([], echo: echo)
            let fd = TestSockets.connect(pair.entry)
            try #require(fd >= 0)
            defer { close(fd) }
            TestSockets.setTimeouts(fd, 1)
            var buffer = [UInt8](repeating: 0, count: 16)
            #expect(TestSockets.writeAll(fd, [1]))
            #expect(recv(fd, &buffer, 1, Int32(MSG_WAITALL)) == 1)
            // A receive timeout (EAGAIN), not an end of stream.
            #expect(recv(fd, &buffer, 1, 0) == -1 && (errno == EAGAIN || errno == EWOULDBLOCK))
        }
    }
}
