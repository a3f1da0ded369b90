// Where warnings and (opt-in) connection events go: stderr, or syslog once the
// daemon has detached with --syslog (with -F, from the start). Every
// connection event also goes to the metrics registry when --metrics is on,
// whether or not --log-connections is. Owned by the daemon front end.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SpipedProtocol

/// The daemon's output sink for warnings and connection events.
public final class EventLog: @unchecked Sendable {
    /// The program name used as the message prefix (`spiped`, `spipe`).
    public let programName: String
    /// Whether connection events are written (the `--log-connections` option).
    public let logsConnections: Bool
    /// The counters behind `--metrics`, fed every connection event; nil without it.
    public let metrics: MetricsRegistry?
    /// Whether output goes to syslog instead of stderr.
    public private(set) var usesSyslog = false
    /// The ident handed to openlog(3), which keeps the pointer; never freed.
    private var syslogIdent: UnsafeMutablePointer<CChar>?

    /// Creates a log writing to stderr.
    public init(programName: String, logsConnections: Bool, metrics: MetricsRegistry? = nil) {
        self.programName = programName
        self.logsConnections = logsConnections
        self.metrics = metrics
    }

    /// Switches output to syslog (`--syslog`: after daemonizing, or at once with `-F`).
    /// Called before any thread exists; later calls do nothing.
    public func switchToSyslog() {
        guard !usesSyslog else { return }
        // openlog keeps the ident pointer (it does not copy the text), so it
        // must outlive every syslog call: a copy that lives as long as the process.
        syslogIdent = strdup(programName)
        openlog(syslogIdent, LOG_PID, LOG_DAEMON)
        usesSyslog = true
    }

    /// Writes a warning, formatted like the reference: `spiped: <message>`.
    public func warning(_ message: String) {
        if usesSyslog {
            message.withCString { msg in withVaList([msg]) { vsyslog(LOG_WARNING, "%s", $0) } }
        } else {
            // One write(2) per line so lines from concurrent writers do not interleave.
            var line = Array("\(programName): \(message)\n".utf8)
            line.withUnsafeMutableBytes { _ = write(STDERR_FILENO, $0.baseAddress, $0.count) }
        }
    }

    /// Counts a connection event (with --metrics) and logs it if connection logging is on.
    public func connection(_ event: ConnectionEvent) {
        metrics?.record(event)
        guard logsConnections else { return }
        warning(Self.format(event))
    }

    /// The one-line text for an event.
    public static func format(_ event: ConnectionEvent) -> String {
        switch event {
        case let .accepted(id, peer):
            return "connection \(id): accepted from \(peer)"
        case let .targetConnectFailed(id, target, reason):
            return "connection \(id): connecting to target \(target) failed: \(reason)"
        case let .handshakeFailed(id, reason):
            return "connection \(id): handshake failed: \(describe(reason))"
        case let .packetAuthenticationFailed(id):
            return "connection \(id): packet authentication failed"
        case let .closed(id, fromSource, fromTarget, seconds):
            let s = (seconds * 1000).rounded() / 1000
            return "connection \(id): closed after \(s) s, \(fromSource) bytes from source, \(fromTarget) bytes from target"
        case let .idleTimeout(id, seconds):
            return "connection \(id): idle for \((seconds * 1000).rounded() / 1000) s; closing"
        case let .connectionLimitReached(limit):
            return "connection limit (\(limit)) reached; not accepting until a connection closes"
        }
    }

    private static func describe(_ reason: HandshakeFailureReason) -> String {
        switch reason {
        case .timeout: return "timeout"
        case .badMAC: return HandshakeError.badMAC.description
        case .publicValueOutOfRange: return HandshakeError.publicValueOutOfRange.description
        case .peerNotUsingPFS: return HandshakeError.peerNotUsingPFS.description
        case .closedByPeer: return SessionEnd.closedDuringHandshake.description
        case let .other(text): return text
        }
    }
}
