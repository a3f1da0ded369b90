// Reads a whole file for a test's assertions (captured stdout/stderr, data a
// client received). Not with Foundation's String(contentsOfFile:) or
// Data(contentsOf:): in the Swift 6.3.1 toolchain they leak a 4 KiB buffer
// for every EMPTY file they read (reproduced in isolation; found by
// `Tests/Sanitizers/run.sh address`), and most captured stderr files are
// empty, so LeakSanitizer would fail the suite on toolchain code.
#if canImport(Glibc)
import Glibc
#endif

enum FileContents {
    /// The file's bytes, or nil if it cannot be opened or read.
    static func bytes(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n == 0 { return result }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            result.append(contentsOf: chunk[0..<n])
        }
    }

    /// The file as UTF-8 text (invalid sequences replaced), or nil if unreadable.
    static func text(_ path: String) -> String? {
        bytes(path).map { String(decoding: $0, as: UTF8.self) }
    }
}
