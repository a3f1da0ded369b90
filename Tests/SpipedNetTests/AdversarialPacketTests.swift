// Adversarial peers in the data phase: an honest handshake with the real
// key, then packets no honest peer sends: random garbage, a flipped
// ciphertext bit, a flipped MAC bit, validly MACed packets whose length
// field says 0, 1025 or 2^32 - 1 (the reference accepts only 1...1024), a
// replayed packet, packet 1 before packet 0, a packet sealed with the other
// direction's keys, a packet cut off by a half-close, a reset after a valid
// packet, and a valid then a bad packet in the same write as the handshake
// message. Against our
// spiped -d, spiped -e and spipe, each must drop the connection at once
// (well before -o), deliver no byte of the bad packet (only a legitimate
// packet sent before it), and leave the daemon serving with no leaked
// descriptor (see AdversarialScenario). A valid packet that arrives in the
// same read as the bad one is still delivered before the drop (the opener's
// openAvailable keeps it; the C reference 1.6.2 delivers nothing of such a read).
import Foundation
import Testing
import SpipedDaemon
import SpipedNet
import SpipedProtocol
#if canImport(Glibc)
import Glibc
#endif

enum PacketAttacks {
    static let payload = Array("bytes the attacker wants delivered".utf8)
    static let legitimate = Array("a legitimate packet".utf8)

    /// Honest handshake, then `act(peer)`; then watches the connection.
    static func afterHandshake(_ act: @escaping @Sendable (AdversaryPeer) -> Bool) -> @Sendable (AdversaryPeer) -> DropReport? {
        { peer in
            guard peer.handshake(), act(peer) else { return nil }
            return peer.awaitDrop(timeout: AdversarialScenario.observation)
        }
    }

    /// Sends one valid packet of `legitimate` and makes sure it went through
    /// before the attack goes on: against -d its echo comes back; as a server
    /// the attacker cannot see the plaintext side, so it gives it time.
    static func deliverLegitimate(_ peer: AdversaryPeer) -> [UInt8]? {
        let packet = peer.packet(legitimate)
        guard peer.send(packet) else { return nil }
        switch peer.role {
        case .client:
            guard peer.receivePlaintext(legitimate.count) == legitimate else { return nil }
        case .server:
            usleep(200_000)
        }
        return packet
    }

    /// A valid packet of `payload` with `mutate` applied to its bytes.
    static func tampered(_ mutate: @escaping @Sendable (inout [UInt8]) -> Void) -> @Sendable (AdversaryPeer) -> DropReport? {
        afterHandshake { peer in
            var packet = peer.packet(payload)
            mutate(&packet)
            return peer.send(packet)
        }
    }

    /// A valid MAC over a chosen length field.
    static func length(_ field: UInt32) -> @Sendable (AdversaryPeer) -> DropReport? {
        afterHandshake { peer in peer.send(peer.packet(payload, lengthField: field)) }
    }

    /// The last handshake message, a valid packet of `legitimate` and a
    /// tampered packet in one write, so they arrive together and the
    /// program must handle the packets left over after its handshake. The
    /// client sends y = 1 (fast mode), whose keys do not depend on y_S.
    static func packedWithHandshake(_ peer: AdversaryPeer) -> DropReport? {
        guard peer.exchangeNonces() else { return nil }
        let ownY: [UInt8]
        switch peer.role {
        case .client:
            ownY = PeerValue.one
            guard peer.deriveSession(ownY: ownY, peerY: PeerValue.one) else { return nil }
        case .server:
            ownY = peer.honestY
            guard let peerY = peer.receiveMessage(), peer.deriveSession(ownY: ownY, peerY: peerY) else { return nil }
        }
        let good = peer.packet(legitimate)   // packet 0: sealed first, the numbers follow the calls
        var bad = peer.packet(payload)       // packet 1, tampered
        bad[17] ^= 0x02
        guard peer.send(peer.message(y: ownY) + good + bad) else { return nil }
        return peer.awaitDrop(timeout: AdversarialScenario.observation)
    }

    static let all: [Attack] = [
        Attack(name: "garbage after the handshake", run: afterHandshake { peer in
            peer.send(TestEnvironment.randomBytes(SpipedSession.packetByteCount))
        }),
        Attack(name: "flipped ciphertext bit", run: tampered { $0[5] ^= 0x10 }),
        Attack(name: "flipped length-field bit", run: tampered { $0[1024 + 3] ^= 0x01 }),
        Attack(name: "flipped MAC bit", run: tampered { $0[1028 + 12] ^= 0x80 }),
        Attack(name: "MACed length 0", run: length(0)),
        Attack(name: "MACed length 1025", run: length(1025)),
        Attack(name: "MACed length 2^32 - 1", run: length(UInt32.max)),
        Attack(name: "replayed packet", legitimate: legitimate, run: afterHandshake { peer in
            guard let packet = deliverLegitimate(peer) else { return false }
            return peer.send(packet)
        }),
        Attack(name: "packet 1 before packet 0", run: afterHandshake { peer in
            let first = peer.packet(legitimate)
            let second = peer.packet(payload)
            return peer.send(second + first)
        }),
        Attack(name: "packet sealed with the other direction's keys", run: afterHandshake { peer in
            peer.send(peer.packet(payload, direction: .peers))
        }),
        Attack(name: "packet 2 right after packet 0", legitimate: legitimate, run: afterHandshake { peer in
            guard deliverLegitimate(peer) != nil else { return false }
            return peer.send(peer.packet(payload, number: 2))
        }),
        Attack(name: "valid and bad packet in the same write as the handshake", legitimate: legitimate,
               run: packedWithHandshake),
        Attack(name: "reset after a valid packet", legitimate: legitimate, attackerResets: true, run: { peer in
            guard peer.handshake(), deliverLegitimate(peer) != nil else { return nil }
            peer.reset()
            return DropReport(outcome: .reset, bytes: [], seconds: 0)   // marks that the reset was sent
        }),
        Attack(name: "partial packet then close", run: afterHandshake { peer in
            guard peer.send(Array(peer.packet(payload).prefix(500))) else { return false }
            peer.halfClose()
            return true
        }),
        Attack(name: "valid packet then partial packet then close", legitimate: legitimate, run: afterHandshake { peer in
            guard deliverLegitimate(peer) != nil, peer.send(Array(peer.packet(payload).prefix(1059))) else { return false }
            peer.halfClose()
            return true
        }),
    ]
}

@Suite struct AdversarialPacketTests {
    @Test("A bad packet drops the connection, delivers nothing of it, the daemon keeps serving",
          arguments: PacketAttacks.all, AttackedProgram.allCases)
    func badPacket(_ attack: Attack, _ program: AttackedProgram) throws {
        try AdversarialScenario.run(attack, against: program)
    }
}
