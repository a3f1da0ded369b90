// Building and checking the 288-byte handshake message y || HMAC(dhmac, y).
//
// Guarantees: `verify` compares MACs with constantTimeEqual (time depends
// only on the fixed lengths); the expected MAC is computed into the caller's
// scratch buffer (no stack copy) and wiped there before returning; the keyed
// HMAC states are wiped after use.
import SpipedCrypto

package enum HandshakeMessage {
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
    /// `scratch` (at least 32 bytes, secret storage of the caller) receives
    /// the expected MAC during the compare and is zero afterwards.
    package static func verify(_ message: UnsafeRawBufferPointer, macKey: UnsafeRawBufferPointer,
                       scratch: UnsafeMutableRawBufferPointer) -> Bool {
        let yCount = DiffieHellmanGroup14.publicValueByteCount
        guard message.count == yCount + HMACSHA256.byteCount, scratch.count >= HMACSHA256.byteCount else { return false }
        let expected = UnsafeMutableRawBufferPointer(rebasing: scratch[0..<HMACSHA256.byteCount])
        var mac = HMACSHA256(key: macKey)
        mac.update(UnsafeRawBufferPointer(rebasing: message[0..<yCount]))
        mac.finalize(into: expected)
        let equal = constantTimeEqual(UnsafeRawBufferPointer(expected), UnsafeRawBufferPointer(rebasing: message[yCount...]))
        secureZero(expected)
        mac.wipe()
        return equal
    }
}
