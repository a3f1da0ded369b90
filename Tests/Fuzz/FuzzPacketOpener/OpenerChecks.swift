// The opener-level pass of FuzzPacketOpener: a bare PacketOpener with the
// same direction's keys is fed the same wire bytes, and its package API
// (which the session does not use in these ways) is checked against the
// model: the throwing `open(_:into:)`, output buffers too small for a
// packet, `failedEarlier` after a failure, and the Array convenience API.
//
// Invariants: consumed <= offered, produced <= output size, progress whenever
// the output has room and input is left, none while it has under 1024 bytes;
// the plaintext equals the model's (a prefix of it when the call that hit a
// bad packet threw; exactly with openAvailable); the first error is the
// model's, every later call fails with failedEarlier; packetCount and
// hasPartialPacket match the model.
import SpipedFuzzSupport
import SpipedProtocol

enum OpenerChecks {
    /// How the bare opener is driven.
    enum Entry { case openAvailable, throwingOpen }

    static func run(wire: [UInt8], model: PacketModel, expected: PacketModel.Outcome,
                    seed: UInt8, outputSize initialSize: Int, entry: Entry, arrayAPI: Bool) {
        var outputSize = initialSize
        let opener = PacketOpener(encryptionKey: model.encryptionKey, macKey: model.macKey)
        var plaintext: [UInt8] = []
        var failure: PacketError? = nil
        var plan = ChunkPlan(seed: seed)
        var fed = 0
        while fed < wire.count {
            let n = min(plan.next(), wire.count - fed)
            let chunk = wire.withUnsafeBytes { ExactBuffer(UnsafeRawBufferPointer(rebasing: $0[fed..<fed + n])) }
            fed += n
            var used = 0
            while used < n {
                let rest = UnsafeRawBufferPointer(rebasing: chunk.bytes[used...])
                let out = ExactBuffer(count: outputSize)
                let result: (consumed: Int, produced: Int, failure: PacketError?)
                switch entry {
                case .openAvailable:
                    result = opener.openAvailable(rest, into: out.pointer)
                case .throwingOpen:
                    do {
                        let (consumed, produced) = try opener.open(rest, into: out.pointer)
                        result = (consumed, produced, nil)
                    } catch {
                        result = (0, 0, error)
                    }
                }
                fuzzCheck(result.consumed >= 0 && result.consumed <= rest.count, "opener consumed \(result.consumed) of \(rest.count)")
                fuzzCheck(result.produced >= 0 && result.produced <= outputSize, "opener produced \(result.produced) into \(outputSize)")
                plaintext += out.bytes[0..<result.produced]
                if let error = result.failure {
                    if let failure {
                        fuzzCheck(error == .failedEarlier, "after \(failure) the opener failed with \(error)")
                    } else {
                        fuzzCheck(error != .failedEarlier, "first failure reported as failedEarlier")
                        failure = error
                    }
                    fuzzCheck(opener.hasFailed, "failure without the failed state")
                    break
                }
                fuzzCheck(failure == nil, "open succeeded after \(String(describing: failure))")
                used += result.consumed
                if outputSize < PacketModel.payloadCapacity {
                    fuzzCheck(result.consumed == 0 && result.produced == 0, "progress with \(outputSize) bytes of output")
                    outputSize = PacketModel.payloadCapacity
                } else {
                    fuzzCheck(result.consumed > 0, "no progress with input left and room for output")
                }
            }
        }
        fuzzCheck(failure == expected.error, "opener error \(String(describing: failure)), model \(String(describing: expected.error))")
        if failure == nil {
            fuzzCheck(plaintext == expected.plaintext, "opener plaintext differs from the model")
            fuzzCheck(opener.packetCount == expected.packets, "packetCount \(opener.packetCount), model \(expected.packets)")
            fuzzCheck(opener.hasPartialPacket == (wire.count % PacketModel.packetByteCount != 0), "hasPartialPacket wrong")
        } else {
            fuzzCheck(plaintext.count <= expected.plaintext.count && plaintext[...] == expected.plaintext.prefix(plaintext.count),
                      "opener plaintext before the failure differs from the model")
            fuzzCheck(entry == .throwingOpen || plaintext == expected.plaintext, "openAvailable lost plaintext before the failure")
            let none: [UInt8] = []
            fuzzCheck((try? opener.open(none)) == nil, "failed opener accepted more input")
        }

        if arrayAPI {
            let second = PacketOpener(encryptionKey: model.encryptionKey, macKey: model.macKey)
            do {
                let all = try second.open(wire)
                fuzzCheck(expected.error == nil && all == expected.plaintext, "Array API disagrees with the model")
            } catch {
                fuzzCheck(error == expected.error, "Array API threw \(error), model \(String(describing: expected.error))")
            }
        }
    }
}
