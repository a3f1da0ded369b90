// The events the opt-in connection log (--log-connections) reports. The engine
// produces them; EventLog (Log/EventLog.swift) decides whether and where they go.
// Never put key material or plaintext in an event.
import SpipedProtocol

/// Why a handshake failed, as reported in the connection log.
public enum HandshakeFailureReason: Sendable, Equatable {
    case timeout, badMAC, publicValueOutOfRange, peerNotUsingPFS, closedByPeer, other(String)
}

extension HandshakeFailureReason {
    /// The log's reason for a session that ended during its handshake.
    init(_ end: SessionEnd) {
        switch end {
        case .handshakeRefused(.badMAC): self = .badMAC
        case .handshakeRefused(.publicValueOutOfRange): self = .publicValueOutOfRange
        case .handshakeRefused(.peerNotUsingPFS): self = .peerNotUsingPFS
        case .handshakeTimedOut: self = .timeout
        case .closedDuringHandshake: self = .closedByPeer
        default: self = .other(end.description)
        }
    }
}

/// One loggable event in a connection's life.
public enum ConnectionEvent: Sendable {
    /// A connection was accepted on the source socket.
    case accepted(id: UInt64, peer: String)
    /// Connecting to the target failed (`reason` is the errno text or "timeout").
    case targetConnectFailed(id: UInt64, target: String, reason: String)
    /// The handshake failed.
    case handshakeFailed(id: UInt64, reason: HandshakeFailureReason)
    /// A data packet failed authentication (bad MAC or bad length).
    case packetAuthenticationFailed(id: UInt64)
    /// The connection closed; byte counts are plaintext bytes.
    case closed(id: UInt64, bytesFromSource: UInt64, bytesFromTarget: UInt64, seconds: Double)
    /// No byte moved either way for `seconds` (`--idle-timeout`); the connection closes.
    case idleTimeout(id: UInt64, seconds: Double)
    /// The -n limit was reached; accepting pauses.
    case connectionLimitReached(limit: Int)
}
