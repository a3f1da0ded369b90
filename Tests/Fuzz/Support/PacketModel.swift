// An independent model of one direction of spiped data packets, written from
// the packet format with SpipedCrypto's AES-256-CTR and HMAC-SHA256 only
// (no PacketSealer, PacketOpener or PacketLayout), for the fuzz targets to
// compare the real opener and session with:
//
//   padded = M || zeros to 1024 || be32(len M)        (1028 bytes)
//   enc    = AES-256-CTR(E, padded), counter block be64(packet#) || be64(i)
//   packet = enc || HMAC-SHA256(H, enc || be64(packet#))   (1060 bytes)
//
// Guarantees: deterministic in its arguments; `open` stops at the first bad
// packet (bad MAC before bad length), as the design says the receiver must.
import SpipedCrypto
import SpipedProtocol

public struct PacketModel {
    public static let packetByteCount = 1060
    public static let payloadCapacity = 1024
    static let encryptedByteCount = 1028

    /// What a correct receiver makes of a stream.
    public struct Outcome {
        /// Plaintext of the good packets up to the first bad one.
        public var plaintext: [UInt8] = []
        /// How many packets were good.
        public var packets: UInt64 = 0
        /// Why it stopped (nil: no bad whole packet).
        public var error: PacketError? = nil
        public init(plaintext: [UInt8] = [], packets: UInt64 = 0, error: PacketError? = nil) {
            self.plaintext = plaintext
            self.packets = packets
            self.error = error
        }
    }

    public let encryptionKey: [UInt8]
    public let macKey: [UInt8]

    public init(encryptionKey: some Collection<UInt8>, macKey: some Collection<UInt8>) {
        self.encryptionKey = Array(encryptionKey)
        self.macKey = Array(macKey)
    }

    /// AES-CTR keystream applied to `bytes` for packet `number`.
    public func ctr(_ bytes: inout [UInt8], packet number: UInt64) {
        var stream = AES256CTR(cipher: AES256(key: encryptionKey), nonce: number)
        bytes.withUnsafeMutableBytes { stream.apply($0) }
    }

    /// HMAC(H, enc || be64(number)).
    public func tag(_ encrypted: ArraySlice<UInt8>, packet number: UInt64) -> [UInt8] {
        var mac = HMACSHA256(key: macKey)
        mac.update(encrypted)
        mac.update(withUnsafeBytes(of: number.bigEndian) { Array($0) })
        return mac.finalize()
    }

    /// Packet `number` carrying the 1028-byte `padded` block as it is (any
    /// length field, so bad lengths can be forged with a good MAC).
    public func packet(padded: [UInt8], number: UInt64) -> [UInt8] {
        var block = Array(padded.prefix(PacketModel.encryptedByteCount))
        if block.count < PacketModel.encryptedByteCount {
            block += [UInt8](repeating: 0, count: PacketModel.encryptedByteCount - block.count)
        }
        ctr(&block, packet: number)
        return block + tag(block[...], packet: number)
    }

    /// Packets `first`, `first + 1`, ... for `plaintext`, 1024 bytes each
    /// (the last one shorter); none for empty plaintext.
    public func seal(_ plaintext: [UInt8], first: UInt64) -> [UInt8] {
        var out: [UInt8] = []
        var number = first
        var offset = 0
        while offset < plaintext.count {
            let piece = plaintext[offset..<min(offset + PacketModel.payloadCapacity, plaintext.count)]
            var padded = Array(piece) + [UInt8](repeating: 0, count: PacketModel.payloadCapacity - piece.count)
            let n = UInt32(piece.count)
            padded += [UInt8(n >> 24), UInt8(n >> 16 & 0xff), UInt8(n >> 8 & 0xff), UInt8(n & 0xff)]
            out += packet(padded: padded, number: number)
            number += 1
            offset += piece.count
        }
        return out
    }

    /// What a correct receiver yields for `stream` (packets numbered from `first`).
    public func open(_ stream: [UInt8], first: UInt64 = 0) -> Outcome {
        var plaintext: [UInt8] = []
        var number = first
        var offset = 0
        while stream.count - offset >= PacketModel.packetByteCount {
            let packet = stream[offset..<offset + PacketModel.packetByteCount]
            let body = packet.prefix(PacketModel.encryptedByteCount)
            guard tag(body, packet: number) == Array(packet.suffix(32)) else { return Outcome(plaintext: plaintext, packets: number - first, error: .badMAC) }
            var padded = Array(body)
            ctr(&padded, packet: number)
            let length = Int(padded[1024]) << 24 | Int(padded[1025]) << 16 | Int(padded[1026]) << 8 | Int(padded[1027])
            guard length >= 1 && length <= PacketModel.payloadCapacity else { return Outcome(plaintext: plaintext, packets: number - first, error: .badLength) }
            plaintext += padded[0..<length]
            number += 1
            offset += PacketModel.packetByteCount
        }
        return Outcome(plaintext: plaintext, packets: number - first, error: nil)
    }
}
