// The interface every AES-256 variant implements (table, constant-time,
// hardware), so CTR mode and the tests are written once and run against each.

/// An AES-256 block cipher with an expanded key.
///
/// Conforming types: ``AES256Table`` (fast, not constant-time),
/// ``AES256ConstantTime`` (bitsliced, no secret-dependent branches or indices),
/// ``AES256Hardware`` (AES-NI), and the run-time dispatcher ``AES256``.
public protocol AES256BlockCipher {
    /// Expands a 32-byte key. A key of any other length is a programming error.
    init(key: some Collection<UInt8>)
    /// Encrypts one 16-byte block; `input` and `output` may be the same.
    func encryptBlock(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer)
    /// Decrypts one 16-byte block; `input` and `output` may be the same.
    func decryptBlock(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer)
    /// XORs the spiped CTR keystream into `buffer` in place: block `i` of the
    /// buffer uses the counter block `be64(nonce) || be64(firstBlock + i)`.
    /// A final partial block uses the leading bytes of its keystream block.
    func xorKeystream(nonce: UInt64, firstBlock: UInt64, _ buffer: UnsafeMutableRawBufferPointer)
    /// Overwrites the expanded key.
    mutating func wipe()
}

extension AES256BlockCipher {
    /// One block at a time through ``encryptBlock(_:_:)``; variants that can do
    /// several blocks at once override this.
    public func xorKeystream(nonce: UInt64, firstBlock: UInt64, _ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        var counter = (UInt64(0), UInt64(0))
        var keystream = (UInt64(0), UInt64(0))
        var offset = 0
        var block = firstBlock
        while offset < buffer.count {
            counter = (nonce.bigEndian, block.bigEndian)
            withUnsafeBytes(of: &counter) { c in
                withUnsafeMutableBytes(of: &keystream) { k in
                    encryptBlock(c.baseAddress!, k.baseAddress!)
                }
            }
            let n = min(16, buffer.count - offset)
            withUnsafeBytes(of: &keystream) { k in
                for i in 0..<n { base.storeBytes(of: base.load(fromByteOffset: offset + i, as: UInt8.self) ^ k[i], toByteOffset: offset + i, as: UInt8.self) }
            }
            offset += n
            block &+= 1
        }
        keystream = (0, 0)
    }
}
