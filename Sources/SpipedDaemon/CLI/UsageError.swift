// Why a command line was refused, and the exact text the reference prints for
// it: an optional one-line diagnostic (`spiped: illegal option -- -x`), then
// the usage text unless the problem was a malformed number. Every refusal
// exits with status 1, as in the reference.
import SpipedNet

/// Which program's command line is being parsed (selects usage text and prefix).
package enum Program: String, Sendable, Equatable {
    /// The daemon.
    case spiped
    /// The stdin/stdout client.
    case spipe

    /// The usage text: the reference 1.6.4's (Debian's 1.6.2 text plus `-b`),
    /// with this implementation's options added (`-s systemd[:<name>]` is in the man page).
    package var usageText: String {
        switch self {
        case .spiped:
            return """
                usage: spiped {-e | -d} -s <source socket> -t <target socket> [-b <bind address>] -k <key file>
                    [-DFj] [-f | -g] [-n <max # connections>] [-o <connection timeout>]
                    [-p <pidfile>] [-r <rtime> | -R] [--syslog] [--log-connections]
                    [-u {<username> | <:groupname> | <username:groupname>}]
                    [--connect-after-handshake] [--idle-timeout <seconds>]
                    [-P | --proxy-protocol {v1 | v2}] [--metrics <address>]
                    [--accept-key <key file> (-d only, repeatable; 8 keys in all)]
                       spiped -v

                """
        case .spipe:
            return """
                usage: spipe -t <target socket> -k <key file> [-b <bind address>] [-f | -g] [-j]
                    [-o <connection timeout>] [--log-connections]
                       spipe -v

                """
        }
    }

    /// The version line `-v` prints (to standard error, as the reference does).
    package var versionLine: String { "\(rawValue) \(spipedVersion)\n" }
}

/// The version this implementation reports; it follows the reference release
/// whose command line and behaviour it reproduces.
package let spipedVersion = "1.6.4"

/// A refused command line.
package struct UsageError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The program whose command line this is.
    package let program: Program
    /// A diagnostic printed before the usage (without the `spiped: ` prefix), if any.
    package let diagnostic: String?
    /// Whether the usage text follows (false only for malformed numbers).
    package let showsUsage: Bool

    /// Creates a refusal.
    package init(program: Program, diagnostic: String? = nil, showsUsage: Bool = true) {
        self.program = program
        self.diagnostic = diagnostic
        self.showsUsage = showsUsage
    }

    /// The exit status for a refused command line.
    package var exitStatus: Int32 { 1 }

    /// Everything to write to standard error.
    package var description: String {
        var text = ""
        if let diagnostic { text += "\(program.rawValue): \(diagnostic)\n" }
        if showsUsage { text += program.usageText }
        return text
    }
}
