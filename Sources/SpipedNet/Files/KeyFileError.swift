// Why a key file could not be used: one case per cause the user can act on.
//
// Guarantees: every failure of SpipedKey's file readers maps to exactly one
// case; the associated path is the one the caller gave ("-" for standard
// input), so messages name what the user typed.
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A key file that could not be read or holds nothing.
public enum KeyFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The file (or a directory on its path) does not exist.
    case notFound(String)
    /// The process may not open the file.
    case permissionDenied(String)
    /// The path names a directory.
    case isDirectory(String)
    /// The file is empty: SHA-256 of nothing would be a well-known key.
    case empty(String)
    /// Opening or reading failed with this `errno` for another reason.
    case readFailed(String, errno: Int32)

    /// The path (or "-" for standard input) the error is about.
    public var path: String {
        switch self {
        case .notFound(let p), .permissionDenied(let p), .isDirectory(let p), .empty(let p):
            return p
        case .readFailed(let p, _):
            return p
        }
    }

    /// A one-line message for the user, e.g. `Cannot read key file /k: not found`.
    /// The reference's wording (the first of its two lines; spiped and
    /// spipe then print "Error reading shared secret").
    public var description: String {
        switch self {
        case let .notFound(path): return "Cannot open file: \(path): \(SystemError(ENOENT))"
        case let .permissionDenied(path): return "Cannot open file: \(path): \(SystemError(EACCES))"
        case let .isDirectory(path): return "Error reading file: \(path): \(SystemError(EISDIR))"
        case let .empty(path): return "Error reading file: \(path): key file is empty"
        case let .readFailed(path, code): return "Error reading file: \(path): \(SystemError(code))"
        }
    }
}
