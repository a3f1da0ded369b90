// Our daemon's behaviour as a process: the handshake timeout drops a silent
// peer; an unreachable (refused or black-holed) target is dropped within -o;
// the -n limit holds (the next connection waits until one closes); SIGTERM
// stops accepting, lets open connections finish, then exits 0; without -F
// the parent returns only once the child listens and the pidfile is written;
// Unix-socket and IPv6 addresses work on both ends.
import Foundation
import Testing
import SpipedNet
import SpipedTestSupport

extension ProcessTests {
    @Suite struct DaemonBehaviour {
        let scratch = Scratch()

        /// Connects, optionally sends, and returns how long until the daemon ended the connection.
        func secondsUntilDropped(_ address: SocketAddress, send bytes: [UInt8] = []) -> Double? {
            let fd = TestSockets.connect(address, timeout: 15)
            guard fd >= 0 else { return nil }
            defer { close(fd) }
            let started = Date()
            if !bytes.isEmpty { TestSockets.writeAll(fd, bytes) }
            _ = TestSockets.readAll(fd)
            return Date().timeIntervalSince(started)
        }

        @Test func handshakeTimeoutDropsSilentClient() throws {
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let daemon = try #require(RunningDaemon(.ours, mode: "-d", source: TestSockets.loopback(TestSockets.freePort()),
                                                    target: echo.text, key: scratch.key, extra: ["-o", "1"], scratch: scratch))
            let elapsed = try #require(secondsUntilDropped(daemon.source))
            #expect(elapsed > 0.5 && elapsed < 4, "silent client dropped after \(elapsed) s with -o 1")
        }

        @Test func handshakeTimeoutDropsSilentServer() throws {
            let silent = TestServer(.silent)
            defer { silent.stop() }
            let daemon = try #require(RunningDaemon(.ours, mode: "-e", source: TestSockets.loopback(TestSockets.freePort()),
                                                    target: silent.text, key: scratch.key, extra: ["-o", "1"], scratch: scratch))
            let elapsed = try #require(secondsUntilDropped(daemon.source, send: Array("hi".utf8)))
            #expect(elapsed > 0.5 && elapsed < 4, "silent server dropped after \(elapsed) s with -o 1")
        }

        @Test func refusedTargetIsDroppedAtOnce() throws {
            let closedPort = TestSockets.loopback(TestSockets.freePort()).text
            let daemon = try #require(RunningDaemon(.ours, mode: "-e", source: TestSockets.loopback(TestSockets.freePort()),
                                                    target: closedPort, key: scratch.key, extra: ["-o", "3"], scratch: scratch))
            let elapsed = try #require(secondsUntilDropped(daemon.source))
            #expect(elapsed < 2.5, "refused target took \(elapsed) s")
        }

        @Test func blackHoledTargetIsDroppedWithinTimeout() throws {
            let hole = BlackHole()
            let daemon = try #require(RunningDaemon(.ours, mode: "-e", source: TestSockets.loopback(TestSockets.freePort()),
                                                    target: hole.text, key: scratch.key, extra: ["-o", "1"], scratch: scratch))
            let elapsed = try #require(secondsUntilDropped(daemon.source))
            #expect(elapsed > 0.5 && elapsed < 4, "black-holed target dropped after \(elapsed) s with -o 1")
        }

        @Test func connectionLimitHolds() throws {
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let pair = try #require(EncryptedPair(client: .ours, server: .ours, serverTarget: echo.text, scratch: scratch,
                                                  clientExtra: ["-n", "1"]))
            let first = TestSockets.connect(pair.entry)
            try #require(first >= 0)
            TestSockets.writeAll(first, [1])
            #expect(TestSockets.readExactly(first, 1) == [1])
            // The second connection is queued, not served, while the first is open.
            let second = TestSockets.connect(pair.entry)
            try #require(second >= 0)
            defer { close(second) }
            TestSockets.writeAll(second, [2])
            TestSockets.setTimeouts(second, 1.5)
            #expect(TestSockets.readExactly(second, 1) == nil, "second connection served beyond -n 1")
            close(first)
            TestSockets.setTimeouts(second, 10)
            #expect(TestSockets.readExactly(second, 1) == [2], "queued connection not served after the first closed")
        }

        @Test func sigtermDrainsThenExitsZero() throws {
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let pair = try #require(EncryptedPair(client: .ours, server: .ours, serverTarget: echo.text, scratch: scratch))
            let open = TestSockets.connect(pair.entry)
            try #require(open >= 0)
            defer { close(open) }
            TestSockets.writeAll(open, Array("before".utf8))
            #expect(TestSockets.readExactly(open, 6) == Array("before".utf8))
            pair.encryptor.process.send(SIGTERM)
            usleep(300_000)
            #expect(pair.encryptor.process.isRunning, "exited with a connection still open")
            // New connections are refused at once while the open one drains.
            let late = TestSockets.connect(pair.entry, timeout: 2)
            #expect(late < 0, "a connection made after SIGTERM was accepted")
            if late >= 0 { close(late) }
            // The open connection keeps working...
            TestSockets.writeAll(open, Array("after".utf8))
            #expect(TestSockets.readExactly(open, 5) == Array("after".utf8))
            // ...and once it ends, the daemon exits 0.
            shutdown(open, Int32(SHUT_WR))
            _ = TestSockets.readAll(open)
            #expect(pair.encryptor.process.wait(timeout: 5) == 0)
        }

        @Test func sigtermWithoutConnectionsExitsPromptly() throws {
            let daemon = try #require(RunningDaemon(.ours, mode: "-d", source: TestSockets.loopback(TestSockets.freePort()),
                                                    target: "[127.0.0.1]:9", key: scratch.key, scratch: scratch))
            let started = Date()
            #expect(daemon.terminate(timeout: 5) == 0)
            #expect(Date().timeIntervalSince(started) < 1.5)
        }

        @Test func daemonizesOnlyOnceReadyAndWritesPidfile() throws {
            let source = scratch.path("bg.sock")
            let status = try ChildProcess.run(TestEnvironment.ourSpiped,
                                              ["-d", "-s", source, "-t", "[127.0.0.1]:9", "-k", scratch.key],
                                              stderr: .file(scratch.path("bg.err")), timeout: 10)
            #expect(status == 0)
            // The parent returned: the child must already listen and have written <source>.pid.
            #expect(TestSockets.isListening(SocketAddress(unixPath: source)!) || TestSockets.waitUntilListening(SocketAddress(unixPath: source)!, timeout: 0.05),
                    "parent returned before the source listened; stderr: \(scratch.text("bg.err"))")
            let pidText = scratch.text("bg.sock.pid")
            let pid = try #require(Int32(pidText.trimmingCharacters(in: .whitespacesAndNewlines)), "pidfile: '\(pidText)'")
            #expect(kill(pid, 0) == 0, "pid \(pid) from the pidfile is not running")
            kill(pid, SIGTERM)
            let gone = ChildProcess.waitForExit(pid, timeout: 5)
            #expect(gone, "daemon \(pid) ignored SIGTERM")
            if !gone { kill(pid, SIGKILL) }
        }

        @Test func explicitPidfileAndFailedPrivilegeDropFailsTheParent() throws {
            let pidfile = scratch.path("explicit.pid")
            let source = TestSockets.loopback(TestSockets.freePort())
            let ok = try ChildProcess.run(TestEnvironment.ourSpiped,
                                          ["-d", "-s", source.text, "-t", "[127.0.0.1]:9", "-k", scratch.key, "-p", pidfile],
                                          timeout: 10)
            #expect(ok == 0)
            if let pid = Int32(scratch.text("explicit.pid")) { kill(pid, SIGKILL) }
            // -u failing happens in the child; the parent must report it (status 1).
            let failing = try Captured.run(TestEnvironment.ourSpiped,
                                           ["-d", "-s", scratch.path("u.sock"), "-t", "[127.0.0.1]:9", "-k", scratch.key,
                                            "-u", "nosuchuser-spiped-test"], in: scratch, timeout: 10)
            #expect(failing.status == 1)
            #expect(failing.stderr.contains("spiped: No such user: nosuchuser-spiped-test"))
        }

        @Test func unixSocketsOnBothEnds() throws {
            let echo = TestServer(.echo, unixPath: scratch.path("echo.sock"))
            defer { echo.stop() }
            let middle = scratch.path("middle.sock"), front = scratch.path("front.sock")
            let d = try #require(RunningDaemon(.ours, mode: "-d", source: (middle, SocketAddress(unixPath: middle)!),
                                               target: echo.text, key: scratch.key, scratch: scratch))
            let e = try #require(RunningDaemon(.ours, mode: "-e", source: (front, SocketAddress(unixPath: front)!),
                                               target: middle, key: scratch.key, scratch: scratch))
            let payload = TestEnvironment.randomBytes(100_000)
            let reply = try #require(TestSockets.exchange(e.source, payload))
            #expect(reply.clean && reply.bytes == payload)
            _ = d
        }

        @Test func ipv6LoopbackOnBothEnds() throws {
            let echo = TestServer(.echo, ipv6: true)
            defer { echo.stop() }
            let middle = TestSockets.loopback(TestSockets.freePort(ipv6: true), ipv6: true)
            let front = TestSockets.loopback(TestSockets.freePort(ipv6: true), ipv6: true)
            let d = try #require(RunningDaemon(.ours, mode: "-d", source: middle, target: echo.text, key: scratch.key, scratch: scratch))
            let e = try #require(RunningDaemon(.ours, mode: "-e", source: front, target: middle.text, key: scratch.key, scratch: scratch))
            let payload = TestEnvironment.randomBytes(50_000)
            let reply = try #require(TestSockets.exchange(e.source, payload))
            #expect(reply.clean && reply.bytes == payload)
            _ = d
        }
    }
}
