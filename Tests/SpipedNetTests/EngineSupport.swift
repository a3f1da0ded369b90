// Helpers for the in-process engine tests: loopback listeners on port 0,
// blocking client sockets with timeouts, small target servers (echo, reply
// after EOF, silent), and an -e/-d ProxyEngine pair running on threads.
import Foundation
import Glibc
import SpipedNet
import SpipedTestSupport
import SpipedProtocol

enum TestNet {
    static func loopback(_ port: UInt16) -> SocketAddress {
        SocketAddress(numericHost: "127.0.0.1", port: port)!
    }

    /// A listening TCP socket on 127.0.0.1, any free port.
    static func listenTCP() -> (fd: Int32, port: UInt16) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let address = loopback(0)
        _ = address.withSockAddr { bind(fd, $0, $1) }
        listen(fd, 512)
        return (fd, boundPort(fd))
    }

    /// A listening Unix socket at `path`.
    static func listenUnix(_ path: String) -> Int32 {
        unlink(path)
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        let address = SocketAddress(unixPath: path)!
        _ = address.withSockAddr { bind(fd, $0, $1) }
        listen(fd, 512)
        return fd
    }

    static func boundPort(_ fd: Int32) -> UInt16 {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return SocketAddress(storage: storage, length: length).port ?? 0
    }

    /// A port with nothing listening (bound once, then closed).
    static func closedPort() -> UInt16 {
        let (fd, port) = listenTCP()
        close(fd)
        return port
    }

    /// A blocking client connected to 127.0.0.1:port with a receive timeout.
    static func connect(port: UInt16, receiveTimeout: Double = 20, receiveBuffer: Int32? = nil) -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        setReceiveTimeout(fd, receiveTimeout)
        if var size = receiveBuffer {
            // Before connect, so the window is small from the start.
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        let rc = loopback(port).withSockAddr { Glibc.connect(fd, $0, $1) }
        return rc == 0 ? fd : -1
    }

    static func setReceiveTimeout(_ fd: Int32, _ seconds: Double) {
        var tv = timeval(tv_sec: Int(seconds), tv_usec: Int((seconds - Double(Int(seconds))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    static func sendAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return false }
            sent += n
        }
        return true
    }

    /// Reads until EOF (or error/timeout); returns the bytes and whether EOF was clean.
    static func receiveAll(_ fd: Int32) -> (bytes: [UInt8], cleanEOF: Bool) {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n == 0 { return (result, true) }
            if n < 0 {
                if errno == EINTR { continue }
                return (result, false)
            }
            result += buffer[0..<n]
        }
    }

    /// Reads exactly `count` bytes, or fewer on EOF/error/timeout.
    static func receive(_ fd: Int32, count: Int) -> [UInt8] {
        var result: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while result.count < count {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, min($0.count, count - result.count), 0) }
            if n <= 0 {
                if n < 0 && errno == EINTR { continue }
                break
            }
            result += buffer[0..<n]
        }
        return result
    }

    /// Waits for the peer to close; returns seconds waited, or nil if data came or it stayed open.
    static func secondsUntilClosed(_ fd: Int32, limit: Double) -> Double? {
        setReceiveTimeout(fd, limit)
        let start = Date()
        var byte: UInt8 = 0
        let n = recv(fd, &byte, 1, 0)
        if n == 0 || (n < 0 && errno == ECONNRESET) { return Date().timeIntervalSince(start) }
        return nil
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        var bytes = [UInt8](repeating: 0, count: count)
        var i = 0
        while i + 8 <= count {
            let word = generator.next()
            withUnsafeBytes(of: word) { for k in 0..<8 { bytes[i + k] = $0[k] } }
            i += 8
        }
        while i < count { bytes[i] = UInt8.random(in: 0...255); i += 1 }
        return bytes
    }
}

/// A target server on its own threads. Modes: echo (copies input back, half-closes
/// at EOF), replyAfterEOF (reads all, then sends "got N" and closes), silent
/// (accepts, never reads or answers).
final class TargetServer: @unchecked Sendable {
    enum Mode: Sendable { case echo, replyAfterEOF, silent }
    let fd: Int32
    let address: SocketAddress
    private let mode: Mode
    private let acceptThread: JoinableThread?
    private let held = NSLock()
    nonisolated(unsafe) private var heldSockets: [Int32] = []

    init(mode: Mode, unixPath: String? = nil) {
        self.mode = mode
        if let path = unixPath {
            fd = TestNet.listenUnix(path)
            address = SocketAddress(unixPath: path)!
        } else {
            let (listener, port) = TestNet.listenTCP()
            fd = listener
            address = TestNet.loopback(port)
        }
        let listener = fd
        let box = UnsafeSendableBox()
        acceptThread = JoinableThread {
            while true {
                let client = accept(listener, nil, nil)
                if client < 0 { return }
                box.server?.serve(client)
            }
        }
        box.server = self
    }

    private final class UnsafeSendableBox: @unchecked Sendable { weak var server: TargetServer? }

    private func serve(_ client: Int32) {
        switch mode {
        case .silent:
            held.lock(); heldSockets.append(client); held.unlock()
        case .echo:
            _ = JoinableThread {
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = buffer.withUnsafeMutableBytes { recv(client, $0.baseAddress, $0.count, 0) }
                    if n <= 0 { break }
                    if !TestNet.sendAll(client, Array(buffer[0..<n])) { break }
                }
                shutdown(client, Int32(SHUT_WR))
                var byte: UInt8 = 0
                _ = recv(client, &byte, 1, 0)
                close(client)
            }
        case .replyAfterEOF:
            _ = JoinableThread {
                let (bytes, _) = TestNet.receiveAll(client)
                _ = TestNet.sendAll(client, Array("got \(bytes.count)".utf8))
                close(client)
            }
        }
    }

    /// Stops accepting and closes held sockets.
    func stop() {
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
        acceptThread?.join(timeout: 5)
        held.lock(); for s in heldSockets { close(s) }; heldSockets = []; held.unlock()
    }
}

/// One ProxyEngine running on a thread.
final class RunningEngine: @unchecked Sendable {
    let engine: ProxyEngine
    let port: UInt16
    let listener: Int32
    private let thread: JoinableThread
    private let exitBox = ExitBox()
    /// run()'s result once it returned.
    var exitCode: Int32? { exitBox.code }

    init(role: HandshakeRole, key: [UInt8], target: SocketAddress, timeout: Double = 5,
         maxConnections: Int = 100, handshake: HandshakeOptions = HandshakeOptions()) throws {
        let (fd, port) = TestNet.listenTCP()
        listener = fd
        self.port = port
        let configuration = ProxyConfiguration(
            role: role, key: SpipedKey(keyFileBytes: key), handshake: handshake,
            target: "\(target)", resolveTarget: { [target] in [target] }, resolveInterval: nil,
            keepAlive: true, maxConnections: maxConnections, timeout: timeout,
            log: EventLog(programName: role == .client ? "spiped-e" : "spiped-d", logsConnections: false))
        engine = try ProxyEngine(listener: fd, configuration: configuration, eventLoops: 2)
        let engine = self.engine
        let box = exitBox
        thread = JoinableThread { box.code = engine.run() }
    }

    private final class ExitBox: @unchecked Sendable { var code: Int32? }

    /// requestShutdown, then wait for run() to return.
    @discardableResult
    func stop(timeout: Double = 10) -> Bool {
        engine.requestShutdown()
        let ok = thread.join(timeout: timeout)
        if ok && !closed {
            closed = true
            close(listener)
        }
        return ok
    }
    nonisolated(unsafe) private var closed = false

    /// Waits for run() to return without asking.
    func waitForExit(timeout: Double) -> Bool { thread.join(timeout: timeout) }
}

/// A -d engine in front of `target` and a -e engine in front of that.
final class EnginePair: @unchecked Sendable {
    let server: RunningEngine
    let client: RunningEngine
    var port: UInt16 { client.port }

    init(target: SocketAddress, key: [UInt8] = TestNet.randomBytes(32), timeout: Double = 5,
         maxConnections: Int = 100) throws {
        server = try RunningEngine(role: .server, key: key, target: target, timeout: timeout,
                                   maxConnections: maxConnections == 0 ? 0 : 100)
        client = try RunningEngine(role: .client, key: key, target: TestNet.loopback(server.port),
                                   timeout: timeout, maxConnections: maxConnections)
    }

    func stop() {
        client.stop()
        server.stop()
    }
}
