// The independent model the handshake fuzz targets check SpipedSession
// against, computed from the spiped design with SpipedCrypto's PBKDF2, HMAC
// and Diffie-Hellman only (no Handshake, no SessionKeySchedule): for one
// role, options and peer stream (nonce(32) || y(256) || h(32) || packets),
// the handshake's outcome, what this side must send, and the session keys.
//
// Guarantees: deterministic in its arguments (fixed key and randomness of
// the first transcript record, FuzzTranscript); the error order is the
// design's: the MAC first, then the range of y, then -g's y != 1.
import SpipedCrypto
import SpipedProtocol

public struct HandshakeModel {
    public static let one: [UInt8] = [UInt8](repeating: 0, count: 255) + [1]
    public static let key = SpipedKey(keyFileBytes: FuzzTranscript.keyFile)
    static let keyBytes: [UInt8] = key.withUnsafeKeyBytes { Array($0) }
    static let publicC = DiffieHellmanGroup14.PrivateKey(exponentBytes: FuzzTranscript.xC).publicValue()
    static let publicS = DiffieHellmanGroup14.PrivateKey(exponentBytes: FuzzTranscript.xS).publicValue()
    public static let nonceByteCount = 32
    public static let messageCount = 32 + 288

    public let isClient: Bool
    public let options: HandshakeOptions
    public let ownNonce: [UInt8]
    /// What the scripted RandomSource must hand out: the nonce, then x.
    public let ownRandom: [UInt8]
    /// This side's y || h (empty until the peer nonce is in the stream).
    public let ownMessage: [UInt8]
    /// Why the peer's message is refused (nil: accepted, or not whole).
    public let expectedError: HandshakeError?
    /// Whether the handshake completes on this stream.
    public let completes: Bool
    /// dk2 = E_C || H_C || E_S || H_S, once it is fixed: on completion, or
    /// for a fast client as soon as the peer nonce is in.
    public let dk2: [UInt8]

    public init(role: HandshakeRole, options: HandshakeOptions, stream: [UInt8]) {
        isClient = role == .client
        self.options = options
        ownNonce = isClient ? FuzzTranscript.nonceC : FuzzTranscript.nonceS
        ownRandom = ownNonce + (isClient ? FuzzTranscript.xC : FuzzTranscript.xS)
        let ownX = isClient ? FuzzTranscript.xC : FuzzTranscript.xS
        let ownPublic = isClient ? HandshakeModel.publicC : HandshakeModel.publicS

        var error: HandshakeError? = nil
        var peerY: [UInt8] = []
        var nonces: [UInt8] = []
        var dk1: [UInt8] = []
        if stream.count >= HandshakeModel.nonceByteCount {
            let peerNonce = Array(stream[0..<32])
            nonces = isClient ? ownNonce + peerNonce : peerNonce + ownNonce
            dk1 = PBKDF2.hmacSHA256(password: HandshakeModel.keyBytes, salt: nonces, iterations: 1, derivedKeyByteCount: 64)
        }
        if stream.count >= HandshakeModel.messageCount {
            peerY = Array(stream[32..<288])
            let peerH = Array(stream[288..<320])
            let peerMACKey = isClient ? Array(dk1[32..<64]) : Array(dk1[0..<32])
            var yOK = true
            do { try DiffieHellmanGroup14.validate(peerPublicValue: peerY) } catch { yOK = false }
            if HMACSHA256.authenticationCode(for: peerY, key: peerMACKey) != peerH { error = .badMAC }
            else if !yOK { error = .publicValueOutOfRange }
            else if options.requirePFS && peerY == HandshakeModel.one { error = .peerNotUsingPFS }
        }
        expectedError = error
        completes = stream.count >= HandshakeModel.messageCount && error == nil

        let ownY = options.fast ? HandshakeModel.one : ownPublic
        ownMessage = dk1.isEmpty ? [] :
            ownY + HMACSHA256.authenticationCode(for: ownY, key: isClient ? Array(dk1[0..<32]) : Array(dk1[32..<64]))

        // y_SC: 1 if either side is fast (a fast client's keys are fixed by the nonces alone).
        var shared: [UInt8]? = nil
        if (isClient && options.fast && !nonces.isEmpty) || (completes && (options.fast || peerY == HandshakeModel.one)) {
            shared = HandshakeModel.one
        } else if completes {
            shared = try? DiffieHellmanGroup14.PrivateKey(exponentBytes: ownX).sharedValue(peerPublicValue: peerY)
            fuzzCheck(shared != nil, "model: shared value failed for a validated y")
        }
        dk2 = shared.map { PBKDF2.hmacSHA256(password: HandshakeModel.keyBytes, salt: nonces + $0, iterations: 1, derivedKeyByteCount: 128) } ?? []
    }

    /// Packets this side sends (empty model until dk2 is known).
    public var ownPackets: PacketModel { keys(sentBy: isClient) }
    /// Packets the peer sends.
    public var peerPackets: PacketModel { keys(sentBy: !isClient) }

    private func keys(sentBy client: Bool) -> PacketModel {
        guard dk2.count == 128 else { return PacketModel(encryptionKey: [UInt8](repeating: 0, count: 32), macKey: []) }
        let base = client ? 0 : 64
        return PacketModel(encryptionKey: dk2[base..<base + 32], macKey: dk2[base + 32..<base + 64])
    }

    /// Pads the stream to a whole peer message and writes the correct MAC
    /// (after optionally replacing y: 1 one, 2 zero, 3 p-1, 4 p, 5 all 0xff,
    /// 6 the honest peer's public value), so the fuzzer explores past the MAC.
    public static func assist(_ stream: inout [UInt8], mode: UInt8, role: HandshakeRole) {
        let isClient = role == .client
        let ownNonce = isClient ? FuzzTranscript.nonceC : FuzzTranscript.nonceS
        if stream.count < messageCount { stream += [UInt8](repeating: 0, count: messageCount - stream.count) }
        let p = DiffieHellmanGroup14.primeBytes
        var y = Array(stream[32..<288])
        switch mode {
        case 1: y = one
        case 2: y = [UInt8](repeating: 0, count: 256)
        case 3: y = p; y[255] -= 1
        case 4: y = p
        case 5: y = [UInt8](repeating: 0xff, count: 256)
        case 6: y = isClient ? publicS : publicC
        default: break
        }
        stream.replaceSubrange(32..<288, with: y)
        let peerNonce = Array(stream[0..<32])
        let nonces = isClient ? ownNonce + peerNonce : peerNonce + ownNonce
        let dk1 = PBKDF2.hmacSHA256(password: keyBytes, salt: nonces, iterations: 1, derivedKeyByteCount: 64)
        let peerMACKey = isClient ? Array(dk1[32..<64]) : Array(dk1[0..<32])
        stream.replaceSubrange(288..<320, with: HMACSHA256.authenticationCode(for: y, key: peerMACKey))
    }
}
