// The one error type the Spiped API throws (besides CancellationError for a
// cancelled task). Each case says what happened in the words the spiped
// command line and connection log use.
import SpipedNet

/// Why a connect, listen, read, write or pipe failed.
public enum SpipedError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The address text could not be parsed or resolved; the text is the one
    /// `spiped` prints (for example `Address must contain port number: host`).
    case invalidAddress(String)
    /// No address of the target accepted the connection (the system's reason).
    case connectFailed(String)
    /// The connect did not complete within the timeout.
    case connectTimedOut
    /// The handshake was refused or broke off; the reason is the session's
    /// (`bad MAC (wrong key?)`, `connection closed by peer`, ...).
    case handshakeFailed(String)
    /// The handshake did not complete within the timeout.
    case handshakeTimedOut
    /// The peer reset the connection.
    case connectionReset
    /// The peer's data failed authentication or ended mid-packet.
    case protocolFailure(String)
    /// Another I/O error (the system's reason).
    case ioFailed(String)
    /// The connection or listener was closed by this side (or the stream was
    /// shut for writing before this write).
    case closed
    /// A second read (or write) was started while one was still waiting.
    case concurrentOperation(String)
    /// The listening socket could not be set up (`Error binding socket: ...`).
    case listenFailed(String)
    /// The engine could not get a system resource (epoll, a thread).
    case systemFailure(String)

    /// A readable description of the failure.
    public var description: String {
        switch self {
        case .invalidAddress(let text): return text
        case .connectFailed(let text): return "Could not connect: \(text)"
        case .connectTimedOut: return "Connection timed out"
        case .handshakeFailed(let text): return "Handshake failed: \(text)"
        case .handshakeTimedOut: return "Handshake failed: timeout"
        case .connectionReset: return "Connection reset by peer"
        case .protocolFailure(let text): return "Error reading: \(text)"
        case .ioFailed(let text): return "I/O error: \(text)"
        case .closed: return "Connection closed"
        case .concurrentOperation(let what): return "Another \(what) is already in progress on this connection"
        case .listenFailed(let text): return text
        case .systemFailure(let text): return text
        }
    }

    init(_ failure: StreamFailure) {
        switch failure {
        case .address(let error): self = .invalidAddress(error.description)
        case .connectFailed(let text): self = .connectFailed(text)
        case .connectTimedOut: self = .connectTimedOut
        case .handshakeFailed(let text): self = .handshakeFailed(text)
        case .handshakeTimedOut: self = .handshakeTimedOut
        case .reset: self = .connectionReset
        case .protocolFailure(let text): self = .protocolFailure(text)
        case .io(let text): self = .ioFailed(text)
        case .closed, .cancelled: self = .closed
        case .concurrentOperation(let what): self = .concurrentOperation(what)
        case .listen(let text): self = .listenFailed(text)
        case .system: self = .systemFailure(failure.description)
        }
    }
}

/// Runs `body`, turning the engine's failures into ``SpipedError`` (a
/// cancelled task's CancellationError passes through).
func translatingFailures<T>(_ body: () async throws -> T) async throws -> T {
    do {
        return try await body()
    } catch let failure as StreamFailure {
        throw SpipedError(failure)
    }
}
