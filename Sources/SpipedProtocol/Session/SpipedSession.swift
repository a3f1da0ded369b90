// One spiped connection's protocol, sans-I/O, for either role: the handshake,
// the data packets both ways, and how and why it ended. spiped (-e and -d),
// spipe and the library all drive this one type; none of them touches a
// Handshake, PacketSealer or PacketOpener.
//
// The caller owns the sockets and the clock. It feeds the session events and
// does what the answers say:
//   1. after init, and after every call: send `takePeerOutput()` to the peer;
//   2. bytes from the peer -> `receive(_:into:)` -> plaintext to deliver to
//      the application (written into the caller's buffer); while `state` is
//      `.verified`, send the peer output and call `receive` again (with the
//      rest of the input, possibly none): that is when the keys are derived,
//      after the reply is on its way, so both sides' exponentiations overlap;
//   3. plaintext from the application (only while `canSeal`) -> `seal` ->
//      packets for the peer, written into the caller's buffer;
//   4. the peer's input ended -> `peerInputEnded()`: end the application's
//      stream once delivered, or the session has ended (mid-packet, or
//      during the handshake);
//   5. the application's input ended -> `applicationInputEnded()`: end the
//      stream to the peer once flushed;
//   6. the clock reached `nextDeadline` -> `deadlinePassed(now:)`;
//   7. anything the transport decides (I/O error, idle) -> `end(_:)`.
// Once `state` is `.ended`, nothing more is accepted or produced; the reason
// is kept for the log and metrics.
//
// Guarantees:
// - No syscall, no clock of its own, no allocation per packet: packets are
//   sealed and opened in place between the caller's buffers. The handshake
//   allocates a few small arrays once per connection.
// - Input in any fragmentation; handshake bytes and the data packets behind
//   them in the same read are told apart here, never by the caller.
// - The plaintext of good packets before a bad one is returned with the end
//   (the caller should still deliver it), as the C spiped forwards it.
// - A fast (-f) client may seal as soon as the server's nonce is in (its
//   keys cannot depend on the server's reply); received data is opened only
//   after the server's reply verified. Never with -g.
// - Keys and handshake secrets are released (and so wiped) the moment the
//   session ends.
import SpipedCrypto

/// A spiped connection's protocol state, independent of any transport.
///
/// ```swift
/// let session = SpipedSession(role: .client, key: key)
/// send(session.takePeerOutput())                 // the nonce
/// // for every read from the peer:
/// var offset = 0
/// repeat {
///     let step = session.receive(input[offset...], into: plaintext)
///     offset += step.consumed
///     deliver(plaintext[..<step.produced])
///     send(session.takePeerOutput())
/// } while offset < input.count || session.state == .verified
/// // while session.canSeal: send(packets[..<session.seal(data, into: packets)])
/// ```
public final class SpipedSession {
    /// Where the session stands.
    public enum State: Equatable, Sendable {
        /// The handshake runs; no plaintext may be sealed yet.
        case handshaking
        /// A fast (`-f`) client's handshake runs and its plaintext may already
        /// be sealed; the server's reply is not verified yet.
        case sendingEarly
        /// The peer's handshake message verified (the peer holds the key) and
        /// this side's reply waits in ``takePeerOutput()``: send it, then call
        /// ``receive(_:into:)`` again to derive the keys.
        case verified
        /// Keys derived: plaintext flows both ways.
        case established
        /// Finished for the given reason; nothing more flows.
        case ended(SessionEnd)
    }

    /// What the end of one input means for the other direction.
    public enum EndOfInput: Equatable, Sendable {
        /// A clean end: end the opposite stream once what is pending is delivered.
        case forward
        /// The session has ended (for this reason).
        case ended(SessionEnd)
    }

    private enum Flow { case open, ended }

    /// The largest plaintext one packet carries.
    public static let maxPayloadByteCount = PacketLayout.payloadCapacity
    /// The size of every data packet on the wire.
    public static let packetByteCount = PacketLayout.packetByteCount
    /// Most candidate keys a server session takes (`-k` plus the
    /// `--accept-key` files): each costs a dk1 and a MAC check per connection.
    public static let maxCandidateKeys = 8

    /// Ciphertext bytes ``seal(_:into:)`` writes for `count` plaintext bytes.
    public static func sealedByteCount(forPlaintextByteCount count: Int) -> Int {
        PacketLayout.sealedByteCount(forPlaintextByteCount: count)
    }

    /// Room ``receive(_:into:)`` needs to take `count` peer bytes at once:
    /// they complete at most count / 1060 + 1 packets.
    public static func plaintextCapacity(forPeerByteCount count: Int) -> Int {
        (max(count, 0) / PacketLayout.packetByteCount + 1) * PacketLayout.payloadCapacity
    }

    public private(set) var state: State

    /// Plaintext bytes sealed for the peer so far.
    public private(set) var bytesSealed: UInt64 = 0
    /// Plaintext bytes opened from the peer so far.
    public private(set) var bytesOpened: UInt64 = 0

    /// Which of the candidate keys the peer proved it holds (0 for `-k`);
    /// nil until the peer's handshake message verified.
    public private(set) var keyIndex: Int?

    private var handshake: Handshake?
    private var sealer: PacketSealer?
    private var opener: PacketOpener?
    private var peerOutput: [UInt8] = []
    private var peerInput = Flow.open
    private var applicationInput = Flow.open
    private let handshakeDeadline: UInt64?

    /// Starts a session; its nonce is ready in ``takePeerOutput()``.
    ///
    /// - Parameters:
    ///   - role: `.client` for the side that connects (`spiped -e`, `spipe`),
    ///     `.server` for `spiped -d`.
    ///   - key: the shared key.
    ///   - options: `-f` and `-g`.
    ///   - random: where nonces and exponents come from (the kernel by default).
    ///   - handshakeDeadline: when the handshake must be done, on the caller's
    ///     clock (see ``nextDeadline``); nil for none.
    ///
    /// If no randomness can be had the session starts ended, with
    /// ``SessionEnd/randomnessUnavailable``: never a weaker source. `fast`
    /// with `requirePFS` starts it ended with ``SessionEnd/setupRefused(_:)``.
    public convenience init(role: HandshakeRole, key: SpipedKey, options: HandshakeOptions = HandshakeOptions(),
                            random: some RandomSource = SystemRandom(), handshakeDeadline: UInt64? = nil) {
        self.init(role: role, candidateKeys: [key], options: options, random: random, handshakeDeadline: handshakeDeadline)
    }

    /// Starts a session that accepts a peer using any of `candidateKeys`, in
    /// order of preference (a server: `-k` then the `--accept-key` keys; a
    /// client takes exactly one). The peer's MAC is checked under every key,
    /// in constant time, and the first that verified is used
    /// (``keyIndex``). Arguments that cannot work (no key, more than
    /// ``maxCandidateKeys``, several for a client, `fast` with `requirePFS`)
    /// start the session ended with ``SessionEnd/setupRefused(_:)``.
    public init(role: HandshakeRole, candidateKeys: [SpipedKey], options: HandshakeOptions = HandshakeOptions(),
                random: some RandomSource = SystemRandom(), handshakeDeadline: UInt64? = nil) {
        self.handshakeDeadline = handshakeDeadline
        do {
            let handshake = try Handshake(role: role, candidateKeys: candidateKeys, options: options, random: random)
            self.handshake = handshake
            peerOutput = handshake.pendingOutput()
            state = .handshaking
        } catch let error as HandshakeSetupError {
            state = .ended(.setupRefused(error))
        } catch {
            state = .ended(.randomnessUnavailable)
        }
    }

    // MARK: What the caller asks

    /// Whether ``seal(_:into:)`` takes plaintext now.
    public var canSeal: Bool { sealer != nil && applicationInput == .open }

    /// Whether the keys are derived (data may flow both ways).
    public var isEstablished: Bool { state == .established }

    /// When ``deadlinePassed(now:)`` must be called, on the caller's clock:
    /// the handshake deadline until the keys are derived, then none.
    public var nextDeadline: UInt64? {
        switch state {
        case .handshaking, .sendingEarly, .verified: return handshakeDeadline
        case .established, .ended: return nil
        }
    }

    /// Handshake bytes to send to the peer now (often none), handed over once.
    public func takePeerOutput() -> [UInt8] {
        if peerOutput.isEmpty { return [] }
        defer { peerOutput = [] }
        return peerOutput
    }

    /// Computes this side's Diffie-Hellman public value now, if the handshake
    /// still needs it: call after sending the nonce, while the peer's
    /// message is on its way, to take the work off the critical path.
    public func precompute() {
        handshake?.precompute()
    }

    // MARK: Events

    /// Bytes from the peer. Consumes what it can: everything, unless
    /// `plaintext` fills up or the state became ``State/verified`` (then
    /// send the peer output and offer the rest again). Plaintext of the
    /// packets opened is in `plaintext[0..<produced]`; it is produced only
    /// while `plaintext` has room for a whole packet (1024 bytes), so give it
    /// ``plaintextCapacity(forPeerByteCount:)`` to take a read at once.
    public func receive(_ input: UnsafeRawBufferPointer, into plaintext: UnsafeMutableRawBufferPointer)
        -> (consumed: Int, produced: Int) {
        switch state {
        case .established:
            return open(input, into: plaintext)
        case .handshaking, .sendingEarly:
            return receiveHandshake(input, into: plaintext)
        case .verified:
            deriveKeys()
            guard state == .established else { return (0, 0) }
            return open(input, into: plaintext)
        case .ended:
            return (0, 0)
        }
    }

    /// Plaintext from the application, sealed into packets in `out` (which
    /// needs ``sealedByteCount(forPlaintextByteCount:)`` bytes); returns the
    /// bytes written. Seals nothing (returns 0) unless ``canSeal``. When the
    /// packet counter is used up (2^64 packets) it seals nothing and the
    /// session ends with ``SessionEnd/packetLimitReached``.
    public func seal(_ plaintext: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
        guard let sealer, applicationInput == .open,
              out.count >= PacketLayout.sealedByteCount(forPlaintextByteCount: plaintext.count) else { return 0 }
        let written = sealer.seal(plaintext, into: out)
        if written == 0 && plaintext.count > 0 {
            end(.packetLimitReached)
            return 0
        }
        bytesSealed &+= UInt64(plaintext.count)
        return written
    }

    /// The peer's input ended (it half-closed or closed).
    public func peerInputEnded() -> EndOfInput {
        if state == .verified { deriveKeys() }
        switch state {
        case .ended(let reason):
            return .ended(reason)
        case .handshaking, .sendingEarly, .verified:
            end(.closedDuringHandshake)
        case .established:
            if opener?.hasPartialPacket == true {
                end(.truncated)
            } else {
                peerInput = .ended
                if applicationInput == .ended { end(.completed) }
                return .forward
            }
        }
        if case .ended(let reason) = state { return .ended(reason) }
        return .forward
    }

    /// The application's input ended. Call once ``canSeal`` has been true
    /// (the stream to the peer may then end once its packets are flushed).
    public func applicationInputEnded() -> EndOfInput {
        if case .ended(let reason) = state { return .ended(reason) }
        applicationInput = .ended
        if peerInput == .ended { end(.completed) }
        return .forward
    }

    /// The caller's clock reached ``nextDeadline`` (or later): a handshake
    /// still running then has timed out.
    public func deadlinePassed(now: UInt64) {
        if let deadline = nextDeadline, now >= deadline { end(.handshakeTimedOut) }
    }

    /// Ends the session for a reason the transport knows (an I/O error, a
    /// reset, an idle timeout: ``SessionEnd/aborted``), or any other. The
    /// first reason stays; keys are released at once.
    public func end(_ reason: SessionEnd) {
        if case .ended = state { return }
        state = .ended(reason)
        handshake = nil
        sealer = nil
        opener = nil
        peerOutput = []
    }

    // MARK: Steps

    private func receiveHandshake(_ input: UnsafeRawBufferPointer, into plaintext: UnsafeMutableRawBufferPointer)
        -> (consumed: Int, produced: Int) {
        guard let handshake else { return (0, 0) }
        let used: Int
        do throws(HandshakeError) {
            used = try handshake.receive(input)
        } catch {
            end(.handshakeRefused(error))
            return (input.count, 0)
        }
        peerOutput += handshake.pendingOutput()
        guard handshake.isComplete else {
            if state == .handshaking, let early = handshake.earlySealer() {
                sealer = early
                state = .sendingEarly
            }
            return (used, 0)
        }
        keyIndex = handshake.verifiedKeyIndex
        if !peerOutput.isEmpty {
            // The reply goes out before the shared value is computed.
            state = .verified
            return (used, 0)
        }
        deriveKeys()
        guard state == .established else { return (used, 0) }
        let rest = open(UnsafeRawBufferPointer(rebasing: input[used...]), into: plaintext)
        return (used + rest.consumed, rest.produced)
    }

    private func deriveKeys() {
        guard let keys = handshake?.finish() else {
            end(.handshakeRefused(.failed))
            return
        }
        handshake = nil
        sealer = keys.sealer
        opener = keys.opener
        state = .established
    }

    @inline(__always)
    private func open(_ input: UnsafeRawBufferPointer, into plaintext: UnsafeMutableRawBufferPointer)
        -> (consumed: Int, produced: Int) {
        guard let opener else { return (0, 0) }
        let result = opener.openAvailable(input, into: plaintext)
        bytesOpened &+= UInt64(result.produced)
        if let failure = result.failure {
            end(failure == .packetLimitReached ? .packetLimitReached : .packetRejected(failure))
            return (input.count, result.produced)
        }
        return (result.consumed, result.produced)
    }
}
