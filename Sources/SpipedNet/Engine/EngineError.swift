// Failures to set the engine up (before any connection is served). Once
// running, the engine never throws: per-connection problems drop that
// connection and accept problems pause accepting.
import SpipedProtocol

/// Why a `ProxyEngine` could not be created or started.
public enum EngineError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A system call failed (`call` names it; `code` is errno).
    case system(String, Int32)
    /// The target could not be resolved at start.
    case targetResolution(String)
    /// More keys than a handshake takes (`SpipedSession.maxCandidateKeys`).
    case tooManyKeys(Int)

    /// A readable reason.
    public var description: String {
        switch self {
        case let .system(call, code): return "\(call) failed: \(SocketCalls.errorText(code))"
        case let .targetResolution(text): return "Error resolving target: \(text)"
        case let .tooManyKeys(count): return "\(count) keys given; at most \(SpipedSession.maxCandidateKeys) are accepted"
        }
    }
}
