// The fixed layout of a spiped data packet and the step sealer and opener
// share: the packet MAC, for one packet or for two at once.
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

    /// The MACs of two packets at once (`numberA` and `numberB` their packet
    /// numbers), with the SHA-256 compressions of both interleaved; same
    /// result as two ``computeMAC(_:encrypted:packetNumber:into:)`` calls.
    @inline(__always)
    static func computeMACs(_ keyed: HMACSHA256,
                            encryptedA: UnsafeRawPointer, packetNumberA: UInt64, intoA outA: UnsafeMutableRawPointer,
                            encryptedB: UnsafeRawPointer, packetNumberB: UInt64, intoB outB: UnsafeMutableRawPointer) {
        var counters = (packetNumberA.bigEndian, packetNumberB.bigEndian)
        withUnsafeBytes(of: &counters) { raw in
            keyed.authenticationCodes(body: UnsafeRawBufferPointer(start: encryptedA, count: encryptedByteCount),
                                      suffix: UnsafeRawBufferPointer(rebasing: raw[0..<8]),
                                      body: UnsafeRawBufferPointer(start: encryptedB, count: encryptedByteCount),
                                      suffix: UnsafeRawBufferPointer(rebasing: raw[8..<16]),
                                      into: outA, outB)
        }
    }
}
