// The library's event loops: a process-wide set of epoll loops (one per core,
// at most 8), started lazily the first time a library connection or listener
// needs one, and running for the rest of the process (idle, they sleep in
// epoll_wait and cost nothing). Every library connection lives on exactly one
// of them; async callers reach it through `LibraryLoop.execute`, a
// cross-thread task queue woken by the loop's eventfd, so no connection ever
// has a thread of its own.
//
// Guarantees:
// - Tasks run on the loop thread, in the order they were queued.
// - `execute` is safe from any thread; the queue is a lock and an eventfd write.
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// One loop of the library engine, with its cross-thread task queue.
package final class LibraryLoop: @unchecked Sendable {
    // @unchecked Sendable: `loop` is touched only on its own thread, except
    // for `wake()`; `tasks` is a lock.
    let loop: EventLoop
    private let tasks = ForkSafeLock<[@Sendable () -> Void]>([])

    init(index: Int) throws(EngineError) {
        loop = try EventLoop(index: index, buffers: LoopBuffers())
    }

    /// Runs `task` on the loop thread soon (any thread may call).
    package func execute(_ task: @escaping @Sendable () -> Void) {
        let wasEmpty = tasks.withLock { queue -> Bool in
            queue.append(task)
            return queue.count == 1
        }
        if wasEmpty { loop.wake() }
    }

    /// Runs what is queued (loop thread; after a wake-up).
    fileprivate func drain() {
        while true {
            let batch = tasks.withLock { queue -> [@Sendable () -> Void] in
                let taken = queue
                queue.removeAll(keepingCapacity: true)
                return taken
            }
            if batch.isEmpty { return }
            for task in batch { task() }
        }
    }

    /// The loop's clock (loop thread).
    var now: UInt64 { loop.now }
}

/// The process-wide loops library connections run on.
package final class LibraryEngine: Sendable {
    /// Most loops started (a library shares the machine with its application).
    static let maxLoops = 8

    /// The engine, started on first use; the failure if epoll or a thread could not be had.
    package static let shared: Result<LibraryEngine, StreamFailure> = {
        do {
            return .success(try LibraryEngine())
        } catch let error as StreamFailure {
            return .failure(error)
        } catch {
            return .failure(.system("event loop", EIO))
        }
    }()

    /// The started engine, or the reason there is none.
    package static func get() throws(StreamFailure) -> LibraryEngine {
        switch shared {
        case .success(let engine): return engine
        case .failure(let failure): throw failure
        }
    }

    let loops: [LibraryLoop]
    private let next = Atomic<Int>(0)

    private init() throws(StreamFailure) {
        let count = max(1, min(ProxyEngine.defaultLoopCount(), Self.maxLoops))
        var made: [LibraryLoop] = []
        for index in 0..<count {
            do {
                made.append(try LibraryLoop(index: index))
            } catch {
                if case let .system(call, code) = error { throw .system(call, code) }
                throw .system("epoll_create1", EIO)
            }
        }
        loops = made
        for library in made {
            library.loop.onWake = { [unowned library] in library.drain() }
            // Threads run for the life of the process: never joined.
            guard NativeThread({ library.loop.run() }) != nil else { throw .system("pthread_create", errno) }
        }
    }

    /// The loop for a new connection (round robin).
    package func nextLoop() -> LibraryLoop {
        let n = next.add(1, ordering: .relaxed).oldValue
        return loops[n % loops.count]
    }
}
