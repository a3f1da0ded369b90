// A joinable POSIX thread running a Swift closure. The engine runs each
// event loop on its own thread and needs join (to drain on shutdown), which
// neither Dispatch nor the stdlib offer without Foundation.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A started pthread that must be joined exactly once.
final class NativeThread {
    private final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private var handle: pthread_t?

    /// Starts `body` on a new thread; nil if pthread_create failed.
    init?(_ body: @escaping @Sendable () -> Void) {
        let box = Unmanaged.passRetained(Box(body))
        var thread = pthread_t()
        let rc = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let box = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            box.body()
            return nil
        }, box.toOpaque())
        guard rc == 0 else {
            box.release()
            return nil
        }
        handle = thread
    }

    /// Lets the thread finish on its own (its resources are released when it
    /// does); it can no longer be joined.
    func detach() {
        guard let thread = handle else { return }
        handle = nil
        _ = pthread_detach(thread)
    }

    /// Waits for the thread to finish.
    func join() {
        guard let thread = handle else { return }
        handle = nil
        _ = pthread_join(thread, nil)
    }
}
