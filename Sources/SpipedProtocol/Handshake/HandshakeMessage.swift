// Building and checking the 288-byte handshake message y || HMAC(dhmac, y).
//
// Guarantees: `verify` compares MACs with constantTimeEqual (time depends
// only on the fixed lengths); the keyed HMAC states are wiped after use.
import SpipedCrypto

enum HandshakeMessage {
    /// y = 1 as 256 big-endian bytes: what a fast (-f) side sends.
    static let one: [UInt8] = [UInt8](repeating: 0, count: DiffieHellmanGroup14.publicValueByteCount - 1) + [1]

    /// y || HMAC-SHA256(macKey, y).
    static func make(y: [UInt8], macKey: UnsafeRawBufferPointer) -> [UInt8] {
        var mac = HMACSHA256(key: macKey)
        mac.update(y)
        let code = mac.finalize()
        mac.wipe()
        return y + code
    }

    /// Whether `message` (y || h, 288 bytes) carries a valid h for its y.
    static func verify(_ message: UnsafeRawBufferPointer, macKey: UnsafeRawBufferPointer) -> Bool {
        let yCount = DiffieHellmanGroup14.publicValueByteCount
        guard message.count == yCount + HMACSHA256.byteCount else { return false }
        var mac = HMACSHA256(key: macKey)
        mac.update(UnsafeRawBufferPointer(rebasing: message[0..<yCount]))
        var expected: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        let equal = withUnsafeMutableBytes(of: &expected) { code in
            mac.finalize(into: code)
            return constantTimeEqual(UnsafeRawBufferPointer(code), UnsafeRawBufferPointer(rebasing: message[yCount...]))
        }
        mac.wipe()
        return equal
    }
}
