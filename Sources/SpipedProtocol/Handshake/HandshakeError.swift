// Why a handshake failed. Each case ends the connection.

/// A handshake failure; after one, the ``Handshake`` accepts no more input.
public enum HandshakeError: Error, Equatable, Sendable {
    /// The peer's y || h did not verify: a different key, or tampering.
    case badMAC
    /// The peer's y is not usable: y >= p, y = 0 or y = p - 1.
    case publicValueOutOfRange
    /// The peer sent y = 1 (it runs with `-f`) while `requirePFS` (`-g`) is set.
    case peerNotUsingPFS
    /// Input arrived after the handshake had already failed.
    case failed
}
