// The choices a spiped handshake is made with: which end this is and the
// -f / -g flags. Plain values, shared freely across threads.

/// Which end of the spiped protocol this side plays.
public enum HandshakeRole: Sendable, Equatable {
    /// Opens the encrypted connection: `spiped -e` and `spipe`.
    case client
    /// Accepts the encrypted connection: `spiped -d`.
    case server
}

/// Handshake flags.
public struct HandshakeOptions: Sendable, Equatable {
    /// `-f`: send y = 1 and skip Diffie-Hellman (no forward secrecy; the
    /// session keys then depend only on K and the two nonces).
    public var fast: Bool
    /// `-g`: refuse a peer that sends y = 1 (one not doing Diffie-Hellman).
    public var requirePFS: Bool

    /// Options with forward secrecy (the default): `fast` and `requirePFS` off.
    public init(fast: Bool = false, requirePFS: Bool = false) {
        self.fast = fast
        self.requirePFS = requirePFS
    }
}
