// A failed system call as a value: errno, and optionally which call. The
// one place errno becomes text (strerror), for every layer that does I/O.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An errno value, with the call that failed when it is worth naming.
public struct SystemError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The errno value.
    public let code: Int32
    /// The failed call (`"epoll_create1"`), or nil where the context says it.
    public let call: String?

    /// Wraps an errno value (`SystemError(errno)` right after the failing call).
    public init(_ code: Int32, call: String? = nil) {
        self.code = code
        self.call = call
    }

    /// The C library's text for `code`, e.g. "Invalid argument".
    public static func text(_ code: Int32) -> String {
        guard let text = strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }

    /// `strerror(code)`, after "<call> failed: " when the call is named.
    public var description: String {
        if let call { return "\(call) failed: \(Self.text(code))" }
        return Self.text(code)
    }
}
