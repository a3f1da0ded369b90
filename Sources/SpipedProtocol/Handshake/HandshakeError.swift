// Why a handshake failed. Each case ends the connection; each has the one
// description the logs and spipe print.

/// A handshake failure; after one, the handshake accepts no more input.
public enum HandshakeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The peer's y || h did not verify: a different key, or tampering.
    case badMAC
    /// The peer's y is not usable: y >= p, y = 0 or y = p - 1.
    case publicValueOutOfRange
    /// The peer sent y = 1 (it runs with `-f`) while `requirePFS` (`-g`) is set.
    case peerNotUsingPFS
    /// Input arrived after the handshake had already failed.
    case failed

    public var description: String {
        switch self {
        case .badMAC: return "bad MAC (wrong key?)"
        case .publicValueOutOfRange: return "Diffie-Hellman value out of range"
        case .peerNotUsingPFS: return "peer not using perfect forward secrecy (-g)"
        case .failed: return "handshake already failed"
        }
    }
}
