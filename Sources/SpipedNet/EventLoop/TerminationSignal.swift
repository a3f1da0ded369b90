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
        let fd = descriptor   // initialise the global before the handler can run
        _ = count.load(ordering: .relaxed)
        installed.withLock { done in
            guard !done else { return }
            done = true
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in
                // Async-signal-safe: an atomic add and write(2) on an already-initialised fd.
                TerminationSignal.count.add(1, ordering: .sequentiallyConsistent)
                let target = TerminationSignal.descriptor
                if target >= 0 {
                    let saved = errno
                    var one: UInt64 = 1
                    _ = write(target, &one, 8)
                    errno = saved
                }
            }
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_RESTART
            _ = sigaction(SIGTERM, &action, nil)
        }
        return fd
    }
}
