// The spiped daemon's I/O engine: serves a listening socket with one epoll
// loop per core. The calling thread runs the first loop (which also accepts);
// the others run on their own threads. Runs until SIGTERM or
// requestShutdown(); then it stops accepting, lets every open connection
// finish, and returns. With a `reloadKeys` configured, SIGHUP replaces the
// keys of new connections (open ones keep theirs).
#if canImport(Glibc)
import Glibc
#endif
import SpipedProtocol
import Synchronization

/// Serves connections accepted on a listening socket (one `spiped -e`/`-d`).
public final class ProxyEngine: @unchecked Sendable {
    // @unchecked Sendable: `onReady` is set before run() by the owner; all other
    // state is immutable or atomic, and loop state is confined to loop threads.

    /// Called once, on the thread running `run()`, when the engine is accepting.
    public var onReady: (@Sendable () -> Void)?
    /// Whether SIGTERM stops this engine (the daemons). An engine inside an
    /// application (the library's SpipedPipe) leaves the signal alone: it
    /// installs no handler and stops only on `requestShutdown()`.
    package var handlesTerminationSignal = true

    private let listener: Int32
    private let core: EngineCore
    private let started = Atomic<Bool>(false)

    /// Prepares an engine. `listener` must be bound and listening (any family);
    /// it is made non-blocking and is not closed by the engine (when shutdown
    /// starts it is shut down, so new connections are refused); on a TCP
    /// listener keep-alive (as configured) and TCP_NODELAY are set, for the
    /// accepted sockets to inherit. Resolves the
    /// target once (rethrowing its error). `eventLoops` defaults to the number of
    /// online processors (environment `SPIPED_EVENT_LOOPS` overrides it).
    public init(listener: Int32, configuration: ProxyConfiguration, eventLoops: Int? = nil) throws {
        let keyCount = 1 + configuration.acceptKeys.count
        guard keyCount <= SpipedSession.maxCandidateKeys else { throw EngineError.tooManyKeys(keyCount) }
        self.listener = listener
        SocketCalls.setNonBlocking(listener, true)
        let addresses = try TargetAddresses(configuration: configuration)
        let count = max(1, min(eventLoops ?? Self.defaultLoopCount(), 64))
        var loops: [EventLoop] = []
        for index in 0..<count {
            loops.append(try EventLoop(index: index, buffers: LoopBuffers()))
        }
        core = EngineCore(configuration: configuration, addresses: addresses, loops: loops,
                          listenerOptionsInherited: Self.setInheritedOptions(listener, keepAlive: configuration.keepAlive))
    }

    /// Sets keep-alive (on, or off for -j) and TCP_NODELAY on a TCP listener,
    /// so that every accepted socket inherits them (Linux copies socket
    /// options to accepted TCP sockets) and needs no setsockopt of its own.
    /// False, leaving per-connection setting in place, for any other listener
    /// (e.g. a Unix socket) or if a call fails.
    static func setInheritedOptions(_ listener: Int32, keepAlive: Bool) -> Bool {
        #if os(Linux)
        var type: Int32 = 0, domain: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(listener, SOL_SOCKET, SO_TYPE, &type, &length) == 0,
              type == Int32(SOCK_STREAM.rawValue) else { return false }
        length = socklen_t(MemoryLayout<Int32>.size)
        guard getsockopt(listener, SOL_SOCKET, SO_DOMAIN, &domain, &length) == 0,
              domain == AF_INET || domain == AF_INET6 else { return false }
        var on: Int32 = keepAlive ? 1 : 0, one: Int32 = 1
        let size = socklen_t(MemoryLayout<Int32>.size)
        return setsockopt(listener, SOL_SOCKET, SO_KEEPALIVE, &on, size) == 0
            && setsockopt(listener, Int32(IPPROTO_TCP), TCP_NODELAY, &one, size) == 0
        #else
        return false
        #endif
    }

    /// The number of loops used when none is given.
    static func defaultLoopCount() -> Int {
        if let text = getenv("SPIPED_EVENT_LOOPS"), let value = Int(String(cString: text)), value > 0 {
            return value
        }
        return max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN)))
    }

    /// Serves until SIGTERM or `requestShutdown()`, then stops accepting (new
    /// connections are refused from then on), waits
    /// for the open connections to end and returns 0. Returns 1 if the engine
    /// could not start (listener refused by epoll, thread creation failed) or
    /// was already run.
    public func run() -> Int32 {
        guard !started.exchange(true, ordering: .sequentiallyConsistent) else { return 1 }
        SocketCalls.ignoreSIGPIPE()
        let signalBaseline = handlesTerminationSignal ? TerminationSignal.count.load(ordering: .sequentiallyConsistent) : Int.max
        let signalFD = handlesTerminationSignal ? TerminationSignal.install() : -1
        // Any SIGHUP since the handler went in (the launcher installs it before
        // it reads the keys) means the files may have changed: reload once.
        if core.configuration.reloadKeys != nil { _ = HangupSignal.install() }
        let hangupBaseline = 0
        let core = self.core
        let acceptor = Acceptor(listener: listener, core: core, signalFD: signalFD, signalBaseline: signalBaseline,
                                hangupBaseline: hangupBaseline)

        for loop in core.loops {
            loop.onWake = { [unowned loop] in
                for accepted in loop.takeInbox() {
                    ProxyConnection(accepted: accepted, loop: loop, core: core).start(peer: accepted.peer)
                }
            }
            loop.shouldStop = { [unowned loop] in core.loopMayExit(loop) }
        }
        let acceptLoop = core.acceptLoop
        let drainInbox = acceptLoop.onWake
        acceptLoop.onWake = {
            drainInbox?()
            acceptor.wokeUp()
        }
        guard acceptor.start() else {
            core.configuration.log.warning("Error watching the listening socket: \(SocketCalls.errorText(errno))")
            return 1
        }

        var threads: [NativeThread] = []
        for loop in core.loops.dropFirst() {
            guard let thread = NativeThread({ loop.run() }) else {
                core.configuration.log.warning("Error creating an event-loop thread: \(SocketCalls.errorText(errno))")
                requestShutdown()
                break
            }
            threads.append(thread)
        }
        var refresher: NativeThread?
        if let interval = core.configuration.resolveInterval {
            let addresses = core.addresses
            refresher = NativeThread { addresses.refreshLoop(every: interval) }
        }

        onReady?()
        acceptLoop.run()
        for thread in threads { thread.join() }
        core.addresses.stop()
        refresher?.join()
        for loop in core.loops {
            loop.onWake = nil
            loop.shouldStop = nil
            loop.dropRegistrations()
        }
        return 0
    }

    /// Asks a running (or not yet running) engine to stop accepting and drain.
    /// Safe from any thread.
    public func requestShutdown() {
        core.shutdownRequested.store(true, ordering: .sequentiallyConsistent)
        core.acceptLoop.wake()
    }
}
