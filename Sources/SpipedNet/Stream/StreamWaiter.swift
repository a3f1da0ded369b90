// One suspended async call on a library connection: its continuation, its
// outcome and whether its task was cancelled. The continuation is stored by
// the calling thread before the registering task is queued (the queue's lock
// orders the two), and is afterwards touched only on the loop thread, which
// resumes it exactly once. Cancellation sets the flag first and then queues a
// task, so the loop sees it whichever of registration and cancellation runs
// first.
//
// The outcome travels through a lock, not through the continuation: the
// loop stores it under the lock and then resumes; the task takes it under
// the same lock. That is an ordering every tool can see (ThreadSanitizer
// does not see the one a continuation resumed from a foreign thread gives),
// so bytes the loop wrote into a chunk are visibly complete for the reader.
import Synchronization

/// A continuation resumed on a loop thread, with its outcome and cancellation flag.
final class StreamWaiter<Value: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `continuation` is written once before the waiter
    // is handed to the loop (through its locked queue) and then used only
    // there; `outcome` is a lock.
    private var continuation: CheckedContinuation<Void, Never>?
    private let outcome = ForkSafeLock<Result<Value, StreamFailure>?>(nil)
    private let cancelFlag = Atomic<Bool>(false)

    var isCancelled: Bool { cancelFlag.load(ordering: .acquiring) }

    /// Whether the continuation is still to be resumed.
    var isPending: Bool { continuation != nil }

    /// Resumes once (later calls do nothing). Loop thread.
    func resume(_ result: Result<Value, StreamFailure>) {
        guard let continuation else { return }
        self.continuation = nil
        outcome.withLock { $0 = result }
        continuation.resume()
    }

    /// Suspends the calling task until the loop resumes the waiter. `register`
    /// runs on `loop`; `cancel` runs there too if the task is cancelled.
    static func wait(on loop: LibraryLoop, register: @escaping @Sendable (StreamWaiter<Value>) -> Void,
                     cancel: @escaping @Sendable (StreamWaiter<Value>) -> Void) async throws -> Value {
        let waiter = StreamWaiter<Value>()
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                waiter.continuation = continuation
                loop.execute { register(waiter) }
            }
        } onCancel: {
            waiter.cancelFlag.store(true, ordering: .releasing)
            loop.execute { cancel(waiter) }
        }
        switch waiter.outcome.withLock({ $0 }) {
        case .success(let value): return value
        case .failure(.cancelled): throw CancellationError()
        case .failure(let failure): throw failure
        case nil: throw StreamFailure.closed   // not reached: resume always sets it first
        }
    }
}
