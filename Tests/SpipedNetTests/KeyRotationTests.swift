// Key rotation on our daemons, as processes: `-d -k A --accept-key B`
// accepts A and B and refuses C; B's file rewritten with C plus SIGHUP makes
// C accepted and the old B refused while A stays accepted and a connection
// opened before the SIGHUP still carries data; a reload with a missing file
// keeps the previous keys (with a warning naming the file) and the daemon
// keeps running; the C spipe and spiped -e get through with either key;
// `-e` re-reads its -k on SIGHUP; and the README's three-step
// rotation under continuous load (a Swift client looping through our -e and
// our spipe looping straight to the -d) fails no connection.
import Foundation
import Testing
import SpipedDaemon
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif
import SpipedTestSupport

extension ProcessTests {
    @Suite struct KeyRotation {
        let scratch = Scratch()

        /// Writes a fresh random key to `name` by rename, as the README tells operators to.
        @discardableResult
        func writeKey(_ name: String, _ bytes: [UInt8]? = nil) throws -> [UInt8] {
            let content = bytes ?? TestEnvironment.randomBytes(32)
            try Data(content).write(to: URL(fileURLWithPath: scratch.path(name)), options: .atomic)
            return content
        }

        /// Runs `implementation`'s spipe with `key` against `target`; true when the echo came back.
        func spipeGetsThrough(_ target: String, key: String, _ implementation: Implementation = .ours) throws -> Bool {
            let payload = TestEnvironment.randomBytes(100)
            let tag = UUID().uuidString
            let input = scratch.path("in-\(tag)"), output = scratch.path("out-\(tag)")
            _ = FileManager.default.createFile(atPath: input, contents: Data(payload))
            defer { unlink(input); unlink(output) }
            let status = try ChildProcess.run(implementation.spipe, ["-t", target, "-k", key, "-o", "3"],
                                              stdin: .file(input), stdout: .file(output), timeout: 10)
            return status == 0 && FileContents.bytes(output).map(Array.init) == payload
        }

        /// Waits (bounded) until the daemon's stderr holds `count` lines containing `text`.
        func waitForLog(_ daemon: RunningDaemon, _ text: String, count: Int = 1, timeout: Double = 5) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            repeat {
                if daemon.stderr.components(separatedBy: text).count - 1 >= count { return true }
                usleep(10_000)
            } while Date() < deadline
            return false
        }

        @Test func acceptKeyThenReloadSwapsKeysAndKeepsOpenConnections() throws {
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let a = try writeKey("A"), b = try writeKey("B")
            let c = try writeKey("C")
            try writeKey("oldB", b)
            _ = a
            let source = TestSockets.loopback(TestSockets.freePort())
            let server = try #require(RunningDaemon(.ours, mode: "-d", source: source, target: echo.text,
                                                    key: scratch.path("A"), extra: ["--accept-key", scratch.path("B")],
                                                    scratch: scratch))
            #expect(try spipeGetsThrough(source.text, key: scratch.path("A")), "key A (-k) refused")
            #expect(try spipeGetsThrough(source.text, key: scratch.path("B")), "key B (--accept-key) refused")
            #expect(try !spipeGetsThrough(source.text, key: scratch.path("C")), "key C accepted without being configured")

            // A connection under B, opened before the reload, through an -e holding B.
            let front = TestSockets.loopback(TestSockets.freePort())
            let client = try #require(RunningDaemon(.ours, mode: "-e", source: front, target: source.text,
                                                    key: scratch.path("oldB"), scratch: scratch))
            let open = TestSockets.connect(client.source)
            try #require(open >= 0)
            defer { close(open) }
            TestSockets.setTimeouts(open, 10)
            TestSockets.writeAll(open, Array("before".utf8))
            #expect(TestSockets.readExactly(open, 6) == Array("before".utf8))

            try writeKey("B", c)
            server.process.send(SIGHUP)
            #expect(waitForLog(server, "Keys reloaded: 2"), "no reload logged: \(server.stderr)")
            #expect(server.process.isRunning)
            #expect(try spipeGetsThrough(source.text, key: scratch.path("C")), "C refused after the reload")
            #expect(try !spipeGetsThrough(source.text, key: scratch.path("oldB")), "the old B still accepted")
            #expect(try spipeGetsThrough(source.text, key: scratch.path("A")), "A refused after the reload")
            TestSockets.writeAll(open, Array("after".utf8))
            #expect(TestSockets.readExactly(open, 5) == Array("after".utf8), "the open connection stopped carrying data")

            // A reload that cannot read a file changes nothing.
            unlink(scratch.path("B"))
            server.process.send(SIGHUP)
            #expect(waitForLog(server, "Key reload failed, keeping the previous keys: Cannot open file: \(scratch.path("B"))"),
                    "no warning naming the missing file: \(server.stderr)")
            #expect(server.process.isRunning, "a failed reload ended the daemon")
            #expect(try spipeGetsThrough(source.text, key: scratch.path("C")), "C lost after a failed reload")
            #expect(try spipeGetsThrough(source.text, key: scratch.path("A")), "A lost after a failed reload")
            #expect(try !spipeGetsThrough(source.text, key: scratch.path("oldB")))
            TestSockets.writeAll(open, Array("still".utf8))
            #expect(TestSockets.readExactly(open, 5) == Array("still".utf8))
        }

        @Test(needsReference) func referenceClientsUseEitherKey() throws {
            let echo = TestServer(.echo)
            defer { echo.stop() }
            try writeKey("A")
            try writeKey("B")
            try writeKey("C")
            let source = TestSockets.loopback(TestSockets.freePort())
            let server = try #require(RunningDaemon(.ours, mode: "-d", source: source, target: echo.text,
                                                    key: scratch.path("A"), extra: ["--accept-key", scratch.path("B")],
                                                    scratch: scratch))
            #expect(try spipeGetsThrough(source.text, key: scratch.path("A"), .reference), "C spipe with -k refused")
            #expect(try spipeGetsThrough(source.text, key: scratch.path("B"), .reference), "C spipe with --accept-key refused")
            #expect(try !spipeGetsThrough(source.text, key: scratch.path("C"), .reference), "C spipe with an unknown key accepted")
            // The C spiped -e (PFS and -f) with the accepted key.
            for flags in [[], ["-f"]] as [[String]] {
                let front = TestSockets.loopback(TestSockets.freePort())
                let client = try #require(RunningDaemon(.reference, mode: "-e", source: front, target: source.text,
                                                        key: scratch.path("B"), extra: flags, scratch: scratch))
                let payload = TestEnvironment.randomBytes(5000)
                #expect(TestSockets.exchange(client.source, payload)?.bytes == payload, "C spiped -e \(flags) with B")
            }
            _ = server
        }

        @Test func encryptorReReadsItsKeyOnSIGHUP() throws {
            let echo = TestServer(.echo)
            defer { echo.stop() }
            try writeKey("server")
            try writeKey("client")   // a different key: refused at first
            let middle = TestSockets.loopback(TestSockets.freePort())
            let server = try #require(RunningDaemon(.ours, mode: "-d", source: middle, target: echo.text,
                                                    key: scratch.path("server"), scratch: scratch))
            let front = TestSockets.loopback(TestSockets.freePort())
            let client = try #require(RunningDaemon(.ours, mode: "-e", source: front, target: middle.text,
                                                    key: scratch.path("client"), scratch: scratch))
            let payload = Array("through -e".utf8)
            #expect(TestSockets.exchange(client.source, payload)?.bytes.isEmpty == true, "a wrong -e key got through")
            try writeKey("client", FileContents.bytes(scratch.path("server")).map(Array.init))
            client.process.send(SIGHUP)
            #expect(waitForLog(client, "Keys reloaded: 1"), "no reload logged: \(client.stderr)")
            #expect(TestSockets.exchange(client.source, payload)?.bytes == payload, "-e did not take the new key")
            _ = server
        }

        @Test func threeStepRotationUnderLoadFailsNoConnection() throws {
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let old = try writeKey("current")
            try writeKey("next", old)          // steady state: next = current
            try writeKey("client", old)        // the -e client's -k
            try writeKey("spipe", old)         // spipe's -k
            let new = TestEnvironment.randomBytes(32)
            try writeKey("oldcopy", old)

            let middle = TestSockets.loopback(TestSockets.freePort())
            let server = try #require(RunningDaemon(.ours, mode: "-d", source: middle, target: echo.text,
                                                    key: scratch.path("current"), extra: ["--accept-key", scratch.path("next")],
                                                    scratch: scratch))
            let front = TestSockets.loopback(TestSockets.freePort())
            let client = try #require(RunningDaemon(.ours, mode: "-e", source: front, target: middle.text,
                                                    key: scratch.path("client"), scratch: scratch))

            let tally = LoadTally()
            let running = LockedFlag()
            running.set(true)
            let viaEncryptor = Thread.detachedJoinable {
                while running.value {
                    let payload = TestEnvironment.randomBytes(200)
                    let reply = TestSockets.exchange(client.source, payload, timeout: 10)
                    tally.record(reply?.clean == true && reply?.bytes == payload, "Swift client via -e")
                }
            }
            let spipeTarget = middle.text, spipeKey = scratch.path("spipe")
            let viaSpipe = Thread.detachedJoinable { [self] in
                while running.value {
                    let ok = (try? spipeGetsThrough(spipeTarget, key: spipeKey)) ?? false
                    tally.record(ok, "spipe")
                }
            }
            func traffic() { usleep(400_000) }

            traffic()
            // 1. The new key goes in as the accepted one; the server re-reads.
            try writeKey("next", new)
            server.process.send(SIGHUP)
            #expect(waitForLog(server, "Keys reloaded: 2"))
            traffic()
            // 2. The clients move to it.
            try writeKey("client", new)
            client.process.send(SIGHUP)
            #expect(waitForLog(client, "Keys reloaded: 1"))
            try writeKey("spipe", new)
            traffic()
            // 3. It becomes the server's -k; the old key is gone.
            try writeKey("current", new)
            server.process.send(SIGHUP)
            #expect(waitForLog(server, "Keys reloaded: 2", count: 2))
            traffic()
            running.set(false)
            viaEncryptor.join()
            viaSpipe.join()

            let (succeeded, failed) = tally.counts
            #expect(failed.isEmpty, "failed connections during the rotation: \(failed)")
            #expect(succeeded >= 20, "only \(succeeded) connections during the rotation")
            #expect(try !spipeGetsThrough(middle.text, key: scratch.path("oldcopy")), "the retired key is still accepted")
            #expect(try spipeGetsThrough(middle.text, key: scratch.path("spipe")))
            #expect(server.process.isRunning && client.process.isRunning)
        }
    }
}

/// Successes and failures of the looping clients.
final class LoadTally: @unchecked Sendable {
    private let lock = NSLock()
    private var ok = 0
    private var failures: [String] = []

    func record(_ success: Bool, _ who: String) {
        lock.withLock { if success { ok += 1 } else { failures.append(who) } }
    }

    var counts: (succeeded: Int, failed: [String]) { lock.withLock { (ok, failures) } }
}

/// A Bool shared between threads.
final class LockedFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var flag = false
    func set(_ value: Bool) { lock.withLock { flag = value } }
    var value: Bool { lock.withLock { flag } }
}
