// A spiped connection for async code: connect (resolve, connect, handshake)
// and then read, write, half-close and close. The work happens on the
// library's epoll loops; these methods only hop there and wait.
//
// Guarantees: every method is safe from any task; a dropped connection
// closes its socket; buffering is bounded (Options.bufferLimit per direction).
import SpipedNet
import SpipedProtocol

/// An established spiped connection: plaintext in and out, sealed on the wire.
///
/// A connection comes from ``connect(to:key:options:)`` or from a
/// ``SpipedListener``; its handshake is complete and data flows both ways.
/// At most ``Options/bufferLimit`` plaintext bytes (256 KiB by default), plus
/// one read of up to 64 KiB, are held per direction: ``write(_:)-([UInt8])``
/// suspends while the peer does not keep up, and the socket is not read
/// while unread data fills the inbound buffer.
///
/// One ``read()`` and one ``write(_:)-([UInt8])`` may wait at a time (from
/// different tasks if you like); a second concurrent read or write throws
/// ``SpipedError/concurrentOperation(_:)``.
public final class SpipedConnection: Sendable {
    /// How a client connection is made (the `spiped -e` options that apply to one connection).
    public struct Options: Sendable {
        /// Seconds allowed for the connect and, separately, for the handshake (`-o`; default 5).
        public var timeout: Double
        /// Skip Diffie-Hellman (`-f`): a faster handshake without forward secrecy.
        public var fast: Bool
        /// Refuse a peer that does not use forward secrecy (`-g`).
        public var requirePFS: Bool
        /// Local address to bind before connecting (`-b`): `1.2.3.4`, `[::1]:5000`, ...
        public var bindAddress: String?
        /// Enable TCP keep-alive (on by default; `-j` turns it off).
        public var keepAlive: Bool
        /// Most plaintext bytes buffered per direction before back-pressure (default 256 KiB).
        public var bufferLimit: Int

        /// Options with spiped's defaults.
        public init(timeout: Double = 5, fast: Bool = false, requirePFS: Bool = false, bindAddress: String? = nil,
                    keepAlive: Bool = true, bufferLimit: Int = 256 * 1024) {
            self.timeout = timeout
            self.fast = fast
            self.requirePFS = requirePFS
            self.bindAddress = bindAddress
            self.keepAlive = keepAlive
            self.bufferLimit = bufferLimit
        }
    }

    let stream: StreamConnection

    /// This side's address (`[127.0.0.1]:53412`, or a Unix path; empty when unnamed).
    public let localAddress: String
    /// The peer's address, in the same form.
    public let remoteAddress: String

    init(_ stream: StreamConnection) {
        self.stream = stream
        localAddress = stream.localAddress
        remoteAddress = stream.remoteAddress
    }

    deinit {
        stream.close()
    }

    /// Connects to a spiped server (`spiped -d`, or a ``SpipedListener``) and
    /// completes the handshake.
    ///
    /// - Parameters:
    ///   - target: the address, as `spiped -t` takes it: `[1.2.3.4]:8025`,
    ///     `[::1]:8025`, `host.example:8025` or `/path/to/unix.socket`.
    ///   - key: the shared key.
    ///   - options: timeout, `-f`, `-g`, bind address, keep-alive, buffer bound.
    /// - Returns: a connection whose data is already flowing.
    /// - Throws: ``SpipedError`` (address, connect, timeout or handshake
    ///   failure); `CancellationError` if the task is cancelled (the socket is closed).
    public static func connect(to target: String, key: SpipedKey, options: Options = Options()) async throws -> SpipedConnection {
        try await translatingFailures {
            let settings = try options.streamOptions()
            return SpipedConnection(try await StreamConnection.connect(to: target, key: key, options: settings))
        }
    }

    /// The next plaintext the peer sent, as soon as there is some (it does
    /// not wait for a fixed amount); `nil` once the peer ended its direction
    /// and everything before has been read.
    ///
    /// Cancelling the task abandons the wait; the connection stays usable.
    public func read() async throws -> [UInt8]? {
        try await translatingFailures { try await stream.read() }
    }

    /// Sends `bytes`. Returns once all of them are sealed and at most
    /// ``Options/bufferLimit`` bytes wait for the socket; suspends meanwhile.
    ///
    /// Cancelling the task closes the connection (part of the bytes may
    /// already be on their way).
    public func write(_ bytes: [UInt8]) async throws {
        try await translatingFailures { try await stream.write(bytes) }
    }

    /// Sends any sequence of bytes (a `String.UTF8View`, an `ArraySlice`, ...).
    public func write(_ bytes: some Sequence<UInt8>) async throws {
        try await write(Array(bytes))
    }

    /// Sends the bytes of a buffer (copied before the call suspends).
    public func write(_ buffer: UnsafeRawBufferPointer) async throws {
        try await write(Array(buffer))
    }

    /// Ends our direction once everything written is sent, as a FIN does:
    /// the peer reads end-of-stream, and we can still read its data.
    public func shutdownWrite() async throws {
        try await translatingFailures { try await stream.shutdownWrite() }
    }

    /// Closes both directions at once. Unsent and unread data is dropped;
    /// calls still waiting throw ``SpipedError/closed``. Returns immediately.
    public func close() {
        stream.close()
    }

    /// Plaintext bytes this connection buffers right now (both directions).
    public var bufferedByteCount: Int { stream.bufferedBytes.load(ordering: .relaxed) }

    /// The most plaintext bytes it ever buffered at once.
    public var peakBufferedByteCount: Int { stream.peakBufferedBytes.load(ordering: .relaxed) }
}

extension SpipedConnection.Options {
    func streamOptions() throws(SpipedError) -> StreamOptions {
        var bind: SocketAddress?
        if let bindAddress {
            do {
                bind = try AddressResolver.resolveBindAddress(bindAddress).first
            } catch {
                throw .invalidAddress(error.description)
            }
        }
        return StreamOptions(timeout: timeout, handshake: HandshakeOptions(fast: fast, requirePFS: requirePFS),
                             bindAddress: bind, keepAlive: keepAlive, bufferLimit: bufferLimit)
    }
}
