// The drop-in form: spiped and spipe built with --static-swift-stdlib (as
// .ci/run and README's Install section do) need only the C library. The
// executables named by $SPIPED_STATIC_BIN_DIR are copied to a fresh
// directory outside the build tree, `ldd` must list nothing but C-library
// objects (no Swift runtime, no libstdc++, OpenSSL or Foundation), and the
// copies run with an empty environment (what `env -i` gives): -v, a
// daemonized -d (fork and pidfile) behind a foreground -e moving a payload
// both ways, and spipe through the same -d.
import Foundation
import Testing
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif
import SpipedTestSupport

extension ProcessTests {
    @Suite struct StaticBinary {
        /// Shared objects a C-library-only executable may load.
        static let allowedLibraries = ["linux-vdso.so", "linux-gate.so", "ld-linux", "libc.so", "libm.so",
                                       "libpthread.so", "libdl.so", "librt.so", "libutil.so", "libresolv.so"]

        @Test func staticBuildIsProvidedInCI() {
            if TestEnvironment.inCI {
                #expect(StaticBuild.directory != nil,
                        "CI=true but \(StaticBuild.variable) does not name the static spiped/spipe (.ci/run sets it)")
            }
        }

        /// Copies both executables into a new directory of `scratch`; returns it.
        func copies(in scratch: Scratch) throws -> String {
            let source = try #require(StaticBuild.directory)
            let directory = scratch.path("bin")
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
            for name in ["spiped", "spipe"] {
                try FileManager.default.copyItem(atPath: source + "/" + name, toPath: directory + "/" + name)
            }
            return directory
        }

        @Test(StaticBuild.required) func needsOnlyTheCLibrary() throws {
            let scratch = Scratch()
            let bin = try copies(in: scratch)
            for name in ["spiped", "spipe"] {
                let result = try Captured.run("/usr/bin/env", ["-i", "ldd", bin + "/" + name], in: scratch)
                // A fully static executable ("not a dynamic executable") would pass too.
                let fullyStatic = (result.stdout + result.stderr).contains("not a dynamic executable")
                #expect(result.status == 0 || fullyStatic, "ldd \(name): \(result.stderr)")
                let libraries = result.stdout.split(separator: "\n")
                    .map { $0.trimmingCharacters(in: .whitespaces) }
                    .filter { !$0.isEmpty }
                #expect(!libraries.isEmpty || fullyStatic)
                for line in libraries {
                    let object = String(line.split(separator: " ").first ?? "")
                    let file = (object as NSString).lastPathComponent
                    #expect(Self.allowedLibraries.contains { file.hasPrefix($0) },
                            "\(name) needs \(line), which is not part of the C library")
                    #expect(!line.contains("not found"), "\(name): \(line)")
                }
            }
        }

        @Test(StaticBuild.required) func printsVersionWithEmptyEnvironment() throws {
            let scratch = Scratch()
            let bin = try copies(in: scratch)
            for name in ["spiped", "spipe"] {
                let result = try Captured.run(bin + "/" + name, ["-v"], in: scratch, environment: [:])
                #expect(result.status == 0, "\(name) -v: \(result.stderr)")
                // Like the reference, the version line goes to stderr.
                #expect((result.stdout + result.stderr).hasPrefix("\(name) 1."), "\(name) -v printed \(result.stdout)\(result.stderr)")
            }
        }

        @Test(StaticBuild.required) func movesBytesWithEmptyEnvironment() throws {
            let scratch = Scratch()
            let bin = try copies(in: scratch)
            let echo = TestServer(.echo)
            defer { echo.stop() }

            // -d daemonized (the default: fork, pidfile), as an init script would run it.
            let middle = TestSockets.loopback(TestSockets.freePort())
            let pidfile = scratch.path("d.pid")
            let started = try Captured.run(bin + "/spiped", ["-d", "-s", middle.text, "-t", echo.text, "-k", scratch.key,
                                                            "-p", pidfile], in: scratch, environment: [:])
            #expect(started.status == 0, "spiped -d: \(started.stderr)")
            let daemonPID = try #require(pid_t(scratch.text("d.pid").trimmingCharacters(in: .whitespacesAndNewlines)),
                                         "no pidfile written")
            defer { kill(daemonPID, SIGTERM) }
            #expect(TestSockets.waitUntilListening(middle.address))

            // -e in the foreground.
            let front = TestSockets.loopback(TestSockets.freePort())
            let encryptor = try ChildProcess(bin + "/spiped", ["-e", "-F", "-s", front.text, "-t", middle.text, "-k", scratch.key],
                                             environment: [:], stderr: .file(scratch.path("e.err")))
            defer { encryptor.killAndReap() }
            try #require(TestSockets.waitUntilListening(front.address), "spiped -e: \(scratch.text("e.err"))")

            let payload = TestEnvironment.randomBytes(1 << 20)
            let reply = try #require(TestSockets.exchange(front.address, payload))
            #expect(reply.clean && reply.bytes == payload, "1 MiB through static -e/-d: \(reply.bytes.count) bytes back")

            // spipe to the same -d: stdin out, echo back on stdout.
            let input = scratch.path("in")
            _ = FileManager.default.createFile(atPath: input, contents: Data(payload))
            let status = try ChildProcess.run(bin + "/spipe", ["-t", middle.text, "-k", scratch.key], environment: [:],
                                              stdin: .file(input), stdout: .file(scratch.path("out")),
                                              stderr: .file(scratch.path("spipe.err")), timeout: 30)
            #expect(status == 0, "static spipe: \(scratch.text("spipe.err"))")
            let received = FileContents.bytes(scratch.path("out")) ?? []
            #expect(Array(received) == payload, "1 MiB through static spipe: \(received.count) bytes back")

            encryptor.send(SIGTERM)
            #expect(encryptor.wait(timeout: 10) == 0)
            kill(daemonPID, SIGTERM)
            #expect(ChildProcess.waitForExit(daemonPID, timeout: 10), "daemonized static spiped did not exit on SIGTERM")
        }
    }
}
