// Everything a running spiped daemon needs to serve connections, as decided by
// the command line (front end) and handed to ProxyEngine. Plain data: the
// engine copies it into every loop.
import SpipedProtocol

/// When `spiped -d` opens its connection to the target.
public enum TargetConnectTiming: Sendable, Equatable {
    /// As soon as a client connects, alongside the handshake (the reference's behaviour).
    case immediately
    /// Only once the client's handshake message has verified
    /// (`--connect-after-handshake`): a peer without the key never reaches the target.
    case afterHandshake
}

/// Who else holds the listening socket, which decides how shutdown stops accepting.
public enum ListenerOwnership: Sendable, Equatable {
    /// Bound by the daemon: on SIGTERM it is shut down, so new connects are refused at once.
    case owned
    /// Passed by a service manager (`-s systemd`), which keeps it open across restarts:
    /// on SIGTERM the daemon only stops accepting, and new connects wait in the
    /// backlog for the next instance.
    case shared
}

/// How a `ProxyEngine` serves connections (one `spiped -e` or `-d` instance).
public struct ProxyConfiguration: Sendable {
    /// `.client` for `spiped -e` (encrypt toward the target), `.server` for `spiped -d`.
    public var role: HandshakeRole
    /// The shared key (SHA-256 of the key file): the one a client uses and
    /// the first a server tries.
    public var key: SpipedKey
    /// Further keys a server (`spiped -d --accept-key`) accepts clients with,
    /// tried after `key` in this order; at most `SpipedSession.maxCandidateKeys`
    /// keys in all. Ignored by a client.
    public var acceptKeys: [SpipedKey]
    /// Called on the accepting loop when SIGHUP arrives: returns the new
    /// ordered key list (`key` first, then the accepted ones), or nil to keep
    /// the current one (it reports why itself). Nil: SIGHUP is not handled.
    public var reloadKeys: (@Sendable () -> [SpipedKey]?)?
    /// Handshake choices: fast (`-f`) and require perfect forward secrecy (`-g`).
    public var handshake: HandshakeOptions
    /// The target address as given on the command line, for messages.
    public var target: String
    /// Resolves the target; called at start and every `resolveInterval` seconds.
    public var resolveTarget: @Sendable () throws -> [SocketAddress]
    /// Seconds between target re-resolutions (`-r`, default 60); nil never re-resolves (`-R`).
    public var resolveInterval: Double?
    /// Local address for outgoing connections (`-b`).
    public var bindAddress: SocketAddress?
    /// SO_KEEPALIVE on both sockets (true unless `-j`).
    public var keepAlive: Bool
    /// Most simultaneous connections (`-n`, default 100); 0 means unlimited.
    public var maxConnections: Int
    /// Seconds allowed for the target connect and, separately, for the handshake (`-o`, default 5).
    public var timeout: Double
    /// Where warnings and connection events go.
    public var log: EventLog
    /// When `-d` connects to the target (ignored by `-e`, which must connect first).
    public var targetConnect: TargetConnectTiming
    /// Seconds with no byte moved either way after which a connection is
    /// closed (`--idle-timeout`); nil for never (the reference's behaviour).
    public var idleTimeout: Double?
    /// Whether the listener is the daemon's alone or shared with a service manager.
    public var listenerOwnership: ListenerOwnership = .owned
    /// The PROXY protocol header to write into the outgoing plaintext stream (`-P`); nil writes none.
    public var proxyProtocol: ProxyProtocolVersion?

    /// Creates a configuration; defaults are the reference's.
    public init(role: HandshakeRole,
                key: SpipedKey,
                acceptKeys: [SpipedKey] = [],
                reloadKeys: (@Sendable () -> [SpipedKey]?)? = nil,
                handshake: HandshakeOptions,
                target: String,
                resolveTarget: @escaping @Sendable () throws -> [SocketAddress],
                resolveInterval: Double? = 60,
                bindAddress: SocketAddress? = nil,
                keepAlive: Bool = true,
                maxConnections: Int = 100,
                timeout: Double = 5,
                log: EventLog = EventLog(programName: "spiped", logsConnections: false),
                targetConnect: TargetConnectTiming = .immediately,
                idleTimeout: Double? = nil) {
        self.role = role
        self.key = key
        self.acceptKeys = acceptKeys
        self.reloadKeys = reloadKeys
        self.handshake = handshake
        self.target = target
        self.resolveTarget = resolveTarget
        self.resolveInterval = resolveInterval
        self.bindAddress = bindAddress
        self.keepAlive = keepAlive
        self.maxConnections = maxConnections
        self.timeout = timeout
        self.log = log
        self.targetConnect = targetConnect
        self.idleTimeout = idleTimeout
    }
}
