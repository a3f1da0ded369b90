// The spiped command line: every option of the reference 1.6.4 plus the
// opt-in options of this implementation (`--log-connections`,
// `--connect-after-handshake`, `--idle-timeout`, `-P` / `--proxy-protocol`,
// `--metrics`, `-s systemd[:NAME]`, `--syslog` with -F, and `--accept-key`,
// the one option that may be repeated: `-d` only, at most
// SpipedSession.maxCandidateKeys keys with `-k`, never standard input),
// parsed by a pure function so tests need no process.
// Order of checks, defaults and quirks follow the reference: each option at
// most once (a repeat is refused when it is reached), `-v` prints the version
// as soon as it is reached, malformed numbers are reported without the usage,
// missing required options and -f with -g give the usage; `-o 0` and `-r 0`
// mean the defaults, and `-R` is accepted together with `-r 60`.
import SpipedNet

import SpipedProtocol

/// Everything the spiped command line says.
package struct SpipedOptions: Sendable, Equatable {
    /// Which way the daemon works.
    package enum Mode: Sendable, Equatable {
        /// `-e`: plaintext in on the source, encrypted out to the target (protocol client).
        case encrypt
        /// `-d`: encrypted in on the source, plaintext out to the target (protocol server).
        case decrypt
    }

    /// True when `-v` was given: print the version and exit 0; nothing else is set.
    package var printVersion = false
    /// `-e` or `-d`.
    package var mode: Mode = .encrypt
    /// `-s`: the address to listen on.
    package var source = ""
    /// `-t`: the address to connect to.
    package var target = ""
    /// `-k`: the key file, `-` for standard input.
    package var keyFile = ""
    /// `--accept-key`: further key files a `-d` server accepts clients with, in order.
    package var acceptKeyFiles: [String] = []
    /// `-b`: local address for outgoing connections.
    package var bindAddress: String?
    /// `-D`: daemonize first, then retry failed DNS look-ups until they succeed.
    package var waitForDNS = false
    /// `-F`: stay in the foreground.
    package var foreground = false
    /// `-j`: no SO_KEEPALIVE.
    package var disableKeepAlive = false
    /// `-f`: fast handshake (no Diffie-Hellman).
    package var fastHandshake = false
    /// `-g`: refuse peers using `-f`.
    package var requirePerfectForwardSecrecy = false
    /// `-n`: simultaneous connection limit; 0 means no limit. Default 100.
    package var maxConnections = 100
    /// `-o`: seconds for the target connect and for the handshake. Default 5.
    package var timeout = 5.0
    /// `-p`: the pidfile, if given (see `pidfilePath`).
    package var pidfile: String?
    /// `-r`: seconds between target re-resolutions. Default 60.
    package var resolveInterval = 60.0
    /// `-R`: never re-resolve the target.
    package var disableReresolution = false
    /// `--syslog`: warnings to syslog after daemonizing (with `-F`, from the start).
    package var useSyslog = false
    /// `--log-connections`: one log line per connection event.
    package var logConnections = false
    /// `-u`: `user`, `:group` or `user:group` to switch to after binding.
    package var user: String?
    /// `--connect-after-handshake` (-d only): reach the target only once the client's
    /// handshake message has verified.
    package var targetConnect = TargetConnectTiming.immediately
    /// `--idle-timeout`: close a connection after this many seconds with no byte moved.
    package var idleTimeout: Double?
    /// `-P` / `--proxy-protocol v1|v2`: write a PROXY protocol header into the
    /// outgoing plaintext stream; nil (the default) writes none.
    package var proxyProtocol: ProxyProtocolVersion?
    /// `--metrics`: the address serving `GET /metrics`; nil serves nothing.
    package var metricsAddress: String?

    /// Creates the defaults.
    package init() {}

    /// The pidfile to write when daemonizing: `-p`, else `<source>.pid`.
    package var pidfilePath: String { pidfile ?? source + ".pid" }

    /// The re-resolution interval to use, nil when the target is never re-resolved.
    package var effectiveResolveInterval: Double? { disableReresolution ? nil : resolveInterval }

    /// Where the listening socket comes from, as `-s` says.
    package var listenSource: ListenSource { ListenSource(sourceText: source) }
}

/// What `-s` names: an address to bind, or a socket the service manager passes.
package enum ListenSource: Sendable, Equatable {
    /// An address in the usual syntax, bound by the daemon.
    case address(String)
    /// `systemd` (the only passed socket) or `systemd:NAME` (the one named
    /// NAME by `FileDescriptorName=`): socket activation, nothing is bound.
    case systemd(name: String?)

    /// The spelling that selects socket activation.
    package static let systemdKeyword = "systemd"

    /// Reads `-s`'s text. `systemd` and `systemd:NAME` are never addresses
    /// (a bare word has no port; a host called "systemd" is written by address).
    package init(sourceText text: String) {
        if text == Self.systemdKeyword {
            self = .systemd(name: nil)
        } else if text.hasPrefix(Self.systemdKeyword + ":") {
            self = .systemd(name: String(text.dropFirst(Self.systemdKeyword.count + 1)))
        } else {
            self = .address(text)
        }
    }
}

/// The options spiped understands.
let spipedOptionDeclarations: [OptionDeclaration] = [
    .init(name: "-b", takesArgument: true), .init(name: "-d", takesArgument: false),
    .init(name: "-D", takesArgument: false), .init(name: "-e", takesArgument: false),
    .init(name: "-f", takesArgument: false), .init(name: "-F", takesArgument: false),
    .init(name: "-g", takesArgument: false), .init(name: "-j", takesArgument: false),
    .init(name: "-k", takesArgument: true), .init(name: "-n", takesArgument: true),
    .init(name: "-o", takesArgument: true), .init(name: "-p", takesArgument: true),
    .init(name: "-r", takesArgument: true), .init(name: "-R", takesArgument: false),
    .init(name: "-s", takesArgument: true), .init(name: "--syslog", takesArgument: false),
    .init(name: "--log-connections", takesArgument: false),
    .init(name: "--connect-after-handshake", takesArgument: false),
    .init(name: "--idle-timeout", takesArgument: true),
    .init(name: "-P", takesArgument: false), .init(name: "--proxy-protocol", takesArgument: true),
    .init(name: "--metrics", takesArgument: true),
    .init(name: "--accept-key", takesArgument: true),
    .init(name: "-t", takesArgument: true), .init(name: "-u", takesArgument: true),
    .init(name: "-v", takesArgument: false),
]

/// Parses spiped's arguments (without the program name).
///
/// Returns the options (with `printVersion` set for `-v`) or the refusal to
/// print; never touches the file system or the network.
package func parseSpipedArguments(_ arguments: [String]) -> Result<SpipedOptions, UsageError> {
    var options = SpipedOptions()
    var seen = Set<String>()
    var scanner = ArgumentScanner(arguments: arguments, options: spipedOptionDeclarations)
    let usage = UsageError(program: .spiped)

    while let scanned = scanner.next() {
        let name: String, argument: String?
        switch scanned {
        case let .option(n, a): (name, argument) = (n, a)
        case let .missingArgument(n): return .failure(UsageError(program: .spiped, diagnostic: "Missing argument to \(n)"))
        case let .illegal(n): return .failure(UsageError(program: .spiped, diagnostic: "illegal option -- \(n)"))
        }
        // -e and -d exclude each other exactly like a repeat does; so do -P and --proxy-protocol.
        let key: String
        switch name {
        case "-e", "-d": key = "-e/-d"
        case "-P", "--proxy-protocol": key = "-P/--proxy-protocol"
        default: key = name
        }
        // --accept-key is the one option that may be repeated.
        if name != "-v" && name != "--accept-key" {
            if seen.contains(key) { return .failure(usage) }
            seen.insert(key)
        }
        let value = argument ?? ""
        switch name {
        case "-b": options.bindAddress = value
        case "-d": options.mode = .decrypt
        case "-e": options.mode = .encrypt
        case "-D": options.waitForDNS = true
        case "-f": options.fastHandshake = true
        case "-F": options.foreground = true
        case "-g": options.requirePerfectForwardSecrecy = true
        case "-j": options.disableKeepAlive = true
        case "-k": options.keyFile = value
        case "-n":
            switch NumberArgument.unsignedCount(value) {
            case let .success(n): options.maxConnections = n > UInt64(Int.max) ? 0 : Int(n)
            case let .failure(error): return .failure(malformed(.spiped, name, value, error))
            }
        case "-o":
            switch NumberArgument.seconds(value) {
            case let .success(s): options.timeout = s
            case let .failure(error): return .failure(malformed(.spiped, name, value, error))
            }
        case "-p": options.pidfile = value
        case "-r":
            switch NumberArgument.seconds(value) {
            case let .success(s): options.resolveInterval = s
            case let .failure(error): return .failure(malformed(.spiped, name, value, error))
            }
        case "-R": options.disableReresolution = true
        case "-s": options.source = value
        case "--syslog": options.useSyslog = true
        case "--log-connections": options.logConnections = true
        case "-P": options.proxyProtocol = .v1
        case "--proxy-protocol":
            guard let version = ProxyProtocolVersion(rawValue: value) else {
                return .failure(UsageError(program: .spiped,
                                           diagnostic: "Invalid argument to --proxy-protocol: \(value) (expected v1 or v2)"))
            }
            options.proxyProtocol = version
        case "--metrics":
            guard !value.isEmpty else {
                return .failure(UsageError(program: .spiped, diagnostic: "Invalid argument to --metrics: empty address"))
            }
            options.metricsAddress = value
        case "--connect-after-handshake": options.targetConnect = .afterHandshake
        case "--idle-timeout":
            switch NumberArgument.seconds(value) {
            case let .success(s) where s > 0 && s.isFinite: options.idleTimeout = s
            case .success: return .failure(UsageError(program: .spiped, diagnostic: "--idle-timeout \(value): needs a number of seconds greater than 0"))
            case let .failure(error): return .failure(malformed(.spiped, name, value, error))
            }
        case "--accept-key":
            guard value != "-" else {
                return .failure(UsageError(program: .spiped, diagnostic: "--accept-key cannot read standard input; give a file"))
            }
            options.acceptKeyFiles.append(value)
        case "-t": options.target = value
        case "-u": options.user = value
        case "-v":
            var version = SpipedOptions()
            version.printVersion = true
            return .success(version)
        default: return .failure(usage)
        }
    }
    guard scanner.remainingOperands.isEmpty else { return .failure(usage) }

    // Defaults for zero values, as the reference sets them.
    if options.timeout == 0 { options.timeout = 5 }
    if options.resolveInterval == 0 { options.resolveInterval = 60 }

    // Sanity checks, in the reference's order; each failure prints the usage.
    guard seen.contains("-e/-d"),
          !(options.fastHandshake && options.requirePerfectForwardSecrecy),
          seen.contains("-k"),
          options.timeout > 0,
          !(options.resolveInterval != 60 && options.disableReresolution),
          // strtod reads "nan": -o nan fails `timeout > 0` above, as in C; C runs with
          // -r nan, we refuse it (a NaN interval trapped in an integer conversion; found by fuzzing).
          !options.resolveInterval.isNaN,
          seen.contains("-s"),
          seen.contains("-t")
    else { return .failure(usage) }
    if options.targetConnect == .afterHandshake && options.mode == .encrypt {
        return .failure(UsageError(program: .spiped, diagnostic: "--connect-after-handshake needs -d: -e must reach its target to start the handshake"))
    }
    if case .systemd(name: let name?) = options.listenSource, name.isEmpty || name.contains(":") {
        // FileDescriptorName= allows neither; an empty one would match nothing.
        return .failure(UsageError(program: .spiped, diagnostic: "Invalid socket name in -s \(options.source)"))
    }
    if !options.acceptKeyFiles.isEmpty && options.mode == .encrypt {
        return .failure(UsageError(program: .spiped, diagnostic: "--accept-key is for -d (the server) only"))
    }
    if 1 + options.acceptKeyFiles.count > maxSpipedKeys {
        return .failure(UsageError(program: .spiped,
                                   diagnostic: "Too many keys: at most \(maxSpipedKeys) in all (-k and --accept-key)"))
    }
    return .success(options)
}

/// Most keys `-k` and `--accept-key` may name together (one handshake's candidates).
let maxSpipedKeys = SpipedSession.maxCandidateKeys

/// The reference's message for a number it cannot read: no usage follows.
func malformed(_ program: Program, _ option: String, _ value: String, _ error: SystemError) -> UsageError {
    UsageError(program: program, diagnostic: "Error parsing argument: \(option) \(value): \(error)", showsUsage: false)
}
