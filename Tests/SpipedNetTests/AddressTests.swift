// Address parsing and resolution: the four forms, the reference's error texts
// for each malformed form (observed on Debian's spiped 1.6.2), numeric forms
// resolved without DNS, `-b` normalization, and the -D retry rule (only
// look-up failures are retried).
import Testing
import SpipedNet
#if canImport(Glibc)
import Glibc
#endif

@Suite struct AddressTests {
    @Test func unixPath() throws {
        let addresses = try AddressResolver.resolve("/tmp/some.sock")
        #expect(addresses.count == 1 && addresses[0].isUnix && addresses[0].unixPath == "/tmp/some.sock")
        #expect(addresses[0].description == "/tmp/some.sock")
        let long = "/tmp/" + String(repeating: "a", count: 120)
        #expect(throws: AddressError.pathTooLong(long)) { try AddressResolver.resolve(long) }
    }

    @Test func bracketedNumericForms() throws {
        let v4 = try AddressResolver.resolve("[127.0.0.1]:8025")
        #expect(v4 == [SocketAddress(numericHost: "127.0.0.1", port: 8025)!])
        #expect(v4[0].family == AF_INET && v4[0].port == 8025 && v4[0].description == "[127.0.0.1]:8025")
        let v6 = try AddressResolver.resolve("[::1]:443")
        #expect(v6[0].family == AF_INET6 && v6[0].port == 443 && v6[0].description == "[::1]:443")
        #expect(try AddressResolver.resolve("[1.2.3.4]:080")[0].port == 80)
        #expect(try AddressResolver.resolve("[1.2.3.4]: +80")[0].port == 80)
        #expect(try AddressResolver.resolve("[::ffff:1.2.3.4]:65535")[0].port == 65535)
    }

    @Test(arguments: [
        ("foo", "Address must contain port number: foo"),
        ("", "Address must contain port number: "),
        ("1.2.3.4", "Address must contain port number: 1.2.3.4"),
        ("[1.2.3.4]", "Address must contain port number: [1.2.3.4]"),
        ("relative/path", "Address must contain port number: relative/path"),
        ("[::1]", "Invalid [IP address]: [:"),
        ("[::1:80", "Invalid [IP address]: [::1"),
        ("[::1]x:80", "Invalid [IP address]: [::1]x"),
        ("[::1]:80:", "Invalid [IP address]: [::1]:80"),
        ("[1.2.3.4.5]:80", "Error parsing IP address: 1.2.3.4.5"),
        ("[fe80::1%lo]:80", "Error parsing IP address: fe80::1%lo"),
        ("[]:80", "Error parsing IP address: "),
        ("[::1]]:80", "Error parsing IP address: ::1]"),
        ("[1.2.3.4]:x", "Invalid port number: x"),
        ("[1.2.3.4.5]:x", "Invalid port number: x"),
        ("[1.2.3.4]:0", "Invalid port number: 0"),
        ("[1.2.3.4]:", "Invalid port number: "),
        ("[1.2.3.4]:65536", "Invalid port number: 65536"),
        ("[1.2.3.4]:-80", "Invalid port number: -80"),
        ("[1.2.3.4]:0x50", "Invalid port number: 0x50"),
    ])
    func malformedAddresses(_ text: String, _ message: String) {
        do {
            _ = try AddressResolver.resolve(text)
            Issue.record("\(text) was accepted")
        } catch {
            #expect(error.description == message)
            #expect(!error.isLookupFailure)
        }
    }

    @Test func hostForms() throws {
        // Numeric hosts and service names go through getaddrinfo without DNS.
        #expect(try AddressResolver.resolve("127.0.0.1:80")[0] == SocketAddress(numericHost: "127.0.0.1", port: 80)!)
        #expect(try AddressResolver.resolve("::1:80")[0] == SocketAddress(numericHost: "::1", port: 80)!)
        #expect(try AddressResolver.resolve("localhost:0").allSatisfy { $0.port == 0 })
        #expect(try AddressResolver.resolve("127.0.0.1:http")[0].port == 80)
        do {
            _ = try AddressResolver.resolve("localhost:nosuchservice")
            Issue.record("unknown service accepted")
        } catch {
            #expect(error.description.hasPrefix("Error looking up localhost: "))
            #expect(error.isLookupFailure)
        }
    }

    @Test func bindAddressNormalization() throws {
        #expect(AddressResolver.bindAddressText("1.2.3.4") == "1.2.3.4:0")
        #expect(AddressResolver.bindAddressText("::1") == "[::1]:0")
        #expect(AddressResolver.bindAddressText("[::1]") == "[::1]:0")
        #expect(AddressResolver.bindAddressText("[::1]:5000") == "[::1]:5000")
        #expect(AddressResolver.bindAddressText("1.2.3.4:5000") == "1.2.3.4:5000")
        #expect(AddressResolver.bindAddressText("localhost") == "localhost:0")
        #expect(try AddressResolver.resolveBindAddress("127.0.0.1")[0] == SocketAddress(numericHost: "127.0.0.1", port: 0)!)
        #expect(try AddressResolver.resolveBindAddress("[::1]")[0].port == 0)
    }

    @Test func retryingStopsAtSyntaxErrors() {
        var calls = 0
        #expect(throws: AddressError.missingPort("nope")) {
            try AddressResolver.resolve("nope", retrying: true) { _ in calls += 1 }
        }
        #expect(calls == 0)
    }

    @Test func equalityUsesMeaningfulBytes() {
        #expect(SocketAddress(numericHost: "10.0.0.1", port: 1) != SocketAddress(numericHost: "10.0.0.1", port: 2))
        #expect(SocketAddress(unixPath: "/a") == SocketAddress(unixPath: "/a"))
        #expect(SocketAddress(numericHost: "example.com", port: 1) == nil)
    }
}
