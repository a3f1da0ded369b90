// Turns command-line address text into socket addresses: Unix paths and
// bracketed numbers without DNS, `host:port` through getaddrinfo (stream
// sockets, any family, in the resolver's order). Also normalizes `-b` bind
// addresses (a bare address gets port 0) and offers the `-D` behaviour:
// retry look-ups that failed (DNS not ready) once a second until they work.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Resolution of command-line addresses.
public enum AddressResolver {
    /// Resolves `text` to at least one address, or throws the reference's diagnostic.
    public static func resolve(_ text: String, allowPortZero: Bool = false) throws(AddressError) -> [SocketAddress] {
        switch try AddressText.parse(text, allowPortZero: allowPortZero) {
        case let .unix(path):
            guard let address = SocketAddress(unixPath: path) else { throw .pathTooLong(text) }
            return [address]
        case let .numeric(address):
            return [address]
        case let .host(name, service):
            let addresses = try lookUp(host: name, service: service)
            guard !addresses.isEmpty else { throw .noAddresses(text) }
            return addresses
        }
    }

    /// Like `resolve`, but when `retrying` is set a failed look-up (not a
    /// syntax error) is retried once a second until it succeeds; `onFirstFailure`
    /// is called once so the operator hears about the wait.
    public static func resolve(_ text: String, allowPortZero: Bool = false, retrying: Bool,
                               onFirstFailure: (AddressError) -> Void) throws(AddressError) -> [SocketAddress] {
        var reported = false
        while true {
            do {
                return try resolve(text, allowPortZero: allowPortZero)
            } catch {
                guard retrying, error.isLookupFailure || error == .noAddresses(text) else { throw error }
                if !reported { onFirstFailure(error); reported = true }
                sleep(1)
            }
        }
    }

    /// The text to resolve for a `-b` bind address: a bare address or name gets
    /// port 0 ("any port"); an address that already has a port is kept.
    ///   `1.2.3.4` -> `1.2.3.4:0`, `::1` -> `[::1]:0`, `[::1]` -> `[::1]:0`,
    ///   `host` -> `host:0`; `1.2.3.4:5000`, `[::1]:5000`, `/path` unchanged.
    public static func bindAddressText(_ text: String) -> String {
        if text.hasPrefix("/") { return text }
        if text.hasPrefix("[") { return text.hasSuffix("]") ? text + ":0" : text }
        let colons = text.reduce(0) { $0 + ($1 == ":" ? 1 : 0) }
        switch colons {
        case 0: return text + ":0"
        case 1: return text
        default: return "[" + text + "]:0"
        }
    }

    /// Resolves a `-b` bind address (port 0 allowed).
    public static func resolveBindAddress(_ text: String) throws(AddressError) -> [SocketAddress] {
        try resolve(bindAddressText(text), allowPortZero: true)
    }

    /// getaddrinfo for stream sockets; throws lookupFailed with gai_strerror's text.
    static func lookUp(host: String, service: String) throws(AddressError) -> [SocketAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let rc = getaddrinfo(host, service, &hints, &list)
        guard rc == 0 else {
            let reason = rc == EAI_SYSTEM ? String(cString: strerror(errno)) : String(cString: gai_strerror(rc))
            throw .lookupFailed(host: host, reason: reason, temporary: rc == EAI_AGAIN)
        }
        defer { freeaddrinfo(list) }
        var result: [SocketAddress] = []
        var cursor = list
        while let entry = cursor {
            if let sa = entry.pointee.ai_addr, entry.pointee.ai_addrlen <= socklen_t(MemoryLayout<sockaddr_storage>.size) {
                var storage = sockaddr_storage()
                withUnsafeMutableBytes(of: &storage) { dst in
                    dst.copyMemory(from: UnsafeRawBufferPointer(start: sa, count: Int(entry.pointee.ai_addrlen)))
                }
                result.append(SocketAddress(storage: storage, length: entry.pointee.ai_addrlen))
            }
            cursor = entry.pointee.ai_next
        }
        return result
    }
}
