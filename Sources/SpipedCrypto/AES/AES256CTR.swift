// spiped's AES-256-CTR stream: counter block i is be64(nonce) || be64(i),
// so one key can encrypt many packets (nonce = packet number) each starting
// at block 0.
//
// Guarantees: `apply` works in place on any length and continues exactly
// where the previous call stopped, even in the middle of a block (unused
// keystream bytes of the last block are kept and used first next time);
// whole blocks go to the cipher's bulk `xorKeystream`. Encryption and
// decryption are the same operation. The block counter wraps modulo 2^64,
// far beyond any spiped packet. Timing depends only on lengths (and on the
// cipher variant: see AES256Table).

/// AES-256 in counter mode with spiped's counter layout:
/// the counter block for block index `i` is `be64(nonce) || be64(i)`.
public struct AES256CTR<Cipher: AES256BlockCipher> {
    private var cipher: Cipher
    private let nonce: UInt64
    /// Index of the next keystream block not yet generated.
    private var nextBlock: UInt64
    /// Keystream of the block before `nextBlock`, of which the first
    /// `leftoverUsed` bytes are used; 16 means nothing is left.
    private var leftover: (UInt64, UInt64) = (0, 0)
    private var leftoverUsed = 16

    /// Starts a stream at block `startingBlock` (byte offset 16 x startingBlock)
    /// of the keystream for `nonce`.
    public init(cipher: Cipher, nonce: UInt64, startingBlock: UInt64 = 0) {
        self.cipher = cipher
        self.nonce = nonce
        self.nextBlock = startingBlock
    }

    /// XORs the next `buffer.count` keystream bytes into `buffer`, in place.
    public mutating func apply(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return }
        let count = buffer.count
        var offset = 0

        // 1. Finish the keystream block a previous call started.
        if leftoverUsed < 16 {
            let n = min(16 - leftoverUsed, count)
            let start = leftoverUsed
            withUnsafeBytes(of: &leftover) { k in
                for i in 0..<n {
                    base.storeBytes(of: base.load(fromByteOffset: i, as: UInt8.self) ^ k[start + i], toByteOffset: i, as: UInt8.self)
                }
            }
            leftoverUsed += n
            offset = n
            if leftoverUsed == 16 { secureZeroValue(&leftover) }
        }

        // 2. Whole blocks in one bulk call.
        let wholeBytes = (count - offset) & ~15
        if wholeBytes > 0 {
            cipher.xorKeystream(nonce: nonce, firstBlock: nextBlock,
                                UnsafeMutableRawBufferPointer(start: base + offset, count: wholeBytes))
            nextBlock &+= UInt64(wholeBytes / 16)
            offset += wholeBytes
        }

        // 3. A partial block: generate it whole and keep the rest for later.
        if offset < count {
            var keystream: (UInt64, UInt64) = (0, 0)
            let (c, n0, b) = (cipher, nonce, nextBlock)
            withUnsafeMutableBytes(of: &keystream) { k in
                c.xorKeystream(nonce: n0, firstBlock: b, k)
            }
            leftover = keystream
            secureZeroValue(&keystream)
            nextBlock &+= 1
            let n = count - offset
            withUnsafeBytes(of: &leftover) { k in
                let p = base + offset
                for i in 0..<n {
                    p.storeBytes(of: p.load(fromByteOffset: i, as: UInt8.self) ^ k[i], toByteOffset: i, as: UInt8.self)
                }
            }
            leftoverUsed = n
        }
    }

    /// Applies the keystream to a byte array in place (convenience for
    /// callers outside hot paths).
    public mutating func apply(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { apply($0) }
    }

    /// Zeroes the buffered keystream and wipes the cipher's expanded key
    /// (which copies of the cipher may share).
    public mutating func wipe() {
        secureZeroValue(&leftover)
        leftoverUsed = 16
        cipher.wipe()
    }
}
