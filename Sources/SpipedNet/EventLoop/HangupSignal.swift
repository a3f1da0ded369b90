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
        _ = count.load(ordering: .relaxed)
        return TerminationSignal.installOnce(SIGHUP, guardedBy: installed) { _ in
            HangupSignal.count.add(1, ordering: .sequentiallyConsistent)
            TerminationSignal.wakeWatchers()
        }
    }
}
