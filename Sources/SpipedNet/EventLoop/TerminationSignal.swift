// SIGTERM delivery to event loops. The handler does only async-signal-safe
// things: an atomic increment and a write(2) to an eventfd created before the
// handler is installed. Every running engine watches that eventfd
// (edge-triggered, never read, so each signal is an edge seen by every epoll
// instance watching it) and compares the counter with its value at start, so
// a signal is noticed by all engines in the process and only by those
// running when it arrived.
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Process-wide SIGTERM notification.
enum TerminationSignal {
    /// SIGTERMs received since the handler was installed.
    static let count = Atomic<Int>(0)

    /// The eventfd the handler writes to (never closed; -1 if eventfd failed).
    static let descriptor: Int32 = LinuxCalls.makeEventFD()

    private static let installed = ForkSafeLock<Bool>(false)

    /// Installs the SIGTERM handler once per process. Returns the eventfd to
    /// watch (or -1 when none could be made; the counter still works).
    static func install() -> Int32 {
        installOnce(SIGTERM, guardedBy: installed) { _ in
            TerminationSignal.count.add(1, ordering: .sequentiallyConsistent)
            TerminationSignal.wakeWatchers()
        }
    }

    /// Wakes every loop watching `descriptor`. Async-signal-safe (write(2) on
    /// an fd initialised before any handler was installed, errno kept), so
    /// signal handlers call it.
    static func wakeWatchers() {
        let target = descriptor
        guard target >= 0 else { return }
        let saved = errno
        var one: UInt64 = 1
        _ = write(target, &one, 8)
        errno = saved
    }

    /// Installs `handler` for `signal` the first time it is called with that
    /// `installed` flag (SA_RESTART, empty mask). Returns `descriptor`,
    /// initialised before the handler can run.
    static func installOnce(_ signal: Int32, guardedBy installed: ForkSafeLock<Bool>,
                            handler: @escaping @convention(c) (Int32) -> Void) -> Int32 {
        let fd = descriptor
        _ = count.load(ordering: .relaxed)
        installed.withLock { done in
            guard !done else { return }
            done = true
            var action = sigaction()
            action.__sigaction_handler.sa_handler = handler
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            _ = sigaction(signal, &action, nil)
        }
        return fd
    }
}
