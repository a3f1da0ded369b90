// Reads the shared key for both programs and turns key-file problems into the
// reference's two-line diagnostic ("Cannot open file: <path>: <reason>", then
// "Error reading shared secret"). `-k -` reads standard input. A key shorter
// than 32 bytes is accepted, as by the reference, with a warning; an empty one
// is refused (the reference would run with the well-known SHA-256("")).
// The same reading serves `--accept-key` files at start and the SIGHUP
// reload, where a failure is a warning naming the file and changes nothing.
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

    /// `-k` then every `--accept-key` file, in order; the first failure ends
    /// the start-up.
    static func loadAll(keyFile: String, acceptKeyFiles: [String], log: EventLog) -> Result<[SpipedKey], LaunchFailure> {
        var keys: [SpipedKey] = []
        for path in [keyFile] + acceptKeyFiles {
            switch load(path, log: log) {
            case let .success(key): keys.append(key)
            case let .failure(failure): return .failure(failure)
            }
        }
        return .success(keys)
    }

    /// The SIGHUP reload: re-reads `-k` (except standard input, which cannot
    /// be read twice: `standardInputKey` is kept) and every `--accept-key`
    /// file. Returns the new list, or nil after a warning naming the first
    /// file that failed: then nothing changes.
    static func reload(keyFile: String, standardInputKey: SpipedKey?, acceptKeyFiles: [String],
                       log: EventLog) -> [SpipedKey]? {
        var keys: [SpipedKey] = []
        if keyFile == "-" {
            guard let standardInputKey else { return nil }
            keys.append(standardInputKey)
        }
        for path in (keyFile == "-" ? [] : [keyFile]) + acceptKeyFiles {
            do throws(KeyFileError) {
                let key = try SpipedKey(contentsOfFile: path)
                if key.isShort {
                    log.warning("WARNING: key file \(path) holds fewer than 32 bytes; use at least 256 bits of entropy")
                }
                keys.append(key)
            } catch {
                log.warning("Key reload failed, keeping the previous keys: \(error.description)")
                return nil
            }
        }
        return keys
    }
}
