// What spipe needs: the key and handshake options, the resolved target,
// and the socket options, as decided by the spipe command line.
import SpipedProtocol

/// How `SpipeClient` connects (one `spipe` invocation).
public struct SpipeConfiguration: Sendable {
    /// The shared key.
    public var key: SpipedKey
    /// Fast (`-f`) / require perfect forward secrecy (`-g`).
    public var handshake: HandshakeOptions
    /// The resolved target addresses, tried in order.
    public var target: [SocketAddress]
    /// The target as given on the command line, for messages.
    public var targetText: String
    /// Local address for the outgoing connection (`-b`).
    public var bindAddress: SocketAddress?
    /// SO_KEEPALIVE (true unless `-j`).
    public var keepAlive: Bool
    /// Seconds allowed for the connect and, separately, for the handshake (`-o`, default 5).
    public var timeout: Double
    /// Where error messages go (`spipe: ...`).
    public var log: EventLog

    /// Creates a configuration; defaults are the reference's.
    public init(key: SpipedKey,
                handshake: HandshakeOptions,
                target: [SocketAddress],
                targetText: String,
                bindAddress: SocketAddress? = nil,
                keepAlive: Bool = true,
                timeout: Double = 5,
                log: EventLog = EventLog(programName: "spipe", logsConnections: false)) {
        self.key = key
        self.handshake = handshake
        self.target = target
        self.targetText = targetText
        self.bindAddress = bindAddress
        self.keepAlive = keepAlive
        self.timeout = timeout
        self.log = log
    }
}
