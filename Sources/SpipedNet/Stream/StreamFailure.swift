// Why a library connection, connect or listener failed: one case per cause,
// each with the text a user should see (address and handshake texts are the
// CLI's and the connection log's).
import SpipedProtocol

/// A failure of a library stream operation.
package enum StreamFailure: Error, Sendable, Equatable, CustomStringConvertible {
    /// The address text could not be parsed or resolved (the CLI's text).
    case address(AddressError)
    /// Every address refused the connect (errno text of the last one).
    case connectFailed(String)
    /// The connect did not complete within the timeout.
    case connectTimedOut
    /// The handshake failed (the session's reason, or the socket error).
    case handshakeFailed(String)
    /// The handshake did not finish within the timeout.
    case handshakeTimedOut
    /// The peer reset the connection.
    case reset
    /// A data packet failed authentication, or the stream ended mid-packet.
    case protocolFailure(String)
    /// Another I/O error (errno text).
    case io(String)
    /// The connection (or listener) was closed by this side.
    case closed
    /// The awaiting task was cancelled.
    case cancelled
    /// Another read (or write) is already waiting on this connection.
    case concurrentOperation(String)
    /// Binding or listening failed (the CLI's text).
    case listen(String)
    /// A system call needed for the engine failed.
    case system(String, Int32)

    package var description: String {
        switch self {
        case .address(let error): return error.description
        case .connectFailed(let text): return "Could not connect: \(text)"
        case .connectTimedOut: return "Connection timed out"
        case .handshakeFailed(let text): return "Handshake failed: \(text)"
        case .handshakeTimedOut: return "Handshake failed: timeout"
        case .reset: return "Connection reset by peer"
        case .protocolFailure(let text): return "Error reading: \(text)"
        case .io(let text): return "I/O error: \(text)"
        case .closed: return "Connection closed"
        case .cancelled: return "Cancelled"
        case .concurrentOperation(let what): return "Another \(what) is already in progress on this connection"
        case .listen(let text): return text
        case .system(let call, let code): return "\(call) failed: \(SocketCalls.errorText(code))"
        }
    }

    /// The failure for a session that ended with `reason` (not `.completed`).
    static func session(_ reason: SessionEnd) -> StreamFailure {
        if reason == .handshakeTimedOut { return .handshakeTimedOut }
        if reason.isHandshakeFailure { return .handshakeFailed(reason.description) }
        if reason == .aborted { return .closed }
        return .protocolFailure(reason.description)
    }
}
