// Connection lifecycle of the in-process engine: an unreachable target and a
// silent peer are dropped within the -o timeout, the -n limit holds and
// releases, and requestShutdown() stops accepting but lets open connections
// finish. Time bounds are loose on purpose (shared, busy machine).
import Foundation
import Glibc
import Testing
import SpipedNet
import SpipedProtocol

@Suite("Engine: lifecycle", .serialized)
struct EngineLifecycleTests {
    @Test("a refused target drops the client connection at once")
    func targetRefused() throws {
        let engine = try RunningEngine(role: .client, key: TestNet.randomBytes(32),
                                       target: TestNet.loopback(TestNet.closedPort()), timeout: 5)
        defer { engine.stop() }
        let fd = TestNet.connect(port: engine.port)
        #expect(fd >= 0)
        defer { close(fd) }
        let waited = TestNet.secondsUntilClosed(fd, limit: 4)
        #expect(waited != nil && waited! < 2, "waited \(String(describing: waited))")
    }

    @Test("-d: a peer that never speaks is dropped after the handshake timeout")
    func silentClientTimesOut() throws {
        let echo = TargetServer(mode: .echo)
        let engine = try RunningEngine(role: .server, key: TestNet.randomBytes(32), target: echo.address, timeout: 0.5)
        defer { engine.stop(); echo.stop() }
        let fd = TestNet.connect(port: engine.port)
        #expect(fd >= 0)
        defer { close(fd) }
        // It first sends its nonce (32 bytes), then waits for ours.
        let nonce = TestNet.receive(fd, count: 32)
        #expect(nonce.count == 32)
        let waited = TestNet.secondsUntilClosed(fd, limit: 5)
        #expect(waited != nil && waited! < 3, "waited \(String(describing: waited))")
    }

    @Test("-e: a target that accepts but never speaks is dropped after the timeout")
    func silentTargetTimesOut() throws {
        let silent = TargetServer(mode: .silent)
        let engine = try RunningEngine(role: .client, key: TestNet.randomBytes(32), target: silent.address, timeout: 0.5)
        defer { engine.stop(); silent.stop() }
        let start = Date()
        let fd = TestNet.connect(port: engine.port)
        #expect(fd >= 0)
        defer { close(fd) }
        let waited = TestNet.secondsUntilClosed(fd, limit: 5)
        #expect(waited != nil)
        #expect(Date().timeIntervalSince(start) >= 0.4)
        #expect(waited.map { $0 < 3 } == true, "waited \(String(describing: waited))")
    }

    @Test("-n: the limit holds and accepting resumes when a connection closes")
    func connectionLimit() throws {
        let echo = TargetServer(mode: .echo)
        let pair = try EnginePair(target: echo.address, maxConnections: 2)
        defer { pair.stop(); echo.stop() }
        var open: [Int32] = []
        for _ in 0..<2 {
            let fd = TestNet.connect(port: pair.port)
            #expect(TestNet.sendAll(fd, [1]))
            #expect(TestNet.receive(fd, count: 1) == [1])
            open.append(fd)
        }
        // The third waits in the backlog: no reply while two are open.
        let third = TestNet.connect(port: pair.port, receiveTimeout: 0.4)
        #expect(third >= 0)
        defer { close(third) }
        #expect(TestNet.sendAll(third, [3]))
        #expect(TestNet.receive(third, count: 1).isEmpty)
        close(open.removeFirst())
        TestNet.setReceiveTimeout(third, 10)
        #expect(TestNet.receive(third, count: 1) == [3])
        for fd in open { close(fd) }
    }

    @Test("requestShutdown with no connections returns promptly")
    func shutdownIdle() throws {
        let engine = try RunningEngine(role: .client, key: TestNet.randomBytes(32), target: TestNet.loopback(1))
        Thread.sleep(forTimeInterval: 0.05)
        let start = Date()
        #expect(engine.stop(timeout: 5))
        #expect(Date().timeIntervalSince(start) < 0.5)
        #expect(engine.exitCode == 0)
    }

    @Test("requestShutdown stops accepting, drains open connections, then returns 0")
    func shutdownDrains() throws {
        let echo = TargetServer(mode: .echo)
        let pair = try EnginePair(target: echo.address)
        defer { pair.stop(); echo.stop() }
        let fd = TestNet.connect(port: pair.port)
        #expect(TestNet.sendAll(fd, [1, 2, 3]))
        #expect(TestNet.receive(fd, count: 3) == [1, 2, 3])

        pair.client.engine.requestShutdown()
        #expect(!pair.client.waitForExit(timeout: 0.3), "run() returned while a connection was open")
        // The open connection still works.
        let payload = TestNet.randomBytes(200_000)
        #expect(TestNet.sendAll(fd, payload))
        #expect(TestNet.receive(fd, count: payload.count) == payload)
        // A new connection is not served (it sits in the backlog).
        let late = TestNet.connect(port: pair.port, receiveTimeout: 0.3)
        if late >= 0 {
            _ = TestNet.sendAll(late, [9])
            #expect(TestNet.receive(late, count: 1).isEmpty)
        }
        shutdown(fd, Int32(SHUT_WR))
        #expect(TestNet.receiveAll(fd).cleanEOF)
        close(fd)
        #expect(pair.client.waitForExit(timeout: 5))
        #expect(pair.client.exitCode == 0)
        if late >= 0 { close(late) }
    }
}
