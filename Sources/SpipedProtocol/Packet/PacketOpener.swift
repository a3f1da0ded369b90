// Turns arriving spiped data packets (any fragmentation) back into
// plaintext, for one direction of a session.
//
// Guarantees:
// - The MAC over enc || be64(packet#) is verified in constant time before
//   anything is decrypted; then the length (0 or > 1024 is refused) and only
//   then is plaintext written, so a refused packet produces nothing. Whole
//   packets lying in the input are MACed in batches as wide as the MAC
//   backend's lanes (their SHA-256 work side by side); they are still
//   accepted strictly in order, and a packet's verdict counts only once the
//   one before it has been accepted.
// - Any failure is final: the opener wipes its buffer and every later call
//   throws `failedEarlier`.
// - No heap allocation after init: whole packets are verified where they lie
//   in the caller's input and decrypted straight into the caller's output;
//   only a packet split across calls is gathered in one preallocated
//   1060-byte buffer (at most one partial packet is ever held); the expected
//   MACs of a batch go to stack scratch (512 bytes at most), wiped after
//   each batch.
// - Packet numbers are UInt64, starting at 0; after packet 2^64 - 1 the
//   opener fails closed (`packetLimitReached`) rather than wrap to 0.
//   Keys and buffer wiped on deinit.
import SpipedCrypto

/// Opens spiped packets for one direction of a connection.
///
/// Get one from ``Handshake/finish()``. Feed it whatever bytes arrive; it
/// writes plaintext while the output has at least 1024 bytes free:
/// ```swift
/// let (used, produced) = try opener.open(input, into: plaintextBuffer)
/// // deliver plaintextBuffer[0..<produced]; call again with input[used...]
/// ```
package final class PacketOpener {
    private var cipher: AES256
    private var keyedMAC: HMACSHA256
    private var packetNumber: UInt64 = 0
    /// Set once packet 2^64 - 1 was accepted: no packet number is left.
    private var exhausted = false
    /// Gathers one packet that arrives in pieces.
    private let partial: UnsafeMutableRawBufferPointer
    private var partialCount = 0
    private var failed = false

    /// An opener with session keys E (AES-256) and H (HMAC-SHA256), 32 bytes
    /// each, expecting packet 0 first. ``Handshake/finish()`` makes these;
    /// this initializer is for tests and custom setups.
    ///
    /// - Precondition: both keys are 32 bytes (a programming error otherwise).
    package convenience init(encryptionKey: some Collection<UInt8>, macKey: some Collection<UInt8>) {
        self.init(encryptionKey: encryptionKey, macKey: macKey, firstPacketNumber: 0)
    }

    /// An opener expecting `firstPacketNumber` first (tests of the counter's end).
    package init(encryptionKey: some Collection<UInt8>, macKey: some Collection<UInt8>, firstPacketNumber: UInt64) {
        precondition(encryptionKey.count == 32 && macKey.count == 32, "spiped session keys are 32 bytes")
        packetNumber = firstPacketNumber
        cipher = AES256(key: encryptionKey)
        keyedMAC = HMACSHA256(key: macKey)
        partial = UnsafeMutableRawBufferPointer.allocate(byteCount: PacketLayout.packetByteCount, alignment: 16)
        partial.initializeMemory(as: UInt8.self, repeating: 0)
    }

    /// How many packets this opener has accepted so far.
    package var packetCount: UInt64 { packetNumber }

    /// Whether bytes of an incomplete packet are held (input ended mid-packet
    /// if the stream is now at its end).
    package var hasPartialPacket: Bool { partialCount > 0 }

    /// Whether an earlier call failed (the opener then refuses everything).
    package var hasFailed: Bool { failed }

    /// Consumes whole packets from `input` (buffering a trailing partial one)
    /// and writes their plaintext to `out`, for as long as `out` has at least
    /// 1024 bytes free. Returns the input bytes consumed and the plaintext
    /// bytes produced; unconsumed input must be offered again later.
    ///
    /// - Throws: ``PacketError/badMAC`` or ``PacketError/badLength`` for a bad
    ///   packet (no plaintext of it is written), ``PacketError/failedEarlier``
    ///   once any call has failed. A throw ends the stream for good.
    package func open(_ input: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer) throws(PacketError) -> (consumed: Int, produced: Int) {
        let result = openAvailable(input, into: out)
        if let failure = result.failure { throw failure }
        return (result.consumed, result.produced)
    }

    /// Like ``open(_:into:)``, but a bad packet does not take the plaintext
    /// of the good packets before it in the same input with it: their
    /// plaintext is in `out[0..<produced]` and `failure` says why the stream
    /// ended (the opener has failed for good, as with a throw). This is what a
    /// relay wants: the C spiped forwards every packet that verified before
    /// the bad one, and so do we, even when they arrive in one read.
    ///
    /// - Returns: input bytes consumed, plaintext bytes produced, and the
    ///   error that ended the stream (``PacketError/failedEarlier`` at once,
    ///   with nothing produced, if an earlier call failed), or nil.
    package func openAvailable(_ input: UnsafeRawBufferPointer, into out: UnsafeMutableRawBufferPointer)
        -> (consumed: Int, produced: Int, failure: PacketError?) {
        guard !failed else { return (0, 0, .failedEarlier) }
        guard let destination = out.baseAddress else { return (0, 0, nil) }
        let source = input.baseAddress
        var consumed = 0
        var produced = 0
        while out.count - produced >= PacketLayout.payloadCapacity {
            let available = input.count - consumed
            guard available > 0, let source else { break }
            let batch = min(PacketLayout.macBatch, available / PacketLayout.packetByteCount,
                            (out.count - produced) / PacketLayout.payloadCapacity)
            if partialCount == 0 && batch >= 2 {
                let step = openBatch(UnsafeRawPointer(source + consumed), count: batch, into: destination + produced)
                consumed += step.consumed
                produced += step.produced
                if let failure = step.failure {
                    fail()
                    return (consumed, produced, failure)
                }
                continue
            }
            let packet: UnsafeRawPointer
            if partialCount == 0 && available >= PacketLayout.packetByteCount {
                packet = UnsafeRawPointer(source + consumed)   // whole packet in place
                consumed += PacketLayout.packetByteCount
            } else {
                let take = min(PacketLayout.packetByteCount - partialCount, available)
                (partial.baseAddress.unsafelyUnwrapped + partialCount).copyMemory(from: source + consumed, byteCount: take)
                partialCount += take
                consumed += take
                guard partialCount == PacketLayout.packetByteCount else { break }
                partialCount = 0
                packet = UnsafeRawPointer(partial.baseAddress.unsafelyUnwrapped)
            }
            do throws(PacketError) {
                produced += try openVerified(packet, macOK: macMatches(packet), into: destination + produced)
            } catch {
                fail()
                return (consumed, produced, error)
            }
        }
        return (consumed, produced, nil)
    }

    /// Opens `count` (2...``PacketLayout/maxMACBatch``) whole packets lying
    /// at `first`: their MACs at once, then each packet in order exactly as
    /// alone (a verdict is only used once the packet before it has been
    /// accepted). Stops at the first bad packet, which it reports.
    private func openBatch(_ first: UnsafeRawPointer, count batch: Int, into output: UnsafeMutableRawPointer)
        -> (consumed: Int, produced: Int, failure: PacketError?) {
        withUnsafeTemporaryAllocation(byteCount: PacketLayout.maxMACBatch * PacketLayout.macByteCount,
                                      alignment: 16) { expectedMACs in
            defer { secureZero(UnsafeMutableRawBufferPointer(rebasing: expectedMACs.prefix(batch * PacketLayout.macByteCount))) }
            PacketLayout.computeMACs(keyedMAC, count: batch, packets: first, firstPacketNumber: packetNumber,
                                     into: expectedMACs.baseAddress.unsafelyUnwrapped,
                                     codeStride: PacketLayout.macByteCount)
            var consumed = 0
            var produced = 0
            do throws(PacketError) {
                for i in 0..<batch {
                    let packet = first + i * PacketLayout.packetByteCount
                    let expected = UnsafeRawBufferPointer(rebasing: expectedMACs[(i * PacketLayout.macByteCount)...]
                                                            .prefix(PacketLayout.macByteCount))
                    let macOK = constantTimeEqual(expected,
                                                  UnsafeRawBufferPointer(start: packet + PacketLayout.macOffset,
                                                                         count: PacketLayout.macByteCount))
                    consumed += PacketLayout.packetByteCount
                    produced += try openVerified(packet, macOK: macOK, into: output + produced)
                }
            } catch {
                return (consumed, produced, error)
            }
            return (consumed, produced, nil)
        }
    }

    /// Whether the packet at `packet` carries the right MAC for the next
    /// packet number (computed, then compared in constant time).
    @inline(__always)
    private func macMatches(_ packet: UnsafeRawPointer) -> Bool {
        var expected: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        var working = keyedMAC
        let ok = withUnsafeMutableBytes(of: &expected) { mac in
            PacketLayout.computeMAC(&working, encrypted: packet, packetNumber: packetNumber,
                                    into: mac.baseAddress.unsafelyUnwrapped)
            return constantTimeEqual(UnsafeRawBufferPointer(mac),
                                     UnsafeRawBufferPointer(start: packet + PacketLayout.macOffset,
                                                            count: PacketLayout.macByteCount))
        }
        working.wipe()
        withUnsafeMutableBytes(of: &expected) { secureZero($0) }
        return ok
    }

    /// Accepts (`macOK`), checks and decrypts one whole packet at `packet`
    /// into `output` (which has room for 1024 bytes); returns the payload length.
    @inline(__always)
    private func openVerified(_ packet: UnsafeRawPointer, macOK: Bool,
                              into output: UnsafeMutableRawPointer) throws(PacketError) -> Int {
        // 0. No packet number left: fail closed rather than reuse one.
        guard !exhausted else { throw .packetLimitReached }
        // 1. The MAC (already compared in constant time) before anything else.
        guard macOK else { throw .badMAC }

        // 2. The length field alone: the first 4 bytes of CTR block 64.
        var lengthField = packet.loadUnaligned(fromByteOffset: PacketLayout.lengthOffset, as: UInt32.self)
        withUnsafeMutableBytes(of: &lengthField) {
            cipher.xorKeystream(nonce: packetNumber, firstBlock: PacketLayout.lengthBlockIndex, $0)
        }
        let length = Int(UInt32(bigEndian: lengthField))
        guard length >= 1 && length <= PacketLayout.payloadCapacity else { throw .badLength }

        // 3. Decrypt just the payload, straight into the caller's buffer.
        output.copyMemory(from: packet, byteCount: length)
        cipher.xorKeystream(nonce: packetNumber, firstBlock: 0, UnsafeMutableRawBufferPointer(start: output, count: length))
        if packetNumber == UInt64.max { exhausted = true } else { packetNumber += 1 }
        return length
    }

    /// Makes the failure permanent and drops whatever was buffered.
    private func fail() {
        failed = true
        partialCount = 0
        secureZero(partial)
    }

    deinit {
        cipher.wipe()
        keyedMAC.wipe()
        secureZero(partial)
        partial.deallocate()
    }
}
