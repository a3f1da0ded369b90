// The handshake fuzz driver shared by FuzzHandshakeServer and
// FuzzHandshakeClient: one Handshake (fixed key and scripted randomness from
// the first transcript) is fed a peer byte stream in pieces the input
// decides, and every observable result is checked against an independent
// model computed here from the spiped design (PBKDF2/HMAC/DH of SpipedCrypto).
//
// Input layout:
//   byte 0  flags: bit0 own fast (-f), bit1 own requirePFS (-g),
//           bit2 assist (pad the stream to 320 bytes and put the correct peer
//           MAC in, so the fuzzer gets past the MAC), bits4-6 with assist:
//           replace the peer y (0 keep, 1 one, 2 zero, 3 p-1, 4 p, 5 all 0xff,
//           6 the honest peer's public value, 7 keep), bit7 poll earlySealer().
//   byte 1  fragmentation seed (ChunkPlan); bit7 also calls precompute().
//   rest    the peer's stream: nonce(32) || y(256) || h(32) || data packets.
//
// Invariants checked (a violation aborts):
// - receive consumes 0...chunk bytes, consumes whole chunks while incomplete,
//   exactly 320 bytes in total when complete, and 0 once complete;
// - completion happens iff the model says the peer MAC verifies, y is valid
//   (0 < y < p-1) and PFS is respected; otherwise the exact error is thrown;
// - failure is final: later input throws .failed, nothing more is sent,
//   finish() is nil;
// - output: the nonce first; a server sends its y || h only after the
//   client's message verified; both send exactly the model's y || h;
// - finish() once, with keys equal to the model's dk2 (checked by sealing
//   and opening probes), the fast client's early sealer is the final sealer.
import SpipedCrypto
import SpipedProtocol

public enum HandshakeFuzz {
    static let one: [UInt8] = [UInt8](repeating: 0, count: 255) + [1]
    static let key = SpipedKey(keyFileBytes: FuzzTranscript.keyFile)
    static let keyBytes: [UInt8] = key.withUnsafeKeyBytes { Array($0) }
    static let publicC = DiffieHellmanGroup14.PrivateKey(exponentBytes: FuzzTranscript.xC).publicValue()
    static let publicS = DiffieHellmanGroup14.PrivateKey(exponentBytes: FuzzTranscript.xS).publicValue()
    static let messageCount = 32 + 288

    /// Runs one input against a handshake of `role`.
    public static func run(role: HandshakeRole, input: [UInt8]) {
        let flags = input.count > 0 ? input[0] : 0
        let seed = input.count > 1 ? input[1] : 0
        var stream = input.count > 2 ? Array(input[2...]) : []
        let options = HandshakeOptions(fast: flags & 1 != 0, requirePFS: flags & 2 != 0)
        let isClient = role == .client
        let ownNonce = isClient ? FuzzTranscript.nonceC : FuzzTranscript.nonceS
        let ownX = isClient ? FuzzTranscript.xC : FuzzTranscript.xS
        let ownPublic = isClient ? publicC : publicS
        let peerPublic = isClient ? publicS : publicC
        let pollEarly = flags & 0x80 != 0

        if flags & 4 != 0 { assist(&stream, mode: (flags >> 4) & 7, isClient: isClient, ownNonce: ownNonce, peerPublic: peerPublic) }

        // Model of the outcome.
        var expectedError: HandshakeError? = nil
        var peerY: [UInt8] = []
        var dk1: [UInt8] = []
        var nonces: [UInt8] = []
        if stream.count >= messageCount {
            let peerNonce = Array(stream[0..<32])
            peerY = Array(stream[32..<288])
            let peerH = Array(stream[288..<320])
            nonces = isClient ? ownNonce + peerNonce : peerNonce + ownNonce
            dk1 = PBKDF2.hmacSHA256(password: keyBytes, salt: nonces, iterations: 1, derivedKeyByteCount: 64)
            let peerMACKey = isClient ? Array(dk1[32..<64]) : Array(dk1[0..<32])
            let macOK = HMACSHA256.authenticationCode(for: peerY, key: peerMACKey) == peerH
            var yOK = true
            do { try DiffieHellmanGroup14.validate(peerPublicValue: peerY) } catch { yOK = false }
            if !macOK { expectedError = .badMAC }
            else if !yOK { expectedError = .publicValueOutOfRange }
            else if options.requirePFS && peerY == one { expectedError = .peerNotUsingPFS }
        } else if stream.count >= 32 {
            nonces = isClient ? ownNonce + Array(stream[0..<32]) : Array(stream[0..<32]) + ownNonce
            dk1 = PBKDF2.hmacSHA256(password: keyBytes, salt: nonces, iterations: 1, derivedKeyByteCount: 64)
        }
        let ownY = options.fast ? one : ownPublic
        let ownMessage: [UInt8] = dk1.isEmpty ? [] :
            ownY + HMACSHA256.authenticationCode(for: ownY, key: isClient ? Array(dk1[0..<32]) : Array(dk1[32..<64]))

        let handshake: Handshake
        do {
            handshake = try Handshake(role: role, key: key, options: options, random: ScriptedRandom(ownNonce + ownX))
        } catch HandshakeSetupError.fastWithRequirePFS {
            fuzzCheck(options.fast && options.requirePFS, "fastWithRequirePFS thrown for other options")
            return
        } catch {
            fuzzCheck(false, "Handshake.init threw \(error) with a non-failing RandomSource")
            return
        }
        if seed & 0x80 != 0 { handshake.precompute() }
        var sent = handshake.pendingOutput()
        fuzzCheck(sent == ownNonce, "first output is not exactly the nonce")

        var plan = ChunkPlan(seed: seed)
        var fed = 0
        var consumedTotal = 0
        var failure: HandshakeError? = nil
        var early: PacketSealer? = nil
        while fed < stream.count && !handshake.isComplete {
            let n = min(plan.next(), stream.count - fed)
            let chunk = stream.withUnsafeBytes { ExactBuffer(UnsafeRawBufferPointer(rebasing: $0[fed..<fed + n])) }
            if let failure {
                do {
                    _ = try handshake.receive(chunk.bytes)
                    fuzzCheck(false, "receive succeeded after failure \(failure)")
                } catch {
                    fuzzCheck(error == .failed, "receive after failure threw \(error), not .failed")
                }
                fuzzCheck(handshake.hasFailed && !handshake.isComplete, "failed state not kept")
                fuzzCheck(handshake.pendingOutput().isEmpty, "output after failure")
                fed += n
                continue
            }
            do {
                let c = try handshake.receive(chunk.bytes)
                fuzzCheck(c >= 0 && c <= n, "consumed \(c) of \(n)")
                consumedTotal += c
                fuzzCheck(consumedTotal <= messageCount, "consumed \(consumedTotal) > 320")
                if handshake.isComplete {
                    fuzzCheck(consumedTotal == messageCount, "complete after \(consumedTotal) bytes")
                } else {
                    fuzzCheck(c == n, "incomplete handshake left \(n - c) bytes unconsumed")
                }
                fed += c
            } catch {
                fuzzCheck(error != .failed, "first failure reported as .failed")
                fuzzCheck(fed + n >= messageCount, "failed before the peer message was whole")
                fuzzCheck(handshake.hasFailed && !handshake.isComplete, "throw without failed state")
                failure = error
                fed += n
            }
            sent += handshake.pendingOutput()
            if pollEarly {
                let sealer = handshake.earlySealer()
                let allowed = isClient && options.fast && failure == nil && !handshake.isComplete && consumedTotal >= 32
                if allowed {
                    fuzzCheck(sealer != nil, "no early sealer for a fast client after the server nonce")
                    if let e = early { fuzzCheck(sealer === e, "early sealer changed") }
                    early = sealer
                } else if !(isClient && options.fast && handshake.isComplete) {
                    fuzzCheck(sealer == nil, "early sealer where none is allowed")
                }
            }
            // What may have been sent so far.
            if isClient {
                // On a failure the reply queued in the same call is dropped, so either form may stand then.
                let full = ownNonce + ownMessage
                if failure == nil && consumedTotal >= 32 {
                    fuzzCheck(sent == full, "client output differs from the model")
                } else {
                    fuzzCheck(sent == ownNonce || (failure != nil && sent == full), "client output differs from the model")
                }
            } else {
                let expected = handshake.isComplete ? ownNonce + ownMessage : ownNonce
                fuzzCheck(sent == expected, "server output differs from the model (y revealed early?)")
            }
        }

        // Outcome against the model.
        if stream.count < messageCount {
            fuzzCheck(failure == nil && !handshake.isComplete, "outcome on a short stream")
            fuzzCheck(handshake.finish() == nil, "finish() before completion")
            return
        }
        fuzzCheck(failure == expectedError, "outcome \(String(describing: failure)) but model says \(String(describing: expectedError))")
        if failure != nil {
            fuzzCheck(handshake.finish() == nil, "finish() after failure")
            return
        }
        fuzzCheck(handshake.isComplete, "not complete although the model says it is")
        fuzzCheck((try? handshake.receive(UnsafeRawBufferPointer(start: nil, count: 0))) == 0, "receive after completion")
        let more = [UInt8](repeating: 7, count: 3)
        let moreConsumed: Int? = more.withUnsafeBytes { try? handshake.receive($0) }
        fuzzCheck(moreConsumed == 0, "receive after completion consumed bytes")
        guard let session = handshake.finish() else {
            fuzzCheck(false, "finish() nil after completion")
            return
        }
        fuzzCheck(handshake.finish() == nil, "second finish() not nil")
        if let early { fuzzCheck(early === session.sealer, "early sealer is not the final sealer") }

        // dk2 from the model, and probes in both directions.
        let ySC: [UInt8]
        if options.fast || peerY == one {
            ySC = one
        } else {
            do {
                ySC = try DiffieHellmanGroup14.PrivateKey(exponentBytes: ownX).sharedValue(peerPublicValue: peerY)
            } catch {
                fuzzCheck(false, "model: shared value failed for a validated y")
                return
            }
        }
        let dk2 = PBKDF2.hmacSHA256(password: keyBytes, salt: nonces + ySC, iterations: 1, derivedKeyByteCount: 128)
        let ownSend = isClient ? 0 : 64
        let peerSend = isClient ? 64 : 0
        let probe: [UInt8] = Array("fuzz probe".utf8)
        let sealed = session.sealer.seal(probe)
        let modelOpener = PacketOpener(encryptionKey: dk2[ownSend..<ownSend + 32], macKey: dk2[ownSend + 32..<ownSend + 64])
        fuzzCheck((try? modelOpener.open(sealed)) == probe, "sealer keys differ from the model")

        // The data after the handshake: the real opener and one with the model's keys must agree.
        let data = Array(stream[fed...])
        let modelIn = PacketOpener(encryptionKey: dk2[peerSend..<peerSend + 32], macKey: dk2[peerSend + 32..<peerSend + 64])
        let real = Result { () throws(PacketError) in try session.opener.open(data) }
        let model = Result { () throws(PacketError) in try modelIn.open(data) }
        fuzzCheck(real == model, "opener disagrees with the model-keyed opener")
        if case .success = real, !session.opener.hasPartialPacket {
            let modelSealer = PacketSealer(encryptionKey: dk2[peerSend..<peerSend + 32], macKey: dk2[peerSend + 32..<peerSend + 64])
            for _ in 0..<session.opener.packetCount { _ = modelSealer.seal([0]) }
            let opened = try? session.opener.open(modelSealer.seal(probe))
            fuzzCheck(opened == probe, "opener keys differ from the model")
        }
    }

    /// Pads the stream to a whole peer message and writes the correct MAC
    /// (after optionally replacing y), so the fuzzer explores past the MAC.
    static func assist(_ stream: inout [UInt8], mode: UInt8, isClient: Bool, ownNonce: [UInt8], peerPublic: [UInt8]) {
        if stream.count < messageCount { stream += [UInt8](repeating: 0, count: messageCount - stream.count) }
        let p = DiffieHellmanGroup14.primeBytes
        var y = Array(stream[32..<288])
        switch mode {
        case 1: y = one
        case 2: y = [UInt8](repeating: 0, count: 256)
        case 3: y = p; y[255] -= 1
        case 4: y = p
        case 5: y = [UInt8](repeating: 0xff, count: 256)
        case 6: y = peerPublic
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
