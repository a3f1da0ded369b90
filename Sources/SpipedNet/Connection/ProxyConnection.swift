// One proxied connection: two sockets and the SpipedSession between them.
// The session decides everything about the protocol; this type only moves
// bytes between the sockets and the session, and keeps the phase.
//
// Vocabulary: the *plain* side carries plaintext (the accepted source for
// -e, the target for -d) and the *cipher* side carries spiped packets (the
// target for -e, the accepted source for -d). Both sides have the same
// state (`SideState`), reached by `Side`.
//
// This file: the state, event dispatch, interest, timers and teardown. The
// target connect and session start are in ProxyConnection+Setup.swift, the
// data path in ProxyConnection+Data.swift.
//
// Guarantees:
// - Confined to its loop's thread; every entry point returns at once once
//   the phase is `.closed`, so a late event or timer is harmless.
// - An error, reset or timeout closes both sockets at once. A session that
//   ended badly (bad packet, handshake failure) first delivers the plaintext
//   it already produced, bounded by the -o timeout (`.draining`). The end of
//   one input half-closes the other side's socket once its pending output is
//   flushed; both half-closed -> closed.
// - The engine's connection counters are decremented exactly once (close()).
#if canImport(Glibc)
import Glibc
#endif
import SpipedProtocol

/// One of a connection's two sockets.
enum Side: UInt8 {
    /// Plaintext: the application's socket.
    case plain = 0
    /// spiped packets: the peer's socket.
    case cipher = 1
}

/// Whether more input may come from a socket.
enum InputState { case open, ended }
/// Whether we may still write to a socket.
enum OutputState { case open, shut }

/// Everything a connection holds for one socket.
struct SideState {
    var fd: Int32 = -1
    /// Bytes accepted for this socket and not yet sent.
    var pending = PendingOutput()
    var input = InputState.open
    var output = OutputState.open
    /// The epoll interest last asked for.
    var interest: UInt32 = 0
}

/// A connection between a source peer and the target, owned by one loop.
final class ProxyConnection: LoopHandler, TimerTarget {
    enum Phase: Equatable {
        /// -e: connecting to the target; the handshake starts once connected.
        case connecting
        /// The handshake runs (-d: the target connect may run alongside, see `target`).
        case handshaking
        /// Keys derived and the target connected: data flows.
        case flowing
        /// The session ended badly; the plaintext it produced before is still
        /// being delivered (within -o), then the connection closes.
        case draining
        case closed
    }

    /// The outgoing connection's progress.
    enum TargetLink { case notStarted, connecting, connected }

    /// The loop outlives its connections (it is torn down only after all closed).
    unowned let loop: EventLoop
    let core: EngineCore
    let id: UInt64
    let acceptedAt: UInt64
    /// Which side the accepted socket is: plain for -e, cipher for -d.
    let sourceSide: Side

    var phase = Phase.connecting
    var target = TargetLink.notStarted
    var session: SpipedSession?
    var plain = SideState()
    var cipher = SideState()

    // Target connect.
    var addresses: [SocketAddress] = []
    var nextAddress = 0
    var lastConnectError: Int32 = 0
    var connectDeadline: UInt64?
    var drainDeadline: UInt64?
    /// --idle-timeout: when the next idle check is due, and the loop time of
    /// the last readiness event (bytes moved, or were about to).
    var idleDeadline: UInt64?
    var lastActivity: UInt64 = 0
    /// Whether this connection still counts in `loop.active` (until an input ends or it closes).
    var countedActive = true
    /// The PROXY protocol header still to write (`-P`; ProxyConnection+ProxyHeader.swift).
    var proxyHeader: [UInt8]?
    /// How much of the sealed plaintext was that header (-e).
    var proxyHeaderBytesSealed: UInt64 = 0

    init(accepted: AcceptedSocket, loop: EventLoop, core: EngineCore) {
        self.loop = loop
        self.core = core
        self.id = accepted.id
        self.acceptedAt = accepted.acceptedAt
        self.sourceSide = core.configuration.role == .client ? .plain : .cipher
        self[sourceSide].fd = accepted.fd
    }

    subscript(side: Side) -> SideState {
        _read {
            switch side {
            case .plain: yield plain
            case .cipher: yield cipher
            }
        }
        _modify {
            switch side {
            case .plain: yield &plain
            case .cipher: yield &cipher
            }
        }
    }

    /// The side the outgoing socket is.
    var targetSide: Side { sourceSide == .plain ? .cipher : .plain }

    // MARK: Events

    func handleEvent(_ events: UInt32, tag: UInt8) {
        guard phase != .closed, let side = Side(rawValue: tag) else { return }
        lastActivity = loop.now
        if target == .connecting && side == targetSide {
            connectAttemptFinished()
            return
        }
        if events & EpollBits.error != 0 {
            abort()
            return
        }
        if events & EpollBits.output != 0 {
            flush(side)
            if phase == .closed { return }
        }
        if events & (EpollBits.input | EpollBits.hangUp) != 0 {
            if self[side].interest & EpollBits.input != 0 {
                switch side {
                case .plain: readPlain()
                case .cipher: readCipher()
                }
            } else if events & EpollBits.hangUp != 0 {
                // Hung up while we are not reading it: the socket is dead both ways.
                abort()
            }
            if phase == .closed { return }
        }
        updateInterest()
    }

    /// Recomputes what each socket waits for and tells the loop. A side is
    /// read only while the opposite side has nothing pending (back-pressure).
    func updateInterest() {
        var plainMask: UInt32 = 0
        var cipherMask: UInt32 = 0
        switch phase {
        case .closed:
            return
        case .draining:
            break
        case .connecting, .handshaking, .flowing:
            if let session {
                if session.canSeal && plain.input == .open && cipher.pending.isEmpty {
                    plainMask |= EpollBits.input
                }
                if cipher.input == .open && plain.pending.isEmpty { cipherMask |= EpollBits.input }
            }
        }
        if target == .connecting {
            if targetSide == .plain { plainMask |= EpollBits.output } else { cipherMask |= EpollBits.output }
        }
        if !plain.pending.isEmpty && writable(.plain) { plainMask |= EpollBits.output }
        if !cipher.pending.isEmpty && writable(.cipher) { cipherMask |= EpollBits.output }
        guard setInterest(.plain, plainMask) else { return abort() }
        guard setInterest(.cipher, cipherMask) else { return abort() }
    }

    private func setInterest(_ side: Side, _ mask: UInt32) -> Bool {
        let fd = self[side].fd
        guard fd >= 0, self[side].interest != mask else { return true }
        guard loop.setInterest(fd, mask, handler: self, tag: side.rawValue) else { return false }
        self[side].interest = mask
        return true
    }

    /// Whether the socket of `side` is there to write to (the target only once connected).
    func writable(_ side: Side) -> Bool {
        self[side].fd >= 0 && (side != targetSide || target == .connected)
    }

    // MARK: Timeouts

    func timerFired(now: UInt64) {
        if phase == .closed { return }
        if let deadline = connectDeadline, now >= deadline {
            core.configuration.log.connection(.targetConnectFailed(id: id, target: core.configuration.target, reason: "timeout"))
            close()
            return
        }
        if let session, phase == .handshaking {
            session.deadlinePassed(now: now)
            if case .ended(let reason) = session.state { return sessionEnded(reason) }
        }
        if phase == .draining, let deadline = drainDeadline, now >= deadline {
            close()
            return
        }
        if phase == .flowing, let deadline = idleDeadline, now >= deadline, let idle = core.idleNanoseconds {
            if now &- lastActivity >= idle {
                core.configuration.log.connection(.idleTimeout(id: id, seconds: Double(now &- lastActivity) / 1e9))
                session?.end(.idleTimeout)
                close()
            } else {
                armIdleCheck(at: lastActivity &+ idle)
            }
        }
    }

    /// Arms the next idle check (--idle-timeout).
    func armIdleCheck(at deadline: UInt64) {
        idleDeadline = deadline
        loop.schedule(at: deadline, self)
    }

    /// A deadline `timeout` (-o) from now, armed on the loop.
    func armDeadline() -> UInt64 {
        let deadline = loop.now &+ core.timeoutNanoseconds
        loop.schedule(at: deadline, self)
        return deadline
    }

    // MARK: Teardown

    /// The session ended: report why, then close, or first deliver the
    /// plaintext it produced before a failure.
    func sessionEnded(_ reason: SessionEnd) {
        let log = core.configuration.log
        switch reason {
        case .completed:
            return   // both inputs ended cleanly: the half-closes finish the connection
        case .packetRejected, .truncated, .packetLimitReached:
            log.connection(.packetAuthenticationFailed(id: id))
        case .aborted, .idleTimeout:
            break
        case .handshakeRefused, .handshakeTimedOut, .closedDuringHandshake, .randomnessUnavailable, .setupRefused:
            log.connection(.handshakeFailed(id: id, reason: HandshakeFailureReason(reason)))
        }
        // The plaintext may be waiting for the target's connect to finish (-d).
        let targetComing = targetSide == .plain && target == .connecting
        if !plain.pending.isEmpty && (writable(.plain) || targetComing) && phase != .draining {
            phase = .draining
            drainDeadline = armDeadline()
            updateInterest()
        } else {
            close()
        }
    }

    /// Drops the connection at once (I/O error, reset, hang-up).
    func abort() {
        session?.end(.aborted)
        close()
    }

    /// Closes both sockets and releases everything. Idempotent.
    func close() {
        if phase == .closed { return }
        phase = .closed
        release(.plain)
        release(.cipher)
        session?.end(.aborted)
        connectDeadline = nil
        drainDeadline = nil
        idleDeadline = nil
        proxyHeader = nil
        let seconds = Double(MonotonicClock.now() &- acceptedAt) / 1e9
        // The -e PROXY header is sealed plaintext, but not bytes from the source.
        let fromPlain = (session?.bytesSealed ?? 0) &- proxyHeaderBytesSealed
        let fromCipher = session?.bytesOpened ?? 0
        let fromSource = sourceSide == .plain ? fromPlain : fromCipher
        let fromTarget = sourceSide == .plain ? fromCipher : fromPlain
        core.configuration.log.connection(.closed(id: id, bytesFromSource: fromSource, bytesFromTarget: fromTarget, seconds: seconds))
        session = nil
        windingDown()
        core.connectionClosed(on: loop)
    }

    /// Leaves the loop's active count (once): an input ended or the connection closed.
    func windingDown() {
        guard countedActive else { return }
        countedActive = false
        loop.active.subtract(1, ordering: .relaxed)
    }

    private func release(_ side: Side) {
        self[side].pending.release(loop.buffers)
        let fd = self[side].fd
        guard fd >= 0 else { return }
        loop.forget(fd, closing: true)
        SocketCalls.closeDescriptor(fd)
        self[side].fd = -1
        self[side].interest = 0
    }

    /// Closes when both directions have ended cleanly.
    func closeIfFinished() {
        if plain.output == .shut && cipher.output == .shut { close() }
    }
}
