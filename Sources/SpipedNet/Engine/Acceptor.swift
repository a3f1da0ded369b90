// Accepting on the listening socket, on the first loop. Accepted sockets go
// to the least-loaded loop (handed over through that loop's inbox). It also
// owns the start of shutdown and the two reasons to pause accepting:
// - the -n limit: the listener leaves epoll (new clients wait in the
//   backlog), a warning is logged, and it comes back when a connection closes;
// - accept(2) running out of resources (EMFILE, ENFILE, ENOBUFS, ENOMEM, or
//   anything unexpected): warn, pause ~100 ms, resume. The reference exits
//   here; a daemon should keep serving the connections it has.
// SIGHUP (when the configuration can reload keys) is handled here too: the
// keys are re-read on this thread and replace the key ring for connections
// accepted afterwards.
// Confined to the first loop's thread.
#if canImport(Glibc)
import Glibc
#endif
import SpipedProtocol
import Synchronization

/// The listener's handler on the accepting loop.
final class Acceptor: LoopHandler, TimerTarget {
    private static let listenerTag: UInt8 = 0
    private static let signalTag: UInt8 = 1
    /// Accepts per readiness event before giving other events a turn.
    private static let batch = 64
    /// The pause after accept(2) fails for lack of resources.
    private static let backoffNanoseconds: UInt64 = 100_000_000

    /// Least time between two accept-failure warnings.
    private static let warningInterval: UInt64 = 10_000_000_000

    private let listener: Int32
    private let core: EngineCore
    private let loop: EventLoop
    private let signalFD: Int32
    private let signalBaseline: Int
    /// The SIGHUP count the keys were last reloaded for.
    private var hangupsHandled: Int
    private var listening = false
    private var backingOff = false
    private var stopped = false
    private var rotation = 0
    private var lastAcceptWarning: UInt64 = 0

    init(listener: Int32, core: EngineCore, signalFD: Int32, signalBaseline: Int, hangupBaseline: Int) {
        self.hangupsHandled = hangupBaseline
        self.listener = listener
        self.core = core
        self.loop = core.acceptLoop
        self.signalFD = signalFD
        self.signalBaseline = signalBaseline
    }

    /// Registers the listener and the SIGTERM eventfd. False if epoll refused the listener.
    func start() -> Bool {
        if signalFD >= 0 {
            loop.setInterest(signalFD, EpollBits.input | EpollBits.edgeTriggered, handler: self, tag: Self.signalTag)
        }
        checkForShutdown()
        if stopped { return true }
        return setListening(true)
    }

    func handleEvent(_ events: UInt32, tag: UInt8) {
        if tag == Self.signalTag {
            checkForShutdown()
            checkForReload()
        } else {
            acceptBatch()
        }
    }

    /// Runs on every wake-up of the accepting loop.
    func wokeUp() {
        checkForShutdown()
        if stopped { return }
        checkForReload()
        let limit = core.configuration.maxConnections
        if pausedAtLimit(), core.openConnections.load(ordering: .sequentiallyConsistent) < limit {
            core.pausedAtLimit.store(false, ordering: .sequentiallyConsistent)
            if !backingOff { setListening(true) }
        }
    }

    func timerFired(now: UInt64) {
        guard backingOff else { return }
        backingOff = false
        if !stopped && !pausedAtLimit() { setListening(true) }
    }

    private func pausedAtLimit() -> Bool {
        core.pausedAtLimit.load(ordering: .sequentiallyConsistent)
    }

    @discardableResult
    private func setListening(_ on: Bool) -> Bool {
        guard on != listening else { return true }
        let ok = loop.setInterest(listener, on ? EpollBits.input : 0, handler: self, tag: Self.listenerTag)
        if ok { listening = on }
        return ok
    }

    private func checkForShutdown() {
        guard !stopped else { return }
        let signalled = TerminationSignal.count.load(ordering: .sequentiallyConsistent) > signalBaseline
        guard signalled || core.shutdownRequested.load(ordering: .sequentiallyConsistent) else { return }
        stopped = true
        setListening(false)
        loop.forget(listener, closing: false)
        // Refuse new connections while the open ones drain (the C spiped leaves
        // them queued, unserved, until it exits): shutdown() moves a Linux
        // listening socket (TCP or Unix) out of LISTEN, so connects get
        // ECONNREFUSED and queued ones are reset. The descriptor stays open
        // (the caller owns it); a restarted daemon can bind the address now.
        // A socket shared with the service manager stays listening: its queue
        // is the next instance's (shutdown would refuse connects for it too).
        if core.configuration.listenerOwnership == .owned {
            _ = shutdown(listener, Int32(SHUT_RDWR))
        }
        core.stopping.store(true, ordering: .sequentiallyConsistent)
        for other in core.loops where other !== loop { other.wake() }
    }

    /// Re-reads the keys once for any SIGHUPs since the last reload. A failed
    /// read keeps the current keys (reloadKeys has warned).
    private func checkForReload() {
        guard let reload = core.configuration.reloadKeys else { return }
        let received = HangupSignal.count.load(ordering: .sequentiallyConsistent)
        guard received != hangupsHandled else { return }
        hangupsHandled = received
        guard var keys = reload() else { return }
        // A client uses one key, the first.
        if core.configuration.role == .client { keys = Array(keys.prefix(1)) }
        if core.keyRing.replace(with: keys) {
            core.configuration.log.warning("Keys reloaded: \(keys.count) in use for new connections")
        } else {
            core.configuration.log.warning("Key reload ignored: \(keys.count) keys (1 to \(SpipedSession.maxCandidateKeys) allowed)")
        }
    }

    private func acceptBatch() {
        let limit = core.configuration.maxConnections
        for _ in 0..<Self.batch {
            if stopped || backingOff { return }
            if limit > 0, core.openConnections.load(ordering: .sequentiallyConsistent) >= limit {
                pauseAtLimit(limit)
                return
            }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &storage) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    LinuxCalls.acceptNonBlocking(listener, $0, &length)
                }
            }
            if fd < 0 {
                handleAcceptError(errno)
                return
            }
            core.openConnections.add(1, ordering: .sequentiallyConsistent)
            core.metrics?.connectionAccepted()
            let id = core.nextConnectionID.add(1, ordering: .relaxed).oldValue
            let peer = core.configuration.log.logsConnections
                ? SocketAddress(storage: storage, length: length).description : nil
            let accepted = AcceptedSocket(fd: fd, id: id, acceptedAt: loop.now, peer: peer)
            let owner = chooseLoop()
            owner.load.add(1, ordering: .sequentiallyConsistent)
            owner.active.add(1, ordering: .relaxed)
            if owner === loop {
                ProxyConnection(accepted: accepted, loop: loop, core: core).start(peer: peer)
            } else {
                owner.enqueue(accepted)
            }
        }
    }

    private func handleAcceptError(_ code: Int32) {
        switch code {
        case EAGAIN, EWOULDBLOCK:
            return
        case EINTR, ECONNABORTED, EPROTO, EPERM, ENETDOWN, ENOPROTOOPT, EHOSTDOWN, ENONET,
             EHOSTUNREACH, EOPNOTSUPP, ENETUNREACH, ETIMEDOUT:
            // That one connection failed (Linux reports pending network errors here); go on.
            return
        default:
            // EMFILE, ENFILE, ENOBUFS, ENOMEM or unexpected: keep serving, retry shortly.
            // Warn at most every few seconds: a daemon stuck at its descriptor
            // limit would otherwise write ten lines a second.
            if lastAcceptWarning == 0 || loop.now &- lastAcceptWarning >= Self.warningInterval {
                lastAcceptWarning = loop.now
                core.configuration.log.warning("Error accepting connection: \(SocketCalls.errorText(code)); pausing accept for 100 ms")
            }
            backingOff = true
            setListening(false)
            loop.schedule(at: loop.now &+ Self.backoffNanoseconds, self)
        }
    }

    private func pauseAtLimit(_ limit: Int) {
        setListening(false)
        core.pausedAtLimit.store(true, ordering: .sequentiallyConsistent)
        // Re-check after publishing the flag: a close that happened just before
        // did not see it and will not wake us.
        if core.openConnections.load(ordering: .sequentiallyConsistent) < limit {
            core.pausedAtLimit.store(false, ordering: .sequentiallyConsistent)
            setListening(true)
        } else {
            core.configuration.log.connection(.connectionLimitReached(limit: limit))
        }
    }

    /// The loop with the fewest active connections (both directions still
    /// open; see `EventLoop.active`). Ties go to this (accepting) loop:
    /// serving a connection where it was accepted costs no cross-thread wake-up,
    /// which is most of the work of a short connection; other loops get one as
    /// soon as this one holds more. Ties among the others rotate.
    private func chooseLoop() -> EventLoop {
        let loops = core.loops
        var best = loop
        var bestLoad = loop.active.load(ordering: .relaxed)
        guard loops.count > 1, bestLoad > 0 else { return best }
        rotation = (rotation + 1) % loops.count
        for step in 0..<loops.count {
            let candidate = loops[(rotation + step) % loops.count]
            if candidate === loop { continue }
            let load = candidate.active.load(ordering: .relaxed)
            if load < bestLoad {
                best = candidate
                bestLoad = load
            }
        }
        return best
    }
}
