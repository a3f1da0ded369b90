// Plain servers the daemons under test forward to: an echo server (sends
// back everything, then half-closes when its input ends), a sink (reads and
// counts, sends nothing), a greeter (sends a fixed banner and half-closes at
// once, then reads to the end), a silent server (accepts and holds connections,
// never reads or writes: a peer that never does its handshake) and a black
// hole (a listener whose queue is full, so connects hang: an unreachable
// target). Each runs on threads with blocking sockets; stop() ends it.
import Foundation
import SpipedNet
import SpipedTestSupport
#if canImport(Glibc)
import Glibc
#endif

final class TestServer: @unchecked Sendable {
    enum Behaviour: Equatable { case echo, sink, silent, greeting([UInt8]) }

    let address: SocketAddress
    let text: String
    private let listener: Int32
    private let behaviour: Behaviour
    private let lock = NSLock()
    private var _accepted = 0
    private var _bytesReceived = 0
    private var connections: [Int32] = []
    private var _peers: [String] = []
    private var acceptThread: JoinableThread?

    /// Number of connections accepted so far.
    var accepted: Int { lock.withLock { _accepted } }
    /// The peer address of every accepted connection, as `[ip]:port`.
    var peers: [String] { lock.withLock { _peers } }
    /// Bytes received over all connections.
    var bytesReceived: Int { lock.withLock { _bytesReceived } }

    /// Waits until at least `count` bytes were received over all connections
    /// (each connection is served by its own thread, so bytes a daemon wrote
    /// may still be on their way after another connection's round trip) or
    /// `timeout` seconds passed; returns the count then.
    func bytesReceived(atLeast count: Int, timeout: Double = 5) -> Int {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let received = bytesReceived
            if received >= count || Date() >= deadline { return received }
            usleep(5_000)
        }
    }

    /// Listens on a loopback TCP port (IPv4, or IPv6 ::1).
    convenience init(_ behaviour: Behaviour, ipv6: Bool = false) {
        let port = TestSockets.freePort(ipv6: ipv6)
        let (text, address) = TestSockets.loopback(port, ipv6: ipv6)
        self.init(behaviour, address: address, text: text)
    }

    /// Listens on a Unix socket path.
    convenience init(_ behaviour: Behaviour, unixPath: String) {
        self.init(behaviour, address: SocketAddress(unixPath: unixPath)!, text: unixPath)
    }

    init(_ behaviour: Behaviour, address: SocketAddress, text: String) {
        self.behaviour = behaviour
        self.address = address
        self.text = text
        listener = socket(address.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        var one: Int32 = 1
        setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        _ = address.withSockAddr { bind(listener, $0, $1) }
        _ = listen(listener, 128)
        acceptThread = JoinableThread { [self] in acceptLoop() }
    }

    private func acceptLoop() {
        while true {
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener, $0, &length) }
            }
            if fd < 0 {
                if errno == EINTR || errno == ECONNABORTED { continue }
                return
            }
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
            let peer = SocketAddress(storage: storage, length: length).description
            lock.withLock { _accepted += 1; connections.append(fd); _peers.append(peer) }
            switch behaviour {
            case .silent: continue
            case let .greeting(banner):
                TestSockets.writeAll(fd, banner)
                shutdown(fd, Int32(SHUT_WR))
                _ = JoinableThread { [self] in serve(fd) }
            case .echo, .sink: _ = JoinableThread { [self] in serve(fd) }
            }
        }
    }

    private func serve(_ fd: Int32) {
        TestSockets.setTimeouts(fd, 30)
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { break }
            lock.withLock { _bytesReceived += n }
            if behaviour == .echo, !TestSockets.writeAll(fd, Array(buffer[0..<n])) { break }
        }
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Stops accepting and closes every connection.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        acceptThread?.join()
        acceptThread = nil
        let open = lock.withLock { let c = connections; connections = []; return c }
        for fd in open { shutdown(fd, Int32(SHUT_RDWR)) }
        if let path = address.unixPath { unlink(path) }
    }

    deinit { if acceptThread != nil { stop() } }
}

/// A loopback TCP address whose connects hang: a listener with a full queue.
final class BlackHole: @unchecked Sendable {
    let address: SocketAddress
    let text: String
    private let listener: Int32
    private var fillers: [Int32] = []

    init() {
        let port = TestSockets.freePort()
        (text, address) = TestSockets.loopback(port)
        listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        _ = address.withSockAddr { bind(listener, $0, $1) }
        _ = listen(listener, 0)
        // Fill the accept queue (backlog 0 holds one); later SYNs are dropped.
        for _ in 0..<2 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = address.withSockAddr { connect(fd, $0, $1) }
            fillers.append(fd)
        }
        usleep(50_000)
    }

    deinit {
        for fd in fillers { close(fd) }
        close(listener)
    }
}
