// SIGHUP delivery to the accepting loop (key reload). The handler does only
// async-signal-safe things, as TerminationSignal's does: an atomic increment
// and a write(2) to TerminationSignal's eventfd, which every engine already
// watches. The acceptor compares the counter with the value it last acted
// on, so several SIGHUPs in a row cause at least one reload after the last,
// and the files are read on the loop thread, never in the handler.
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Process-wide SIGHUP notification.
package enum HangupSignal {
    /// SIGHUPs received since the handler was installed.
    static let count = Atomic<Int>(0)

    private static let installed = ForkSafeLock<Bool>(false)

    /// Installs the SIGHUP handler once per process (from then on SIGHUP no
    /// longer ends the process). Returns the eventfd to watch (-1 if none).
    package static func install() -> Int32 {
        let fd = TerminationSignal.descriptor   // initialise the global before the handler can run
        _ = count.load(ordering: .relaxed)
        installed.withLock { done in
            guard !done else { return }
            done = true
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { _ in
                HangupSignal.count.add(1, ordering: .sequentiallyConsistent)
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
            _ = sigaction(SIGHUP, &action, nil)
        }
        return fd
    }
}
