// Where warnings and (opt-in) connection events go: stderr, or syslog once the
// daemon has detached with --syslog. Owned by the daemon front end.
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
    /// Whether output goes to syslog instead of stderr.
    public private(set) var usesSyslog = false

    /// Creates a log writing to stderr.
    public init(programName: String, logsConnections: Bool) {
        self.programName = programName
        self.logsConnections = logsConnections
    }

    /// Switches output to syslog (after daemonizing with `--syslog`).
    public func switchToSyslog() {
        openlog(programName, LOG_PID, LOG_DAEMON)
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

    /// Records a connection event if connection logging is on.
    public func connection(_ event: ConnectionEvent) {
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
