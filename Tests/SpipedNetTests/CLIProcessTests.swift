// Our executables' command-line behaviour, run as processes and, where the
// reference is installed, compared with Debian's spiped 1.6.2: the same exit
// status and the same diagnostics for each bad line. Texts differ only where
// 1.6.4 differs (usage mentions -b; our --log-connections; version number).
import Foundation
import Testing
import SpipedDaemon
import SpipedNet

extension ProcessTests {
    @Suite struct CommandLineProcesses {
        let scratch = Scratch()

        func run(_ implementation: Implementation, spipe: Bool = false, _ arguments: [String]) throws -> Captured {
            try Captured.run(spipe ? implementation.spipe : implementation.spiped, arguments, in: scratch, timeout: 10)
        }

        @Test func versionGoesToStandardErrorWithStatusZero() throws {
            let daemon = try run(.ours, ["-v"])
            #expect(daemon.status == 0 && daemon.stdout.isEmpty && daemon.stderr == "spiped \(spipedVersion)\n")
            let client = try run(.ours, spipe: true, ["-v"])
            #expect(client.status == 0 && client.stdout.isEmpty && client.stderr == "spipe \(spipedVersion)\n")
        }

        @Test(arguments: [
            [], ["-e"], ["-x"], ["-k"], ["-e", "-d"], ["-e", "-s", "/a", "-t", "x:1", "-k", "k", "-f", "-g"],
            ["-e", "-s", "/a", "-t", "x:1", "-k", "k", "extra"], ["--syslog", "--syslog"], ["--foo"],
            ["-e", "-s", "/a", "-t", "x:1", "-k", "k", "-n", "abc"], ["-e", "-s", "/a", "-t", "x:1", "-k", "k", "-o", "-1"],
            ["-e", "-s", "/a", "-t", "x:1", "-k", "k", "-r", "5", "-R"], ["-e", "-e", "-v"],
        ])
        func badSpipedLinesPrintUsageAndExitOne(_ arguments: [String]) throws {
            let result = try run(.ours, arguments)
            #expect(result.status == 1)
            #expect(result.stdout.isEmpty)
            if case let .failure(expected) = parseSpipedArguments(arguments) {
                #expect(result.stderr == expected.description)
            } else {
                Issue.record("parser accepted \(arguments)")
            }
        }

        @Test(arguments: [[], ["-t"], ["-t", "x:1"], ["-t", "x:1", "-k", "k", "-q"], ["-t", "x:1", "-k", "k", "-f", "-g"],
                          ["-t", "x:1", "-k", "k", "-o", "abc"], ["-t", "x:1", "-k", "k", "x"]])
        func badSpipeLinesPrintUsageAndExitOne(_ arguments: [String]) throws {
            let result = try run(.ours, spipe: true, arguments)
            #expect(result.status == 1 && result.stdout.isEmpty)
            if case let .failure(expected) = parseSpipeArguments(arguments) {
                #expect(result.stderr == expected.description)
            }
        }

        /// Replaces either program's usage block so outputs can be compared line by line.
        func normalized(_ text: String) -> String {
            var out = text.replacingOccurrences(of: Program.spiped.usageText, with: "<usage>\n")
            out = out.replacingOccurrences(of: Program.spipe.usageText, with: "<usage>\n")
            if let range = out.range(of: "usage: spiped {-e | -d}") ?? out.range(of: "usage: spipe -t") {
                out = String(out[..<range.lowerBound]) + "<usage>\n"
            }
            return out
        }

        @Test(needsReference, arguments: [
            [], ["-x"], ["-k"], ["-e", "-d"], ["-Fx"], ["--syslo"], ["--syslog=1"], ["-e", "-s"], ["-v", "-x"],
            ["-d", "-s", "/tmp/a", "-t", "1.2.3.4:5"], ["-e", "-e", "-v"],
            ["-e", "-s", "/a", "-t", "x:1", "-k", "k", "-n", "abc"], ["-e", "-s", "/a", "-t", "x:1", "-k", "k", "-n", "5 "],
            ["-e", "-s", "/a", "-t", "x:1", "-k", "k", "-o", "1e400"], ["-e", "-s", "/a", "-t", "x:1", "-k", "k", "-o", "nan"],
            ["-e", "-s", "/a", "-t", "x:1", "-k", "k", "-r", "-1"], ["-e", "-s", "/a", "-t", "x:1", "-k", "k", "-R", "-r", "61"],
            ["-e", "-s", "/a", "-t", "x:1", "-k", "k", "--", "x"], ["-e", "-s", "/a", "-t", "x:1", "-k", "k", "-"],
        ])
        func spipedRefusalsMatchTheReference(_ arguments: [String]) throws {
            let ours = try run(.ours, arguments), theirs = try run(.reference, arguments)
            #expect(ours.status == theirs.status)
            if arguments.first == "-v" {
                #expect(ours.stderr.hasPrefix("spiped ") && theirs.stderr.hasPrefix("spiped "))
            } else {
                #expect(normalized(ours.stderr) == normalized(theirs.stderr))
            }
        }

        @Test(needsReference, arguments: [
            [], ["-t"], ["-t", "x:1", "-k", "k", "-q"], ["-t", "x:1", "-k", "k", "-f", "-g"], ["-t", "x:1", "-k", "k", "-j", "-j"],
            ["-t", "x:1", "-k", "k", "-o", "abc"], ["-t", "x:1", "-k", "k", "--syslog"],
        ])
        func spipeRefusalsMatchTheReference(_ arguments: [String]) throws {
            let ours = try run(.ours, spipe: true, arguments), theirs = try run(.reference, spipe: true, arguments)
            #expect(ours.status == theirs.status)
            #expect(normalized(ours.stderr) == normalized(theirs.stderr))
        }

        /// Start-up failures after parsing: same status and same text as the reference.
        @Test(needsReference, arguments: [
            "missing key", "key is a directory", "no port", "bad bracket", "bad IP", "bad port", "unknown host",
            "path too long", "source is a regular file", "source directory missing", "no such user",
        ])
        func startupFailuresMatchTheReference(_ scenario: String) throws {
            let dir = scratch.directory
            try "not a socket".write(toFile: dir + "/file", atomically: true, encoding: .utf8)
            var source = dir + "/s.sock", target = "[127.0.0.1]:9", key = scratch.key
            var extra: [String] = []
            switch scenario {
            case "missing key": key = dir + "/nonexistent"
            case "key is a directory": key = dir
            case "no port": target = "foo"
            case "bad bracket": target = "[::1:80"
            case "bad IP": target = "[1.2.3.4.5]:80"
            case "bad port": target = "[1.2.3.4]:99999"
            case "unknown host": target = "nosuchhost.invalid:80"
            case "path too long": source = "/tmp/" + String(repeating: "a", count: 120)
            case "source is a regular file": source = dir + "/file"
            case "source directory missing": source = dir + "/missing/s.sock"
            case "no such user": extra = ["-u", "nosuchuser-spiped-test"]
            default: break
            }
            let arguments = ["-d", "-F", "-s", source, "-t", target, "-k", key] + extra
            let keepSource = scenario == "source is a regular file"
            let ours = try run(.ours, arguments)
            if !keepSource { unlink(source) }
            let theirs = try run(.reference, arguments)
            if !keepSource { unlink(source) }
            #expect(ours.status == 1 && theirs.status == 1)
            #expect(ours.stderr == theirs.stderr)
            if scenario == "source is a regular file" {
                #expect(scratch.text("file") == "not a socket")
            }
        }

        @Test(needsReference) func spipeStartupFailuresMatchTheReference() throws {
            for arguments in [["-t", "foo", "-k", scratch.key], ["-t", "[127.0.0.1]:9", "-k", scratch.directory + "/none"]] {
                let ours = try run(.ours, spipe: true, arguments), theirs = try run(.reference, spipe: true, arguments)
                #expect(ours.status == 1 && theirs.status == 1)
                #expect(ours.stderr == theirs.stderr)
            }
        }
    }
}
