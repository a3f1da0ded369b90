// A start-up failure of spiped or spipe: the diagnostic lines the reference
// prints (each as `<program>: <line>` on stderr) before exiting with status 1.
// Collecting them as values keeps every start-up step testable and makes
// sure each failure path prints and exits the same way.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SpipedNet

/// Lines to print before exiting 1.
package struct LaunchFailure: Error, Equatable, Sendable {
    /// The diagnostic lines, without the program prefix.
    package let lines: [String]

    /// Creates a failure from its lines.
    package init(lines: [String]) { self.lines = lines }

    /// The failure for an address that could not be resolved: the specific
    /// reason, then the reference's "Error resolving socket address" line
    /// (only the reason when the name resolved to nothing).
    package init(address text: String, error: AddressError) {
        if case .noAddresses = error {
            lines = [error.description]
        } else {
            lines = [error.description, "Error resolving socket address: \(text)"]
        }
    }

    /// Prints every line through `log` (stderr, or syslog once switched).
    package func report(to log: EventLog) {
        for line in lines { log.warning(line) }
    }
}

/// Writes raw text to standard error in one call (usage and version output).
func writeToStandardError(_ text: String) {
    var bytes = Array(text.utf8)
    var offset = 0
    while offset < bytes.count {
        let n = bytes.withUnsafeMutableBytes { raw -> Int in
            guard let base = raw.baseAddress else { return -1 }
            return write(STDERR_FILENO, base + offset, raw.count - offset)
        }
        if n < 0 && errno == EINTR { continue }
        if n <= 0 { return }
        offset += n
    }
}
