// Two HMAC-SHA256 codes at once, for two messages of the same length, with
// their compressions interleaved (SHA256.compress2). Why: the SHA-NI round
// instruction's latency is about twice its issue interval, so one message
// keeps the unit half busy; spiped's packet MACs are independent of each
// other, so a connection's packets can be authenticated in pairs at close
// to twice the rate. The result is exactly RFC 2104's HMAC of each message.
//
// Guarantees: no allocation; the two messages are each given as a body and
// a short suffix (a packet's ciphertext and its be64 packet number) and are
// never copied except for their last partial block; timing depends only on
// the two (equal) lengths; the inner digests and the padded final blocks
// are wiped before return.

extension HMACSHA256 {
    /// Largest suffix ``authenticationCodes(body:suffix:body:suffix:into:_:)`` takes.
    package static let maxPairSuffixByteCount = 64

    /// Computes HMAC(key, `firstBody` || `firstSuffix`) into `firstCode` and
    /// HMAC(key, `secondBody` || `secondSuffix`) into `secondCode` (32 bytes
    /// each) under this value's key, interleaving the two computations.
    ///
    /// Uses only the key: any message already added with ``update(_:)-(UnsafeRawBufferPointer)``
    /// is ignored and left as it is.
    ///
    /// - Precondition: the bodies have equal length, the suffixes have equal
    ///   length of at most ``maxPairSuffixByteCount`` bytes, and each output
    ///   has room for 32 bytes (the caller's fixed layout, never peer input).
    package func authenticationCodes(body firstBody: UnsafeRawBufferPointer, suffix firstSuffix: UnsafeRawBufferPointer,
                                    body secondBody: UnsafeRawBufferPointer, suffix secondSuffix: UnsafeRawBufferPointer,
                                    into firstCode: UnsafeMutableRawPointer, _ secondCode: UnsafeMutableRawPointer) {
        precondition(firstBody.count == secondBody.count && firstSuffix.count == secondSuffix.count
                     && firstSuffix.count <= HMACSHA256.maxPairSuffixByteCount,
                     "HMACSHA256.authenticationCodes: the two messages must have the same shape")
        let implementation = self.implementation
        let fullBlocks = firstBody.count / SHA256.blockByteCount
        let bodyTail = firstBody.count - fullBlocks * SHA256.blockByteCount

        // Inner hashes: the keyed state, then the body's whole blocks in place.
        var innerA = innerKeyed, innerB = innerKeyed
        if fullBlocks > 0, let a = firstBody.baseAddress, let b = secondBody.baseAddress {
            SHA256.compress2(&innerA, blocks: a, &innerB, blocks: b, blockCount: fullBlocks, implementation)
        }
        // The rest (body tail, suffix, padding, bit length) in at most three blocks.
        let messageBytes = UInt64(SHA256.blockByteCount + firstBody.count + firstSuffix.count)
        var lastA = HMACSHA256.emptyTail, lastB = HMACSHA256.emptyTail
        let tailStart = fullBlocks * SHA256.blockByteCount
        withUnsafeMutableBytes(of: &lastA) { a in
            withUnsafeMutableBytes(of: &lastB) { b in
                let tailBlocks = PaddedTail.write(into: a.baseAddress.unsafelyUnwrapped,
                                                  body: firstBody.baseAddress.map { $0 + tailStart },
                                                  count: bodyTail, suffix: firstSuffix, messageBytes: messageBytes)
                _ = PaddedTail.write(into: b.baseAddress.unsafelyUnwrapped,
                                     body: secondBody.baseAddress.map { $0 + tailStart },
                                     count: bodyTail, suffix: secondSuffix, messageBytes: messageBytes)
                SHA256.compress2(&innerA, blocks: UnsafeRawPointer(a.baseAddress.unsafelyUnwrapped),
                                 &innerB, blocks: UnsafeRawPointer(b.baseAddress.unsafelyUnwrapped),
                                 blockCount: tailBlocks, implementation)
            }
        }
        secureZeroValue(&lastA)
        secureZeroValue(&lastB)

        // Outer hashes: the keyed state, then one block holding the inner digest.
        var outerA = outerKeyed, outerB = outerKeyed
        var blockA = HMACSHA256.outerBlock(innerDigest: innerA)
        var blockB = HMACSHA256.outerBlock(innerDigest: innerB)
        withUnsafeBytes(of: &blockA) { a in
            withUnsafeBytes(of: &blockB) { b in
                SHA256.compress2(&outerA, blocks: a.baseAddress.unsafelyUnwrapped,
                                 &outerB, blocks: b.baseAddress.unsafelyUnwrapped, blockCount: 1, implementation)
            }
        }
        SHA256.writeDigest(of: outerA, to: firstCode)
        SHA256.writeDigest(of: outerB, to: secondCode)
        secureZeroValue(&innerA)
        secureZeroValue(&innerB)
        secureZeroValue(&blockA)
        secureZeroValue(&blockB)
        secureZeroValue(&outerA)
        secureZeroValue(&outerB)
    }

    /// Three zeroed blocks: room for one message's padded tail (``PaddedTail``).
    static let emptyTail: (SHA256.BlockStorage, SHA256.BlockStorage, SHA256.BlockStorage) =
        ((0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0))

    /// The outer hash's only message block: the 32-byte inner digest, 0x80,
    /// zeros, and the bit length of (64-byte key block + 32 bytes).
    private static func outerBlock(innerDigest: SHA256.ChainingState) -> SHA256.BlockStorage {
        var block: SHA256.BlockStorage = (0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &block) { bytes in
            let out = bytes.baseAddress.unsafelyUnwrapped
            SHA256.writeDigest(of: innerDigest, to: out)
            out.storeBytes(of: 0x80, toByteOffset: 32, as: UInt8.self)
            out.storeBytes(of: UInt64((SHA256.blockByteCount + 32) * 8).bigEndian, toByteOffset: 56, as: UInt64.self)
        }
        return block
    }
}
