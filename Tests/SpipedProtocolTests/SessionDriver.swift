// Drives a SpipedSession the way spiped and spipe do (receive until the input
// is used up, again while `.verified`; peer output taken after every call),
// collecting what it sends to the peer and what it delivers, for the session
// tests.
import SpipedCrypto
import SpipedTestSupport
import SpipedProtocol

/// One session and everything it produced.
final class SessionDriver {
    let session: SpipedSession
    /// Every byte the session handed over for the peer, in order.
    private(set) var toPeer: [UInt8] = []
    /// Every plaintext byte the session delivered to the application.
    private(set) var delivered: [UInt8] = []
    /// Plaintext the application sealed, and each packet's payload length.
    private(set) var sealedPlaintext: [UInt8] = []
    private(set) var payloadLengths: [Int] = []

    convenience init(role: HandshakeRole, key: SpipedKey, options: HandshakeOptions, seed: UInt64, deadline: UInt64? = nil) {
        self.init(role: role, candidateKeys: [key], options: options, seed: seed, deadline: deadline)
    }

    init(role: HandshakeRole, candidateKeys: [SpipedKey], options: HandshakeOptions, seed: UInt64, deadline: UInt64? = nil) {
        session = SpipedSession(role: role, candidateKeys: candidateKeys, options: options,
                                random: SeededGenerator(seed: seed), handshakeDeadline: deadline)
        toPeer += session.takePeerOutput()
        session.precompute()
    }

    var isEnded: Bool {
        if case .ended = session.state { return true }
        return false
    }

    /// Feeds bytes from the peer, as one read.
    func feed(_ bytes: some Collection<UInt8>) {
        let input = Array(bytes)
        var out = [UInt8](repeating: 0, count: SpipedSession.plaintextCapacity(forPeerByteCount: input.count))
        var offset = 0
        input.withUnsafeBytes { raw in
            while true {
                let step = out.withUnsafeMutableBytes {
                    session.receive(UnsafeRawBufferPointer(rebasing: raw[offset...]), into: $0)
                }
                offset += step.consumed
                delivered += out[0..<step.produced]
                toPeer += session.takePeerOutput()
                if session.state == .verified { continue }
                if offset >= raw.count || (step.consumed == 0 && step.produced == 0) { break }
                if isEnded { break }
            }
        }
    }

    /// Seals plaintext from the application if the session takes it now.
    @discardableResult
    func send(_ plaintext: [UInt8]) -> Bool {
        guard session.canSeal else { return false }
        var out = [UInt8](repeating: 0, count: SpipedSession.sealedByteCount(forPlaintextByteCount: plaintext.count))
        let n = plaintext.withUnsafeBytes { p in out.withUnsafeMutableBytes { session.seal(p, into: $0) } }
        toPeer += out[0..<n]
        sealedPlaintext += plaintext
        var left = plaintext.count
        while left > 0 {
            payloadLengths.append(min(left, SpipedSession.maxPayloadByteCount))
            left -= SpipedSession.maxPayloadByteCount
        }
        return true
    }
}
