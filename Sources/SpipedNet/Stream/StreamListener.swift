// A library listener: a listening socket on one loop that accepts in
// batches and hands each accepted socket to a loop (round robin), where its
// server handshake runs. Only connections whose handshake completed reach the
// application (`deliver`); a failed handshake is counted and reported to
// `rejected` (the application's log), never delivered.
//
// Guarantees:
// - After close() nothing more is delivered: the socket is closed (a Unix
//   path is removed), handshakes still running are dropped, and a handshake
//   finishing at the same moment closes its connection instead of delivering.
//   Connections already delivered belong to the application and stay open.
// - accept(2) running out of descriptors pauses accepting for 100 ms instead
//   of spinning (level-triggered epoll would report the backlog again at once).
#if canImport(Glibc)
import Glibc
#endif
import SpipedProtocol
import Synchronization

/// Accepts spiped connections for async callers.
package final class StreamListener: LoopHandler, TimerTarget, @unchecked Sendable {
    // @unchecked Sendable: `fd`, `pausedUntil` are loop-confined; the rest is
    // immutable, atomic or locked.
    private let engine: LibraryEngine
    private let library: LibraryLoop
    private let keys: [SpipedKey]
    private let options: StreamOptions
    private let deliver: @Sendable (StreamConnection) -> Void
    private let rejected: @Sendable (StreamFailure, String) -> Void
    private let finished: @Sendable () -> Void
    private let unixPath: String?
    private var fd: Int32
    private var pausedUntil: UInt64?
    private let closed = Atomic<Bool>(false)
    /// Connections accepted whose handshake still runs (on any loop).
    private let handshaking = ForkSafeLock<[ObjectIdentifier: StreamConnection]>([:])

    /// The address actually bound (`[127.0.0.1]:40123`, `/path`): usable as a connect target.
    package let boundAddress: String
    /// Handshakes that failed so far.
    package let handshakeFailures = Atomic<Int>(0)
    /// Connections delivered so far.
    package let accepted = Atomic<Int>(0)

    private static let batch = 64
    private static let backoffNanoseconds: UInt64 = 100_000_000

    /// Binds and listens on `address` (the CLI's syntax; port 0 picks a free port) and starts accepting.
    package static func bind(to address: String, keys: [SpipedKey], options: StreamOptions,
                             deliver: @escaping @Sendable (StreamConnection) -> Void,
                             rejected: @escaping @Sendable (StreamFailure, String) -> Void,
                             finished: @escaping @Sendable () -> Void) throws(StreamFailure) -> StreamListener {
        let resolved: [SocketAddress]
        do {
            resolved = try AddressResolver.resolve(address, allowPortZero: true)
        } catch {
            throw .address(error)
        }
        let engine = try LibraryEngine.get()
        guard let first = resolved.first else { throw .address(.noAddresses(address)) }
        let fd: Int32
        do {
            fd = try SourceListener.listen(on: first)
        } catch {
            throw .listen(error.description)
        }
        let listener = StreamListener(engine: engine, fd: fd, keys: keys, options: options, unixPath: first.unixPath,
                                      deliver: deliver, rejected: rejected, finished: finished)
        listener.library.execute { listener.resume() }
        return listener
    }

    private init(engine: LibraryEngine, fd: Int32, keys: [SpipedKey], options: StreamOptions, unixPath: String?,
                 deliver: @escaping @Sendable (StreamConnection) -> Void,
                 rejected: @escaping @Sendable (StreamFailure, String) -> Void,
                 finished: @escaping @Sendable () -> Void) {
        self.engine = engine
        self.library = engine.nextLoop()
        self.fd = fd
        self.keys = keys
        self.options = options
        self.unixPath = unixPath
        self.deliver = deliver
        self.rejected = rejected
        self.finished = finished
        boundAddress = StreamConnection.address(of: fd, peer: false)
    }

    /// Stops accepting and drops handshakes in progress (any thread; returns at once).
    package func close() {
        guard !closed.exchange(true, ordering: .sequentiallyConsistent) else { return }
        library.execute { [self] in
            if fd >= 0 {
                library.loop.forget(fd, closing: true)
                SourceListener.close(fd)
                fd = -1
                if let unixPath { _ = unlink(unixPath) }
            }
            let pending = handshaking.withLock { table -> [StreamConnection] in
                defer { table = [:] }
                return Array(table.values)
            }
            for connection in pending { connection.library.execute { connection.fail(.closed) } }
            finished()
        }
    }

    // MARK: Loop thread

    private func resume() {
        guard fd >= 0, !closed.load(ordering: .sequentiallyConsistent) else { return }
        pausedUntil = nil
        if !library.loop.setInterest(fd, EpollBits.input, handler: self, tag: 0) {
            pause()
        }
    }

    private func pause() {
        let until = library.now &+ Self.backoffNanoseconds
        pausedUntil = until
        library.loop.setInterest(fd, 0, handler: self, tag: 0)
        library.loop.schedule(at: until, self)
    }

    func timerFired(now: UInt64) {
        guard let pausedUntil, now >= pausedUntil else { return }
        resume()
    }

    func handleEvent(_ events: UInt32, tag: UInt8) {
        for _ in 0..<Self.batch {
            guard fd >= 0 else { return }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let socket = withUnsafeMutablePointer(to: &storage) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) { LinuxCalls.acceptNonBlocking(fd, $0, &length) }
            }
            if socket < 0 {
                let code = errno
                if code == EAGAIN || code == EWOULDBLOCK || code == EINTR || code == ECONNABORTED { return }
                return pause()   // EMFILE, ENFILE, ENOBUFS, ENOMEM...
            }
            SocketCalls.configureStream(socket, keepAlive: options.keepAlive)
            start(socket)
        }
    }

    private func start(_ socket: Int32) {
        let target = engine.nextLoop()
        let connection = StreamConnection(library: target, role: .server, keys: keys, options: options)
        handshaking.withLock { $0[ObjectIdentifier(connection)] = connection }
        target.execute { [self] in
            connection.startHandshake(fd: socket) { [self] result in
                handshaking.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(connection)) }
                switch result {
                case .success(let ready):
                    if closed.load(ordering: .sequentiallyConsistent) {
                        ready.fail(.closed)
                    } else {
                        accepted.add(1, ordering: .relaxed)
                        deliver(ready)
                    }
                case .failure(.closed):
                    return   // dropped by close()
                case .failure(let failure):
                    handshakeFailures.add(1, ordering: .relaxed)
                    rejected(failure, connection.remoteAddress)
                }
            }
        }
    }
}
