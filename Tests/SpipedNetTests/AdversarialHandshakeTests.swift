// Adversarial peers in the handshake, against our spiped -d (the attacker is
// the client), our spiped -e and our spipe (the attacker is the server they
// connect to): a wrong key, a flipped MAC or y byte, y = p, y = 2^2048 - 1,
// y = 0, y = p - 1 (refused by our policy, DESIGN.md "Diffie-Hellman peer
// values"), y = 1 under -g, a handshake cut short and then closed, a reset
// after the nonces, a peer that stays silent and one that sends a byte
// every 50 ms (both dropped after -o). Each must drop the connection
// without a byte reaching the plaintext side and without the attacker
// seeing anything after its bad message; the daemon keeps serving and
// returns to its descriptor baseline (see AdversarialScenario).
// The same with the program in fast mode (-f), where -e and spipe send
// data before the server's reply is verified.
// Control cases: an honest peer, and a fast-mode peer (y = 1, valid MAC)
// without -g, must be served, as the C reference does.
import Foundation
import Testing
import SpipedDaemon
import SpipedNet

enum HandshakeAttacks {
    /// Nonces, then (as the server) the client's y || h, then `make(peer)`
    /// where an honest y || h belongs; then watches the connection.
    static func badMessage(_ make: @escaping @Sendable (AdversaryPeer) -> [UInt8]) -> @Sendable (AdversaryPeer) -> DropReport? {
        { peer in
            guard peer.exchangeNonces() else { return nil }
            if peer.role == .server { guard peer.read(288) != nil else { return nil } }
            guard peer.send(make(peer)) else { return nil }
            return peer.awaitDrop(timeout: AdversarialScenario.observation)
        }
    }

    /// A valid MAC over a chosen y.
    static func withY(_ y: [UInt8]) -> @Sendable (AdversaryPeer) -> DropReport? {
        badMessage { $0.message(y: y) }
    }

    /// An honest y || h with one byte flipped.
    static func flipped(at index: Int, _ mask: UInt8) -> @Sendable (AdversaryPeer) -> DropReport? {
        badMessage { peer in
            var message = peer.message(y: peer.honestY)
            message[index] ^= mask
            return message
        }
    }

    /// A full handshake sending `ownY` (nil: honest DH) and an echo of the
    /// plaintext payload: the client sends it and reads it back; the server
    /// echoes what the -e / spipe sends. Returns the end as seen, or nil.
    static func served(ownY: [UInt8]?) -> @Sendable (AdversaryPeer) -> DropReport? {
        { peer in
            guard peer.handshake(ownY: ownY) else { return nil }
            switch peer.role {
            case .client:
                let payload = AdversarialScenario.plainPayload
                guard peer.send(peer.packet(payload)), peer.receivePlaintext(payload.count) == payload else { return nil }
                peer.halfClose()
                return peer.awaitDrop(timeout: AdversarialScenario.observation)
            case .server:
                peer.serveEcho()
                return peer.awaitDrop(timeout: AdversarialScenario.observation)
            }
        }
    }

    static let refused: [Attack] = [
        Attack(name: "wrong key", wrongKey: true, expectSilence: true,
               run: badMessage { $0.message(y: $0.honestY) }),
        Attack(name: "flipped MAC byte", expectSilence: true, run: flipped(at: 256 + 7, 0x01)),
        Attack(name: "flipped y byte", expectSilence: true, run: flipped(at: 100, 0x40)),
        Attack(name: "y = p", expectSilence: true, run: withY(PeerValue.prime)),
        Attack(name: "y = 2^2048 - 1", expectSilence: true, run: withY(PeerValue.allOnes)),
        Attack(name: "y = 0", expectSilence: true, run: withY(PeerValue.zero)),
        Attack(name: "y = p - 1", expectSilence: true, run: withY(PeerValue.primeMinusOne)),
        Attack(name: "y = 1 under -g", flags: ["-g"], expectSilence: true, run: withY(PeerValue.one)),
        Attack(name: "truncated message then close", expectSilence: true, run: { peer in
            guard peer.exchangeNonces() else { return nil }
            if peer.role == .server { guard peer.read(288) != nil else { return nil } }
            guard peer.send(Array(peer.message(y: peer.honestY).prefix(100))) else { return nil }
            peer.halfClose()
            return peer.awaitDrop(timeout: AdversarialScenario.observation)
        }),
        // The program's own nonce arrives unread, so silence is not expected here.
        Attack(name: "truncated nonce then close", run: { peer in
            guard peer.send(Array(peer.ownNonce.prefix(10))) else { return nil }
            peer.halfClose()
            return peer.awaitDrop(timeout: AdversarialScenario.observation)
        }),
        Attack(name: "silent peer, -o 1", timeout: 1, bound: 4, notBefore: 0.8, run: { peer in
            peer.awaitDrop(timeout: AdversarialScenario.observation)
        }),
        Attack(name: "silent after the nonces, -o 1", timeout: 1, expectSilence: true, bound: 4, notBefore: 0.5, run: { peer in
            guard peer.exchangeNonces() else { return nil }
            if peer.role == .server { guard peer.read(288) != nil else { return nil } }
            return peer.awaitDrop(timeout: AdversarialScenario.observation)
        }),
        // A slow loris: always making progress, never finishing within -o.
        Attack(name: "one handshake byte every 50 ms, -o 1", timeout: 1, bound: 4, notBefore: 0.8, run: { peer in
            peer.trickle(peer.ownNonce + PeerValue.one, interval: 0.05, timeout: AdversarialScenario.observation)
        }),
        // The report only marks that the reset was sent; the program-side checks do the rest.
        Attack(name: "reset after the nonces", attackerResets: true, run: { peer in
            guard peer.exchangeNonces() else { return nil }
            if peer.role == .server { guard peer.read(288) != nil else { return nil } }
            peer.reset()
            return DropReport(outcome: .reset, bytes: [], seconds: 0)
        }),
        // In fast mode (-f) a client seals its data before the server's reply
        // (earlySealer): a bad reply must still drop it with nothing delivered.
        Attack(name: "flipped MAC byte, program in -f mode", flags: ["-f"], run: flipped(at: 256 + 7, 0x01)),
        Attack(name: "wrong key, program in -f mode", flags: ["-f"], wrongKey: true,
               run: badMessage { $0.message(y: PeerValue.one) }),
    ]

    static let served: [Attack] = [
        Attack(name: "honest peer (control)", legitimate: AdversarialScenario.plainPayload, accepted: true,
               run: served(ownY: nil)),
        Attack(name: "y = 1 without -g (fast-mode peer)", legitimate: AdversarialScenario.plainPayload, accepted: true,
               run: served(ownY: PeerValue.one)),
    ]
}

@Suite struct AdversarialHandshakeTests {
    @Test("A misbehaving handshake is dropped, nothing leaks, the daemon keeps serving",
          arguments: HandshakeAttacks.refused, AttackedProgram.allCases)
    func refused(_ attack: Attack, _ program: AttackedProgram) throws {
        try AdversarialScenario.run(attack, against: program)
    }

    @Test("Honest and fast-mode (y = 1) peers are served without -g",
          arguments: HandshakeAttacks.served, AttackedProgram.allCases)
    func served(_ attack: Attack, _ program: AttackedProgram) throws {
        try AdversarialScenario.run(attack, against: program)
    }
}
