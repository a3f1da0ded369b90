// `--accept-key` on the spiped command line: repeatable and kept in order,
// `-d` only, at most 8 keys with `-k`, never standard input; each refusal
// names its reason before the usage. And the key-reading rule this project
// keeps against the C spiped: an empty key file (or /dev/null) is refused
// with a clear error, for -k and --accept-key alike.
import Foundation
import Testing
import SpipedDaemon
import SpipedNet

private let server = ["-d", "-s", "/tmp/s", "-t", "[127.0.0.1]:9", "-k", "/tmp/k"]

@Suite struct AcceptKeyOptionTests {
    @Test func repeatableInOrder() throws {
        let options = try parseSpipedArguments(server + ["--accept-key", "/tmp/b", "--accept-key", "/tmp/c"]).get()
        #expect(options.acceptKeyFiles == ["/tmp/b", "/tmp/c"])
        #expect(try parseSpipedArguments(server).get().acceptKeyFiles.isEmpty)
    }

    @Test func upToEightKeysInAll() throws {
        let seven = (1...7).flatMap { ["--accept-key", "/tmp/k\($0)"] }
        #expect(try parseSpipedArguments(server + seven).get().acceptKeyFiles.count == 7)
        guard case let .failure(error) = parseSpipedArguments(server + seven + ["--accept-key", "/tmp/k8"]) else {
            Issue.record("nine keys accepted")
            return
        }
        #expect(error.description.hasPrefix("spiped: Too many keys: at most 8 in all (-k and --accept-key)\nusage: spiped"))
    }

    @Test func refusedWithEncryptAndWithStandardInput() {
        let encrypt = ["-e", "-s", "/tmp/s", "-t", "[127.0.0.1]:9", "-k", "/tmp/k", "--accept-key", "/tmp/b"]
        guard case let .failure(e) = parseSpipedArguments(encrypt) else { Issue.record("-e --accept-key accepted"); return }
        #expect(e.description.hasPrefix("spiped: --accept-key is for -d (the server) only\nusage:"))
        guard case let .failure(s) = parseSpipedArguments(server + ["--accept-key", "-"]) else {
            Issue.record("--accept-key - accepted")
            return
        }
        #expect(s.description.hasPrefix("spiped: --accept-key cannot read standard input; give a file\nusage:"))
    }
}

extension ProcessTests {
    @Suite struct EmptyKeyFiles {
        @Test func emptyOrDevNullKeyIsRefused() throws {
            let scratch = Scratch()
            let empty = scratch.path("empty")
            _ = FileManager.default.createFile(atPath: empty, contents: Data())
            for (key, accept) in [(empty, nil), ("/dev/null", nil), (scratch.key, empty)] as [(String, String?)] {
                let arguments = ["-d", "-F", "-s", TestSockets.loopback(TestSockets.freePort()).text, "-t", "[127.0.0.1]:9",
                                 "-k", key] + (accept.map { ["--accept-key", $0] } ?? [])
                let run = try Captured.run(TestEnvironment.ourSpiped, arguments, in: scratch, timeout: 10)
                let named = accept ?? key
                #expect(run.status == 1, "\(arguments) ran")
                #expect(run.stderr.contains("spiped: Error reading file: \(named): key file is empty"), "stderr: \(run.stderr)")
            }
            let spipe = try Captured.run(TestEnvironment.ourSpipe, ["-t", "[127.0.0.1]:9", "-k", "/dev/null"], in: scratch, timeout: 10)
            #expect(spipe.status == 1 && spipe.stderr.contains("key file is empty"), "spipe stderr: \(spipe.stderr)")
        }
    }
}
