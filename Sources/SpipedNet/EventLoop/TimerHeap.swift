// A per-loop min-heap of deadlines. Each entry names a target object that is
// told "your deadline passed"; entries are never removed early: a target whose
// deadline no longer matters just ignores the call (lazy cancellation). That
// keeps arming O(log n) with no bookkeeping. Entries hold their target weakly,
// so a connection that closed before its deadline is freed at once; only the
// small entry lingers until its time comes (bounded by the -o timeout).
// Confined to one event-loop thread.

/// Something a loop timer can fire at.
protocol TimerTarget: AnyObject {
    /// Called on the loop thread once `now` has reached a deadline it armed.
    func timerFired(now: UInt64)
}

/// A binary min-heap of (deadline, target).
struct TimerHeap {
    private struct Entry {
        var deadline: UInt64
        var sequence: UInt64   // ties fire in arming order
        weak var target: TimerTarget?
    }

    private var entries: [Entry] = []
    private var nextSequence: UInt64 = 0

    /// Whether no timer is armed.
    var isEmpty: Bool { entries.isEmpty }

    /// The earliest deadline, if any.
    var earliest: UInt64? { entries.first?.deadline }

    /// Arms a timer.
    mutating func schedule(at deadline: UInt64, _ target: TimerTarget) {
        entries.append(Entry(deadline: deadline, sequence: nextSequence, target: target))
        nextSequence &+= 1
        siftUp(entries.count - 1)
    }

    /// Removes the earliest entry if it is due. Returns nil when none is due;
    /// `.some(nil)` for a due entry whose target is gone.
    mutating func popDue(now: UInt64) -> TimerTarget?? {
        guard let first = entries.first, first.deadline <= now else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            siftDown(0)
        }
        return .some(first.target)
    }

    /// Milliseconds epoll_wait may sleep: -1 with no timer, rounded up so a
    /// wake-up never comes before the deadline (which would spin).
    func waitMilliseconds(now: UInt64) -> Int32 {
        guard let deadline = earliest else { return -1 }
        if deadline <= now { return 0 }
        let ms = (deadline - now + 999_999) / 1_000_000
        return Int32(min(ms, UInt64(Int32.max)))
    }

    private func less(_ a: Int, _ b: Int) -> Bool {
        let x = entries[a], y = entries[b]
        return x.deadline != y.deadline ? x.deadline < y.deadline : x.sequence < y.sequence
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard less(child, parent) else { break }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        let count = entries.count
        while true {
            let left = 2 * parent + 1
            guard left < count else { break }
            var smallest = left
            if left + 1 < count, less(left + 1, left) { smallest = left + 1 }
            guard less(smallest, parent) else { break }
            entries.swapAt(smallest, parent)
            parent = smallest
        }
    }
}
