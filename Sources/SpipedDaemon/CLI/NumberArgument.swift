// Reads the numeric arguments of -n, -o and -r exactly as the reference does:
// the C library's strtoumax (base 0: decimal, 0x hex, 0 octal; leading blanks
// and a sign accepted, a negative count wraps as in C) and strtod (decimal,
// hex, inf, nan), with nothing allowed after the number. Failures carry the
// errno the reference reports: EINVAL for junk, ERANGE for out of range.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SpipedNet

/// Parses numbers in option arguments; errors are errno values.
enum NumberArgument {
    /// An unsigned count (`-n`): the full text must be one C integer.
    static func unsignedCount(_ text: String) -> Result<UInt64, SystemError> {
        guard !text.isEmpty else { return .failure(SystemError(EINVAL)) }
        errno = 0
        var consumedAll = false
        let value: UInt64 = text.withCString { start in
            var end: UnsafeMutablePointer<CChar>?
            let parsed = strtoumax(start, &end, 0)
            consumedAll = end.map { $0 != UnsafeMutablePointer(mutating: start) && $0.pointee == 0 } ?? false
            return UInt64(parsed)
        }
        if errno == ERANGE { return .failure(SystemError(ERANGE)) }
        guard consumedAll else { return .failure(SystemError(EINVAL)) }
        return .success(value)
    }

    /// A number of seconds (`-o`, `-r`): a C double in [0, +inf]; NaN passes here
    /// (as in the reference) and is refused later by the `> 0` sanity check.
    static func seconds(_ text: String) -> Result<Double, SystemError> {
        guard !text.isEmpty else { return .failure(SystemError(EINVAL)) }
        errno = 0
        var consumedAll = false
        let value: Double = text.withCString { start in
            var end: UnsafeMutablePointer<CChar>?
            let parsed = strtod(start, &end)
            consumedAll = end.map { $0 != UnsafeMutablePointer(mutating: start) && $0.pointee == 0 } ?? false
            return parsed
        }
        if errno == ERANGE { return .failure(SystemError(ERANGE)) }
        guard consumedAll else { return .failure(SystemError(EINVAL)) }
        if value < 0 { return .failure(SystemError(ERANGE)) }
        return .success(value)
    }
}
