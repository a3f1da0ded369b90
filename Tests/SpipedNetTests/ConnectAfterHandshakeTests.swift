// --connect-after-handshake (spiped -d): the target sees a connection only
// from a peer that proved it holds the key. The wrong-key client is the C
// spipe (and ours); without the option the target sees every attempt, as with
// the C spiped.
import Foundation
import Testing
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif

extension ProcessTests {
    @Suite struct ConnectAfterHandshake {
        let scratch = Scratch()

        /// One spipe run with `key` through our -d (with `extra`) in front of an
        /// echo server: spipe's status and output, and how many connections the
        /// echo server accepted.
        func attempt(_ client: Implementation, key: String, extra: [String], input: String = "")
            throws -> (status: Int32?, stdout: String, accepts: Int) {
            let echo = TestServer(.echo)
            defer { echo.stop() }
            let source = TestSockets.loopback(TestSockets.freePort())
            let daemon = try #require(RunningDaemon(.ours, mode: "-d", source: source, target: echo.text, key: scratch.key,
                                                    extra: ["-o", "2"] + extra, scratch: scratch))
            let inputPath = scratch.path("input-\(UUID().uuidString)")
            #expect(FileManager.default.createFile(atPath: inputPath, contents: Data(input.utf8)))
            let result = try Captured.run(client.spipe, ["-t", source.text, "-k", key, "-o", "3"], in: scratch,
                                          stdin: .file(inputPath), timeout: 15)
            // A target connect started at accept lands within a few milliseconds.
            usleep(300_000)
            _ = daemon
            return (result.status, result.stdout, echo.peers.count)
        }

        @Test(needsReference) func wrongKeyFromTheReferenceNeverReachesTheTarget() throws {
            let with = try attempt(.reference, key: scratch.otherKey, extra: ["--connect-after-handshake"])
            #expect(with.status != 0)
            #expect(with.accepts == 0, "the target saw \(with.accepts) connection(s) from a wrong-key client")
            let without = try attempt(.reference, key: scratch.otherKey, extra: [])
            #expect(without.status != 0)
            #expect(without.accepts == 1, "without the option the target sees the attempt, as with the C spiped")
        }

        @Test func wrongKeyFromOurSpipeNeverReachesTheTarget() throws {
            let with = try attempt(.ours, key: scratch.otherKey, extra: ["--connect-after-handshake"])
            #expect(with.status == 1 && with.accepts == 0)
        }

        @Test(arguments: [[], ["-f"], ["-g"]])
        func theRightKeyCarriesData(_ handshake: [String]) throws {
            let result = try attempt(.ours, key: scratch.key, extra: ["--connect-after-handshake"] + handshake,
                                     input: "through after the handshake")
            #expect(result.status == 0 && result.stdout == "through after the handshake", "\(result)")
            #expect(result.accepts == 1)
        }

        @Test(needsReference) func theReferenceClientCarriesData() throws {
            let result = try attempt(.reference, key: scratch.key, extra: ["--connect-after-handshake"], input: "from C spipe")
            #expect(result.status == 0 && result.stdout == "from C spipe", "\(result)")
        }
    }
}
