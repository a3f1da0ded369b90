// The spipe command line: the reference 1.6.4's options (-t -k -b -f -g -j -o
// -v) plus `--log-connections`, parsed by a pure function with the same rules
// as spiped's (each option once, -v at once, numbers as the C library reads
// them, usage and status 1 on any refusal).
import SpipedNet

/// Everything the spipe command line says.
package struct SpipeOptions: Sendable, Equatable {
    /// True when `-v` was given: print the version and exit 0; nothing else is set.
    package var printVersion = false
    /// `-t`: the spiped daemon to connect to.
    package var target = ""
    /// `-k`: the key file, `-` for standard input.
    package var keyFile = ""
    /// `-b`: local address for the outgoing connection.
    package var bindAddress: String?
    /// `-f`: fast handshake (no Diffie-Hellman).
    package var fastHandshake = false
    /// `-g`: refuse a daemon using `-f`.
    package var requirePerfectForwardSecrecy = false
    /// `-j`: no SO_KEEPALIVE.
    package var disableKeepAlive = false
    /// `-o`: seconds for the connect and for the handshake. Default 5.
    package var timeout = 5.0
    /// `--log-connections`: log the connection's events to standard error.
    package var logConnections = false

    /// Creates the defaults.
    package init() {}
}

/// The options spipe understands.
let spipeOptionDeclarations: [OptionDeclaration] = [
    .init(name: "-b", takesArgument: true), .init(name: "-f", takesArgument: false),
    .init(name: "-g", takesArgument: false), .init(name: "-j", takesArgument: false),
    .init(name: "-k", takesArgument: true), .init(name: "-o", takesArgument: true),
    .init(name: "-t", takesArgument: true), .init(name: "-v", takesArgument: false),
    .init(name: "--log-connections", takesArgument: false),
]

/// Parses spipe's arguments (without the program name).
package func parseSpipeArguments(_ arguments: [String]) -> Result<SpipeOptions, UsageError> {
    var options = SpipeOptions()
    var seen = Set<String>()
    var scanner = ArgumentScanner(arguments: arguments, options: spipeOptionDeclarations)
    let usage = UsageError(program: .spipe)

    while let scanned = scanner.next() {
        let name: String, argument: String?
        switch scanned {
        case let .option(n, a): (name, argument) = (n, a)
        case let .missingArgument(n): return .failure(UsageError(program: .spipe, diagnostic: "Missing argument to \(n)"))
        case let .illegal(n): return .failure(UsageError(program: .spipe, diagnostic: "illegal option -- \(n)"))
        }
        if name != "-v" {
            if seen.contains(name) { return .failure(usage) }
            seen.insert(name)
        }
        let value = argument ?? ""
        switch name {
        case "-b": options.bindAddress = value
        case "-f": options.fastHandshake = true
        case "-g": options.requirePerfectForwardSecrecy = true
        case "-j": options.disableKeepAlive = true
        case "-k": options.keyFile = value
        case "-o":
            switch NumberArgument.seconds(value) {
            case let .success(s): options.timeout = s
            case let .failure(error): return .failure(malformed(.spipe, name, value, error))
            }
        case "-t": options.target = value
        case "--log-connections": options.logConnections = true
        case "-v":
            var version = SpipeOptions()
            version.printVersion = true
            return .success(version)
        default: return .failure(usage)
        }
    }
    guard scanner.remainingOperands.isEmpty else { return .failure(usage) }
    if options.timeout == 0 { options.timeout = 5 }
    guard !(options.fastHandshake && options.requirePerfectForwardSecrecy),
          seen.contains("-k"),
          options.timeout > 0,
          seen.contains("-t")
    else { return .failure(usage) }
    return .success(options)
}
