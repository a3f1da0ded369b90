// The plaintext ends of the benchmark: a loopback sink that counts what it
// receives (one blocking thread per connection) and a blocking client that
// sends a buffer; plus C spiped processes and free ports.
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Counts bytes received on a loopback TCP port and signals when a connection hits EOF.
final class Sink: @unchecked Sendable {
    let address: String
    private let fd: Int32
    private let finished = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var lastCount = 0

    init() {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.fd = fd
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        var sin = loopback(port: 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        _ = withUnsafeMutablePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        listen(fd, 64)
        address = "[127.0.0.1]:\(UInt16(bigEndian: sin.sin_port))"
        let listener = fd
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                Thread.detachNewThread { [self] in drain(client) }
            }
        }
    }

    private func drain(_ client: Int32) {
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: 1 << 18, alignment: 64)
        defer { buffer.deallocate() }
        var count = 0
        while true {
            let n = read(client, buffer, 1 << 18)
            if n <= 0 { break }
            count += n
        }
        close(client)
        if count == 0 { return }   // a readiness probe through the C spiped, not a run
        lock.lock(); lastCount = count; lock.unlock()
        finished.signal()
    }

    /// Waits for the next connection that carried data to end; returns its byte count.
    func waitForConnection() -> Int {
        finished.wait()
        lock.lock(); defer { lock.unlock() }
        return lastCount
    }
}

func loopback(port: UInt16) -> sockaddr_in {
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    sin.sin_port = port.bigEndian
    sin.sin_addr.s_addr = inet_addr("127.0.0.1")
    return sin
}

func freePort() -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var sin = loopback(port: 0)
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &sin) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    return UInt16(bigEndian: sin.sin_port)
}

/// A blocking connect to 127.0.0.1:port; -1 on failure.
func connectPlain(port: UInt16) -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var sin = loopback(port: port)
    let rc = withUnsafePointer(to: &sin) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if rc != 0 { close(fd); return -1 }
    return fd
}

/// Sends `bytes` in 64 KiB writes `repeat` times, then closes.
func sendPlain(_ fd: Int32, _ block: [UInt8], times: Int) {
    for _ in 0..<times {
        var off = 0
        while off < block.count {
            let n = block.withUnsafeBytes { send(fd, $0.baseAddress! + off, block.count - off, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { close(fd); return }
            off += n
        }
    }
    close(fd)
}

/// A C spiped, killed at deinit.
final class CSpiped {
    let process = Process()
    init(_ path: String, _ arguments: [String], port: UInt16) throws {
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = ["-F"] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        for _ in 0..<300 {
            let fd = connectPlain(port: port)
            if fd >= 0 { close(fd); return }
            usleep(10_000)
        }
    }
    /// Kills the process and waits for it (globals are never deinitialized at exit, so call this).
    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { stop() }
}
