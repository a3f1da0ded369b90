// PLACEHOLDER (owned by the hardware-backend work): SHA-256 compression with SHA-NI.
// Until it lands, isSupported is false and SHA256 never calls compress here.

/// The SHA-256 compression function using the CPU's SHA extensions.
enum SHA256Hardware {
    /// Whether this CPU and build can run this variant.
    static var isSupported: Bool { false }
    /// Compresses `blockCount` 64-byte blocks at `blocks` into `state` (H0...H7).
    static func compress(state: UnsafeMutablePointer<UInt32>, blocks: UnsafeRawPointer, blockCount: Int) {
        preconditionFailure("SHA-NI backend not available")
    }
}
