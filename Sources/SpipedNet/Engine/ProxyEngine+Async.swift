// Running a ProxyEngine from async code (the library's SpipedPipe): the
// engine's first loop gets a thread of its own (run() blocks), the awaiting
// task is resumed when run() returns, and cancelling the task asks the
// engine to shut down (stop accepting, let open connections finish).

extension ProxyEngine {
    /// Runs the engine on a thread of its own until it stops; returns run()'s status.
    package func runDetached() async -> Int32 {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                guard let thread = NativeThread({ continuation.resume(returning: self.run()) }) else {
                    continuation.resume(returning: 1)
                    return
                }
                thread.detach()
            }
        } onCancel: {
            requestShutdown()
        }
    }
}
