// Ways to build a SocketAddress without DNS: from a Unix path, from a numeric
// IPv4/IPv6 text and a port (inet_pton, so no names and no %scope), and small
// accessors the daemon and tests use (family checks, port, Unix path).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension SocketAddress {
    /// A Unix-domain address; nil if the path (plus its NUL) does not fit `sun_path`.
    public init?(unixPath path: String) {
        let bytes = Array(path.utf8)
        guard !bytes.contains(0) else { return nil }
        self.init(unixSocketName: bytes + [0])
    }

    /// The one `sockaddr_un` builder: `name` goes into `sun_path` as given
    /// (a path with its NUL, or an abstract name starting with a 0 byte);
    /// nil if it does not fit.
    package init?(unixSocketName name: [UInt8]) {
        var storage = sockaddr_storage()
        let capacity = MemoryLayout.size(ofValue: sockaddr_un().sun_path)
        guard name.count <= capacity else { return nil }
        let length = withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { un -> Int in
                un.pointee.sun_family = sa_family_t(AF_UNIX)
                withUnsafeMutableBytes(of: &un.pointee.sun_path) { raw in
                    for (i, byte) in name.enumerated() { raw[i] = byte }
                }
                return MemoryLayout<sa_family_t>.size + name.count
            }
        }
        self.init(storage: storage, length: socklen_t(length))
    }

    /// A numeric IPv4 (`1.2.3.4`) or IPv6 (`::1`) address and port; nil if
    /// `host` is neither (names are refused: this never does DNS).
    public init?(numericHost host: String, port: UInt16) {
        var storage = sockaddr_storage()
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            withUnsafeMutablePointer(to: &storage) { p in
                p.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                    sin.pointee.sin_family = sa_family_t(AF_INET)
                    sin.pointee.sin_port = port.bigEndian
                    sin.pointee.sin_addr = v4
                }
            }
            self.init(storage: storage, length: socklen_t(MemoryLayout<sockaddr_in>.size))
        } else if inet_pton(AF_INET6, host, &v6) == 1 {
            withUnsafeMutablePointer(to: &storage) { p in
                p.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                    sin6.pointee.sin6_family = sa_family_t(AF_INET6)
                    sin6.pointee.sin6_port = port.bigEndian
                    sin6.pointee.sin6_addr = v6
                }
            }
            self.init(storage: storage, length: socklen_t(MemoryLayout<sockaddr_in6>.size))
        } else {
            return nil
        }
    }

    /// True for a Unix-domain address.
    public var isUnix: Bool { family == AF_UNIX }

    /// The Unix path, or nil for an IP address.
    public var unixPath: String? { isUnix ? description : nil }

    /// The port of an IP address (host byte order), or nil for a Unix address.
    public var port: UInt16? {
        var copy = storage
        switch family {
        case AF_INET:
            return withUnsafePointer(to: &copy) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin_port) } }
        case AF_INET6:
            return withUnsafePointer(to: &copy) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { UInt16(bigEndian: $0.pointee.sin6_port) } }
        default:
            return nil
        }
    }
}
