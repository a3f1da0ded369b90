// Real clients and servers through our spiped, end to end:
// - OpenSSH: sshd behind our `spiped -d`; ssh reaches it with README's recipe
//   `ProxyCommand spipe -t %h:<port> -k <dir>/spiped_%h_key`, runs a remote
//   command (its output checked), and scp copies a 10 MB random file there
//   and back (SHA-256 of both copies checked with sha256sum).
// - Redis: redis-server behind our -e/-d pair; redis-cli sets and gets
//   values through the -e source (a short one and a 256 KB one), and
//   redis-benchmark (50 parallel connections, 20000 requests per test) ends
//   with status 0 and a positive rate for every test it prints.
// A missing OpenSSH or Redis skips its tests with the packages to install;
// in CI (CI=true) that is a failure (`realClientsAreInstalledInCI`).
import Foundation
import Testing
import SpipedNet
import SpipedTestSupport

extension ProcessTests {
    @Suite struct RealClients {
        @Test func realClientsAreInstalledInCI() {
            guard TestEnvironment.inCI else { return }
            for kit in [ExternalKit.openSSH, .redis] {
                let missing = kit.missing.joined(separator: ", ")
                #expect(kit.isAvailable, "CI=true but \(kit.name) is missing (\(missing)): apt-get install \(kit.packages) (.ci/run does)")
            }
        }

        /// sshd behind our spiped -d, and the spipe ProxyCommand from README.
        struct SSHSetup {
            let scratch = Scratch()
            let server: SSHServer
            let decryptor: RunningDaemon
            let options: [String]

            init() throws {
                server = try SSHServer(scratch: scratch)
                let source = TestSockets.loopback(TestSockets.freePort())
                decryptor = try #require(RunningDaemon(.ours, mode: "-d", source: source, target: server.address.text,
                                                       key: scratch.key, scratch: scratch))
                // README's recipe with the host 127.0.0.1: spipe -t %h:<port> -k .../spiped_%h_key.
                try FileManager.default.copyItem(atPath: scratch.key, toPath: scratch.path("spiped_127.0.0.1_key"))
                let proxy = "\(shellQuoted(TestEnvironment.ourSpipe)) -t %h:\(source.address.port ?? 0) -k "
                    + shellQuoted(scratch.directory) + "/spiped_%h_key"
                options = server.clientOptions(proxyCommand: proxy)
            }

            /// What went wrong, for failure messages.
            var diagnostics: String { "sshd log:\n\(server.log)\nspiped -d:\n\(decryptor.stderr)" }
        }

        @Test(ExternalKit.openSSH.required) func sshRunsRemoteCommandThroughSpipe() throws {
            let ssh = try SSHSetup()
            let kit = ExternalKit.openSSH
            let result = try Captured.run(kit.path("ssh"), ssh.options + ["127.0.0.1", "echo \"through spiped: $((6 * 7))\"; id -un"],
                                          in: ssh.scratch, timeout: 60)
            #expect(result.status == 0, "ssh: \(result.stderr)\n\(ssh.diagnostics)")
            #expect(result.stdout == "through spiped: 42\n\(ssh.server.user)\n", "remote output: \(result.stdout)")
        }

        @Test(ExternalKit.openSSH.required) func scpCopiesTenMegabytesBothWays() throws {
            let ssh = try SSHSetup()
            let kit = ExternalKit.openSSH
            let original = ssh.scratch.path("original.bin"), remote = ssh.scratch.path("remote.bin")
            let back = ssh.scratch.path("back.bin")
            _ = FileManager.default.createFile(atPath: original, contents: Data(TestEnvironment.randomBytes(10 << 20)))

            let up = try Captured.run(kit.path("scp"), ssh.options + ["-q", original, "127.0.0.1:" + remote],
                                      in: ssh.scratch, timeout: 120)
            #expect(up.status == 0, "scp upload: \(up.stderr)\n\(ssh.diagnostics)")
            let down = try Captured.run(kit.path("scp"), ssh.options + ["-q", "127.0.0.1:" + remote, back],
                                        in: ssh.scratch, timeout: 120)
            #expect(down.status == 0, "scp download: \(down.stderr)\n\(ssh.diagnostics)")

            let sums = try Captured.run(ExternalPrograms.find("sha256sum") ?? "/usr/bin/sha256sum", [original, remote, back],
                                        in: ssh.scratch, timeout: 30)
            try #require(sums.status == 0, "sha256sum: \(sums.stderr)")
            let digests = sums.stdout.split(separator: "\n").map { $0.split(separator: " ").first.map(String.init) ?? "" }
            #expect(digests.count == 3 && Set(digests).count == 1 && digests[0].count == 64,
                    "SHA-256 of original, uploaded, downloaded:\n\(sums.stdout)")
        }

        /// redis-server behind our -e/-d pair.
        struct RedisSetup {
            let scratch = Scratch()
            let server: RedisServer
            let pair: EncryptedPair
            /// redis-cli/redis-benchmark arguments that reach the server through the pair.
            let entry: [String]

            init() throws {
                server = try RedisServer(scratch: scratch)
                pair = try #require(EncryptedPair(client: .ours, server: .ours, serverTarget: server.address.text,
                                                  scratch: scratch))
                entry = ["-h", "127.0.0.1", "-p", "\(pair.entry.port ?? 0)"]
            }

            var diagnostics: String {
                "redis log:\n\(server.log)\nspiped -e:\n\(pair.encryptor.stderr)\nspiped -d:\n\(pair.decryptor.stderr)"
            }
        }

        @Test(ExternalKit.redis.required) func redisCLISetsAndGetsThroughPair() throws {
            let redis = try RedisSetup()
            let cli = ExternalKit.redis.path("redis-cli")
            func run(_ arguments: [String], stdin: ChildProcess.Input = .null) throws -> Captured {
                try Captured.run(cli, redis.entry + arguments, in: redis.scratch, stdin: stdin, timeout: 30)
            }
            let set = try run(["SET", "greeting", "hello through spiped"])
            #expect(set.status == 0 && set.stdout == "OK\n", "SET: \(set.stdout) \(set.stderr)\n\(redis.diagnostics)")
            let get = try run(["GET", "greeting"])
            #expect(get.stdout == "hello through spiped\n", "GET: \(get.stdout) \(get.stderr)")

            // 256 KB (hex text, so redis-cli prints it back verbatim): many packets each way.
            let big = TestEnvironment.randomBytes(128 << 10).map { String(format: "%02x", $0) }.joined()
            try big.write(toFile: redis.scratch.path("big.txt"), atomically: true, encoding: .utf8)
            let setBig = try run(["-x", "SET", "big"], stdin: .file(redis.scratch.path("big.txt")))
            #expect(setBig.stdout == "OK\n", "SET big: \(setBig.stdout) \(setBig.stderr)")
            let getBig = try run(["--raw", "GET", "big"])
            #expect(getBig.stdout == big + "\n", "GET big returned \(getBig.stdout.utf8.count) bytes, expected \(big.utf8.count + 1)")
            let strlen = try run(["STRLEN", "big"])
            #expect(strlen.stdout == "\(big.utf8.count)\n", "STRLEN: \(strlen.stdout)")  // no tty: raw reply
        }

        @Test(ExternalKit.redis.required) func redisBenchmarkCompletesThroughPair() throws {
            let redis = try RedisSetup()
            let result = try Captured.run(ExternalKit.redis.path("redis-benchmark"), redis.entry + ["-q", "-n", "20000"],
                                          in: redis.scratch, timeout: 300)
            #expect(result.status == 0, "redis-benchmark: \(result.stderr)\n\(redis.diagnostics)")
            // -q prints "NAME: <rate> requests per second, p50=..." per test (progress lines end in \r).
            let lines = result.stdout.split(whereSeparator: { $0 == "\n" || $0 == "\r" })
                .filter { $0.contains("requests per second") }
            var rates: [String: Double] = [:]
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                let name = line[..<colon].trimmingCharacters(in: .whitespaces)
                let rate = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                    .split(separator: " ").first.flatMap { Double($0) }
                rates[name] = rate ?? 0
            }
            #expect(rates["SET"].map { $0 > 0 } == true && rates["GET"].map { $0 > 0 } == true,
                    "no SET/GET rate in redis-benchmark output:\n\(result.stdout)")
            #expect(rates.count >= 10 && rates.values.allSatisfy { $0 > 0 }, "rates: \(rates)")
            print("redis-benchmark through spiped -e/-d (requests/s): "
                  + rates.sorted { $0.key < $1.key }.map { "\($0.key) \(Int($0.value))" }.joined(separator: ", "))
        }
    }
}
