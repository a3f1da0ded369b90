// Reads the shared key for both programs and turns key-file problems into the
// reference's two-line diagnostic ("Cannot open file: <path>: <reason>", then
// "Error reading shared secret"). `-k -` reads standard input. A key shorter
// than 32 bytes is accepted, as by the reference, with a warning.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import SpipedProtocol
import SpipedNet

/// Loading the key named by `-k`.
enum KeyLoading {
    /// The key, or the diagnostic lines to print before exiting 1.
    static func load(_ path: String, log: EventLog) -> Result<SpipedKey, LaunchFailure> {
        let key: SpipedKey
        do throws(KeyFileError) {
            key = path == "-" ? try SpipedKey(readingStandardInput: ()) : try SpipedKey(contentsOfFile: path)
        } catch {
            return .failure(LaunchFailure(lines: [error.description, "Error reading shared secret"]))
        }
        if key.isShort {
            log.warning("WARNING: key file \(path == "-" ? "(standard input)" : path) holds fewer than 32 bytes; use at least 256 bits of entropy")
        }
        return .success(key)
    }
}
