// What the accepting loop hands to the loop that will serve a connection.

/// A freshly accepted source socket on its way to its event loop.
struct AcceptedSocket: Sendable {
    /// The accepted descriptor (non-blocking, close-on-exec).
    var fd: Int32
    /// The connection number for logs.
    var id: UInt64
    /// When it was accepted (monotonic nanoseconds).
    var acceptedAt: UInt64
    /// The peer address text, only computed when connection logging is on.
    var peer: String?
}
