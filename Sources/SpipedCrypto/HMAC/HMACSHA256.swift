// HMAC-SHA256 (RFC 2104, FIPS 198-1) with the keyed state precomputed.
//
// Guarantees: the key blocks K0^ipad and K0^opad are compressed once at
// init and only their two 8-word chaining states are kept, so a keyed
// `HMACSHA256` is a small inline value: copying it is the cheap per-packet
// clone, with no heap allocation. The padded key block is wiped as soon as
// those states exist. A key longer than 64 bytes is hashed first (RFC 2104
// section 2). After `finalize` the value is back at the keyed, empty-message
// state, so it can be reused. Timing depends only on key and message
// lengths (constant-time in their contents).

/// HMAC-SHA256 message authentication.
///
/// ```swift
/// let keyed = HMACSHA256(key: key)      // once per key
/// var mac = keyed                       // per message: copy the keyed state
/// mac.update(message)
/// let tag = mac.finalize()              // 32 bytes
/// ```
public struct HMACSHA256: Sendable {
    /// Size of the authentication code in bytes.
    public static let byteCount = 32

    /// The running inner hash: SHA-256 over (K0 ^ ipad) || message so far.
    private var inner: SHA256
    /// Chaining state after compressing K0 ^ ipad.
    private(set) var innerKeyed: SHA256.ChainingState
    /// Chaining state after compressing K0 ^ opad.
    private(set) var outerKeyed: SHA256.ChainingState

    /// Keys an HMAC with ``SHA256/preferredImplementation``. Any key length.
    public init(key: some Collection<UInt8>) {
        self.init(key: key, implementation: SHA256.preferredImplementation)
    }

    /// Keys an HMAC using the given SHA-256 block function (an unavailable
    /// one is replaced by ``SHA256/Implementation/portable``). Any key length.
    public init(key: some Collection<UInt8>, implementation: SHA256.Implementation) {
        let implementation = SHA256.isAvailable(implementation) ? implementation : .portable
        // K0: the key, or its digest if longer than a block, zero-padded to 64 bytes.
        var block: SHA256.BlockStorage = (0, 0, 0, 0, 0, 0, 0, 0)
        if key.count > SHA256.blockByteCount {
            var hasher = SHA256(implementation: implementation)
            hasher.update(key)
            hasher.finishPadding()
            withUnsafeMutableBytes(of: &block) { hasher.writeDigest(to: $0.baseAddress.unsafelyUnwrapped) }
            hasher.wipe()
        } else {
            withUnsafeMutableBytes(of: &block) { buffer in
                var i = 0
                for byte in key { buffer[i] = byte; i += 1 }
            }
        }
        HMACSHA256.xorEveryByte(&block, with: 0x36)            // K0 ^ ipad
        var innerState = SHA256.initialState
        SHA256.compress(&innerState, pendingBlock: &block, implementation)
        HMACSHA256.xorEveryByte(&block, with: 0x36 ^ 0x5c)     // K0 ^ opad
        var outerState = SHA256.initialState
        SHA256.compress(&outerState, pendingBlock: &block, implementation)
        secureZeroValue(&block)
        innerKeyed = innerState
        outerKeyed = outerState
        inner = SHA256(chainingState: innerState, byteCount: UInt64(SHA256.blockByteCount),
                       implementation: implementation)
    }

    /// The SHA-256 block function this value uses.
    public var implementation: SHA256.Implementation { inner.implementation }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        inner.update(bytes)
    }

    /// Adds `bytes` to the message.
    public mutating func update(_ bytes: some Collection<UInt8>) {
        inner.update(bytes)
    }

    /// Writes the 32-byte code to the start of `out` (which must have room
    /// for it) and returns this value to the keyed, empty-message state.
    public mutating func finalize(into out: UnsafeMutableRawBufferPointer) {
        precondition(out.count >= HMACSHA256.byteCount, "HMACSHA256.finalize needs 32 bytes of output space")
        var innerDigest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
        inner.finishPadding()
        withUnsafeMutableBytes(of: &innerDigest) { inner.writeDigest(to: $0.baseAddress.unsafelyUnwrapped) }
        var outer = SHA256(chainingState: outerKeyed, byteCount: UInt64(SHA256.blockByteCount),
                           implementation: inner.implementation)
        withUnsafeBytes(of: &innerDigest) { outer.update($0) }
        outer.finishPadding()
        outer.writeDigest(to: out.baseAddress.unsafelyUnwrapped)
        outer.wipe()
        secureZeroValue(&innerDigest)
        inner.wipe()
        inner = SHA256(chainingState: innerKeyed, byteCount: UInt64(SHA256.blockByteCount),
                       implementation: inner.implementation)
    }

    /// Returns the 32-byte code and returns this value to the keyed state.
    public mutating func finalize() -> [UInt8] {
        var code = [UInt8](repeating: 0, count: HMACSHA256.byteCount)
        code.withUnsafeMutableBytes { finalize(into: $0) }
        return code
    }

    /// HMAC(key, body || suffix) into `code` (32 bytes) from the keyed state
    /// alone (any message added with `update` is ignored): the lone-message
    /// case of the batch APIs, with no copy of the value's state left behind.
    public func singleCode(body: UnsafeRawBufferPointer, suffix: UnsafeRawBufferPointer, into code: UnsafeMutableRawPointer) {
        var working = self
        working.inner = SHA256(chainingState: innerKeyed, byteCount: UInt64(SHA256.blockByteCount),
                               implementation: inner.implementation)
        working.update(body)
        working.update(suffix)
        working.finalize(into: UnsafeMutableRawBufferPointer(start: code, count: HMACSHA256.byteCount))
        working.wipe()
    }

    /// HMAC-SHA256 of `message` under `key`, in one call.
    public static func authenticationCode(for message: some Collection<UInt8>, key: some Collection<UInt8>) -> [UInt8] {
        var mac = HMACSHA256(key: key)
        mac.update(message)
        let code = mac.finalize()
        mac.wipe()
        return code
    }

    /// Overwrites the keyed states and any buffered message. The value must
    /// not be used afterwards (it would compute a MAC under no valid key).
    public mutating func wipe() {
        inner.wipe()
        secureZeroValue(&innerKeyed)
        secureZeroValue(&outerKeyed)
    }

    /// XORs every byte of the 64-byte block with `pad`.
    private static func xorEveryByte(_ block: inout SHA256.BlockStorage, with pad: UInt8) {
        let word = UInt64(pad) &* 0x0101_0101_0101_0101
        withUnsafeMutableBytes(of: &block) { buffer in
            for offset in stride(from: 0, to: SHA256.blockByteCount, by: 8) {
                let value = buffer.load(fromByteOffset: offset, as: UInt64.self)
                buffer.storeBytes(of: value ^ word, toByteOffset: offset, as: UInt64.self)
            }
        }
    }
}
