// One library connection: a socket, the SpipedSession on it, and bounded
// buffers between it and the application's async calls. It runs on one
// LibraryLoop; the async API (StreamConnection+Async.swift) hops onto that
// loop, and every continuation is resumed from the loop thread.
//
// This file: state, event dispatch, epoll interest, the handshake, timers and
// teardown. The data path is in StreamConnection+Data.swift.
//
// Guarantees:
// - Confined to its loop's thread (except the immutable members and the
//   atomic counters); a late event, task or timer after the end is harmless.
// - The descriptor is closed exactly once: on close(), on a failure, or when
//   both directions have ended; never left open once the connection is
//   unreachable (the public wrapper closes on deinit).
// - Buffered plaintext is bounded per direction: `bufferLimit` plus one
//   read's worth (64 KiB) inbound, `bufferLimit` plus one sealed chunk
//   outbound. Beyond that the socket is not read, or the writer waits.
#if canImport(Glibc)
import Glibc
#endif
import SpipedProtocol
import Synchronization

/// A spiped connection driven for async callers.
package final class StreamConnection: LoopHandler, TimerTarget, @unchecked Sendable {
    // @unchecked Sendable: mutable state is touched only on `library`'s thread.

    enum Phase: Equatable {
        /// The TCP/Unix connect is under way (client).
        case connecting
        /// The handshake runs.
        case handshaking
        /// Keys derived: data flows (some direction may have ended).
        case open
        /// Finished: the descriptor is closed (cleanly or not, see `failure`).
        case finished
    }

    /// Who the handshake result goes to: a connect's waiter, or a listener.
    typealias HandshakeCallback = (Result<StreamConnection, StreamFailure>) -> Void

    package let library: LibraryLoop
    var loop: EventLoop { library.loop }
    let role: HandshakeRole
    let options: StreamOptions
    let key: [SpipedKey]
    package private(set) var localAddress = ""
    package private(set) var remoteAddress = ""

    var phase = Phase.connecting
    var fd: Int32 = -1
    var session: SpipedSession?
    var onHandshake: HandshakeCallback?
    var deadline: UInt64?
    /// Addresses still to try if the connect in progress fails.
    var remainingAddresses: ArraySlice<SocketAddress> = []

    // Peer -> application.
    var inbound: [[UInt8]] = []
    var inboundHead = 0
    var inboundBytes = 0
    var peerInput = InputState.open
    var readWaiter: StreamWaiter<[UInt8]?>?

    // Application -> peer.
    var toPeer = PendingOutput()
    var writeOp: WriteOperation?
    var applicationInput = InputState.open
    var output = OutputState.open
    var shutdownWaiters: [StreamWaiter<Void>] = []

    /// Why it ended, once it did (nil while running or after a clean finish).
    var failure: StreamFailure?
    var interest: UInt32 = 0

    /// Plaintext bytes buffered in either direction (any thread; tests and metrics).
    package let bufferedBytes = Atomic<Int>(0)
    /// The most ever buffered at once.
    package let peakBufferedBytes = Atomic<Int>(0)

    /// A write in progress: the caller's bytes, how far sealing got, its waiter.
    struct WriteOperation {
        var bytes: [UInt8]
        var offset: Int
        let waiter: StreamWaiter<Void>
    }

    init(library: LibraryLoop, role: HandshakeRole, keys: [SpipedKey], options: StreamOptions) {
        self.library = library
        self.role = role
        self.key = keys
        self.options = options
    }

    // MARK: Start (loop thread)

    /// Starts a client on a socket whose connect is in progress.
    func startConnecting(fd: Int32, deadline: UInt64, then callback: @escaping HandshakeCallback) {
        self.fd = fd
        self.deadline = deadline
        onHandshake = callback
        phase = .connecting
        loop.schedule(at: deadline, self)
        setInterest(EpollBits.output)
    }

    /// Starts the handshake on a connected socket (client after its connect, or an accepted server socket).
    func startHandshake(fd: Int32, then callback: @escaping HandshakeCallback) {
        self.fd = fd
        onHandshake = callback
        beginHandshake()
    }

    private func beginHandshake() {
        phase = .handshaking
        localAddress = Self.address(of: fd, peer: false)
        remoteAddress = Self.address(of: fd, peer: true)
        let deadline = library.now &+ options.timeoutNanoseconds
        self.deadline = deadline
        let session = SpipedSession(role: role, candidateKeys: key, options: options.handshake, handshakeDeadline: deadline)
        self.session = session
        if case .ended(let reason) = session.state { return fail(.session(reason)) }
        sendPeerOutput()
        if phase == .finished { return }
        session.precompute()
        loop.schedule(at: deadline, self)
        updateInterest()
    }

    // MARK: Events

    func handleEvent(_ events: UInt32, tag: UInt8) {
        if phase == .connecting {
            connectFinished()
            return
        }
        if events & (EpollBits.output | EpollBits.error | EpollBits.hangUp) != 0 && !toPeer.isEmpty {
            flushToPeer()
        }
        if phase == .finished { return }
        if events & (EpollBits.input | EpollBits.error | EpollBits.hangUp) != 0 && wantsInput {
            readPeer()
        }
        if phase != .finished { updateInterest() }
    }

    private func connectFinished() {
        let code = SocketCalls.pendingError(fd)
        guard code == 0 else { return connectFailed(code) }
        remainingAddresses = []
        beginHandshake()
    }

    func timerFired(now: UInt64) {
        guard let deadline, now >= deadline else { return }
        switch phase {
        case .connecting:
            fail(.connectTimedOut)
        case .handshaking:
            session?.deadlinePassed(now: now)
            fail(.handshakeTimedOut)
        case .open, .finished:
            return
        }
    }

    /// The handshake completed: hand the connection over.
    func handshakeCompleted() {
        phase = .open
        deadline = nil
        let callback = onHandshake
        onHandshake = nil
        callback?(.success(self))
        pumpWrite()
    }

    // MARK: Interest

    /// Whether the socket should be read now: input open and room inbound.
    var wantsInput: Bool {
        peerInput == .open && inboundBytes < options.bufferLimit && phase != .finished && phase != .connecting
    }

    func updateInterest() {
        guard fd >= 0 else { return }
        var mask: UInt32 = 0
        if wantsInput { mask |= EpollBits.input }
        if !toPeer.isEmpty { mask |= EpollBits.output }
        setInterest(mask)
    }

    private func setInterest(_ mask: UInt32) {
        guard mask != interest else { return }
        interest = mask
        if !loop.setInterest(fd, mask, handler: self, tag: 0) { fail(.system("epoll_ctl", errno)) }
    }

    func noteBuffered() {
        let now = inboundBytes + toPeer.count
        bufferedBytes.store(now, ordering: .relaxed)
        if now > peakBufferedBytes.load(ordering: .relaxed) { peakBufferedBytes.store(now, ordering: .relaxed) }
    }

    // MARK: Teardown

    /// Ends the connection with `failure` (nil: a clean finish): closes the
    /// descriptor, wipes the keys, answers every waiter.
    func fail(_ reason: StreamFailure?) {
        guard phase != .finished else { return }
        let wasHandshaking = phase != .open
        phase = .finished
        if failure == nil { failure = reason }
        releaseDescriptor()
        session?.end(.aborted)
        session = nil
        toPeer.release(loop.buffers)
        let error = failure ?? .closed
        if wasHandshaking {
            let callback = onHandshake
            onHandshake = nil
            callback?(.failure(error))
        }
        writeOp?.waiter.resume(.failure(error))
        writeOp = nil
        for waiter in shutdownWaiters { waiter.resume(reason == nil && output == .shut ? .success(()) : .failure(error)) }
        shutdownWaiters = []
        if let waiter = readWaiter, inboundHead >= inbound.count {
            readWaiter = nil
            waiter.resume(failure == nil ? .success(nil) : .failure(error))
        }
        noteBuffered()
    }

    func releaseDescriptor() {
        guard fd >= 0 else { return }
        loop.forget(fd, closing: true)
        SocketCalls.closeDescriptor(fd)
        fd = -1
        interest = 0
    }

    /// Both directions ended cleanly: release the descriptor; buffered
    /// plaintext stays readable.
    func finishIfDone() {
        guard peerInput == .ended, output == .shut, phase == .open else { return }
        fail(nil)
    }

    /// `getsockname`/`getpeername` as address text (`[1.2.3.4]:80`, `/path`).
    package static func address(of fd: Int32, peer: Bool) -> String {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                peer ? getpeername(fd, $0, &length) : getsockname(fd, $0, &length)
            }
        }
        guard rc == 0 else { return "" }
        return SocketAddress(storage: storage, length: length).description
    }
}
