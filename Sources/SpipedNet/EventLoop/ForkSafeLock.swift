// A lock-protected value built on pthread_mutex_t, used instead of
// Synchronization.Mutex. Why: the daemon forks (front end, before the engine
// starts), and Mutex on Linux records the owner's thread id from a per-thread
// cache that survives fork(): in the child, the main thread's cached id is the
// parent's, so a contended Mutex sees a nonexistent owner and spins
// (FUTEX_LOCK_PI -> ESRCH) or traps. Measured here with Swift 6.3.1:
// a 100%-CPU spin in a forked spiped. glibc's pthread mutexes take the thread
// id from glibc's own thread descriptor, which fork() updates.
#if canImport(Glibc)
import Glibc
#endif

/// A value guarded by a pthread mutex; safe to use across fork() in the child.
final class ForkSafeLock<Value>: @unchecked Sendable {
    // @unchecked Sendable: `value` is only touched between lock and unlock.
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>
    private var value: Value

    init(_ value: Value) {
        self.value = value
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Runs `body` with exclusive access to the value.
    @inline(__always)
    func withLock<R>(_ body: (inout Value) throws -> R) rethrows -> R {
        pthread_mutex_lock(mutex)
        defer { pthread_mutex_unlock(mutex) }
        return try body(&value)
    }
}
