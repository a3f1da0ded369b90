// The session fuzz driver shared by FuzzHandshakeServer and
// FuzzHandshakeClient: one SpipedSession (fixed key, scripted randomness
// from the first transcript) is fed a peer byte stream in reads the input
// decides, driven as spiped and spipe drive it (SessionFeeder), and every
// observable result is checked against HandshakeModel and PacketModel.
//
// Input layout:
//   byte 0  flags: bit0 own fast (-f), bit1 own requirePFS (-g) (both: the
//           session must start ended with .setupRefused(.fastWithRequirePFS)),
//           bit2 assist (pad the stream to 320 bytes and put the correct peer
//           MAC in, so the fuzzer gets past the MAC), bit3 packet assist
//           (when the handshake completes, each whole 1060-byte packet after
//           it is taken as a padded block M || zeros || be32 len, 1028 bytes,
//           and encrypted and MACed with the model's keys and number, so the
//           fuzzer writes plaintext and lengths directly), bits4-6 with
//           assist: replace the peer y (0 keep, 1 one, 2 zero, 3 p-1, 4 p,
//           5 all 0xff, 6 the honest peer's public value, 7 keep), bit7 seal
//           a probe after every call whenever the session takes plaintext.
//   byte 1  fragmentation seed (ChunkPlan); bit7 also calls precompute().
//   rest    the peer's stream: nonce(32) || y(256) || h(32) || data packets.
//
// Invariants checked (a violation aborts), besides SessionFeeder's:
// - the first output is exactly the nonce; the client's y || h follows the
//   server's nonce, the server's only once the client's message verified;
//   both equal the model's; nothing is sent in or after the call that ends;
// - state: handshaking until the peer nonce, then sendingEarly for a fast
//   client (canSeal exactly then), verified only with the reply just taken
//   at byte 320, then established iff the model completes; keyIndex 0 from
//   verified on; otherwise ended with exactly .handshakeRefused(model's);
// - the packets after the handshake: the plaintext delivered equals the
//   model's (all good packets before a bad one), a bad one ends the session
//   with .packetRejected(model's); at the end of the stream
//   peerInputEnded() is .forward at a packet boundary (and the application's
//   end then completes the session), .ended(.truncated) mid-packet,
//   .ended(.closedDuringHandshake) before completion;
// - keys: probes sealed by the session open with the model's dk2 (numbering
//   continues from the early sealer), a probe sealed with the model's peer
//   keys is delivered; after the end nothing is taken, sealed or sent.
import SpipedCrypto
import SpipedProtocol

public enum HandshakeFuzz {
    static let probe: [UInt8] = Array("fuzz probe".utf8)

    /// Runs one input against a session of `role`.
    public static func run(role: HandshakeRole, input: [UInt8]) {
        let flags = input.count > 0 ? input[0] : 0
        let seed = input.count > 1 ? input[1] : 0
        var stream = input.count > 2 ? Array(input[2...]) : []
        let options = HandshakeOptions(fast: flags & 1 != 0, requirePFS: flags & 2 != 0)
        let isClient = role == .client
        let fastClient = isClient && options.fast
        let sealProbes = flags & 0x80 != 0
        let messageCount = HandshakeModel.messageCount

        if flags & 4 != 0 { HandshakeModel.assist(&stream, mode: (flags >> 4) & 7, role: role) }
        let model = HandshakeModel(role: role, options: options, stream: stream)
        if flags & 8 != 0 && model.completes {
            var offset = messageCount
            var number: UInt64 = 0
            while stream.count - offset >= PacketModel.packetByteCount {
                let padded = Array(stream[offset..<offset + 1028])
                stream.replaceSubrange(offset..<offset + PacketModel.packetByteCount,
                                       with: model.peerPackets.packet(padded: padded, number: number))
                number += 1
                offset += PacketModel.packetByteCount
            }
        }
        let data = stream.count > messageCount ? Array(stream[messageCount...]) : []
        let expectedData = model.completes ? model.peerPackets.open(data) : PacketModel.Outcome()

        let session = SpipedSession(role: role, key: HandshakeModel.key, options: options,
                                    random: ScriptedRandom(model.ownRandom))
        if options.fast && options.requirePFS {
            // -f with -g cannot work: the session must start ended, sending nothing.
            fuzzCheck(session.state == .ended(.setupRefused(.fastWithRequirePFS)), "-f with -g started as \(session.state)")
            fuzzCheck(session.takePeerOutput().isEmpty && !session.canSeal, "a refused session sends or seals")
            return
        }
        fuzzCheck(session.state == .handshaking, "new session in state \(session.state)")
        if seed & 0x80 != 0 { session.precompute() }
        let feeder = SessionFeeder(session)
        fuzzCheck(feeder.sent == model.ownNonce, "first output is not exactly the nonce")
        fuzzCheck(!session.canSeal && session.keyIndex == nil, "sealing or a key index before any peer input")
        var probesSealed: UInt64 = 0

        /// Seals a probe if the session takes plaintext; it must open with the model's keys.
        func sealProbe() {
            let out = ExactBuffer(count: SpipedSession.sealedByteCount(forPlaintextByteCount: probe.count))
            let n = probe.withUnsafeBytes { session.seal($0, into: out.pointer) }
            guard session.canSeal else {
                fuzzCheck(n == 0, "sealed while canSeal is false")
                return
            }
            fuzzCheck(n == PacketModel.packetByteCount, "probe sealed into \(n) bytes")
            let opened = model.ownPackets.open(Array(out.bytes[0..<n]), first: probesSealed)
            fuzzCheck(opened.error == nil && opened.plaintext == probe, "sealer keys or numbering differ from the model")
            probesSealed += 1
        }

        func check(_ step: SessionFeeder.Step) {
            // After the end the feeder checks that nothing happens.
            if case .ended = step.stateBefore { return }
            if case .ended(let reason) = step.stateAfter {
                fuzzCheck(step.output.isEmpty, "output in the call that ended the session")
                switch reason {
                case .handshakeRefused(let error):
                    fuzzCheck(error == model.expectedError && step.positionBefore < messageCount
                              && step.positionBefore + step.offered >= messageCount,
                              "refused with \(error) at \(step.positionBefore); model \(String(describing: model.expectedError))")
                    fuzzCheck(session.keyIndex == nil, "a key index after a refused handshake")
                case .packetRejected(let error):
                    fuzzCheck(model.completes && error == expectedData.error,
                              "packet rejected with \(error); model \(String(describing: expectedData.error))")
                default:
                    fuzzCheck(false, "ended with \(reason) while reading")
                }
                fuzzCheck(!session.canSeal, "canSeal after the end")
                return
            }
            let p = step.positionAfter
            let state = step.stateAfter
            let complete = state == .verified || state == .established
            if p < 32 {
                fuzzCheck(state == .handshaking, "state \(state) before the peer nonce")
            } else if p < messageCount {
                fuzzCheck(state == (fastClient ? .sendingEarly : .handshaking), "state \(state) at \(p) bytes")
            } else {
                fuzzCheck(model.completes && complete, "state \(state) after the peer message; model completes: \(model.completes)")
            }
            if state == .verified {
                fuzzCheck(p == messageCount && !step.output.isEmpty, "verified at \(p) bytes, output \(step.output.count) bytes")
            }
            let expectedSent = (isClient ? p >= 32 : complete) ? model.ownNonce + model.ownMessage : model.ownNonce
            fuzzCheck(feeder.sent == expectedSent, "output differs from the model (\(feeder.sent.count) bytes sent at \(p))")
            fuzzCheck(session.canSeal == (state == .established || state == .sendingEarly), "canSeal \(session.canSeal) in \(state)")
            fuzzCheck(session.keyIndex == (complete ? 0 : nil), "keyIndex \(String(describing: session.keyIndex)) in \(state)")
            fuzzCheck(step.produced == 0 || state == .established, "plaintext before the keys")
            fuzzCheck(feeder.deliveredIsPrefix(of: expectedData.plaintext), "delivered plaintext differs from the model")
            if sealProbes { sealProbe() }
        }

        var plan = ChunkPlan(seed: seed)
        var fed = 0
        while fed < stream.count {
            let n = min(plan.next(), stream.count - fed)
            let read = stream.withUnsafeBytes { ExactBuffer(UnsafeRawBufferPointer(rebasing: $0[fed..<fed + n])) }
            feeder.feed(read.bytes, check: check)
            fed += n
        }
        fuzzCheck(feeder.delivered == expectedData.plaintext, "delivered plaintext differs from the model")

        // The end of the peer's stream.
        if case .ended(let reason) = session.state {
            fuzzCheck(model.expectedError != nil || expectedData.error != nil, "ended (\(reason)) though the model does not")
            let more = ExactBuffer(count: 3)
            feeder.feed(more.bytes) { _ in }
            fuzzCheck(session.peerInputEnded() == .ended(reason), "peerInputEnded after the end changed the reason")
            session.end(.aborted)
            fuzzCheck(session.state == .ended(reason), "end(.aborted) replaced the first reason")
            sealProbe()
            return
        }
        fuzzCheck(model.expectedError == nil && expectedData.error == nil, "not ended though the model refuses")
        guard stream.count >= messageCount else {
            fuzzCheck(session.peerInputEnded() == .ended(.closedDuringHandshake), "peer end during the handshake")
            fuzzCheck(session.state == .ended(.closedDuringHandshake), "state after the peer end during the handshake")
            fuzzCheck(!session.canSeal, "canSeal after the end")
            return
        }
        fuzzCheck(session.state == .established, "state \(session.state) after the whole stream")
        sealProbe()
        let partial = data.count % PacketModel.packetByteCount != 0
        if !partial {
            // The opener's keys: a packet sealed with the model's peer keys is delivered.
            let packet = model.peerPackets.seal(probe, first: expectedData.packets)
            let before = feeder.delivered.count
            packet.withUnsafeBytes { feeder.feed($0) { _ in } }
            fuzzCheck(Array(feeder.delivered[before...]) == probe, "opener keys differ from the model")
            fuzzCheck(session.peerInputEnded() == .forward, "peer end at a packet boundary")
            fuzzCheck(session.canSeal, "the application's direction ended with the peer's")
            fuzzCheck(session.applicationInputEnded() == .forward && session.state == .ended(.completed),
                      "both ends did not complete the session")
        } else {
            fuzzCheck(session.peerInputEnded() == .ended(.truncated), "peer end mid-packet")
            fuzzCheck(session.state == .ended(.truncated), "state after a mid-packet end")
        }
        fuzzCheck(!session.canSeal, "canSeal after the end")
        sealProbe()
    }
}
