// Helpers for the Spiped API tests: the C spiped (found as the other
// suites find it: skipped when missing, a failure with CI=true), a blocking
// plaintext echo server, a blocking plaintext client, key files, descriptor
// counts and resident memory from /proc/self.
import Foundation
import Spiped
import SpipedTestSupport
import SpipedCrypto
import Testing
#if canImport(Glibc)
import Glibc
#endif

enum LibraryEnvironment {
    static let referenceSpiped = "/usr/bin/spiped"
    static let referenceAvailable = FileManager.default.isExecutableFile(atPath: referenceSpiped)
    static let inCI = ProcessInfo.processInfo.environment["CI"] == "true"

    /// True when the C spiped can be used; records a failure in CI when it is missing.
    static func requireReference() -> Bool {
        if referenceAvailable { return true }
        if inCI { Issue.record("Debian's C spiped is required in CI (apt-get install spiped)") }
        return false
    }

    /// Open descriptors of this process.
    static func openDescriptorCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? -1
    }

    /// Waits (up to 2 s) for the descriptor count to come back to `baseline`; returns the last count.
    static func settledDescriptorCount(_ baseline: Int) async -> Int {
        var count = openDescriptorCount()
        for _ in 0..<200 where count > baseline {
            try? await Task.sleep(nanoseconds: 10_000_000)
            count = openDescriptorCount()
        }
        return count
    }

    /// VmRSS in bytes.
    static func residentBytes() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        for line in text.split(separator: "\n") where line.hasPrefix("VmRSS:") {
            let digits = line.filter { $0.isNumber }
            return (Int(digits) ?? 0) * 1024
        }
        return 0
    }

    /// Random bytes (fast, not secret): the one seeded generator, a word at a time.
    static func randomBytes(_ count: Int, seed: UInt64 = UInt64.random(in: 1...UInt64.max)) -> [UInt8] {
        var generator = SeededGenerator(seed: seed)
        return generator.wordBytes(count)
    }
}

/// A temporary directory with two random keys.
final class LibraryScratch: @unchecked Sendable {
    let directory: String
    let keyPath: String
    let otherKeyPath: String

    init() {
        var template = Array("/tmp/spl-XXXXXX".utf8CString)
        _ = template.withUnsafeMutableBufferPointer { mkdtemp($0.baseAddress!) }
        directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        keyPath = directory + "/key"
        otherKeyPath = directory + "/other"
        _ = FileManager.default.createFile(atPath: keyPath, contents: Data(LibraryEnvironment.randomBytes(32)))
        _ = FileManager.default.createFile(atPath: otherKeyPath, contents: Data(LibraryEnvironment.randomBytes(32)))
    }

    var key: SpipedKey { try! SpipedKey(contentsOfFile: keyPath) }
    var otherKey: SpipedKey { try! SpipedKey(contentsOfFile: otherKeyPath) }
    func path(_ name: String) -> String { directory + "/" + name }

    deinit { try? FileManager.default.removeItem(atPath: directory) }
}

/// A TCP socket bound to 127.0.0.1 on a port the kernel picked, and that
/// port; listening with `backlog` when one is given.
func loopbackSocket(listening backlog: Int32? = nil, reuseAddress: Bool = false) -> (fd: Int32, port: UInt16) {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    if reuseAddress {
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
    }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    _ = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
    if let backlog { listen(fd, backlog) }
    return (fd, UInt16(bigEndian: address.sin_port))
}

/// A free loopback TCP port (bound, read, released).
func freePort() -> UInt16 {
    let (fd, port) = loopbackSocket()
    close(fd)
    return port
}

/// A running C spiped, spawned through `ChildProcess` (posix_spawn, not
/// Foundation's Process, whose per-process bookkeeping LeakSanitizer
/// reports); killed on `kill()` or deinit.
final class ReferenceSpiped: @unchecked Sendable {
    private let child: ChildProcess

    /// Starts `/usr/bin/spiped -F <arguments>` and waits until `listening` accepts connections.
    init(_ arguments: [String], listening: String) throws {
        child = try ChildProcess(LibraryEnvironment.referenceSpiped, ["-F"] + arguments)
        for _ in 0..<200 {
            if canConnect(listening) { return }
            usleep(10_000)
        }
    }

    func kill() { child.killAndReap() }
}

/// Whether a plain connect to `address` (`[127.0.0.1]:port` or `/path`) succeeds.
func canConnect(_ address: String) -> Bool {
    let fd = plainConnect(address)
    if fd >= 0 { close(fd); return true }
    return false
}

/// A blocking plaintext connect; -1 on failure.
func plainConnect(_ address: String) -> Int32 {
    if address.hasPrefix("/") {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var un = sockaddr_un()
        un.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &un.sun_path) { raw in
            for (i, b) in address.utf8.enumerated() where i < raw.count - 1 { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &un) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        if rc != 0 { close(fd); return -1 }
        return fd
    }
    guard let colon = address.lastIndex(of: ":"), let port = UInt16(address[address.index(after: colon)...]) else { return -1 }
    let host = address[..<colon].trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    var sin = sockaddr_in()
    sin.sin_family = sa_family_t(AF_INET)
    sin.sin_port = port.bigEndian
    sin.sin_addr.s_addr = inet_addr(host)
    let rc = withUnsafePointer(to: &sin) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    if rc != 0 { close(fd); return -1 }
    return fd
}

/// A blocking plaintext echo server on loopback (one thread per connection:
/// it stands in for the application behind spiped -d).
final class EchoServer: @unchecked Sendable {
    let fd: Int32
    let address: String
    private let lock = NSLock()
    private var stopped = false

    init() {
        let (fd, port) = loopbackSocket(listening: 128, reuseAddress: true)
        self.fd = fd
        address = "[127.0.0.1]:\(port)"
        Thread.detachNewThread { [self] in
            while true {
                let client = accept(fd, nil, nil)
                if client < 0 { return }
                if isStopped { close(client); return }
                Thread.detachNewThread { EchoServer.echo(client) }
            }
        }
    }

    private var isStopped: Bool { lock.lock(); defer { lock.unlock() }; return stopped }

    static func echo(_ client: Int32) {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { read(client, $0.baseAddress, $0.count) }
            if n <= 0 { break }
            var off = 0
            while off < n {
                let w = buffer.withUnsafeBytes { send(client, $0.baseAddress! + off, n - off, Int32(MSG_NOSIGNAL)) }
                if w <= 0 { close(client); return }
                off += w
            }
        }
        shutdown(client, Int32(SHUT_WR))
        close(client)
    }

    func stop() {
        lock.lock(); stopped = true; lock.unlock()
        shutdown(fd, Int32(SHUT_RDWR))
        close(fd)
    }

    deinit { stop() }
}

/// Sends `payload` and reads everything back on a blocking plaintext socket
/// (two threads); returns the SHA-256 of what came back and its length.
func plainRoundTrip(_ address: String, _ payload: [UInt8]) -> (hash: [UInt8], count: Int) {
    let fd = plainConnect(address)
    guard fd >= 0 else { return ([], -1) }
    defer { close(fd) }
    let writer = JoinableThreadLite {
        var off = 0
        while off < payload.count {
            let w = payload.withUnsafeBytes { send(fd, $0.baseAddress! + off, min(65536, payload.count - off), Int32(MSG_NOSIGNAL)) }
            if w <= 0 { return }
            off += w
        }
        shutdown(fd, Int32(SHUT_WR))
    }
    var hasher = SHA256()
    var total = 0
    var buffer = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
        if n <= 0 { break }
        hasher.update(buffer[..<n])
        total += n
    }
    writer.join()
    return (hasher.finalize(), total)
}

/// A thread joined with a semaphore.
final class JoinableThreadLite: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    init(_ body: @escaping @Sendable () -> Void) {
        Thread.detachNewThread { [done] in body(); done.signal() }
    }
    func join() { done.wait() }
}

/// Writes `payload` on `connection` (in 64 KiB writes), then shuts its
/// direction, while reading everything back; returns hash and length read.
func libraryRoundTrip(_ connection: SpipedConnection, _ payload: [UInt8], chunk: Int = 65536) async throws -> (hash: [UInt8], count: Int) {
    async let written: Void = {
        var off = 0
        while off < payload.count {
            let end = min(off + chunk, payload.count)
            try await connection.write(Array(payload[off..<end]))
            off = end
        }
        try await connection.shutdownWrite()
    }()
    var hasher = SHA256()
    var total = 0
    while let bytes = try await connection.read() {
        hasher.update(bytes)
        total += bytes.count
    }
    try await written
    return (hasher.finalize(), total)
}

/// Serves every connection of `listener` as an echo (each in its own task).
func echoAll(_ listener: SpipedListener) -> Task<Void, Never> {
    Task {
        do {
            for try await connection in listener.connections {
                Task {
                    do {
                        while let bytes = try await connection.read() { try await connection.write(bytes) }
                        try await connection.shutdownWrite()
                    } catch {}
                    connection.close()
                }
            }
        } catch {}
    }
}

/// The whole target runs one test at a time (descriptor and memory checks
/// must not see another test's sockets); its suites are nested in this one.
@Suite("Spiped API", .serialized)
enum SpipedAPITests {}

/// Descriptors of this process that are sockets belonging to the given
/// endpoints: a TCP socket whose local or peer port is one of `ports`, or a
/// Unix socket whose local or peer path is one of `paths`. Other tests'
/// sockets (the whole package's tests share one process) do not match a port
/// that a listener of the test itself has held since it was chosen (bind to
/// port 0); for a port that another process binds later, count one
/// connection by both its ports (``connectionSocketsOpen(_:_:)``).
func socketsOpen(ports: [UInt16] = [], paths: [String] = []) -> Int {
    openSocketEnds().filter { ends in
        ends.contains { end in
            switch end {
            case .tcp(let port): return ports.contains(port)
            case .unix(let path): return !path.isEmpty && paths.contains(path)
            }
        }
    }.count
}

/// Descriptors of this process that are the TCP connection between ports
/// `a` and `b` (either end): a 4-tuple is unique, so no other test's socket
/// matches, even one that was given the same port as an ephemeral port.
func connectionSocketsOpen(_ a: UInt16, _ b: UInt16) -> Int {
    openSocketEnds().filter { ends in
        ends.count == 2 && (ends == [.tcp(a), .tcp(b)] || ends == [.tcp(b), .tcp(a)])
    }.count
}

/// One end of a socket: its TCP port or Unix path.
private enum SocketEnd: Equatable {
    case tcp(UInt16)
    case unix(String)
}

/// For every socket descriptor of this process, its local end and (when
/// connected) its peer's.
private func openSocketEnds() -> [[SocketEnd]] {
    guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return [] }
    return entries.compactMap { entry -> [SocketEnd]? in
        guard let fd = Int32(entry) else { return nil }
        let ends = [false, true].compactMap { socketEnd(fd, peer: $0) }
        return ends.isEmpty ? nil : ends
    }
}

private func socketEnd(_ fd: Int32, peer: Bool) -> SocketEnd? {
    var storage = sockaddr_storage()
    var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
    let rc = withUnsafeMutablePointer(to: &storage) { p in
        p.withMemoryRebound(to: sockaddr.self, capacity: 1) { peer ? getpeername(fd, $0, &length) : getsockname(fd, $0, &length) }
    }
    guard rc == 0 else { return nil }
    switch Int32(storage.ss_family) {
    case AF_INET:
        return .tcp(withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) } })
    case AF_INET6:
        return .tcp(withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) } })
    case AF_UNIX:
        return .unix(withUnsafePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { un in
                withUnsafeBytes(of: un.pointee.sun_path) { raw in String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self) }
            }
        })
    default:
        return nil
    }
}

/// The port of `[host]:port` address text (0 for a Unix path).
func port(of address: String) -> UInt16 {
    guard !address.hasPrefix("/"), let colon = address.lastIndex(of: ":") else { return 0 }
    return UInt16(address[address.index(after: colon)...]) ?? 0
}

/// Waits (up to 2 s) until at most `expected` sockets of the given endpoints
/// are open (the test's own, like a listener); returns how many are.
func settledSockets(ports: [UInt16] = [], paths: [String] = [], expected: Int = 0) async -> Int {
    var count = socketsOpen(ports: ports, paths: paths)
    for _ in 0..<200 where count > expected {
        try? await Task.sleep(nanoseconds: 10_000_000)
        count = socketsOpen(ports: ports, paths: paths)
    }
    return count
}
