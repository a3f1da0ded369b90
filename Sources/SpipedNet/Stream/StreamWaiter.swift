// One suspended async call on a library connection: its continuation and
// whether its task was cancelled. The continuation is stored by the calling
// thread before the registering task is queued (the queue's lock orders the
// two), and is afterwards touched only on the loop thread, which resumes it
// exactly once. Cancellation sets the flag first and then queues a task, so
// the loop sees it whichever of registration and cancellation runs first.
import Synchronization

/// A continuation resumed on a loop thread, with its cancellation flag.
final class StreamWaiter<Value: Sendable>: @unchecked Sendable {
    // @unchecked Sendable: `continuation` is written once before the waiter
    // is handed to the loop (through its locked queue) and then used only there.
    private var continuation: CheckedContinuation<Value, any Error>?
    private let cancelFlag = Atomic<Bool>(false)

    var isCancelled: Bool { cancelFlag.load(ordering: .acquiring) }

    /// Whether the continuation is still to be resumed.
    var isPending: Bool { continuation != nil }

    /// Resumes once (later calls do nothing). Loop thread.
    func resume(_ result: Result<Value, StreamFailure>) {
        guard let continuation else { return }
        self.continuation = nil
        switch result {
        case .success(let value): continuation.resume(returning: value)
        case .failure(.cancelled): continuation.resume(throwing: CancellationError())
        case .failure(let failure): continuation.resume(throwing: failure)
        }
    }

    /// Suspends the calling task until the loop resumes the waiter. `register`
    /// runs on `loop`; `cancel` runs there too if the task is cancelled.
    static func wait(on loop: LibraryLoop, register: @escaping @Sendable (StreamWaiter<Value>) -> Void,
                     cancel: @escaping @Sendable (StreamWaiter<Value>) -> Void) async throws -> Value {
        let waiter = StreamWaiter<Value>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Value, any Error>) in
                waiter.continuation = continuation
                loop.execute { register(waiter) }
            }
        } onCancel: {
            waiter.cancelFlag.store(true, ordering: .releasing)
            loop.execute { cancel(waiter) }
        }
    }
}
