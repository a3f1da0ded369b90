// One epoll event loop, run by one thread. It owns an epoll instance, an
// eventfd for cross-thread wake-ups, a registration table (descriptor ->
// handler), a timer heap and per-loop scratch buffers.
//
// Guarantees:
// - Everything except `inbox`, `wake()` and `load` is touched only by the
//   loop's own thread (after `run` starts), so handlers need no locks.
// - An event is delivered only to the registration it was armed for: the
//   epoll cookie carries the descriptor and a generation number, so an event
//   for a descriptor closed and reused within the same epoll_wait batch is
//   dropped instead of reaching the new owner.
// - Only interests the handler currently holds (plus error/hang-up) are
//   delivered; a descriptor with no interest is removed from epoll, so a
//   hung-up socket cannot make the loop spin while the other side drains.
#if canImport(Glibc)
import Glibc
#endif
import Synchronization

/// Receives readiness events from an `EventLoop`.
protocol LoopHandler: AnyObject {
    /// `events` is the epoll mask (already limited to current interests plus
    /// EPOLLERR/EPOLLHUP); `tag` is the value given with the interest.
    func handleEvent(_ events: UInt32, tag: UInt8)
}

/// The epoll bits, as UInt32 for masks.
enum EpollBits {
    static let input = LinuxCalls.epollIn
    static let output = LinuxCalls.epollOut
    static let error = LinuxCalls.epollErr
    static let hangUp = LinuxCalls.epollHup
    static let edgeTriggered = LinuxCalls.epollET
}

/// A single-threaded epoll loop. `@unchecked Sendable`: it is created on one
/// thread and then used only by the thread running `run()`; the members other
/// threads may touch (`inbox`, `wake()`, `load`) are a lock, an eventfd write
/// and an Atomic.
final class EventLoop: @unchecked Sendable {
    private struct Registration {
        var handler: LoopHandler?
        var tag: UInt8 = 0
        var generation: UInt32 = 0
        var mask: UInt32 = 0
    }

    /// This loop's position in the engine's loop array.
    let index: Int
    /// Scratch and pooled buffers shared by this loop's connections.
    let buffers: LoopBuffers
    /// Sockets handed over by the accepting loop (any thread may push).
    let inbox = ForkSafeLock<[AcceptedSocket]>([])
    /// Connections owned by this loop (written here, read anywhere); shutdown waits for 0.
    let load = Atomic<Int>(0)
    /// The part of `load` still in both directions: a connection leaves it when
    /// either input ends (it is then only finishing). The acceptor balances on
    /// this, so a short connection that is closing does not push the next one
    /// to another thread (a cross-thread wake-up costs more than the work).
    let active = Atomic<Int>(0)
    /// The time at the start of the current iteration (nanoseconds, monotonic).
    private(set) var now: UInt64 = MonotonicClock.now()
    /// Called on this thread after a wake-up (inbox and flags may have changed).
    var onWake: (() -> Void)?
    /// Checked after every iteration; true ends `run()`.
    var shouldStop: (() -> Bool)?

    private let epollFD: Int32
    private let wakeFD: Int32
    private var table: [Registration] = []
    private var nextGeneration: UInt32 = 1
    private var timers = TimerHeap()
    private let eventCapacity = 256
    private let events: UnsafeMutableRawPointer
    private static let wakeCookie = UInt64.max

    /// Creates the epoll instance and wake eventfd.
    init(index: Int, buffers: LoopBuffers) throws(EngineError) {
        self.index = index
        self.buffers = buffers
        let ep = LinuxCalls.epollCreate()
        guard ep >= 0 else { throw .system("epoll_create1", errno) }
        let ev = LinuxCalls.makeEventFD()
        guard ev >= 0 else {
            let code = errno
            close(ep)
            throw .system("eventfd", code)
        }
        epollFD = ep
        wakeFD = ev
        events = .allocate(byteCount: eventCapacity * LinuxCalls.eventSize, alignment: 8)
        if LinuxCalls.epollControl(ep, LinuxCalls.ctlAdd, ev, events: EpollBits.input, cookie: Self.wakeCookie) != 0 {
            let code = errno
            close(ep)
            close(ev)
            events.deallocate()
            throw .system("epoll_ctl", code)
        }
    }

    deinit {
        close(epollFD)
        close(wakeFD)
        events.deallocate()
    }

    // MARK: Cross-thread

    /// Wakes the loop (any thread). Cheap: one eventfd write.
    func wake() {
        var one: UInt64 = 1
        _ = withUnsafeBytes(of: &one) { write(wakeFD, $0.baseAddress, 8) }
    }

    /// Queues an accepted socket for this loop and wakes it if the queue was empty.
    func enqueue(_ socket: AcceptedSocket) {
        let wasEmpty = inbox.withLock { queue -> Bool in
            queue.append(socket)
            return queue.count == 1
        }
        if wasEmpty { wake() }
    }

    /// Takes everything queued for this loop.
    func takeInbox() -> [AcceptedSocket] {
        inbox.withLock { queue in
            if queue.isEmpty { return [] }
            let taken = queue
            queue.removeAll(keepingCapacity: true)
            return taken
        }
    }

    // MARK: Loop-thread only

    /// Sets the interest mask for `fd` (0 removes it from epoll but keeps the
    /// handler). Returns false if epoll refused (the caller drops the descriptor).
    @discardableResult
    func setInterest(_ fd: Int32, _ mask: UInt32, handler: LoopHandler, tag: UInt8) -> Bool {
        guard fd >= 0 else { return false }
        let slot = Int(fd)
        if slot >= table.count {
            table.append(contentsOf: repeatElement(Registration(), count: max(slot + 1, table.count * 2, 64) - table.count))
        }
        var entry = table[slot]
        if entry.handler !== handler || entry.tag != tag {
            // A new owner: a fresh generation so stale events of the old one are dropped.
            if entry.mask != 0 { _ = LinuxCalls.epollControl(epollFD, LinuxCalls.ctlDel, fd, events: 0, cookie: 0) }
            entry = Registration(handler: handler, tag: tag, generation: 0, mask: 0)
        }
        if entry.mask == mask {
            table[slot] = entry
            return true
        }
        var rc: Int32 = 0
        if mask == 0 {
            rc = LinuxCalls.epollControl(epollFD, LinuxCalls.ctlDel, fd, events: 0, cookie: 0)
        } else {
            let op = entry.mask == 0 ? LinuxCalls.ctlAdd : LinuxCalls.ctlMod
            if op == LinuxCalls.ctlAdd {
                entry.generation = nextGeneration
                nextGeneration = nextGeneration == UInt32.max ? 1 : nextGeneration + 1
            }
            let cookie = UInt64(UInt32(bitPattern: fd)) | UInt64(entry.generation) << 32
            rc = LinuxCalls.epollControl(epollFD, op, fd, events: mask, cookie: cookie)
        }
        if rc != 0 {
            table[slot] = Registration()
            return false
        }
        entry.mask = mask
        table[slot] = entry
        return true
    }

    /// The current interest mask of `fd`.
    func interest(of fd: Int32) -> UInt32 {
        let slot = Int(fd)
        return slot >= 0 && slot < table.count ? table[slot].mask : 0
    }

    /// Drops `fd`'s registration. With `closing` the caller is about to close
    /// it (which removes it from epoll), so no epoll_ctl is spent.
    func forget(_ fd: Int32, closing: Bool) {
        let slot = Int(fd)
        guard slot >= 0, slot < table.count else { return }
        if !closing, table[slot].mask != 0 { _ = LinuxCalls.epollControl(epollFD, LinuxCalls.ctlDel, fd, events: 0, cookie: 0) }
        table[slot] = Registration()
    }

    /// Drops every registration once the loop has stopped for good. Handlers
    /// are held strongly, and the acceptor (registered for the listener and the
    /// SIGTERM eventfd) holds the engine core, which holds the loops: without
    /// this the engine would stay alive in a cycle after `run()` (found by
    /// LeakSanitizer). Descriptors stay open; the caller owns them.
    func dropRegistrations() {
        table = []
    }

    /// Arms a timer on this loop.
    func schedule(at deadline: UInt64, _ target: TimerTarget) {
        timers.schedule(at: deadline, target)
    }

    /// Runs until `shouldStop` says so.
    func run() {
        while true {
            now = MonotonicClock.now()
            let timeout = Self.coarsen(timers.waitMilliseconds(now: now))
            let count = LinuxCalls.epollWait(epollFD, events, Int32(eventCapacity), timeout)
            now = MonotonicClock.now()
            if count > 0 { dispatch(Int(count)) }
            while let due = timers.popDue(now: now) { due?.timerFired(now: now) }
            if shouldStop?() == true { return }
        }
    }

    /// Timer slack: a wait for a future deadline is rounded up to the next
    /// multiple of 25 ms. Deadlines here are the -o timeouts (seconds) and the
    /// accept back-off (100 ms), so firing up to 25 ms late changes nothing,
    /// while a busy daemon, whose every connection leaves a lazily cancelled
    /// deadline behind, no longer wakes up for them once per millisecond.
    static func coarsen(_ milliseconds: Int32) -> Int32 {
        let slack: Int32 = 25
        guard milliseconds > 0, milliseconds < Int32.max - slack else { return milliseconds }
        return (milliseconds + slack - 1) / slack * slack
    }

    private func dispatch(_ count: Int) {
        var woke = false
        for i in 0..<count {
            let (mask, cookie) = LinuxCalls.event(events, i)
            if cookie == Self.wakeCookie {
                var value: UInt64 = 0
                _ = withUnsafeMutableBytes(of: &value) { read(wakeFD, $0.baseAddress, 8) }
                woke = true
                continue
            }
            let slot = Int(UInt32(truncatingIfNeeded: cookie))
            let generation = UInt32(truncatingIfNeeded: cookie >> 32)
            guard slot < table.count else { continue }
            let entry = table[slot]
            guard entry.generation == generation, entry.mask != 0, let handler = entry.handler else { continue }
            let delivered = mask & (entry.mask | EpollBits.error | EpollBits.hangUp)
            if delivered != 0 { handler.handleEvent(delivered, tag: entry.tag) }
        }
        // After the batch: handing over sockets never races with the batch's events.
        if woke { onWake?() }
    }
}
