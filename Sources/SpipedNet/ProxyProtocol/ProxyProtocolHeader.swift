// The PROXY protocol header (`-P`, `--proxy-protocol v1|v2`), encoded exactly
// as HAProxy's proxy-protocol.txt specifies it. A pure encoder: two socket
// addresses in, the header's bytes out.
// - "source" is the connecting client, "destination" the address it
//   connected to. -d describes the encrypted peer's connection to us and
//   writes the header to the target before any plaintext; -e describes the
//   original client's connection and sends the header as the first plaintext
//   through the pipe (so it reaches the target behind any -d).
// - Version 1 (text, section 2.1): `PROXY TCP4|TCP6 <src> <dst> <sport>
//   <dport>\r\n`, addresses in their usual text form (inet_ntop), ports in
//   decimal; anything that is not TCP over IP, or addresses we could not
//   read, is `PROXY UNKNOWN\r\n`. Never more than 107 bytes.
// - Version 2 (binary, section 2.2): the 12-byte signature, 0x21 (version 2,
//   command PROXY), the family/transport byte (0x11 TCP over IPv4, 0x21 TCP
//   over IPv6, 0x31 UNIX stream), the big-endian length of the addresses
//   (12, 36 or 216), then source address, destination address and, for IP,
//   source port and destination port in network byte order; AF_UNIX carries
//   both paths as 108-byte zero-padded fields. Addresses we could not read
//   are family 0x00 UNSPEC with length 0 (the receiver then keeps the real
//   connection's addresses). No TLVs are sent.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The PROXY protocol version `-P` / `--proxy-protocol` writes.
public enum ProxyProtocolVersion: String, Sendable, Equatable, CaseIterable {
    /// Version 1, the text line (`-P`, `--proxy-protocol v1`).
    case v1
    /// Version 2, the binary header (`--proxy-protocol v2`).
    case v2
}

/// Encoding PROXY protocol headers.
package enum ProxyProtocolHeader {
    /// The version 2 signature (section 2.2).
    package static let v2Signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]
    /// The longest version 1 line the specification allows, CRLF included.
    package static let v1MaximumLength = 107
    /// The size of each address field of an AF_UNIX version 2 block.
    package static let v2UnixPathLength = 108

    /// The header for a connection from `source` to `destination`; nil (an
    /// address that could not be read) gives the "unknown" form.
    package static func encode(_ version: ProxyProtocolVersion, source: SocketAddress?, destination: SocketAddress?) -> [UInt8] {
        let endpoints = Endpoints(source: source, destination: destination)
        switch version {
        case .v1: return encodeV1(endpoints)
        case .v2: return encodeV2(endpoints)
        }
    }

    /// The header describing an accepted socket: its peer (getpeername) to
    /// its local address (getsockname).
    static func forAcceptedSocket(_ fd: Int32, version: ProxyProtocolVersion) -> [UInt8] {
        encode(version, source: socketName(fd, peer: true), destination: socketName(fd, peer: false))
    }

    // MARK: Address forms

    /// What the two addresses amount to for the header.
    enum Endpoints: Equatable {
        case inet(source: (UInt32, UInt16), destination: (UInt32, UInt16))
        case inet6(source: ([UInt8], UInt16), destination: ([UInt8], UInt16))
        case unix(source: [UInt8], destination: [UInt8])
        case unknown

        init(source: SocketAddress?, destination: SocketAddress?) {
            guard let source, let destination, source.family == destination.family else {
                self = .unknown
                return
            }
            switch source.family {
            case AF_INET:
                self = .inet(source: Self.inet(source), destination: Self.inet(destination))
            case AF_INET6:
                self = .inet6(source: Self.inet6(source), destination: Self.inet6(destination))
            case AF_UNIX:
                self = .unix(source: Self.unixPath(source), destination: Self.unixPath(destination))
            default:
                self = .unknown
            }
        }

        static func == (a: Endpoints, b: Endpoints) -> Bool {
            switch (a, b) {
            case let (.inet(s1, d1), .inet(s2, d2)): return s1 == s2 && d1 == d2
            case let (.inet6(s1, d1), .inet6(s2, d2)): return s1 == s2 && d1 == d2
            case let (.unix(s1, d1), .unix(s2, d2)): return s1 == s2 && d1 == d2
            case (.unknown, .unknown): return true
            default: return false
            }
        }

        /// The address (host order) and port of an AF_INET address.
        private static func inet(_ address: SocketAddress) -> (UInt32, UInt16) {
            withUnsafeBytes(of: address.storage) { raw in
                let sin = raw.loadUnaligned(as: sockaddr_in.self)
                return (UInt32(bigEndian: sin.sin_addr.s_addr), UInt16(bigEndian: sin.sin_port))
            }
        }

        /// The 16 address bytes and the port of an AF_INET6 address.
        private static func inet6(_ address: SocketAddress) -> ([UInt8], UInt16) {
            withUnsafeBytes(of: address.storage) { raw in
                let sin6 = raw.loadUnaligned(as: sockaddr_in6.self)
                let bytes = withUnsafeBytes(of: sin6.sin6_addr) { Array($0) }
                return (bytes, UInt16(bigEndian: sin6.sin6_port))
            }
        }

        /// The path bytes of an AF_UNIX address (empty when unnamed), without the terminator.
        private static func unixPath(_ address: SocketAddress) -> [UInt8] {
            let offset = MemoryLayout<sa_family_t>.size
            let length = Int(address.length)
            guard length > offset else { return [] }
            return withUnsafeBytes(of: address.storage) { raw in
                var path = Array(raw[offset..<min(length, offset + ProxyProtocolHeader.v2UnixPathLength)])
                // A pathname socket's length may include the terminator; an abstract one starts with 0.
                if path.first != 0, let end = path.firstIndex(of: 0) { path = Array(path[..<end]) }
                return path
            }
        }
    }

    // MARK: Version 1

    static func encodeV1(_ endpoints: Endpoints) -> [UInt8] {
        let line: String
        switch endpoints {
        case let .inet(source, destination):
            line = "PROXY TCP4 \(text(ipv4: source.0)) \(text(ipv4: destination.0)) \(source.1) \(destination.1)\r\n"
        case let .inet6(source, destination):
            line = "PROXY TCP6 \(text(ipv6: source.0)) \(text(ipv6: destination.0)) \(source.1) \(destination.1)\r\n"
        case .unix, .unknown:
            line = "PROXY UNKNOWN\r\n"
        }
        return Array(line.utf8)
    }

    /// Dotted-quad text of an IPv4 address given in host order.
    static func text(ipv4 address: UInt32) -> String {
        "\(address >> 24).\((address >> 16) & 0xff).\((address >> 8) & 0xff).\(address & 0xff)"
    }

    /// inet_ntop's text of a 16-byte IPv6 address (RFC 5952 compressed form).
    static func text(ipv6 bytes: [UInt8]) -> String {
        var address = in6_addr()
        withUnsafeMutableBytes(of: &address) { raw in
            for (index, byte) in bytes.prefix(16).enumerated() { raw[index] = byte }
        }
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(AF_INET6, &address, &buffer, socklen_t(buffer.count)) != nil else { return "::" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    // MARK: Version 2

    static func encodeV2(_ endpoints: Endpoints) -> [UInt8] {
        var header = v2Signature
        header.append(0x21)   // version 2 (high nibble), command PROXY (low nibble)
        var block: [UInt8] = []
        let family: UInt8
        switch endpoints {
        case let .inet(source, destination):
            family = 0x11   // AF_INET, STREAM
            append(source.0, to: &block)
            append(destination.0, to: &block)
            append(source.1, to: &block)
            append(destination.1, to: &block)
        case let .inet6(source, destination):
            family = 0x21   // AF_INET6, STREAM
            block += source.0.prefix(16)
            block += destination.0.prefix(16)
            append(source.1, to: &block)
            append(destination.1, to: &block)
        case let .unix(source, destination):
            family = 0x31   // AF_UNIX, STREAM
            for path in [source, destination] {
                let field = Array(path.prefix(v2UnixPathLength))
                block += field + [UInt8](repeating: 0, count: v2UnixPathLength - field.count)
            }
        case .unknown:
            family = 0x00   // AF_UNSPEC: no addresses
        }
        header.append(family)
        append(UInt16(block.count), to: &header)
        return header + block
    }

    private static func append(_ value: UInt32, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 24), UInt8((value >> 16) & 0xff), UInt8((value >> 8) & 0xff), UInt8(value & 0xff)]
    }

    private static func append(_ value: UInt16, to bytes: inout [UInt8]) {
        bytes += [UInt8(value >> 8), UInt8(value & 0xff)]
    }

    // MARK: Reading a socket's addresses

    /// getpeername (`peer`) or getsockname of `fd`; nil on failure.
    static func socketName(_ fd: Int32, peer: Bool) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let rc = withUnsafeMutablePointer(to: &storage) { p in
            p.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                peer ? getpeername(fd, $0, &length) : getsockname(fd, $0, &length)
            }
        }
        guard rc == 0 else { return nil }
        return SocketAddress(storage: storage, length: length)
    }
}
