// Turns outgoing plaintext into spiped data packets (one direction of a
// session), many packets per call, straight into the caller's buffer.
//
// Guarantees: plaintext is cut into 1024-byte chunks (the last shorter),
// one 1060-byte packet each, numbered from 0 with a UInt64 counter. No heap
// allocation per packet or per call: each packet is padded and encrypted in
// place in the output, and consecutive packets are MACed in batches as wide
// as the MAC backend's lanes (PacketLayout.macBatch) from the precomputed
// keyed HMAC state (an inline value). Constant-time in the plaintext's
// contents (only its length shows, as it does on the wire). Keys are wiped
// on deinit.
import SpipedCrypto

/// Seals plaintext into spiped packets for one direction of a connection.
///
/// Get one from ``Handshake/finish()``; each call continues the packet
/// numbering where the previous one stopped.
/// ```swift
/// var out = [UInt8](repeating: 0, count: PacketSealer.sealedByteCount(forPlaintextByteCount: data.count))
/// let n = data.withUnsafeBytes { p in out.withUnsafeMutableBytes { sealer.seal(p, into: $0) } }
/// ```
public final class PacketSealer {
    /// Size of every packet on the wire.
    public static let packetByteCount = 1060
    /// Most plaintext bytes one packet carries.
    public static let maxPayloadByteCount = 1024

    private var cipher: AES256
    private var keyedMAC: HMACSHA256
    private var packetNumber: UInt64 = 0

    /// Bytes that sealing `n` plaintext bytes writes: one packet per started
    /// 1024 bytes, 0 for none.
    public static func sealedByteCount(forPlaintextByteCount n: Int) -> Int {
        (max(n, 0) + maxPayloadByteCount - 1) / maxPayloadByteCount * packetByteCount
    }

    /// A sealer with session keys E (AES-256) and H (HMAC-SHA256), 32 bytes
    /// each, starting at packet 0. ``Handshake/finish()`` makes these; this
    /// initializer is for tests and custom setups.
    ///
    /// - Precondition: both keys are 32 bytes (a programming error otherwise).
    public init(encryptionKey: some Collection<UInt8>, macKey: some Collection<UInt8>) {
        precondition(encryptionKey.count == 32 && macKey.count == 32, "spiped session keys are 32 bytes")
        cipher = AES256(key: encryptionKey)
        keyedMAC = HMACSHA256(key: macKey)
    }

    /// How many packets this sealer has produced so far.
    public var packetCount: UInt64 { packetNumber }

    /// Seals all of `plaintext` into `out`, returning the bytes written
    /// (``sealedByteCount(forPlaintextByteCount:)``). Empty plaintext writes
    /// nothing.
    ///
    /// - Precondition: `out` has room for the result and does not overlap
    ///   `plaintext` (both are the caller's buffers, never peer input).
    public func seal(_ plaintext: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
        let total = PacketSealer.sealedByteCount(forPlaintextByteCount: plaintext.count)
        precondition(out.count >= total, "PacketSealer.seal: output buffer too small")
        guard total > 0, let source = plaintext.baseAddress, let destination = out.baseAddress else { return 0 }
        var read = 0
        var written = 0
        // Packets are encrypted one by one and MACed in batches of consecutive
        // packets (their SHA-256 work side by side); the last batch may be short.
        var batchStart = destination, batchNumber = packetNumber, batchCount = 0
        while read < plaintext.count {
            let length = min(PacketLayout.payloadCapacity, plaintext.count - read)
            let packet = destination + written
            packet.copyMemory(from: source + read, byteCount: length)
            if length < PacketLayout.payloadCapacity {
                (packet + length).initializeMemory(as: UInt8.self, repeating: 0,
                                                   count: PacketLayout.payloadCapacity - length)
            }
            packet.storeBytes(of: UInt32(length).bigEndian, toByteOffset: PacketLayout.lengthOffset, as: UInt32.self)
            cipher.xorKeystream(nonce: packetNumber, firstBlock: 0,
                                UnsafeMutableRawBufferPointer(start: packet, count: PacketLayout.encryptedByteCount))
            if batchCount == 0 { batchStart = packet; batchNumber = packetNumber }
            batchCount += 1
            if batchCount == PacketLayout.macBatch {
                macBatch(batchStart, count: batchCount, firstNumber: batchNumber)
                batchCount = 0
            }
            packetNumber &+= 1
            read += length
            written += PacketLayout.packetByteCount
        }
        if batchCount > 0 { macBatch(batchStart, count: batchCount, firstNumber: batchNumber) }
        return written
    }

    /// Writes the MACs of the `count` encrypted packets at `first` into them.
    private func macBatch(_ first: UnsafeMutableRawPointer, count: Int, firstNumber: UInt64) {
        PacketLayout.computeMACs(keyedMAC, count: count, packets: first, firstPacketNumber: firstNumber,
                                 into: first + PacketLayout.macOffset, codeStride: PacketLayout.packetByteCount)
    }

    deinit {
        cipher.wipe()
        keyedMAC.wipe()
    }
}
