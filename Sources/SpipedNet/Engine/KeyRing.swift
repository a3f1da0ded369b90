// The keys a running engine hands to new connections, replaceable while it
// runs (SIGHUP). A connection takes a snapshot when it starts its handshake
// and keeps it: a replacement never touches a connection already under way.
//
// Guarantees: the ordered list (first = `-k`; a server also accepts the
// rest) is never empty and holds at most SpipedSession.maxCandidateKeys keys;
// reads and replacements are atomic with respect to each other (a
// fork-safe pthread mutex, see ForkSafeLock.swift); an old list is released,
// and its keys wiped by SpipedKey, when the last connection using it ends.
import SpipedProtocol

/// The current key list of an engine.
final class KeyRing: Sendable {
    private let keys: ForkSafeLock<[SpipedKey]>

    /// Starts with `initial` (must not be empty).
    init(_ initial: [SpipedKey]) {
        keys = ForkSafeLock(initial)
    }

    /// The keys for a new connection, in order of preference.
    func snapshot() -> [SpipedKey] {
        keys.withLock { $0 }
    }

    /// Replaces the list for connections that start from now on. An empty
    /// or oversized list is refused (false) and the old one kept.
    @discardableResult
    func replace(with new: [SpipedKey]) -> Bool {
        guard !new.isEmpty, new.count <= SpipedSession.maxCandidateKeys else { return false }
        keys.withLock { $0 = new }
        return true
    }
}
