// Why a spiped session ended: the one record of it that the connection log,
// spipe's messages and metrics all read.
//
// Guarantees: every way a SpipedSession can end maps to exactly one case,
// and each case has exactly one description (the words the logs print).

/// Why a ``SpipedSession`` ended.
public enum SessionEnd: Sendable, Equatable, CustomStringConvertible {
    /// Both directions finished cleanly (each side's input ended at a packet boundary).
    case completed
    /// The peer's handshake message was refused.
    case handshakeRefused(HandshakeError)
    /// The handshake did not finish before its deadline.
    case handshakeTimedOut
    /// The peer's input ended before the handshake finished.
    case closedDuringHandshake
    /// A data packet failed authentication or carried a bad length.
    case packetRejected(PacketError)
    /// The peer's input ended in the middle of a packet (a damaged stream).
    case truncated
    /// Too many packets for one direction (the 64-bit packet counter is exhausted).
    case packetLimitReached
    /// No randomness could be had for the handshake (the kernel refused).
    case randomnessUnavailable
    /// No byte moved either way for the idle timeout (the transport's clock decides).
    case idleTimeout
    /// The session's own arguments were refused (e.g. -f with -g, no key).
    case setupRefused(HandshakeSetupError)
    /// The transport closed it: an I/O error, a reset, or the application's decision.
    case aborted

    /// Whether the session ended during (or because of) the handshake.
    public var isHandshakeFailure: Bool {
        switch self {
        case .handshakeRefused, .handshakeTimedOut, .closedDuringHandshake, .randomnessUnavailable, .setupRefused: return true
        default: return false
        }
    }

    public var description: String {
        switch self {
        case .completed: return "completed"
        case .handshakeRefused(let error): return error.description
        case .handshakeTimedOut: return "timeout"
        case .closedDuringHandshake: return "connection closed by peer"
        case .packetRejected: return "packet authentication failed"
        case .truncated: return "connection ended mid-packet"
        case .packetLimitReached: return "packet limit reached"
        case .randomnessUnavailable: return "no randomness available"
        case .idleTimeout: return "idle timeout"
        case .setupRefused(let error): return error.description
        case .aborted: return "aborted"
        }
    }
}
