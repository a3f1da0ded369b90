// The operator options on the command line: -P and --proxy-protocol v1|v2
// (one of them at most, bad versions refused with a clear message), --metrics
// <address>, and -s systemd / systemd:NAME as a listen source (never parsed
// as a host name). Without them the defaults are the reference's.
import Testing
import SpipedDaemon
import SpipedNet

private let base = ["-d", "-s", "/tmp/s", "-t", "[127.0.0.1]:9", "-k", "/tmp/k"]

private func refusal(_ result: Result<SpipedOptions, UsageError>) -> UsageError? {
    if case let .failure(error) = result { return error }
    return nil
}

@Suite struct CLIOperatorOptionTests {
    @Test func offByDefault() throws {
        let options = try parseSpipedArguments(base).get()
        #expect(options.proxyProtocol == nil && options.metricsAddress == nil)
        #expect(options.listenSource == .address("/tmp/s"))
    }

    @Test func proxyProtocolVersions() throws {
        #expect(try parseSpipedArguments(base + ["-P"]).get().proxyProtocol == .v1)
        #expect(try parseSpipedArguments(base + ["--proxy-protocol", "v1"]).get().proxyProtocol == .v1)
        #expect(try parseSpipedArguments(base + ["--proxy-protocol=v2"]).get().proxyProtocol == .v2)
        #expect(try parseSpipedArguments(["-dFP"] + base.dropFirst()).get().proxyProtocol == .v1)
    }

    @Test func badOrRepeatedProxyProtocolIsRefused() {
        let bad = refusal(parseSpipedArguments(base + ["--proxy-protocol", "v3"]))
        #expect(bad?.diagnostic == "Invalid argument to --proxy-protocol: v3 (expected v1 or v2)")
        #expect(bad?.showsUsage == true)
        #expect(refusal(parseSpipedArguments(base + ["-P", "--proxy-protocol", "v2"])) == UsageError(program: .spiped))
        #expect(refusal(parseSpipedArguments(base + ["-P", "-P"])) == UsageError(program: .spiped))
        #expect(refusal(parseSpipedArguments(base + ["--proxy-protocol"]))?.diagnostic == "Missing argument to --proxy-protocol")
    }

    @Test func metricsAddress() throws {
        #expect(try parseSpipedArguments(base + ["--metrics", "[127.0.0.1]:9100"]).get().metricsAddress == "[127.0.0.1]:9100")
        #expect(refusal(parseSpipedArguments(base + ["--metrics", ""]))?.diagnostic == "Invalid argument to --metrics: empty address")
        #expect(refusal(parseSpipedArguments(base + ["--metrics", "/a", "--metrics", "/b"])) == UsageError(program: .spiped))
    }

    @Test func systemdSources() throws {
        let line = ["-d", "-t", "[127.0.0.1]:9", "-k", "/tmp/k", "-s"]
        #expect(try parseSpipedArguments(line + ["systemd"]).get().listenSource == .systemd(name: nil))
        #expect(try parseSpipedArguments(line + ["systemd:smtp"]).get().listenSource == .systemd(name: "smtp"))
        #expect(try parseSpipedArguments(line + ["systemd.example:25"]).get().listenSource == .address("systemd.example:25"))
        #expect(refusal(parseSpipedArguments(line + ["systemd:"]))?.diagnostic == "Invalid socket name in -s systemd:")
    }

    @Test func usageListsTheNewOptions() {
        let usage = Program.spiped.usageText
        #expect(usage.contains("[-P | --proxy-protocol {v1 | v2}]") && usage.contains("[--metrics <address>]"))
    }
}
