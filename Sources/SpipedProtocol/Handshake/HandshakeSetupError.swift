// Why a handshake (or session) could not be created from the arguments it
// was given: programming or configuration mistakes, never something a peer
// sent. One check, used by Handshake and SpipedSession alike.

/// A handshake refused at creation.
public enum HandshakeSetupError: Error, Equatable, Sendable, CustomStringConvertible {
    /// `fast` (`-f`, no Diffie-Hellman) together with `requirePFS` (`-g`):
    /// the session would have no forward secrecy while promising it.
    case fastWithRequirePFS
    /// No candidate key.
    case noKeys
    /// More than ``SpipedSession/maxCandidateKeys`` candidate keys.
    case tooManyKeys
    /// A client was given several keys; it can only use one.
    case clientTakesOneKey

    public var description: String {
        switch self {
        case .fastWithRequirePFS: return "fast handshake (-f) cannot require forward secrecy (-g)"
        case .noKeys: return "no key given"
        case .tooManyKeys: return "more than \(SpipedSession.maxCandidateKeys) keys given"
        case .clientTakesOneKey: return "a client uses exactly one key"
        }
    }

    /// Throws the first problem with these arguments, if any.
    static func check(role: HandshakeRole, keyCount: Int, options: HandshakeOptions) throws(HandshakeSetupError) {
        // -f gives up forward secrecy, -g demands it: an early sealer would break the promise.
        if options.fast && options.requirePFS { throw .fastWithRequirePFS }
        guard keyCount > 0 else { throw .noKeys }
        guard keyCount <= SpipedSession.maxCandidateKeys else { throw .tooManyKeys }
        if role == .client && keyCount != 1 { throw .clientTakesOneKey }
    }
}
