// State shared by all of one engine's loops: the configuration, the target
// addresses, the loops themselves and the counters that implement -n and
// shutdown, and the current keys. Everything here is immutable, atomic or
// locked, so any loop thread may use it; per-connection state never lives here.
import Synchronization

/// Shared, thread-safe engine state.
final class EngineCore: Sendable {
    let configuration: ProxyConfiguration
    let addresses: TargetAddresses
    let loops: [EventLoop]
    /// The keys new connections start with (replaced on SIGHUP).
    let keyRing: KeyRing
    /// The -o timeout in nanoseconds.
    let timeoutNanoseconds: UInt64
    /// The --idle-timeout in nanoseconds, if set.
    let idleNanoseconds: UInt64?
    /// Whether the listener carries the per-connection socket options
    /// (keep-alive as configured, TCP_NODELAY), which Linux copies to every
    /// accepted TCP socket: then they are not set again per connection.
    let listenerOptionsInherited: Bool
    /// The `--metrics` counters (the event log's), nil without `--metrics`.
    let metrics: MetricsRegistry?

    /// Connections accepted and not yet closed (all loops; includes hand-offs in flight).
    let openConnections = Atomic<Int>(0)
    /// Set by the acceptor when it stopped accepting because of -n.
    let pausedAtLimit = Atomic<Bool>(false)
    /// Set once shutdown began: loops exit when they have no connections left.
    let stopping = Atomic<Bool>(false)
    /// Set by requestShutdown().
    let shutdownRequested = Atomic<Bool>(false)
    /// Connection numbers for logs.
    let nextConnectionID = Atomic<UInt64>(1)

    init(configuration: ProxyConfiguration, addresses: TargetAddresses, loops: [EventLoop],
         listenerOptionsInherited: Bool = false) {
        self.configuration = configuration
        self.listenerOptionsInherited = listenerOptionsInherited
        self.metrics = configuration.log.metrics
        self.addresses = addresses
        self.loops = loops
        self.keyRing = KeyRing(configuration.role == .server ? [configuration.key] + configuration.acceptKeys
                                                             : [configuration.key])
        self.timeoutNanoseconds = max(MonotonicClock.nanoseconds(configuration.timeout), 1_000_000)
        self.idleNanoseconds = configuration.idleTimeout.map { max(MonotonicClock.nanoseconds($0), 1_000_000) }
    }

    /// The accepting loop.
    var acceptLoop: EventLoop { loops[0] }

    /// Called by a loop when one of its connections closed.
    func connectionClosed(on loop: EventLoop) {
        loop.load.subtract(1, ordering: .relaxed)
        let remaining = openConnections.subtract(1, ordering: .sequentiallyConsistent).newValue
        // Pairs with the acceptor's store-then-recheck of pausedAtLimit: one of the
        // two always sees the other, so accepting can never stay paused below the limit.
        let limit = configuration.maxConnections
        if limit > 0, remaining < limit, pausedAtLimit.load(ordering: .sequentiallyConsistent) {
            acceptLoop.wake()
        }
    }

    /// Whether `loop` may leave its run loop now.
    func loopMayExit(_ loop: EventLoop) -> Bool {
        stopping.load(ordering: .sequentiallyConsistent) && loop.load.load(ordering: .sequentiallyConsistent) == 0
    }
}
