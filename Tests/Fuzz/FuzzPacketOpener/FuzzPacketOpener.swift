// libFuzzer target: the session's data path. An established pair of
// SpipedSessions is made in-process for every input (both -f, with the key
// and nonces of the "both-fast" transcript, so no exponentiation and the
// transcript's packets are valid); the input builds the wire bytes one
// direction carries (honest packets sealed by the sending session, forged
// ones, corruption, raw bytes, truncation) and chooses how they are read;
// the receiving session is driven as spiped and spipe drive it
// (SessionFeeder) and checked against PacketModel keyed with the transcript's
// E/H for that direction.
//
// Input layout:
//   byte 0  fragmentation seed of the reads (ChunkPlan)
//   byte 1  bit0 direction (0: client to server, 1: server to client),
//           bits1-3 plaintext buffer (0: the I/O layers' plaintextCapacity;
//           1-7: 0, 1, 1023, 1024, 1025, 2048, 4096 bytes; under 1024 must
//           stall and is then replaced), bit4 also run OpenerChecks on the
//           wire (bit5: its throwing open() instead of openAvailable, bit6:
//           and the Array API), bit7 the receiver seals a reply after every
//           read (up to 16 packets), which the sender must open.
//   rest    operations, each an opcode byte (kind = low 2 bits, arg = the rest):
//           0 honest: length ((arg << 8 | next byte) % 3073), then that many
//             plaintext bytes (what the input has), sealed by the sender;
//           1 forged: the next 1028 bytes (zero-padded) as a padded block
//             M || zeros || be32 len, encrypted and MACed by the model with
//             the packet number of its place on the wire (any length field);
//           2 corrupt: a 2-byte position (mod the wire) and an xor byte (0 -> 1);
//           3 raw (arg bit0 = 0) or truncate (arg bit0 = 1) by
//             ((arg >> 1) << 8 | next byte) % 1061 + 1 bytes; raw bytes are
//             the next ones of the input.
//
// Invariants (besides SessionFeeder's): the sender's packets are exactly
// the model's; the plaintext delivered is always a prefix of the model's
// and, at the end, all of it (every good packet before a bad one); a bad
// packet ends the session with .packetRejected(model's error), nothing
// before; after the wire, peerInputEnded() is .forward at a packet boundary
// and .ended(.truncated) mid-packet; once ended nothing is taken, delivered,
// sealed or sent, and the first reason stays; replies flow the other way
// until the end.
import SpipedCrypto
import SpipedFuzzSupport
import SpipedProtocol

let fastKey = SpipedKey(keyFileBytes: FuzzFastTranscript.keyFile)
let bufferSizes: [Int?] = [nil, 0, 1, 1023, 1024, 1025, 2048, 4096]

/// A client and a server session, established with each other.
func establishedPair() -> (client: SessionFeeder, server: SessionFeeder) {
    let fast = HandshakeOptions(fast: true)
    let client = SessionFeeder(SpipedSession(role: .client, key: fastKey, options: fast,
                                             random: ScriptedRandom(FuzzFastTranscript.nonceC)))
    let server = SessionFeeder(SpipedSession(role: .server, key: fastKey, options: fast,
                                             random: ScriptedRandom(FuzzFastTranscript.nonceS)))
    var toServer = 0
    var toClient = 0
    for _ in 0..<3 {
        let c = Array(client.sent[toServer...])
        toServer = client.sent.count
        c.withUnsafeBytes { server.feed($0) { _ in } }
        let s = Array(server.sent[toClient...])
        toClient = server.sent.count
        s.withUnsafeBytes { client.feed($0) { _ in } }
    }
    fuzzCheck(client.session.isEstablished && server.session.isEstablished,
              "pair not established: \(client.session.state), \(server.session.state)")
    return (client, server)
}

/// Seals `plaintext` with `feeder`'s session; returns the packets.
func seal(_ plaintext: [UInt8], with feeder: SessionFeeder) -> [UInt8] {
    let out = ExactBuffer(count: SpipedSession.sealedByteCount(forPlaintextByteCount: plaintext.count))
    let n = plaintext.withUnsafeBytes { feeder.session.seal($0, into: out.pointer) }
    return Array(out.bytes[0..<n])
}

func runSessionData(_ input: [UInt8]) {
    let seed = input.count > 0 ? input[0] : 0
    let mode = input.count > 1 ? input[1] : 0
    let toClient = mode & 1 != 0
    let pair = establishedPair()
    let (sender, receiver) = toClient ? (pair.server, pair.client) : (pair.client, pair.server)
    let model = toClient ? PacketModel(encryptionKey: FuzzFastTranscript.eS, macKey: FuzzFastTranscript.hS)
                         : PacketModel(encryptionKey: FuzzFastTranscript.eC, macKey: FuzzFastTranscript.hC)
    let replyModel = toClient ? PacketModel(encryptionKey: FuzzFastTranscript.eC, macKey: FuzzFastTranscript.hC)
                              : PacketModel(encryptionKey: FuzzFastTranscript.eS, macKey: FuzzFastTranscript.hS)

    // The wire, from the operations.
    var wire: [UInt8] = []
    var honest: [UInt8] = []
    var honestPackets: UInt64 = 0
    var i = 2
    func next() -> UInt8 {
        defer { i += 1 }
        return i < input.count ? input[i] : 0
    }
    func take(_ count: Int) -> [UInt8] {
        let bytes = Array(input[min(i, input.count)..<min(i + count, input.count)])
        i += count
        return bytes
    }
    while i < input.count {
        let op = next()
        let arg = Int(op >> 2)
        switch op & 3 {
        case 0:
            let plaintext = take((arg << 8 | Int(next())) % 3073)
            let packets = seal(plaintext, with: sender)
            fuzzCheck(packets == model.seal(plaintext, first: honestPackets), "sealed packets differ from the model")
            honestPackets += UInt64(packets.count / PacketModel.packetByteCount)
            honest += plaintext
            wire += packets
        case 1:
            wire += model.packet(padded: take(1028), number: UInt64(wire.count / PacketModel.packetByteCount))
        case 2:
            let position = Int(next()) << 8 | Int(next())
            let mask = next()
            if !wire.isEmpty { wire[position % wire.count] ^= mask == 0 ? 1 : mask }
        default:
            let count = ((arg >> 1) << 8 | Int(next())) % 1061 + 1
            if arg & 1 == 0 { wire += take(count) } else { wire.removeLast(min(count, wire.count)) }
        }
    }
    fuzzCheck(sender.session.bytesSealed == UInt64(honest.count), "bytesSealed \(sender.session.bytesSealed), sealed \(honest.count)")
    let expected = model.open(wire)

    // The wire, read by the receiving session.
    receiver.bufferSize = bufferSizes[Int(mode >> 1 & 7)]
    let replies = mode & 0x80 != 0
    var replyPackets: UInt64 = 0
    let handshakeSent = receiver.sent.count
    var plan = ChunkPlan(seed: seed)
    var fed = 0
    func check(_ step: SessionFeeder.Step) {
        fuzzCheck(receiver.deliveredIsPrefix(of: expected.plaintext), "delivered plaintext differs from the model")
        if case .ended(let reason) = step.stateAfter {
            fuzzCheck(reason == .packetRejected(expected.error ?? .failedEarlier),
                      "ended with \(reason); model \(String(describing: expected.error))")
            fuzzCheck(receiver.delivered == expected.plaintext, "plaintext before the bad packet lost")
        } else {
            fuzzCheck(step.stateAfter == .established && receiver.session.canSeal, "state \(step.stateAfter) while reading")
        }
    }
    while fed < wire.count {
        let n = min(plan.next(), wire.count - fed)
        let read = wire.withUnsafeBytes { ExactBuffer(UnsafeRawBufferPointer(rebasing: $0[fed..<fed + n])) }
        receiver.feed(read.bytes, check: check)
        fed += n
        if replies && replyPackets < 16 {
            let reply = [UInt8](repeating: UInt8(truncatingIfNeeded: fed), count: 1 + fed % 1500)
            let packets = seal(reply, with: receiver)
            if receiver.isEnded {
                fuzzCheck(packets.isEmpty, "sealed after the end")
            } else {
                fuzzCheck(packets == replyModel.seal(reply, first: replyPackets), "reply packets differ from the model")
                replyPackets += UInt64(packets.count / PacketModel.packetByteCount)
                let before = sender.delivered.count
                packets.withUnsafeBytes { sender.feed($0) { _ in } }
                fuzzCheck(Array(sender.delivered[before...]) == reply, "reply not delivered to the sender")
            }
        }
    }
    fuzzCheck(receiver.delivered == expected.plaintext, "delivered plaintext differs from the model")
    fuzzCheck(receiver.sent.count == handshakeSent, "the receiver sent handshake bytes after establishment")

    // The end of the wire.
    if let error = expected.error {
        fuzzCheck(receiver.session.state == .ended(.packetRejected(error)), "state \(receiver.session.state); model \(error)")
    } else {
        fuzzCheck(receiver.session.state == .established, "state \(receiver.session.state) after a good wire")
        let atBoundary = wire.count % PacketModel.packetByteCount == 0
        let end = receiver.session.peerInputEnded()
        fuzzCheck(end == (atBoundary ? .forward : .ended(.truncated)), "peerInputEnded \(end) after \(wire.count) bytes")
        if atBoundary {
            fuzzCheck(receiver.session.canSeal, "the peer's end stopped the other direction")
            fuzzCheck(receiver.session.applicationInputEnded() == .forward, "application end after the peer's")
            fuzzCheck(receiver.session.state == .ended(.completed), "both ends did not complete the session")
        }
    }
    guard case .ended(let reason) = receiver.session.state else {
        fuzzCheck(false, "session not ended after both ends")
        return
    }
    let more = ExactBuffer(count: PacketModel.packetByteCount)
    receiver.feed(more.bytes) { _ in }
    fuzzCheck(receiver.session.peerInputEnded() == .ended(reason), "peerInputEnded changed the reason")
    receiver.session.end(.aborted)
    fuzzCheck(receiver.session.state == .ended(reason), "end(.aborted) replaced the first reason")
    fuzzCheck(!receiver.session.canSeal && seal([1], with: receiver).isEmpty, "sealed after the end")

    if mode & 0x10 != 0 {
        OpenerChecks.run(wire: wire, model: model, expected: expected, seed: seed,
                         outputSize: bufferSizes[Int(mode >> 1 & 7)] ?? 65536,
                         entry: mode & 0x20 != 0 ? .throwingOpen : .openAvailable, arrayAPI: mode & 0x40 != 0)
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPacketOpener(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    runSessionData(fuzzInput(data, size))
    return 0
}

/// The process entry point SwiftPM links as `main`.
@_cdecl("FuzzPacketOpener_main")
public func FuzzPacketOpenerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzPacketOpener($0, $1) }
}
