// A thread a test can join, with a timeout (Foundation's Thread has no join).
import Foundation

/// A thread that runs `body` and can be joined.
public final class JoinableThread: @unchecked Sendable {
    // @unchecked: `finished` is only touched under `lock`.
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var finished = false

    public init(_ body: @escaping @Sendable () -> Void) {
        let thread = Thread { [done] in
            body()
            done.signal()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    /// True if the thread ended within `seconds`.
    @discardableResult
    public func join(timeout seconds: Double = 30) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        if finished { return true }
        finished = done.wait(timeout: .now() + seconds) == .success
        return finished
    }
}

extension Thread {
    /// Starts `body` on a new thread and returns a handle to join it.
    public static func detachedJoinable(_ body: @escaping @Sendable () -> Void) -> JoinableThread { JoinableThread(body) }
}
