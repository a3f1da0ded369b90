// The PROXY protocol encoder against the byte layouts of HAProxy's
// proxy-protocol.txt: version 1 lines (TCP4, TCP6, UNKNOWN; the worst-case
// lengths of section 2.1 fit the 107-byte limit) and version 2 blocks (the
// signature, 0x21, family bytes 0x11/0x21/0x31/0x00, big-endian lengths 12,
// 36, 216 and 0, addresses then ports in network order, zero-padded Unix paths).
import Testing
import SpipedDaemon
import SpipedNet

@Suite struct ProxyProtocolHeaderTests {
    static func address(_ host: String, _ port: UInt16) -> SocketAddress {
        SocketAddress(numericHost: host, port: port)!
    }

    @Test func version1IPv4() {
        let header = ProxyProtocolHeader.encode(.v1, source: Self.address("192.168.0.1", 56324),
                                                destination: Self.address("192.168.0.11", 443))
        #expect(String(decoding: header, as: UTF8.self) == "PROXY TCP4 192.168.0.1 192.168.0.11 56324 443\r\n")
    }

    @Test func version1IPv6UsesTheCompressedTextForm() {
        let header = ProxyProtocolHeader.encode(.v1, source: Self.address("2001:db8::1", 1),
                                                destination: Self.address("::1", 65535))
        #expect(String(decoding: header, as: UTF8.self) == "PROXY TCP6 2001:db8::1 ::1 1 65535\r\n")
    }

    @Test func version1WorstCasesFitTheLimit() {
        let v4 = ProxyProtocolHeader.encode(.v1, source: Self.address("255.255.255.255", 65535),
                                            destination: Self.address("255.255.255.255", 65535))
        #expect(v4.count == 56)   // the specification's worst case for TCP4
        let full = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"
        let v6 = ProxyProtocolHeader.encode(.v1, source: Self.address(full, 65535), destination: Self.address(full, 65535))
        #expect(v6.count == 104)  // the specification's worst case for TCP6
        #expect(v6.count <= ProxyProtocolHeader.v1MaximumLength)
    }

    @Test func version1UnixAndUnknown() {
        let unix = ProxyProtocolHeader.encode(.v1, source: SocketAddress(unixPath: "/tmp/a"),
                                              destination: SocketAddress(unixPath: "/tmp/b"))
        #expect(String(decoding: unix, as: UTF8.self) == "PROXY UNKNOWN\r\n")
        let unknown = ProxyProtocolHeader.encode(.v1, source: nil, destination: nil)
        #expect(String(decoding: unknown, as: UTF8.self) == "PROXY UNKNOWN\r\n")
        // Mixed families cannot describe one connection: unknown, never a made-up line.
        let mixed = ProxyProtocolHeader.encode(.v1, source: Self.address("10.0.0.1", 1), destination: Self.address("::1", 2))
        #expect(String(decoding: mixed, as: UTF8.self) == "PROXY UNKNOWN\r\n")
    }

    static let signature: [UInt8] = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A]

    @Test func version2IPv4() {
        let header = ProxyProtocolHeader.encode(.v2, source: Self.address("192.168.0.1", 56324),
                                                destination: Self.address("10.1.2.3", 443))
        #expect(ProxyProtocolHeader.v2Signature == Self.signature)
        let expected = Self.signature + [0x21, 0x11, 0x00, 0x0C,
                                         192, 168, 0, 1, 10, 1, 2, 3,
                                         0xDC, 0x04, 0x01, 0xBB]
        #expect(header == expected)
    }

    @Test func version2IPv6() {
        let header = ProxyProtocolHeader.encode(.v2, source: Self.address("2001:db8::1", 0x1234),
                                                destination: Self.address("::1", 80))
        var expected = Self.signature + [0x21, 0x21, 0x00, 0x24]
        expected += [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1]
        expected += [UInt8](repeating: 0, count: 15) + [1]
        expected += [0x12, 0x34, 0x00, 0x50]
        #expect(header == expected)
        #expect(header.count == 16 + 36)
    }

    @Test func version2UnixCarriesBothPathsPadded() {
        let header = ProxyProtocolHeader.encode(.v2, source: SocketAddress(unixPath: "/run/client"),
                                                destination: SocketAddress(unixPath: "/run/spiped.sock"))
        #expect(Array(header.prefix(16)) == Self.signature + [0x21, 0x31, 0x00, 0xD8])
        #expect(header.count == 16 + 216)
        let source = Array(header[16..<(16 + 108)]), destination = Array(header[(16 + 108)...])
        #expect(Array(source.prefix(11)) == Array("/run/client".utf8) && source.dropFirst(11).allSatisfy { $0 == 0 })
        #expect(Array(destination.prefix(16)) == Array("/run/spiped.sock".utf8) && destination.dropFirst(16).allSatisfy { $0 == 0 })
    }

    @Test func version2UnknownHasNoAddresses() {
        let header = ProxyProtocolHeader.encode(.v2, source: nil, destination: Self.address("127.0.0.1", 1))
        #expect(header == Self.signature + [0x21, 0x00, 0x00, 0x00])
    }
}
