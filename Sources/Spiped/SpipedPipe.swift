// An in-process spiped: what the `spiped` executable does (accept on a
// source address, connect each connection to the target, encrypt or
// decrypt between them), as a value an application starts and stops. It is
// the daemon's own engine (ProxyEngine), with the daemon's defaults, except
// that it leaves SIGTERM to the application.
import SpipedNet
import SpipedProtocol
#if canImport(Glibc)
import Glibc
#endif

/// A spiped proxy running inside the process.
///
/// ```swift
/// let pipe = try SpipedPipe(mode: .encrypt, source: "[127.0.0.1]:6379",
///                           target: "redis.example:8025", key: key)
/// let task = Task { try await pipe.run() }
/// // ... later:
/// pipe.stop()            // or task.cancel()
/// ```
public final class SpipedPipe: Sendable {
    /// Which way the pipe works.
    public enum Mode: Sendable, Equatable {
        /// Plaintext in on the source, spiped out to the target (`spiped -e`).
        case encrypt
        /// spiped in on the source, plaintext out to the target (`spiped -d`).
        case decrypt
    }

    /// The daemon's options that make sense in-process.
    public struct Options: Sendable {
        /// Seconds for the target connect and, separately, the handshake (`-o`; default 5).
        public var timeout: Double
        /// The fast handshake without forward secrecy (`-f`).
        public var fast: Bool
        /// Refuse a peer without forward secrecy (`-g`).
        public var requirePFS: Bool
        /// Local address for connections to the target (`-b`).
        public var bindAddress: String?
        /// TCP keep-alive on both sockets (default on; `-j` turns it off).
        public var keepAlive: Bool
        /// Most simultaneous connections (`-n`; default 100; 0 for no limit).
        public var maxConnections: Int
        /// Seconds between re-resolutions of the target (`-r`; default 60; `nil` never, as `-R`).
        public var resolveInterval: Double?
        /// Event-loop threads (default: one per core).
        public var eventLoops: Int?

        /// Options with spiped's defaults.
        public init(timeout: Double = 5, fast: Bool = false, requirePFS: Bool = false, bindAddress: String? = nil,
                    keepAlive: Bool = true, maxConnections: Int = 100, resolveInterval: Double? = 60,
                    eventLoops: Int? = nil) {
            self.timeout = timeout
            self.fast = fast
            self.requirePFS = requirePFS
            self.bindAddress = bindAddress
            self.keepAlive = keepAlive
            self.maxConnections = maxConnections
            self.resolveInterval = resolveInterval
            self.eventLoops = eventLoops
        }
    }

    private let engine: ProxyEngine
    private let listener: Int32
    private let unixPath: String?

    /// The source address actually bound (`[127.0.0.1]:40123` after port 0, or the Unix path).
    public let sourceAddress: String

    /// Binds the source and resolves the target, so that address errors
    /// surface here, with the text `spiped` prints; serving starts with ``run()``.
    public init(mode: Mode, source: String, target: String, key: SpipedKey, options: Options = Options()) throws {
        let sourceAddresses: [SocketAddress]
        var bind: SocketAddress?
        do {
            sourceAddresses = try AddressResolver.resolve(source, allowPortZero: true)
            _ = try AddressResolver.resolve(target)
            if let text = options.bindAddress { bind = try AddressResolver.resolveBindAddress(text).first }
        } catch {
            throw SpipedError.invalidAddress(error.description)
        }
        guard let first = sourceAddresses.first else { throw SpipedError.invalidAddress("No addresses found for \(source)") }
        let fd: Int32
        do {
            fd = try SourceListener.listen(on: first)
        } catch {
            throw SpipedError.listenFailed(error.description)
        }
        let configuration = ProxyConfiguration(
            role: mode == .encrypt ? .client : .server, key: key,
            handshake: HandshakeOptions(fast: options.fast, requirePFS: options.requirePFS),
            target: target, resolveTarget: { try AddressResolver.resolve(target) },
            resolveInterval: options.resolveInterval, bindAddress: bind, keepAlive: options.keepAlive,
            maxConnections: options.maxConnections, timeout: options.timeout)
        do {
            engine = try ProxyEngine(listener: fd, configuration: configuration, eventLoops: options.eventLoops)
        } catch {
            SourceListener.close(fd)
            throw SpipedError.systemFailure("\(error)")
        }
        engine.handlesTerminationSignal = false
        listener = fd
        sourceAddress = StreamConnection.address(of: fd, peer: false)
        unixPath = first.unixPath
    }

    deinit {
        engine.requestShutdown()
        SourceListener.close(listener)
        if let unixPath { _ = unlink(unixPath) }
    }

    /// Serves until ``stop()`` is called or the task is cancelled; then stops
    /// accepting, lets the open connections finish, and returns. Run it once.
    ///
    /// - Throws: ``SpipedError/systemFailure(_:)`` if the engine could not
    ///   start (or was already run).
    public func run() async throws {
        let status = await engine.runDetached()
        if status != 0 { throw SpipedError.systemFailure("the pipe could not start (or was already run)") }
    }

    /// Asks a running pipe to stop (any thread; returns at once).
    public func stop() {
        engine.requestShutdown()
    }
}
