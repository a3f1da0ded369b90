// Why an address given on the command line could not be used. The texts are
// the reference's first diagnostic line for each case (the caller adds the
// reference's second line, "Error resolving socket address: <text>").

/// A command-line address that could not be parsed or resolved.
public enum AddressError: Error, Equatable, Sendable, CustomStringConvertible {
    /// No `:port` (and not an absolute Unix path).
    case missingPort(String)
    /// A Unix path that does not fit in `sockaddr_un`.
    case pathTooLong(String)
    /// A `[...]` host part that is not exactly bracketed.
    case invalidBracketedAddress(String)
    /// The text between the brackets is not a numeric IPv4 or IPv6 address.
    case invalidIPAddress(String)
    /// The port of a bracketed address is not a number from 1 to 65535.
    case invalidPort(String)
    /// getaddrinfo failed for a host name (`reason` is gai_strerror's text).
    case lookupFailed(host: String, reason: String, temporary: Bool)
    /// The name resolved to nothing usable.
    case noAddresses(String)

    /// The reference's diagnostic text.
    public var description: String {
        switch self {
        case let .missingPort(text): return "Address must contain port number: \(text)"
        case let .pathTooLong(text): return "socket path too long: \(text)"
        case let .invalidBracketedAddress(text): return "Invalid [IP address]: \(text)"
        case let .invalidIPAddress(text): return "Error parsing IP address: \(text)"
        case let .invalidPort(text): return "Invalid port number: \(text)"
        case let .lookupFailed(host, reason, _): return "Error looking up \(host): \(reason)"
        case let .noAddresses(text): return "No addresses found for \(text)"
        }
    }

    /// Whether waiting and retrying could help (DNS not ready yet), for `-D`.
    public var isLookupFailure: Bool {
        if case .lookupFailed = self { return true }
        return false
    }
}
