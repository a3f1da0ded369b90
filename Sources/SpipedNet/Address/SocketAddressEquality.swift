// Equality and hashing for SocketAddress: two addresses are equal when their
// meaningful bytes (the first `length` bytes of the storage) are equal, so
// addresses built by hand and by getaddrinfo compare as expected.

extension SocketAddress: Equatable, Hashable {
    /// The meaningful bytes of the address.
    public var bytes: [UInt8] {
        withUnsafeBytes(of: storage) { Array($0.prefix(Int(length))) }
    }

    /// Equal when length and meaningful bytes agree.
    public static func == (lhs: SocketAddress, rhs: SocketAddress) -> Bool {
        lhs.length == rhs.length && lhs.bytes == rhs.bytes
    }

    /// Hashes the meaningful bytes.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(bytes)
    }
}
