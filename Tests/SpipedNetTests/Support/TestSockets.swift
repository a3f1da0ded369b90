// Plain socket helpers for the tests: free loopback ports, blocking clients
// with timeouts (a stuck daemon fails a test, never hangs it), a full-duplex
// exchange that writes a payload while reading the reply (so large echoes
// cannot deadlock on full buffers), and a check that an address is listening
// read from /proc/net, which opens no connection the daemon would see.
import Foundation
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif
import SpipedTestSupport

enum TestSockets {
    /// A loopback port nothing listens on right now.
    static func freePort(ipv6: Bool = false) -> UInt16 {
        let family = ipv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        defer { close(fd) }
        guard let any = SocketAddress(numericHost: ipv6 ? "::1" : "127.0.0.1", port: 0) else { return 0 }
        _ = any.withSockAddr { bind(fd, $0, $1) }
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return SocketAddress(storage: storage, length: length).port ?? 0
    }

    /// Address text and SocketAddress for a loopback port.
    static func loopback(_ port: UInt16, ipv6: Bool = false) -> (text: String, address: SocketAddress) {
        let host = ipv6 ? "::1" : "127.0.0.1"
        return ("[\(host)]:\(port)", SocketAddress(numericHost: host, port: port)!)
    }

    /// A connected blocking socket with send/receive timeouts, or -1.
    static func connect(_ address: SocketAddress, timeout: Double = 10) -> Int32 {
        let fd = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return -1 }
        setTimeouts(fd, timeout)
        guard address.withSockAddr({ Glibc.connect(fd, $0, $1) }) == 0 else { close(fd); return -1 }
        return fd
    }

    static func setTimeouts(_ fd: Int32, _ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Writes all of `bytes`; false on error or timeout.
    @discardableResult
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + offset, $0.count - offset, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }

    /// Reads until EOF, error or timeout. `clean` is true only for an orderly EOF.
    static func readAll(_ fd: Int32, limit: Int = 64 << 20) -> (bytes: [UInt8], clean: Bool) {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while result.count < limit {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n == 0 { return (result, true) }
            if n < 0 { return (result, false) }
            result.append(contentsOf: buffer[0..<n])
        }
        return (result, false)
    }

    /// Reads exactly `count` bytes (nil on EOF, error or timeout first).
    static func readExactly(_ fd: Int32, _ count: Int) -> [UInt8]? {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: max(1, min(count, 65536)))
        while result.count < count {
            let want = min(buffer.count, count - result.count)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, want, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return nil }
            result.append(contentsOf: buffer[0..<n])
        }
        return result
    }

    /// Connects, sends `payload` while reading, half-closes, reads to EOF.
    /// Returns the bytes received and whether the stream ended cleanly;
    /// nil if the connection could not be made.
    static func exchange(_ address: SocketAddress, _ payload: [UInt8], timeout: Double = 20) -> (bytes: [UInt8], clean: Bool)? {
        let fd = connect(address, timeout: timeout)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        let writer = Thread.detachedJoinable {
            writeAll(fd, payload)
            shutdown(fd, Int32(SHUT_WR))
        }
        let received = readAll(fd)
        writer.join()
        return received
    }

    /// Whether something listens on `address` right now (from /proc/net).
    static func isListening(_ address: SocketAddress) -> Bool {
        if let path = address.unixPath {
            let table = readProcFile("/proc/net/unix")
            return table.split(separator: "\n").contains { line in
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                // Flags 00010000 = __SO_ACCEPTCON (listening); path is the last field.
                return fields.count >= 8 && fields[3] == "00010000" && fields.last.map(String.init) == path
            }
        }
        guard let port = address.port else { return false }
        let portHex = String(format: ":%04X", port)
        for file in ["/proc/net/tcp", "/proc/net/tcp6"] {
            let table = readProcFile(file)
            for line in table.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ", omittingEmptySubsequences: true)
                if fields.count > 3, fields[1].hasSuffix(portHex), fields[3] == "0A" { return true }
            }
        }
        return false
    }

    /// Waits until `address` is listening; false after `timeout`.
    static func waitUntilListening(_ address: SocketAddress, timeout: Double = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if isListening(address) { return true }
            usleep(10_000)
        }
        return false
    }
}
