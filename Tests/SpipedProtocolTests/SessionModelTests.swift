// A model-based test of SpipedSession: two sessions joined by in-memory wires
// run random interleavings of application data, partial deliveries, ends of
// input from either side, corrupted packets, connections cut mid-packet and
// the handshake deadline. A small model says what each application must have
// received: always a prefix of what the other side sealed; exactly the whole
// packets before a damaged one; everything after a clean end.
import SpipedCrypto
import SpipedProtocol
import SpipedTestSupport
import Testing

@Suite("SpipedSession: random interleavings against a model")
struct SessionModelTests {
    /// The bytes one session sent the other, and how far they were delivered.
    struct Wire {
        var read = 0
        /// The sender's stream ended here (its application ended, or it closed).
        var endsAt: Int?
        /// The first byte flipped in transit (in a packet), if any.
        var corruptedAt: Int?
        var endDelivered = false
    }

    /// The handshake takes the first 320 bytes of each direction: nonce, y || h.
    static let handshakeBytes = 32 + 288

    final class Peer {
        let driver: SessionDriver
        var applicationEnded = false
        var endedEarly = false
        init(_ driver: SessionDriver) { self.driver = driver }
        var session: SpipedSession { driver.session }
    }

    static let modes: [(HandshakeOptions, HandshakeOptions)] = [
        (HandshakeOptions(), HandshakeOptions()),
        (HandshakeOptions(fast: true), HandshakeOptions(fast: true)),
        (HandshakeOptions(fast: true), HandshakeOptions()),
        (HandshakeOptions(requirePFS: true), HandshakeOptions(requirePFS: true)),
    ]

    @Test("random interleaving", arguments: 0..<160)
    func interleaving(seed: Int) {
        var rng = SeededGenerator(seed: UInt64(seed) &* 0x9E37 &+ 1)
        let key = SpipedKey(keyFileBytes: rng.bytes(32))
        let (clientOptions, serverOptions) = Self.modes[seed % Self.modes.count]
        let deadline: UInt64 = 1_000
        let client = Peer(SessionDriver(role: .client, key: key, options: clientOptions, seed: rng.next(), deadline: deadline))
        let server = Peer(SessionDriver(role: .server, key: key, options: serverOptions, seed: rng.next(), deadline: deadline))
        var wires = [Wire(), Wire()]    // 0: client -> server, 1: server -> client
        let peers = [client, server]
        var now: UInt64 = 0
        var faults = seed % 3 != 0       // a third of the runs stay clean

        for _ in 0..<(40 + Int(rng.next() % 80)) {
            let from = Int(rng.next() % 2)
            let sender = peers[from], receiver = peers[1 - from]
            switch rng.next() % 10 {
            case 0, 1, 2:   // the application writes
                if !sender.applicationEnded && wires[from].endsAt == nil {
                    sender.driver.send(rng.bytes(Int(rng.next() % 3000) + 1))
                }
            case 3, 4, 5, 6:   // part of the wire arrives
                deliver(&wires[from], to: receiver, from: sender, count: Int(rng.next() % 4000) + 1)
            case 7:   // the application's input ends
                if sender.session.canSeal && !sender.applicationEnded {
                    sender.applicationEnded = true
                    #expect(sender.session.applicationInputEnded() == .forward)
                    wires[from].endsAt = sender.driver.toPeer.count
                }
            case 8:   // a packet byte is damaged, or the connection is cut mid-packet
                guard faults else { break }
                let stream = sender.driver.toPeer.count
                let start = max(wires[from].read, Self.handshakeBytes)
                guard stream > start, wires[from].corruptedAt == nil, wires[from].endsAt == nil else { break }
                let at = start + Int(rng.next() % UInt64(stream - start))
                if rng.next() % 2 == 0 {
                    wires[from].corruptedAt = at
                } else if (at - Self.handshakeBytes) % SpipedSession.packetByteCount != 0 {
                    wires[from].endsAt = at   // cut inside a packet
                    sender.endedEarly = true
                }
            default:   // time passes; at most once past the handshake deadline
                if faults && now < deadline && rng.next() % 4 == 0 {
                    now = deadline
                    for peer in peers {
                        let wasEstablished = peer.session.isEstablished || isEnded(peer.session)
                        peer.session.deadlinePassed(now: now)
                        if !wasEstablished { #expect(peer.session.state == .ended(.handshakeTimedOut), "seed \(seed)") }
                    }
                    faults = false
                }
            }
            // A session that ended closes its connection: its stream stops there.
            for (index, peer) in peers.enumerated() where isEnded(peer.session) && wires[index].endsAt == nil {
                wires[index].endsAt = peer.driver.toPeer.count
                peer.endedEarly = true
            }
            checkPrefix(client, server, seed: seed)
        }
        // Drain: everything sent arrives, then each end of stream.
        for _ in 0..<64 {
            for from in 0..<2 {
                deliver(&wires[from], to: peers[1 - from], from: peers[from], count: 1 << 20)
                for (index, peer) in peers.enumerated() where isEnded(peer.session) && wires[index].endsAt == nil {
                    wires[index].endsAt = peer.driver.toPeer.count
                    peer.endedEarly = true
                }
            }
        }
        checkPrefix(client, server, seed: seed)
        for from in 0..<2 {
            check(receiver: peers[1 - from], sender: peers[from], wire: wires[from], seed: seed)
        }
    }

    /// Delivers up to `count` bytes of the wire, then its end if reached.
    private func deliver(_ wire: inout Wire, to receiver: Peer, from sender: Peer, count: Int) {
        guard !isEnded(receiver.session) else { return }
        let limit = wire.endsAt ?? sender.driver.toPeer.count
        if wire.read < limit {
            var chunk = Array(sender.driver.toPeer[wire.read..<min(limit, wire.read + count)])
            if let bad = wire.corruptedAt, bad >= wire.read, bad < wire.read + chunk.count {
                chunk[bad - wire.read] ^= 0x40
            }
            wire.read += chunk.count
            receiver.driver.feed(chunk)
        }
        if wire.read == limit, wire.endsAt != nil, !wire.endDelivered, !isEnded(receiver.session) {
            wire.endDelivered = true
            _ = receiver.session.peerInputEnded()
        }
    }

    private func isEnded(_ session: SpipedSession) -> Bool {
        if case .ended = session.state { return true }
        return false
    }

    /// What each side delivered is a prefix of what the other sealed.
    private func checkPrefix(_ client: Peer, _ server: Peer, seed: Int) {
        for (receiver, sender) in [(client, server), (server, client)] {
            let got = receiver.driver.delivered, sent = sender.driver.sealedPlaintext
            if got.count > sent.count || Array(sent.prefix(got.count)) != got {
                Issue.record("seed \(seed): delivered \(got.count) bytes that are not a prefix of the \(sent.count) sealed")
            }
        }
    }

    /// The final state of a receiver against the model.
    private func check(receiver: Peer, sender: Peer, wire: Wire, seed: Int) {
        let state = receiver.session.state
        let payloads = sender.driver.payloadLengths
        /// Plaintext of the packets before packet `index`.
        func plaintext(before index: Int) -> Int { payloads.prefix(index).reduce(0, +) }
        let delivered = receiver.driver.delivered.count
        if case .ended(.handshakeTimedOut) = state { return #expect(delivered == 0, "seed \(seed)") }
        if case .ended(.closedDuringHandshake) = state { return #expect(delivered == 0, "seed \(seed)") }
        if let bad = wire.corruptedAt, bad < wire.read {
            let packet = (bad - Self.handshakeBytes) / SpipedSession.packetByteCount
            #expect(state == .ended(.packetRejected(.badMAC)), "seed \(seed): \(state)")
            #expect(delivered == plaintext(before: packet), "seed \(seed): \(delivered) delivered, packet \(packet) damaged")
            return
        }
        guard let end = wire.endsAt, wire.endDelivered else { return }
        let whole = (end - Self.handshakeBytes) / SpipedSession.packetByteCount
        if end > Self.handshakeBytes && (end - Self.handshakeBytes) % SpipedSession.packetByteCount != 0 {
            #expect(state == .ended(.truncated), "seed \(seed): \(state)")
            #expect(delivered == plaintext(before: whole), "seed \(seed)")
        } else if receiver.session.isEstablished || state == .ended(.completed) {
            #expect(delivered == plaintext(before: whole), "seed \(seed): \(delivered) of \(plaintext(before: whole))")
            if !sender.endedEarly { #expect(delivered == sender.driver.sealedPlaintext.count, "seed \(seed)") }
        }
    }
}
