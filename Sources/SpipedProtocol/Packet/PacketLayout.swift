// The fixed layout of a spiped data packet and the step sealer and opener
// share: the packet MAC, for one packet or for a batch of consecutive packets.
//
//   padded = M || zeros to 1024 || be32(len M)        (1028 bytes)
//   enc    = AES-256-CTR(E, padded), counter block be64(packet#) || be64(i)
//   packet = enc || HMAC-SHA256(H, enc || be64(packet#))   (1060 bytes)
//
// Guarantees: no allocation; timing of `computeMAC` depends only on the
// (fixed) packet size, not on the key or the contents.
import SpipedCrypto

enum PacketLayout {
    /// Largest plaintext one packet carries.
    static let payloadCapacity = 1024
    /// Offset of the big-endian 32-bit length inside the padded block.
    static let lengthOffset = 1024
    /// Bytes covered by the encryption (payload area plus length).
    static let encryptedByteCount = 1028
    /// Offset of the 32-byte MAC in a packet.
    static let macOffset = 1028
    /// Size of the MAC.
    static let macByteCount = 32
    /// Size of a whole packet on the wire.
    static let packetByteCount = 1060
    /// CTR block index that holds the length field (1024 / 16).
    static let lengthBlockIndex: UInt64 = 64

    /// Ciphertext bytes for `count` plaintext bytes: one packet per started 1024.
    static func sealedByteCount(forPlaintextByteCount count: Int) -> Int {
        (max(count, 0) + payloadCapacity - 1) / payloadCapacity * packetByteCount
    }

    /// Writes HMAC(H, enc || be64(packetNumber)) to `out` (32 bytes), using
    /// `working`, a clone of the keyed state that `finalize` returns to the
    /// keyed state for the next packet.
    @inline(__always)
    static func computeMAC(_ working: inout HMACSHA256, encrypted: UnsafeRawPointer,
                           packetNumber: UInt64, into out: UnsafeMutableRawPointer) {
        working.update(UnsafeRawBufferPointer(start: encrypted, count: encryptedByteCount))
        var counter = packetNumber.bigEndian
        withUnsafeBytes(of: &counter) { working.update($0) }
        working.finalize(into: UnsafeMutableRawBufferPointer(start: out, count: macByteCount))
    }

    /// Most packets ``computeMACs(_:count:packets:firstPacketNumber:into:codeStride:)`` takes.
    static let maxMACBatch = 16
    /// Packets the sealer and opener MAC together: the lane count of the MAC
    /// backend ``CryptoBackends`` chose (2 for SHA-NI pairs, 16 for AVX-512...).
    static let macBatch = min(HMACSHA256.preferredLanes.laneCount, maxMACBatch)

    /// The MACs of `count` (<= ``maxMACBatch``) consecutive packets lying
    /// `packetByteCount` apart from `packets`, numbered from `firstPacketNumber`,
    /// computed side by side; code i goes to `codes + i * codeStride`. Same
    /// result as `count` ``computeMAC(_:encrypted:packetNumber:into:)`` calls.
    static func computeMACs(_ keyed: HMACSHA256, count: Int, packets: UnsafeRawPointer, firstPacketNumber: UInt64,
                            into codes: UnsafeMutableRawPointer, codeStride: Int) {
        precondition(count >= 1 && count <= maxMACBatch, "PacketLayout.computeMACs: batch size")
        if count <= 2 {
            // One or two packets (SHA-NI pairs, short batches): straight to the
            // pair or single code, without building pointer tables.
            var counters = (firstPacketNumber.bigEndian, (firstPacketNumber &+ 1).bigEndian)
            withUnsafeBytes(of: &counters) { raw in
                let bodyA = UnsafeRawBufferPointer(start: packets, count: encryptedByteCount)
                let suffixA = UnsafeRawBufferPointer(rebasing: raw[0..<8])
                if count == 1 {
                    keyed.singleCode(body: bodyA, suffix: suffixA, into: codes)
                } else {
                    keyed.authenticationCodes(body: bodyA, suffix: suffixA,
                                              body: UnsafeRawBufferPointer(start: packets + packetByteCount,
                                                                           count: encryptedByteCount),
                                              suffix: UnsafeRawBufferPointer(rebasing: raw[8..<16]),
                                              into: codes, codes + codeStride)
                }
            }
            return
        }
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: maxMACBatch) { counters in
            withUnsafeTemporaryAllocation(of: UnsafeRawPointer.self, capacity: 2 * maxMACBatch) { inputs in
                withUnsafeTemporaryAllocation(of: UnsafeMutableRawPointer.self, capacity: maxMACBatch) { outputs in
                    let counter = counters.baseAddress.unsafelyUnwrapped
                    let bodies = inputs.baseAddress.unsafelyUnwrapped, suffixes = bodies + maxMACBatch
                    let out = outputs.baseAddress.unsafelyUnwrapped
                    for i in 0..<count {
                        (counter + i).initialize(to: (firstPacketNumber &+ UInt64(i)).bigEndian)
                        (bodies + i).initialize(to: packets + i * packetByteCount)
                        (suffixes + i).initialize(to: UnsafeRawPointer(counter + i))
                        (out + i).initialize(to: codes + i * codeStride)
                    }
                    keyed.authenticationCodes(count: count, bodies: bodies, bodyByteCount: encryptedByteCount,
                                              suffixes: suffixes, suffixByteCount: 8, codes: out)
                }
            }
        }
    }
}
