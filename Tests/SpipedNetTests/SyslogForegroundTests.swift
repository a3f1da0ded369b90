// `--syslog` with `-F`: warnings and the connection log go to syslog from the
// first message (the C spiped only switches after daemonizing), and without
// `--syslog` they stay on stderr. The syslog socket is a real AF_UNIX
// datagram socket the test binds at /dev/log (glibc's syslog(3) path), so it
// runs only where /dev/log is free (no syslog daemon) and we may create it;
// elsewhere it says why it skipped.
import Foundation
import Testing
import SpipedDaemon
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif

extension ProcessTests {
    @Suite struct SyslogForeground {
        static let path = "/dev/log"

        /// Whether the test can own /dev/log: nothing there now, and /dev writable.
        static let canOwnDevLog: Bool = access(path, F_OK) != 0 && access("/dev", W_OK) == 0

        static let skip: Comment = "/dev/log exists (a syslog daemon owns it) or /dev is not writable; --syslog -F test skipped"

        /// Binds the datagram socket that syslog(3) writes to.
        static func bindDevLog() -> Int32 {
            let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard let address = SocketAddress(unixPath: path),
                  address.withSockAddr({ bind(fd, $0, $1) }) == 0 else { close(fd); return -1 }
            TestSockets.setTimeouts(fd, 0.2)
            return fd
        }

        /// Every datagram that arrives within `seconds`.
        static func messages(_ fd: Int32, for seconds: Double) -> [String] {
            var found: [String] = []
            let deadline = Date().addingTimeInterval(seconds)
            var buffer = [UInt8](repeating: 0, count: 4096)
            while Date() < deadline {
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
                if n > 0 { found.append(String(decoding: buffer[0..<n], as: UTF8.self)) }
            }
            return found
        }

        @Test(.enabled(if: canOwnDevLog, skip))
        func foregroundSyslogGetsWarningsAndConnectionLines() throws {
            let fd = Self.bindDevLog()
            try #require(fd >= 0, "cannot bind \(Self.path): \(SystemError(errno))")
            defer { close(fd); unlink(Self.path) }
            let scratch = Scratch()
            let source = TestSockets.loopback(TestSockets.freePort())
            // A refused target: --log-connections gives accepted, connect-failed and closed lines.
            let daemon = try #require(RunningDaemon(.ours, mode: "-d", source: source, target: "[127.0.0.1]:\(TestSockets.freePort())",
                                                    key: scratch.key, extra: ["--syslog", "--log-connections"], scratch: scratch))
            let client = TestSockets.connect(source.address)
            if client >= 0 { close(client) }
            let lines = Self.messages(fd, for: 1.0)
            #expect(daemon.terminate() == 0)
            // <28> = LOG_DAEMON | LOG_WARNING; the tag is spiped[pid].
            #expect(lines.contains { $0.hasPrefix("<28>") && $0.contains("spiped[\(daemon.process.pid)]: connection 1: accepted from [127.0.0.1]:") },
                    "syslog got: \(lines)")
            #expect(lines.contains { $0.contains("connection 1: closed after") }, "syslog got: \(lines)")
            #expect(!daemon.stderr.contains("connection 1"), "stderr still got the log: \(daemon.stderr)")
        }

        @Test(.enabled(if: canOwnDevLog, skip))
        func withoutSyslogTheForegroundStaysOnStderr() throws {
            let fd = Self.bindDevLog()
            try #require(fd >= 0, "cannot bind \(Self.path): \(SystemError(errno))")
            defer { close(fd); unlink(Self.path) }
            let scratch = Scratch()
            let source = TestSockets.loopback(TestSockets.freePort())
            let daemon = try #require(RunningDaemon(.ours, mode: "-d", source: source, target: "[127.0.0.1]:\(TestSockets.freePort())",
                                                    key: scratch.key, extra: ["--log-connections"], scratch: scratch))
            let client = TestSockets.connect(source.address)
            if client >= 0 { close(client) }
            let lines = Self.messages(fd, for: 0.5)
            #expect(daemon.terminate() == 0)
            #expect(lines.isEmpty, "syslog got: \(lines)")
            #expect(daemon.stderr.contains("spiped: connection 1: accepted from"))
        }
    }
}
