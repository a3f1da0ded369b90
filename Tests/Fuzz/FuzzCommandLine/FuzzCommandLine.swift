// libFuzzer target: the spiped and spipe command-line parsers
// (parseSpipedArguments / parseSpipeArguments in SpipedDaemon/CLI).
//
// Input layout: byte 0 bit0 selects spipe (else spiped); the rest is argv
// without the program name, words separated by NUL bytes (argv cannot hold
// NUL), decoded as UTF-8 with repair as CommandLine.arguments does.
//
// Invariants: parsing is deterministic; a refusal has exit status 1 and a
// non-empty message (a diagnostic whenever the usage is left out); an
// accepted command line satisfies the reference's sanity checks (-e/-d, -k,
// -s, -t given, not -f with -g, timeout > 0, -r only without -R,
// --idle-timeout finite and > 0, --connect-after-handshake only with -d); and the
// accepted options, written back as a canonical command line, parse to the
// same options (round trip).
import SpipedFuzzSupport
import SpipedDaemon
import SpipedNet
import SpipedProtocol

/// Splits the input into argv words.
func words(_ bytes: ArraySlice<UInt8>) -> [String] {
    guard !bytes.isEmpty else { return [] }
    return bytes.split(separator: 0, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
}

/// Seconds written so strtod reads back exactly the same Double.
func secondsText(_ value: Double) -> String { value.description }

func checkRefusal(_ error: UsageError, _ program: Program) {
    fuzzCheck(error.program == program, "refusal for the wrong program")
    fuzzCheck(error.exitStatus == 1, "refusal exit status \(error.exitStatus)")
    fuzzCheck(!error.description.isEmpty, "empty refusal text")
    fuzzCheck(error.showsUsage || error.diagnostic != nil, "refusal with neither usage nor diagnostic")
    if error.showsUsage { fuzzCheck(error.description.hasSuffix(program.usageText), "usage text missing") }
}

func canonical(_ o: SpipedOptions) -> [String] {
    var argv = [o.mode == .encrypt ? "-e" : "-d", "-s", o.source, "-t", o.target, "-k", o.keyFile,
                "-n", String(o.maxConnections), "-o", secondsText(o.timeout)]
    if let b = o.bindAddress { argv += ["-b", b] }
    if o.waitForDNS { argv.append("-D") }
    if o.foreground { argv.append("-F") }
    if o.disableKeepAlive { argv.append("-j") }
    if o.fastHandshake { argv.append("-f") }
    if o.requirePerfectForwardSecrecy { argv.append("-g") }
    if let p = o.pidfile { argv += ["-p", p] }
    if o.disableReresolution { argv.append("-R") } else { argv += ["-r", secondsText(o.resolveInterval)] }
    if o.useSyslog { argv.append("--syslog") }
    if o.logConnections { argv.append("--log-connections") }
    if let u = o.user { argv += ["-u", u] }
    if o.targetConnect == .afterHandshake { argv.append("--connect-after-handshake") }
    if let t = o.idleTimeout { argv += ["--idle-timeout", secondsText(t)] }
    if let v = o.proxyProtocol { argv += ["--proxy-protocol", v.rawValue] }
    if let m = o.metricsAddress { argv += ["--metrics", m] }
    for file in o.acceptKeyFiles { argv += ["--accept-key", file] }
    return argv
}

func canonical(_ o: SpipeOptions) -> [String] {
    var argv = ["-t", o.target, "-k", o.keyFile, "-o", secondsText(o.timeout)]
    if let b = o.bindAddress { argv += ["-b", b] }
    if o.fastHandshake { argv.append("-f") }
    if o.requirePerfectForwardSecrecy { argv.append("-g") }
    if o.disableKeepAlive { argv.append("-j") }
    if o.logConnections { argv.append("--log-connections") }
    return argv
}

func runCommandLine(_ input: [UInt8]) {
    let isSpipe = (input.first ?? 0) & 1 != 0
    let argv = words(input.dropFirst())
    if isSpipe {
        let result = parseSpipeArguments(argv)
        fuzzCheck(result == parseSpipeArguments(argv), "spipe parsing is not deterministic")
        switch result {
        case let .failure(error):
            checkRefusal(error, .spipe)
        case let .success(o) where o.printVersion:
            var version = SpipeOptions()
            version.printVersion = true
            fuzzCheck(o == version, "-v result carries other options")
            fuzzCheck(Program.spipe.versionLine.hasPrefix("spipe "), "version line")
        case let .success(o):
            fuzzCheck(!(o.fastHandshake && o.requirePerfectForwardSecrecy), "spipe accepted -f with -g")
            fuzzCheck(o.timeout > 0, "spipe accepted timeout \(o.timeout)")
            let again = parseSpipeArguments(canonical(o))
            fuzzCheck(again == .success(o), "spipe round trip: \(argv) -> \(canonical(o)) -> \(again)")
        }
    } else {
        let result = parseSpipedArguments(argv)
        fuzzCheck(result == parseSpipedArguments(argv), "spiped parsing is not deterministic")
        switch result {
        case let .failure(error):
            checkRefusal(error, .spiped)
        case let .success(o) where o.printVersion:
            var version = SpipedOptions()
            version.printVersion = true
            fuzzCheck(o == version, "-v result carries other options")
        case let .success(o):
            fuzzCheck(!(o.fastHandshake && o.requirePerfectForwardSecrecy), "spiped accepted -f with -g")
            fuzzCheck(o.timeout > 0, "spiped accepted timeout \(o.timeout)")
            fuzzCheck(o.maxConnections >= 0, "negative connection limit")
            fuzzCheck(o.resolveInterval == 60 || !o.disableReresolution, "accepted -r with -R")
            fuzzCheck(o.effectiveResolveInterval == (o.disableReresolution ? nil : o.resolveInterval), "effectiveResolveInterval")
            fuzzCheck(o.pidfilePath == (o.pidfile ?? o.source + ".pid"), "pidfilePath")
            fuzzCheck(o.idleTimeout.map { $0 > 0 && $0.isFinite } ?? true, "accepted --idle-timeout \(String(describing: o.idleTimeout))")
            fuzzCheck(o.targetConnect == .immediately || o.mode == .decrypt, "accepted --connect-after-handshake with -e")
            fuzzCheck(o.acceptKeyFiles.isEmpty || o.mode == .decrypt, "accepted --accept-key with -e")
            fuzzCheck(1 + o.acceptKeyFiles.count <= SpipedSession.maxCandidateKeys, "accepted too many keys")
            fuzzCheck(!o.acceptKeyFiles.contains("-"), "accepted --accept-key -")
            let again = parseSpipedArguments(canonical(o))
            fuzzCheck(again == .success(o), "spiped round trip: \(argv) -> \(canonical(o)) -> \(again)")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzCommandLine(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    runCommandLine(fuzzInput(data, size))
    return 0
}

/// The process entry point SwiftPM links as `main`.
@_cdecl("FuzzCommandLine_main")
public func FuzzCommandLineMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzCommandLine($0, $1) }
}
