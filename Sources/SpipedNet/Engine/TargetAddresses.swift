// The target's current resolved addresses, shared by all loops, and the
// thread that refreshes them every -r seconds. Resolution (getaddrinfo) can
// block for seconds, so it never runs on an event loop: loops only copy the
// current array (a reference-count bump) when a connection starts. A failed
// re-resolution keeps the previous addresses and warns.
#if canImport(Glibc)
import Glibc
#endif

/// Current target addresses plus the optional re-resolution thread.
final class TargetAddresses: Sendable {
    private let current: ForkSafeLock<[SocketAddress]>
    private let resolve: @Sendable () throws -> [SocketAddress]
    private let targetText: String
    private let log: EventLog
    private let stopFD: Int32

    /// Resolves once now; throws if that fails.
    init(configuration: ProxyConfiguration) throws {
        resolve = configuration.resolveTarget
        targetText = configuration.target
        log = configuration.log
        current = ForkSafeLock(try configuration.resolveTarget())
        stopFD = LinuxCalls.makeEventFD()
    }

    deinit {
        if stopFD >= 0 { close(stopFD) }
    }

    /// The addresses to try, in order.
    var snapshot: [SocketAddress] { current.withLock { $0 } }

    /// Re-resolves every `interval` seconds until `stop()`; runs on its own thread.
    func refreshLoop(every interval: Double) {
        // Clamped before any integer conversion (which traps on NaN or infinity).
        let seconds = interval.isNaN ? 60 : min(max(interval, 0.001), 86_400 * 365)
        let ms = Int32(clamping: Int64(seconds * 1000))
        while true {
            var pfd = pollfd(fd: stopFD, events: Int16(POLLIN), revents: 0)
            let rc = poll(&pfd, 1, ms)
            if rc > 0 || stopFD < 0 { return }
            if rc < 0 && errno != EINTR { return }
            if rc < 0 { continue }
            do {
                let fresh = try resolve()
                if !fresh.isEmpty { current.withLock { $0 = fresh } }
            } catch {
                log.warning("Error re-resolving \(targetText): \(error); keeping the previous addresses")
            }
        }
    }

    /// Ends `refreshLoop` (any thread).
    func stop() {
        guard stopFD >= 0 else { return }
        var one: UInt64 = 1
        _ = write(stopFD, &one, 8)
    }
}
