// One proxied connection: the accepted source socket, the outgoing target
// socket, the handshake and the two data directions. This file holds the
// state, event dispatch, interest computation, timeouts and teardown; the
// connect + handshake phase is in ProxyConnection+Setup.swift and the data
// phase in ProxyConnection+Data.swift.
//
// Vocabulary: the *plain* side carries plaintext (source for -e, target for
// -d) and the *cipher* side carries spiped packets (target for -e, source for
// -d).
//
// Guarantees:
// - Confined to its loop's thread; every entry point returns at once once
//   `closed` is set, so a late event or timer is harmless.
// - Any error, reset, bad packet or timeout closes both sockets at once;
//   the end of one direction only half-closes (shutdown SHUT_WR) the other
//   socket after its pending output is flushed; both ended -> closed.
// - The engine's connection counters are decremented exactly once (close()).
#if canImport(Glibc)
import Glibc
#endif
import SpipedProtocol

/// A connection between a source peer and the target, owned by one loop.
final class ProxyConnection: LoopHandler, TimerTarget {
    static let plainTag: UInt8 = 0
    static let cipherTag: UInt8 = 1

    /// The loop outlives its connections (it is torn down only after all closed).
    unowned let loop: EventLoop
    let core: EngineCore
    let id: UInt64
    let acceptedAt: UInt64
    /// -e: the accepted socket is the plain side; -d: it is the cipher side.
    let sourceIsPlain: Bool

    var plainFD: Int32 = -1
    var cipherFD: Int32 = -1

    // Target connection.
    var addresses: [SocketAddress] = []
    var nextAddress = 0
    var connecting = false
    var targetReady = false
    var lastConnectError: Int32 = 0
    var connectDeadline: UInt64 = 0

    // Handshake.
    var handshake: Handshake?
    var handshakeDone = false
    var handshakeDeadline: UInt64 = 0
    /// Whether plaintext already flows out under a fast client's early sealer.
    var sendingEarly = false
    /// Ciphertext that arrived in the same read as the end of the handshake.
    var leftover: [UInt8] = []

    // Data phase.
    var sealer: PacketSealer?
    var opener: PacketOpener?
    var flowing = false
    var toPlain = PendingOutput()
    var toCipher = PendingOutput()
    var plainInputEnded = false
    var cipherInputEnded = false
    var plainWriteShut = false
    var cipherWriteShut = false
    var bytesFromPlain: UInt64 = 0
    var bytesFromCipher: UInt64 = 0
    var closed = false
    /// The PROXY protocol header still to write (`-P`; ProxyConnection+ProxyHeader.swift).
    var proxyHeader: [UInt8]?
    /// Whether this connection still counts in `loop.active` (until an input ends or it closes).
    var countedActive = true

    init(accepted: AcceptedSocket, loop: EventLoop, core: EngineCore) {
        self.loop = loop
        self.core = core
        self.id = accepted.id
        self.acceptedAt = accepted.acceptedAt
        self.sourceIsPlain = core.configuration.role == .client
        if sourceIsPlain { plainFD = accepted.fd } else { cipherFD = accepted.fd }
    }

    /// The outgoing socket (or -1 while none is open).
    var targetFD: Int32 {
        get { sourceIsPlain ? cipherFD : plainFD }
        set { if sourceIsPlain { cipherFD = newValue } else { plainFD = newValue } }
    }

    // MARK: Events

    func handleEvent(_ events: UInt32, tag: UInt8) {
        if closed { return }
        let isPlain = tag == Self.plainTag
        let fd = isPlain ? plainFD : cipherFD
        if connecting && fd == targetFD {
            connectAttemptFinished()
            return
        }
        if events & EpollBits.error != 0 {
            close()
            return
        }
        if events & EpollBits.output != 0 {
            if isPlain { flushPlain() } else { flushCipher() }
            if closed { return }
        }
        if events & (EpollBits.input | EpollBits.hangUp) != 0 {
            if loop.interest(of: fd) & EpollBits.input != 0 {
                if isPlain {
                    readPlain()
                } else if handshake != nil {
                    readHandshake()
                } else {
                    readCipher()
                }
            } else if events & EpollBits.hangUp != 0 {
                // Hung up while we are not reading it: the socket is dead both ways.
                close()
            }
            if closed { return }
        }
        updateInterest()
    }

    /// Recomputes what each socket waits for and tells the loop. Reading a side
    /// pauses while the opposite side's output is backed up (back-pressure).
    func updateInterest() {
        if closed { return }
        var plainMask: UInt32 = 0
        var cipherMask: UInt32 = 0
        if flowing {
            if !plainInputEnded && toCipher.isEmpty { plainMask |= EpollBits.input }
            if !cipherInputEnded && toPlain.isEmpty { cipherMask |= EpollBits.input }
        } else {
            if handshake != nil { cipherMask |= EpollBits.input }
            // A fast client's early sealer: its plaintext may go out already.
            if sealer != nil && !plainInputEnded && toCipher.isEmpty { plainMask |= EpollBits.input }
            if connecting {
                if sourceIsPlain { cipherMask |= EpollBits.output } else { plainMask |= EpollBits.output }
            }
        }
        if !toPlain.isEmpty { plainMask |= EpollBits.output }
        if !toCipher.isEmpty { cipherMask |= EpollBits.output }
        if plainFD >= 0, !loop.setInterest(plainFD, plainMask, handler: self, tag: Self.plainTag) {
            close()
            return
        }
        if cipherFD >= 0, !loop.setInterest(cipherFD, cipherMask, handler: self, tag: Self.cipherTag) {
            close()
        }
    }

    // MARK: Timeouts

    func timerFired(now: UInt64) {
        if closed { return }
        if connectDeadline != 0 && now >= connectDeadline {
            core.configuration.log.connection(.targetConnectFailed(id: id, target: core.configuration.target, reason: "timeout"))
            close()
            return
        }
        if handshakeDeadline != 0 && now >= handshakeDeadline {
            core.configuration.log.connection(.handshakeFailed(id: id, reason: .timeout))
            close()
        }
    }

    /// Arms a deadline `timeout` from now and returns it.
    func armDeadline() -> UInt64 {
        let deadline = loop.now &+ core.timeoutNanoseconds
        loop.schedule(at: deadline, self)
        return deadline
    }

    // MARK: Teardown

    /// Closes both sockets at once and releases everything. Idempotent.
    func close() {
        if closed { return }
        closed = true
        release(&plainFD)
        release(&cipherFD)
        toPlain.release(loop.buffers)
        toCipher.release(loop.buffers)
        handshake = nil
        sealer = nil
        opener = nil
        leftover = []
        proxyHeader = nil
        connectDeadline = 0
        handshakeDeadline = 0
        let seconds = Double(MonotonicClock.now() &- acceptedAt) / 1e9
        let fromSource = sourceIsPlain ? bytesFromPlain : bytesFromCipher
        let fromTarget = sourceIsPlain ? bytesFromCipher : bytesFromPlain
        core.configuration.log.connection(.closed(id: id, bytesFromSource: fromSource, bytesFromTarget: fromTarget, seconds: seconds))
        windingDown()
        core.connectionClosed(on: loop)
    }

    /// Leaves the loop's active count (once): an input ended or the connection closed.
    func windingDown() {
        guard countedActive else { return }
        countedActive = false
        loop.active.subtract(1, ordering: .relaxed)
    }

    private func release(_ fd: inout Int32) {
        guard fd >= 0 else { return }
        loop.forget(fd, closing: true)
        SocketCalls.closeDescriptor(fd)
        fd = -1
    }

    /// Closes when both directions have ended cleanly.
    func closeIfFinished() {
        if plainWriteShut && cipherWriteShut { close() }
    }
}
