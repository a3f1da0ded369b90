// Options whose effect is only visible from outside: -b (the local address
// of outgoing connections, for spiped and spipe), -D (detach before
// resolving: the parent returns at once, the child binds afterwards), and
// `-k -` (spipe reads the key from standard input and then only receives).
import Foundation
import Testing
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif
import SpipedTestSupport

extension ProcessTests {
    @Suite struct OptionBehaviour {
        let scratch = Scratch()

        @Test func bindAddressIsUsedForTargetConnections() throws {
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let pair = try #require(EncryptedPair(client: .ours, server: .ours, serverTarget: echo.text, scratch: scratch,
                                                  serverExtra: ["-b", "127.0.0.2"]))
            let reply = try #require(TestSockets.exchange(pair.entry, Array("bound".utf8)))
            #expect(reply.bytes == Array("bound".utf8))
            #expect(echo.peers.first?.hasPrefix("[127.0.0.2]:") == true, "peers: \(echo.peers)")
        }

        @Test func spipeBindAddressIsUsed() throws {
            let greeter = TestServer(.greeting(Array("hi".utf8)))
            defer { greeter.stop() }
            let source = TestSockets.loopback(TestSockets.freePort())
            let daemon = try #require(RunningDaemon(.ours, mode: "-d", source: source, target: greeter.text, key: scratch.key,
                                                    extra: ["--log-connections"], scratch: scratch))
            let result = try Captured.run(TestEnvironment.ourSpipe, ["-t", source.text, "-k", scratch.key, "-b", "127.0.0.3"],
                                          in: scratch, timeout: 15)
            #expect(result.status == 0 && result.stdout == "hi", "status \(String(describing: result.status)): \(result.stderr)")
            let deadline = Date().addingTimeInterval(3)
            while !daemon.stderr.contains("accepted from") && Date() < deadline { usleep(20_000) }
            #expect(daemon.stderr.contains("accepted from [127.0.0.3]:"), "log: \(daemon.stderr)")
        }

        @Test func waitForDNSDetachesFirst() throws {
            let path = scratch.path("dns.sock")
            let status = try ChildProcess.run(TestEnvironment.ourSpiped,
                                              ["-D", "-d", "-s", path, "-t", "[127.0.0.1]:9", "-k", scratch.key],
                                              stderr: .file(scratch.path("dns.err")), timeout: 10)
            #expect(status == 0)
            #expect(TestSockets.waitUntilListening(SocketAddress(unixPath: path)!, timeout: 10),
                    "stderr: \(scratch.text("dns.err")); pidfile: \(scratch.text("dns.sock.pid"))")
            if let pid = Int32(scratch.text("dns.sock.pid")) {
                kill(pid, SIGTERM)
            } else {
                Issue.record("no pidfile with -D")
            }
        }

        @Test func spipeReadsKeyFromStandardInputOurs() throws { try spipeReadsKeyFromStandardInput(.ours) }

        @Test(needsReference) func spipeReadsKeyFromStandardInputReference() throws { try spipeReadsKeyFromStandardInput(.reference) }

        func spipeReadsKeyFromStandardInput(_ server: Implementation) throws {
            let greeter = TestServer(.greeting(Array("welcome\n".utf8)))
            defer { greeter.stop() }
            let source = TestSockets.loopback(TestSockets.freePort())
            let daemon = try #require(RunningDaemon(server, mode: "-d", source: source, target: greeter.text,
                                                    key: scratch.key, scratch: scratch))
            let result = try Captured.run(TestEnvironment.ourSpipe, ["-t", source.text, "-k", "-"], in: scratch,
                                          stdin: .file(scratch.key), timeout: 15)
            #expect(result.status == 0, "stderr: \(result.stderr)")
            #expect(result.stdout == "welcome\n")
            _ = daemon
        }
    }
}
