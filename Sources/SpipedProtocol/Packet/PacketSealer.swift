// Turns outgoing plaintext into spiped data packets (one direction of a
// session), many packets per call, straight into the caller's buffer.
//
// Guarantees: plaintext is cut into 1024-byte chunks (the last shorter),
// one 1060-byte packet each, numbered from 0 with a UInt64 counter that
// never wraps: a call that would need a number past 2^64 - 1 seals nothing
// and returns 0 (`isExhausted`), and the caller ends the stream. No heap
// allocation per packet or per call: each packet is padded and encrypted in
// place in the output, and packets are MACed two at a time from the
// precomputed keyed HMAC state (an inline value), the odd last one alone. Constant-time in the plaintext's contents (only
// its length shows, as it does on the wire). Keys are wiped on deinit.
import SpipedCrypto

/// Seals plaintext into spiped packets for one direction of a connection.
///
/// Get one from ``Handshake/finish()``; each call continues the packet
/// numbering where the previous one stopped.
/// ```swift
/// var out = [UInt8](repeating: 0, count: SpipedSession.sealedByteCount(forPlaintextByteCount: data.count))
/// let n = data.withUnsafeBytes { p in out.withUnsafeMutableBytes { sealer.seal(p, into: $0) } }
/// ```
package final class PacketSealer {
    private var cipher: AES256
    private var keyedMAC: HMACSHA256
    private var packetNumber: UInt64 = 0
    /// Set once packet 2^64 - 1 was sealed: no packet number is left.
    private var exhausted = false

    /// A sealer with session keys E (AES-256) and H (HMAC-SHA256), 32 bytes
    /// each, starting at packet 0. ``Handshake/finish()`` makes these; this
    /// initializer is for tests and custom setups.
    ///
    /// - Precondition: both keys are 32 bytes (a programming error otherwise).
    package convenience init(encryptionKey: some Collection<UInt8>, macKey: some Collection<UInt8>) {
        self.init(encryptionKey: encryptionKey, macKey: macKey, firstPacketNumber: 0)
    }

    /// A sealer whose first packet is `firstPacketNumber` (tests of the counter's end).
    package init(encryptionKey: some Collection<UInt8>, macKey: some Collection<UInt8>, firstPacketNumber: UInt64) {
        precondition(encryptionKey.count == 32 && macKey.count == 32, "spiped session keys are 32 bytes")
        packetNumber = firstPacketNumber
        cipher = AES256(key: encryptionKey)
        keyedMAC = HMACSHA256(key: macKey)
    }

    /// How many packets this sealer has produced so far (the next packet's
    /// number; it stays at 2^64 - 1 once that packet is sealed).
    package var packetCount: UInt64 { packetNumber }

    /// Whether the packet counter is used up: nothing more can be sealed in
    /// this direction, and ``seal(_:into:)`` returns 0 for any plaintext.
    package var isExhausted: Bool { exhausted }

    /// Seals all of `plaintext` into `out`, returning the bytes written
    /// (`PacketLayout.sealedByteCount(forPlaintextByteCount:)`). Empty plaintext writes
    /// nothing. Returns 0 and writes nothing when the packets would need a
    /// number past 2^64 - 1: the caller must then end the connection (a
    /// counter that wrapped would reuse CTR nonces).
    ///
    /// - Precondition: `out` has room for the result and does not overlap
    ///   `plaintext` (both are the caller's buffers, never peer input).
    package func seal(_ plaintext: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) -> Int {
        let total = PacketLayout.sealedByteCount(forPlaintextByteCount: plaintext.count)
        precondition(out.count >= total, "PacketSealer.seal: output buffer too small")
        guard total > 0, let source = plaintext.baseAddress, let destination = out.baseAddress else { return 0 }
        let packets = UInt64(total / PacketLayout.packetByteCount)
        guard !exhausted, packets - 1 <= UInt64.max - packetNumber else { return 0 }
        var read = 0
        var written = 0
        // Packets are encrypted one by one and MACed in pairs (the two MACs'
        // SHA-256 work interleaves); an odd last packet is MACed alone.
        var waiting: (packet: UnsafeMutableRawPointer, number: UInt64)? = nil
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
            if let first = waiting {
                PacketLayout.computeMACs(keyedMAC,
                                         encryptedA: first.packet, packetNumberA: first.number,
                                         intoA: first.packet + PacketLayout.macOffset,
                                         encryptedB: packet, packetNumberB: packetNumber,
                                         intoB: packet + PacketLayout.macOffset)
                waiting = nil
            } else {
                waiting = (packet, packetNumber)
            }
            if packetNumber == UInt64.max { exhausted = true } else { packetNumber += 1 }
            read += length
            written += PacketLayout.packetByteCount
        }
        if let last = waiting {
            var working = keyedMAC          // a clone of the keyed state
            PacketLayout.computeMAC(&working, encrypted: last.packet, packetNumber: last.number,
                                    into: last.packet + PacketLayout.macOffset)
            working.wipe()
        }
        return written
    }

    deinit {
        cipher.wipe()
        keyedMAC.wipe()
    }
}
