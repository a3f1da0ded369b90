// libFuzzer target: PacketOpener (keys E_C/H_C of the first transcript, so
// the transcript's client packets are valid seeds) fed a packet stream in
// pieces the input decides, checked against a model of the packet format
// written here with SpipedCrypto's HMAC and AES-CTR.
//
// Input layout:
//   byte 0  fragmentation seed (ChunkPlan)
//   byte 1  bits0-2 output buffer size (0, 1, 1023, 1024, 1025, 2048, 4096,
//           65536 bytes: sizes under 1024 must make no progress, then 1024 is
//           used), bit3 assist: recompute every whole packet's MAC with its
//           packet number, bit4 with assist: first encrypt bytes 0..<1028 of
//           each packet (so the fuzzer writes plaintext lengths directly),
//           bit5 also run the Array convenience API on the whole stream,
//           bit6 call openAvailable instead of open (the plaintext before a
//           bad packet must then be all of the model's).
//   rest    the stream of 1060-byte packets.
//
// Invariants: consumed <= offered, produced <= output size, progress whenever
// the output has room and input is left; the plaintext equals the model's
// (exactly, or a prefix of it when the call that hit a bad packet threw;
// exactly with openAvailable); the
// first error is the model's (badMAC before badLength), every later call
// throws failedEarlier; packetCount and hasPartialPacket match the model.
import SpipedCrypto
import SpipedFuzzSupport
import SpipedProtocol

let encryptionKey = FuzzTranscript.eC
let macKey = FuzzTranscript.hC
let outputSizes = [0, 1, 1023, 1024, 1025, 2048, 4096, 65536]

/// AES-CTR keystream applied to `bytes` for packet `number` (spiped's counter layout).
func ctr(_ bytes: inout [UInt8], packet number: UInt64) {
    var stream = AES256CTR(cipher: AES256(key: encryptionKey), nonce: number)
    bytes.withUnsafeMutableBytes { stream.apply($0) }
}

/// HMAC(H, enc || be64(number)).
func tag(_ encrypted: ArraySlice<UInt8>, packet number: UInt64) -> [UInt8] {
    var mac = HMACSHA256(key: macKey)
    mac.update(encrypted)
    mac.update(withUnsafeBytes(of: number.bigEndian) { Array($0) })
    return mac.finalize()
}

/// What a correct opener yields for `stream`.
func model(_ stream: [UInt8]) -> (plaintext: [UInt8], packets: UInt64, error: PacketError?) {
    var plaintext: [UInt8] = []
    var number: UInt64 = 0
    var offset = 0
    while stream.count - offset >= 1060 {
        let packet = stream[offset..<offset + 1060]
        guard tag(packet.prefix(1028), packet: number) == Array(packet.suffix(32)) else { return (plaintext, number, .badMAC) }
        var padded = Array(packet.prefix(1028))
        ctr(&padded, packet: number)
        let length = Int(padded[1024]) << 24 | Int(padded[1025]) << 16 | Int(padded[1026]) << 8 | Int(padded[1027])
        guard length >= 1 && length <= 1024 else { return (plaintext, number, .badLength) }
        plaintext += padded[0..<length]
        number += 1
        offset += 1060
    }
    return (plaintext, number, nil)
}

func runOpener(_ input: [UInt8]) {
    let seed = input.count > 0 ? input[0] : 0
    let mode = input.count > 1 ? input[1] : 0
    var stream = input.count > 2 ? Array(input[2...]) : []
    if mode & 0x08 != 0 {
        var number: UInt64 = 0
        var offset = 0
        while stream.count - offset >= 1060 {
            if mode & 0x10 != 0 {
                var padded = Array(stream[offset..<offset + 1028])
                ctr(&padded, packet: number)
                stream.replaceSubrange(offset..<offset + 1028, with: padded)
            }
            stream.replaceSubrange(offset + 1028..<offset + 1060, with: tag(stream[offset..<offset + 1028], packet: number))
            number += 1
            offset += 1060
        }
    }
    let expected = model(stream)
    var outputSize = outputSizes[Int(mode & 7)]
    let keepGood = mode & 0x40 != 0

    let opener = PacketOpener(encryptionKey: encryptionKey, macKey: macKey)
    var plaintext: [UInt8] = []
    var failure: PacketError? = nil
    var plan = ChunkPlan(seed: seed)
    var fed = 0
    while fed < stream.count {
        let n = min(plan.next(), stream.count - fed)
        let chunk = stream.withUnsafeBytes { ExactBuffer(UnsafeRawBufferPointer(rebasing: $0[fed..<fed + n])) }
        fed += n
        var used = 0
        while used < n {
            let rest = UnsafeRawBufferPointer(rebasing: chunk.bytes[used...])
            let out = ExactBuffer(count: outputSize)
            // Either entry point; openAvailable also returns what it produced before a failure.
            let result: (consumed: Int, produced: Int, failure: PacketError?)
            if keepGood {
                result = opener.openAvailable(rest, into: out.pointer)
            } else {
                do {
                    let (consumed, produced) = try opener.open(rest, into: out.pointer)
                    result = (consumed, produced, nil)
                } catch {
                    result = (0, 0, error)
                }
            }
            fuzzCheck(result.consumed >= 0 && result.consumed <= rest.count, "consumed \(result.consumed) of \(rest.count)")
            fuzzCheck(result.produced >= 0 && result.produced <= outputSize, "produced \(result.produced) into \(outputSize)")
            plaintext += out.bytes[0..<result.produced]
            if let error = result.failure {
                if let failure {
                    fuzzCheck(error == .failedEarlier, "after \(failure) threw \(error)")
                } else {
                    fuzzCheck(error != .failedEarlier, "first failure reported as failedEarlier")
                    failure = error
                }
                fuzzCheck(opener.hasFailed, "failure without the failed state")
                break
            }
            fuzzCheck(failure == nil, "open succeeded after \(String(describing: failure))")
            used += result.consumed
            if outputSize < 1024 {
                fuzzCheck(result.consumed == 0 && result.produced == 0, "progress with \(outputSize) bytes of output")
                outputSize = 1024
            } else {
                fuzzCheck(result.consumed > 0, "no progress with input left and room for output")
            }
        }
    }
    fuzzCheck(failure == expected.error, "error \(String(describing: failure)), model \(String(describing: expected.error))")
    if failure == nil {
        fuzzCheck(plaintext == expected.plaintext, "plaintext differs from the model")
        fuzzCheck(opener.packetCount == expected.packets, "packetCount \(opener.packetCount), model \(expected.packets)")
        fuzzCheck(opener.hasPartialPacket == (stream.count % 1060 != 0), "hasPartialPacket wrong")
    } else {
        fuzzCheck(plaintext.count <= expected.plaintext.count && plaintext[...] == expected.plaintext.prefix(plaintext.count),
                  "plaintext before the failure differs from the model")
        // openAvailable loses nothing: every packet before the bad one was delivered.
        fuzzCheck(!keepGood || plaintext == expected.plaintext, "openAvailable lost plaintext before the failure")
        let none: [UInt8] = []
        fuzzCheck((try? opener.open(none)) == nil, "failed opener accepted more input")
    }

    if mode & 0x20 != 0 {
        let second = PacketOpener(encryptionKey: encryptionKey, macKey: macKey)
        do {
            let all = try second.open(stream)
            fuzzCheck(expected.error == nil && all == expected.plaintext, "Array API disagrees with the model")
        } catch {
            fuzzCheck(error == expected.error, "Array API threw \(error), model \(String(describing: expected.error))")
        }
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzPacketOpener(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    runOpener(fuzzInput(data, size))
    return 0
}

/// The process entry point SwiftPM links as `main`.
@_cdecl("FuzzPacketOpener_main")
public func FuzzPacketOpenerMain(_ argc: Int32, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> Int32 {
    runFuzzer(argc, argv) { fuzzPacketOpener($0, $1) }
}
