// Streaming SHA-256 (FIPS 180-4) as a small value type.
//
// Guarantees: no heap allocation, ever: the chaining state is eight UInt32s
// and the partial block a 64-byte inline tuple, so copying a `SHA256`
// clones the hash state (the cheap "fork" HMAC relies on). `update` accepts
// the message in any split and hands the block function as many whole
// blocks as are available in one call. Padding and length encoding follow
// FIPS 180-4 section 5.1.1; timing depends only on message lengths.
// `finalize` wipes the buffered data and resets the value to the empty
// message, keeping the chosen implementation.

/// A SHA-256 hash computation (FIPS 180-4).
///
/// ```swift
/// var hasher = SHA256()
/// hasher.update(part1); hasher.update(part2)
/// let digest = hasher.finalize()        // 32 bytes
/// ```
/// Copying the value clones the state, so a common prefix can be hashed once.
public struct SHA256: Sendable {
    /// Size of a digest in bytes.
    public static let digestByteCount = 32
    /// Size of the block the compression function consumes, in bytes.
    public static let blockByteCount = 64

    /// H0...H7, laid out contiguously (a homogeneous tuple).
    typealias ChainingState = (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32)
    /// 64 bytes of inline storage for a partial block.
    typealias BlockStorage = (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)

    /// FIPS 180-4 section 5.3.3: the initial hash value.
    static let initialState: ChainingState = (
        0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)

    var state: ChainingState
    var pending: BlockStorage = (0, 0, 0, 0, 0, 0, 0, 0)
    /// Bytes held in `pending` (0...63).
    var pendingCount: Int = 0
    /// Total message bytes so far (the bit length is this times 8, mod 2^64).
    var byteCount: UInt64

    /// The block function this value uses.
    public let implementation: Implementation

    /// Starts a hash with ``preferredImplementation``.
    public init() {
        self.init(implementation: SHA256.preferredImplementation)
    }

    /// Starts a hash with the given block function; one that is not
    /// available on this machine is replaced by ``Implementation/portable``.
    public init(implementation: Implementation) {
        self.implementation = SHA256.isAvailable(implementation) ? implementation : .portable
        self.state = SHA256.initialState
        self.byteCount = 0
    }

    /// Resumes from a chaining state reached after `byteCount` bytes, a
    /// multiple of 64 (used by HMAC's precomputed key blocks).
    init(chainingState: ChainingState, byteCount: UInt64, implementation: Implementation) {
        self.implementation = implementation
        self.state = chainingState
        self.byteCount = byteCount
    }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard var source = bytes.baseAddress, bytes.count > 0 else { return }
        var remaining = bytes.count
        byteCount &+= UInt64(truncatingIfNeeded: remaining)
        let implementation = self.implementation
        if pendingCount > 0 {
            let take = min(SHA256.blockByteCount - pendingCount, remaining)
            let offset = pendingCount
            withUnsafeMutableBytes(of: &pending) { buffer in
                (buffer.baseAddress.unsafelyUnwrapped + offset).copyMemory(from: source, byteCount: take)
            }
            pendingCount += take
            source += take
            remaining -= take
            if pendingCount < SHA256.blockByteCount { return }
            SHA256.compress(&state, pendingBlock: &pending, implementation)
            pendingCount = 0
        }
        let wholeBlocks = remaining / SHA256.blockByteCount
        if wholeBlocks > 0 {
            SHA256.compress(&state, blocks: source, blockCount: wholeBlocks, implementation)
            source += wholeBlocks * SHA256.blockByteCount
            remaining -= wholeBlocks * SHA256.blockByteCount
        }
        if remaining > 0 {
            withUnsafeMutableBytes(of: &pending) { buffer in
                buffer.baseAddress.unsafelyUnwrapped.copyMemory(from: source, byteCount: remaining)
            }
            pendingCount = remaining
        }
    }

    /// Adds `bytes` to the message (contiguous collections are hashed in
    /// place; others pass through a 64-byte inline buffer that is wiped).
    public mutating func update(_ bytes: some Collection<UInt8>) {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done != nil { return }
        var chunk: BlockStorage = (0, 0, 0, 0, 0, 0, 0, 0)
        var filled = 0
        for byte in bytes {
            withUnsafeMutableBytes(of: &chunk) { $0[filled] = byte }
            filled += 1
            if filled == SHA256.blockByteCount {
                withUnsafeBytes(of: &chunk) { update($0) }
                filled = 0
            }
        }
        if filled > 0 {
            withUnsafeBytes(of: &chunk) { update(UnsafeRawBufferPointer(rebasing: $0[..<filled])) }
        }
        secureZeroValue(&chunk)
    }

    /// Pads the message, writes the 32-byte digest to the start of `out`
    /// (which must have room for it), wipes the buffered data and resets
    /// this value to the empty message.
    public mutating func finalize(into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= SHA256.digestByteCount, "SHA256.finalize needs 32 bytes of output space")
        finishPadding()
        writeDigest(to: out.baseAddress.unsafelyUnwrapped)
        reset()
    }

    /// Pads the message and returns the 32-byte digest; resets this value.
    public mutating func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: SHA256.digestByteCount)
        digest.withUnsafeMutableBytes { finalize(into: $0) }
        return digest
    }

    /// The SHA-256 digest of `bytes` with ``preferredImplementation``.
    public static func hash(_ bytes: some Collection<UInt8>) -> [UInt8] {
        var hasher = SHA256()
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// The SHA-256 digest of `bytes` with the given implementation.
    public static func hash(_ bytes: some Collection<UInt8>, implementation: Implementation) -> [UInt8] {
        var hasher = SHA256(implementation: implementation)
        hasher.update(bytes)
        return hasher.finalize()
    }

    /// Overwrites the state and buffered data, then restarts at the empty
    /// message. Use it to drop a hash of secret data without finalizing.
    public mutating func wipe() { reset() }

    // MARK: - Internals

    /// FIPS 180-4 5.1.1: append 0x80, zeros up to 56 mod 64, then the
    /// 64-bit big-endian bit length; compress the last one or two blocks.
    /// Which branch runs depends only on the message length.
    mutating func finishPadding() {
        let bitLength = byteCount &* 8
        let implementation = self.implementation
        var fill = pendingCount
        withUnsafeMutableBytes(of: &pending) { $0[fill] = 0x80 }
        fill += 1
        if fill > 56 {
            withUnsafeMutableBytes(of: &pending) { buffer in
                for i in fill..<SHA256.blockByteCount { buffer[i] = 0 }
            }
            SHA256.compress(&state, pendingBlock: &pending, implementation)
            fill = 0
        }
        withUnsafeMutableBytes(of: &pending) { buffer in
            for i in fill..<56 { buffer[i] = 0 }
            buffer.storeBytes(of: bitLength.bigEndian, toByteOffset: 56, as: UInt64.self)
        }
        SHA256.compress(&state, pendingBlock: &pending, implementation)
        pendingCount = 0
    }

    /// Writes H0...H7 big-endian (32 bytes) to `out`.
    func writeDigest(to out: UnsafeMutableRawPointer) {
        SHA256.writeDigest(of: state, to: out)
    }

    /// Writes the chaining words of `state` big-endian (32 bytes) to `out`.
    static func writeDigest(of state: ChainingState, to out: UnsafeMutableRawPointer) {
        withUnsafeBytes(of: state) { words in
            for i in 0..<8 {
                let word = words.load(fromByteOffset: i * 4, as: UInt32.self)
                out.storeBytes(of: word.bigEndian, toByteOffset: i * 4, as: UInt32.self)
            }
        }
    }

    /// Wipes state and partial block and restarts at the empty message.
    mutating func reset() {
        secureZeroValue(&pending)
        secureZeroValue(&state)
        state = SHA256.initialState
        pendingCount = 0
        byteCount = 0
    }
}
