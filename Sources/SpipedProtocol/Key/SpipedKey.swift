// The shared secret K every spiped connection starts from:
// K = SHA-256(entire key file).
//
// Guarantees: K lives in one heap buffer shared by all copies of a
// SpipedKey (copies are cheap and may cross threads: the buffer is written
// once at init and only read afterwards); the last copy's release wipes it.
// The key file's bytes are never kept, only hashed; reading the file is
// the I/O layer's job (SpipedNet's KeyFileReader), this module does no I/O.
import SpipedCrypto

/// The long-term spiped key: the SHA-256 digest of a key file.
///
/// ```swift
/// let key = try SpipedKey(contentsOfFile: "/etc/spiped/secret.key")
/// if key.isShort { print("warning: key file is shorter than 32 bytes") }
/// ```
public struct SpipedKey: Sendable {
    /// K (32 bytes); wiped when the last copy of this key goes away.
    let storage: SecretBuffer

    /// Whether the key file held fewer than 32 bytes (256 bits): such a key
    /// works but is unlikely to carry the entropy spiped needs, so callers
    /// warn the user.
    public let isShort: Bool

    /// The size of K in bytes.
    public static let byteCount = 32

    /// Hashes key-file contents already in memory (tests, embedding). Empty
    /// contents are accepted here: the caller chose them.
    public init(keyFileBytes: some Collection<UInt8>) {
        var hasher = SHA256()
        hasher.update(keyFileBytes)
        let key = SecretBuffer(byteCount: SHA256.digestByteCount)
        hasher.finalize(into: key.buffer)
        hasher.wipe()
        storage = key
        isShort = keyFileBytes.count < 32
    }

    /// K from a key file read in pieces by the I/O layer (which owns file
    /// access): `read` calls `update` with each piece, in order, and returns
    /// the total byte count. The hasher's state is wiped either way.
    package init<E: Error>(streaming read: (_ update: (UnsafeRawBufferPointer) -> Void) throws(E) -> UInt64) throws(E) {
        var hasher = SHA256()
        defer { hasher.wipe() }
        let total = try read { hasher.update($0) }
        let key = SecretBuffer(byteCount: SHA256.digestByteCount)
        hasher.finalize(into: key.buffer)
        storage = key
        isShort = total < 32
    }

    /// Gives `body` read access to K (32 bytes). The bytes are secret: do not
    /// copy them out of the closure unless you wipe the copy.
    public func withUnsafeKeyBytes<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try storage.withBytes(body)
    }
}
