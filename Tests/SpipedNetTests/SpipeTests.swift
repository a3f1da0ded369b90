// spipe against a -d daemon, ours and the reference's both ways: stdin is
// sent, the echo comes back on stdout byte for byte, exit status 0 after a
// clean finish; connect and handshake failures exit non-zero with a message
// and never hang (the target is unreachable or black-holed).
import Foundation
import Testing
import SpipedNet
import SpipedTestSupport

extension ProcessTests {
    @Suite struct Spipe {
        struct Combination: CustomStringConvertible, Sendable {
            let client: Implementation
            let server: Implementation
            var description: String { "\(client) spipe -> \(server) -d" }
        }

        static let withReference: [Combination] = [
            Combination(client: .ours, server: .reference), Combination(client: .reference, server: .ours),
        ]

        @Test(needsReference, arguments: withReference)
        func carriesStdinToStdoutWithReference(_ combination: Combination) throws {
            try carriesStdinToStdoutThroughEcho(combination)
        }

        @Test func carriesStdinToStdoutOursToOurs() throws {
            try carriesStdinToStdoutThroughEcho(Combination(client: .ours, server: .ours))
        }

        func carriesStdinToStdoutThroughEcho(_ combination: Combination) throws {
            let scratch = Scratch()
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let source = TestSockets.loopback(TestSockets.freePort())
            let daemon = try #require(RunningDaemon(combination.server, mode: "-d", source: source, target: echo.text,
                                                    key: scratch.key, scratch: scratch))
            for (size, flags) in [(0, []), (1, ["-f"]), (1025, ["-g"]), (4 << 20, ["-j"])] as [(Int, [String])] {
                let payload = TestEnvironment.randomBytes(size)
                let input = scratch.path("in-\(size)")
                _ = FileManager.default.createFile(atPath: input, contents: Data(payload))
                let output = scratch.path("out-\(size)")
                let status = try ChildProcess.run(combination.client.spipe, ["-t", source.text, "-k", scratch.key] + flags,
                                                  stdin: .file(input), stdout: .file(output),
                                                  stderr: .file(scratch.path("spipe.err")), timeout: 30)
                #expect(status == 0, "spipe exit status for \(size) bytes: \(String(describing: status)); \(scratch.text("spipe.err"))")
                let received = FileContents.bytes(output) ?? []
                #expect(received.count == size && Array(received) == payload, "\(size) bytes through spipe")
            }
            _ = daemon
        }

        @Test func ourSpipeFailsFastOnRefusedTarget() throws {
            let scratch = Scratch()
            let port = TestSockets.freePort()
            let started = Date()
            let result = try Captured.run(TestEnvironment.ourSpipe, ["-t", "[127.0.0.1]:\(port)", "-k", scratch.key, "-o", "2"],
                                          in: scratch, timeout: 10)
            #expect(result.status != nil && result.status != 0)
            #expect(result.stderr.hasPrefix("spipe: "))
            #expect(Date().timeIntervalSince(started) < 5)
        }

        @Test func ourSpipeGivesUpOnBlackHoleWithinTimeout() throws {
            let scratch = Scratch()
            let hole = BlackHole()
            let started = Date()
            let result = try Captured.run(TestEnvironment.ourSpipe, ["-t", hole.text, "-k", scratch.key, "-o", "1"],
                                          in: scratch, timeout: 10)
            let elapsed = Date().timeIntervalSince(started)
            #expect(result.status != nil && result.status != 0, "spipe did not fail: \(String(describing: result.status))")
            #expect(!result.stderr.isEmpty)
            #expect(elapsed < 4, "took \(elapsed) s with -o 1")
        }

        @Test func ourSpipeFailsOnWrongKey() throws {
            let scratch = Scratch()
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let source = TestSockets.loopback(TestSockets.freePort())
            let daemon = try #require(RunningDaemon(.ours, mode: "-d", source: source, target: echo.text,
                                                    key: scratch.key, scratch: scratch))
            let result = try Captured.run(TestEnvironment.ourSpipe, ["-t", source.text, "-k", scratch.otherKey, "-o", "2"],
                                          in: scratch, timeout: 10)
            #expect(result.status != 0 && !result.stderr.isEmpty)
            _ = daemon
        }
    }
}
