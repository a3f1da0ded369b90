// The spiped handshake as a sans-I/O state machine, for either role.
//
// Wire order (the reference's): both sides send a 32-byte nonce at once.
// With the peer's nonce, dk1 = PBKDF2(K, nonce_C || nonce_S, 1, 64) gives
// dhmac_C || dhmac_S. The client then sends y_C || HMAC(dhmac_C, y_C). The
// server reads that, verifies it, and only then sends y_S || HMAC(dhmac_S,
// y_S); the client verifies that the same way. Then
// dk2 = PBKDF2(K, nonce_C || nonce_S || y_SC, 1, 128) = E_C || H_C || E_S || H_S.
//
// Randomness is drawn in init, in this documented order, so transcripts are
// reproducible with a scripted RandomSource: first the 32-byte nonce, then
// (unless `fast`) the 32-byte x of the secret exponent 2^258 + x.
//
// Where the expensive work happens (latency, not wire bytes): this side's
// public value 2^(2^258+x) (0.04-0.13 ms, by modexp engine) in `precompute()`
// if the caller ran it while waiting for the peer, else when first needed
// inside `receive`; the shared value y_peer^(2^258+x) (0.15-0.5 ms) and dk2
// in `finish()`, never in `receive`. So a server's `receive` returns with
// y_S || h_S queued as soon as y_C || h_C checked out, and the caller sends
// it before paying for the shared value: both sides then exponentiate at the
// same time instead of one after the other. A fast (-f) client may also seal
// data before the server's reply arrives (`earlySealer()`: its keys cannot
// depend on that reply). The bytes on the wire are unchanged.
//
// Several keys (key rotation, `spiped -d --accept-key`): a server may be
// given an ordered list of candidate keys. Once the client's nonce is in,
// dk1 is derived for every candidate; y_C || h_C is then checked under
// each candidate's dhmac_C, all of them, each compare in constant time and
// the choice made with masks, so the time taken does not depend on which
// candidate (if any) verified. The first that verified is used for
// everything after: its dhmac_S for h_S and its K for dk2
// (`verifiedKeyIndex`). A client always has exactly one key.
//
// Guarantees:
// - Input may arrive in any fragmentation (one byte at a time included);
//   `receive` consumes exactly the handshake's bytes and no more, so data
//   packets that follow in the same read stay with the caller.
// - The peer's MAC is compared in constant time; its y must be < p and not
//   0 or p - 1 (DiffieHellmanGroup14.validate), and not 1 under requirePFS.
//   The server sends nothing of its own y before the client's checks out.
// - Any failure is final (later input throws `.failed`), and wipes every
//   secret at once; session keys only leave through `finish()`, which moves
//   them into the sealer/opener and wipes the handshake's copy. dhmac and
//   the DH exponent are wiped as soon as they are no longer needed; all
//   secrets are wiped on deinit.
// - `isComplete` means the peer's message has been verified; `finish()`
//   cannot fail after that (the peer value was validated), and it derives the
//   keys exactly once.
import SpipedCrypto

/// One side of a spiped handshake, independent of any transport.
///
/// Send ``pendingOutput()`` after creating it and after every ``receive(_:)``;
/// feed it every byte read from the peer until ``isComplete``; then
/// ``finish()`` yields the packet sealer and opener for the data phase.
/// Bytes that ``receive(_:)`` did not consume are already data packets.
///
/// Cost placement: ``receive(_:)`` only verifies and answers (the server's
/// reply is queued before any shared-value work); ``finish()`` computes the
/// Diffie-Hellman shared value and the session keys. Send the pending
/// output before calling ``finish()``. ``precompute()`` optionally moves the
/// computation of this side's public value to a moment the caller would
/// otherwise spend waiting.
package final class Handshake {
    private enum State { case awaitingNonce, awaitingMessage, complete, failed, finished }

    private static let nonceByteCount = 32
    private static let exponentByteCount = 32
    private static let yByteCount = DiffieHellmanGroup14.publicValueByteCount
    private static let messageByteCount = yByteCount + HMACSHA256.byteCount

    private let role: HandshakeRole
    private let options: HandshakeOptions
    /// The candidate keys, in order of preference (a client has one).
    private var candidates: [SpipedKey]
    /// Which candidate verified (server) or 0 (client); nil before that.
    private var chosenIndex: Int?
    private var state = State.awaitingNonce

    private let ownNonce: [UInt8]
    private var peerNonce: [UInt8]
    private var peerNonceCount = 0
    private var peerMessage: [UInt8]
    private var peerMessageCount = 0
    /// x of the exponent 2^258 + x; nil in fast mode or once used.
    private var privateKey: DiffieHellmanGroup14.PrivateKey?
    /// This side's y, once computed (precompute() or first use).
    private var ownPublicValue: [UInt8]?
    /// The peer's validated y, kept from receive() to finish().
    private var peerPublicValue: [UInt8] = []
    /// Whether dk2 is already in `session` (a fast client's early sealer).
    private var sessionDerived = false
    /// The sealer handed out by earlySealer(); finish() returns the same one.
    private var handedOutSealer: PacketSealer?
    /// dk1 = dhmac_C || dhmac_S of every candidate (64 bytes each, in
    /// candidate order), valid from the peer nonce to completion.
    private let dhmac: SecretBuffer
    /// The expected MAC while the peer's message is checked (wiped after).
    private let expectedMAC = SecretBuffer(byteCount: HMACSHA256.byteCount)
    /// dk2 = E_C || H_C || E_S || H_S, valid from completion to finish().
    private let session = SecretBuffer(byteCount: SessionKeySchedule.sessionKeysByteCount)
    private var output: [UInt8] = []

    /// Most candidate keys a server handshake takes (`-k` plus the
    /// `--accept-key` files): each one costs a dk1 and a MAC check per connection.
    package static let maxCandidateKeys = SpipedSession.maxCandidateKeys

    /// Starts a handshake with one key and queues this side's nonce for sending.
    ///
    /// Draws from `random`, in this order: the 32-byte nonce, then (unless
    /// `options.fast`) the 32 bytes x of the Diffie-Hellman exponent 2^258 + x.
    ///
    /// - Throws: ``HandshakeSetupError/fastWithRequirePFS`` for `fast` together
    ///   with `requirePFS`; whatever `random` throws (e.g. ``RandomnessError``).
    package convenience init(role: HandshakeRole, key: SpipedKey, options: HandshakeOptions, random: some RandomSource) throws {
        try self.init(role: role, candidateKeys: [key], options: options, random: random)
    }

    /// Starts a handshake that accepts a peer using any of `candidateKeys`
    /// (server only; a client takes exactly one key), and queues this side's
    /// nonce. The first candidate whose MAC verifies is used; see
    /// ``verifiedKeyIndex``. Randomness is drawn as in the single-key init.
    ///
    /// - Throws: ``HandshakeSetupError`` for no key, more than
    ///   ``maxCandidateKeys``, several keys for a client, or `fast` with
    ///   `requirePFS`; whatever `random` throws.
    package init(role: HandshakeRole, candidateKeys: [SpipedKey], options: HandshakeOptions, random: some RandomSource) throws {
        try HandshakeSetupError.check(role: role, keyCount: candidateKeys.count, options: options)
        self.role = role
        self.candidates = candidateKeys
        self.chosenIndex = role == .client ? 0 : nil
        self.dhmac = SecretBuffer(byteCount: SessionKeySchedule.handshakeMACKeysByteCount * candidateKeys.count)
        self.options = options
        var rng = random
        var nonce = [UInt8](repeating: 0, count: Handshake.nonceByteCount)
        try nonce.withUnsafeMutableBytes { try rng.fill($0) }
        ownNonce = nonce
        peerNonce = [UInt8](repeating: 0, count: Handshake.nonceByteCount)
        peerMessage = [UInt8](repeating: 0, count: Handshake.messageByteCount)
        if !options.fast {
            var x = [UInt8](repeating: 0, count: Handshake.exponentByteCount)
            defer { secureZero(&x) }
            try x.withUnsafeMutableBytes { try rng.fill($0) }
            privateKey = DiffieHellmanGroup14.PrivateKey(exponentBytes: x)
        }
        output = nonce
    }

    /// Whether the handshake has succeeded: the peer's message is verified
    /// (also true after ``finish()``). The session keys are derived by
    /// ``finish()``.
    package var isComplete: Bool { state == .complete || state == .finished }

    /// Which of the candidate keys the peer uses (0 = the first, `-k`): set
    /// once the peer's message verified (a client's is always 0).
    package var verifiedKeyIndex: Int? { isComplete ? chosenIndex : nil }

    /// Whether the handshake has failed; it then accepts no more input.
    package var hasFailed: Bool { state == .failed }

    /// Returns the bytes to send to the peer now (possibly none) and forgets
    /// them. Call after init and after every ``receive(_:)``.
    package func pendingOutput() -> [UInt8] {
        defer { output = [] }
        return output
    }

    /// Feeds bytes read from the peer; returns how many were handshake bytes.
    ///
    /// Consumes up to the end of the peer's handshake messages and stops
    /// there: the rest of `bytes` (if any) is data for the
    /// ``PacketOpener``. Once complete it consumes nothing and returns 0.
    ///
    /// - Throws: ``HandshakeError/badMAC``,
    ///   ``HandshakeError/publicValueOutOfRange`` or
    ///   ``HandshakeError/peerNotUsingPFS`` when the peer's y || h is refused;
    ///   ``HandshakeError/failed`` for any input after a failure.
    package func receive(_ bytes: UnsafeRawBufferPointer) throws(HandshakeError) -> Int {
        switch state {
        case .failed: throw .failed
        case .complete, .finished: return 0
        case .awaitingNonce, .awaitingMessage: break
        }
        var consumed = 0
        while consumed < bytes.count && !isComplete {
            let remaining = UnsafeRawBufferPointer(rebasing: bytes[consumed...])
            if state == .awaitingNonce {
                consumed += Handshake.gather(remaining, into: &peerNonce, count: &peerNonceCount)
                if peerNonceCount == Handshake.nonceByteCount { peerNonceArrived() }
            } else {
                consumed += Handshake.gather(remaining, into: &peerMessage, count: &peerMessageCount)
                if peerMessageCount == Handshake.messageByteCount {
                    do throws(HandshakeError) {
                        try peerMessageArrived()
                    } catch {
                        fail()
                        throw error
                    }
                }
            }
        }
        return consumed
    }

    /// Computes this side's Diffie-Hellman public value now (a no-op in fast
    /// mode, after the first call, or once the handshake failed or moved on).
    ///
    /// Optional: without it the value is computed inside ``receive(_:)`` when
    /// first needed. Call it after sending the nonce from ``pendingOutput()``
    /// and before waiting for the peer, so the work overlaps the network
    /// round trip instead of delaying this side's reply. Changes no byte on
    /// the wire and draws no randomness.
    package func precompute() {
        guard state == .awaitingNonce || state == .awaitingMessage else { return }
        if ownPublicValue == nil, !options.fast {
            ownPublicValue = privateKey?.publicValue()
        }
    }

    /// A fast-mode (`-f`) client's sealer, usable before the server's reply.
    ///
    /// With `fast` set on the client, y_SC = 1 whatever the server sends, so
    /// once the server's nonce has arrived the keys for the client's data
    /// are fixed: sealing data right behind y_C || h_C saves a round trip.
    /// Only sending may start early: received bytes still go to
    /// ``receive(_:)`` until ``isComplete`` (the server's message verified),
    /// and a bad reply still fails the handshake. The keys come from K and
    /// the fresh nonces, so nothing is revealed to a peer without the key.
    /// The bytes on the wire are exactly those sent after the reply would be.
    ///
    /// Returns nil for a server, with PFS, before the server's nonce, after a
    /// failure or after ``finish()``. The same object is returned by every
    /// call and by ``finish()``, so packet numbering continues.
    package func earlySealer() -> PacketSealer? {
        guard role == .client, options.fast, state == .awaitingMessage else { return nil }
        if let handedOutSealer { return handedOutSealer }
        guard deriveSession() else { return nil }
        sessionDerived = true
        let sealer = session.withBytes { SessionKeySchedule.sealer(for: .client, dk2: $0) }
        handedOutSealer = sealer
        return sealer
    }

    /// Once complete, derives the session and hands it over: a sealer for what
    /// this side sends and an opener for what it receives, and wipes the
    /// handshake's copy of the keys. Returns nil before completion, after a
    /// failure, and on every call after the first.
    ///
    /// This is where the Diffie-Hellman shared value y_peer^(2^258+x) is
    /// computed (unless either side used fast mode): send
    /// ``pendingOutput()`` first, so the peer's work overlaps this one.
    package func finish() -> (sealer: PacketSealer, opener: PacketOpener)? {
        guard state == .complete else { return nil }
        if !sessionDerived {
            guard deriveSession() else {
                fail()
                return nil
            }
        }
        let role = self.role
        let keys = session.withBytes { dk2 in
            (handedOutSealer ?? SessionKeySchedule.sealer(for: role, dk2: dk2),
             SessionKeySchedule.opener(for: role, dk2: dk2))
        }
        session.wipe()
        handedOutSealer = nil
        state = .finished
        return (sealer: keys.0, opener: keys.1)
    }

    deinit {
        wipeSecrets()
    }

    // MARK: Steps

    /// dk1 of every candidate from the two nonces; the client answers with
    /// y_C || h_C at once.
    private func peerNonceArrived() {
        let salt = role == .client ? ownNonce + peerNonce : peerNonce + ownNonce
        let size = SessionKeySchedule.handshakeMACKeysByteCount
        for (index, key) in candidates.enumerated() {
            var dk1 = key.withUnsafeKeyBytes { k in
                PBKDF2.hmacSHA256(password: k, salt: salt, iterations: 1, derivedKeyByteCount: size)
            }
            dk1.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: dhmac.buffer[index * size..<(index + 1) * size]).copyMemory(from: $0) }
            secureZero(&dk1)
        }
        state = .awaitingMessage
        if role == .client { output += ownMessage() }
    }

    /// Verifies the peer's y || h and answers it (server). The keys come later, in finish().
    private func peerMessageArrived() throws(HandshakeError) {
        // MAC first, in constant time, keyed with the peer's dhmac; on a
        // server under every candidate, with no early exit and a masked choice
        // (the first that verified), so timing does not tell which one.
        let peerMACRange = SessionKeySchedule.handshakeMACKey(of: role == .client ? .server : .client)
        let size = SessionKeySchedule.handshakeMACKeysByteCount
        var found = 0      // 1 once a candidate verified
        var chosen = 0
        peerMessage.withUnsafeBytes { message in
            for index in candidates.indices {
                let range = index * size + peerMACRange.lowerBound..<index * size + peerMACRange.upperBound
                let verified = dhmac.withBytes(range) { peerKey in
                    HandshakeMessage.verify(message, macKey: peerKey, scratch: expectedMAC.buffer)
                }
                let take = Handshake.bit(verified) & (found ^ 1)
                let mask = 0 &- take
                chosen = (chosen & ~mask) | (index & mask)
                found |= take
            }
        }
        guard found == 1 else { throw .badMAC }
        chosenIndex = chosen
        let peerY = Array(peerMessage[0..<Handshake.yByteCount])
        do {
            try DiffieHellmanGroup14.validate(peerPublicValue: peerY)
        } catch {
            throw .publicValueOutOfRange
        }
        let peerIsFast = peerY == HandshakeMessage.one
        if peerIsFast && options.requirePFS { throw .peerNotUsingPFS }

        // Only now does the server reveal its own y.
        if role == .server { output += ownMessage() }
        dhmac.wipe()
        // Only the verified key is needed from here on.
        candidates = [candidates[chosen]]
        peerPublicValue = peerY
        state = .complete
    }

    /// dk2 from the nonces and y_SC (1 if either side skipped Diffie-Hellman,
    /// else y_peer^(2^258+x)) into `session`; wipes x. False if the shared
    /// value cannot be computed (not reachable: the peer value was validated).
    private func deriveSession() -> Bool {
        let peerIsFast = peerPublicValue == HandshakeMessage.one
        var shared: [UInt8]
        if options.fast || peerIsFast {
            shared = HandshakeMessage.one
        } else {
            // Called through the stored optional: no named local copy of x.
            do {
                guard let value = try privateKey?.sharedValue(peerPublicValue: peerPublicValue) else { return false }
                shared = value
            } catch {
                return false
            }
        }
        privateKey?.wipe()
        privateKey = nil
        ownPublicValue = nil   // public: nothing to wipe
        peerPublicValue = []

        let (nonceC, nonceS) = role == .client ? (ownNonce, peerNonce) : (peerNonce, ownNonce)
        var salt = nonceC + nonceS
        salt.reserveCapacity(salt.count + shared.count)   // no regrowth: one copy to wipe
        salt += shared
        secureZero(&shared)
        guard let key = candidates.first else { return false }
        var dk2 = key.withUnsafeKeyBytes { k in
            PBKDF2.hmacSHA256(password: k, salt: salt, iterations: 1, derivedKeyByteCount: SessionKeySchedule.sessionKeysByteCount)
        }
        secureZero(&salt)
        dk2.withUnsafeBytes { session.buffer.copyMemory(from: $0) }
        secureZero(&dk2)
        return true
    }

    /// This side's y || HMAC(dhmac_own, y).
    private func ownMessage() -> [UInt8] {
        let y: [UInt8]
        if let ownPublicValue {
            y = ownPublicValue
        } else if !options.fast, let value = privateKey?.publicValue() {
            y = value
            ownPublicValue = y
        } else {
            y = HandshakeMessage.one
        }
        let ownMACRange = SessionKeySchedule.handshakeMACKey(of: role)
        let base = (chosenIndex ?? 0) * SessionKeySchedule.handshakeMACKeysByteCount
        return dhmac.withBytes(base + ownMACRange.lowerBound..<base + ownMACRange.upperBound) {
            HandshakeMessage.make(y: y, macKey: $0)
        }
    }

    /// Makes the failure final and wipes every secret.
    private func fail() {
        state = .failed
        wipeSecrets()
        output = []
    }

    private func wipeSecrets() {
        privateKey?.wipe()
        privateKey = nil
        ownPublicValue = nil
        peerPublicValue = []
        handedOutSealer = nil
        dhmac.wipe()
        expectedMAC.wipe()
        session.wipe()
    }

    /// 1 for true, 0 for false, without a branch on the value.
    private static func bit(_ value: Bool) -> Int {
        Int(unsafeBitCast(value, to: UInt8.self))
    }

    /// Copies as much of `source` as `buffer` still lacks; returns the count.
    private static func gather(_ source: UnsafeRawBufferPointer, into buffer: inout [UInt8], count: inout Int) -> Int {
        let take = min(buffer.count - count, source.count)
        let start = count
        buffer.withUnsafeMutableBytes { target in
            UnsafeMutableRawBufferPointer(rebasing: target[start..<start + take])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: source[0..<take]))
        }
        count += take
        return take
    }
}
