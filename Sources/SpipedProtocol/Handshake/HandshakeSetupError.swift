// Why a Handshake could not be created from the arguments it was given:
// programming or configuration mistakes, never something a peer sent.

/// A handshake refused at creation (``Handshake/init(role:candidateKeys:options:random:)``).
public enum HandshakeSetupError: Error, Equatable, Sendable {
    /// `fast` (`-f`, no Diffie-Hellman) together with `requirePFS` (`-g`):
    /// the session would have no forward secrecy while promising it.
    case fastWithRequirePFS
    /// No candidate key.
    case noKeys
    /// More than ``Handshake/maxCandidateKeys`` candidate keys.
    case tooManyKeys
    /// A client was given several keys; it can only use one.
    case clientTakesOneKey
}
