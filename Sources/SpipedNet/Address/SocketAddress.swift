// A resolved socket address (Unix path, IPv4 or IPv6) that can be handed to
// connect(2) / bind(2) as is.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A resolved socket address, ready for `bind(2)` or `connect(2)`.
public struct SocketAddress: Sendable, CustomStringConvertible {
    /// The raw `sockaddr_storage` bytes.
    public var storage: sockaddr_storage
    /// The meaningful length of `storage`.
    public var length: socklen_t

    /// The address family (`AF_UNIX`, `AF_INET` or `AF_INET6`).
    public var family: Int32 { Int32(storage.ss_family) }

    /// Creates an address from raw storage.
    public init(storage: sockaddr_storage, length: socklen_t) {
        self.storage = storage
        self.length = length
    }

    /// Calls `body` with a `sockaddr` pointer and length for system calls.
    public func withSockAddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) throws -> R) rethrows -> R {
        try withUnsafePointer(to: storage) { p in
            try p.withMemoryRebound(to: sockaddr.self, capacity: 1) { try body($0, length) }
        }
    }

    /// A readable form: `/path`, `[1.2.3.4]:80`, `[::1]:80`.
    public var description: String {
        var copy = storage
        switch family {
        case AF_UNIX:
            return withUnsafePointer(to: &copy) { p in
                p.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { un in
                    withUnsafePointer(to: un.pointee.sun_path) { path in
                        path.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: un.pointee.sun_path)) {
                            String(cString: $0)
                        }
                    }
                }
            }
        case AF_INET, AF_INET6:
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            var serv = [CChar](repeating: 0, count: Int(NI_MAXSERV))
            let rc = withUnsafePointer(to: &copy) { p in
                p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    getnameinfo($0, length, &host, socklen_t(host.count), &serv, socklen_t(serv.count),
                                NI_NUMERICHOST | NI_NUMERICSERV)
                }
            }
            if rc != 0 { return "<unprintable address>" }
            return "[\(String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))]:\(String(decoding: serv.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))"
        default:
            return "<unknown address family \(family)>"
        }
    }
}
