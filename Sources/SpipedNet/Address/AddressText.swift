// Parses the four address forms spiped accepts, with the reference's rules
// and error texts (observed on Debian's spiped 1.6.2):
//   /absolute/path/to/unix/socket   -> Unix socket (must fit sun_path)
//   [ip.v4.ad.dr]:port, [ipv6::addr]:port -> numeric, no DNS; port 1..65535,
//                                      decimal (leading blanks and '+' allowed)
//   host.name:port                  -> getaddrinfo(host, port): names, numeric
//                                      hosts and service names all work
// The text is split at its last ':'; a host part starting with '[' must end
// with ']' and hold an address inet_pton accepts (no %scope, as there).
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A parsed command-line address, before any DNS.
package enum AddressText: Sendable, Equatable {
    /// An absolute Unix socket path.
    case unix(path: String)
    /// A bracketed numeric address: resolved without DNS.
    case numeric(SocketAddress)
    /// `host:port` for getaddrinfo.
    case host(name: String, service: String)

    /// Parses `text`. `allowPortZero` is for `-b` bind addresses, where port 0
    /// means "any local port".
    package static func parse(_ text: String, allowPortZero: Bool = false) throws(AddressError) -> AddressText {
        if text.hasPrefix("/") {
            guard SocketAddress(unixPath: text) != nil else { throw .pathTooLong(text) }
            return .unix(path: text)
        }
        guard let colon = text.lastIndex(of: ":") else { throw .missingPort(text) }
        let host = String(text[..<colon])
        let port = String(text[text.index(after: colon)...])
        guard host.hasPrefix("[") else { return .host(name: host, service: port) }
        guard host.count >= 2, host.hasSuffix("]") else { throw .invalidBracketedAddress(host) }
        guard let portNumber = parsePort(port), portNumber != 0 || allowPortZero else { throw .invalidPort(port) }
        let inner = String(host.dropFirst().dropLast())
        guard let address = SocketAddress(numericHost: inner, port: portNumber) else { throw .invalidIPAddress(inner) }
        return .numeric(address)
    }

    /// A decimal port like strtol reads it (blanks, optional '+'), 0...65535.
    static func parsePort(_ text: String) -> UInt16? {
        var digits = Substring(text)
        while let first = digits.first, first == " " || first == "\t" || first == "\n" || first == "\u{0B}" || first == "\u{0C}" || first == "\r" {
            digits = digits.dropFirst()
        }
        if digits.first == "+" { digits = digits.dropFirst() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        // Leading zeros are fine; anything above 65535 is refused.
        var value = 0
        for digit in digits {
            value = value * 10 + Int(digit.asciiValue ?? 48) - 48
            if value > 65535 { return nil }
        }
        return UInt16(value)
    }
}
