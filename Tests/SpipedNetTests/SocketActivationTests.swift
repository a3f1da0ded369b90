// systemd socket activation end to end, with systemd's own launcher
// (`systemd-socket-activate`, Debian's systemd package) holding the listening
// socket: it passes it as fd 3 with LISTEN_PID/LISTEN_FDS/LISTEN_FDNAMES and
// execs our spiped on the first connection.
// - data flows through `-s systemd` and `-s systemd:NAME`;
// - a name that matches nothing, and no hand-over at all, exit 1 with a message;
// - restart: the launcher runs a small shell that starts spiped, then (after
//   it exits on SIGTERM, and a pause) starts it again on the same socket;
//   every connection attempted during the gap, and after, is served: none is
//   refused or lost, because the shared socket is never shut down.
// Without systemd-socket-activate these skip (and fail in CI).
import Foundation
import Testing
import SpipedDaemon
import SpipedTestSupport
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif

extension ProcessTests {
    @Suite struct SocketActivation {
        static let kit = ExternalKit.socketActivate

        @Test func socketActivatorIsInstalledInCI() {
            guard TestEnvironment.inCI else { return }
            #expect(Self.kit.isAvailable, "CI=true but systemd-socket-activate is missing: apt-get install systemd (.ci/run does)")
        }

        /// An echo server behind our plain `-d`, for an activated `-e` to reach.
        struct Backend {
            let scratch = Scratch()
            let echo = TestServer(.echo)
            let decryptor: RunningDaemon

            init() throws {
                decryptor = try #require(RunningDaemon(.ours, mode: "-d", source: TestSockets.loopback(TestSockets.freePort()),
                                                       target: echo.text, key: scratch.key, scratch: scratch))
            }
        }

        /// Starts the launcher on a fresh loopback port running `command`.
        static func activate(_ command: [String], name: String? = nil, scratch: Scratch,
                             log: String) throws -> (ChildProcess, (text: String, address: SocketAddress)) {
            let source = TestSockets.loopback(TestSockets.freePort())
            var arguments = ["-l", "127.0.0.1:\(source.address.port ?? 0)"]
            if let name { arguments.append("--fdname=\(name)") }
            let launcher = try ChildProcess(kit.path("systemd-socket-activate"), arguments + command,
                                            stdout: .file(scratch.path(log)), stderr: .file(scratch.path(log)))
            try #require(TestSockets.waitUntilListening(source.address, timeout: 10), "launcher did not listen: \(scratch.text(log))")
            return (launcher, source)
        }

        /// Whether a payload sent to `address` comes back whole with a clean end.
        static func echoes(_ address: SocketAddress) -> Bool {
            let payload = TestEnvironment.randomBytes(3000)
            let reply = TestSockets.exchange(address, payload, timeout: 10)
            return reply?.bytes == payload && reply?.clean == true
        }

        static func expectEcho(_ address: SocketAddress, _ label: String) {
            #expect(echoes(address), "\(label): no clean echo")
        }

        @Test(.enabled(if: kit.isAvailable, kit.skipMessage), arguments: [nil, "spiped-in"] as [String?])
        func dataFlowsThroughThePassedSocket(name: String?) throws {
            let backend = try Backend()
            let source = name.map { "systemd:\($0)" } ?? "systemd"
            let (launcher, entry) = try Self.activate(
                [TestEnvironment.ourSpiped, "-F", "-e", "-s", source, "-t", backend.decryptor.sourceText, "-k", backend.scratch.key],
                name: name, scratch: backend.scratch, log: "activate.log")
            for round in 0..<3 { Self.expectEcho(entry.address, "connection \(round)") }
            launcher.send(SIGTERM)
            #expect(launcher.wait(timeout: 10) == 0, "spiped under the launcher: \(backend.scratch.text("activate.log"))")
        }

        @Test(.enabled(if: kit.isAvailable, kit.skipMessage))
        func aNameThatMatchesNoSocketExitsOne() throws {
            let scratch = Scratch()
            let (launcher, entry) = try Self.activate(
                [TestEnvironment.ourSpiped, "-F", "-d", "-s", "systemd:other", "-t", "[127.0.0.1]:9", "-k", scratch.key],
                name: "web", scratch: scratch, log: "activate.log")
            let fd = TestSockets.connect(entry.address)   // the launcher execs spiped on the first connection
            defer { if fd >= 0 { close(fd) } }
            #expect(launcher.wait(timeout: 10) == 1)
            #expect(scratch.text("activate.log").contains("spiped: -s systemd:other: no passed socket has that name (passed: web)"))
        }

        @Test func noHandOverExitsOne() throws {
            let scratch = Scratch()
            let result = try Captured.run(TestEnvironment.ourSpiped, ["-F", "-d", "-s", "systemd", "-t", "[127.0.0.1]:9", "-k", scratch.key],
                                          in: scratch)
            #expect(result.status == 1)
            #expect(result.stderr.hasPrefix("spiped: -s systemd: no socket passed by the service manager"))
        }

        @Test(.enabled(if: kit.isAvailable, kit.skipMessage))
        func restartUnderTheLauncherLosesNoConnection() throws {
            let backend = try Backend()
            let scratch = backend.scratch
            // Generation 1 is a child of the shell, so it gets its own LISTEN_PID;
            // generation 2 is the shell itself (exec), whose pid the launcher set.
            let script = scratch.path("generations.sh")
            try """
                #!/bin/sh
                sh -c 'echo $$ > "$0.tmp" && mv "$0.tmp" "$0"; LISTEN_PID=$$ exec "$@"' "\(scratch.path("gen1.pid"))" "$@"
                sleep 1
                echo $$ > "\(scratch.path("gen2.pid")).tmp" && mv "\(scratch.path("gen2.pid")).tmp" "\(scratch.path("gen2.pid"))"
                exec "$@"

                """.write(toFile: script, atomically: true, encoding: .utf8)
            let (launcher, entry) = try Self.activate(
                ["/bin/sh", script, TestEnvironment.ourSpiped, "-F", "-e", "-s", "systemd",
                 "-t", backend.decryptor.sourceText, "-k", scratch.key],
                scratch: scratch, log: "activate.log")
            Self.expectEcho(entry.address, "first connection (starts generation 1)")
            let gen1 = try #require(pid_t(scratch.text("gen1.pid").trimmingCharacters(in: .whitespacesAndNewlines)))
            kill(gen1, SIGTERM)
            #expect(ChildProcess.waitForExit(gen1, timeout: 5), "generation 1 did not exit on SIGTERM")
            // Now nothing accepts: connections made in the gap must wait in the queue.
            let served = LockedCounter()
            let gap = (0..<5).map { _ in JoinableThread { if Self.echoes(entry.address) { served.increment() } } }
            usleep(100_000)
            #expect(scratch.text("gen2.pid").isEmpty, "the gap connections were not made during the gap")
            for thread in gap { thread.join() }
            #expect(served.value == 5, "only \(served.value) of 5 connections made while no spiped ran were served")
            #expect(!scratch.text("gen2.pid").isEmpty, "generation 2 never started: \(scratch.text("activate.log"))")
            for round in 0..<3 { Self.expectEcho(entry.address, "connection \(round) after the restart") }
            launcher.send(SIGTERM)
            #expect(launcher.wait(timeout: 10) == 0, "generation 2: \(scratch.text("activate.log"))")
        }
    }
}

/// A counter several test threads bump.
final class LockedCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var count = 0
    func increment() { lock.withLock { count += 1 } }
    var value: Int { lock.withLock { count } }
}
