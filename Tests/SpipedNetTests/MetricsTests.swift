// `--metrics` end to end on a running daemon: the page's counters follow real
// traffic (accepted, closed, active, bytes both ways, bad-MAC handshakes,
// target-connect failures, the -n limit); Debian's promtool accepts the page;
// a real Prometheus server (same package), started on loopback with a one-job
// config, scrapes the daemon and its HTTP API reports up == 1 and the
// accepted count the test made; other requests get 404; an oversized head
// gets 431 and a slow request is cut off; metrics connections neither count
// against -n nor wait for the data path; a detached (forked) daemon serves
// the page on a Unix path; a bad or busy --metrics address fails at start-up.
// Without Prometheus the promtool and server tests skip (and fail in CI).
import Foundation
import Testing
import SpipedDaemon
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif
import SpipedTestSupport

extension ProcessTests {
    @Suite struct Metrics {
        static let kit = ExternalKit.prometheus

        @Test func prometheusIsInstalledInCI() {
            guard TestEnvironment.inCI else { return }
            #expect(Self.kit.isAvailable, "CI=true but Prometheus is missing (\(Self.kit.missing.joined(separator: ", "))): apt-get install prometheus (.ci/run does)")
        }

        /// client -> our -e -> our -d (with --metrics) -> echo.
        final class Setup: @unchecked Sendable {
            let scratch = Scratch()
            let echo = TestServer(.echo)
            let metrics = TestSockets.loopback(TestSockets.freePort())
            let decryptor: RunningDaemon
            let encryptor: RunningDaemon

            init(serverExtra: [String] = []) throws {
                decryptor = try #require(RunningDaemon(.ours, mode: "-d", source: TestSockets.loopback(TestSockets.freePort()),
                                                       target: echo.text, key: scratch.key,
                                                       extra: ["--metrics", metrics.text] + serverExtra, scratch: scratch))
                try #require(TestSockets.waitUntilListening(metrics.address, timeout: 5), "metrics socket: \(decryptor.stderr)")
                encryptor = try #require(RunningDaemon(.ours, mode: "-e", source: TestSockets.loopback(TestSockets.freePort()),
                                                       target: decryptor.sourceText, key: scratch.key, scratch: scratch))
            }

            /// The page, fetched the way a scraper does.
            func page() -> String { Metrics.response(metrics.address, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n").body }

            /// A sample's value on the current page.
            func value(_ series: String) -> String? { MetricsPageTests.value(page(), series) }
        }

        /// Sends `request` and reads the whole response.
        static func response(_ address: SocketAddress, _ request: String) -> (status: String, body: String) {
            let fd = TestSockets.connect(address, timeout: 5)
            guard fd >= 0 else { return ("no connection", "") }
            defer { close(fd) }
            TestSockets.writeAll(fd, Array(request.utf8))
            let text = String(decoding: TestSockets.readAll(fd).bytes, as: UTF8.self)
            guard let split = text.range(of: "\r\n\r\n") else { return (text, "") }
            let status = text[..<split.lowerBound].split(separator: "\r\n").first.map(String.init) ?? ""
            return (status, String(text[split.upperBound...]))
        }

        /// Polls until `condition` holds (the counters settle a moment after a close).
        static func eventually(_ seconds: Double = 5, _ condition: () -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(seconds)
            repeat {
                if condition() { return true }
                usleep(20_000)
            } while Date() < deadline
            return condition()
        }

        @Test func countersFollowTraffic() throws {
            let setup = try Setup()
            #expect(setup.value("spiped_connections_accepted_total") == "0")
            let payload = TestEnvironment.randomBytes(5000)
            for _ in 0..<3 {
                #expect(TestSockets.exchange(setup.encryptor.source, payload)?.bytes == payload)
            }
            #expect(Self.eventually { setup.value("spiped_connections_closed_total") == "3" }, "page: \(setup.page())")
            #expect(setup.value("spiped_connections_accepted_total") == "3")
            #expect(setup.value("spiped_connections_active") == "0")
            // -d opens what the client sealed and seals the echo.
            #expect(setup.value("spiped_bytes_total{direction=\"decrypted\"}") == "15000")
            #expect(setup.value("spiped_bytes_total{direction=\"encrypted\"}") == "15000")

            // A client with the wrong key: a bad MAC at the -d.
            let wrong = try #require(RunningDaemon(.ours, mode: "-e", source: TestSockets.loopback(TestSockets.freePort()),
                                                   target: setup.decryptor.sourceText, key: setup.scratch.otherKey, scratch: setup.scratch))
            _ = TestSockets.exchange(wrong.source, [1, 2, 3], timeout: 5)
            #expect(Self.eventually { setup.value("spiped_handshake_failures_total{reason=\"bad_mac\"}") == "1" }, "page: \(setup.page())")
            // An open connection shows in the gauge.
            let held = TestSockets.connect(setup.encryptor.source)
            defer { if held >= 0 { close(held) } }
            TestSockets.writeAll(held, [7])
            #expect(TestSockets.readExactly(held, 1) == [7])
            #expect(setup.value("spiped_connections_active") == "1")
        }

        @Test func targetFailuresAndTheLimitAreCounted() throws {
            let scratch = Scratch()
            let metrics = TestSockets.loopback(TestSockets.freePort())
            let silent = TestServer(.silent)
            let daemon = try #require(RunningDaemon(.ours, mode: "-e", source: TestSockets.loopback(TestSockets.freePort()),
                                                    target: silent.text, key: scratch.key,
                                                    extra: ["--metrics", metrics.text, "-n", "1", "-o", "0.5"], scratch: scratch))
            try #require(TestSockets.waitUntilListening(metrics.address, timeout: 5))
            func value(_ series: String) -> String? {
                MetricsPageTests.value(Self.response(metrics.address, "GET /metrics HTTP/1.0\r\n\r\n").body, series)
            }
            // The silent target never answers the handshake: one connection holds the -n 1 slot,
            // a second waits at the limit, and metrics are still served meanwhile.
            let first = TestSockets.connect(daemon.source)
            let second = TestSockets.connect(daemon.source)
            defer { close(first); close(second) }
            #expect(Self.eventually { value("spiped_connection_limit_reached_total") == "1" })
            #expect(Self.eventually { value("spiped_handshake_failures_total{reason=\"timeout\"}") == "2" })
            silent.stop()
            let third = TestSockets.connect(daemon.source)
            defer { close(third) }
            #expect(Self.eventually { value("spiped_target_connect_failures_total") == "1" })
            #expect(value("spiped_connections_accepted_total") == "3")
        }

        @Test func idleTimeoutsAreCounted() throws {
            let setup = try Setup(serverExtra: ["--idle-timeout", "0.3"])
            let held = TestSockets.connect(setup.encryptor.source)
            defer { if held >= 0 { close(held) } }
            TestSockets.writeAll(held, [1])
            #expect(TestSockets.readExactly(held, 1) == [1])
            #expect(Self.eventually { setup.value("spiped_idle_timeouts_total") == "1" }, "page: \(setup.page())")
            #expect(Self.eventually { setup.value("spiped_connections_closed_total") == "1" })
        }

        @Test func otherRequestsGet404AndBadOnesAreCutOff() throws {
            let setup = try Setup()
            #expect(Self.response(setup.metrics.address, "GET / HTTP/1.1\r\n\r\n").status == "HTTP/1.1 404 Not Found")
            #expect(Self.response(setup.metrics.address, "POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n").status
                    == "HTTP/1.1 404 Not Found")
            #expect(Self.response(setup.metrics.address, "garbage\r\n\r\n").status == "HTTP/1.1 400 Bad Request")
            let huge = "GET /metrics HTTP/1.1\r\nX-Pad: " + String(repeating: "a", count: 20_000) + "\r\n\r\n"
            #expect(Self.response(setup.metrics.address, huge).status == "HTTP/1.1 431 Request Header Fields Too Large")
            // A request that never ends is closed at the deadline, with no response.
            let slow = TestSockets.connect(setup.metrics.address, timeout: 10)
            defer { close(slow) }
            TestSockets.writeAll(slow, Array("GET /metrics HTTP/1.1\r\n".utf8))
            let started = Date()
            let rest = TestSockets.readAll(slow)
            let waited = Date().timeIntervalSince(started)
            #expect(rest.bytes.isEmpty && rest.clean)
            #expect(waited > 2 && waited < 6, "cut off after \(waited) s")
            // Meanwhile (and after) the page is served.
            #expect(setup.page().contains("spiped_build_info{version=\"\(spipedVersion)\"} 1"))
        }

        @Test func metricsConnectionsDoNotCountAgainstTheLimit() throws {
            // -n 2: one data connection at a time never reaches it (reaching it, even
            // with nothing waiting, counts as a pause).
            let setup = try Setup(serverExtra: ["-n", "2"])
            // Idle metrics connections (more than -n) hold no data slot.
            let idle = (0..<3).map { _ in TestSockets.connect(setup.metrics.address) }
            defer { for fd in idle { close(fd) } }
            let payload = TestEnvironment.randomBytes(2000)
            #expect(TestSockets.exchange(setup.encryptor.source, payload)?.bytes == payload)
            #expect(setup.value("spiped_connection_limit_reached_total") == "0")
        }

        @Test func servedOnAUnixPathByADetachedDaemon() throws {
            // Without -F the daemon forks: the metrics thread must start in the child.
            let scratch = Scratch()
            let echo = TestServer(.echo)
            let metricsPath = scratch.path("metrics.sock")
            let source = TestSockets.loopback(TestSockets.freePort())
            let started = try ChildProcess.run(TestEnvironment.ourSpiped,
                                               ["-e", "-s", source.text, "-t", echo.text, "-k", scratch.key,
                                                "-p", scratch.path("d.pid"), "--metrics", metricsPath], timeout: 10)
            #expect(started == 0)
            let pid = try #require(Int32(scratch.text("d.pid")))
            defer { kill(pid, SIGKILL) }
            let metrics = try #require(SocketAddress(unixPath: metricsPath))
            let page = Self.response(metrics, "GET /metrics HTTP/1.1\r\n\r\n")
            #expect(page.status == "HTTP/1.1 200 OK")
            #expect(MetricsPageTests.value(page.body, "spiped_connections_accepted_total") == "0")
            let client = TestSockets.connect(source.address)
            if client >= 0 { close(client) }
            #expect(Self.eventually { MetricsPageTests.value(Self.response(metrics, "GET /metrics HTTP/1.1\r\n\r\n").body,
                                                             "spiped_connections_accepted_total") == "1" })
            kill(pid, SIGTERM)
            #expect(ChildProcess.waitForExit(pid, timeout: 5), "daemon \(pid) ignored SIGTERM")
        }

        @Test func badMetricsAddressesFailAtStartUp() throws {
            let scratch = Scratch()
            let base = ["-F", "-d", "-s", TestSockets.loopback(TestSockets.freePort()).text, "-t", "[127.0.0.1]:9", "-k", scratch.key]
            let noPort = try Captured.run(TestEnvironment.ourSpiped, base + ["--metrics", "localhost"], in: scratch)
            #expect(noPort.status == 1)
            #expect(noPort.stderr.hasPrefix("spiped: Address must contain port number: localhost"), "stderr: \(noPort.stderr)")
            let busy = TestServer(.sink)
            defer { busy.stop() }
            let inUse = try Captured.run(TestEnvironment.ourSpiped, base + ["--metrics", busy.text], in: scratch)
            #expect(inUse.status == 1)
            #expect(inUse.stderr == "spiped: --metrics \(busy.text): Error binding socket: Address already in use\n")
        }

        @Test(.enabled(if: kit.isAvailable, kit.skipMessage))
        func promtoolAcceptsThePage() throws {
            let setup = try Setup()
            let payload = TestEnvironment.randomBytes(100)
            _ = TestSockets.exchange(setup.encryptor.source, payload)
            let page = setup.scratch.path("page.txt")
            try setup.page().write(toFile: page, atomically: true, encoding: .utf8)
            let check = try Captured.run(Self.kit.path("promtool"), ["check", "metrics"], in: setup.scratch, stdin: .file(page))
            #expect(check.status == 0, "promtool: \(check.stdout) \(check.stderr)")
            #expect(check.stdout.isEmpty && check.stderr.isEmpty, "promtool: \(check.stdout) \(check.stderr)")
        }

        @Test(.enabled(if: kit.isAvailable, kit.skipMessage))
        func prometheusScrapesTheDaemon() throws {
            let setup = try Setup()
            let payload = TestEnvironment.randomBytes(100)
            for _ in 0..<4 { _ = TestSockets.exchange(setup.encryptor.source, payload) }
            let web = TestSockets.loopback(TestSockets.freePort())
            let config = setup.scratch.path("prometheus.yml")
            try """
                global:
                  scrape_interval: 1s
                  scrape_timeout: 1s
                scrape_configs:
                  - job_name: spiped
                    static_configs:
                      - targets: ['127.0.0.1:\(setup.metrics.address.port ?? 0)']

                """.write(toFile: config, atomically: true, encoding: .utf8)
            let server = try ChildProcess(Self.kit.path("prometheus"),
                                          ["--config.file=\(config)", "--storage.tsdb.path=\(setup.scratch.path("tsdb"))",
                                           "--web.listen-address=127.0.0.1:\(web.address.port ?? 0)"],
                                          stdout: .file(setup.scratch.path("prometheus.log")),
                                          stderr: .file(setup.scratch.path("prometheus.log")))
            defer { server.killAndReap() }
            try #require(TestSockets.waitUntilListening(web.address, timeout: 15), "prometheus: \(setup.scratch.text("prometheus.log"))")
            func query(_ expression: String) -> String {
                let encoded = expression.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? expression
                return Self.response(web.address, "GET /api/v1/query?query=\(encoded) HTTP/1.0\r\n\r\n").body
            }
            let up = Self.eventually(15) { query("up{job=\"spiped\"}").contains("\"value\":[") && query("up{job=\"spiped\"}").contains(",\"1\"]") }
            #expect(up, "up: \(query("up")); log: \(setup.scratch.text("prometheus.log"))")
            let accepted = query("spiped_connections_accepted_total{job=\"spiped\"}")
            #expect(accepted.contains(",\"4\"]"), "accepted: \(accepted)")
        }
    }
}
