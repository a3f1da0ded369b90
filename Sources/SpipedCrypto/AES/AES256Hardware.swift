// PLACEHOLDER (owned by the hardware-backend work): AES-256 with AES-NI.
// Until it lands, isSupported is false and the dispatcher never selects it.

/// AES-256 using the CPU's AES instructions (AES-NI).
public struct AES256Hardware: AES256BlockCipher {
    /// Whether this CPU and build can run this variant.
    public static var isSupported: Bool { false }
    /// Expands a 32-byte key.
    public init(key: some Collection<UInt8>) { precondition(key.count == 32, "AES-256 needs a 32-byte key") }
    /// Encrypts one block.
    public func encryptBlock(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer) { preconditionFailure("AES-NI backend not available") }
    /// Decrypts one block.
    public func decryptBlock(_ input: UnsafeRawPointer, _ output: UnsafeMutableRawPointer) { preconditionFailure("AES-NI backend not available") }
    /// Overwrites the expanded key.
    public mutating func wipe() {}
}
