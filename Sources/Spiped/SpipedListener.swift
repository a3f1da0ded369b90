// A spiped server for async code: bind, then take handshaken connections
// from an async sequence. Accepting and every handshake run on the library's
// epoll loops; a connection reaches the sequence only once its keys are
// derived, so a peer without the key never becomes a SpipedConnection.
import SpipedNet
import SpipedProtocol
import Synchronization

/// Accepts spiped connections (what `spiped -d` does before its target).
///
/// ```swift
/// let listener = try await SpipedListener.bind(to: "[127.0.0.1]:8025", key: key)
/// for try await connection in listener.connections {
///     Task { try await serve(connection) }
/// }
/// ```
public final class SpipedListener: Sendable {
    /// How accepted connections are handled.
    public struct Options: Sendable {
        /// Seconds a client has to complete its handshake (`-o`; default 5).
        public var timeout: Double
        /// Answer with the fast handshake (`-f`): no forward secrecy.
        public var fast: Bool
        /// Refuse clients that do not use forward secrecy (`-g`).
        public var requirePFS: Bool
        /// Enable TCP keep-alive on accepted connections (default on; `-j` turns it off).
        public var keepAlive: Bool
        /// Most plaintext bytes buffered per direction per connection (default 256 KiB).
        public var bufferLimit: Int
        /// Where a line is written for each failed handshake (`nil`: nowhere;
        /// they are counted in ``SpipedListener/handshakeFailureCount`` either way).
        public var log: (@Sendable (String) -> Void)?
        /// Further keys clients may use (`--accept-key`), after the main key, in order.
        public var acceptKeys: [SpipedKey]

        /// Options with spiped's defaults.
        public init(timeout: Double = 5, fast: Bool = false, requirePFS: Bool = false, keepAlive: Bool = true,
                    bufferLimit: Int = 256 * 1024, log: (@Sendable (String) -> Void)? = nil, acceptKeys: [SpipedKey] = []) {
            self.timeout = timeout
            self.fast = fast
            self.requirePFS = requirePFS
            self.keepAlive = keepAlive
            self.bufferLimit = bufferLimit
            self.log = log
            self.acceptKeys = acceptKeys
        }
    }

    /// The handshaken connections, in the order their handshakes completed.
    /// It ends (without error) when the listener is closed. Iterate it once.
    public struct Connections: AsyncSequence, Sendable {
        /// Each element is an established connection.
        public typealias Element = SpipedConnection

        let base: AsyncThrowingStream<SpipedConnection, any Error>

        /// Starts the iteration.
        public func makeAsyncIterator() -> Iterator {
            Iterator(base: base.makeAsyncIterator())
        }

        /// Iterates the connections.
        public struct Iterator: AsyncIteratorProtocol {
            var base: AsyncThrowingStream<SpipedConnection, any Error>.Iterator

            /// The next connection, or `nil` once the listener is closed.
            public mutating func next() async throws -> SpipedConnection? {
                try await base.next()
            }
        }
    }

    let listener: StreamListener

    /// The address actually bound, in the form ``SpipedConnection/connect(to:key:options:)``
    /// takes (`[127.0.0.1]:40123` after binding port 0, or the Unix path).
    public let address: String

    /// The connections accepted and handshaken so far.
    public let connections: Connections

    /// How many handshakes have failed (wrong key, timeout, peer gone...).
    public var handshakeFailureCount: Int { listener.handshakeFailures.load(ordering: .relaxed) }

    /// How many connections have been handed to ``connections``.
    public var acceptedCount: Int { listener.accepted.load(ordering: .relaxed) }

    private init(listener: StreamListener, connections: Connections) {
        self.listener = listener
        self.address = listener.boundAddress
        self.connections = connections
    }

    deinit {
        listener.close()
    }

    /// Binds `address` and starts accepting.
    ///
    /// - Parameters:
    ///   - address: as `spiped -s` takes it: `[0.0.0.0]:8025`, `[::1]:8025`,
    ///     `host:8025`, `/path/to/unix.socket`; port 0 picks a free port
    ///     (see ``address``).
    ///   - key: the shared key.
    ///   - options: timeout, `-f`, `-g`, keep-alive, buffer bound, log.
    /// - Throws: ``SpipedError/invalidAddress(_:)`` or ``SpipedError/listenFailed(_:)``
    ///   with the text `spiped` prints.
    public static func bind(to address: String, key: SpipedKey, options: Options = Options()) async throws -> SpipedListener {
        let (stream, continuation) = AsyncThrowingStream<SpipedConnection, any Error>.makeStream()
        let log = options.log
        let settings = StreamOptions(timeout: options.timeout,
                                     handshake: HandshakeOptions(fast: options.fast, requirePFS: options.requirePFS),
                                     keepAlive: options.keepAlive, bufferLimit: options.bufferLimit)
        do {
            let listener = try StreamListener.bind(to: address, keys: [key] + options.acceptKeys, options: settings,
                deliver: { connection in
                    if case .dropped(let refused) = continuation.yield(SpipedConnection(connection)) { refused.close() }
                },
                rejected: { failure, peer in
                    log?("connection from \(peer.isEmpty ? "unknown peer" : peer): \(SpipedError(failure))")
                },
                finished: { continuation.finish() })
            return SpipedListener(listener: listener, connections: Connections(base: stream))
        } catch {
            continuation.finish()
            throw SpipedError(error)
        }
    }

    /// Stops accepting and closes the listening socket (a Unix socket's path
    /// is removed). Handshakes in progress are dropped; connections already
    /// delivered stay open. ``connections`` then ends. Returns immediately.
    public func close() {
        listener.close()
    }
}
